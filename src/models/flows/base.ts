/** Base distributions for flows: a standard normal over a fixed event shape. */
import { torch, type Tensor, type DType } from '../../tensor/index.ts';

/** What a Flow needs from its base distribution. */
export interface BaseDistribution {
  /** Per-example event shape, e.g. [2] or [1, 28, 28]. */
  readonly eventShape: number[];
  /** log density of each example, shape [B]. */
  logProb(z: Tensor): Tensor;
  /** n samples, shape [n, ...eventShape]; temperature scales the standard deviation (Glow). */
  sample(n: number, options?: { temperature?: number; device?: string }): Tensor;
}

const LOG_2PI = Math.log(2 * Math.PI);

/** N(0, I) over eventShape. */
export class StandardNormal implements BaseDistribution {
  constructor(readonly eventShape: number[], readonly dtype: DType = 'float32') {}

  logProb(z: Tensor): Tensor {
    const d = this.eventShape.reduce((a, b) => a * b, 1);
    return z.flatten(1).square().sum(1).mul(-0.5).sub(0.5 * d * LOG_2PI);
  }

  sample(n: number, options: { temperature?: number; device?: string } = {}): Tensor {
    const z = torch.randn([n, ...this.eventShape], { dtype: this.dtype, device: options.device ?? 'cpu' });
    const t = options.temperature ?? 1;
    return t === 1 ? z : z.mul(t);
  }
}

/**
 * The standard logistic over eventShape (NICE's prior on images, Dinh et al. 2015): log p(z) =
 * -Σ [softplus(z) + softplus(-z)]; samples log u - log(1 - u). Temperature scales the samples.
 */
export class StandardLogistic implements BaseDistribution {
  constructor(readonly eventShape: number[], readonly dtype: DType = 'float32') {}

  logProb(z: Tensor): Tensor {
    const f = z.flatten(1);
    return f.softplus().add(f.neg().softplus()).sum(1).neg();
  }

  sample(n: number, options: { temperature?: number; device?: string } = {}): Tensor {
    const u = torch.rand([n, ...this.eventShape], { dtype: this.dtype, device: options.device ?? 'cpu' }).clamp(1e-7, 1 - 1e-7);
    const z = u.log().sub(u.neg().add(1).log());
    const t = options.temperature ?? 1;
    return t === 1 ? z : z.mul(t);
  }
}
