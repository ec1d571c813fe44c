/**
 * Classifier-free guidance (Ho & Salimans 2022): D_w = D(x, σ | ∅) + w (D(x, σ | c) - D(x, σ | ∅)),
 * both evaluated in one batch of 2B. w = 1 is the conditional model, w = 0 the unconditional one.
 */
import { torch, type Tensor } from '../../tensor/index.ts';
import type { Denoiser, Preconditioned } from './preconditioning.ts';

export function guidedDenoiser(pre: Preconditioned, labels: Tensor, nullLabel: number, scale: number): Denoiser {
  if (!Number.isFinite(scale)) throw new RangeError(`guidance scale must be a finite number, got ${scale}`);
  if (scale === 1) return (x, sigma) => pre.denoise(x, sigma, labels);
  return (x, sigma) => {
    const B = x.size(0);
    const both = torch.cat([labels, torch.fullLike(labels, nullLabel)], 0);
    const d = pre.denoise(torch.cat([x, x], 0), sigma, both);
    const cond = d.narrow(0, 0, B);
    const uncond = d.narrow(0, B, B);
    return uncond.add(cond.sub(uncond).mul(scale));
  };
}
