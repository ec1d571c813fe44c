/**
 * What the playground draws of a 2D model while it trains, computed from the registry's generic
 * interface: samples (every family), the density on a grid (families with logProb), and trajectories
 * from noise to data (flows: through the layers or along a CNF's ODE). Plain arrays, so they travel
 * from the training worker to the page as JSON; the page has no per-family code.
 */
import { torch, type Tensor } from '../tensor/index.ts';
import type { ModelInstance } from '../models/registry.ts';
import { evalOnGrid, type Bounds } from '../io/plot.ts';
import { flowOf, flowTrajectory } from '../models/flows/pictures.ts';

export interface View2D {
  step: number;
  total: number;
  loss: number | null;
  /** [x0, x1, y0, y1] */
  bounds: Bounds;
  /** Flat [x, y, x, y, ...]. */
  samples: number[];
  /** Grid of log densities, row-major from the top row (y = y1) down, `grid` x `grid`; null without logProb. */
  density: { grid: number; logp: number[] } | null;
  /** Points along the way from noise to data, one flat [x, y, ...] array per frame; null when the family has none. */
  trajectory: { frames: number[][]; labels: string[] } | null;
}

const round = (a: ArrayLike<number>, digits = 4): number[] => {
  const f = 10 ** digits;
  const out = new Array<number>(a.length);
  for (let i = 0; i < a.length; i++) out[i] = Number.isFinite(a[i]!) ? Math.round(a[i]! * f) / f : NaN;
  return out;
};

/** Computes the picture of a model at a step (no grad; tensors freed). */
export function view2d(model: ModelInstance, o: { step: number; total: number; loss: number | null; bounds: Bounds; samples?: number; grid?: number; paths?: number }): View2D {
  return torch.noGrad(() =>
    torch.scope(() => {
      const n = o.samples ?? 600;
      const x = model.sample(n).detach().to('float32').cpu();
      const samples = round(x.toFlatArray());
      let density: View2D['density'] = null;
      if (model.logProb) {
        const g = o.grid ?? 64;
        density = { grid: g, logp: round(evalOnGrid((xy) => model.logProb!(xy), o.bounds, g), 3) };
      }
      let trajectory: View2D['trajectory'] = null;
      const flow = flowOf(model);
      if (flow) {
        const { frames, labels } = flowTrajectory(flow, { n: o.paths ?? 48, frames: 10 });
        trajectory = { frames: frames.map((f) => round(f.detach().to('float32').cpu().toFlatArray(), 3)), labels };
      }
      return { step: o.step, total: o.total, loss: o.loss, bounds: o.bounds, samples, density, trajectory };
    }),
  );
}
