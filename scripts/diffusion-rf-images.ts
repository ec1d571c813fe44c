/**
 * Rectified flow on images: Fréchet distance (toolkit classifier features, the code of
 * `genlab eval --fd-samples`) against Euler steps for a 1-RF teacher and its reflow / distilled
 * students (genlab- or PyTorch-trained), the quality-vs-steps curve and a grid of the same noise
 * through each model:
 *   OMP_NUM_THREADS=1 npx tsx scripts/diffusion-rf-images.ts <out-prefix> <label>=<run> ... [--n 1000]
 * A run whose config has stage=distill is scored at 1 step (the one-step map it learned); the
 * others at 1, 2, 4, 8, 16 steps. Writes <out-prefix>-steps.png, <out-prefix>-grid.png and prints a
 * markdown table with the CPU seconds of each row.
 */
import { torch } from '../src/tensor/index.ts';
import { openRun, loadData } from '../src/train/index.ts';
import { sampleFrechetDistances } from '../src/train/evaluate.ts';
import '../src/models/index.ts';
import { imageGrid } from '../src/io/image.ts';
import { lineChart } from '../src/io/plot.ts';
import { flag } from '../bench/args.ts';
import type { DiffusionInstance } from '../src/models/diffusion/index.ts';

const args = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
const [prefix, ...specs] = args;
if (!prefix || specs.length === 0) {
  console.error('usage: npx tsx scripts/diffusion-rf-images.ts <out-prefix> <label>=<run> ... [--n 1000]');
  process.exit(2);
}
const n = Number(flag('n', '1000'));
const STEPS = [1, 2, 4, 8, 16];
torch.setNumThreads(Number(process.env.THREADS ?? 1));

const rows: string[] = ['| model | run | steps | FD | CPU s (sampling + features) |', '|---|---|---|---|---|'];
const curves: { name: string; x: number[]; values: number[] }[] = [];
const gridRows: ReturnType<typeof torch.zeros>[] = [];
const gridLabels: string[] = [];
const seeds = Array.from({ length: 10 }, (_, i) => 1000 + i);
let test: ReturnType<typeof torch.zeros> | null = null;
for (const spec of specs) {
  const eq = spec.indexOf('=');
  if (eq < 1) throw new Error(`'${spec}': give <label>=<run>`);
  const label = spec.slice(0, eq);
  const opened = openRun(spec.slice(eq + 1));
  try {
    const m = opened.model as DiffusionInstance;
    const cfg = opened.config.modelConfig as { stage?: string };
    if (!test) test = (await loadData(opened.config.data.name, { seed: 0, testOnly: true })).test.keep();
    const steps = cfg.stage === 'distill' ? [1] : STEPS;
    const fds: number[] = [];
    for (const s of steps) {
      const c0 = process.cpuUsage();
      const fd = sampleFrechetDistances(m, test, { count: n, temperatures: [1], seed: opened.config.train.seed, range: opened.config.data.range, sampleOptions: { sampler: 'euler', steps: s } }).fd!;
      const cpu = process.cpuUsage(c0);
      fds.push(fd);
      rows.push(`| ${label} | ${opened.run.name} (step ${opened.step}, ${opened.ema ? 'EMA' : 'raw'}) | ${s} | ${fd.toFixed(2)} | ${((cpu.user + cpu.system) / 1e6).toFixed(0)} |`);
      console.error(`${label} euler ${s}: FD ${fd.toFixed(2)}`);
      gridRows.push(torch.scope(() => m.sample(10, { seeds, sampler: 'euler', steps: s })).keep());
      gridLabels.push(`${label}, ${s} step${s > 1 ? 's' : ''}`);
    }
    curves.push({ name: label, x: steps.length === 1 ? STEPS : steps, values: steps.length === 1 ? STEPS.map(() => fds[0]!) : fds });
  } finally {
    opened.dispose();
  }
}
lineChart(`${prefix}-steps.png`, curves, { title: `Fashion-MNIST rectified flow: FD (classifier features, ${n} samples) vs Euler steps`, xLabel: 'Euler steps (one-step models drawn flat)', yLabel: 'FD', logY: true });
// The grid: each row the same 10 noises through one model at one step count (rows listed below).
imageGrid(torch.cat(gridRows, 0), { nrow: 10, range: [0, 1], scale: 2, padding: 2 }).savePng(`${prefix}-grid.png`);
console.log(`${prefix}-grid.png rows, top to bottom: ${gridLabels.join('; ')}`);
console.log(rows.join('\n'));
