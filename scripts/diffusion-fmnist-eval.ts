/**
 * Fréchet distance (toolkit classifier features, src/metrics) and pictures of an image diffusion run:
 *   OMP_NUM_THREADS=1 npx tsx scripts/diffusion-fmnist-eval.ts runs/edm-fmnist [n=500] [outDir=docs/img]
 * Samples n images (classes cycling 0..9, seeded per sample) with Heun 18 steps and DDIM 50 steps (and
 * Heun 18 with guidance 2), computes FD against 5000 test images, and the FD of n real training images
 * as the floor at this sample size. Writes <run>-heun18.png, <run>-guidance.png (guidance 1 vs 3)
 * and <run>-denoising.png (the denoised estimate D(x, σ) of 8 samples along the 18 Heun steps).
 */
import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { torch, type Tensor } from '../src/tensor/index.ts';
import { openRun, loadData } from '../src/train/index.ts';
import '../src/models/index.ts';
import { fid, loadFeatureClassifier } from '../src/metrics/index.ts';
import { imageGrid } from '../src/io/image.ts';
import { composeSideBySide } from '../src/io/plot.ts';
import type { DiffusionInstance, DiffusionSampleOptions } from '../src/models/diffusion/index.ts';

const [runPath = 'runs/edm-fmnist', nArg = '500', out = 'docs/img'] = process.argv.slice(2);
const n = Number(nArg);
mkdirSync(out, { recursive: true });
torch.setNumThreads(Number(process.env.THREADS ?? 1));
const opened = openRun(runPath);
const m = opened.model as DiffusionInstance;
const name = basename(opened.run.dir);
const data = await loadData(opened.config.data.name, { seed: 0 });
const real = data.test.narrow(0, 0, 5000);
const clf = loadFeatureClassifier();

function draw(count: number, o: DiffusionSampleOptions, offset = 0): Tensor {
  const parts: Tensor[] = [];
  for (let i = 0; i < count; i += 100) {
    const k = Math.min(100, count - i);
    const seeds = Array.from({ length: k }, (_, j) => 1000 + offset + i + j);
    const labels = seeds.map((s) => s % 10);
    const t0 = performance.now();
    parts.push(torch.scope(() => m.sample(k, { ...o, seeds, labels })).keep());
    process.stderr.write(`  ${o.sampler} ${o.steps}: ${i + k}/${count} (${((performance.now() - t0) / 1000).toFixed(1)} s per 100)\n`);
  }
  const x = torch.cat(parts, 0);
  parts.forEach((p) => p.dispose());
  return x;
}

const results: Record<string, number> = {};
const floorImgs = data.train.narrow(0, 0, n);
results[`real train images (n=${n}), the floor`] = fid(real, floorImgs, { classifier: clf });
const heun = draw(n, { sampler: 'heun', steps: 18 });
results['Heun, 18 steps (35 NFE), guidance 1'] = fid(real, heun, { classifier: clf });
console.log(JSON.stringify(results));
const ddim = draw(n, { sampler: 'ddim', steps: 50 });
results['DDIM (eta 0), 50 steps, guidance 1'] = fid(real, ddim, { classifier: clf });
console.log(JSON.stringify(results));
imageGrid(heun.narrow(0, 0, Math.min(100, n)), { nrow: 10, range: [0, 1], scale: 2 }).savePng(join(out, `${name}-heun18.png`));

// Guidance: the same seeds and labels at scales 1 and 3.
const ng = Math.min(40, n);
const g1 = heun.narrow(0, 0, ng);
const g3 = draw(ng, { sampler: 'heun', steps: 18, guidance: 3 });
composeSideBySide([imageGrid(g1, { nrow: 10, range: [0, 1], scale: 2 }), imageGrid(g3, { nrow: 10, range: [0, 1], scale: 2 })], { gap: 10, labels: ['guidance 1', 'guidance 3'] }).savePng(join(out, `${name}-guidance.png`));

// The denoising path: D(x, σ) of 8 samples at each of the 18 Heun steps.
const path: Tensor[] = [];
torch.scope(() =>
  m.sample(8, { sampler: 'heun', steps: 18, seeds: [1, 2, 3, 4, 5, 6, 7, 8], labels: [0, 1, 2, 3, 5, 7, 8, 9], callback: (_x, _i, _s, _sn, d) => { path.push(m.fromModel(d).keep()); } }),
);
const frames = torch.stack(path, 1).reshape([8 * path.length, 1, 28, 28]);
imageGrid(frames, { nrow: path.length, range: [0, 1], scale: 2 }).savePng(join(out, `${name}-denoising.png`));
console.log(`step ${opened.step} (${opened.ema ? 'EMA' : 'raw'} weights), FD on classifier features vs 5000 test images, ${n} samples:`);
for (const [k, v] of Object.entries(results)) console.log(`| ${k} | ${v.toFixed(2)} |`);
