/** Feature-space metrics for images: Fréchet distance (FID's formula) and k-NN precision/recall. */
import { torch, type Tensor } from '../tensor/index.ts';

/** Mean and covariance (unbiased) of feature rows [n, d], in float64. */
export function featureStats(feats: Tensor): { mu: Tensor; sigma: Tensor } {
  if (feats.dim() !== 2 || feats.size(0) < 2) throw new RangeError(`featureStats: need features [n >= 2, d], got [${feats.shape.join(', ')}]`);
  return torch.scope(() => {
    const f = feats.detach().to('float64');
    const mu = f.mean(0);
    const c = f.sub(mu);
    return { mu, sigma: c.t().matmul(c).div(f.size(0) - 1) };
  });
}

/** The symmetric PSD square root V diag(√max(λ, 0)) Vᵀ of a symmetric matrix (float64). */
export function sqrtmPsd(a: Tensor): Tensor {
  return torch.scope(() => {
    const sym = a.add(a.t()).mul(0.5);
    const [lam, v] = torch.linalg.eigh(sym);
    return v.mul(lam.clampMin(0).sqrt()).matmul(v.t());
  });
}

/**
 * Fréchet distance between Gaussians N(μ1, Σ1), N(μ2, Σ2):
 * |μ1 - μ2|² + Tr(Σ1 + Σ2 - 2 (Σ1 Σ2)^{1/2}). The trace of the square root of the (non-symmetric)
 * product is computed from a symmetric PSD matrix with the same eigenvalues:
 * Tr((Σ1Σ2)^{1/2}) = Σ √λ_i(Σ1^{1/2} Σ2 Σ1^{1/2}), all in float64.
 */
export function frechetDistanceFromStats(mu1: Tensor, sigma1: Tensor, mu2: Tensor, sigma2: Tensor): number {
  return torch.scope(() => {
    const [m1, s1, m2, s2] = [mu1, sigma1, mu2, sigma2].map((t) => t.detach().to('float64')) as [Tensor, Tensor, Tensor, Tensor];
    const r1 = sqrtmPsd(s1);
    const mid = r1.matmul(s2).matmul(r1);
    const lam = torch.linalg.eigvalsh(mid.add(mid.t()).mul(0.5));
    const trSqrt = lam.clampMin(0).sqrt().sum();
    return m1.sub(m2).square().sum().add(s1.trace()).add(s2.trace()).sub(trSqrt.mul(2)).item();
  });
}

/** Fréchet distance between the Gaussians fitted to two sets of feature rows [n, d] and [m, d]. */
export function frechetDistance(featsA: Tensor, featsB: Tensor): number {
  if (featsA.size(1) !== featsB.size(1)) throw new RangeError(`frechetDistance: feature sizes differ (${featsA.size(1)} vs ${featsB.size(1)})`);
  return torch.scope(() => {
    const a = featureStats(featsA);
    const b = featureStats(featsB);
    return frechetDistanceFromStats(a.mu, a.sigma, b.mu, b.sigma);
  });
}

/** Distance of each row of `a` to its k-th nearest other row (self excluded), float64 [n]. */
function kthNeighborRadii(a: Tensor, k: number, chunk: number): Tensor {
  const n = a.size(0);
  if (k < 1 || k >= n) throw new RangeError(`precisionRecall: k must be in [1, ${n - 1}], got ${k}`);
  const parts: Tensor[] = [];
  for (let s = 0; s < n; s += chunk) {
    parts.push(torch.scope(() => {
      const d = torch.cdist(a.narrow(0, s, Math.min(chunk, n - s)), a);
      // the k+1 smallest include the point itself (distance 0)
      return d.topk(k + 1, 1, false)[0].select(1, k);
    }));
  }
  return torch.cat(parts, 0);
}

/** Fraction of rows of `q` inside at least one ball (center row of `ref`, radius radii). */
function coverage(q: Tensor, ref: Tensor, radii: Tensor, chunk: number): number {
  const n = q.size(0);
  let inside = 0;
  for (let s = 0; s < n; s += chunk) {
    inside += torch.scope(() => torch.cdist(q.narrow(0, s, Math.min(chunk, n - s)), ref).le(radii.unsqueeze(0)).any(1).sum().item());
  }
  return inside / n;
}

/**
 * Improved precision and recall (Kynkäänniemi et al., 2019): the real manifold is the union of
 * balls around each real feature reaching its k-th nearest real neighbour; precision is the
 * fraction of fake features inside it; recall, symmetrically, the fraction of real features inside
 * the fake manifold. Distances are Euclidean in float64, computed in chunks of rows.
 */
export function precisionRecall(featsReal: Tensor, featsFake: Tensor, k = 3, options: { chunk?: number } = {}): { precision: number; recall: number } {
  const chunk = options.chunk ?? 1024;
  return torch.scope(() => {
    const real = featsReal.detach().to('float64');
    const fake = featsFake.detach().to('float64');
    const rReal = kthNeighborRadii(real, k, chunk);
    const rFake = kthNeighborRadii(fake, k, chunk);
    return { precision: coverage(fake, real, rReal, chunk), recall: coverage(real, fake, rFake, chunk) };
  });
}
