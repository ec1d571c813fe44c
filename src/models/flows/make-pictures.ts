/**
 * Makes the flow pictures of docs/img:
 *   npx tsx src/models/flows/make-pictures.ts [outDir=docs/img] [imageRun]
 * - flows-realnvp-moons.png: data, RealNVP's density (heat map) and its samples, side by side;
 * - flows-trajectory.png / .gif: base samples moving through RealNVP's layers (Flow.inverseAll);
 * - flows-cnf-trajectory.png: base samples along a CNF's ODE from t = 1 (noise) to t = 0 (data);
 * - flows-<model>-<data>-temperatures.png (when an image run folder is given, e.g. runs/glow-fashion-mnist):
 *   samples at temperatures 0.5, 0.7 and 1.0.
 * Trains the two 2D models for a few seconds first (seeded; about 30 s on 2 cores in all).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { torch } from '../../tensor/index.ts';
import { getModel, resolveConfig } from '../registry.ts';
import { toy2d } from '../../data/toy2d.ts';
import { openRun } from '../../train/session.ts';
import { fit } from './fit.ts';
import './models.ts';
import { densityPanels, flowOf, flowTrajectory, temperatureGrids, trajectoryBounds, writeTrajectory } from './pictures.ts';

const [out = 'docs/img', imageRun] = process.argv.slice(2);
mkdirSync(out, { recursive: true });
const info = { name: 'moons', kind: '2d' as const, shape: [2] };
const train = toy2d.moons!.sample(10_000, new torch.Generator({ seed: 1 })).keep();
const written: string[] = [];

// RealNVP on moons: density next to data and samples; the layer trajectory.
{
  torch.manualSeed(0);
  const fam = getModel('realnvp');
  const m = fam.create(resolveConfig(fam, {}), info);
  const r = fit(m, train, { steps: 2000, batch: 256, lr: 1e-3 });
  console.log(`realnvp on moons: ${r.seconds.toFixed(1)} s, final NLL ${r.finalLoss.toFixed(3)}`);
  torch.manualSeed(1);
  densityPanels(m, train, { bounds: [-1.6, 2.6, -1.6, 2.6], size: 220, title: 'RealNVP density' }).savePng(join(out, 'flows-realnvp-moons.png'));
  written.push(join(out, 'flows-realnvp-moons.png'));
  torch.scope(() => {
    torch.manualSeed(2);
    const { frames, labels } = flowTrajectory(flowOf(m)!, { n: 1500 });
    written.push(...writeTrajectory(frames, labels, join(out, 'flows-trajectory.gif'), { stripPath: join(out, 'flows-trajectory.png'), size: 200, stripSize: 140, delayMs: 350 }));
  });
  m.dispose?.();
}

// CNF (FFJORD-style, RK4) on moons: the ODE trajectory.
{
  torch.manualSeed(0);
  const fam = getModel('cnf');
  const m = fam.create(resolveConfig(fam, { hidden: 32, steps: 8 }), info);
  const r = fit(m, train, { steps: 400, batch: 256, lr: 3e-3 });
  console.log(`cnf on moons: ${r.seconds.toFixed(1)} s, final NLL ${r.finalLoss.toFixed(3)}`);
  torch.scope(() => {
    torch.manualSeed(2);
    const { frames, labels } = flowTrajectory(flowOf(m)!, { n: 1500, frames: 16 });
    const bounds = trajectoryBounds([frames[0]!, frames[frames.length - 1]!]);
    const [, strip] = writeTrajectory(frames, labels, join(out, 'flows-cnf-trajectory.gif'), { stripPath: join(out, 'flows-cnf-trajectory.png'), size: 160, stripSize: 140, maxStrip: 7, bounds });
    written.push(strip!);
  });
  m.dispose?.();
}

// Glow samples at three temperatures from a trained image run.
if (imageRun) {
  const opened = openRun(imageRun);
  try {
    const c = temperatureGrids(opened.model, [0.5, 0.7, 1.0], { n: 36, nrow: 6, scale: 2, seed: 0, range: opened.config.data.range ?? [0, 1] });
    const p = join(out, `flows-${opened.config.model}-${opened.config.data.name}-temperatures.png`);
    c.savePng(p);
    written.push(p);
  } finally {
    opened.dispose();
  }
}
train.dispose();
for (const p of written) console.log(`wrote ${p}`);
