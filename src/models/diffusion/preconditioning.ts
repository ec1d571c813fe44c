/**
 * Preconditionings (EDM, Karras et al. 2022, Table 1): a raw network F and four coefficients make
 * the denoiser
 *
 *     D(x, σ) = c_skip(σ) x + c_out(σ) F(c_in(σ) x, c_noise(σ))
 *
 * where x = x_0 + σ ε lives in σ-space (schedules.ts). Every family is one of these:
 * - EDM:  c_skip = σ_d²/(σ² + σ_d²), c_out = σ σ_d / sqrt(σ² + σ_d²), c_in = 1/sqrt(σ² + σ_d²), c_noise = ln(σ)/4
 * - VP:   c_skip = 1, c_out = -σ, c_in = 1/sqrt(σ² + 1), c_noise = (M - 1) t(σ)      (F predicts ε)
 * - VE:   c_skip = 1, c_out = σ,  c_in = 1,              c_noise = ln(σ/2)          (F predicts -ε)
 * - DDPM: c_skip = 1, c_out = -σ, c_in = 1/sqrt(σ² + 1), c_noise = the (fractional) step index j of σ
 *         in DDPM's discrete linear-β table                                     (F predicts ε)
 * - flow: c_skip = c_in = 1/(1 + σ), c_out = -σ/(1 + σ), c_noise = (M - 1) t, t = σ/(1 + σ)
 *         (F is the flow-matching velocity ε - x_0 at x_t = (1 - t) x_0 + t ε)
 */
import { torch, type Tensor } from '../../tensor/index.ts';
import type { Module } from '../../nn/index.ts';

/** A denoiser D(x, σ) in σ-space: what every sampler calls. Any callable works (a model, a closed form). */
export type Denoiser = (x: Tensor, sigma: number) => Tensor;

/** The raw network a preconditioning wraps: F(c_in x, c_noise [B], labels? [B]). */
export interface NoiseNet {
  forward(x: Tensor, cNoise: Tensor, labels?: Tensor | null): Tensor;
}

export interface Coefficients {
  cSkip: Tensor;
  cOut: Tensor;
  cIn: Tensor;
  cNoise: Tensor;
}

export type PreconditioningName = 'edm' | 'vp' | 've' | 'ddpm' | 'flow';

export interface Preconditioning {
  readonly name: PreconditioningName;
  /** Coefficients for σ of shape [B] (c_skip, c_out, c_in shaped [B]; broadcast by the caller). */
  coefficients(sigma: Tensor): Coefficients;
  /** The σ a value of c_noise stands for (the inverse of c_noise; used to check an ideal network). */
  sigmaOfNoise(cNoise: number): number;
}

/** M of the VP and flow c_noise: time scaled to [0, M - 1] for sinusoidal embeddings. */
export const NOISE_STEPS = 1000;

export class EDMPreconditioning implements Preconditioning {
  readonly name = 'edm' as const;
  constructor(readonly sigmaData = 0.5) {}
  coefficients(sigma: Tensor): Coefficients {
    const sd2 = this.sigmaData ** 2;
    const v = sigma.square().add(sd2);
    return { cSkip: v.reciprocal().mul(sd2), cOut: sigma.mul(this.sigmaData).div(v.sqrt()), cIn: v.rsqrt(), cNoise: sigma.log().div(4) };
  }
  sigmaOfNoise(cNoise: number): number {
    return Math.exp(4 * cNoise);
  }
}

export class VPPreconditioning implements Preconditioning {
  readonly name = 'vp' as const;
  constructor(readonly betaD = 19.9, readonly betaMin = 0.1, readonly M = NOISE_STEPS) {}
  coefficients(sigma: Tensor): Coefficients {
    const t = sigma.square().log1p().mul(2 * this.betaD).add(this.betaMin ** 2).sqrt().sub(this.betaMin).div(this.betaD);
    return { cSkip: torch.onesLike(sigma), cOut: sigma.neg(), cIn: sigma.square().add(1).rsqrt(), cNoise: t.mul(this.M - 1) };
  }
  sigmaOfNoise(cNoise: number): number {
    const t = cNoise / (this.M - 1);
    return Math.sqrt(Math.expm1(0.5 * this.betaD * t * t + this.betaMin * t));
  }
}

export class VEPreconditioning implements Preconditioning {
  readonly name = 've' as const;
  coefficients(sigma: Tensor): Coefficients {
    return { cSkip: torch.onesLike(sigma), cOut: sigma, cIn: torch.onesLike(sigma), cNoise: sigma.mul(0.5).log() };
  }
  sigmaOfNoise(cNoise: number): number {
    return 2 * Math.exp(cNoise);
  }
}

/** DDPM's discrete schedule: β_j linear from 1e-4 to 0.02 over T = 1000 steps; σ_j = sqrt(1/ᾱ_j - 1). */
export function ddpmSigmas(T = NOISE_STEPS, beta1 = 1e-4, betaT = 0.02): number[] {
  const out: number[] = [];
  let logAlphaBar = 0;
  for (let j = 0; j < T; j++) {
    const beta = beta1 + ((betaT - beta1) * j) / (T - 1);
    logAlphaBar += Math.log1p(-beta);
    out.push(Math.sqrt(Math.expm1(-logAlphaBar)));
  }
  return out;
}

