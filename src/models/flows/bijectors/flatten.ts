/** Reshapes [B, ...shape] to [B, prod(shape)] and back (volume preserving). */
import type { Tensor } from '../../../tensor/index.ts';
import { Bijector, numel, zeroLogDet } from '../bijector.ts';

export class Flatten extends Bijector {
  constructor(readonly shape: number[]) {
    super();
  }
  override outputShape(): number[] {
    return [numel(this.shape)];
  }
  override inputShape(): number[] {
    return this.shape;
  }
  forward(x: Tensor) {
    return { y: x.flatten(1), logDet: zeroLogDet(x) };
  }
  inverse(y: Tensor) {
    return { x: y.reshape([y.size(0), ...this.shape]), logDet: zeroLogDet(y) };
  }
}
