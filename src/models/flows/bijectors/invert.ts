/** Swaps a bijector's directions (nflows' InverseTransform): forward is the inner inverse and vice versa. */
import type { Tensor } from '../../../tensor/index.ts';
import { Bijector } from '../bijector.ts';

export class Invert extends Bijector {
  override get name(): string {
    return `Invert(${this.inner.name})`;
  }
  constructor(readonly inner: Bijector) {
    super();
    this.child('inner', inner);
  }
  override outputShape(shape: number[]): number[] {
    return this.inner.inputShape(shape);
  }
  override inputShape(shape: number[]): number[] {
    return this.inner.outputShape(shape);
  }
  forward(x: Tensor, context?: Tensor) {
    const r = this.inner.inverse(x, context);
    return { y: r.x, logDet: r.logDet };
  }
  inverse(y: Tensor, context?: Tensor) {
    const r = this.inner.forward(y, context);
    return { x: r.y, logDet: r.logDet };
  }
}
