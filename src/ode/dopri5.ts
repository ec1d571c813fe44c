/**
 * Adaptive Dormand–Prince 5(4) (Dormand & Prince 1980; Hairer, Nørsett & Wanner, "Solving ODEs I",
 * II.4): 5th-order solution, embedded 4th-order error estimate, FSAL, step-size control on the RMS
 * norm of err / (atol + rtol * max(|y0|, |y1|)) over every element of the state tuple.
 * Step decisions use plain numbers (no gradient), so backpropagating through the accepted steps is
 * backpropagation through the solver ("discretize-then-optimize").
 */
import { torch, type Tensor } from '../tensor/index.ts';
import { axpy } from './fixed.ts';
import type { SolveResult, State, VectorField } from './types.ts';

const C = [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1];
const A: number[][] = [
  [],
  [1 / 5],
  [3 / 40, 9 / 40],
  [44 / 45, -56 / 15, 32 / 9],
  [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
  [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
  [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
];
const B5 = [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0];
const B4 = [5179 / 57600, 0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40];
const E = B5.map((b, i) => b - B4[i]!);

export interface AdaptiveOptions {
  rtol?: number;
  atol?: number;
  /** First step size (default: Hairer's starting-step heuristic). */
  h0?: number;
  /** Give up after this many steps (accepted + rejected). */
  maxSteps?: number;
  onStep?: (t: number, y: State, h: number) => void;
}

/** RMS of x / scale over all elements of the tuple. */
function rmsNorm(xs: State, scale: State): number {
  return torch.scope(() => {
    let sum = 0;
    let n = 0;
    xs.forEach((x, i) => {
      sum += x.detach().div(scale[i]!).square().sum().item();
      n += x.numel();
    });
    return Math.sqrt(sum / Math.max(n, 1));
  });
}

function scales(y0: State, y1: State, rtol: number, atol: number): State {
  return y0.map((a, i) => torch.maximum(a.detach().abs(), y1[i]!.detach().abs()).mul(rtol).add(atol));
}

/** Integrates dy/dt = f(t, y) from t0 to t1 (either direction) with adaptive Dormand–Prince steps. */
export function solveDopri5(f: VectorField, y0: State, t0: number, t1: number, options: AdaptiveOptions = {}): SolveResult {
  const rtol = options.rtol ?? 1e-5;
  const atol = options.atol ?? 1e-6;
  const maxSteps = options.maxSteps ?? 10_000;
  const dir = Math.sign(t1 - t0) || 1;
  const span = Math.abs(t1 - t0);
  let nfe = 0;
  let accepted = 0;
  let rejected = 0;
  if (span === 0) return { y: y0, stats: { nfe, accepted, rejected } };

  let y = y0;
  let k1 = f(t0, y);
  nfe++;
  let h = options.h0 ?? torch.scope(() => {
    // Hairer's initial step heuristic.
    const sc = scales(y, y, rtol, atol);
    const d0 = rmsNorm(y, sc);
    const d1 = rmsNorm(k1, sc);
    const h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : (0.01 * d0) / d1;
    const y1 = axpy(y, dir * h0, [k1], [1]);
    const k = f(t0 + dir * h0, y1);
    nfe++;
    const d2 = rmsNorm(k.map((ki, i) => ki.sub(k1[i]!)), sc) / h0;
    const h1 = Math.max(d1, d2) <= 1e-15 ? Math.max(1e-6, h0 * 1e-3) : Math.pow(0.01 / Math.max(d1, d2), 1 / 5);
    return Math.min(100 * h0, h1);
  });
  h = Math.min(Math.abs(h), span);

  let t = t0;
  while (dir * (t1 - t) > 1e-12 * span) {
    if (accepted + rejected >= maxSteps) throw new Error(`solveDopri5: more than ${maxSteps} steps (t = ${t}, h = ${h}); loosen rtol/atol or raise maxSteps`);
    const hs = Math.min(h, Math.abs(t1 - t));
    const hh = dir * hs;
    const r = torch.scope(() => {
      const ks: State[] = [k1];
      for (let s = 1; s < 7; s++) {
        const ys = s === 6 ? null : axpy(y, hh, ks, A[s]!);
        if (s === 6) {
          // Stage 7 is evaluated at the 5th-order solution (FSAL).
          const y5 = axpy(y, hh, ks, B5.slice(0, 6));
          ks.push(f(t + hh, y5));
          return { y5, k7: ks[6]!, ks };
        }
        ks.push(f(t + C[s]! * hh, ys!));
      }
      throw new Error('unreachable');
    });
    nfe += 6;
    const err = torch.scope(() => {
      const e = y.map((yi, j) => {
        let acc: Tensor | null = null;
        r.ks.forEach((k, i) => {
          if (E[i] === 0) return;
          const term = k[j]!.detach().mul(E[i]! * hh);
          acc = acc ? acc.add(term) : term;
        });
        return acc!;
      });
      return rmsNorm(e, scales(y, r.y5, rtol, atol));
    });
    const factor = err === 0 ? 10 : Math.min(10, Math.max(0.2, 0.9 * Math.pow(err, -1 / 5)));
    if (err <= 1) {
      t += hh;
      y = r.y5;
      k1 = r.k7;
      accepted++;
      options.onStep?.(t, y, hs);
      h = hs * factor;
    } else {
      rejected++;
      h = hs * Math.min(1, factor);
    }
    if (h < 1e-12 * span) throw new Error(`solveDopri5: step size underflow at t = ${t}`);
  }
  return { y, stats: { nfe, accepted, rejected } };
}
