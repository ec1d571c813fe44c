/**
 * Building blocks of diffusion networks and a small configurable UNet (DDPM / guided-diffusion
 * layout): ResBlocks with scalar-embedding injection, self-attention at chosen resolutions,
 * conditioning on time / noise level and optionally a class label with a null class.
 */
import { torch, type Tensor } from '../tensor/index.ts';
import { Module, ModuleList, Sequential } from './module.ts';
import { Conv2d, Dropout, Embedding, Identity, Linear, SiLU } from './layers.ts';
import { GroupNorm } from './norm.ts';
import { MultiheadSelfAttention } from './attention.ts';
import { scalarEmbedding, type ScalarEmbeddingKind } from './embedding.ts';
import * as F from './functional.ts';

/**
 * The GroupNorm group count for a width: the largest divisor of channels that is <= maxGroups and
 * leaves at least 2 channels per group (32 for the usual 64, 128, ... widths). One channel per group
 * would cancel the per-channel embedding a ResBlock adds just before its second norm.
 */
export function groupsFor(channels: number, maxGroups = 32): number {
  for (let g = Math.min(maxGroups, Math.floor(channels / 2)); g > 1; g--) if (channels % g === 0) return g;
  return 1;
}

export interface ResBlockConfig {
  /** Size of the conditioning embedding injected after the first conv (0: none). */
  embDim?: number;
  dropout?: number;
  /** Maximum GroupNorm groups (default 32; the largest divisor of the channels not above it). */
  groups?: number;
  /** Inject the embedding as scale and shift of the second norm (FiLM) instead of adding it. */
  scaleShift?: boolean;
  /** Zero the last conv so the block starts as the identity (guided-diffusion's zero_module). */
  zeroInit?: boolean;
}

/**
 * GroupNorm-SiLU-conv3x3, + Linear(SiLU(emb)) per channel, GroupNorm-SiLU-dropout-conv3x3, plus a
 * skip (1x1 conv when the channel count changes). forward(x [B, C, H, W], emb [B, embDim]).
 */
export class ResBlock extends Module {
  readonly norm1: GroupNorm;
  readonly conv1: Conv2d;
  readonly embProj: Linear | null;
  readonly norm2: GroupNorm;
  readonly dropout: Dropout;
  readonly conv2: Conv2d;
  readonly skip: Conv2d | Identity;
  constructor(readonly inChannels: number, readonly outChannels: number, readonly config: ResBlockConfig = {}) {
    super();
    const g = config.groups ?? 32;
    this.norm1 = this.registerModule('norm1', new GroupNorm(groupsFor(inChannels, g), inChannels));
    this.conv1 = this.registerModule('conv1', new Conv2d(inChannels, outChannels, 3, { padding: 1 }));
    const embDim = config.embDim ?? 0;
    this.embProj = embDim > 0 ? this.registerModule('emb_proj', new Linear(embDim, outChannels * (config.scaleShift ? 2 : 1))) : null;
    this.norm2 = this.registerModule('norm2', new GroupNorm(groupsFor(outChannels, g), outChannels));
    this.dropout = this.registerModule('dropout', new Dropout(config.dropout ?? 0));
    this.conv2 = this.registerModule('conv2', new Conv2d(outChannels, outChannels, 3, { padding: 1 }));
    this.skip = this.registerModule('skip', inChannels === outChannels ? new Identity() : new Conv2d(inChannels, outChannels, 1));
    if (config.zeroInit) torch.noGrad(() => this.conv2.parameters().forEach((p) => p.zero_()));
  }
  forward(x: Tensor, emb?: Tensor | null): Tensor {
    let h = this.conv1.forward(this.norm1.forward(x).silu());
    let e: Tensor | null = null;
    if (this.embProj) {
      if (!emb) throw new TypeError('ResBlock: this block was built with embDim and needs an embedding');
      e = this.embProj.forward(emb.silu()).unsqueeze(-1).unsqueeze(-1);
    }
    if (e && this.config.scaleShift) {
      const [scale, shift] = e.chunk(2, 1) as [Tensor, Tensor];
      h = this.norm2.forward(h).mul(scale.add(1)).add(shift);
    } else {
      if (e) h = h.add(e);
      h = this.norm2.forward(h);
    }
    h = this.conv2.forward(this.dropout.forward(h.silu()));
    return this.skip.forward(x).add(h);
  }
  override extraRepr(): string {
    return `${this.inChannels} -> ${this.outChannels}`;
  }
}

