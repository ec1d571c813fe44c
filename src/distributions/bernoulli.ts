/** Bernoulli over {0, 1}, parameterized by logits or probs. */
import { torch, type Tensor } from '../tensor/index.ts';
import { asTensor, checkSupport, type Distribution, type SampleOptions } from './distribution.ts';

/** Exactly one of logits / probs; `validate` (default true): probs outside [0, 1] or NaN logits are errors. */
export type BernoulliParams = ({ logits: Tensor | number; probs?: undefined } | { probs: Tensor | number; logits?: undefined }) & { validate?: boolean };

/** Logit of probabilities clamped away from 0 and 1 (as torch.distributions.utils.probs_to_logits). */
export function probsToLogits(probs: Tensor, binary = true): Tensor {
  const eps = probs.dtype === 'float64' ? 2.220446049250313e-16 : 1.1920928955078125e-7;
  const p = probs.clamp(eps, 1 - eps);
  return binary ? p.log().sub(p.neg().log1p()) : p.log();
}

/**
 * Bernoulli({ logits }) or Bernoulli({ probs }): independent coin flips, elementwise (eventShape []).
 * logProb(x) = x log p + (1 - x) log(1 - p), computed stably from logits; x may be fractional
 * (the continuous "binary cross-entropy" likelihood of images in [0, 1]).
 */
export class Bernoulli implements Distribution {
  readonly logits: Tensor;
  readonly probs: Tensor;
  readonly batchShape: number[];
  readonly eventShape: number[] = [];
  readonly hasRsample = false;

  constructor(params: BernoulliParams) {
    if ((params.logits === undefined) === (params.probs === undefined)) throw new TypeError('Bernoulli: give exactly one of { logits } or { probs }');
    if (params.logits !== undefined) {
      if (params.validate !== false) checkSupport('Bernoulli', 'logits', params.logits, 'notNaN');
      this.logits = asTensor(params.logits);
      this.probs = this.logits.sigmoid();
    } else {
      if (params.validate !== false) checkSupport('Bernoulli', 'probs', params.probs!, 'unit');
      this.probs = asTensor(params.probs!);
      this.logits = probsToLogits(this.probs);
    }
    this.batchShape = this.logits.shape;
  }
  get mean(): Tensor {
    return this.probs;
  }
  get variance(): Tensor {
    return this.probs.mul(this.probs.neg().add(1));
  }
  sample(sampleShape: number[] = [], options: SampleOptions = {}): Tensor {
    return torch.noGrad(() => {
      const p = this.probs.expand([...sampleShape, ...this.batchShape]);
      return options.generator ? torch.bernoulli(p, { generator: options.generator }) : torch.bernoulli(p);
    });
  }
  rsample(): Tensor {
    throw new TypeError('Bernoulli has no reparameterized sample; use scoreFunctionGradient or RelaxedBernoulli-style relaxations');
  }
  /** -BCEWithLogits(logits, x), elementwise. */
  logProb(x: Tensor): Tensor {
    const shape = x.shape.length >= this.batchShape.length ? x.shape : this.batchShape;
    const logits = this.logits.expand(shape);
    return torch.binaryCrossEntropyWithLogits(logits, x.expand(shape).to(logits.dtype), null, null, 0).neg();
  }
  entropy(): Tensor {
    return torch.binaryCrossEntropyWithLogits(this.logits, this.probs, null, null, 0);
  }
}