/** Fractional index of σ in an increasing table, interpolating log σ linearly (k-diffusion's sigma_to_t). */
export function fractionalIndex(table: number[], sigma: number): number {
  if (sigma <= table[0]!) return 0;
  const last = table.length - 1;
  if (sigma >= table[last]!) return last;
  let lo = 0;
  let hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (table[mid]! <= sigma) lo = mid;
    else hi = mid;
  }
  const a = Math.log(table[lo]!);
  const b = Math.log(table[hi]!);
  return lo + (Math.log(sigma) - a) / (b - a);
}

export class DDPMPreconditioning implements Preconditioning {
  readonly name = 'ddpm' as const;
  readonly sigmas: number[];
  constructor(readonly T = NOISE_STEPS) {
    this.sigmas = ddpmSigmas(T);
  }
  coefficients(sigma: Tensor): Coefficients {
    const idx = (sigma.to('float64').toFlatArray() as number[] | Float64Array);
    const j = torch.tensor(Array.from(idx, (s) => fractionalIndex(this.sigmas, s)), { dtype: sigma.dtype });
    return { cSkip: torch.onesLike(sigma), cOut: sigma.neg(), cIn: sigma.square().add(1).rsqrt(), cNoise: j };
  }
  sigmaOfNoise(cNoise: number): number {
    const lo = Math.max(0, Math.min(this.T - 2, Math.floor(cNoise)));
    const f = cNoise - lo;
    return Math.exp((1 - f) * Math.log(this.sigmas[lo]!) + f * Math.log(this.sigmas[lo + 1]!));
  }
}

export class FlowPreconditioning implements Preconditioning {
  readonly name = 'flow' as const;
  constructor(readonly M = NOISE_STEPS) {}
  coefficients(sigma: Tensor): Coefficients {
    const inv = sigma.add(1).reciprocal();
    return { cSkip: inv, cOut: sigma.mul(inv).neg(), cIn: inv, cNoise: sigma.mul(inv).mul(this.M - 1) };
  }
  /** c_noise of flow time t (the flow-matching loss calls the network at x_t directly). */
  noiseOfTime(t: Tensor): Tensor {
    return t.mul(this.M - 1);
  }
  sigmaOfNoise(cNoise: number): number {
    const t = cNoise / (this.M - 1);
    return t / (1 - t);
  }
}

export const PRECONDITIONINGS: Record<PreconditioningName, () => Preconditioning> = {
  edm: () => new EDMPreconditioning(),
  vp: () => new VPPreconditioning(),
  ve: () => new VEPreconditioning(),
  ddpm: () => new DDPMPreconditioning(),
  flow: () => new FlowPreconditioning(),
};

export function getPreconditioning(name: string): Preconditioning {
  const make = PRECONDITIONINGS[name as PreconditioningName];
  if (!make) throw new Error(`unknown preconditioning '${name}'; preconditionings: ${Object.keys(PRECONDITIONINGS).join(', ')}`);
  return make();
}

/** [B] -> [B, 1, ...] to broadcast against x of rank `rank`. */
export function perExample(v: Tensor, rank: number): Tensor {
  return v.reshape([v.size(0), ...new Array(rank - 1).fill(1)]);
}

/** σ as a [B] tensor in x's dtype (a number is broadcast). */
export function sigmaVector(sigma: Tensor | number, x: Tensor): Tensor {
  if (typeof sigma === 'number') return torch.full([x.size(0)], sigma, { dtype: x.dtype, device: x.device });
  return sigma.numel() === 1 && x.size(0) > 1 ? sigma.reshape([1]).expand([x.size(0)]).to(x.dtype) : sigma.reshape([x.size(0)]).to(x.dtype);
}

/**
 * A network wrapped by a preconditioning: `denoise(x, σ, labels)` is D(x, σ); `raw` is F's output
 * (what ε- and velocity-losses compare to their targets).
 */
export class Preconditioned {
  constructor(readonly net: NoiseNet & Module, readonly pre: Preconditioning) {}

  /** F(c_in x, c_noise) and the coefficients, for σ a number or a [B] tensor. */
  raw(x: Tensor, sigma: Tensor | number, labels?: Tensor | null): { F: Tensor; c: Coefficients } {
    const s = sigmaVector(sigma, x);
    const c = this.pre.coefficients(s);
    const r = x.dim();
    const F = this.net.forward(x.mul(perExample(c.cIn, r)), c.cNoise, labels ?? null);
    return { F: F.to(x.dtype), c };
  }

  denoise(x: Tensor, sigma: Tensor | number, labels?: Tensor | null): Tensor {
    const { F, c } = this.raw(x, sigma, labels);
    const r = x.dim();
    return x.mul(perExample(c.cSkip, r)).add(F.mul(perExample(c.cOut, r)));
  }

  /** D as a plain Denoiser (fixed labels). */
  denoiser(labels?: Tensor | null): Denoiser {
    return (x, sigma) => this.denoise(x, sigma, labels);
  }
}
