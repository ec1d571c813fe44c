/**
 * Monotone rational-quadratic spline with linear tails (Durkan et al. 2019, "Neural Spline Flows",
 * after nflows' unconstrained_rational_quadratic_spline). On [-B, B] the spline has K bins whose
 * widths, heights (softmax) and K-1 interior knot derivatives (softplus) come from unnormalized
 * parameters; outside it is the identity, and the boundary derivatives are 1 so the map is C¹.
 */
import { torch, type Tensor } from '../../../tensor/index.ts';

export interface SplineParams {
  /** [..., K] unnormalized widths, heights; [..., K-1] unnormalized interior derivatives. */
  widths: Tensor;
  heights: Tensor;
  derivatives: Tensor;
}

export interface SplineOptions {
  bound?: number;
  minBinWidth?: number;
  minBinHeight?: number;
  minDerivative?: number;
}

/** Knot positions: cumulative sums of normalized bin sizes, from -B to B, shape [..., K+1]. */
function knots(raw: Tensor, minBin: number, bound: number): { cum: Tensor; size: Tensor } {
  const k = raw.size(-1);
  const w = raw.softmax(-1).mul(1 - minBin * k).add(minBin);
  let cum = w.cumsum(-1).mul(2 * bound).sub(bound);
  // Pad a leading -B and pin the last knot to B exactly.
  cum = torch.cat([torch.fullLike(cum.narrow(-1, 0, 1), -bound), cum.narrow(-1, 0, k - 1), torch.fullLike(cum.narrow(-1, 0, 1), bound)], -1);
  const size = cum.narrow(-1, 1, k).sub(cum.narrow(-1, 0, k));
  return { cum, size };
}

/**
 * Applies the spline elementwise (inverse = false) or its inverse, to x of shape [...]; the params
 * have shape [..., K] / [..., K-1]. Returns the output and log|dy/dx| (or log|dx/dy|) per element.
 */
export function rationalQuadraticSpline(x: Tensor, p: SplineParams, inverse: boolean, options: SplineOptions = {}): { out: Tensor; logDet: Tensor } {
  const B = options.bound ?? 3;
  const minW = options.minBinWidth ?? 1e-3;
  const minH = options.minBinHeight ?? 1e-3;
  const minD = options.minDerivative ?? 1e-3;
  const inside = x.ge(-B).logicalAnd(x.le(B));
  const xc = x.clamp(-B, B).unsqueeze(-1);

  const { cum: cw, size: bw } = knots(p.widths, minW, B);
  const { cum: ch, size: bh } = knots(p.heights, minH, B);
  // Boundary derivatives are exactly 1: softplus(c) + minD = 1.
  const c = Math.log(Math.expm1(1 - minD));
  const pad = torch.fullLike(p.derivatives.narrow(-1, 0, 1), c);
  const d = torch.cat([pad, p.derivatives, pad], -1).softplus().add(minD);

  // Bin index: number of knots at or below the input, minus one (clamped to [0, K-1]).
  const K = bw.size(-1);
  const ref = inverse ? ch : cw;
  const idx = xc.ge(ref.narrow(-1, 0, K)).sum(-1, true).sub(1).clamp(0, K - 1);

  const g = (t: Tensor) => t.gather(-1, idx);
  const icw = g(cw.narrow(-1, 0, K));
  const ibw = g(bw);
  const ich = g(ch.narrow(-1, 0, K));
  const ih = g(bh);
  const delta = g(bh.div(bw));
  const id0 = g(d.narrow(-1, 0, K));
  const id1 = g(d.narrow(-1, 1, K));
  const sumD = id0.add(id1).sub(delta.mul(2));

  let out: Tensor;
  let ld: Tensor;
  if (!inverse) {
    const theta = xc.sub(icw).div(ibw);
    const t1mt = theta.mul(theta.neg().add(1));
    const num = ih.mul(delta.mul(theta.square()).add(id0.mul(t1mt)));
    const den = delta.add(sumD.mul(t1mt));
    out = ich.add(num.div(den));
    const dnum = delta.square().mul(id1.mul(theta.square()).add(delta.mul(t1mt).mul(2)).add(id0.mul(theta.neg().add(1).square())));
    ld = dnum.log().sub(den.log().mul(2));
  } else {
    const yr = xc.sub(ich);
    const a = yr.mul(sumD).add(ih.mul(delta.sub(id0)));
    const b = ih.mul(id0).sub(yr.mul(sumD));
    const cc = delta.neg().mul(yr);
    const disc = b.square().sub(a.mul(cc).mul(4)).clampMin(0);
    const root = cc.mul(2).div(b.neg().sub(disc.sqrt()));
    out = root.mul(ibw).add(icw);
    const t1mt = root.mul(root.neg().add(1));
    const den = delta.add(sumD.mul(t1mt));
    const dnum = delta.square().mul(id1.mul(root.square()).add(delta.mul(t1mt).mul(2)).add(id0.mul(root.neg().add(1).square())));
    ld = dnum.log().sub(den.log().mul(2)).neg();
  }
  out = out.squeeze(-1);
  ld = ld.squeeze(-1);
  return { out: torch.where(inside, out, x), logDet: torch.where(inside, ld, torch.zerosLike(ld)) };
}
