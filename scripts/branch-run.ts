/**
 * Forks a run at one of its checkpoints into a new run folder with some model-config values changed,
 * so `genlab train --resume --name <new>` continues it under the new settings:
 *
 *   node --import tsx scripts/branch-run.ts <run folder> <step> <new run folder> key=value[,key=value...]
 *
 * Copies config.json (with the changes), the checkpoint of <step>, and metrics.jsonl up to <step>.
 * The fork equals a run trained from scratch with the new settings only when those settings do not
 * change steps 1..<step>: e.g. a vqgan's discStart/discWeight/ganLoss when <step> ≤ the new
 * discStart, because before discStart the discriminator is neither used nor trained (same initial
 * weights, same batches and noise: the trainer's resume is exact). The script refuses a value that
 * is not in the run's model config and a step without a checkpoint.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [from, stepArg, to, changes = ''] = process.argv.slice(2);
if (!from || !stepArg || !to) {
  console.error('usage: scripts/branch-run.ts <run folder> <step> <new run folder> key=value[,key=value...]');
  process.exit(2);
}
const step = Number(stepArg);
const ckpt = join(from, 'checkpoints', `step-${String(step).padStart(7, '0')}.safetensors`);
if (!existsSync(ckpt)) throw new Error(`branch-run: ${from} has no checkpoint of step ${step} (${ckpt})`);
if (existsSync(to)) throw new Error(`branch-run: ${to} exists; choose a new run folder`);
const config = JSON.parse(readFileSync(join(from, 'config.json'), 'utf8')) as { modelConfig: Record<string, unknown>; createdAt?: string; branchedFrom?: unknown };
for (const kv of changes.split(',').filter(Boolean)) {
  const [k, v] = [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)];
  const old = config.modelConfig[k];
  if (old === undefined) throw new Error(`branch-run: '${k}' is not in ${from}'s model config (keys: ${Object.keys(config.modelConfig).join(', ')})`);
  config.modelConfig[k] = typeof old === 'number' ? Number(v) : typeof old === 'boolean' ? v === 'true' : v;
  if (typeof old === 'number' && !Number.isFinite(config.modelConfig[k])) throw new Error(`branch-run: ${k}=${v} is not a number`);
}
config.branchedFrom = { run: from, step, changes };
mkdirSync(join(to, 'checkpoints'), { recursive: true });
writeFileSync(join(to, 'config.json'), JSON.stringify(config, null, 2));
copyFileSync(ckpt, join(to, 'checkpoints', `step-${String(step).padStart(7, '0')}.safetensors`));
const metrics = existsSync(join(from, 'metrics.jsonl')) ? readFileSync(join(from, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l && (JSON.parse(l) as { step: number }).step <= step) : [];
writeFileSync(join(to, 'metrics.jsonl'), metrics.map((l) => `${l}\n`).join(''));
console.log(`branched ${from} at step ${step} into ${to} (${changes || 'no changes'}); continue with: genlab train --resume --name <name> --out <folder>`);
