/**
 * Glow's learned priors (Kingma & Dhariwal 2018, the `split2d` and `prior` of their code), written as
 * bijectors onto a standard normal, so the multi-scale flow keeps one N(0, I) base:
 *
 * - SplitPrior: a factored-out half z_f gets N(μ, σ²) with [μ, log σ] = ZeroConv(z_kept), a 3x3 conv
 *   whose weights start at zero (scaled by exp(3·logs), as Glow's Conv2dZeros). As a bijector,
 *   z_f -> (z_f - μ) / σ with log|det| = -Σ log σ, so log N(z_f; μ, σ²) = log N(ε; 0, I) - Σ log σ.
 * - TopPrior: the last level's output gets N(μ, σ²) with per-channel μ, log σ learned (Glow's prior on
 *   the top: a zero conv of zeros is its bias), optionally shifted per class by a zero-initialised
 *   linear map of a one-hot label (class-conditional Glow).
 *
 * Sampling runs the inverse, z_f = μ + σ ε, so a temperature T that scales the base noise ε scales
 * every level's noise around its learned mean, as in Glow.
 */
import { torch, type Tensor } from '../../../tensor/index.ts';
import { Bijector, type BijectorOptions } from '../bijector.ts';

/** Splits a [B, 2C, H, W] tensor into mean and log-scale halves. */
function meanLogScale(h: Tensor): { mean: Tensor; logScale: Tensor } {
  const c = h.size(1) / 2;
  return { mean: h.narrow(1, 0, c), logScale: h.narrow(1, c, c) };
}

const perExample = (t: Tensor) => t.flatten(1).sum(1);

/** Gaussian prior of a factored-out half conditioned on the kept half. Call with the kept half as context. */
export class SplitPrior extends Bijector {
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly logs: Tensor;

  /** keptChannels: channels of the conditioning half; channels: channels of the factored-out half. */
  constructor(readonly keptChannels: number, readonly channels: number, options: BijectorOptions = {}) {
    super();
    const dtype = options.dtype ?? 'float32';
    this.weight = this.param('weight', torch.zeros([2 * channels, keptChannels, 3, 3], { dtype }));
    this.bias = this.param('bias', torch.zeros([2 * channels], { dtype }));
    this.logs = this.param('logs', torch.zeros([2 * channels], { dtype }));
  }

  /** μ and log σ of the factored-out half given the kept half. */
  params(kept: Tensor): { mean: Tensor; logScale: Tensor } {
    const h = torch.conv2d(kept, this.weight, this.bias, 1, 1).mul(this.logs.mul(3).exp().view([1, -1, 1, 1]));
    return meanLogScale(h);
  }

  forward(x: Tensor, kept?: Tensor) {
    if (!kept) throw new TypeError('SplitPrior.forward: the kept half is needed as context');
    const { mean, logScale } = this.params(kept);
    return { y: x.sub(mean).mul(logScale.neg().exp()), logDet: perExample(logScale).neg() };
  }

  inverse(y: Tensor, kept?: Tensor) {
    if (!kept) throw new TypeError('SplitPrior.inverse: the kept half is needed as context');
    const { mean, logScale } = this.params(kept);
    return { x: y.mul(logScale.exp()).add(mean), logDet: perExample(logScale) };
  }

  /** log N(x; μ(kept), σ(kept)²) summed per example (for tests and diagnostics). */
  logProb(x: Tensor, kept: Tensor): Tensor {
    const { mean, logScale } = this.params(kept);
    const z = x.sub(mean).mul(logScale.neg().exp());
    return perExample(z.square().mul(-0.5).sub(logScale).sub(0.5 * Math.log(2 * Math.PI)));
  }
}

export interface TopPriorOptions extends BijectorOptions {
  /** Number of classes for a class-conditional prior (the context is then a one-hot [B, classes]). */
  classes?: number;
}

/** Learned Gaussian prior of the top level: per-channel μ, log σ (+ a per-class shift). */
export class TopPrior extends Bijector {
  readonly mean: Tensor;
  readonly logScale: Tensor;
  readonly classWeight: Tensor | null;

  constructor(readonly channels: number, options: TopPriorOptions = {}) {
    super();
    const dtype = options.dtype ?? 'float32';
    this.mean = this.param('mean', torch.zeros([channels], { dtype }));
    this.logScale = this.param('logScale', torch.zeros([channels], { dtype }));
    this.classWeight = options.classes ? this.param('classWeight', torch.zeros([2 * channels, options.classes], { dtype })) : null;
  }

  /** μ and log σ broadcastable to x ([B or 1, C, 1, 1]). */
  params(x: Tensor, onehot?: Tensor): { mean: Tensor; logScale: Tensor } {
    let mean = this.mean.view([1, -1, 1, 1]);
    let logScale = this.logScale.view([1, -1, 1, 1]);
    if (this.classWeight) {
      if (!onehot) throw new TypeError(`TopPrior: this prior is class-conditional (${this.classWeight.size(1)} classes); pass the one-hot labels as context`);
      const h = torch.linear(onehot, this.classWeight).view([x.size(0), -1, 1, 1]);
      mean = mean.add(h.narrow(1, 0, this.channels));
      logScale = logScale.add(h.narrow(1, this.channels, this.channels));
    }
    return { mean, logScale };
  }

  private spatial(x: Tensor): number {
    return x.size(2) * x.size(3);
  }

  forward(x: Tensor, onehot?: Tensor) {
    const { mean, logScale } = this.params(x, onehot);
    const logDet = perExample(logScale.expand(x.shape).narrow(2, 0, 1).narrow(3, 0, 1)).mul(-this.spatial(x));
    return { y: x.sub(mean).mul(logScale.neg().exp()), logDet };
  }

  inverse(y: Tensor, onehot?: Tensor) {
    const { mean, logScale } = this.params(y, onehot);
    const logDet = perExample(logScale.expand(y.shape).narrow(2, 0, 1).narrow(3, 0, 1)).mul(this.spatial(y));
    return { x: y.mul(logScale.exp()).add(mean), logDet };
  }
}
