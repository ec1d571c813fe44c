/**
 * ODE solvers over tuples of tensors, shared by continuous flows and diffusion samplers:
 * fixed-step Euler / midpoint / RK4 and adaptive Dormand–Prince 5(4). `odeint` picks one.
 */
import { solveFixed, type FixedMethod } from './fixed.ts';
import { solveDopri5, type AdaptiveOptions } from './dopri5.ts';
import type { SolveResult, State, VectorField } from './types.ts';

export type { State, VectorField, SolveStats, SolveResult } from './types.ts';
export { solveFixed, axpy, eulerStep, rk4Step, type FixedMethod } from './fixed.ts';
export { solveDopri5, type AdaptiveOptions } from './dopri5.ts';

export type Method = FixedMethod | 'dopri5';

export interface OdeintOptions extends AdaptiveOptions {
  method?: Method;
  /** Steps for the fixed-step methods. */
  steps?: number;
}

/** Solves dy/dt = f(t, y), y(t0) = y0, returning y(t1) and the solver's counts. */
export function odeint(f: VectorField, y0: State, t0: number, t1: number, options: OdeintOptions = {}): SolveResult {
  const method = options.method ?? 'dopri5';
  if (method === 'dopri5') return solveDopri5(f, y0, t0, t1, options);
  return solveFixed(f, y0, t0, t1, { method, steps: options.steps ?? 20 });
}
