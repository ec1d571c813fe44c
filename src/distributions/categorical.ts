/** Categorical over {0, …, K-1}, parameterized by logits or probs over the last dimension. */
import { torch, type Tensor } from '../tensor/index.ts';
import { asTensor, checkSupport, gumbelNoise, type Distribution, type SampleOptions } from './distribution.ts';
import { probsToLogits } from './bernoulli.ts';

/** `validate` (default true): NaN logits, negative probs or a row of zero probs are errors. */
export type CategoricalParams = ({ logits: Tensor; probs?: undefined } | { probs: Tensor; logits?: undefined }) & { validate?: boolean };

/**
 * Categorical({ logits }) or Categorical({ probs }): the last dimension holds the K classes
 * (batchShape = shape[:-1], eventShape = []). Samples are int64 class indices, drawn by the
 * Gumbel-max trick (argmax(logits + Gumbel noise)), so any sample shape and a generator work.
 */
export class Categorical implements Distribution {
  /** Normalized log-probabilities (logits - logsumexp(logits)). */
  readonly logits: Tensor;
  readonly probs: Tensor;
  readonly batchShape: number[];
  readonly eventShape: number[] = [];
  readonly hasRsample = false;
  readonly numClasses: number;

  constructor(params: CategoricalParams) {
    if ((params.logits === undefined) === (params.probs === undefined)) throw new TypeError('Categorical: give exactly one of { logits } or { probs }');
    if (params.logits !== undefined) {
      const l = asTensor(params.logits);
      if (l.dim() < 1) throw new RangeError('Categorical: logits need a class dimension');
      if (params.validate !== false) checkSupport('Categorical', 'logits', l, 'notNaN');
      this.logits = l.logSoftmax(-1);
      this.probs = this.logits.exp();
    } else {
      const p = asTensor(params.probs!);
      if (p.dim() < 1) throw new RangeError('Categorical: probs need a class dimension');
      if (params.validate !== false) {
        checkSupport('Categorical', 'probs', p, 'nonnegative');
        torch.noGrad(() => torch.scope(() => checkSupport('Categorical', 'the sum of probs over the classes', p.detach().sum(-1), 'positive')));
      }
      this.probs = p.div(p.sum(-1, true));
      this.logits = probsToLogits(this.probs, false);
    }
    this.batchShape = this.logits.shape.slice(0, -1);
    this.numClasses = this.logits.size(-1);
  }
  /** NaN (a categorical has no mean over unordered classes), as PyTorch. */
  get mean(): Tensor {
    return torch.full(this.batchShape, Number.NaN, { dtype: this.probs.dtype });
  }
  sample(sampleShape: number[] = [], options: SampleOptions = {}): Tensor {
    return torch.noGrad(() => {
      const shape = [...sampleShape, ...this.batchShape, this.numClasses];
      return this.logits.add(gumbelNoise(shape, this.logits.dtype, options)).argmax(-1);
    });
  }
  rsample(): Tensor {
    throw new TypeError('Categorical has no reparameterized sample; use RelaxedOneHotCategorical (Gumbel-softmax) or scoreFunctionGradient');
  }
  /** log p(x) for int64 class indices x of shape sampleShape + batchShape. */
  logProb(x: Tensor): Tensor {
    const idx = x.long();
    const shape = [...idx.shape, this.numClasses];
    const logits = this.logits.expand(shape);
    return logits.gather(-1, idx.unsqueeze(-1)).squeeze(-1);
  }
  /** -Σ p log p. */
  entropy(): Tensor {
    return this.probs.mul(this.logits.clampMin(-1e30)).sum(-1).neg();
  }
}
