/**
 * What every sampler shares: the sigma checks, k-diffusion's helpers (to_d, get_ancestral_step),
 * noise draws (a generator, or one generator per sample so that a sample does not depend on the
 * batch it was drawn in), and the step loop that frees each step's temporaries.
 */
import { torch, type Tensor, type Generator } from '../../../tensor/index.ts';
import type { Denoiser } from '../preconditioning.ts';

export type { Denoiser };

/** Called once per step with the state before the step and the denoised estimate (freed after the call). */
export type SamplerCallback = (x: Tensor, i: number, sigma: number, sigmaNext: number, denoised: Tensor) => void;

/** Fresh standard normal noise shaped like x (for the step from sigma to sigmaNext). */
export type NoiseSampler = (like: Tensor, sigma: number, sigmaNext: number) => Tensor;

export interface SamplerOptions {
  callback?: SamplerCallback;
  /** Noise for stochastic samplers (default: randn from `generator` or the global generator). */
  noise?: NoiseSampler;
  generator?: Generator;
}

/** Sigmas as numbers, checked: at least 2, finite, strictly decreasing, ending in 0. */
export function checkSigmas(sampler: string, sigmas: number[] | Tensor): number[] {
  const s = Array.isArray(sigmas) ? sigmas : Array.from(sigmas.to('float64').toFlatArray() as ArrayLike<number>);
  if (s.length < 2) throw new RangeError(`${sampler}: sigmas needs at least 2 entries (one step), got ${s.length}`);
  for (let i = 0; i < s.length; i++) {
    const v = s[i]!;
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`${sampler}: sigmas[${i}] = ${v}; sigmas must be finite and >= 0`);
    if (i > 0 && !(v < s[i - 1]!)) throw new RangeError(`${sampler}: sigmas must be strictly decreasing, but sigmas[${i - 1}] = ${s[i - 1]} and sigmas[${i}] = ${v}`);
  }
  if (s[s.length - 1] !== 0) throw new RangeError(`${sampler}: sigmas must end with 0, got last = ${s[s.length - 1]}`);
  return s;
}

/** The ODE's derivative dx/dσ = (x - D) / σ. */
export function toD(x: Tensor, sigma: number, denoised: Tensor): Tensor {
  return x.sub(denoised).div(sigma);
}

/** σ_down and σ_up of an ancestral step from σ to σ_next (k-diffusion's get_ancestral_step). */
export function ancestralStep(sigma: number, sigmaNext: number, eta = 1): { sigmaDown: number; sigmaUp: number } {
  if (!eta) return { sigmaDown: sigmaNext, sigmaUp: 0 };
  const sigmaUp = Math.min(sigmaNext, eta * Math.sqrt((sigmaNext ** 2 * (sigma ** 2 - sigmaNext ** 2)) / sigma ** 2));
  return { sigmaDown: Math.sqrt(Math.max(0, sigmaNext ** 2 - sigmaUp ** 2)), sigmaUp };
}

/** The default noise: randn shaped like x in x's dtype. */
export function defaultNoise(generator?: Generator): NoiseSampler {
  return (like) => torch.randn(like.shape, { dtype: like.dtype, device: like.device, generator: generator ?? null });
}

/**
 * Noise drawn row by row from one generator per example (seeds[i] for row i): a sample's noise,
 * hence the sample, is the same whatever batch it is drawn in.
 */
export function perSampleNoise(seeds: number[]): NoiseSampler & { generators: Generator[] } {
  const generators = seeds.map((s) => new torch.Generator({ seed: s }));
  const f = ((like: Tensor) => {
    if (like.size(0) !== generators.length) throw new RangeError(`perSampleNoise: ${generators.length} seeds for a batch of ${like.size(0)}`);
    const row = like.shape.slice(1);
    return torch.cat(generators.map((g) => torch.randn([1, ...row], { dtype: like.dtype, device: like.device, generator: g })), 0);
  }) as unknown as NoiseSampler & { generators: Generator[] };
  f.generators = generators;
  return f;
}

/** The noise sampler of the options. */
export function noiseOf(o: SamplerOptions): NoiseSampler {
  return o.noise ?? defaultNoise(o.generator);
}

/**
 * Runs `step` for i = 0..n-1 without gradient, each in its own scope; the state carried between steps
 * is whatever `step` returns ({ x, ...history }, tensors or arrays of tensors). Tensors of a state that
 * the next state no longer holds are freed; only the final x survives (the input x is never freed).
 */
export function runSteps<S extends { x: Tensor }>(init: S, n: number, step: (state: S, i: number) => S): Tensor {
  return torch.noGrad(() => {
    const initial = tensorsOf(init);
    let state = init;
    for (let i = 0; i < n; i++) {
      const prev = state;
      state = torch.scope(() => step(prev, i));
      const live = tensorsOf(state);
      for (const t of tensorsOf(prev)) if (!live.has(t) && !initial.has(t)) t.dispose();
    }
    for (const t of tensorsOf(state)) if (t !== state.x && !initial.has(t)) t.dispose();
    return state.x;
  });
}

function tensorsOf(state: object): Set<Tensor> {
  const out = new Set<Tensor>();
  for (const v of Object.values(state)) {
    if (Array.isArray(v)) for (const t of v) out.add(t as Tensor);
    else if (v) out.add(v as Tensor);
  }
  return out;
}
