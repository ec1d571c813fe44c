/**
 * The stage-2 prior of VQGAN (Esser et al. 2021): a decoder-only transformer (GPT-2 layout: pre-norm
 * blocks of causal multi-head self-attention and a GELU MLP, learned absolute positions) over the
 * flattened code grid of a stage-1 model, in raster order.
 *
 * The sequence is [start, c_0, …, c_{T−2}] → predicts [c_0, …, c_{T−1}]; the start token is a learned
 * vector, or, with `numClasses` > 0, the embedding of the class (class-conditional sampling).
 * Training corrupts input codes with `pkeep` (each input code is kept with probability pkeep, else
 * replaced by a uniform random code; targets stay clean), as the Taming code does.
 *
 * Sampling draws T codes one at a time with temperature, top-k and top-p (nucleus) filtering. With
 * the key/value cache (default) each new token runs the blocks on one position and attends to the
 * cached keys and values of the earlier ones; without it every step reruns the whole prefix.
 */
import { torch, type Tensor, type Generator } from '../../tensor/index.ts';
import { Module, ModuleList, Linear, LayerNorm, Embedding, MultiheadSelfAttention, init } from '../../nn/index.ts';
import * as F from '../../nn/functional.ts';

export interface CodeTransformerConfig {
  /** Number of codes (the stage-1 codebook size). */
  vocabSize: number;
  /** Sequence length T (codes per image). */
  blockSize: number;
  dim: number;
  heads: number;
  layers: number;
  /** Classes of the class token (0 = unconditional, a learned start token). */
  numClasses?: number;
  /** Dropout on attention weights and residual branches in training. */
  dropout?: number;
}

/** Per-layer cached keys and values [B, H, t, Dh]. */
export type KVCache = { k: Tensor; v: Tensor }[];

export class TransformerBlock extends Module {
  readonly ln1: LayerNorm;
  readonly attn: MultiheadSelfAttention;
  readonly ln2: LayerNorm;
  readonly fc1: Linear;
  readonly fc2: Linear;
  constructor(dim: number, heads: number, readonly dropout = 0) {
    super();
    this.ln1 = this.registerModule('ln1', new LayerNorm(dim));
    this.attn = this.registerModule('attn', new MultiheadSelfAttention(dim, heads, { dropout }));
    this.ln2 = this.registerModule('ln2', new LayerNorm(dim));
    this.fc1 = this.registerModule('fc1', new Linear(dim, 4 * dim));
    this.fc2 = this.registerModule('fc2', new Linear(4 * dim, dim));
  }
  private mlp(x: Tensor): Tensor {
    return F.dropout(this.fc2.forward(F.gelu(this.fc1.forward(x))), this.dropout, this.training && this.dropout > 0);
  }
  /** x [B, L, D] with a causal mask [L, L] (true = may attend). */
  forward(x: Tensor, mask: Tensor): Tensor {
    x = x.add(F.dropout(this.attn.forward(this.ln1.forward(x), { mask }), this.dropout, this.training && this.dropout > 0));
    return x.add(this.mlp(this.ln2.forward(x)));
  }
  /**
   * The new positions x [B, l, D] attending to the cached ones and themselves (causally); appends
   * their keys and values to `cache` (a fresh entry when undefined). Same weights as forward.
   */
  forwardCached(x: Tensor, cache: { k: Tensor; v: Tensor } | undefined): { y: Tensor; cache: { k: Tensor; v: Tensor } } {
    const [B, l, D] = x.shape as [number, number, number];
    const a = this.attn;
    const H = a.numHeads, Dh = a.headDim;
    const qkv = F.linear(this.ln1.forward(x), a.inProjWeight, a.inProjBias).view([B, l, 3, H, Dh]).permute([2, 0, 3, 1, 4]);
    const [q, kNew, vNew] = qkv.unbind(0) as [Tensor, Tensor, Tensor];
    const k = cache ? torch.cat([cache.k, kNew], 2) : kNew;
    const v = cache ? torch.cat([cache.v, vNew], 2) : vNew;
    const t = k.size(2);
    // Position i of the new block (absolute t − l + i) sees keys 0..t − l + i.
    const mask = l === 1 ? null : torch.ones([l, t], { dtype: 'bool' }).tril(t - l);
    const o = F.scaledDotProductAttention(q, k, v, { mask });
    const h = x.add(a.outProj.forward(o.transpose(1, 2).reshape([B, l, D])));
    return { y: h.add(this.mlp(this.ln2.forward(h))), cache: { k, v } };
  }
}

