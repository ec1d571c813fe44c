/** A multilayer perceptron helper with optional conditioning on a scalar (time, noise level). */
import { torch, type Tensor } from '../tensor/index.ts';
import { Module, Sequential } from './module.ts';
import { Linear, activation, type ActivationName } from './layers.ts';
import { scalarEmbedding, type ScalarEmbeddingKind } from './embedding.ts';

export interface MLPConfig {
  /** Layer widths [in, hidden..., out]; a Linear between each pair. */
  sizes: number[];
  /** Activation between layers (default 'silu'). */
  activation?: ActivationName;
  /** Activation after the last layer (default none). */
  outputActivation?: ActivationName;
  /** Width of an embedding of a scalar input concatenated to x (0 or absent: none). */
  scalarEmbedDim?: number;
  /** Kind of that embedding (default 'sinusoidal'). */
  scalarEmbedding?: ScalarEmbeddingKind;
}

/**
 * Linear-activation-...-Linear, children 'net.0', 'net.1', ... as an nn.Sequential in PyTorch.
 * forward(x [B, in], t? [B]): with scalarEmbedDim, t is embedded and concatenated to x first.
 */
export class MLP extends Module {
  readonly net: Sequential;
  readonly embed: (Module & { forward(t: Tensor): Tensor }) | null;
  constructor(readonly config: MLPConfig) {
    super();
    const s = config.sizes;
    if (s.length < 2) throw new RangeError(`MLP: sizes needs at least [in, out], got [${s}]`);
    const e = config.scalarEmbedDim ?? 0;
    this.embed = e > 0 ? this.registerModule('embed', scalarEmbedding(config.scalarEmbedding ?? 'sinusoidal', e)) : null;
    this.net = this.registerModule('net', new Sequential());
    for (let i = 0; i + 1 < s.length; i++) {
      this.net.append(new Linear(s[i]! + (i === 0 ? e : 0), s[i + 1]!));
      if (i + 2 < s.length) this.net.append(activation(config.activation ?? 'silu'));
    }
    if (config.outputActivation) this.net.append(activation(config.outputActivation));
  }
  forward(x: Tensor, t?: Tensor | null): Tensor {
    if (this.embed) {
      if (!t) throw new TypeError('MLP: built with scalarEmbedDim, forward needs the scalar t');
      const e = this.embed.forward(t.numel() === 1 && x.size(0) > 1 ? t.reshape([1]).expand([x.size(0)]) : t);
      x = torch.cat([x, e.to(x.dtype)], -1);
    }
    return this.net.forward(x);
  }
}
