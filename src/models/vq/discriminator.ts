/**
 * PatchGAN discriminator (Isola et al. 2017, pix2pix; the one "Taming Transformers" uses): a stack of
 * 4×4 convolutions whose output is a grid of logits, one per overlapping receptive-field patch, so
 * the adversarial loss judges local texture and the reconstruction loss keeps the global layout.
 *
 * Layout for `layers` = n: conv(s2, ch) LeakyReLU(0.2), then n−1 × [conv(s2) norm LeakyReLU] with
 * channels ch·min(2^i, 8), then conv(s1) norm LeakyReLU, then conv(s1) → 1 logit per patch.
 * Weights N(0, 0.02), norm scales N(1, 0.02), as DCGAN-style GANs initialise.
 */
import type { Tensor } from '../../tensor/index.ts';
import { Module, Sequential, Conv2d, BatchNorm2d, GroupNorm, LeakyReLU, Identity, init, type TensorModule } from '../../nn/index.ts';

export interface PatchDiscriminatorConfig {
  /** Image channels. */
  inChannels: number;
  /** Channels of the first convolution (default 64). */
  channels?: number;
  /** Stride-2 convolutions (default 3); each halves the logit grid. */
  layers?: number;
  /** Normalization between convolutions (default 'batch', as pix2pix). */
  norm?: 'batch' | 'group' | 'none';
}

export class PatchDiscriminator extends Module {
  readonly net: Sequential;
  constructor(readonly config: PatchDiscriminatorConfig) {
    super();
    const ch = config.channels ?? 64;
    const n = config.layers ?? 3;
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`PatchDiscriminator: layers must be an integer >= 1, got ${n}`);
    if (!Number.isInteger(ch) || ch < 1) throw new RangeError(`PatchDiscriminator: channels must be a positive integer, got ${ch}`);
    const norm = config.norm ?? 'batch';
    const normLayer = (c: number): TensorModule => (norm === 'batch' ? new BatchNorm2d(c) : norm === 'group' ? new GroupNorm(Math.min(32, c), c) : new Identity());
    const useBias = norm === 'none';
    const mods: TensorModule[] = [new Conv2d(config.inChannels, ch, 4, { stride: 2, padding: 1 }), new LeakyReLU(0.2)];
    let prev = ch;
    for (let i = 1; i < n; i++) {
      const c = ch * Math.min(2 ** i, 8);
      mods.push(new Conv2d(prev, c, 4, { stride: 2, padding: 1, bias: useBias }), normLayer(c), new LeakyReLU(0.2));
      prev = c;
    }
    const c = ch * Math.min(2 ** n, 8);
    mods.push(new Conv2d(prev, c, 4, { stride: 1, padding: 1, bias: useBias }), normLayer(c), new LeakyReLU(0.2));
    mods.push(new Conv2d(c, 1, 4, { stride: 1, padding: 1 }));
    this.net = this.registerModule('net', new Sequential(...mods));
    for (const m of this.net.modules()) {
      if (m instanceof Conv2d) {
        init.normal_(m.weight, 0, 0.02);
        if (m.bias) init.zeros_(m.bias);
      } else if ((m instanceof BatchNorm2d || m instanceof GroupNorm) && m.weight) {
        init.normal_(m.weight, 1, 0.02);
        if (m.bias) init.zeros_(m.bias);
      }
    }
  }
  /** Images [N, C, H, W] -> patch logits [N, 1, h, w]. */
  forward(x: Tensor): Tensor {
    return this.net.forward(x);
  }
}
