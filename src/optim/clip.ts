/** Gradient clipping by total norm (torch.nn.utils.clip_grad_norm_). */
import { torch, Tensor } from '../tensor/index.ts';

/**
 * Scales the gradients of params in place so that their total norm (the norm of the per-tensor
 * norms) is at most maxNorm: g *= min(1, maxNorm / (total + 1e-6)). Returns the total norm before
 * clipping, a 0-d tensor in the caller's scope. normType: any p > 0, or Infinity.
 */
export function clipGradNorm_(params: Iterable<Tensor> | Tensor, maxNorm: number, normType = 2): Tensor {
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0)) throw new RangeError(`clipGradNorm_: maxNorm must be a number >= 0, got ${String(maxNorm)}`);
  if (typeof normType !== 'number' || !(normType > 0)) throw new RangeError(`clipGradNorm_: normType must be > 0 or Infinity, got ${String(normType)}`);
  const list = params instanceof Tensor ? [params] : [...params];
  return torch.scope(() =>
    torch.noGrad(() => {
      const grads = list.map((p) => p.grad).filter((g): g is Tensor => g !== null);
      if (grads.length === 0) return torch.zeros([]);
      const norms = normType === Infinity ? torch._foreachAbs(grads).map((a) => a.amax()) : torch._foreachNorm(grads, normType);
      const total = normType === Infinity ? torch.stack(norms).amax() : torch.linalg.vectorNorm(torch.stack(norms), normType);
      const coef = total.add(1e-6).reciprocal().mul(maxNorm).clampMax(1);
      torch._foreachMul_(grads, grads.map(() => coef));
      return total;
    }),
  );
}
