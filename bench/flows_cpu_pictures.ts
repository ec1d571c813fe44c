/**
 * Pictures of the CPU image-flow runs (examples/flows-images-cpu.sh): the training bits/dim of the
 * genlab runs beside their PyTorch twins, and each run's sample grids over training side by side.
 *
 *   npx tsx bench/flows_cpu_pictures.ts <work dir> <out dir> [set ...]
 * reads, per set, <work>/runs/glow-cpu-<set>/ (the genlab run: metrics.jsonl, samples/step-*.png)
 * and <work>/torch-<set>.json (bench/reference/flows_images.py's JSON line), and writes
 * <out>/flows-glow-cpu-loss.png and <out>/flows-glow-<set>-cpu-training.png.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeSideBySide, lineChart, type Series } from '../src/io/plot.ts';

const [work = '/tmp/flows-cpu', out = 'docs/img', ...given] = process.argv.slice(2);
const sets = given.length ? given : ['mnist', 'fashion-mnist'];
const label: Record<string, string> = { mnist: 'MNIST', 'fashion-mnist': 'Fashion-MNIST' };
const colors = { mnist: ['#1f77b4', '#9ecae1'], 'fashion-mnist': ['#d62728', '#fc9272'] } as Record<string, [string, string]>;

const series: Series[] = [];
for (const set of sets) {
  const run = join(work, 'runs', `glow-cpu-${set}`);
  if (!existsSync(join(run, 'metrics.jsonl'))) {
    console.error(`skipping ${set}: no ${run}/metrics.jsonl`);
    continue;
  }
  const recs = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; bpd: number });
  series.push({ name: `genlab ${label[set]}`, x: recs.map((r) => r.step), values: recs.map((r) => r.bpd), color: colors[set]?.[0] });
  const torchPath = join(work, `torch-${set}.json`);
  if (existsSync(torchPath)) {
    const line = readFileSync(torchPath, 'utf8').split('\n').filter((l) => l.startsWith('{')).pop()!;
    const log = (JSON.parse(line) as { log: [number, number][] }).log;
    series.push({ name: `PyTorch ${label[set]}`, x: log.map((r) => r[0]), values: log.map((r) => r[1]), color: colors[set]?.[1] });
  }
  const samples = join(run, 'samples');
  const steps = readdirSync(samples).filter((f) => /^step-\d+\.png$/.test(f)).sort();
  if (steps.length) {
    const path = join(out, `flows-glow-${set}-cpu-training.png`);
    composeSideBySide(steps.map((f) => join(samples, f)), { gap: 10, labels: steps.map((f) => `step ${Number(f.slice(5, -4))}`) }).savePng(path);
    console.log(`wrote ${path}`);
  }
}
if (series.length) {
  const path = join(out, 'flows-glow-cpu-loss.png');
  // after the first 100 steps (6 bits/dim falling to 2) the curves are readable on a linear axis
  const cut = (s: Series): Series => {
    const keep = s.x!.map((x, i) => (x >= 100 ? i : -1)).filter((i) => i >= 0);
    return { ...s, x: keep.map((i) => s.x![i]!), values: keep.map((i) => s.values[i]!) };
  };
  lineChart(path, series.map(cut), { title: 'Glow on CPU: training bits/dim (mean of 10 steps), genlab and its PyTorch twin', xLabel: 'step', yLabel: 'bits/dim' });
  console.log(`wrote ${path}`);
}
