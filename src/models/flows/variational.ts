/**
 * Flows as variational posteriors (Rezende & Mohamed 2015, sec. 6.1): fit q(z) to an unnormalized
 * target p(z) ∝ exp(-U(z)) by minimizing KL(q‖p) = E_q[log q(z) + U(z)] + log Z with reparameterized
 * samples z = f(z₀), z₀ ~ N(0, I). The four 2D energy functions of the paper's Figure 3 are here.
 * Planar and radial layers are wrapped in `Invert` so that sampling runs the paper's analytic maps.
 */
import { torch, type Tensor } from '../../tensor/index.ts';
import { Adam } from '../../optim/index.ts';
import { Flow } from './flow.ts';
import { StandardNormal } from './base.ts';
import type { Bijector } from './bijector.ts';
import { Invert } from './bijectors/invert.ts';
import { Planar } from './bijectors/planar.ts';
import { Radial } from './bijectors/radial.ts';
import { SplineCoupling } from './bijectors/spline-coupling.ts';
import { Reverse } from './bijectors/permutation.ts';
import { MLP } from './nets.ts';
import { halfMask } from './masks.ts';

/** An energy U(z) for z of shape [B, 2], returning [B]. */
export type Energy = (z: Tensor) => Tensor;

const w1 = (z: Tensor) => z.select(1, 0).mul(Math.PI / 2).sin();
const w2 = (z: Tensor) => z.select(1, 0).sub(1).div(0.6).square().mul(-0.5).exp().mul(3);
const w3 = (z: Tensor) => z.select(1, 0).sub(1).div(0.3).sigmoid().mul(3);
/** -log(exp(-a) + exp(-b)), stably. */
const negLogSumExp = (a: Tensor, b: Tensor) => torch.stack([a.neg(), b.neg()], 1).logsumexp(1).neg();

/** The four energies U1..U4 of Rezende & Mohamed (2015), Table 1. */
export const energies: Record<'u1' | 'u2' | 'u3' | 'u4', Energy> = {
  u1: (z) => {
    const z1 = z.select(1, 0);
    const ring = z.norm(2, [1]).sub(2).div(0.4).square().mul(0.5);
    return ring.add(negLogSumExp(z1.sub(2).div(0.6).square().mul(0.5), z1.add(2).div(0.6).square().mul(0.5)));
  },
  u2: (z) => z.select(1, 1).sub(w1(z)).div(0.4).square().mul(0.5),
  u3: (z) => {
    const d = z.select(1, 1).sub(w1(z));
    return negLogSumExp(d.div(0.35).square().mul(0.5), d.add(w2(z)).div(0.35).square().mul(0.5));
  },
  u4: (z) => {
    const d = z.select(1, 1).sub(w1(z));
    return negLogSumExp(d.div(0.4).square().mul(0.5), d.add(w3(z)).div(0.35).square().mul(0.5));
  },
};

/** A 2D variational flow of K layers: 'planar' | 'radial' (Invert-wrapped) or 'spline' couplings. */
export function variationalFlow(kind: 'planar' | 'radial' | 'spline', K: number): Flow {
  const bs: Bijector[] = [];
  for (let i = 0; i < K; i++) {
    if (kind === 'planar') bs.push(new Invert(new Planar(2, { initScale: 0.5 })));
    else if (kind === 'radial') bs.push(new Invert(new Radial(2)));
    else {
      bs.push(new SplineCoupling(halfMask(2, 0), new MLP(2, 2 * SplineCoupling.paramsPerDim(8), { hidden: [32, 32] }), { bins: 8, bound: 5 }));
      bs.push(new Reverse(2));
    }
  }
  return new Flow(new StandardNormal([2]), bs);
}

export interface VariationalOptions {
  steps: number;
  batch?: number;
  lr?: number;
  /** Anneal the energy's weight from 0.01 to 1 over this many first steps (the paper's β schedule). */
  anneal?: number;
}

/**
 * Minimizes the KL estimate mean(log q(z) + U(z)) over reparameterized samples; returns the
 * per-step estimates of KL(q‖p) - log Z (unannealed).
 */
export function fitVariational(flow: Flow, energy: Energy, o: VariationalOptions): number[] {
  const opt = new Adam(flow.parameters(), { lr: o.lr ?? 1e-2 });
  const history: number[] = [];
  for (let step = 0; step < o.steps; step++) {
    const beta = o.anneal ? Math.min(1, 0.01 + step / o.anneal) : 1;
    history.push(
      torch.scope(() => {
        const { x, logProb } = flow.sampleWithLogProb(o.batch ?? 256);
        const u = energy(x);
        const loss = logProb.add(u.mul(beta)).mean();
        opt.zeroGrad();
        loss.backward();
        opt.step();
        return logProb.add(u).mean().item();
      }),
    );
  }
  return history;
}
