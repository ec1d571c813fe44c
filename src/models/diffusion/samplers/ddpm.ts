/**
 * DDPM's ancestral sampler (Ho et al. 2020): a draw from the Gaussian posterior q(x_{t-1} | x_t, x̂_0)
 * with ᾱ = 1/(1 + σ²) at each σ, in σ-space:
 *   mean = (sqrt(ᾱ') β / (1 - ᾱ)) x̂_0 + (sqrt(α)(1 - ᾱ') / (1 - ᾱ)) x_vp,  var = β (1 - ᾱ')/(1 - ᾱ),
 * with α = ᾱ/ᾱ', β = 1 - α, x_vp = sqrt(ᾱ) x.
 */
import type { Tensor } from '../../../tensor/index.ts';
import { checkSigmas, noiseOf, runSteps, type Denoiser, type SamplerOptions } from './common.ts';

export function sampleDdpm(denoise: Denoiser, x: Tensor, sigmasIn: number[] | Tensor, o: SamplerOptions = {}): Tensor {
  const sigmas = checkSigmas('sampleDdpm', sigmasIn);
  const noise = noiseOf(o);
  return runSteps({ x }, sigmas.length - 1, ({ x }, i) => {
    const [s, sn] = [sigmas[i]!, sigmas[i + 1]!];
    const denoised = denoise(x, s);
    o.callback?.(x, i, s, sn, denoised);
    const a = 1 / (1 + s * s);
    const an = 1 / (1 + sn * sn);
    const alpha = a / an;
    const beta = 1 - alpha;
    const cx0 = (Math.sqrt(an) * beta) / (1 - a);
    const cxt = (Math.sqrt(alpha) * (1 - an)) / (1 - a);
    const variance = (beta * (1 - an)) / (1 - a);
    let xvp = denoised.mul(cx0).add(x.mul(cxt * Math.sqrt(a)));
    if (variance > 0) xvp = xvp.add(noise(x, s, sn).mul(Math.sqrt(variance)));
    return { x: xvp.div(Math.sqrt(an)) };
  });
}
