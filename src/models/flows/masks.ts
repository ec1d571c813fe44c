/**
 * Binary masks for couplings (RealNVP, Dinh et al. 2017). A mask is 1 where the input is passed
 * through unchanged (and conditions the transform) and 0 where it is transformed.
 */
import { torch, type Tensor, type DType } from '../../tensor/index.ts';

/** [D] mask: 1 on the first half (parity 0) or the second half (parity 1). */
export function halfMask(d: number, parity: 0 | 1 = 0, dtype: DType = 'float32'): Tensor {
  const h = Math.floor(d / 2);
  const a = Array.from({ length: d }, (_, i) => ((i < h) !== (parity === 1) ? 1 : 0));
  return torch.tensor(a, { dtype });
}

/** [D] mask alternating 1,0,1,0... (parity 0) or 0,1,0,1... (parity 1). */
export function alternatingMask(d: number, parity: 0 | 1 = 0, dtype: DType = 'float32'): Tensor {
  return torch.tensor(Array.from({ length: d }, (_, i) => ((i + parity) % 2 === 0 ? 1 : 0)), { dtype });
}

/** [C, H, W] checkerboard mask: 1 where (h + w + parity) is even. */
export function checkerboardMask(c: number, h: number, w: number, parity: 0 | 1 = 0, dtype: DType = 'float32'): Tensor {
  const a: number[] = [];
  for (let k = 0; k < c; k++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) a.push((i + j + parity) % 2 === 0 ? 1 : 0);
  return torch.tensor(a, { dtype }).view([c, h, w]);
}

/** [C, H, W] channel mask: 1 on the first half of the channels (parity 0) or the second half (parity 1). */
export function channelMask(c: number, h: number, w: number, parity: 0 | 1 = 0, dtype: DType = 'float32'): Tensor {
  const half = Math.floor(c / 2);
  const a: number[] = [];
  for (let k = 0; k < c; k++) for (let i = 0; i < h * w; i++) a.push((k < half) !== (parity === 1) ? 1 : 0);
  return torch.tensor(a, { dtype }).view([c, h, w]);
}
