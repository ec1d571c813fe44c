/**
 * Noise schedules in the one form of EDM (Karras et al. 2022, eq. 4):
 *
 *     x_t = s(t) (x_0 + σ(t) ε),   ε ~ N(0, I)
 *
 * so that x_t = α_t x_0 + β_t ε with α = s, β = s σ. Samplers work on x / s (the "σ-space" of EDM,
 * where the probability-flow ODE is dx/dσ = (x - D(x, σ)) / σ); a schedule is only needed to turn σ
 * back into the time t and the scale s a network was trained with.
 *
 * - VP linear (Song et al. 2021): β(t) = β_min + β_d t, σ(t) = sqrt(exp(β_d t²/2 + β_min t) - 1), s = 1/sqrt(1 + σ²).
 * - VP cosine (Nichol & Dhariwal 2021): ᾱ(t) = cos²(π/2 (t + s₀)/(1 + s₀)) / cos²(π/2 s₀/(1 + s₀)), σ = sqrt(1/ᾱ - 1), s = sqrt(ᾱ).
 * - VE (Song et al. 2021): σ(t) = σ_min (σ_max/σ_min)^t, s = 1.
 * - EDM: σ(t) = t, s = 1.
 * - Flow matching / rectified flow (Lipman et al. 2023, Liu et al. 2022): x_t = (1 - t) x_0 + t ε, i.e. s = 1 - t, σ = t / (1 - t).
 */

export type ScheduleName = 'vp' | 'vp-cosine' | 've' | 'edm' | 'flow';

export interface Schedule {
  readonly name: ScheduleName;
  /** Time range the model is trained and sampled on. */
  readonly tMin: number;
  readonly tMax: number;
  sigma(t: number): number;
  /** The scale s(t). */
  s(t: number): number;
  /** dσ/dt. */
  sigmaDeriv(t: number): number;
  /** ds/dt. */
  sDeriv(t: number): number;
  /** The t with σ(t) = sigma (σ is increasing in t for every schedule). */
  sigmaInv(sigma: number): number;
  /** σ at tMin and tMax. */
  readonly sigmaMin: number;
  readonly sigmaMax: number;
}

abstract class BaseSchedule implements Schedule {
  abstract readonly name: ScheduleName;
  abstract readonly tMin: number;
  abstract readonly tMax: number;
  abstract sigma(t: number): number;
  abstract s(t: number): number;
  abstract sigmaDeriv(t: number): number;
  abstract sDeriv(t: number): number;
  abstract sigmaInv(sigma: number): number;
  get sigmaMin(): number {
    return this.sigma(this.tMin);
  }
  get sigmaMax(): number {
    return this.sigma(this.tMax);
  }
}

/** VP with linear β(t) (DDPM's continuous limit); EDM's defaults β_d = 19.9, β_min = 0.1, t ∈ [1e-3, 1]. */
export class VPLinearSchedule extends BaseSchedule {
  readonly name = 'vp' as const;
  constructor(readonly betaD = 19.9, readonly betaMin = 0.1, readonly tMin = 1e-3, readonly tMax = 1) {
    super();
  }
  sigma(t: number): number {
    return Math.sqrt(Math.expm1(0.5 * this.betaD * t * t + this.betaMin * t));
  }
  s(t: number): number {
    return 1 / Math.sqrt(1 + this.sigma(t) ** 2);
  }
  sigmaDeriv(t: number): number {
    const sg = this.sigma(t);
    return (0.5 * (this.betaMin + this.betaD * t) * (sg * sg + 1)) / sg;
  }
  sDeriv(t: number): number {
    const sg = this.sigma(t);
    return -(sg * this.sigmaDeriv(t)) / (1 + sg * sg) ** 1.5;
  }
  sigmaInv(sigma: number): number {
    return (Math.sqrt(this.betaMin ** 2 + 2 * this.betaD * Math.log1p(sigma * sigma)) - this.betaMin) / this.betaD;
  }
}

