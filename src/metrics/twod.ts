/** Sample-based distances for low-dimensional data (2-D toys) and held-out likelihood. */
import { torch, type Tensor, type Generator } from '../tensor/index.ts';

/** Default RBF bandwidths for data of unit-ish scale (toy sets live in [-4, 4]²). */
export const DEFAULT_BANDWIDTHS = [0.1, 0.2, 0.5, 1, 2, 5];

/**
 * Squared MMD with a sum of Gaussian kernels k(a, b) = Σ_h exp(-|a-b|² / (2h²)), unbiased estimator
 * (Gretton et al., 2012): mean over i≠j of k(x_i, x_j) + mean over i≠j of k(y_i, y_j) - 2 mean k(x_i, y_j).
 * x [n, d], y [m, d] with n, m >= 2. Returns a 0-d tensor (differentiable; may be slightly negative
 * when the two distributions are equal).
 */
export function mmdRbf(x: Tensor, y: Tensor, bandwidths: number[] = DEFAULT_BANDWIDTHS): Tensor {
  const n = x.size(0);
  const m = y.size(0);
  if (n < 2 || m < 2) throw new RangeError(`mmdRbf: need at least 2 points in each set, got ${n} and ${m}`);
  if (bandwidths.length === 0) throw new RangeError('mmdRbf: give at least one bandwidth');
  return torch.scope(() => {
    const kernel = (a: Tensor, b: Tensor): Tensor => {
      const d2 = torch.cdist(a, b).square();
      let k: Tensor | null = null;
      for (const h of bandwidths) {
        const kh = d2.mul(-1 / (2 * h * h)).exp();
        k = k ? k.add(kh) : kh;
      }
      return k!;
    };
    const kxx = kernel(x, x);
    const kyy = kernel(y, y);
    const kxy = kernel(x, y);
    const off = (k: Tensor, s: number) => k.sum().sub(k.diagonal().sum()).div(s * (s - 1));
    return off(kxx, n).add(off(kyy, m)).sub(kxy.mean().mul(2));
  });
}

/**
 * Sliced p-Wasserstein distance (Rabin et al., 2011; Bonneel et al., 2015): the p-th root of the
 * mean over nProj random unit directions θ of W_p^p between the 1-D projections x·θ and y·θ.
 * 1-D W_p is the L_p distance between sorted samples (quantile functions); with unequal sizes both
 * quantile functions are read at the levels (i + ½)/K, K = max(n, m). Returns a 0-d tensor.
 * For x ~ N(0, I) and y = x + s in d dimensions, SW_2 = |s| / √d (and = |s| in 1-D).
 */
export function slicedWasserstein(x: Tensor, y: Tensor, nProj = 256, generator?: Generator, options: { p?: number } = {}): Tensor {
  const p = options.p ?? 2;
  const d = x.size(1);
  if (y.size(1) !== d) throw new RangeError(`slicedWasserstein: dimensions differ (${d} vs ${y.size(1)})`);
  return torch.scope(() => {
    const dirs = generator ? torch.randn([d, nProj], { generator, dtype: x.dtype }) : torch.randn([d, nProj], { dtype: x.dtype });
    const theta = dirs.div(dirs.norm(2, 0, true));
    const quantiles = (z: Tensor, K: number): Tensor => {
      const sorted = z.matmul(theta).sort(0)[0];
      const n = z.size(0);
      if (n === K) return sorted;
      const idx = torch.arange(K, { dtype: 'float64' }).add(0.5).mul(n / K).floor().clampMax(n - 1).long();
      return sorted.indexSelect(0, idx);
    };
    const K = Math.max(x.size(0), y.size(0));
    const diff = quantiles(x, K).sub(quantiles(y, K)).abs();
    return diff.pow_(p).mean().pow_(1 / p);
  });
}

/**
 * Mean negative log-likelihood in nats over `data` (rows), evaluated in batches without gradient:
 * testNll(x => flow.logProb(x), xTest). Divide by (dims · ln 2) for bits per dimension.
 */
export function testNll(logProb: (batch: Tensor) => Tensor, data: Tensor, batchSize = 1024): number {
  const n = data.size(0);
  if (n === 0) throw new RangeError('testNll: empty data');
  let total = 0;
  for (let s = 0; s < n; s += batchSize) {
    total += torch.scope(() => torch.noGrad(() => logProb(data.narrow(0, s, Math.min(batchSize, n - s))).to('float64').sum().item()));
  }
  return -total / n;
}

/** Bits per dimension from a mean NLL in nats per example of `dims` dimensions: nll / (dims ln 2). */
export function bitsPerDim(nllNats: number, dims: number): number {
  return nllNats / (dims * Math.LN2);
}
