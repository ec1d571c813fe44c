/**
 * Fixed-step explicit solvers over state tuples: Euler (order 1), midpoint (order 2) and classic
 * Runge–Kutta (order 4). Each step runs in its own scope, so only the states survive (autograd keeps
 * what backpropagation through the solver needs).
 */
import { torch, type Tensor } from '../tensor/index.ts';
import type { SolveResult, State, VectorField } from './types.ts';

/** y + h * sum_i c_i k_i, elementwise over the tuple. */
export function axpy(y: State, h: number, ks: State[], cs: number[]): State {
  return y.map((yi, j) => {
    let acc: Tensor | null = null;
    cs.forEach((c, i) => {
      if (c === 0) return;
      const term = ks[i]![j]!.mul(c);
      acc = acc ? acc.add(term) : term;
    });
    return acc ? yi.add((acc as Tensor).mul(h)) : yi;
  });
}

export type FixedMethod = 'euler' | 'midpoint' | 'rk4';

function step(method: FixedMethod, f: VectorField, t: number, y: State, h: number): { y: State; nfe: number } {
  switch (method) {
    case 'euler':
      return { y: axpy(y, h, [f(t, y)], [1]), nfe: 1 };
    case 'midpoint': {
      const k1 = f(t, y);
      const k2 = f(t + h / 2, axpy(y, h, [k1], [0.5]));
      return { y: axpy(y, h, [k2], [1]), nfe: 2 };
    }
    case 'rk4': {
      const k1 = f(t, y);
      const k2 = f(t + h / 2, axpy(y, h, [k1], [0.5]));
      const k3 = f(t + h / 2, axpy(y, h, [k2], [0.5]));
      const k4 = f(t + h, axpy(y, h, [k3], [1]));
      return { y: axpy(y, h, [k1, k2, k3, k4], [1 / 6, 1 / 3, 1 / 3, 1 / 6]), nfe: 4 };
    }
  }
}

/** Integrates from t0 to t1 (either direction) in `steps` equal steps. */
export function solveFixed(f: VectorField, y0: State, t0: number, t1: number, options: { method?: FixedMethod; steps: number; onStep?: (t: number, y: State) => void }): SolveResult {
  const method = options.method ?? 'rk4';
  const n = options.steps;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`solveFixed: steps must be a positive integer, got ${n}`);
  const h = (t1 - t0) / n;
  let y = y0;
  let nfe = 0;
  for (let i = 0; i < n; i++) {
    const t = t0 + i * h;
    const r = torch.scope(() => step(method, f, t, y, h));
    y = r.y;
    nfe += r.nfe;
    options.onStep?.(t + h, y);
  }
  return { y, stats: { nfe, accepted: n, rejected: 0 } };
}

/** One Euler step (exported for samplers that manage their own time grid). */
export const eulerStep = (f: VectorField, t: number, y: State, h: number): State => step('euler', f, t, y, h).y;
/** One RK4 step. */
export const rk4Step = (f: VectorField, t: number, y: State, h: number): State => step('rk4', f, t, y, h).y;
