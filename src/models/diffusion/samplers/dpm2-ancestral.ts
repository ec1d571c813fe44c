/** Ancestral DPM-Solver-2 (k-diffusion's sample_dpm_2_ancestral): DPM-2 to σ_down, then noise σ_up. */
import type { Tensor } from '../../../tensor/index.ts';
import { ancestralStep, checkSigmas, noiseOf, runSteps, toD, type Denoiser } from './common.ts';
import type { AncestralOptions } from './euler-ancestral.ts';

export function sampleDpm2Ancestral(denoise: Denoiser, x: Tensor, sigmasIn: number[] | Tensor, o: AncestralOptions = {}): Tensor {
  const sigmas = checkSigmas('sampleDpm2Ancestral', sigmasIn);
  const noise = noiseOf(o);
  return runSteps({ x }, sigmas.length - 1, ({ x }, i) => {
    const [s, sn] = [sigmas[i]!, sigmas[i + 1]!];
    const denoised = denoise(x, s);
    o.callback?.(x, i, s, sn, denoised);
    const { sigmaDown, sigmaUp } = ancestralStep(s, sn, o.eta ?? 1);
    const d = toD(x, s, denoised);
    let next: Tensor;
    if (sigmaDown === 0) next = x.add(d.mul(sigmaDown - s));
    else {
      const sigmaMid = Math.exp(0.5 * (Math.log(s) + Math.log(sigmaDown)));
      const x2 = x.add(d.mul(sigmaMid - s));
      const d2 = toD(x2, sigmaMid, denoise(x2, sigmaMid));
      next = x.add(d2.mul(sigmaDown - s));
    }
    if (sn > 0 && sigmaUp > 0) next = next.add(noise(x, s, sn).mul((o.sNoise ?? 1) * sigmaUp));
    return { x: next };
  });
}
