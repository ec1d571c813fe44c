/**
 * The categorical (discrete) VAE of Jang et al. 2016: `groups` categorical latents of `classes`
 * classes each (20 x 10 in the paper), a uniform prior, and three ways to get the encoder's gradient:
 *
 * - 'gumbel': the decoder reads a Gumbel-softmax sample softmax((logits + g)/τ) (relaxed, biased);
 * - 'st-gumbel': the decoder reads the one-hot argmax, the gradient is the soft sample's;
 * - 'score': the decoder reads a categorical one-hot draw; the encoder gets the score-function
 *   gradient (f − b) ∇ log q(z|x) with f = −log p(x|z) and b the leave-one-out mean of f over the
 *   batch (a baseline independent of each example's own draw).
 *
 * The KL to the uniform prior is in closed form: Σ_groups Σ_k q_k log q_k + groups · log K. The
 * evaluation ELBO always decodes discrete draws (the true categorical ELBO).
 */
import { torch, type Tensor } from '../../tensor/index.ts';
import { Categorical, RelaxedOneHotCategorical } from '../../distributions/index.ts';
import type { Likelihood } from './likelihoods.ts';
import type { Net } from './vae.ts';

export type CategoricalEstimator = 'gumbel' | 'st-gumbel' | 'score';
export const CATEGORICAL_ESTIMATORS: readonly CategoricalEstimator[] = ['gumbel', 'st-gumbel', 'score'];

export class CategoricalVAE {
  constructor(
    readonly encoder: Net,
    readonly decoder: Net,
    readonly likelihood: Likelihood,
    readonly groups: number,
    readonly classes: number,
  ) {
    if (classes < 2) throw new RangeError(`CategoricalVAE: classes must be >= 2, got ${classes}`);
  }

  /** Normalized posterior logits [N, groups, classes]. */
  logits(x: Tensor): Tensor {
    const h = this.encoder.forward(x);
    if (h.size(1) !== this.groups * this.classes) throw new RangeError(`CategoricalVAE: the encoder gives ${h.size(1)} features, expected ${this.groups} x ${this.classes}`);
    return h.reshape([x.size(0), this.groups, this.classes]).logSoftmax(-1);
  }

  /** KL(q || uniform) per example [N]. */
  kl(logits: Tensor): Tensor {
    return logits.exp().mul(logits).sum([1, 2]).add(this.groups * Math.log(this.classes));
  }

  private decodeLogProb(z: Tensor, x: Tensor): Tensor {
    return this.likelihood.logProb(this.decoder.forward(z.reshape([z.size(0), -1])), x);
  }

  /**
   * Training terms (means over the batch): loss (to minimize; its value is recon + kl), recon, kl,
   * and the temperature used.
   */
  loss(x: Tensor, estimator: CategoricalEstimator, temperature: number): { loss: Tensor; recon: Tensor; kl: Tensor } {
    if (!(temperature > 0)) throw new RangeError(`CategoricalVAE: temperature must be > 0, got ${temperature}`);
    const logits = this.logits(x);
    const kl = this.kl(logits);
    if (estimator === 'gumbel' || estimator === 'st-gumbel') {
      const y = new RelaxedOneHotCategorical({ logits, temperature, hard: estimator === 'st-gumbel', validate: false }).rsample();
      const recon = this.decodeLogProb(y, x).neg();
      return { loss: recon.add(kl).mean(), recon: recon.mean(), kl: kl.mean() };
    }
    if (estimator !== 'score') throw new RangeError(`unknown estimator '${estimator}'; estimators: ${CATEGORICAL_ESTIMATORS.join(', ')}`);
    const q = new Categorical({ logits, validate: false });
    const idx = q.sample(); // [N, groups]
    const z = idx.oneHot(this.classes).to(logits.dtype);
    const recon = this.decodeLogProb(z, x).neg();
    const f = recon.detach();
    const n = f.size(0);
    const b = n > 1 ? f.sum().sub(f).div(n - 1) : torch.zerosLike(f);
    const logq = q.logProb(idx).sum(1);
    const surrogate = f.sub(b).mul(logq);
    // value recon + kl, gradient adds the score-function term for the encoder
    const loss = recon.add(kl).add(surrogate.sub(surrogate.detach())).mean();
    return { loss, recon: recon.mean(), kl: kl.mean() };
  }

  /** −ELBO terms with discrete draws, per example: { recon, kl, negElbo } [N]. */
  discreteElbo(x: Tensor): { recon: Tensor; kl: Tensor; negElbo: Tensor } {
    const logits = this.logits(x);
    const z = new Categorical({ logits, validate: false }).sample().oneHot(this.classes).to(logits.dtype);
    const recon = this.decodeLogProb(z, x).neg();
    const kl = this.kl(logits);
    return { recon, kl, negElbo: recon.add(kl) };
  }

  /** n samples from uniform codes; `mean` gives the decoder's mean picture. */
  sample(n: number, options: { mean?: boolean } = {}): Tensor {
    const idx = torch.randint(0, this.classes, [n, this.groups]);
    const params = this.decoder.forward(idx.oneHot(this.classes).to('float32').reshape([n, -1]));
    return options.mean ? this.likelihood.mean(params) : this.likelihood.sample(params);
  }

  /** Reconstruction through the posterior's most likely codes. */
  reconstruct(x: Tensor): Tensor {
    const z = this.logits(x).argmax(-1).oneHot(this.classes).to('float32');
    return this.likelihood.mean(this.decoder.forward(z.reshape([x.size(0), -1])));
  }
}