/** x + SelfAttention(GroupNorm(x)) over the H*W positions of [B, C, H, W]. */
export class AttentionBlock extends Module {
  readonly norm: GroupNorm;
  readonly attn: MultiheadSelfAttention;
  constructor(readonly channels: number, numHeads = 1, groups = 32) {
    super();
    this.norm = this.registerModule('norm', new GroupNorm(groupsFor(channels, groups), channels));
    this.attn = this.registerModule('attn', new MultiheadSelfAttention(channels, numHeads));
  }
  forward(x: Tensor): Tensor {
    const [B, C, H, W] = x.shape as [number, number, number, number];
    const h = this.norm.forward(x).view([B, C, H * W]).transpose(1, 2);
    const a = this.attn.forward(h).transpose(1, 2).reshape([B, C, H, W]);
    return x.add(a);
  }
}

/** Halves H and W with a stride-2 3x3 conv. */
export class Downsample extends Module {
  readonly conv: Conv2d;
  constructor(channels: number) {
    super();
    this.conv = this.registerModule('conv', new Conv2d(channels, channels, 3, { stride: 2, padding: 1 }));
  }
  forward(x: Tensor): Tensor {
    return this.conv.forward(x);
  }
}

/** Doubles H and W (nearest) then a 3x3 conv. */
export class Upsample extends Module {
  readonly conv: Conv2d;
  constructor(channels: number) {
    super();
    this.conv = this.registerModule('conv', new Conv2d(channels, channels, 3, { padding: 1 }));
  }
  forward(x: Tensor): Tensor {
    return this.conv.forward(F.interpolate(x, { scaleFactor: 2, mode: 'nearest' }));
  }
}

/** A ResBlock optionally followed by an AttentionBlock: one stage of the UNet. */
export class UNetLayer extends Module {
  readonly res: ResBlock;
  readonly attn: AttentionBlock | null;
  constructor(inCh: number, outCh: number, res: ResBlockConfig, attention: { heads: number } | null) {
    super();
    this.res = this.registerModule('res', new ResBlock(inCh, outCh, res));
    this.attn = attention ? this.registerModule('attn', new AttentionBlock(outCh, attention.heads, res.groups ?? 32)) : null;
  }
  forward(x: Tensor, emb: Tensor): Tensor {
    const h = this.res.forward(x, emb);
    return this.attn ? this.attn.forward(h) : h;
  }
}

export interface UNetConfig {
  /** Input image channels. */
  inChannels: number;
  /** Output channels (default inChannels). */
  outChannels?: number;
  /** Image side (square); needed to place attention by resolution. */
  imageSize: number;
  /** Base channel count (default 64). */
  channels?: number;
  /** Channel multiplier per level (default [1, 2, 2]); each level but the last halves the resolution. */
  channelMult?: number[];
  /** ResBlocks per level (default 2). */
  numResBlocks?: number;
  /** Resolutions (image sides) with self-attention after each ResBlock (default none). */
  attnResolutions?: number[];
  /** Attention heads (default 4; clipped to divide the channels). */
  numHeads?: number;
  dropout?: number;
  /** Maximum GroupNorm groups (default 32). */
  groups?: number;
  /** Scalar embedding of the time / noise level (default 'sinusoidal'). */
  embedding?: ScalarEmbeddingKind;
  /** Conditioning width (default 4 * channels). */
  embDim?: number;
  /** Number of classes for class conditioning (0 or absent: unconditional). Label numClasses is the null class. */
  numClasses?: number;
  /** Inject the embedding as FiLM scale/shift in the ResBlocks. */
  scaleShift?: boolean;
}

/**
 * A small UNet for diffusion: forward(x [B, C, H, W], t [B], labels? [B] int64) -> [B, outC, H, W].
 * t is the scalar the network is conditioned on (time, or EDM's c_noise), embedded then passed
 * through a 2-layer MLP; a class embedding (numClasses + 1 rows, the last one the null class for
 * classifier-free guidance) is added when numClasses > 0 (labels omitted = null class).
 */
