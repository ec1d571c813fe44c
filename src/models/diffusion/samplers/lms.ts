/**
 * Linear multistep (k-diffusion's sample_lms): the slopes d of the last `order` steps are
 * extrapolated by their Lagrange polynomial in σ and integrated exactly over [σ_i, σ_{i+1}]
 * (Gauss–Legendre quadrature, exact for these polynomials).
 */
import type { Tensor } from '../../../tensor/index.ts';
import { checkSigmas, runSteps, toD, type Denoiser, type SamplerOptions } from './common.ts';

// 4-point Gauss–Legendre nodes/weights on [-1, 1]: exact for polynomials of degree <= 7.
const GL_X = [-0.8611363115940526, -0.3399810435848563, 0.3399810435848563, 0.8611363115940526];
const GL_W = [0.3478548451374538, 0.6521451548625461, 0.6521451548625461, 0.3478548451374538];

/** ∫_{t_i}^{t_{i+1}} Π_{k≠j} (τ - t_{i-k}) / (t_{i-j} - t_{i-k}) dτ (k-diffusion's linear_multistep_coeff). */
export function linearMultistepCoeff(order: number, t: number[], i: number, j: number): number {
  if (order - 1 > i) throw new RangeError(`linearMultistepCoeff: order ${order} too high for step ${i}`);
  const fn = (tau: number) => {
    let prod = 1;
    for (let k = 0; k < order; k++) if (k !== j) prod *= (tau - t[i - k]!) / (t[i - j]! - t[i - k]!);
    return prod;
  };
  const a = t[i]!;
  const b = t[i + 1]!;
  let sum = 0;
  for (let q = 0; q < GL_X.length; q++) sum += GL_W[q]! * fn((a + b) / 2 + ((b - a) / 2) * GL_X[q]!);
  return (sum * (b - a)) / 2;
}

export function sampleLms(denoise: Denoiser, x: Tensor, sigmasIn: number[] | Tensor, o: SamplerOptions & { order?: number } = {}): Tensor {
  const sigmas = checkSigmas('sampleLms', sigmasIn);
  const order = o.order ?? 4;
  if (!Number.isInteger(order) || order < 1 || order > 4) throw new RangeError(`sampleLms: order must be 1, 2, 3 or 4, got ${order}`);
  return runSteps({ x, ds: [] as Tensor[] }, sigmas.length - 1, ({ x, ds }, i) => {
    const denoised = denoise(x, sigmas[i]!);
    o.callback?.(x, i, sigmas[i]!, sigmas[i + 1]!, denoised);
    const hist = [...ds, toD(x, sigmas[i]!, denoised)].slice(-order);
    const cur = Math.min(i + 1, order);
    let next = x;
    for (let j = 0; j < cur; j++) next = next.add(hist[hist.length - 1 - j]!.mul(linearMultistepCoeff(cur, sigmas, i, j)));
    return { x: next, ds: hist };
  });
}
