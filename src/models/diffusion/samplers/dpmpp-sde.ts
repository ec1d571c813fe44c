/**
 * DPM-Solver++ (stochastic, k-diffusion's sample_dpmpp_sde): two ancestral exponential-integrator
 * substeps per step, the first to t + r h, the second to t + h with the denoised estimates mixed
 * (1 - 1/(2r), 1/(2r)). The two substeps' noises are increments of one Brownian motion W(σ) over
 * [σ_s, σ] and [σ_next, σ] (what k-diffusion's Brownian-tree noise sampler gives for these queries),
 * built from two independent normals z1, z2 of the options' noise sampler:
 *   n1 = z1,  n2 = (sqrt(σ - σ_s) z1 + sqrt(σ_s - σ_next) z2) / sqrt(σ - σ_next).
 */
import type { Tensor } from '../../../tensor/index.ts';
import { ancestralStep, checkSigmas, noiseOf, runSteps, toD, type Denoiser } from './common.ts';
import type { AncestralOptions } from './euler-ancestral.ts';

export function sampleDpmppSde(denoise: Denoiser, x: Tensor, sigmasIn: number[] | Tensor, o: AncestralOptions & { r?: number } = {}): Tensor {
  const sigmas = checkSigmas('sampleDpmppSde', sigmasIn);
  const noise = noiseOf(o);
  const eta = o.eta ?? 1;
  const sNoise = o.sNoise ?? 1;
  const r = o.r ?? 0.5;
  const sigmaFn = (t: number) => Math.exp(-t);
  const tFn = (s: number) => -Math.log(s);
  return runSteps({ x }, sigmas.length - 1, ({ x }, i) => {
    const [s, sn] = [sigmas[i]!, sigmas[i + 1]!];
    const denoised = denoise(x, s);
    o.callback?.(x, i, s, sn, denoised);
    if (sn === 0) return { x: x.add(toD(x, s, denoised).mul(sn - s)) };
    const t = tFn(s);
    const h = tFn(sn) - t;
    const sMid = t + h * r;
    const fac = 1 / (2 * r);
    // Substep 1: to σ(s).
    const a1 = ancestralStep(sigmaFn(t), sigmaFn(sMid), eta);
    const s1 = tFn(a1.sigmaDown);
    const z1 = noise(x, sigmaFn(t), sigmaFn(sMid));
    const z2 = noise(x, sigmaFn(sMid), sigmaFn(t + h));
    const [w1, w2] = [Math.sqrt(s - sigmaFn(sMid)), Math.sqrt(sigmaFn(sMid) - sn)];
    const n2 = z1.mul(w1).add(z2.mul(w2)).div(Math.sqrt(s - sn));
    let x2 = x.mul(sigmaFn(s1) / sigmaFn(t)).sub(denoised.mul(Math.expm1(t - s1)));
    if (a1.sigmaUp > 0) x2 = x2.add(z1.mul(sNoise * a1.sigmaUp));
    const denoised2 = denoise(x2, sigmaFn(sMid));
    // Substep 2: to σ_next with the mixed estimate.
    const a2 = ancestralStep(sigmaFn(t), sigmaFn(t + h), eta);
    const t2 = tFn(a2.sigmaDown);
    const dd = denoised.mul(1 - fac).add(denoised2.mul(fac));
    let next = x.mul(sigmaFn(t2) / sigmaFn(t)).sub(dd.mul(Math.expm1(t - t2)));
    if (a2.sigmaUp > 0) next = next.add(n2.mul(sNoise * a2.sigmaUp));
    return { x: next };
  });
}
