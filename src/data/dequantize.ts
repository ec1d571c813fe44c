import { torch, type Tensor, type Generator } from '../tensor/index.ts';

/**
 * Uniform dequantization noise on integer pixel levels: k + u with u ~ U[0, 1), drawn from `generator` (or the
 * global one). In float32, k + u rounds up to k + 1 when u is within half an ulp of 1 (for k >= 128 that is
 * u > 1 - 7.6e-6, about 5 values per million), which would put the value in the next level's bin (and 255 at 256);
 * each value is capped at the largest float below k + 1, so the noise stays in [k, k + 1).
 */
export function addDequantizationNoise(levels: Tensor, generator?: Generator): Tensor {
  const u = generator ? torch.rand(levels.shape, { dtype: levels.dtype, generator }) : torch.randLike(levels);
  const below = levels.add(1).mul(1 - (levels.dtype === 'float64' ? 2 ** -53 : 2 ** -24));
  return torch.minimum(levels.add(u), below);
}
