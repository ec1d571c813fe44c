/** Samplers over (denoise, x, sigmas, options), k-diffusion style, and a table of them by name for the CLI. */
import type { Tensor } from '../../../tensor/index.ts';
import type { Denoiser } from './common.ts';
import { sampleEuler } from './euler.ts';
import { sampleEulerAncestral } from './euler-ancestral.ts';
import { sampleHeun } from './heun.ts';
import { sampleDpm2 } from './dpm2.ts';
import { sampleDpm2Ancestral } from './dpm2-ancestral.ts';
import { sampleLms } from './lms.ts';
import { sampleDpmpp2m } from './dpmpp-2m.ts';
import { sampleDpmpp2sAncestral } from './dpmpp-2s-ancestral.ts';
import { sampleDpmppSde } from './dpmpp-sde.ts';
import { sampleDdim } from './ddim.ts';
import { sampleDdpm } from './ddpm.ts';
import { sampleEulerMaruyama } from './euler-maruyama.ts';
import { samplePfOde } from './pf-ode.ts';

export * from './common.ts';
export { sampleEuler, churnGamma, type ChurnOptions } from './euler.ts';
export { sampleEulerAncestral, type AncestralOptions } from './euler-ancestral.ts';
export { sampleHeun } from './heun.ts';
export { sampleDpm2 } from './dpm2.ts';
export { sampleDpm2Ancestral } from './dpm2-ancestral.ts';
export { sampleLms, linearMultistepCoeff } from './lms.ts';
export { sampleDpmpp2m } from './dpmpp-2m.ts';
export { sampleDpmpp2sAncestral } from './dpmpp-2s-ancestral.ts';
export { sampleDpmppSde } from './dpmpp-sde.ts';
export { sampleDdim } from './ddim.ts';
export { sampleDdpm } from './ddpm.ts';
export { sampleEulerMaruyama } from './euler-maruyama.ts';
export { samplePfOde, type PfOdeOptions } from './pf-ode.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Sampler = (denoise: Denoiser, x: Tensor, sigmas: number[] | Tensor, options?: any) => Tensor;

/** Denoiser evaluations per step of each sampler (pf-ode: adaptive). */
export const SAMPLERS: Record<string, { fn: Sampler; evalsPerStep: number; stochastic: boolean }> = {
  euler: { fn: sampleEuler, evalsPerStep: 1, stochastic: false },
  'euler-ancestral': { fn: sampleEulerAncestral, evalsPerStep: 1, stochastic: true },
  heun: { fn: sampleHeun, evalsPerStep: 2, stochastic: false },
  dpm2: { fn: sampleDpm2, evalsPerStep: 2, stochastic: false },
  'dpm2-ancestral': { fn: sampleDpm2Ancestral, evalsPerStep: 2, stochastic: true },
  lms: { fn: sampleLms, evalsPerStep: 1, stochastic: false },
  'dpmpp-2m': { fn: sampleDpmpp2m, evalsPerStep: 1, stochastic: false },
  'dpmpp-2s-ancestral': { fn: sampleDpmpp2sAncestral, evalsPerStep: 2, stochastic: true },
  'dpmpp-sde': { fn: sampleDpmppSde, evalsPerStep: 2, stochastic: true },
  ddim: { fn: sampleDdim, evalsPerStep: 1, stochastic: false },
  ddpm: { fn: sampleDdpm, evalsPerStep: 1, stochastic: true },
  'euler-maruyama': { fn: sampleEulerMaruyama, evalsPerStep: 1, stochastic: true },
  'pf-ode': { fn: samplePfOde, evalsPerStep: NaN, stochastic: false },
};

export const SAMPLER_NAMES = Object.keys(SAMPLERS);

/** A sampler by name; unknown names are an error listing the known ones. */
export function getSampler(name: string): Sampler {
  const s = SAMPLERS[name];
  if (!s) throw new Error(`unknown sampler '${name}'; samplers: ${SAMPLER_NAMES.join(', ')}`);
  return s.fn;
}
