/**
 * Heun's second-order method (EDM Algorithm 2, k-diffusion's sample_heun): churn to σ̂, an Euler step
 * to σ_next, then the trapezoidal correction with the slope there (an Euler step when σ_next = 0).
 */
import type { Tensor } from '../../../tensor/index.ts';
import { checkSigmas, runSteps, toD, type Denoiser } from './common.ts';
import { churn, churnGamma, type ChurnOptions } from './euler.ts';

export function sampleHeun(denoise: Denoiser, x: Tensor, sigmasIn: number[] | Tensor, o: ChurnOptions = {}): Tensor {
  const sigmas = checkSigmas('sampleHeun', sigmasIn);
  const n = sigmas.length - 1;
  return runSteps({ x }, n, ({ x }, i) => {
    const sn = sigmas[i + 1]!;
    const { x: xh, sigmaHat } = churn(x, sigmas[i]!, churnGamma(sigmas[i]!, n, o), o, sn);
    const denoised = denoise(xh, sigmaHat);
    o.callback?.(xh, i, sigmaHat, sn, denoised);
    const d = toD(xh, sigmaHat, denoised);
    const dt = sn - sigmaHat;
    if (sn === 0) return { x: xh.add(d.mul(dt)) };
    const x2 = xh.add(d.mul(dt));
    const d2 = toD(x2, sn, denoise(x2, sn));
    return { x: xh.add(d.add(d2).mul(dt / 2)) };
  });
}
