/**
 * Writes what bench/reference/latent.py needs to train the same latent-variable model as
 * `genlab train <model> --data <set> --steps S --batch B --seed K --config <overrides>` does, step
 * for step (vae, iwae, gumbel-vae, vqvae, vqvae-prior: bench/reference/latent.py, the prior's json also holding
 * the config of the vqvae run it models and the seed of genlab's Fréchet-distance samples; vqgan:
 * bench/reference/vqgan_stage1.py). Overrides that name a training setting (lr, betas as b1;b2, ...) go to the
 * training config, the others to the model config:
 *   <dir>/<set>-train.u8, <set>-test.u8       pixels 0..255, [N, C, H, W] row-major
 *   <dir>/<name>.json                          model and train config, per-epoch data seeds, per-step
 *                                              noise seeds, learning rates (and temperatures)
 *   <dir>/<name>-init.safetensors              initial weights and buffers, `<module>.<name>`
 * The same initial weights, data order (torch.randperm from the same generator seeds) and per-step
 * noise (torch.manual_seed(step seed) before the step's draws, in the same order) leave only
 * floating-point rounding between the two runs.
 *
 *   npx tsx bench/latent_export.ts <dir> <name> <model> <set> <steps> <batch> [seed=0] [key=value,...]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { torch, type Tensor } from '../src/tensor/index.ts';
import { getModel, resolveConfig } from '../src/models/index.ts';
import { resolveTrainConfig, learningRate, DEFAULT_TRAIN_CONFIG } from '../src/train/config.ts';
import { dataInfo, loadData } from '../src/train/data.ts';
import { buildModel } from '../src/train/session.ts';
import { deriveSeed } from '../src/train/seed.ts';
import { saveSafetensors } from '../src/io/safetensors.ts';
import { gumbelTemperature } from '../src/distributions/index.ts';
import type { RunConfig } from '../src/train/run.ts';

const [dir, name, model, set, stepsArg, batchArg, seedArg = '0', overrides = ''] = process.argv.slice(2);
if (!dir || !name || !model || !set || !stepsArg || !batchArg) {
  console.error('usage: npx tsx bench/latent_export.ts <dir> <name> <model> <set> <steps> <batch> [seed] [key=value,...]');
  process.exit(2);
}
const steps = Number(stepsArg);
const batch = Number(batchArg);
const seed = Number(seedArg);
mkdirSync(dir, { recursive: true });

const family = getModel(model);
const pairs = overrides.split(/,(?=[A-Za-z]+=)/).filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as [string, string]);
const isTrain = ([k]: [string, string]) => k in DEFAULT_TRAIN_CONFIG;
const modelConfig = resolveConfig(family, Object.fromEntries(pairs.filter((p) => !isTrain(p))));
const trainOverrides = Object.fromEntries(pairs.filter(isTrain).map(([k, v]) => [k, k === 'betas' ? v.split(';').map(Number) : typeof (DEFAULT_TRAIN_CONFIG as unknown as Record<string, unknown>)[k] === 'number' ? Number(v) : v]));
const train = resolveTrainConfig(family.trainDefaults, trainOverrides, { steps, batch, seed });
const config: RunConfig = { version: 1, model, modelConfig, data: dataInfo(set), train, createdAt: new Date().toISOString() };

const data = await loadData(set, { seed });
const toU8 = (x: Tensor) => torch.scope(() => Buffer.from(x.mul(255).round().to('uint8').contiguous().toTypedArray() as Uint8Array));
for (const [split, x] of [['train', data.train], ['test', data.test]] as const) {
  const p = join(dir, `${set}-${split}.u8`);
  if (!existsSync(p)) writeFileSync(p, toU8(x));
}
const n = data.train.size(0);
const stepsPerEpoch = Math.floor(n / Math.min(batch, n));
const epochs = Math.ceil(steps / stepsPerEpoch);

const m = buildModel(config);
const tensors: Record<string, Tensor> = {};
for (const [mn, mod] of Object.entries(m.modules)) for (const [k, v] of Object.entries(mod.stateDict())) tensors[`${mn}.${k}`] = v.contiguous();
saveSafetensors(join(dir, `${name}-init.safetensors`), tensors);
const mc = modelConfig as Record<string, number>;
// The prior's twin builds its own VQ-VAE (trained by latent.py --save) with the config of the genlab run it models,
// and draws its Fréchet-distance samples from the seed genlab's `eval --fd-samples` uses at temperature 1.
// (buildModel above already opened that run, so its config.json exists.)
const vqRunDir = model === 'vqvae-prior' ? [String(modelConfig.vqvae), resolve('runs', String(modelConfig.vqvae))].find((p) => existsSync(join(p, 'config.json'))) : undefined;
const prior = vqRunDir ? { vqConfig: (JSON.parse(readFileSync(join(vqRunDir, 'config.json'), 'utf8')) as RunConfig).modelConfig, fdSeed: deriveSeed(seed, 'fd', 1000) } : {};
writeFileSync(
  join(dir, `${name}.json`),
  JSON.stringify(
    {
      model,
      data: set,
      modelConfig,
      train,
      shape: data.info.shape,
      trainSize: n,
      testSize: data.test.size(0),
      stepsPerEpoch,
      dataSeeds: Array.from({ length: epochs }, (_, e) => deriveSeed(seed, 'data', e)),
      stepSeeds: Array.from({ length: steps }, (_, s) => deriveSeed(seed, 'step', s)),
      lrs: Array.from({ length: steps }, (_, s) => learningRate(train, s)),
      ...prior,
      temperatures: model === 'gumbel-vae' ? Array.from({ length: steps }, (_, s) => gumbelTemperature(s, { initial: mc.tau0, min: mc.tauMin, rate: mc.tauRate, every: mc.tauEvery })) : undefined,
    },
    null,
    1,
  ),
);
m.dispose?.();
console.log(`wrote ${name}: ${model} on ${set} (${n} train, ${data.test.size(0)} test, ${steps} steps of ${batch}, ${Object.keys(tensors).length} tensors) to ${dir}`);
