/**
 * Turns the weights bench/reference/diffusion_train.py wrote into a genlab run folder, so that genlab's
 * samplers and `genlab eval` (Fréchet distance on the toolkit classifier's features) score the
 * PyTorch-trained model exactly as they score genlab's own run:
 *   <out>/config.json       the genlab run's config (the same model, data and training settings)
 *   <out>/checkpoints/...   one checkpoint at the last step: `model.net.*` the raw weights, `ema.net.*`
 *                           the EMA weights (what sample/eval load)
 *   <out>/metrics.jsonl     PyTorch's loss every 10 steps (from <name>-torch.json, when present)
 *
 *   npx tsx bench/diffusion_import.ts <dir> <name> <out run folder>
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { torch, type Tensor } from '../src/tensor/index.ts';
import '../src/models/index.ts';
import { loadSafetensors } from '../src/io/safetensors.ts';
import { buildModel } from '../src/train/session.ts';
import { RunDir } from '../src/train/run.ts';
import { saveTrainingCheckpoint } from '../src/train/checkpoint.ts';

const [dir, name, out] = process.argv.slice(2);
if (!dir || !name || !out) {
  console.error('usage: npx tsx bench/diffusion_import.ts <dir> <name> <out run folder>');
  process.exit(2);
}
const meta = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as { run: string; train: { steps: number; ema: number } };
const config = new RunDir(meta.run).readConfig();
const weightsPath = join(dir, `${name}-torch.safetensors`);
if (!existsSync(weightsPath)) throw new Error(`${weightsPath} does not exist: run bench/reference/diffusion_train.py ${dir} ${name} first`);
const target = new RunDir(out);
if (target.exists()) throw new Error(`${target.dir} is already a run; give a new folder`);

torch.scope(() => {
  const { tensors } = loadSafetensors(weightsPath);
  const pick = (prefix: string): Record<string, Tensor> =>
    Object.fromEntries(Object.entries(tensors).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
  const model = buildModel(config);
  try {
    const net = model.modules.net!;
    net.loadStateDict(pick('model.'), { strict: true });
    const ema = pick('ema.');
    const own = net.namedParameters().map(([k]) => k);
    const missing = own.filter((k) => !(k in ema));
    if (meta.train.ema > 0 && missing.length) throw new Error(`${weightsPath}: EMA weights missing for ${missing.slice(0, 5).join(', ')}`);
    target.create();
    target.writeConfig({ ...config, createdAt: new Date().toISOString() });
    saveTrainingCheckpoint(target.checkpointPath(meta.train.steps), {
      step: meta.train.steps,
      seed: config.train.seed,
      config,
      modules: model.modules,
      ema: meta.train.ema > 0 ? Object.fromEntries(Object.entries(ema).map(([k, v]) => [`net.${k}`, v])) : null,
      emaMeta: { decay: meta.train.ema, steps: { net: meta.train.steps }, trainedBy: 'PyTorch (bench/reference/diffusion_train.py)' },
    });
  } finally {
    model.dispose?.();
  }
});
const logPath = join(dir, `${name}-torch.json`);
if (existsSync(logPath)) {
  const r = JSON.parse(readFileSync(logPath, 'utf8').trim().split('\n').pop()!) as { log: [number, number][]; cpuSeconds: number };
  writeFileSync(target.metricsPath, r.log.map(([step, loss]) => JSON.stringify({ step, loss })).join('\n') + '\n');
}
console.log(`wrote ${target.dir}: ${config.model} on ${config.data.name}, PyTorch-trained weights at step ${meta.train.steps}`);
