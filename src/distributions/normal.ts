/** Gaussians: elementwise `Normal`, `DiagonalNormal` (event over the last dim) and `StandardNormal`. */
import { torch, type Tensor } from '../tensor/index.ts';
import { standardNormalNoise, sumRightmost, LOG_2PI, LocScaleDistribution, StandardEventDistribution, type Distribution, type SampleOptions } from './distribution.ts';

/**
 * Normal(loc, scale): independent Gaussians, one per element of the broadcast of loc and scale
 * (batchShape = that shape, eventShape = []). rsample is loc + scale * eps.
 */
export class Normal extends LocScaleDistribution {
  constructor(loc: Tensor | number, scale: Tensor | number, options: { validate?: boolean } = {}) {
    super(loc, scale, options);
  }

  get mean(): Tensor {
    return this.loc.expand(this.batchShape);
  }
  get variance(): Tensor {
    return this.scale.square().expand(this.batchShape);
  }
  get stddev(): Tensor {
    return this.scale.expand(this.batchShape);
  }

  rsample(sampleShape: number[] = [], options: SampleOptions = {}): Tensor {
    const eps = standardNormalNoise([...sampleShape, ...this.batchShape], this.loc, options);
    return this.loc.add(eps.mul(this.scale));
  }
  /** log N(x; loc, scale²) = -(x-loc)²/(2 scale²) - log scale - log(2π)/2, elementwise. */
  logProb(x: Tensor): Tensor {
    const z = x.sub(this.loc).div(this.scale);
    return z.square().mul(-0.5).sub(this.scale.log()).sub(0.5 * LOG_2PI);
  }
  /** ½ + ½ log(2π) + log scale. */
  entropy(): Tensor {
    return this.scale.log().add(0.5 + 0.5 * LOG_2PI).expand(this.batchShape);
  }
  /** Φ((x - loc) / scale). */
  cdf(x: Tensor): Tensor {
    return torch.special.ndtr(x.sub(this.loc).div(this.scale));
  }
  /** loc + scale Φ⁻¹(p). */
  icdf(p: Tensor): Tensor {
    return this.loc.add(torch.special.ndtri(p).mul(this.scale));
  }
}

/**
 * DiagonalNormal(loc, scale): a Gaussian over vectors with diagonal covariance; the event is the last
 * dimension (batchShape = shape[:-1], eventShape = [d]), so logProb and entropy sum over it.
 * The usual VAE posterior q(z|x) = N(mu, diag(sigma²)).
 */
export class DiagonalNormal implements Distribution {
  readonly base: Normal;
  readonly batchShape: number[];
  readonly eventShape: number[];
  readonly hasRsample = true;

  constructor(loc: Tensor, scale: Tensor | number, options: { validate?: boolean } = {}) {
    this.base = new Normal(loc, scale, options);
    const s = this.base.batchShape;
    if (s.length < 1) throw new RangeError('DiagonalNormal: loc/scale need at least one dimension (the event dimension)');
    this.batchShape = s.slice(0, -1);
    this.eventShape = s.slice(-1);
  }
  /** A diagonal Gaussian from a mean and a log-variance (the usual encoder outputs). */
  static fromLogVar(loc: Tensor, logVar: Tensor, options: { validate?: boolean } = {}): DiagonalNormal {
    return new DiagonalNormal(loc, logVar.mul(0.5).exp(), options);
  }
  get loc(): Tensor {
    return this.base.loc;
  }
  get scale(): Tensor {
    return this.base.scale;
  }
  get mean(): Tensor {
    return this.base.mean;
  }
  get variance(): Tensor {
    return this.base.variance;
  }
  rsample(sampleShape: number[] = [], options: SampleOptions = {}): Tensor {
    return this.base.rsample(sampleShape, options);
  }
  sample(sampleShape: number[] = [], options: SampleOptions = {}): Tensor {
    return this.base.sample(sampleShape, options);
  }
  logProb(x: Tensor): Tensor {
    return this.base.logProb(x).sum(-1);
  }
  entropy(): Tensor {
    return this.base.entropy().sum(-1);
  }
}

/**
 * StandardNormal(eventShape): N(0, I) over tensors of shape eventShape (batchShape = []).
 * logProb(x) sums over the trailing eventShape.length dimensions. It holds no tensors, so one
 * instance can live as long as a model (a flow's or a VAE's prior) without being kept.
 */
export class StandardNormal extends StandardEventDistribution {
  rsample(sampleShape: number[] = [], options: SampleOptions = {}): Tensor {
    const shape = [...sampleShape, ...this.eventShape];
    return options.generator ? torch.randn(shape, { generator: options.generator, dtype: this.dtype }) : torch.randn(shape, { dtype: this.dtype });
  }
  logProb(x: Tensor): Tensor {
    return sumRightmost(x.square().mul(-0.5), this.eventShape.length).sub(0.5 * LOG_2PI * this.eventSize);
  }
  entropy(): Tensor {
    return torch.tensor(this.eventSize * (0.5 + 0.5 * LOG_2PI), { dtype: this.dtype });
  }
}
