/** Euler's method on the probability-flow ODE, with EDM's optional churn (k-diffusion's sample_euler). */
import type { Tensor } from '../../../tensor/index.ts';
import { checkSigmas, noiseOf, runSteps, toD, type Denoiser, type SamplerOptions } from './common.ts';

export interface ChurnOptions extends SamplerOptions {
  /** Total churn S_churn (EDM Algorithm 2); 0 = deterministic. */
  sChurn?: number;
  sTmin?: number;
  sTmax?: number;
  sNoise?: number;
}

/** γ_i of EDM Algorithm 2: min(S_churn / N, √2 - 1) inside [S_tmin, S_tmax], else 0. */
export function churnGamma(sigma: number, steps: number, o: ChurnOptions): number {
  const churn = o.sChurn ?? 0;
  if (!churn) return 0;
  return sigma >= (o.sTmin ?? 0) && sigma <= (o.sTmax ?? Infinity) ? Math.min(churn / steps, Math.SQRT2 - 1) : 0;
}

/** Raises the noise from σ to σ̂ = σ(1 + γ) by adding fresh noise (EDM Algorithm 2, lines 5-6). */
export function churn(x: Tensor, sigma: number, gamma: number, o: ChurnOptions, sigmaNext: number): { x: Tensor; sigmaHat: number } {
  if (gamma <= 0) return { x, sigmaHat: sigma };
  const sigmaHat = sigma * (gamma + 1);
  const eps = noiseOf(o)(x, sigma, sigmaNext).mul((o.sNoise ?? 1) * Math.sqrt(sigmaHat ** 2 - sigma ** 2));
  return { x: x.add(eps), sigmaHat };
}

export function sampleEuler(denoise: Denoiser, x: Tensor, sigmasIn: number[] | Tensor, o: ChurnOptions = {}): Tensor {
  const sigmas = checkSigmas('sampleEuler', sigmasIn);
  const n = sigmas.length - 1;
  return runSteps({ x }, n, ({ x }, i) => {
    const gamma = churnGamma(sigmas[i]!, n, o);
    const { x: xh, sigmaHat } = churn(x, sigmas[i]!, gamma, o, sigmas[i + 1]!);
    const denoised = denoise(xh, sigmaHat);
    o.callback?.(xh, i, sigmaHat, sigmas[i + 1]!, denoised);
    const d = toD(xh, sigmaHat, denoised);
    return { x: xh.add(d.mul(sigmas[i + 1]! - sigmaHat)) };
  });
}
