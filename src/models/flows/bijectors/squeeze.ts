/**
 * RealNVP's squeeze: [B, C, H, W] -> [B, 4C, H/2, W/2], each 2x2 spatial block into channels
 * (pixel unshuffle). Volume preserving.
 */
import type { Tensor } from '../../../tensor/index.ts';
import { Bijector, zeroLogDet } from '../bijector.ts';

export class Squeeze extends Bijector {
  constructor(readonly factor = 2) {
    super();
  }
  override outputShape([c, h, w]: number[]): number[] {
    const f = this.factor;
    if (h! % f || w! % f) throw new RangeError(`Squeeze: ${h}x${w} is not divisible by ${f}`);
    return [c! * f * f, h! / f, w! / f];
  }
  override inputShape([c, h, w]: number[]): number[] {
    const f = this.factor;
    return [c! / (f * f), h! * f, w! * f];
  }
  forward(x: Tensor) {
    return { y: x.pixelUnshuffle(this.factor), logDet: zeroLogDet(x) };
  }
  inverse(y: Tensor) {
    return { x: y.pixelShuffle(this.factor), logDet: zeroLogDet(y) };
  }
}
