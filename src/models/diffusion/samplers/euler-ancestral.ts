/** Ancestral Euler (k-diffusion's sample_euler_ancestral): an Euler step to σ_down, then noise σ_up. */
import type { Tensor } from '../../../tensor/index.ts';
import { ancestralStep, checkSigmas, noiseOf, runSteps, toD, type Denoiser, type SamplerOptions } from './common.ts';

export interface AncestralOptions extends SamplerOptions {
  /** 1 = ancestral (DDPM-like), 0 = deterministic Euler. */
  eta?: number;
  sNoise?: number;
}

export function sampleEulerAncestral(denoise: Denoiser, x: Tensor, sigmasIn: number[] | Tensor, o: AncestralOptions = {}): Tensor {
  const sigmas = checkSigmas('sampleEulerAncestral', sigmasIn);
  const noise = noiseOf(o);
  return runSteps({ x }, sigmas.length - 1, ({ x }, i) => {
    const [s, sn] = [sigmas[i]!, sigmas[i + 1]!];
    const denoised = denoise(x, s);
    o.callback?.(x, i, s, sn, denoised);
    const { sigmaDown, sigmaUp } = ancestralStep(s, sn, o.eta ?? 1);
    let next = x.add(toD(x, s, denoised).mul(sigmaDown - s));
    if (sn > 0 && sigmaUp > 0) next = next.add(noise(x, s, sn).mul((o.sNoise ?? 1) * sigmaUp));
    return { x: next };
  });
}
