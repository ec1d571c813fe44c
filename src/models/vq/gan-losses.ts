/**
 * The adversarial pieces of VQGAN (Esser et al. 2021, "Taming Transformers", eq. 5–7):
 *
 * - discriminator losses on patch logits: hinge ½(E[relu(1 − D(x))] + E[relu(1 + D(x̂))]) and
 *   non-saturating ("vanilla") ½(E[softplus(−D(x))] + E[softplus(D(x̂))]);
 * - the generator's adversarial term L_G = −E[D(x̂)] (hinge) or E[softplus(−D(x̂))] (non-saturating);
 * - the adaptive weight λ = ‖∇_{G_L} L_rec‖ / (‖∇_{G_L} L_G‖ + δ), δ = 1e-4, the gradients taken with
 *   respect to the decoder's last layer G_L, clamped to [0, max] and detached, so that the GAN term
 *   never dominates the reconstruction term whatever their scales;
 * - `adoptWeight`: the discriminator and L_G are switched on only after `discStart` steps.
 */
import { torch, type Tensor } from '../../tensor/index.ts';

export type GanLossKind = 'hinge' | 'vanilla';

/** Discriminator hinge loss: ½ (mean relu(1 − real) + mean relu(1 + fake)). */
export function hingeDLoss(logitsReal: Tensor, logitsFake: Tensor): Tensor {
  return logitsReal.neg().add(1).relu().mean().add(logitsFake.add(1).relu().mean()).mul(0.5);
}

/** Discriminator non-saturating loss: ½ (mean softplus(−real) + mean softplus(fake)) (BCE on logits). */
export function vanillaDLoss(logitsReal: Tensor, logitsFake: Tensor): Tensor {
  return logitsReal.neg().softplus().mean().add(logitsFake.softplus().mean()).mul(0.5);
}

export function discriminatorLoss(kind: GanLossKind, logitsReal: Tensor, logitsFake: Tensor): Tensor {
  if (kind === 'hinge') return hingeDLoss(logitsReal, logitsFake);
  if (kind === 'vanilla') return vanillaDLoss(logitsReal, logitsFake);
  throw new RangeError(`discriminatorLoss: unknown loss '${String(kind)}' (use 'hinge' or 'vanilla')`);
}

/** The generator's adversarial term on the fakes' logits. */
export function generatorLoss(kind: GanLossKind, logitsFake: Tensor): Tensor {
  if (kind === 'hinge') return logitsFake.mean().neg();
  if (kind === 'vanilla') return logitsFake.neg().softplus().mean();
  throw new RangeError(`generatorLoss: unknown loss '${String(kind)}' (use 'hinge' or 'vanilla')`);
}

/**
 * λ = ‖∂L_rec/∂w‖ / (‖∂L_G/∂w‖ + 1e-4), clamped to [0, max] and detached, where w is the decoder's
 * last layer weight. Both graphs are kept (retainGraph) for the backward pass that follows.
 */
export function adaptiveWeight(recLoss: Tensor, gLoss: Tensor, lastLayer: Tensor, options: { max?: number; delta?: number } = {}): Tensor {
  const [gr] = torch.autograd.grad(recLoss, lastLayer, { retainGraph: true });
  const [gg] = torch.autograd.grad(gLoss, lastLayer, { retainGraph: true });
  return torch.noGrad(() => gr!.norm().div(gg!.norm().add(options.delta ?? 1e-4)).clamp(0, options.max ?? 1e4).detach());
}

/** `value` once `step` ≥ `threshold`, else `before` (0): the discriminator's switch. */
export function adoptWeight(value: number, step: number, threshold: number, before = 0): number {
  return step < threshold ? before : value;
}
