/**
 * Writes what bench/reference/flows_images.py needs to train the same image flow as
 * `genlab train <model> --data <set> --steps S --batch B --seed K` does, step for step:
 *   <dir>/<set>-train.u8, <set>-test.u8   pixels 0..255, [N, C, H, W] row-major (shapes in the JSON)
 *   <dir>/<model>-<set>.json              model config, train config, per-epoch data seeds, per-step
 *                                         noise seeds and learning rates
 *   <dir>/<model>-<set>-init.safetensors  the initial weights and buffers (genlab's buildModel, same seed)
 * With the same initial weights, the same data order (torch.randperm from the same generator seeds)
 * and the same dequantization noise (torch.rand_like after the same manual_seed), the two runs differ
 * only by floating-point rounding.
 *
 *   npx tsx bench/flows_export.ts <dir> <model> <set> [steps=1500] [batch=64] [seed=0] [key=value,...]
 * The key=value list is `genlab train --config`'s: model keys and training settings (warmup, clipGrad, ema, lr).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { torch, type Tensor } from '../src/tensor/index.ts';
import { getModel, resolveConfig } from '../src/models/registry.ts';
import '../src/models/flows/models.ts';
import { resolveTrainConfig, learningRate } from '../src/train/config.ts';
import { dataInfo, loadData } from '../src/train/data.ts';
import { buildModel } from '../src/train/session.ts';
import { deriveSeed } from '../src/train/seed.ts';
import { saveSafetensors } from '../src/io/safetensors.ts';
import type { RunConfig } from '../src/train/run.ts';
import { splitOverrides } from '../src/cli/commands/train.ts';

const [dir = '/tmp/genlab-flows-img', model = 'glow', set = 'mnist', stepsArg = '1500', batchArg = '64', seedArg = '0', overrides = ''] = process.argv.slice(2);
const steps = Number(stepsArg);
const batch = Number(batchArg);
const seed = Number(seedArg);
mkdirSync(dir, { recursive: true });

const family = getModel(model);
// key=value entries as `genlab train --config` reads them: family keys to the model, the rest training settings (warmup, clipGrad, ema, lr, ...)
const split = splitOverrides(model, Object.fromEntries(overrides.split(',').filter(Boolean).map((kv) => kv.split('=') as [string, string])));
const modelConfig = resolveConfig(family, split.modelConfig);
const train = resolveTrainConfig(family.trainDefaults, { steps, batch, seed }, split.train);
const config: RunConfig = { version: 1, model, modelConfig, data: dataInfo(set), train, createdAt: new Date().toISOString() };

const data = await loadData(set, { seed });
const shape = data.info.shape;
const toU8 = (x: Tensor) => torch.scope(() => Buffer.from(x.mul(255).round().to('uint8').contiguous().toTypedArray() as Uint8Array));
for (const [split, x] of [['train', data.train], ['test', data.test]] as const) {
  const p = join(dir, `${set}-${split}.u8`);
  if (!existsSync(p)) writeFileSync(p, toU8(x));
}
const n = data.train.size(0);
const stepsPerEpoch = Math.floor(n / Math.min(batch, n));
const epochs = Math.ceil(steps / stepsPerEpoch);

const m = buildModel(config);
const sd = m.modules.flow!.stateDict();
saveSafetensors(join(dir, `${model}-${set}-init.safetensors`), Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, v.contiguous()])));
writeFileSync(
  join(dir, `${model}-${set}.json`),
  JSON.stringify(
    {
      model,
      data: set,
      modelConfig,
      train,
      shape,
      trainSize: n,
      testSize: data.test.size(0),
      stepsPerEpoch,
      dataSeeds: Array.from({ length: epochs }, (_, e) => deriveSeed(seed, 'data', e)),
      stepSeeds: Array.from({ length: steps }, (_, s) => deriveSeed(seed, 'step', s)),
      lrs: Array.from({ length: steps }, (_, s) => learningRate(train, s)),
      threads: torch.getNumThreads(),
    },
    null,
    1,
  ),
);
m.dispose?.();
console.log(`wrote ${model}-${set} (${n} train, ${data.test.size(0)} test, ${steps} steps of ${batch}, ${Object.keys(sd).length} tensors) to ${dir}`);
