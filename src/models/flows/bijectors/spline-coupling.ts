/**
 * Rational-quadratic spline coupling (Durkan et al. 2019, NSF-RQ-C): with a mask b (1 = condition,
 * 0 = transform), each transformed element goes through a monotone RQ spline on [-B, B] with linear
 * (identity) tails, whose 3K-1 parameters the conditioner computes from b * x.
 * The conditioner outputs, along dim 1, C * (3K - 1) values ([B, D(3K-1)] for vectors,
 * [B, C(3K-1), H, W] for images), grouped per channel: K widths, K heights, K-1 derivatives.
 */
import type { Tensor } from '../../../tensor/index.ts';
import { Bijector, sumPerExample, type BijectorOptions, type Conditioner } from '../bijector.ts';
import { rationalQuadraticSpline, type SplineOptions } from './rational-quadratic.ts';

export interface SplineCouplingOptions extends BijectorOptions, SplineOptions {
  /** Number of bins K (default 8). */
  bins?: number;
}

export class SplineCoupling extends Bijector {
  readonly bins: number;
  private readonly mask: Tensor;
  private readonly inv: Tensor;
  private readonly spline: SplineOptions;

  /** Number of conditioner outputs per channel for K bins. */
  static paramsPerDim(bins: number): number {
    return 3 * bins - 1;
  }

  constructor(mask: Tensor, readonly net: Conditioner, options: SplineCouplingOptions = {}) {
    super();
    this.bins = options.bins ?? 8;
    const dtype = options.dtype ?? mask.dtype;
    this.mask = this.buffer('mask', mask.to(dtype).clone());
    this.inv = this.buffer('inv', this.mask.mul(-1).add(1));
    this.spline = { bound: options.bound ?? 3, minBinWidth: options.minBinWidth, minBinHeight: options.minBinHeight, minDerivative: options.minDerivative };
    this.child('net', net);
  }

  private run(x: Tensor, inverse: boolean, context?: Tensor) {
    const K = this.bins;
    const P = 3 * K - 1;
    const raw = this.net.forward(x.mul(this.mask), context);
    const [b, c, ...rest] = x.shape;
    // [B, C*P, ...] -> [B, C, ...rest, P]
    const params = raw.reshape([b!, c!, P, ...rest]).movedim(2, -1);
    const widths = params.narrow(-1, 0, K);
    const heights = params.narrow(-1, K, K);
    const derivs = params.narrow(-1, 2 * K, K - 1);
    const { out, logDet } = rationalQuadraticSpline(x, { widths, heights, derivatives: derivs }, inverse, this.spline);
    const y = x.mul(this.mask).add(out.mul(this.inv));
    return { y, logDet: sumPerExample(logDet.mul(this.inv)) };
  }

  forward(x: Tensor, context?: Tensor) {
    return this.run(x, false, context);
  }

  inverse(y: Tensor, context?: Tensor) {
    const r = this.run(y, true, context);
    return { x: r.y, logDet: r.logDet };
  }
}
