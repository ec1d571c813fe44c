/**
 * VectorQuantizer: the discrete bottleneck of VQ-VAE (van den Oord et al., 2017) with the options
 * later work added (after lucidrains/vector-quantize-pytorch's option set; our own code):
 *
 * - `codebookSize` K codes of `dim` features; the input's feature axis is `channelDim`
 *   (1 for images [B, C, H, W], -1 for [..., d]); a mismatch of that axis with `dim` is an error.
 * - lookup: nearest code in Euclidean distance, or, with `cosine`, the code of largest cosine
 *   similarity (inputs and codes are l2-normalized; outputs are unit vectors).
 * - straight-through: the output is z + sg(e - z): forward the code, backward the identity to z.
 * - losses (mean squared errors over every element), as named terms:
 *   `commit` = ‖z − sg(e)‖² (pulls the encoder to its code; weighted by `commitmentWeight` β, the
 *   encoder term, as in the paper), `codebook` = ‖sg(z) − e‖² (pulls the code to the encoder; zero
 *   and absent from the gradient with `ema`), loss = codebook + β commit.
 * - `ema` codebook (VQ-VAE's appendix; Razavi et al. 2019): in training, with one-hot assignments
 *   n_k and sums s_k = Σ_{i→k} z_i, N ← γN + (1−γ)n, S ← γS + (1−γ)s, Laplace smoothing
 *   Ñ_k = (N_k + ε)/(ΣN + Kε)·ΣN, e_k = S_k / Ñ_k. The codebook is then a buffer, not a parameter.
 * - `kmeansInit`: the first training batch initializes the codebook by `kmeansIters` Lloyd steps.
 * - `deadCodeThreshold` > 0: after each training step, codes whose running count N_k falls below
 *   it are restarted at random encoder outputs of the batch (their count set to the threshold).
 * - statistics every call: `perplexity` = exp(H(batch code frequencies)), `usage` = fraction of codes
 *   used in the batch; `codeCounts` [K] of the batch.
 * - `indicesToCodes(indices)` and `codesToIndices(z)`.
 *
 * Buffers (state-dict names): `codebook` (a parameter without `ema`), `cluster_size`, `embed_sum`,
 * `initialized`. The running counts are kept in both modes (they drive dead-code restarts and the
 * usage histogram).
 */
import { torch, type Tensor } from '../../tensor/index.ts';
import { Module } from '../../nn/index.ts';

export interface VectorQuantizerOptions {
  /** Number of codes K. */
  codebookSize: number;
  /** Features per code; must equal the size of the input's channelDim. */
  dim: number;
  /** Axis of the input that holds the features: 1 for [B, C, H, W] (default), -1 for [..., d]. */
  channelDim?: number;
  /** β, the weight of the commitment term ‖z − sg(e)‖² on the encoder (default 0.25). */
  commitmentWeight?: number;
  /** EMA codebook updates instead of the codebook loss (default true). */
  ema?: boolean;
  /** EMA decay γ (default 0.99). */
  decay?: number;
  /** Laplace-smoothing ε of the EMA counts (default 1e-5). */
  eps?: number;
  /** Initialize the codebook by k-means on the first training batch (default false). */
  kmeansInit?: boolean;
  /** Lloyd iterations of the k-means init (default 10). */
  kmeansIters?: number;
  /** Restart codes whose running count is below this (0 = never; default 0). */
  deadCodeThreshold?: number;
  /** Cosine-similarity lookup on l2-normalized vectors (default false). */
  cosine?: boolean;
}

/** What one quantization returns. Tensors are in the caller's scope. */
export interface QuantizeResult {
  /** Straight-through quantized input z + sg(e − z), same shape as the input. */
  quantized: Tensor;
  /** Code indices, int64, the input's shape without channelDim. */
  indices: Tensor;
  /** codebook + β commit. */
  loss: Tensor;
  /** ‖sg(z) − e‖² (0 with EMA). */
  codebook: Tensor;
  /** ‖z − sg(e)‖² (unweighted). */
  commit: Tensor;
  /** exp of the entropy of the batch's code frequencies. */
  perplexity: Tensor;
  /** Fraction of codes used in the batch. */
  usage: Tensor;
  /** Codes' counts in the batch [K] (float). */
  codeCounts: Tensor;
}

