/** Gumbel, and the Gumbel-softmax / Concrete relaxation of a categorical (Jang et al.; Maddison et al., 2017). */
import { torch, type Tensor } from '../tensor/index.ts';
import { asTensor, checkSupport, gumbelNoise, EULER_GAMMA, LocScaleDistribution, type Distribution, type SampleOptions } from './distribution.ts';
import { probsToLogits } from './bernoulli.ts';

/** Gumbel(loc, scale), elementwise: x = loc - scale log(-log u). */
export class Gumbel extends LocScaleDistribution {
  constructor(loc: Tensor | number = 0, scale: Tensor | number = 1, options: { validate?: boolean } = {}) {
    super(loc, scale, options);
  }
  /** loc + scale γ. */
  get mean(): Tensor {
    return this.loc.add(this.scale.mul(EULER_GAMMA)).expand(this.batchShape);
  }
  rsample(sampleShape: number[] = [], options: SampleOptions = {}): Tensor {
    const g = gumbelNoise([...sampleShape, ...this.batchShape], this.loc.dtype, options);
    return this.loc.add(g.mul(this.scale));
  }
  /** -(z + e^{-z}) - log scale, z = (x - loc)/scale. */
  logProb(x: Tensor): Tensor {
    const z = x.sub(this.loc).div(this.scale);
    return z.add(z.neg().exp()).neg().sub(this.scale.log());
  }
  /** log scale + 1 + γ. */
  entropy(): Tensor {
    return this.scale.log().add(1 + EULER_GAMMA).expand(this.batchShape);
  }
}

export type RelaxedParams = ({ logits: Tensor; probs?: undefined } | { probs: Tensor; logits?: undefined }) & {
  /** Temperature τ > 0 (a number or a tensor broadcasting against batchShape); always checked. */
  temperature: Tensor | number;
  /** Check the probs (>= 0) or logits (not NaN) (default true). */
  validate?: boolean;
  /**
   * Straight-through (ST Gumbel-softmax): rsample returns the one-hot argmax in the forward pass
   * and the soft sample's gradient in the backward pass: y_hard - y_soft.detach() + y_soft.
   */
  hard?: boolean;
};

/**
 * RelaxedOneHotCategorical({ logits | probs, temperature, hard }): the Concrete / Gumbel-softmax
 * distribution on the simplex, y = softmax((logits + g) / τ) with g standard Gumbel noise.
 * The last dimension holds the K classes; eventShape = [K]. logProb is the Concrete density
 * (as torch.distributions.RelaxedOneHotCategorical): log((K-1)!) + (K-1) log τ
 * + Σ_k (log π_k - (τ+1) log y_k) - K logsumexp_k(log π_k - τ log y_k).
 */
export class RelaxedOneHotCategorical implements Distribution {
  /** Normalized log-probabilities of the underlying categorical. */
  readonly logits: Tensor;
  readonly temperature: Tensor;
  readonly hard: boolean;
  readonly batchShape: number[];
  readonly eventShape: number[];
  readonly hasRsample = true;

