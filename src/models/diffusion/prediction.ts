/**
 * Conversions between what a network predicts, so that any trained network serves any sampler.
 * With x_t = α x_0 + β ε (α = s(t), β = s(t) σ(t), see schedules.ts):
 *
 * - 'eps'      ε                                  (DDPM)
 * - 'x0'       x_0                                (the denoiser D)
 * - 'v'        v = α ε - β x_0                    (Salimans & Ho 2022)
 * - 'velocity' u = dx_t/dt = α' x_0 + β' ε         (flow matching: u = ε - x_0)
 *
 * Each converts to (x_0, ε) by solving the 2x2 system it forms with x_t, and back.
 */
import type { Tensor } from '../../tensor/index.ts';
import type { Schedule } from './schedules.ts';

export type PredictionType = 'eps' | 'x0' | 'v' | 'velocity';
export const PREDICTION_TYPES: PredictionType[] = ['eps', 'x0', 'v', 'velocity'];

/** α, β and their t-derivatives at t. */
export function coefficients(schedule: Schedule, t: number): { alpha: number; beta: number; dAlpha: number; dBeta: number } {
  const s = schedule.s(t);
  const sg = schedule.sigma(t);
  const ds = schedule.sDeriv(t);
  const dsg = schedule.sigmaDeriv(t);
  return { alpha: s, beta: s * sg, dAlpha: ds, dBeta: ds * sg + s * dsg };
}

/** (x_0, ε) from x_t and a prediction of the given type at time t. */
export function toX0Eps(type: PredictionType, pred: Tensor, xt: Tensor, schedule: Schedule, t: number): { x0: Tensor; eps: Tensor } {
  const { alpha, beta, dAlpha, dBeta } = coefficients(schedule, t);
  switch (type) {
    case 'x0':
      return { x0: pred, eps: xt.sub(pred.mul(alpha)).div(beta) };
    case 'eps':
      return { x0: xt.sub(pred.mul(beta)).div(alpha), eps: pred };
    case 'v': {
      const n = alpha * alpha + beta * beta;
      return { x0: xt.mul(alpha / n).sub(pred.mul(beta / n)), eps: xt.mul(beta / n).add(pred.mul(alpha / n)) };
    }
    case 'velocity': {
      const det = alpha * dBeta - beta * dAlpha;
      return { x0: xt.mul(dBeta / det).sub(pred.mul(beta / det)), eps: pred.mul(alpha / det).sub(xt.mul(dAlpha / det)) };
    }
    default:
      throw new Error(`unknown prediction type '${type as string}'; types: ${PREDICTION_TYPES.join(', ')}`);
  }
}

/** The prediction of the given type from x_0 and ε at time t. */
export function fromX0Eps(type: PredictionType, x0: Tensor, eps: Tensor, schedule: Schedule, t: number): Tensor {
  const { alpha, beta, dAlpha, dBeta } = coefficients(schedule, t);
  switch (type) {
    case 'x0':
      return x0;
    case 'eps':
      return eps;
    case 'v':
      return eps.mul(alpha).sub(x0.mul(beta));
    case 'velocity':
      return x0.mul(dAlpha).add(eps.mul(dBeta));
    default:
      throw new Error(`unknown prediction type '${type as string}'; types: ${PREDICTION_TYPES.join(', ')}`);
  }
}

/** Converts a prediction from one type to another at time t (x_t is the network's input). */
export function convertPrediction(from: PredictionType, to: PredictionType, pred: Tensor, xt: Tensor, schedule: Schedule, t: number): Tensor {
  if (from === to) return pred;
  const { x0, eps } = toX0Eps(from, pred, xt, schedule, t);
  return fromX0Eps(to, x0, eps, schedule, t);
}
