/**
 * Exact denoisers for data whose noisy marginals are known in closed form: the ideal D(x, σ) =
 * E[x_0 | x_0 + σ ε = x] that a perfectly trained network would be. Used to test samplers,
 * preconditionings and likelihoods against the truth.
 * - Gaussian N(μ, Σ): D = μ + Σ (Σ + σ² I)⁻¹ (x - μ).
 * - Mixture Σ_k π_k N(μ_k, Σ_k): D = Σ_k w_k(x) [μ_k + Σ_k (Σ_k + σ² I)⁻¹ (x - μ_k)],
 *   w_k ∝ π_k N(x; μ_k, Σ_k + σ² I).
 * x may have any shape [n, ...] with prod(...) = d (flattened).
 */
import { torch, type Tensor } from '../../tensor/index.ts';
import type { Denoiser } from './preconditioning.ts';

const LOG_2PI = Math.log(2 * Math.PI);

/** log N(x; μ, C) for x [n, d]: [n]. */
export function gaussianLogProb(x: Tensor, mean: Tensor, cov: Tensor): Tensor {
  const d = mean.size(0);
  const L = torch.linalg.cholesky(cov.to(x.dtype));
  const z = torch.linalg.solveTriangular(L, x.sub(mean.to(x.dtype)).t(), { upper: false });
  const halfLogDet = L.diagonal().log().sum();
  return z.square().sum(0).mul(-0.5).sub(halfLogDet).sub(0.5 * d * LOG_2PI);
}

const flat = (x: Tensor) => (x.dim() === 2 ? x : x.reshape([x.size(0), -1]));

/** The exact denoiser of N(mean, cov). */
export function gaussianDenoiser(mean: Tensor, cov: Tensor): Denoiser {
  const d = mean.size(0);
  return (x, sigma) => {
    const xf = flat(x);
    const m = mean.to(x.dtype);
    const S = cov.to(x.dtype);
    const C = S.add(torch.eye(d, { dtype: x.dtype }).mul(sigma * sigma));
    const At = torch.linalg.solve(C, S); // (Σ + σ²I)⁻¹ Σ = (Σ (Σ + σ²I)⁻¹)ᵀ
    return xf.sub(m).matmul(At).add(m).reshape(x.shape);
  };
}

/** The exact denoiser of a Gaussian mixture (weights [K], means [K, d], covs [K, d, d]). */
export function mixtureDenoiser(weights: Tensor, means: Tensor, covs: Tensor): Denoiser {
  const K = weights.size(0);
  const d = means.size(1);
  return (x, sigma) => {
    const xf = flat(x);
    const logits: Tensor[] = [];
    const parts: Tensor[] = [];
    for (let k = 0; k < K; k++) {
      const m = means.select(0, k).to(x.dtype);
      const S = covs.select(0, k).to(x.dtype);
      const C = S.add(torch.eye(d, { dtype: x.dtype }).mul(sigma * sigma));
      logits.push(gaussianLogProb(xf, m, C).add(Math.log(weights.select(0, k).item())));
      parts.push(xf.sub(m).matmul(torch.linalg.solve(C, S)).add(m));
    }
    const w = torch.stack(logits, 1).softmax(1); // [n, K]
    return torch.stack(parts, 1).mul(w.unsqueeze(-1)).sum(1).reshape(x.shape);
  };
}

/** Exact log density of the mixture convolved with N(0, σ² I): [n]. */
export function mixtureLogProb(x: Tensor, weights: Tensor, means: Tensor, covs: Tensor, sigma = 0): Tensor {
  const xf = flat(x);
  const d = means.size(1);
  const logits: Tensor[] = [];
  for (let k = 0; k < weights.size(0); k++) {
    const C = covs.select(0, k).to(x.dtype).add(torch.eye(d, { dtype: x.dtype }).mul(sigma * sigma));
    logits.push(gaussianLogProb(xf, means.select(0, k), C).add(Math.log(weights.select(0, k).item())));
  }
  return torch.stack(logits, 1).logsumexp(1);
}
