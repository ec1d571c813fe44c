/**
 * Raw networks F(x, c_noise, labels) for the preconditionings: a residual MLP with a noise-level
 * embedding for 2D points, and nn's UNet for 28×28 images (class-conditional with a null class for
 * guidance). Both scale c_noise by `noiseScale` before the sinusoidal embedding, so that every
 * preconditioning's c_noise spans a range of a few hundred (EDM's ln(σ)/4 is about [-1.5, 1.1]).
 */
import { torch, type Tensor } from '../../tensor/index.ts';
import { Module, ModuleList, Linear, Embedding, SinusoidalEmbedding, UNet, type UNetConfig } from '../../nn/index.ts';
import type { NoiseNet, PreconditioningName } from './preconditioning.ts';

/** The c_noise scale per preconditioning (c_noise × scale is what the embedding sees). */
export const NOISE_EMBED_SCALE: Record<PreconditioningName, number> = { edm: 250, ve: 100, vp: 1, ddpm: 1, flow: 1 };

/** One residual block: h + W2 silu(W1 silu(h) + E e). */
class ResidualBlock extends Module {
  readonly lin1: Linear;
  readonly emb: Linear;
  readonly lin2: Linear;
  constructor(width: number, embDim: number) {
    super();
    this.lin1 = this.registerModule('lin1', new Linear(width, width));
    this.emb = this.registerModule('emb', new Linear(embDim, width));
    this.lin2 = this.registerModule('lin2', new Linear(width, width));
  }
  forward(h: Tensor, e: Tensor): Tensor {
    return h.add(this.lin2.forward(this.lin1.forward(h.silu()).add(this.emb.forward(e)).silu()));
  }
}

export interface TimeMLPConfig {
  dim: number;
  width?: number;
  depth?: number;
  embDim?: number;
  numClasses?: number;
  noiseScale?: number;
}

/** Residual MLP for vectors [B, dim], conditioned on c_noise [B] (and labels [B] when numClasses > 0). */
export class TimeMLP extends Module implements NoiseNet {
  readonly embed: SinusoidalEmbedding;
  readonly embIn: Linear;
  readonly classEmbed: Embedding | null;
  readonly inProj: Linear;
  readonly blocks: ModuleList<ResidualBlock>;
  readonly outProj: Linear;
  readonly noiseScale: number;
  readonly numClasses: number;
  constructor(readonly config: TimeMLPConfig) {
    super();
    const width = config.width ?? 128;
    const embDim = config.embDim ?? 64;
    this.noiseScale = config.noiseScale ?? 1;
    this.numClasses = config.numClasses ?? 0;
    this.embed = this.registerModule('embed', new SinusoidalEmbedding(embDim));
    this.embIn = this.registerModule('emb_in', new Linear(embDim, embDim));
    this.classEmbed = this.numClasses > 0 ? this.registerModule('class_embed', new Embedding(this.numClasses + 1, embDim)) : null;
    this.inProj = this.registerModule('in_proj', new Linear(config.dim, width));
    this.blocks = this.registerModule('blocks', new ModuleList(Array.from({ length: config.depth ?? 3 }, () => new ResidualBlock(width, embDim))));
    this.outProj = this.registerModule('out_proj', new Linear(width, config.dim));
  }
  forward(x: Tensor, cNoise: Tensor, labels?: Tensor | null): Tensor {
    const B = x.size(0);
    const c = cNoise.numel() === 1 && B > 1 ? cNoise.reshape([1]).expand([B]) : cNoise;
    let e = this.embIn.forward(this.embed.forward(c.mul(this.noiseScale)).to(x.dtype)).silu();
    if (this.classEmbed) e = e.add(this.classEmbed.forward(labels ?? torch.full([B], this.numClasses, { dtype: 'int64' })));
    else if (labels) throw new TypeError('TimeMLP: labels given but the network was built without classes');
    let h = this.inProj.forward(x);
    for (const b of this.blocks) h = b.forward(h, e);
    return this.outProj.forward(h.silu());
  }
}

/** nn's UNet as a NoiseNet (c_noise scaled; optional channels_last memory format). */
export class UNetDenoiserNet extends Module implements NoiseNet {
  readonly unet: UNet;
  constructor(config: UNetConfig, readonly noiseScale = 1, readonly channelsLast = false) {
    super();
    this.unet = this.registerModule('unet', new UNet(config));
  }
  forward(x: Tensor, cNoise: Tensor, labels?: Tensor | null): Tensor {
    const xin = this.channelsLast ? x.contiguous({ memoryFormat: 'channels_last' }) : x;
    return this.unet.forward(xin, cNoise.mul(this.noiseScale), labels ?? null);
  }
}