export interface SampleCodesOptions {
  temperature?: number;
  /** Keep the k most likely codes (0 = all). */
  topK?: number;
  /** Keep the smallest set of codes whose probability reaches p (1 = all). */
  topP?: number;
  /** Class of each sample [n] (class-conditional models). */
  classes?: Tensor;
  /** Use the key/value cache (default true). */
  cache?: boolean;
  generator?: Generator;
}

/** Logits with everything outside the top-k and the top-p nucleus set to −∞ (last dim). */
export function filterLogits(logits: Tensor, options: { topK?: number; topP?: number } = {}): Tensor {
  const V = logits.size(-1);
  const k = options.topK ?? 0;
  const p = options.topP ?? 1;
  if (!(Number.isInteger(k) && k >= 0)) throw new RangeError(`filterLogits: topK must be an integer >= 0, got ${k}`);
  if (!(p > 0 && p <= 1)) throw new RangeError(`filterLogits: topP must be in (0, 1], got ${p}`);
  let out = logits;
  if (k > 0 && k < V) {
    const [vals] = out.topk(k, -1);
    out = out.maskedFill(out.lt(vals.narrow(-1, k - 1, 1)), -Infinity);
  }
  if (p < 1) {
    const [sorted, order] = out.sort(-1, true);
    const cum = sorted.softmax(-1).cumsum(-1);
    // Remove a code when the codes before it already reach p (the first code always stays).
    const remove = cum.sub(sorted.softmax(-1)).ge(p);
    out = out.maskedFill(torch.zerosLike(remove).scatter(-1, order, remove), -Infinity);
  }
  return out;
}

/** One draw per row from softmax(filter(logits / temperature)): int64 [B]. */
export function sampleFromLogits(logits: Tensor, o: SampleCodesOptions = {}): Tensor {
  const temperature = o.temperature ?? 1;
  if (!(temperature > 0)) throw new RangeError(`sample: temperature must be > 0, got ${temperature}`);
  const probs = filterLogits(logits.div(temperature), o).softmax(-1);
  return probs.multinomial(1, { generator: o.generator ?? null }).squeeze(-1);
}

