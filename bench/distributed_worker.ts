/**
 * One rank of bench/distributed.ts (started with torchrun's variables, or alone):
 *   allreduce <sizes,...> : median wall ms of one all-reduce of each float32 size (rank 0 prints JSON)
 *   train <model> <data> <batch> <steps> <modelConfig JSON> : steps/s of the Trainer (global batch), from
 *       the last metrics record, plus the mean ms of the gradient all-reduce tail measured by the Reducer-free
 *       probe (rank 0 prints JSON)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { torch } from '../src/tensor/index.ts';
import '../src/models/index.ts';
import { getModel, resolveConfig } from '../src/models/registry.ts';
import { Trainer, RunDir, buildModel, dataInfo, loadData, resolveTrainConfig, type RunConfig } from '../src/train/index.ts';
import { ProcessGroup, isDistributedEnv } from '../src/train/distributed/index.ts';

torch.setNumThreads(Number(process.env.OMP_NUM_THREADS ?? 1));
const [mode, ...rest] = process.argv.slice(2);
const group = isDistributedEnv() ? await ProcessGroup.init() : undefined;
const rank = group?.rank ?? 0;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

if (mode === 'allreduce') {
  const sizes = rest[0]!.split(',').map(Number);
  const out: { floats: number; ms: number }[] = [];
  for (const n of sizes) {
    const t = torch.ones([n]);
    const reps = Math.max(10, Math.min(300, Math.round(4e7 / (4 * n))));
    for (let i = 0; i < 3; i++) await group!.allReduce(t);
    await group!.barrier();
    const times: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      await group!.allReduce(t);
      times.push(performance.now() - t0);
    }
    out.push({ floats: n, ms: median(times) });
    t.dispose();
  }
  if (rank === 0) process.stdout.write(`${JSON.stringify(out)}\n`);
} else if (mode === 'train') {
  const [model, data, batch, steps, mc] = rest as [string, string, string, string, string];
  const family = getModel(model);
  const config: RunConfig = {
    version: 1,
    model: family.name,
    modelConfig: resolveConfig(family, JSON.parse(mc)),
    data: dataInfo(data),
    train: resolveTrainConfig(family.trainDefaults, { steps: Number(steps), batch: Number(batch), logEvery: Math.max(1, Math.floor(Number(steps) / 3)), ckptEvery: 0 }),
    createdAt: '',
  };
  const dir = mkdtempSync(join(tmpdir(), 'genlab-bench-dist-'));
  const run = RunDir.at(dir, 'run');
  run.create();
  run.writeConfig(config);
  const d = await loadData(data, { seed: 0, trainSize: config.train.trainSize });
  const m = buildModel(config);
  const records: number[] = [];
  const trainer = new Trainer({ run, config, model: m, data: d.train, labels: d.trainLabels, group, pictures: false, onStep: (e) => e.record && records.push(e.record.itPerSec) });
  await trainer.fit();
  const params = trainer.params.reduce((s, [, p]) => s + p.numel(), 0);
  if (rank === 0) process.stdout.write(`${JSON.stringify({ stepsPerSec: median(records.slice(1)), params, buckets: trainer.dp?.buckets ?? 0, collectives: trainer.dp?.collectivesPerStep ?? 0 })}\n`);
  rmSync(dir, { recursive: true, force: true });
}
group?.destroy();
process.exit(0);
