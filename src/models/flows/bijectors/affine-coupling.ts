/**
 * RealNVP's affine coupling (Dinh et al. 2017): with a mask b (1 = condition, 0 = transform),
 *   [t, r] = net(b * x),  s = scaleFn(r) * (1 - b),  y = b * x + (1 - b) * (x * exp(s) + t),
 *   log|det| = sum(s).
 * Masks: halfMask/alternatingMask for vectors, checkerboardMask/channelMask for images (masks.ts).
 * The net outputs 2x the channels of x along dim 1 (shift first, then the raw scale).
 * scale: 'tanh' gives s = tanh(r) (RealNVP's bounded log-scale, times a learned per-dimension factor),
 * 'sigmoid' gives exp(s) = sigmoid(r + 2) (Glow's stabilized scale, starts near 1).
 */
import { torch, type Tensor } from '../../../tensor/index.ts';
import { Bijector, sumPerExample, type BijectorOptions, type Conditioner } from '../bijector.ts';

export interface AffineCouplingOptions extends BijectorOptions {
  scale?: 'tanh' | 'sigmoid';
}

export class AffineCoupling extends Bijector {
  readonly scale: 'tanh' | 'sigmoid';
  private readonly mask: Tensor;
  private readonly inv: Tensor;
  /** Learned factor on tanh scales (per element of the mask's shape). */
  private readonly scaleFactor: Tensor | null;

  constructor(mask: Tensor, readonly net: Conditioner, options: AffineCouplingOptions = {}) {
    super();
    this.scale = options.scale ?? 'tanh';
    const dtype = options.dtype ?? mask.dtype;
    this.mask = this.buffer('mask', mask.to(dtype).clone());
    this.inv = this.buffer('inv', this.mask.mul(-1).add(1));
    this.scaleFactor = this.scale === 'tanh' ? this.param('scaleFactor', torch.onesLike(this.mask)) : null;
    this.child('net', net);
  }

  /** Shift and log-scale (both zero where the mask is 1). */
  private params(x: Tensor, context?: Tensor): { t: Tensor; s: Tensor } {
    const out = this.net.forward(x.mul(this.mask), context);
    const [t, r] = out.chunk(2, 1) as [Tensor, Tensor];
    const s = this.scale === 'tanh' ? r.tanh().mul(this.scaleFactor!) : r.add(2).logSigmoid();
    return { t: t.mul(this.inv), s: s.mul(this.inv) };
  }

  forward(x: Tensor, context?: Tensor) {
    const { t, s } = this.params(x, context);
    return { y: x.mul(s.exp()).add(t), logDet: sumPerExample(s) };
  }

  inverse(y: Tensor, context?: Tensor) {
    const { t, s } = this.params(y, context);
    return { x: y.sub(t).mul(s.neg().exp()), logDet: sumPerExample(s).neg() };
  }
}
