/**
 * NICE's additive coupling (Dinh et al. 2015): y = x_a, y_b = x_b + m(x_a), volume preserving.
 * With a mask b (1 = condition, 0 = transform): y = x + (1 - b) * m(b * x).
 */
import type { Tensor } from '../../../tensor/index.ts';
import { Bijector, zeroLogDet, type Conditioner } from '../bijector.ts';

export class AdditiveCoupling extends Bijector {
  private readonly mask: Tensor;
  private readonly inv: Tensor;

  /** net maps the masked input (same shape as x) to a shift of the same shape. */
  constructor(mask: Tensor, readonly net: Conditioner) {
    super();
    this.mask = this.buffer('mask', mask.clone());
    this.inv = this.buffer('inv', mask.mul(-1).add(1));
    this.child('net', net);
  }

  private shift(x: Tensor, context?: Tensor): Tensor {
    return this.net.forward(x.mul(this.mask), context).mul(this.inv);
  }

  forward(x: Tensor, context?: Tensor) {
    return { y: x.add(this.shift(x, context)), logDet: zeroLogDet(x) };
  }

  inverse(y: Tensor, context?: Tensor) {
    return { x: y.sub(this.shift(y, context)), logDet: zeroLogDet(y) };
  }
}
