/**
 * RealNVP's image preprocessing as a bijector: pixels v in [0, K) (K = 256 for 8 bits, after uniform
 * dequantization v = x + u, u ~ U[0, 1)) map to y = logit(α + (1 - 2α) v / K). The log-determinant
 * counts both the 1/K scaling and the logit, so a Flow's logProb of v is a density on [0, K)^D in
 * "pixel units": -logProb(v) / (D ln 2) is bits per dimension of the discrete data directly.
 */
import { torch, type Tensor } from '../../../tensor/index.ts';
import { addDequantizationNoise } from '../../../data/dequantize.ts';
import { Bijector, sumPerExample } from '../bijector.ts';

export class LogitTransform extends Bijector {
  constructor(readonly alpha = 0.05, readonly levels = 256) {
    super();
  }

  forward(x: Tensor) {
    const c = (1 - 2 * this.alpha) / this.levels;
    const p = x.mul(c).add(this.alpha);
    const y = p.log().sub(p.neg().log1p());
    // dy/dx = c / (p (1 - p))
    const ld = p.log().add(p.neg().log1p()).neg().add(Math.log(c));
    return { y, logDet: sumPerExample(ld) };
  }

  inverse(y: Tensor) {
    const c = (1 - 2 * this.alpha) / this.levels;
    const p = y.sigmoid();
    const x = p.sub(this.alpha).div(c);
    const ld = p.log().add(p.neg().log1p()).sub(Math.log(c));
    return { x, logDet: sumPerExample(ld) };
  }
}

/**
 * Uniform dequantization: images in [0, 1] (as data loaders give them, k/(K-1)) back to integer levels
 * 0..K-1 plus U[0, 1) noise, the input LogitTransform expects.
 */
export function uniformDequantize(x01: Tensor, levels = 256): Tensor {
  return addDequantizationNoise(x01.mul(levels - 1).round());
}
