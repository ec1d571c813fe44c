/**
 * DPM-Solver++(2M) (Lu et al. 2022; k-diffusion's sample_dpmpp_2m): in t = -ln σ, an exponential-
 * integrator step with the denoised estimate extrapolated from the current and the previous step.
 */
import type { Tensor } from '../../../tensor/index.ts';
import { checkSigmas, runSteps, type Denoiser, type SamplerOptions } from './common.ts';

export function sampleDpmpp2m(denoise: Denoiser, x: Tensor, sigmasIn: number[] | Tensor, o: SamplerOptions = {}): Tensor {
  const sigmas = checkSigmas('sampleDpmpp2m', sigmasIn);
  const tOf = (s: number) => -Math.log(s);
  return runSteps({ x, old: null as Tensor | null }, sigmas.length - 1, ({ x, old }, i) => {
    const [s, sn] = [sigmas[i]!, sigmas[i + 1]!];
    const denoised = denoise(x, s);
    o.callback?.(x, i, s, sn, denoised);
    if (sn === 0) return { x: denoised, old: denoised };
    const h = tOf(sn) - tOf(s);
    let dd = denoised;
    if (old) {
      const r = (tOf(s) - tOf(sigmas[i - 1]!)) / h;
      dd = denoised.mul(1 + 1 / (2 * r)).sub(old.mul(1 / (2 * r)));
    }
    return { x: x.mul(sn / s).sub(dd.mul(Math.expm1(-h))), old: denoised };
  });
}
