/**
 * DDIM (Song, Meng & Ermon 2021) with η, written in σ-space with VP's ᾱ = 1/(1 + σ²):
 *   x_vp' = sqrt(ᾱ') x̂_0 + sqrt(1 - ᾱ' - s²) ε̂ + s z,   s² = η² (1 - ᾱ')/(1 - ᾱ) (1 - ᾱ/ᾱ'),
 * divided by sqrt(ᾱ') back to σ-space. η = 0 is Euler's step on the probability-flow ODE
 * (Karras et al. 2022, sec. 4); η = 1 is DDPM's ancestral step.
 */
import type { Tensor } from '../../../tensor/index.ts';
import { checkSigmas, noiseOf, runSteps, type Denoiser, type SamplerOptions } from './common.ts';

export function sampleDdim(denoise: Denoiser, x: Tensor, sigmasIn: number[] | Tensor, o: SamplerOptions & { eta?: number } = {}): Tensor {
  const sigmas = checkSigmas('sampleDdim', sigmasIn);
  const eta = o.eta ?? 0;
  if (!(eta >= 0)) throw new RangeError(`sampleDdim: eta must be >= 0, got ${eta}`);
  const noise = noiseOf(o);
  return runSteps({ x }, sigmas.length - 1, ({ x }, i) => {
    const [s, sn] = [sigmas[i]!, sigmas[i + 1]!];
    const denoised = denoise(x, s);
    o.callback?.(x, i, s, sn, denoised);
    const a = 1 / (1 + s * s);
    const an = 1 / (1 + sn * sn);
    const s2 = eta * eta * ((1 - an) / (1 - a)) * (1 - a / an);
    const epsHat = x.sub(denoised).div(s);
    let next = denoised.add(epsHat.mul(Math.sqrt(Math.max(0, 1 - an - s2) / an)));
    if (s2 > 0) next = next.add(noise(x, s, sn).mul(Math.sqrt(s2 / an)));
    return { x: next };
  });
}
