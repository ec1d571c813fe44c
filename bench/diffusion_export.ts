/**
 * Writes what bench/reference/diffusion_train.py needs to train the same image diffusion model as a
 * genlab run, step for step. It reads the run's config.json (so the two cannot drift apart; the run
 * may still be training) and writes
 *   <dir>/<set>-train.u8, <set>-train-labels.u8   pixels 0..255 [N, C, H, W] row-major, labels [N]
 *   <dir>/<name>.json                             run config, per-epoch data seeds, per-step noise
 *                                                 seeds and learning rates, the parts' constants
 *   <dir>/<name>-init.safetensors                 the initial weights (genlab's buildModel, same seed;
 *                                                 for reflow/distill: the teacher's EMA weights)
 *   <dir>/<name>-pairs.safetensors                reflow/distill: the teacher's (noise, sample) pairs
 * With the same initial weights, data order (torch.randperm from the same generator seeds), per-step
 * draws (torch.manual_seed(step seed), then the loss's rand/randn/randint in genlab's order) and
 * learning rates, the two runs differ only by floating-point rounding.
 *
 *   npx tsx bench/diffusion_export.ts <run folder> <dir> [name=<run name>]
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { torch, type Tensor } from '../src/tensor/index.ts';
import '../src/models/index.ts';
import { learningRate } from '../src/train/config.ts';
import { loadData } from '../src/train/data.ts';
import { buildModel } from '../src/train/session.ts';
import { RunDir } from '../src/train/run.ts';
import { deriveSeed } from '../src/train/seed.ts';
import { saveSafetensors } from '../src/io/safetensors.ts';
import { teacherPairs, type RectifiedConfig } from '../src/models/diffusion/rectified.ts';
import { NOISE_EMBED_SCALE } from '../src/models/diffusion/nets.ts';
import { NOISE_STEPS, type PreconditioningName } from '../src/models/diffusion/preconditioning.ts';
import type { DiffusionInstance } from '../src/models/diffusion/index.ts';

const [runDir, dir, nameArg] = process.argv.slice(2);
if (!runDir || !dir) {
  console.error('usage: npx tsx bench/diffusion_export.ts <run folder> <dir> [name]');
  process.exit(2);
}
const run = new RunDir(runDir);
const config = run.readConfig();
const name = nameArg ?? basename(run.dir);
const c = config.modelConfig as unknown as RectifiedConfig;
const { steps, batch, seed } = config.train;
if (config.data.kind !== 'image') throw new Error(`${run.dir}: the reference trains image models; this run's data '${config.data.name}' is ${config.data.kind}`);
if (!['edm', 'flow'].includes(c.preconditioning)) throw new Error(`${run.dir}: the reference has the edm and flow preconditionings, not '${c.preconditioning}'`);
mkdirSync(dir, { recursive: true });

const set = config.data.name;
const data = await loadData(set, { seed });
const u8 = (x: Tensor) => torch.scope(() => Buffer.from(x.to('uint8').contiguous().toTypedArray() as Uint8Array));
if (!existsSync(join(dir, `${set}-train.u8`))) writeFileSync(join(dir, `${set}-train.u8`), torch.scope(() => u8(data.train.mul(255).round())));
if (data.trainLabels && !existsSync(join(dir, `${set}-train-labels.u8`))) writeFileSync(join(dir, `${set}-train-labels.u8`), u8(data.trainLabels));
const n = data.train.size(0);
const stepsPerEpoch = Math.floor(n / Math.min(batch, n));
const epochs = Math.ceil(steps / stepsPerEpoch);

const m = buildModel(config) as DiffusionInstance;
const tensors: Record<string, Tensor> = {};
for (const [k, v] of Object.entries(m.modules.net!.stateDict())) tensors[k] = v.contiguous();
saveSafetensors(join(dir, `${name}-init.safetensors`), tensors);
if (c.teacher) {
  const p = teacherPairs(c);
  saveSafetensors(join(dir, `${name}-pairs.safetensors`), { z: p.z, x: p.x });
  p.z.dispose();
  p.x.dispose();
}
writeFileSync(
  join(dir, `${name}.json`),
  JSON.stringify(
    {
      name,
      run: run.dir,
      model: config.model,
      data: set,
      modelConfig: c,
      train: config.train,
      shape: config.data.shape,
      range: config.data.range ?? [0, 1],
      numClasses: m.numClasses,
      noiseScale: NOISE_EMBED_SCALE[c.preconditioning as PreconditioningName],
      noiseSteps: NOISE_STEPS,
      sigmaMax: m.schedule.sigmaMax,
      trainSize: n,
      stepsPerEpoch,
      dataSeeds: Array.from({ length: epochs }, (_, e) => deriveSeed(seed, 'data', e)),
      stepSeeds: Array.from({ length: steps }, (_, s) => deriveSeed(seed, 'step', s)),
      lrs: Array.from({ length: steps }, (_, s) => learningRate(config.train, s)),
    },
    null,
    1,
  ),
);
m.dispose?.();
console.log(`wrote ${name}: ${config.model}${c.stage ? ` (${c.stage} of ${c.teacher})` : ''} on ${set} (${n} train, ${steps} steps of ${batch}, ${Object.keys(tensors).length} tensors) to ${dir}`);