const l2norm = (x: Tensor) => x.div(x.norm(2, [-1], true).clampMin(1e-12));

export class VectorQuantizer extends Module {
  readonly codebookSize: number;
  readonly dim: number;
  readonly channelDim: number;
  readonly commitmentWeight: number;
  readonly ema: boolean;
  readonly decay: number;
  readonly eps: number;
  readonly kmeansInit: boolean;
  readonly kmeansIters: number;
  readonly deadCodeThreshold: number;
  readonly cosine: boolean;
  /** [K, dim]: a buffer with `ema`, else a parameter. */
  readonly codebook: Tensor;
  /** Running (EMA) count of each code [K]. */
  readonly clusterSize: Tensor;
  /** Running (EMA) sum of the vectors assigned to each code [K, dim] (EMA mode). */
  readonly embedSum: Tensor;
  /** 0 until the k-means init ran (1 without kmeansInit). */
  readonly initialized: Tensor;

  constructor(options: VectorQuantizerOptions) {
    super();
    const o = options;
    const posInt = (v: number, what: string) => {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`VectorQuantizer: ${what} must be an integer >= 1, got ${v}`);
    };
    posInt(o.codebookSize, 'codebookSize');
    posInt(o.dim, 'dim');
    this.codebookSize = o.codebookSize;
    this.dim = o.dim;
    this.channelDim = o.channelDim ?? 1;
    this.commitmentWeight = o.commitmentWeight ?? 0.25;
    this.ema = o.ema ?? true;
    this.decay = o.decay ?? 0.99;
    this.eps = o.eps ?? 1e-5;
    this.kmeansInit = o.kmeansInit ?? false;
    this.kmeansIters = o.kmeansIters ?? 10;
    this.deadCodeThreshold = o.deadCodeThreshold ?? 0;
    this.cosine = o.cosine ?? false;
    if (!(this.commitmentWeight >= 0)) throw new RangeError(`VectorQuantizer: commitmentWeight must be >= 0, got ${this.commitmentWeight}`);
    if (!(this.decay >= 0 && this.decay < 1)) throw new RangeError(`VectorQuantizer: decay must be in [0, 1), got ${this.decay}`);
    if (!(this.eps > 0)) throw new RangeError(`VectorQuantizer: eps must be > 0, got ${this.eps}`);
    if (!(this.deadCodeThreshold >= 0)) throw new RangeError(`VectorQuantizer: deadCodeThreshold must be >= 0, got ${this.deadCodeThreshold}`);
    posInt(this.kmeansIters, 'kmeansIters');
    const K = this.codebookSize;
    const D = this.dim;
    const init = torch.scope(() => {
      // Uniform(-1/K, 1/K) as the VQ-VAE paper's Sonnet code; unit rows for cosine lookup.
      const c = torch.rand([K, D]).mul(2 / K).sub(1 / K);
      return this.cosine ? l2norm(torch.randn([K, D])) : c;
    });
    this.codebook = this.ema ? this.registerBuffer('codebook', init) : this.registerParameter('codebook', init);
    // Counts start at 1 with sums equal to the codes, so an unused code decays toward its start
    // (e_k = γᵗS₀/(γᵗ + ...)) instead of blowing up as S/ε would from zero counts.
    this.clusterSize = this.registerBuffer('cluster_size', torch.ones([K]));
    this.embedSum = this.registerBuffer('embed_sum', torch.scope(() => init.detach().clone()));
    this.initialized = this.registerBuffer('initialized', torch.tensor(this.kmeansInit ? 0 : 1, { dtype: 'float32' }));
  }

  /** Moves the feature axis last and flattens: [N, dim]; also returns how to undo it. */
  private flatten(z: Tensor): { flat: Tensor; restore: (f: Tensor) => Tensor; gridShape: number[] } {
    const nd = z.dim();
    const cd = this.channelDim < 0 ? nd + this.channelDim : this.channelDim;
    if (cd < 0 || cd >= nd) throw new RangeError(`VectorQuantizer: channelDim ${this.channelDim} is out of range for a ${nd}-d input [${z.shape.join(', ')}]`);
    if (z.size(cd) !== this.dim) {
      throw new RangeError(
        `VectorQuantizer: the input has ${z.size(cd)} features on axis ${cd} (shape [${z.shape.join(', ')}]) but the codebook dim is ${this.dim}; make the encoder's output channels equal the codebook dim`,
      );
    }
    const moved = cd === nd - 1 ? z : z.movedim(cd, -1);
    const gridShape = moved.shape.slice(0, -1);
    const flat = moved.reshape([-1, this.dim]);
    const restore = (f: Tensor) => {
      const g = f.reshape([...gridShape, this.dim]);
      return cd === nd - 1 ? g : g.movedim(-1, cd);
    };
    return { flat, restore, gridShape };
  }

  /** Nearest-code indices of flat vectors [N, dim] (already normalized for cosine). */
  private nearest(flat: Tensor): Tensor {
    return torch.noGrad(() => {
      const e = this.codebook.detach();
      if (this.cosine) return flat.matmul(l2norm(e).t()).argmax(1);
      // ‖z‖² − 2 z·e + ‖e‖²; ‖z‖² does not change the argmin.
      const d = e.square().sum(1).unsqueeze(0).sub(flat.matmul(e.t()).mul(2));
      return d.argmin(1);
    });
  }

  /** Quantizes z; updates the codebook (EMA, k-means init, restarts) in training mode. */
  forward(z: Tensor): QuantizeResult {
    const { flat: raw, restore, gridShape } = this.flatten(z);
    const flat = this.cosine ? l2norm(raw) : raw;
    if (this.training && this.initialized.item() === 0) this.kmeansInitFrom(flat.detach());
    const idx = this.nearest(flat);
    const K = this.codebookSize;
    const counts = torch.noGrad(() => idx.bincount(null, K).to('float32'));
    const book = this.cosine && !this.ema ? l2norm(this.codebook) : this.codebook;
    // [N, dim], a copy (grad flows to the codebook parameter without EMA); made before the update
    // below, so this step quantizes with the codebook it looked up.
    const e = book.indexSelect(0, idx);
    if (this.training) torch.noGrad(() => this.updateCodebook(flat.detach(), idx, counts));
    const commit = flat.sub(e.detach()).square().mean();
    const codebook = this.ema ? torch.zeros([], { dtype: flat.dtype }) : flat.detach().sub(e).square().mean();
    const loss = codebook.add(commit.mul(this.commitmentWeight));
    const st = flat.add(e.sub(flat).detach());
    const stats = torch.noGrad(() => {
      const p = counts.div(Math.max(1, idx.numel()));
      const H = p.mul(p.clampMin(1e-12).log()).sum().neg();
      return { perplexity: H.exp(), usage: counts.gt(0).to('float32').mean() };
    });
    return {
      quantized: restore(st),
      indices: idx.reshape(gridShape),
      loss,
      codebook,
      commit,
      perplexity: stats.perplexity,
      usage: stats.usage,
      codeCounts: counts,
    };
  }

  /** EMA update of the codebook and the running counts; then dead-code restarts. */
  private updateCodebook(flat: Tensor, idx: Tensor, counts: Tensor): void {
    const g = this.decay;
    this.clusterSize.mul_(g).add_(counts, { alpha: 1 - g });
    if (this.ema) {
      const sums = torch.zeros([this.codebookSize, this.dim], { dtype: flat.dtype }).indexAdd_(0, idx, flat);
      this.embedSum.mul_(g).add_(sums, { alpha: 1 - g });
      const n = this.clusterSize.sum();
      const smoothed = this.clusterSize.add(this.eps).div(n.add(this.codebookSize * this.eps)).mul(n);
      const book = this.embedSum.div(smoothed.unsqueeze(1));
      this.codebook.copy_(this.cosine ? l2norm(book) : book);
    }
    if (this.deadCodeThreshold > 0) this.restartDeadCodes(flat);
  }

  /**
   * Codes whose running count is below deadCodeThreshold are moved to random vectors of `flat`
   * (the current batch's encoder outputs); their count becomes the threshold. Returns how many.
   */
  restartDeadCodes(flat: Tensor): number {
    return torch.noGrad(() =>
      torch.scope(() => {
        const dead = this.clusterSize.lt(this.deadCodeThreshold).nonzero().squeeze(1);
        const nDead = dead.numel();
        if (nDead === 0 || flat.size(0) === 0) return 0;
        const pick = torch.randint(0, flat.size(0), [nDead]);
        const rows = flat.indexSelect(0, pick);
        this.codebook.indexCopy_(0, dead, this.cosine ? l2norm(rows) : rows);
        this.clusterSize.indexFill_(0, dead, this.deadCodeThreshold);
        this.embedSum.indexCopy_(0, dead, rows.mul(this.deadCodeThreshold));
        return nDead;
      }),
    );
  }

  /** k-means (Lloyd) on flat vectors: the codebook starts at the centroids (SoundStream's init). */
  private kmeansInitFrom(flat: Tensor): void {
    torch.noGrad(() =>
      torch.scope(() => {
        const K = this.codebookSize;
        const N = flat.size(0);
        const start = N >= K ? torch.randperm(N).narrow(0, 0, K) : torch.randint(0, N, [K]);
        let means = flat.indexSelect(0, start);
        let counts = torch.zeros([K]);
        for (let it = 0; it < this.kmeansIters; it++) {
          const d = means.square().sum(1).unsqueeze(0).sub(flat.matmul(means.t()).mul(2));
          const a = this.cosine ? flat.matmul(means.t()).argmax(1) : d.argmin(1);
          counts = a.bincount(null, K).to(flat.dtype);
          const sums = torch.zeros([K, this.dim], { dtype: flat.dtype }).indexAdd_(0, a, flat);
          const next = sums.div(counts.clampMin(1).unsqueeze(1));
          const empty = counts.eq(0).unsqueeze(1);
          means = torch.where(empty, means, this.cosine ? l2norm(next) : next);
        }
        this.codebook.copy_(means);
        this.clusterSize.copy_(counts);
        this.embedSum.copy_(means.mul(counts.unsqueeze(1)));
        this.initialized.fill_(1);
      }),
    );
  }

  /** Codes of int64 indices: [...] -> [..., dim] moved to channelDim (e.g. [B, H, W] -> [B, dim, H, W]). */
  indicesToCodes(indices: Tensor): Tensor {
    if (indices.dtype !== 'int64') throw new TypeError(`VectorQuantizer.indicesToCodes: indices must be int64, got ${indices.dtype}`);
    const lo = indices.numel() ? indices.min().item() : 0;
    const hi = indices.numel() ? indices.max().item() : 0;
    if (lo < 0 || hi >= this.codebookSize) throw new RangeError(`VectorQuantizer.indicesToCodes: index ${lo < 0 ? lo : hi} is outside 0..${this.codebookSize - 1}`);
    const book = this.cosine && !this.ema ? l2norm(this.codebook) : this.codebook;
    const e = book.indexSelect(0, indices.reshape([-1])).reshape([...indices.shape, this.dim]);
    const nd = indices.dim() + 1;
    const cd = this.channelDim < 0 ? nd + this.channelDim : this.channelDim;
    return cd === nd - 1 ? e : e.movedim(-1, cd);
  }

  /** Nearest-code indices of z (no update, no gradient). */
  codesToIndices(z: Tensor): Tensor {
    const { flat, gridShape } = this.flatten(z);
    return this.nearest(this.cosine ? l2norm(flat) : flat).reshape(gridShape);
  }

  override extraRepr(): string {
    return `codebookSize=${this.codebookSize}, dim=${this.dim}, commitmentWeight=${this.commitmentWeight}, ema=${this.ema}${this.ema ? `, decay=${this.decay}` : ''}${this.cosine ? ', cosine' : ''}${this.kmeansInit ? ', kmeansInit' : ''}${this.deadCodeThreshold ? `, deadCodeThreshold=${this.deadCodeThreshold}` : ''}`;
  }
}
