/**
 * Planar flow (Rezende & Mohamed 2015): f(z) = z + û tanh(wᵀz + b), log|det| = log|1 + ûᵀψ| with
 * ψ = (1 - tanh²(wᵀz + b)) w. Invertibility needs wᵀû ≥ -1, enforced by
 * û = u + (m(wᵀu) - wᵀu) w / |w|², m(a) = -1 + softplus(a).
 *
 * `forward` is the paper's f (analytic). `inverse` solves f(z) = y: with α = wᵀz the scalar equation
 * wᵀy = α + wᵀû tanh(α + b) is monotone in α, solved by bisection;
 * then z = y - û tanh(α + b); a final Newton step carries the implicit gradient. For variational inference, where the paper's f is the sampling
 * direction, wrap it in `Invert` so that sampling uses the analytic map.
 */
import { torch, type Tensor } from '../../../tensor/index.ts';
import { Bijector, type BijectorOptions } from '../bijector.ts';

export class Planar extends Bijector {
  readonly u: Tensor;
  readonly w: Tensor;
  readonly b: Tensor;

  constructor(readonly dim: number, options: BijectorOptions & { initScale?: number } = {}) {
    super();
    const dtype = options.dtype ?? 'float32';
    const s = options.initScale ?? 0.1;
    this.u = this.param('u', torch.randn([dim], { dtype }).mul(s));
    this.w = this.param('w', torch.randn([dim], { dtype }).mul(s));
    this.b = this.param('b', torch.zeros([1], { dtype }));
  }

  /** û, the constrained u (wᵀû ≥ -1). */
  uHat(): Tensor {
    const wu = this.w.dot(this.u);
    const m = wu.softplus().sub(1);
    return this.u.add(this.w.mul(m.sub(wu).div(this.w.square().sum().add(1e-12))));
  }

  forward(x: Tensor) {
    const uh = this.uHat();
    const a = x.matmul(this.w).add(this.b); // [B]
    const h = a.tanh();
    const y = x.add(h.unsqueeze(1).mul(uh));
    const psiU = h.square().neg().add(1).mul(this.w.dot(uh)); // (1 - tanh²) wᵀû
    return { y, logDet: psiU.add(1).abs().log() };
  }

  inverse(y: Tensor) {
    const uh = this.uHat();
    const wu = this.w.dot(uh);
    const target = y.matmul(this.w); // wᵀy = α + wᵀû tanh(α + b)
    const root = torch.noGrad(() => {
      const bound = wu.abs().add(1e-6);
      let lo = target.sub(bound);
      let hi = target.add(bound);
      for (let i = 0; i < 80; i++) {
        [lo, hi] = torch.scope(() => {
          const mid = lo.add(hi).mul(0.5);
          const g = mid.add(mid.add(this.b).tanh().mul(wu)).sub(target);
          const above = g.gt(0);
          return [torch.where(above, lo, mid), torch.where(above, mid, hi)];
        });
      }
      return lo.add(hi).mul(0.5);
    });
    // One Newton step from the root, recorded by autograd: same value, and its gradient is the
    // implicit-function gradient dα = -(∂g/∂θ) / g'(α), so the inverse is differentiable.
    const th = root.add(this.b).tanh();
    const g = root.add(th.mul(wu)).sub(target);
    const gPrime = th.square().neg().add(1).mul(wu).add(1);
    const alpha = root.sub(g.div(gPrime));
    const h = alpha.add(this.b).tanh();
    const x = y.sub(h.unsqueeze(1).mul(uh));
    const logDet = h.square().neg().add(1).mul(wu).add(1).abs().log().neg();
    return { x, logDet };
  }
}
