/** Multi-head self-attention, batch-first, with PyTorch's nn.MultiheadAttention parameter names. */
import { torch, type Tensor } from '../tensor/index.ts';
import { Module } from './module.ts';
import { Linear, type FactoryOptions } from './layers.ts';
import * as init from './init.ts';
import * as F from './functional.ts';

export interface MultiheadSelfAttentionConfig extends FactoryOptions {
  bias?: boolean;
  /** Dropout on the attention weights in training. */
  dropout?: number;
}

/**
 * Self-attention over x [B, L, E] with numHeads heads: softmax(QK^T/sqrt(d)) V per head, then the
 * output projection. Parameters as PyTorch's nn.MultiheadAttention (in_proj_weight [3E, E]
 * xavier-uniform, in_proj_bias zeros, out_proj Linear with zero bias), so weights load across.
 */
export class MultiheadSelfAttention extends Module {
  inProjWeight: Tensor;
  inProjBias: Tensor | null;
  readonly outProj: Linear;
  readonly headDim: number;
  constructor(readonly embedDim: number, readonly numHeads: number, readonly config: MultiheadSelfAttentionConfig = {}) {
    super();
    if (embedDim % numHeads) throw new RangeError(`MultiheadSelfAttention: embedDim ${embedDim} is not divisible by numHeads ${numHeads}`);
    this.headDim = embedDim / numHeads;
    const o = { dtype: config.dtype ?? 'float32', device: config.device ?? 'cpu' } as const;
    const bias = config.bias ?? true;
    this.inProjWeight = this.registerParameter('in_proj_weight', torch.empty([3 * embedDim, embedDim], o));
    this.inProjBias = this.registerParameter('in_proj_bias', bias ? torch.empty([3 * embedDim], o) : null);
    this.outProj = this.registerModule('out_proj', new Linear(embedDim, embedDim, { ...o, bias }));
    init.xavierUniform_(this.inProjWeight);
    if (this.inProjBias) init.zeros_(this.inProjBias);
    if (this.outProj.bias) init.zeros_(this.outProj.bias);
  }
  /**
   * x [B, L, E] -> [B, L, E]. mask: [L, L] or [B, H, L, L] (boolean: true = may attend; or additive
   * float). keyPaddingMask: [B, L] boolean, true = padding (ignored), as PyTorch.
   */
  forward(x: Tensor, options: { mask?: Tensor | null; keyPaddingMask?: Tensor | null } = {}): Tensor {
    if (x.dim() !== 3 || x.size(2) !== this.embedDim) {
      throw new RangeError(`MultiheadSelfAttention: expected [B, L, ${this.embedDim}], got [${x.shape.join(', ')}]`);
    }
    const [B, L] = x.shape as [number, number, number];
    const H = this.numHeads, D = this.headDim;
    const qkv = F.linear(x, this.inProjWeight, this.inProjBias).view([B, L, 3, H, D]).permute([2, 0, 3, 1, 4]);
    const [q, k, v] = qkv.unbind(0) as [Tensor, Tensor, Tensor];
    let mask = options.mask ?? null;
    if (options.keyPaddingMask) {
      const kp = options.keyPaddingMask.logicalNot().view([B, 1, 1, L]);
      mask = mask === null ? kp : mask.dtype === 'bool' ? mask.logicalAnd(kp) : mask.maskedFill(kp.logicalNot(), -Infinity);
    }
    const o = F.scaledDotProductAttention(q, k, v, { mask, dropoutP: this.config.dropout ?? 0, training: this.training });
    return this.outProj.forward(o.transpose(1, 2).reshape([B, L, this.embedDim]));
  }
  override extraRepr(): string {
    return `embedDim=${this.embedDim}, numHeads=${this.numHeads}`;
  }
}
