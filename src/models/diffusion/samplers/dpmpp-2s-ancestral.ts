/** Ancestral DPM-Solver++(2S) (k-diffusion's sample_dpmpp_2s_ancestral): a midpoint (r = 1/2) exponential step to σ_down, then noise σ_up. */
import type { Tensor } from '../../../tensor/index.ts';
import { ancestralStep, checkSigmas, noiseOf, runSteps, toD, type Denoiser } from './common.ts';
import type { AncestralOptions } from './euler-ancestral.ts';

export function sampleDpmpp2sAncestral(denoise: Denoiser, x: Tensor, sigmasIn: number[] | Tensor, o: AncestralOptions = {}): Tensor {
  const sigmas = checkSigmas('sampleDpmpp2sAncestral', sigmasIn);
  const noise = noiseOf(o);
  return runSteps({ x }, sigmas.length - 1, ({ x }, i) => {
    const [s, sn] = [sigmas[i]!, sigmas[i + 1]!];
    const denoised = denoise(x, s);
    o.callback?.(x, i, s, sn, denoised);
    const { sigmaDown, sigmaUp } = ancestralStep(s, sn, o.eta ?? 1);
    let next: Tensor;
    if (sigmaDown === 0) next = x.add(toD(x, s, denoised).mul(sigmaDown - s));
    else {
      const t = -Math.log(s);
      const h = -Math.log(sigmaDown) - t;
      const sMid = Math.exp(-(t + h / 2));
      const x2 = x.mul(sMid / s).sub(denoised.mul(Math.expm1(-h / 2)));
      const denoised2 = denoise(x2, sMid);
      next = x.mul(sigmaDown / s).sub(denoised2.mul(Math.expm1(-h)));
    }
    if (sn > 0 && sigmaUp > 0) next = next.add(noise(x, s, sn).mul((o.sNoise ?? 1) * sigmaUp));
    return { x: next };
  });
}
