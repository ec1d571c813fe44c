/**
 * DPM-Solver-2 in the form of k-diffusion's sample_dpm_2: the slope at the geometric midpoint
 * σ_mid = sqrt(σ̂ σ_next) carries the step (an Euler step when σ_next = 0); churn as in Heun.
 */
import type { Tensor } from '../../../tensor/index.ts';
import { checkSigmas, runSteps, toD, type Denoiser } from './common.ts';
import { churn, churnGamma, type ChurnOptions } from './euler.ts';

export function sampleDpm2(denoise: Denoiser, x: Tensor, sigmasIn: number[] | Tensor, o: ChurnOptions = {}): Tensor {
  const sigmas = checkSigmas('sampleDpm2', sigmasIn);
  const n = sigmas.length - 1;
  return runSteps({ x }, n, ({ x }, i) => {
    const sn = sigmas[i + 1]!;
    const { x: xh, sigmaHat } = churn(x, sigmas[i]!, churnGamma(sigmas[i]!, n, o), o, sn);
    const denoised = denoise(xh, sigmaHat);
    o.callback?.(xh, i, sigmaHat, sn, denoised);
    const d = toD(xh, sigmaHat, denoised);
    if (sn === 0) return { x: xh.add(d.mul(sn - sigmaHat)) };
    const sigmaMid = Math.exp(0.5 * (Math.log(sigmaHat) + Math.log(sn)));
    const x2 = xh.add(d.mul(sigmaMid - sigmaHat));
    const d2 = toD(x2, sigmaMid, denoise(x2, sigmaMid));
    return { x: xh.add(d2.mul(sn - sigmaHat)) };
  });
}
