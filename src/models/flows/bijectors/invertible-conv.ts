/**
 * Glow's invertible 1x1 convolution with an unconstrained weight: y = W x per pixel (dim 1 mixes
 * channels; a [B, D] input is a plain invertible linear map), log|det| = H*W * log|det W| (slogdet).
 * W starts as a random rotation (QR of a Gaussian matrix).
 */
import { torch, type Tensor } from '../../../tensor/index.ts';
import { Bijector, type BijectorOptions } from '../bijector.ts';

/** Applies a [C, C] matrix along dim 1 of x ([B, C] or [B, C, H, W]). */
export function applyChannelMatrix(x: Tensor, w: Tensor): Tensor {
  if (x.dim() === 2) return x.matmul(w.t());
  const c = w.size(0);
  return torch.conv2d(x, w.view([c, c, 1, 1]));
}

export function randomRotation(c: number, options: BijectorOptions & { seed?: number } = {}): Tensor {
  return torch.scope(() => {
    const g = options.seed === undefined ? undefined : new torch.Generator({ seed: options.seed });
    const a = g ? torch.randn([c, c], { dtype: 'float64', generator: g }) : torch.randn([c, c], { dtype: 'float64' });
    const [q] = torch.linalg.qr(a);
    return q!.to(options.dtype ?? 'float32');
  });
}

export class InvertibleConv1x1 extends Bijector {
  readonly weight: Tensor;

  constructor(readonly channels: number, options: BijectorOptions & { seed?: number } = {}) {
    super();
    this.weight = this.param('weight', randomRotation(channels, options));
  }

  private spatial(x: Tensor): number {
    return x.shape.slice(2).reduce((a, b) => a * b, 1);
  }

  forward(x: Tensor) {
    const [, logabsdet] = torch.linalg.slogdet(this.weight);
    return { y: applyChannelMatrix(x, this.weight), logDet: logabsdet!.mul(this.spatial(x)).expand([x.size(0)]) };
  }

  inverse(y: Tensor) {
    const [, logabsdet] = torch.linalg.slogdet(this.weight);
    const winv = torch.linalg.inv(this.weight);
    return { x: applyChannelMatrix(y, winv), logDet: logabsdet!.mul(-this.spatial(y)).expand([y.size(0)]) };
  }
}
