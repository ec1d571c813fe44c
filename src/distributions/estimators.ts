/**
 * Gradient estimators for ∇_θ E_{z~p_θ}[f(z)] (the reparameterization article):
 * - reparamGradient: pathwise, z = g_θ(ε), ∇_θ mean f(g_θ(ε)) (needs rsample).
 * - scoreFunctionGradient: REINFORCE, mean (f(z) - b) ∇_θ log p_θ(z), with an optional baseline b.
 * Both are unbiased; the pathwise one usually has far lower variance.
 */
import { torch, type Tensor } from '../tensor/index.ts';
import type { Distribution, SampleOptions } from './distribution.ts';

export interface EstimatorOptions extends SampleOptions {
  /** Monte-Carlo draws (default 1). */
  nSamples?: number;
}

export interface ScoreFunctionOptions extends EstimatorOptions {
  /**
   * Control variate b subtracted from f(z): a number, a tensor broadcasting against f(z), or
   * 'loo' (leave-one-out mean of the other draws' f; unbiased, needs nSamples >= 2). Default none.
   */
  baseline?: number | Tensor | 'loo';
}

/** Sums f's values over every dimension but the first (the draw dimension) and averages over draws. */
function objective(values: Tensor): Tensor {
  return values.mean(0).sum();
}

/**
 * Pathwise estimate of ∇ E_{z~dist}[f(z)] w.r.t. `params` (tensors that dist was built from and
 * that require grad). f maps draws [n, ...] to values [n, ...]; values are averaged over the draws
 * and summed over the other dims (so a batch of independent distributions gives each its own
 * gradient). Returns one gradient per param (zeros where a param is unused).
 */
export function reparamGradient(dist: Distribution, f: (z: Tensor) => Tensor, params: Tensor[], options: EstimatorOptions = {}): Tensor[] {
  const n = options.nSamples ?? 1;
  return torch.enableGrad(() => {
    const z = dist.rsample([n], options);
    const grads = torch.autograd.grad([objective(f(z))], params, { allowUnused: true });
    return grads.map((g, i) => g ?? torch.zerosLike(params[i]!));
  });
}

/**
 * REINFORCE estimate of ∇ E_{z~dist}[f(z)]: mean over draws of (f(z) - b) ∇ log p(z); f is not
 * differentiated (it may be a black box). Same shapes and conventions as reparamGradient.
 */
export function scoreFunctionGradient(dist: Distribution, f: (z: Tensor) => Tensor, params: Tensor[], options: ScoreFunctionOptions = {}): Tensor[] {
  const n = options.nSamples ?? 1;
  return torch.enableGrad(() => {
    const z = dist.sample([n], options);
    let fz = torch.noGrad(() => f(z).detach());
    const b = options.baseline;
    if (b === 'loo') {
      if (n < 2) throw new RangeError("scoreFunctionGradient: baseline 'loo' needs nSamples >= 2");
      fz = fz.sub(fz.sum(0, true).sub(fz).div(n - 1));
    } else if (typeof b === 'number') fz = fz.sub(b);
    else if (b !== undefined) fz = fz.sub(b.detach());
    const logp = dist.logProb(z);
    const surrogate = objective(fz.mul(logp));
    const grads = torch.autograd.grad([surrogate], params, { allowUnused: true });
    return grads.map((g, i) => g ?? torch.zerosLike(params[i]!));
  });
}
