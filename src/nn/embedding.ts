/** Embeddings of a scalar per example (diffusion time, noise level): [B] -> [B, dim]. */
import { torch, type Tensor, type Generator } from '../tensor/index.ts';
import { Module } from './module.ts';

/**
 * Transformer/DDPM sinusoidal embedding: [cos(t f_i), sin(t f_i)] with f_i = maxPeriod^(-i/half),
 * i = 0..half-1 (guided-diffusion's timestep_embedding); an odd dim gets a zero last column.
 */
export class SinusoidalEmbedding extends Module {
  constructor(readonly dim: number, readonly options: { maxPeriod?: number } = {}) {
    super();
    if (dim < 2) throw new RangeError(`SinusoidalEmbedding: dim must be >= 2, got ${dim}`);
    const half = Math.floor(dim / 2);
    const freqs = torch.scope(() => torch.arange(half, { dtype: 'float32' }).mul(-Math.log(options.maxPeriod ?? 10000) / half).exp());
    this.registerBuffer('freqs', freqs, { persistent: false });
  }
  get freqs(): Tensor {
    return this._buffers.get('freqs')!;
  }
  forward(t: Tensor): Tensor {
    const args = t.to(this.freqs.dtype).view([-1, 1]).mul(this.freqs.view([1, -1]));
    const e = torch.cat([args.cos(), args.sin()], 1);
    return this.dim % 2 ? torch.cat([e, torch.zerosLike(e.narrow(1, 0, 1))], 1) : e;
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/**
 * Random Fourier features (EDM's FourierEmbedding): [cos(2 pi t f), sin(2 pi t f)] with fixed
 * frequencies f ~ N(0, scale^2) stored as the buffer 'freqs' (dim/2 of them).
 */
export class FourierFeatures extends Module {
  constructor(readonly dim: number, readonly options: { scale?: number; generator?: Generator } = {}) {
    super();
    if (dim < 2 || dim % 2) throw new RangeError(`FourierFeatures: dim must be even and >= 2, got ${dim}`);
    const f = torch.scope(() => torch.randn([dim / 2], { generator: options.generator ?? null }).mul(options.scale ?? 16));
    this.registerBuffer('freqs', f);
  }
  get freqs(): Tensor {
    return this._buffers.get('freqs')!;
  }
  forward(t: Tensor): Tensor {
    const args = t.to(this.freqs.dtype).view([-1, 1]).mul(this.freqs.mul(2 * Math.PI).view([1, -1]));
    return torch.cat([args.cos(), args.sin()], 1);
  }
  override extraRepr(): string {
    return `dim=${this.dim}, scale=${this.options.scale ?? 16}`;
  }
}

export type ScalarEmbeddingKind = 'sinusoidal' | 'fourier';
/** A scalar embedding module by kind. */
export function scalarEmbedding(kind: ScalarEmbeddingKind, dim: number): SinusoidalEmbedding | FourierFeatures {
  if (kind === 'sinusoidal') return new SinusoidalEmbedding(dim);
  if (kind === 'fourier') return new FourierFeatures(dim);
  throw new TypeError(`scalarEmbedding: unknown kind ${JSON.stringify(kind)}`);
}
