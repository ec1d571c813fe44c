/** Shared types of the ODE solvers: the state is a tuple of tensors, integrated together. */
import type { Tensor } from '../tensor/index.ts';

/** A state tuple (e.g. [z, logp] for a continuous flow). */
export type State = Tensor[];

/** dy/dt = f(t, y): returns one derivative per state tensor, same shapes. */
export type VectorField = (t: number, y: State) => State;

/** What a solve did. */
export interface SolveStats {
  /** Vector-field evaluations. */
  nfe: number;
  /** Accepted steps (all steps for fixed-step methods). */
  accepted: number;
  /** Rejected steps (adaptive methods). */
  rejected: number;
}

export interface SolveResult {
  /** The state at t1. */
  y: State;
  stats: SolveStats;
}
