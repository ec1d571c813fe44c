/**
 * 2D results and pictures of the diffusion families (docs/diffusion.md, docs/img/diffusion-*.png):
 *   OMP_NUM_THREADS=1 npx tsx scripts/diffusion-2d.ts [outDir=docs/img] [steps=2000] [data=moons]
 * Trains ddpm, vp, ve, edm, fm, cfm and rectified (1-RF) with the family defaults (Adam, constant lr,
 * seeded), then reflow (2-RF from 1-RF's pairs) and one-step distillation of 2-RF; prints a markdown
 * table of sliced Wasserstein-2 and squared MMD (2000 samples vs 2000 held-out points) per model and
 * sampler/steps, straightness of 1-RF vs 2-RF, and writes:
 * - diffusion-2d-samples.png: samples of every model (default sampler) beside the data;
 * - diffusion-2d-steps.png: sliced Wasserstein vs sampler steps (quality-vs-steps curves);
 * - diffusion-rf-trajectories.png: 1-RF (curved) vs 2-RF (straight) ODE paths, and the distilled one-step samples.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { torch, type Tensor } from '../src/tensor/index.ts';
import { toy2d } from '../src/data/toy2d.ts';
import { getModel, resolveConfig } from '../src/models/index.ts';
import { fit } from '../src/models/flows/fit.ts';
import { Adam } from '../src/optim/index.ts';
import { mmdRbf, slicedWasserstein } from '../src/metrics/index.ts';
import { boundsOf } from '../src/train/pictures.ts';
import { renderScatter, composeSideBySide, lineChart, type Bounds } from '../src/io/plot.ts';
import { drawPairs, flowTrajectory, straightness, flowMatchingError, type DiffusionInstance, type DiffusionSampleOptions } from '../src/models/diffusion/index.ts';

const [out = 'docs/img', stepsArg = '2000', dataName = 'moons'] = process.argv.slice(2);
const trainSteps = Number(stepsArg);
mkdirSync(out, { recursive: true });
torch.setNumThreads(Number(process.env.THREADS ?? 1));
const info = { name: dataName, kind: '2d' as const, shape: [2] };
const train = toy2d[dataName]!.sample(10_000, new torch.Generator({ seed: 1 })).keep();
const test = toy2d[dataName]!.sample(2000, new torch.Generator({ seed: 2 })).keep();
const bounds: Bounds = boundsOf(test);
const rows: string[] = ['| model | sampler | steps | NFE | sliced W2 | MMD² |', '|---|---|---|---|---|---|'];

function metrics(m: DiffusionInstance, o: DiffusionSampleOptions): { sw: number; mmd: number; x: Tensor } {
  return torch.scope(() => {
    const x = m.sample(2000, { ...o, generator: new torch.Generator({ seed: 11 }) });
    const sw = slicedWasserstein(x, test, 256, new torch.Generator({ seed: 3 })).item();
    const mmd = mmdRbf(x, test).item();
    return { sw, mmd, x: x.keep() };
  });
}
function row(model: string, sampler: string, steps: number, r: { sw: number; mmd: number }, nfe?: number): void {
  const n = nfe ?? (sampler === 'heun' || sampler === 'dpm2' || sampler === 'dpmpp-sde' ? 2 * steps - 1 : steps);
  rows.push(`| ${model} | ${sampler} | ${steps} | ${n} | ${r.sw.toFixed(4)} | ${r.mmd.toExponential(2)} |`);
}
function build(name: string, overrides: Record<string, unknown> = {}): DiffusionInstance {
  torch.manualSeed(0);
  const fam = getModel(name);
  return fam.create(resolveConfig(fam, overrides), info) as DiffusionInstance;
}

const models: Record<string, DiffusionInstance> = {};
const panels = [renderScatter([{ points: test, color: '#555555', alpha: 0.5, radius: 1.2 }], { bounds, size: 200, title: 'data', axes: false })];
const curves: Record<string, { x: number[]; sw: number[] }> = {};
for (const name of ['ddpm', 'vp', 've', 'edm', 'fm', 'cfm', 'rectified']) {
  const m = build(name);
  const r = fit(m, train, { steps: trainSteps, batch: 256, lr: 2e-3, seed: 0 });
  console.log(`${name}: trained ${trainSteps} steps in ${r.seconds.toFixed(1)} s, final loss ${r.finalLoss.toFixed(4)}`);
  models[name] = m;
  const c = m.config;
  const def = metrics(m, {});
  row(name, `${c.sampler} (default, ${c.sigmas})`, c.steps, def, c.sampler === 'heun' ? 2 * c.steps - 1 : c.steps);
  panels.push(renderScatter([{ points: def.x, color: '#1f77b4', alpha: 0.5, radius: 1.2 }], { bounds, size: 200, title: `${name}: ${c.sampler} ${c.steps}`, axes: false }));
  def.x.dispose();
  const plan: [string, number][] = name === 'ddpm' ? [['ddim', 50], ['heun', 18], ['ddpm', 1000]] : [['heun', 18], ['euler', 32], ['dpmpp-2m', 10], ['euler-ancestral', 100]];
  for (const [sampler, steps] of plan) {
    const r2 = metrics(m, { sampler, steps, ...(name === 'ddpm' || c.preconditioning === 'flow' ? { sigmas: 'uniform' } : {}) });
    r2.x.dispose();
    row(name, sampler, steps, r2);
  }
  if (name === 'edm' || name === 'fm' || name === 'vp') {
    for (const sampler of ['euler', 'heun', 'dpmpp-2m']) {
      const xs: number[] = [];
      const sw: number[] = [];
      for (const steps of [2, 4, 8, 16, 32]) {
        const r3 = metrics(m, { sampler, steps });
        r3.x.dispose();
        xs.push(sampler === 'heun' ? 2 * steps - 1 : steps);
        sw.push(r3.sw);
      }
      curves[`${name} ${sampler}`] = { x: xs, sw };
    }
  }
}
composeSideBySide(panels, { gap: 4 }).savePng(join(out, 'diffusion-2d-samples.png'));
lineChart(join(out, 'diffusion-2d-steps.png'), Object.entries(curves).map(([k, v]) => ({ name: k, x: v.x, values: v.sw })), {
  title: `${dataName}: sliced W2 vs denoiser evaluations (vp, edm: Karras sigmas; fm: uniform t)`, xLabel: 'denoiser evaluations (NFE)', yLabel: 'sliced W2', logY: true,
});

// Rectified flow: 1-RF -> pairs -> 2-RF (reflow) -> one-step distillation.
const rf1 = models.rectified!;
const pairs = drawPairs(rf1, 10_000, { sampler: 'heun', steps: 32, seed: 1234 });
pairs.z.keep();
pairs.x.keep();
const rf2 = build('rectified');
torch.scope(() => rf2.pre.net.loadStateDict(rf1.pre.net.stateDict()));
const pairFit = (m: DiffusionInstance, lossOf: (x0: Tensor, z: Tensor) => Tensor, steps: number) => {
  const g = new torch.Generator({ seed: 5 });
  const opt = new Adam(m.parameters(), { lr: 1e-3 });
  for (let s = 0; s < steps; s++) {
    torch.scope(() => {
      const idx = torch.randint(0, pairs.x.size(0), [256], { generator: g });
      const loss = lossOf(pairs.x.indexSelect(0, idx), pairs.z.indexSelect(0, idx));
      opt.zeroGrad();
      loss.backward();
      opt.step();
    });
  }
};
const t0 = performance.now();
pairFit(rf2, (x0, z) => flowMatchingError(rf2.pre, x0, z, torch.rand([x0.size(0)]), null), trainSteps);
console.log(`2-RF (reflow): ${((performance.now() - t0) / 1000).toFixed(1)} s`);
const distilled = build('rectified');
torch.scope(() => distilled.pre.net.loadStateDict(rf2.pre.net.stateDict()));
const sMax = distilled.schedule.sigmaMax;
pairFit(distilled, (x0, z) => distilled.pre.denoise(z.mul(sMax), sMax, null).sub(x0).square().mean(), trainSteps);

const rfCurves: Record<string, number[]> = { '1-RF': [], '2-RF': [], 'distilled 2-RF': [] };
const rfSteps = [1, 2, 4, 8, 16];
for (const [label, m] of [['1-RF', rf1], ['2-RF', rf2], ['distilled 2-RF', distilled]] as [string, DiffusionInstance][]) {
  for (const steps of rfSteps) {
    const r = metrics(m, { sampler: 'euler', steps, sigmas: 'uniform' });
    r.x.dispose();
    rfCurves[label]!.push(r.sw);
    row(label, 'euler (uniform t)', steps, r);
  }
}
const traj = (m: DiffusionInstance) => flowTrajectory(m, 500, 64, { seed: 21 });
const t1 = traj(rf1);
const t2 = traj(rf2);
const s1 = straightness(t1.frames, t1.times);
const s2 = straightness(t2.frames, t2.times);
console.log(`straightness: 1-RF ${s1.toFixed(4)}, 2-RF ${s2.toFixed(4)}`);
const trajBounds: Bounds = [Math.min(bounds[0], -3), Math.max(bounds[1], 3), Math.min(bounds[2], -3), Math.max(bounds[3], 3)];
const trajPanel = (fr: Tensor[], title: string) => {
  const k = 40;
  const path = torch.cat(fr.map((f) => f.narrow(0, 0, k)), 0);
  const ends = fr[fr.length - 1]!.narrow(0, 0, k);
  const starts = fr[0]!.narrow(0, 0, k);
  return renderScatter([
    { points: fr[fr.length - 1]!, color: '#cccccc', alpha: 0.5, radius: 1 },
    { points: path, color: '#1f77b4', alpha: 0.6, radius: 0.7 },
    { points: starts, color: '#2ca02c', alpha: 1, radius: 2 },
    { points: ends, color: '#d62728', alpha: 1, radius: 2 },
  ], { bounds: trajBounds, size: 300, title, axes: false });
};
const oneStep = metrics(distilled, { sampler: 'euler', steps: 1, sigmas: 'uniform' });
composeSideBySide([
  trajPanel(t1.frames, `1-RF: noise (green) -> sample (red), S ${s1.toFixed(3)}`),
  trajPanel(t2.frames, `2-RF (reflow): straightness ${s2.toFixed(4)}`),
  renderScatter([{ points: test, color: '#bbbbbb', alpha: 0.4, radius: 1 }, { points: oneStep.x, color: '#d62728', alpha: 0.5, radius: 1.1 }], { bounds: trajBounds, size: 300, title: `distilled: 1 step (SW ${oneStep.sw.toFixed(3)})`, axes: false }),
], { gap: 6 }).savePng(join(out, 'diffusion-rf-trajectories.png'));
lineChart(join(out, 'diffusion-rf-steps.png'), Object.entries(rfCurves).map(([k, v]) => ({ name: k, x: rfSteps, values: v })), {
  title: `${dataName}: rectified flow, sliced W2 vs Euler steps`, xLabel: 'Euler steps', yLabel: 'sliced W2', logY: true,
});
rows.push('', `Straightness (Liu et al. 2022, 64 Euler steps, 500 paths): 1-RF ${s1.toFixed(4)}, 2-RF ${s2.toFixed(4)}.`);
const md = rows.join('\n');
console.log(md);
writeFileSync(join(out, '..', `diffusion-2d-${dataName}.md`), md + '\n');
