/**
 * Fréchet distance, on the toolkit classifier's features, of images drawn elsewhere (the PyTorch twin
 * of a vqvae-prior run: bench/reference/latent.py --samples N writes them as raw float32 [N, 1, 28, 28]
 * in [0, 1]) against the held-out split of a genlab run's data set — the same code, test images and
 * batching as `genlab eval <run> --fd-samples N` (src/train/evaluate.ts, sampleFrechetDistances), so the
 * two numbers compare. With --real, also the distance of N training images (the floor for N samples).
 * With --png <file>, writes the first 64 images as a grid.
 *
 *   npx tsx bench/latent_fd.ts <run> <samples.f32> [--real] [--png <file>]
 */
import { readFileSync, statSync } from 'node:fs';
import { torch, type Tensor } from '../src/tensor/index.ts';
import { RunDir, loadData } from '../src/train/index.ts';
import { sampleFrechetDistances } from '../src/train/evaluate.ts';
import { saveImageGrid } from '../src/io/image.ts';
import type { ModelInstance } from '../src/models/registry.ts';

const args = process.argv.slice(2);
const [runArg, file] = args;
if (!runArg || !file) {
  console.error('usage: npx tsx bench/latent_fd.ts <run> <samples.f32> [--real] [--png <file>]');
  process.exit(2);
}
const config = new RunDir(runArg).readConfig();
const shape = config.data.shape;
if (shape.join('x') !== '1x28x28') throw new Error(`latent_fd: the classifier scores 1x28x28 images; run ${runArg} models ${shape.join('x')} '${config.data.name}'`);
const per = 28 * 28 * 4;
const bytes = statSync(file).size;
if (bytes === 0 || bytes % per !== 0) throw new Error(`latent_fd: ${file} holds ${bytes} bytes, not a whole number of float32 1x28x28 images (${per} bytes each)`);
const count = bytes / per;
const buf = readFileSync(file);
const images = torch.tensor(new Float32Array(buf.buffer, buf.byteOffset, bytes / 4)).reshape([count, 1, 28, 28]).keep();
const lo = images.min().item();
const hi = images.max().item();
if (!(lo >= 0 && hi <= 1)) throw new Error(`latent_fd: ${file}: pixels must lie in [0, 1], found ${lo}..${hi}`);
const range = config.data.range as [number, number] | undefined;
const [rlo, rhi] = range ?? [0, 1];
const seed = config.train.seed;
// As evaluateRun loads them.
const data = await loadData(config.data.name, { seed, testSize: 2000, testOnly: !args.includes('--real') });
let offset = 0;
const fileModel = {
  modules: {},
  parameters: () => [],
  loss: () => {
    throw new Error('latent_fd: not a trainable model');
  },
  sample: (n: number): Tensor => {
    const x = images.narrow(0, offset, n);
    offset += n;
    return rlo === 0 && rhi === 1 ? x : x.mul(rhi - rlo).add(rlo);
  },
} as unknown as ModelInstance;
const out: Record<string, number | string> = { file, samples: count, heldOut: data.test.size(0) };
out.fd = sampleFrechetDistances(fileModel, data.test, { count, temperatures: [1], seed, range }).fd!;
if (args.includes('--real')) {
  let o = 0;
  const real = { ...fileModel, sample: (n: number) => data.train.narrow(0, (o += n) - n, n) } as ModelInstance;
  out.fdRealTrain = sampleFrechetDistances(real, data.test, { count, temperatures: [1], seed, range }).fd!;
}
const pi = args.indexOf('--png');
if (pi >= 0 && args[pi + 1]) {
  saveImageGrid(args[pi + 1]!, images.narrow(0, 0, Math.min(64, count)), { nrow: 8, scale: 2 });
  out.png = args[pi + 1]!;
}
console.log(JSON.stringify(out));
