/** NICE's final diagonal scaling: y = x * exp(s), log|det| = sum(s) (s per feature / channel). */
import { torch, type Tensor } from '../../../tensor/index.ts';
import { Bijector, type BijectorOptions } from '../bijector.ts';

export class DiagonalScaling extends Bijector {
  readonly logScale: Tensor;

  /** shape: the per-example shape of the scale, e.g. [D] or [C, H, W]. */
  constructor(shape: number[], options: BijectorOptions = {}) {
    super();
    this.logScale = this.param('logScale', torch.zeros(shape, { dtype: options.dtype ?? 'float32' }));
  }

  forward(x: Tensor) {
    const logDet = this.logScale.sum().expand([x.size(0)]);
    return { y: x.mul(this.logScale.exp()), logDet };
  }

  inverse(y: Tensor) {
    const logDet = this.logScale.sum().neg().expand([y.size(0)]);
    return { x: y.mul(this.logScale.neg().exp()), logDet };
  }
}