export class CodeTransformer extends Module {
  readonly tokEmb: Embedding;
  readonly posEmb: Tensor;
  readonly startEmb: Embedding;
  readonly blocks: ModuleList<TransformerBlock>;
  readonly lnF: LayerNorm;
  readonly head: Linear;
  constructor(readonly config: CodeTransformerConfig) {
    super();
    const { vocabSize, blockSize, dim, heads, layers } = config;
    for (const [k, v] of Object.entries({ vocabSize, blockSize, dim, heads, layers })) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`CodeTransformer: ${k} must be a positive integer, got ${v}`);
    }
    if (dim % heads) throw new RangeError(`CodeTransformer: dim ${dim} is not divisible by heads ${heads}`);
    this.tokEmb = this.registerModule('tok_emb', new Embedding(vocabSize, dim));
    this.posEmb = this.registerParameter('pos_emb', torch.zeros([blockSize, dim]))!;
    this.startEmb = this.registerModule('start_emb', new Embedding(Math.max(1, config.numClasses ?? 0), dim));
    this.blocks = this.registerModule('blocks', new ModuleList(Array.from({ length: layers }, () => new TransformerBlock(dim, heads, config.dropout ?? 0))));
    this.lnF = this.registerModule('ln_f', new LayerNorm(dim));
    this.head = this.registerModule('head', new Linear(dim, vocabSize, { bias: false }));
    // GPT-2 initialization: N(0, 0.02) for embeddings and linear weights.
    torch.noGrad(() => {
      for (const [name, p] of this.namedParameters()) {
        if (name.endsWith('weight') && p.dim() === 2) init.normal_(p, 0, 0.02);
        else if (name === 'pos_emb') init.normal_(p, 0, 0.02);
      }
    });
  }

  private start(B: number, classes?: Tensor): Tensor {
    const idx = classes ?? torch.zeros([B], { dtype: 'int64' });
    return this.startEmb.forward(idx).unsqueeze(1);
  }

  /**
   * Logits [B, L, V] of the next code at each position, for the input codes [B, L − 1] (L ≤ T):
   * position 0 sees only the start token, position i the start token and codes 0..i−1.
   */
  forward(codes: Tensor, classes?: Tensor): Tensor {
    const B = codes.size(0);
    const L = codes.size(1) + 1;
    if (L > this.config.blockSize) throw new RangeError(`CodeTransformer: ${L - 1} input codes exceed blockSize − 1 = ${this.config.blockSize - 1}`);
    let x = torch.cat([this.start(B, classes), this.tokEmb.forward(codes)], 1).add(this.posEmb.narrow(0, 0, L));
    const mask = torch.ones([L, L], { dtype: 'bool' }).tril();
    for (const b of this.blocks) x = b.forward(x, mask);
    return this.head.forward(this.lnF.forward(x));
  }

  /** Mean cross-entropy (nats per code) of code sequences [B, T]; pkeep < 1 corrupts the inputs. */
  nll(codes: Tensor, options: { pkeep?: number; classes?: Tensor } = {}): Tensor {
    const pkeep = options.pkeep ?? 1;
    let inp = codes.narrow(1, 0, codes.size(1) - 1);
    if (pkeep < 1 && this.training) {
      const keep = torch.bernoulli(torch.fullLike(inp, pkeep, { dtype: 'float32' })).to('bool');
      inp = torch.where(keep, inp, torch.randintLike(inp, this.config.vocabSize));
    }
    const logits = this.forward(inp, options.classes);
    return F.crossEntropy(logits.reshape([-1, this.config.vocabSize]), codes.reshape([-1]));
  }

  /** Logits [B, V] of the last position after feeding the new embeddings x [B, l, D] through the cache. */
  private stepCached(x: Tensor, cache: KVCache): Tensor {
    let i = 0;
    for (const b of this.blocks) {
      const r = b.forwardCached(x, cache[i]);
      cache[i++] = r.cache;
      x = r.y;
    }
    return this.head.forward(this.lnF.forward(x.narrow(1, x.size(1) - 1, 1))).squeeze(1);
  }

  /** n code sequences [n, T] drawn in raster order (no gradient). */
  sample(n: number, o: SampleCodesOptions = {}): Tensor {
    return torch.noGrad(() => {
      const T = this.config.blockSize;
      const codes: Tensor[] = [];
      if (o.cache === false) {
        for (let t = 0; t < T; t++) {
          const inp = t === 0 ? torch.zeros([n, 0], { dtype: 'int64' }) : torch.stack(codes, 1);
          codes.push(torch.scope(() => sampleFromLogits(this.forward(inp, o.classes).select(1, t), o)));
        }
        return torch.stack(codes, 1);
      }
      const cache: KVCache = [];
      let x = this.start(n, o.classes).add(this.posEmb.narrow(0, 0, 1));
      for (let t = 0; t < T; t++) {
        const next = sampleFromLogits(this.stepCached(x, cache), o);
        codes.push(next);
        if (t + 1 < T) x = this.tokEmb.forward(next.unsqueeze(1)).add(this.posEmb.narrow(0, t + 1, 1));
      }
      return torch.stack(codes, 1);
    });
  }
}
