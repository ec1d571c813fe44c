/**
 * Noise-level (σ) schedules for sampling, k-diffusion's get_sigmas_* as functions: each returns n
 * decreasing noise levels followed by a final 0 (n + 1 numbers in all, JS doubles).
 */
import type { Schedule } from './schedules.ts';

function checkN(name: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name}: steps must be an integer >= 1, got ${n}`);
}
function checkRange(name: string, sigmaMin: number, sigmaMax: number): void {
  if (!(sigmaMin > 0) || !(sigmaMax > sigmaMin) || !Number.isFinite(sigmaMax)) {
    throw new RangeError(`${name}: need 0 < sigmaMin < sigmaMax < Infinity, got sigmaMin=${sigmaMin}, sigmaMax=${sigmaMax}`);
  }
}
const ramp = (n: number, i: number) => (n === 1 ? 0 : i / (n - 1));

/** Karras et al. (2022) eq. 5: σ_i = (σ_max^(1/ρ) + i/(n-1) (σ_min^(1/ρ) - σ_max^(1/ρ)))^ρ, then 0. */
export function karrasSigmas(n: number, sigmaMin: number, sigmaMax: number, rho = 7): number[] {
  checkN('karrasSigmas', n);
  checkRange('karrasSigmas', sigmaMin, sigmaMax);
  const a = sigmaMax ** (1 / rho);
  const b = sigmaMin ** (1 / rho);
  return [...Array.from({ length: n }, (_, i) => (a + ramp(n, i) * (b - a)) ** rho), 0];
}

/** Log-linear from σ_max to σ_min, then 0. */
export function exponentialSigmas(n: number, sigmaMin: number, sigmaMax: number): number[] {
  checkN('exponentialSigmas', n);
  checkRange('exponentialSigmas', sigmaMin, sigmaMax);
  const a = Math.log(sigmaMax);
  const b = Math.log(sigmaMin);
  return [...Array.from({ length: n }, (_, i) => Math.exp(a + ramp(n, i) * (b - a))), 0];
}

/** Polynomial in log σ: exp(r_i^ρ (ln σ_max - ln σ_min) + ln σ_min), r from 1 to 0; ρ = 1 is exponential. */
export function polyexponentialSigmas(n: number, sigmaMin: number, sigmaMax: number, rho = 1): number[] {
  checkN('polyexponentialSigmas', n);
  checkRange('polyexponentialSigmas', sigmaMin, sigmaMax);
  const lo = Math.log(sigmaMin);
  const span = Math.log(sigmaMax) - lo;
  return [...Array.from({ length: n }, (_, i) => Math.exp((1 - ramp(n, i)) ** rho * span + lo)), 0];
}

/** VP's σ(t) at t evenly from 1 to ε_s (Song et al. 2021), then 0. */
export function vpSigmas(n: number, betaD = 19.9, betaMin = 0.1, epsS = 1e-3): number[] {
  checkN('vpSigmas', n);
  return [
    ...Array.from({ length: n }, (_, i) => {
      const t = 1 + ramp(n, i) * (epsS - 1);
      return Math.sqrt(Math.expm1((betaD * t * t) / 2 + betaMin * t));
    }),
    0,
  ];
}

/** σ(t) of a schedule at t evenly from tMax to tMin (uniform in t: DDPM/DDIM's and flow matching's grid), then 0. */
export function uniformTimeSigmas(n: number, schedule: Schedule, tMin = schedule.tMin, tMax = schedule.tMax): number[] {
  checkN('uniformTimeSigmas', n);
  // When σ(tMin) = 0 (flow matching's t = 0), the grid's last point is the final 0: n + 1 points.
  const m = schedule.sigma(tMin) === 0 ? n + 1 : n;
  const out = Array.from({ length: m }, (_, i) => schedule.sigma(tMax + ramp(m, i) * (tMin - tMax)));
  if (out[out.length - 1] === 0) out.pop();
  return [...out, 0];
}

export type SigmaScheduleName = 'karras' | 'exponential' | 'polyexponential' | 'vp' | 'uniform';
export const SIGMA_SCHEDULES: SigmaScheduleName[] = ['karras', 'exponential', 'polyexponential', 'vp', 'uniform'];

/** A sigma schedule by name for a model's noise schedule (σ range from the schedule). */
export function makeSigmas(name: string, n: number, schedule: Schedule, options: { rho?: number; sigmaMin?: number; sigmaMax?: number } = {}): number[] {
  const lo = options.sigmaMin ?? Math.max(schedule.sigmaMin, 1e-3);
  const hi = options.sigmaMax ?? schedule.sigmaMax;
  switch (name) {
    case 'karras':
      return karrasSigmas(n, lo, hi, options.rho ?? 7);
    case 'exponential':
      return exponentialSigmas(n, lo, hi);
    case 'polyexponential':
      return polyexponentialSigmas(n, lo, hi, options.rho ?? 1);
    case 'vp':
      return vpSigmas(n);
    case 'uniform':
      return uniformTimeSigmas(n, schedule);
    default:
      throw new Error(`unknown sigma schedule '${name}'; sigma schedules: ${SIGMA_SCHEDULES.join(', ')}`);
  }
}
