/**
 * Radial flow (Rezende & Mohamed 2015): f(z) = z + β h(α, r)(z - z₀), r = |z - z₀|, h = 1/(α + r),
 * log|det| = (d - 1) log(1 + βh) + log(1 + βh + βh'r), h' = -1/(α + r)².
 * Invertibility: α > 0 via softplus, β ≥ -α via β = -α + softplus(β̃).
 * `forward` is the paper's f; `inverse` is closed form: |y - z₀| = r (1 + β/(α + r)) is a quadratic in r.
 */
import { torch, type Tensor } from '../../../tensor/index.ts';
import { Bijector, type BijectorOptions } from '../bijector.ts';

export class Radial extends Bijector {
  readonly z0: Tensor;
  readonly alphaRaw: Tensor;
  readonly betaRaw: Tensor;

  constructor(readonly dim: number, options: BijectorOptions & { initScale?: number } = {}) {
    super();
    const dtype = options.dtype ?? 'float32';
    const s = options.initScale ?? 1;
    this.z0 = this.param('z0', torch.randn([dim], { dtype }).mul(s));
    this.alphaRaw = this.param('alphaRaw', torch.randn([1], { dtype }).mul(0.1));
    this.betaRaw = this.param('betaRaw', torch.randn([1], { dtype }).mul(0.1));
  }

  /** The constrained (α, β). */
  coefficients(): { alpha: Tensor; beta: Tensor } {
    const alpha = this.alphaRaw.softplus();
    const beta = this.betaRaw.softplus().sub(alpha);
    return { alpha, beta };
  }

  private logDetAt(r: Tensor, alpha: Tensor, beta: Tensor): Tensor {
    const h = alpha.add(r).reciprocal();
    const bh = beta.mul(h);
    const hPrime = h.square().neg();
    return bh.add(1).log().mul(this.dim - 1).add(bh.add(1).add(beta.mul(hPrime).mul(r)).log());
  }

  forward(x: Tensor) {
    const { alpha, beta } = this.coefficients();
    const d = x.sub(this.z0);
    const r = d.norm(2, [1]); // [B]
    const h = alpha.add(r).reciprocal();
    const y = x.add(d.mul(beta.mul(h).unsqueeze(1)));
    return { y, logDet: this.logDetAt(r, alpha, beta) };
  }

  inverse(y: Tensor) {
    const { alpha, beta } = this.coefficients();
    const d = y.sub(this.z0);
    const ry = d.norm(2, [1]);
    // r² + r(α + β - r_y) - α r_y = 0, the positive root.
    const bq = alpha.add(beta).sub(ry);
    const r = bq.neg().add(bq.square().add(ry.mul(alpha).mul(4)).sqrt()).mul(0.5);
    const h = alpha.add(r).reciprocal();
    const x = this.z0.add(d.div(beta.mul(h).add(1).unsqueeze(1)));
    return { x, logDet: this.logDetAt(r, alpha, beta).neg() };
  }
}
