/**
 * Side-by-side sample grids of image diffusion runs, drawn from the same per-sample seeds and labels
 * (so panels of two runs trained from the same initial weights show the same noise's images):
 *   OMP_NUM_THREADS=1 npx tsx scripts/diffusion-image-grids.ts <out.png> <label>=<run>[@sampler:steps] ...
 * Each panel: 100 samples, 10 per row, classes in columns for class-conditional runs.
 */
import { torch } from '../src/tensor/index.ts';
import { openRun } from '../src/train/index.ts';
import '../src/models/index.ts';
import { imageGrid } from '../src/io/image.ts';
import { composeSideBySide } from '../src/io/plot.ts';
import type { DiffusionInstance } from '../src/models/diffusion/index.ts';

const [out, ...specs] = process.argv.slice(2);
if (!out || !out.endsWith('.png') || specs.length === 0) {
  console.error('usage: npx tsx scripts/diffusion-image-grids.ts <out.png> <label>=<run>[@sampler:steps] ...');
  process.exit(2);
}
torch.setNumThreads(Number(process.env.THREADS ?? 1));
const n = Number(process.env.N ?? 100);
const panels = [];
const labels: string[] = [];
for (const spec of specs) {
  const eq = spec.indexOf('=');
  if (eq < 1) throw new Error(`'${spec}': give <label>=<run>[@sampler:steps]`);
  const label = spec.slice(0, eq);
  const [run, how] = spec.slice(eq + 1).split('@') as [string, string | undefined];
  const [sampler, stepsArg] = (how ?? '').split(':');
  const opened = openRun(run);
  try {
    const m = opened.model as DiffusionInstance;
    const seeds = Array.from({ length: n }, (_, i) => 1000 + i);
    const c0 = process.cpuUsage();
    const x = torch.scope(() =>
      m.sample(n, {
        seeds,
        ...(m.numClasses > 0 ? { labels: seeds.map((s) => s % m.numClasses) } : {}),
        ...(sampler ? { sampler } : {}),
        ...(stepsArg ? { steps: Number(stepsArg) } : {}),
      }),
    );
    const cpu = process.cpuUsage(c0);
    panels.push(imageGrid(x, { nrow: 10, range: [0, 1], scale: 2 }));
    x.dispose();
    labels.push(label);
    console.log(`${label}: ${opened.run.dir} step ${opened.step} (${opened.ema ? 'EMA' : 'raw'}), ${sampler || m.config.sampler} ${stepsArg || m.config.steps} steps, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} CPU s for ${n}`);
  } finally {
    opened.dispose();
  }
}
composeSideBySide(panels, { gap: 12, labels }).savePng(out);
console.log(`wrote ${out}`);