export class UNet extends Module {
  readonly config: Required<Omit<UNetConfig, 'numClasses'>> & { numClasses: number };
  readonly scalarEmbed: Module & { forward(t: Tensor): Tensor };
  readonly embMlp: Sequential;
  readonly classEmbed: Embedding | null;
  readonly inputConv: Conv2d;
  readonly down: ModuleList<UNetLayer | Downsample>;
  readonly mid: ModuleList<UNetLayer>;
  readonly up: ModuleList<UNetLayer | Upsample>;
  readonly outNorm: GroupNorm;
  readonly outConv: Conv2d;
  constructor(config: UNetConfig) {
    super();
    const c = {
      outChannels: config.inChannels,
      channels: 64,
      channelMult: [1, 2, 2],
      numResBlocks: 2,
      attnResolutions: [],
      numHeads: 4,
      dropout: 0,
      groups: 32,
      embedding: 'sinusoidal' as ScalarEmbeddingKind,
      embDim: 4 * (config.channels ?? 64),
      scaleShift: false,
      ...config,
      numClasses: config.numClasses ?? 0,
    };
    this.config = c;
    const levels = c.channelMult.length;
    if (c.imageSize % 2 ** (levels - 1)) throw new RangeError(`UNet: imageSize ${c.imageSize} must be divisible by 2^${levels - 1}`);
    const ch0 = c.channels;
    this.scalarEmbed = this.registerModule('scalar_embed', scalarEmbedding(c.embedding, ch0));
    this.embMlp = this.registerModule('emb_mlp', new Sequential(new Linear(ch0, c.embDim), new SiLU(), new Linear(c.embDim, c.embDim)));
    this.classEmbed = c.numClasses > 0 ? this.registerModule('class_embed', new Embedding(c.numClasses + 1, c.embDim)) : null;
    const rc: ResBlockConfig = { embDim: c.embDim, dropout: c.dropout, groups: c.groups, scaleShift: c.scaleShift };
    const heads = (ch: number) => {
      let h = Math.min(c.numHeads, ch);
      while (ch % h) h--;
      return { heads: h };
    };
    this.inputConv = this.registerModule('input_conv', new Conv2d(c.inChannels, ch0, 3, { padding: 1 }));
    this.down = this.registerModule('down', new ModuleList<UNetLayer | Downsample>());
    const skips: number[] = [ch0];
    let ch = ch0;
    let res = c.imageSize;
    for (let l = 0; l < levels; l++) {
      const out = ch0 * c.channelMult[l]!;
      for (let i = 0; i < c.numResBlocks; i++) {
        this.down.append(new UNetLayer(ch, out, rc, c.attnResolutions.includes(res) ? heads(out) : null));
        ch = out;
        skips.push(ch);
      }
      if (l < levels - 1) {
        this.down.append(new Downsample(ch));
        skips.push(ch);
        res /= 2;
      }
    }
    this.mid = this.registerModule('mid', new ModuleList([new UNetLayer(ch, ch, rc, heads(ch)), new UNetLayer(ch, ch, rc, null)]));
    this.up = this.registerModule('up', new ModuleList<UNetLayer | Upsample>());
    for (let l = levels - 1; l >= 0; l--) {
      const out = ch0 * c.channelMult[l]!;
      for (let i = 0; i < c.numResBlocks + 1; i++) {
        this.up.append(new UNetLayer(ch + skips.pop()!, out, rc, c.attnResolutions.includes(res) ? heads(out) : null));
        ch = out;
      }
      if (l > 0) {
        this.up.append(new Upsample(ch));
        res *= 2;
      }
    }
    this.outNorm = this.registerModule('out_norm', new GroupNorm(groupsFor(ch, c.groups), ch));
    this.outConv = this.registerModule('out_conv', new Conv2d(ch, c.outChannels, 3, { padding: 1 }));
  }

  /** The null-class label (numClasses), for classifier-free guidance. */
  get nullLabel(): number {
    return this.config.numClasses;
  }

  /** Replaces each label by the null class with probability p (label dropout for CFG training). */
  dropLabels(labels: Tensor, p: number): Tensor {
    return torch.noGrad(() => labels.maskedFill(torch.randLike(labels, { dtype: 'float32' }).lt(p), this.nullLabel));
  }

  forward(x: Tensor, t: Tensor, labels?: Tensor | null): Tensor {
    const B = x.size(0);
    let emb = this.embMlp.forward(this.scalarEmbed.forward(t.numel() === 1 && B > 1 ? t.reshape([1]).expand([B]) : t));
    if (this.classEmbed) {
      const y = labels ?? torch.full([B], this.nullLabel, { dtype: 'int64', device: x.device });
      emb = emb.add(this.classEmbed.forward(y));
    } else if (labels) {
      throw new TypeError('UNet: labels given but the model was built without numClasses');
    }
    let h = this.inputConv.forward(x);
    const hs: Tensor[] = [h];
    for (const m of this.down) {
      h = m instanceof Downsample ? m.forward(h) : m.forward(h, emb);
      hs.push(h);
    }
    for (const m of this.mid) h = m.forward(h, emb);
    for (const m of this.up) {
      h = m instanceof Upsample ? m.forward(h) : m.forward(torch.cat([h, hs.pop()!], 1), emb);
    }
    return this.outConv.forward(this.outNorm.forward(h).silu());
  }
}