/** VP with the cosine ᾱ of improved DDPM (offset s₀ = 0.008); tMax < 1 keeps σ finite. */
export class VPCosineSchedule extends BaseSchedule {
  readonly name = 'vp-cosine' as const;
  constructor(readonly offset = 0.008, readonly tMin = 1e-3, readonly tMax = 0.999) {
    super();
  }
  private angle(t: number): number {
    return ((t + this.offset) / (1 + this.offset)) * (Math.PI / 2);
  }
  private alphaBar(t: number): number {
    return Math.cos(this.angle(t)) ** 2 / Math.cos(this.angle(0)) ** 2;
  }
  private alphaBarDeriv(t: number): number {
    const a = this.angle(t);
    return (-2 * Math.cos(a) * Math.sin(a) * (Math.PI / 2)) / (1 + this.offset) / Math.cos(this.angle(0)) ** 2;
  }
  sigma(t: number): number {
    return Math.sqrt(Math.max(0, 1 / this.alphaBar(t) - 1));
  }
  s(t: number): number {
    return Math.sqrt(this.alphaBar(t));
  }
  sigmaDeriv(t: number): number {
    const ab = this.alphaBar(t);
    return -this.alphaBarDeriv(t) / (ab * ab) / (2 * this.sigma(t));
  }
  sDeriv(t: number): number {
    return this.alphaBarDeriv(t) / (2 * this.s(t));
  }
  sigmaInv(sigma: number): number {
    const ab = 1 / (1 + sigma * sigma);
    const a = Math.acos(Math.min(1, Math.sqrt(ab) * Math.cos(this.angle(0))));
    return (a / (Math.PI / 2)) * (1 + this.offset) - this.offset;
  }
}

/** VE: geometric σ from σ_min = 0.02 to σ_max = 100 over t ∈ [0, 1]. */
export class VESchedule extends BaseSchedule {
  readonly name = 've' as const;
  readonly tMin = 0;
  readonly tMax = 1;
  constructor(readonly sigmaLo = 0.02, readonly sigmaHi = 100) {
    super();
  }
  sigma(t: number): number {
    return this.sigmaLo * (this.sigmaHi / this.sigmaLo) ** t;
  }
  s(): number {
    return 1;
  }
  sigmaDeriv(t: number): number {
    return this.sigma(t) * Math.log(this.sigmaHi / this.sigmaLo);
  }
  sDeriv(): number {
    return 0;
  }
  sigmaInv(sigma: number): number {
    return Math.log(sigma / this.sigmaLo) / Math.log(this.sigmaHi / this.sigmaLo);
  }
}

/** EDM: σ(t) = t, s(t) = 1, t ∈ [0.002, 80]. */
export class EDMSchedule extends BaseSchedule {
  readonly name = 'edm' as const;
  constructor(readonly tMin = 0.002, readonly tMax = 80) {
    super();
  }
  sigma(t: number): number {
    return t;
  }
  s(): number {
    return 1;
  }
  sigmaDeriv(): number {
    return 1;
  }
  sDeriv(): number {
    return 0;
  }
  sigmaInv(sigma: number): number {
    return sigma;
  }
}

/** Flow matching / rectified flow: x_t = (1 - t) x_0 + t ε; tMax < 1 keeps σ = t/(1-t) finite for σ-space samplers. */
export class FlowSchedule extends BaseSchedule {
  readonly name = 'flow' as const;
  constructor(readonly tMin = 0, readonly tMax = 1 - 1e-3) {
    super();
  }
  sigma(t: number): number {
    return t / (1 - t);
  }
  s(t: number): number {
    return 1 - t;
  }
  sigmaDeriv(t: number): number {
    return 1 / (1 - t) ** 2;
  }
  sDeriv(): number {
    return -1;
  }
  sigmaInv(sigma: number): number {
    return Number.isFinite(sigma) ? sigma / (1 + sigma) : 1;
  }
}

export const SCHEDULES: Record<ScheduleName, () => Schedule> = {
  vp: () => new VPLinearSchedule(),
  'vp-cosine': () => new VPCosineSchedule(),
  ve: () => new VESchedule(),
  edm: () => new EDMSchedule(),
  flow: () => new FlowSchedule(),
};

/** A schedule by name (with its defaults); unknown names are an error listing the known ones. */
export function getSchedule(name: string): Schedule {
  const make = SCHEDULES[name as ScheduleName];
  if (!make) throw new Error(`unknown noise schedule '${name}'; schedules: ${Object.keys(SCHEDULES).join(', ')}`);
  return make();
}
