/**
 * Euler–Maruyama on the reverse-time SDE of x = x_0 + σ ε (Song et al. 2021, VE form in σ²):
 *   x' = x + (σ² - σ'²) ∇log p(x; σ) + sqrt(σ² - σ'²) z,   ∇log p = (D(x, σ) - x) / σ²
 * (no noise on the last step to σ' = 0, which lands on D).
 */
import type { Tensor } from '../../../tensor/index.ts';
import { checkSigmas, noiseOf, runSteps, type Denoiser, type SamplerOptions } from './common.ts';

export function sampleEulerMaruyama(denoise: Denoiser, x: Tensor, sigmasIn: number[] | Tensor, o: SamplerOptions = {}): Tensor {
  const sigmas = checkSigmas('sampleEulerMaruyama', sigmasIn);
  const noise = noiseOf(o);
  return runSteps({ x }, sigmas.length - 1, ({ x }, i) => {
    const [s, sn] = [sigmas[i]!, sigmas[i + 1]!];
    const denoised = denoise(x, s);
    o.callback?.(x, i, s, sn, denoised);
    const dv = s * s - sn * sn;
    let next = x.add(denoised.sub(x).mul(dv / (s * s)));
    if (sn > 0) next = next.add(noise(x, s, sn).mul(Math.sqrt(dv)));
    return { x: next };
  });
}