  constructor(params: RelaxedParams) {
    if ((params.logits === undefined) === (params.probs === undefined)) throw new TypeError('RelaxedOneHotCategorical: give exactly one of { logits } or { probs }');
    if (params.validate !== false) {
      if (params.probs !== undefined) checkSupport('RelaxedOneHotCategorical', 'probs', params.probs, 'nonnegative');
      else checkSupport('RelaxedOneHotCategorical', 'logits', params.logits!, 'notNaN');
    }
    const l = params.logits !== undefined ? params.logits.logSoftmax(-1) : probsToLogits(params.probs!.div(params.probs!.sum(-1, true)), false);
    if (l.dim() < 1) throw new RangeError('RelaxedOneHotCategorical: logits need a class dimension');
    this.logits = l;
    const tau = params.temperature;
    if (typeof tau === 'number' ? !(tau > 0) : tau.numel() > 0 && !(tau.min().item() > 0)) {
      throw new RangeError(`RelaxedOneHotCategorical: temperature must be > 0, got ${typeof tau === 'number' ? tau : tau.min().item()}`);
    }
    this.temperature = asTensor(tau, l);
    this.hard = params.hard ?? false;
    this.batchShape = l.shape.slice(0, -1);
    this.eventShape = l.shape.slice(-1);
  }
  get probs(): Tensor {
    return this.logits.exp();
  }
  /** NaN: the mean of the Concrete distribution has no closed form (as PyTorch). */
  get mean(): Tensor {
    return torch.full([...this.batchShape, ...this.eventShape], Number.NaN, { dtype: this.logits.dtype });
  }
  /** The soft sample softmax((logits + g)/τ) (ignores `hard`). */
  rsampleSoft(sampleShape: number[] = [], options: SampleOptions = {}): Tensor {
    const shape = [...sampleShape, ...this.batchShape, ...this.eventShape];
    const g = gumbelNoise(shape, this.logits.dtype, options);
    return this.logits.add(g).div(this.temperature.dim() === 0 ? this.temperature : this.temperature.unsqueeze(-1)).softmax(-1);
  }
  /** A Gumbel-softmax draw; one-hot forward with soft gradients when `hard`. */
  rsample(sampleShape: number[] = [], options: SampleOptions = {}): Tensor {
    const ySoft = this.rsampleSoft(sampleShape, options);
    if (!this.hard) return ySoft;
    return straightThrough(ySoft);
  }
  sample(sampleShape: number[] = [], options: SampleOptions = {}): Tensor {
    return torch.noGrad(() => this.rsample(sampleShape, options));
  }
  logProb(y: Tensor): Tensor {
    const K = this.eventShape[0]!;
    const tau = this.temperature.dim() === 0 ? this.temperature : this.temperature.unsqueeze(-1);
    const logY = y.log();
    const score = this.logits.sub(logY.mul(tau));
    const logScale = torch.lgamma(torch.tensor(K, { dtype: this.logits.dtype })).add(this.temperature.log().mul(K - 1));
    const expRelaxed = score.sub(score.logsumexp(-1, true)).sum(-1).add(logScale);
    return expRelaxed.sub(logY.sum(-1));
  }
  entropy(): Tensor {
    throw new TypeError('RelaxedOneHotCategorical: the entropy has no closed form (estimate it with -logProb(rsample()))');
  }
}

/** One-hot of the argmax over the last dimension, with y_soft's gradient: y_hard - y_soft.detach() + y_soft. */
export function straightThrough(ySoft: Tensor): Tensor {
  const K = ySoft.size(-1);
  const yHard = ySoft.argmax(-1).oneHot(K).to(ySoft.dtype);
  return yHard.sub(ySoft.detach()).add(ySoft);
}

/**
 * gumbelSoftmax(logits, τ, { hard }): one Gumbel-softmax draw (torch.nn.functional.gumbel_softmax).
 */
export function gumbelSoftmax(logits: Tensor, temperature = 1, options: SampleOptions & { hard?: boolean } = {}): Tensor {
  return new RelaxedOneHotCategorical({ logits, temperature, hard: options.hard ?? false }).rsample([], options);
}

/** Options of the Gumbel-softmax temperature annealing schedule. */
export interface TemperatureSchedule {
  /** τ at step 0 (default 1). */
  initial?: number;
  /** Floor of τ (default 0.5, as Jang et al. 2016). */
  min?: number;
  /** Decay rate r of τ = initial · exp(−r t) (default 1e-5 per step, Jang et al.'s value). */
  rate?: number;
  /** Update τ every this many steps (piecewise constant; default 1000 as Jang et al.). */
  every?: number;
}

/**
 * Annealed Gumbel-softmax temperature at a step: max(min, initial · exp(−rate · t)) with
 * t = step rounded down to a multiple of `every` (Jang et al. 2016, section 4.1).
 */
export function gumbelTemperature(step: number, o: TemperatureSchedule = {}): number {
  const initial = o.initial ?? 1;
  const min = o.min ?? 0.5;
  const rate = o.rate ?? 1e-5;
  const every = o.every ?? 1000;
  if (!(initial > 0)) throw new RangeError(`gumbelTemperature: initial temperature must be > 0, got ${initial}`);
  if (!(min > 0)) throw new RangeError(`gumbelTemperature: min temperature must be > 0, got ${min}`);
  if (!(rate >= 0)) throw new RangeError(`gumbelTemperature: rate must be >= 0, got ${rate}`);
  if (!Number.isInteger(every) || every < 1) throw new RangeError(`gumbelTemperature: every must be an integer >= 1, got ${every}`);
  const t = Math.floor(step / every) * every;
  return Math.max(min, initial * Math.exp(-rate * t));
}
