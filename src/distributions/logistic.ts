/** The logistic distribution (NICE's prior: Dinh et al., 2014). */
import { torch, type Tensor } from '../tensor/index.ts';
import { openUniformNoise, sumRightmost, LocScaleDistribution, StandardEventDistribution, type SampleOptions } from './distribution.ts';

/**
 * Logistic(loc, scale), elementwise: x = loc + scale (log u - log(1 - u)).
 * log p(x) = -z - 2 softplus(-z) - log scale with z = (x - loc)/scale (= -softplus(z) - softplus(-z) - log scale).
 */
export class Logistic extends LocScaleDistribution {
  constructor(loc: Tensor | number = 0, scale: Tensor | number = 1, options: { validate?: boolean } = {}) {
    super(loc, scale, options);
  }
  get mean(): Tensor {
    return this.loc.expand(this.batchShape);
  }
  /** scale² π² / 3. */
  get variance(): Tensor {
    return this.scale.square().mul((Math.PI * Math.PI) / 3).expand(this.batchShape);
  }
  rsample(sampleShape: number[] = [], options: SampleOptions = {}): Tensor {
    const u = openUniformNoise([...sampleShape, ...this.batchShape], this.loc.dtype, options);
    return this.loc.add(u.log().sub(u.neg().log1p()).mul(this.scale));
  }
  logProb(x: Tensor): Tensor {
    const z = x.sub(this.loc).div(this.scale);
    return z.softplus().add(z.neg().softplus()).neg().sub(this.scale.log());
  }
  /** log scale + 2. */
  entropy(): Tensor {
    return this.scale.log().add(2).expand(this.batchShape);
  }
}

/**
 * StandardLogistic(eventShape): Logistic(0, 1) over tensors of shape eventShape, logProb summed over
 * them (NICE's prior). Holds no tensors, so it can live as long as a model.
 */
export class StandardLogistic extends StandardEventDistribution {
  rsample(sampleShape: number[] = [], options: SampleOptions = {}): Tensor {
    const u = openUniformNoise([...sampleShape, ...this.eventShape], this.dtype, options);
    return u.log().sub(u.neg().log1p());
  }
  logProb(x: Tensor): Tensor {
    return sumRightmost(x.softplus().add(x.neg().softplus()).neg(), this.eventShape.length);
  }
  entropy(): Tensor {
    return torch.tensor(2 * this.eventSize, { dtype: this.dtype });
  }
}
