/**
 * DataLoader: batches of rows of one or more tensors (same first dimension), shuffled by a seeded
 * permutation per epoch.
 *
 * Memory: the loader only references the data tensors; their owner keeps and disposes them (e.g. an
 * ImageSet). In `for (const batch of loader) { ... }` each batch is made when the loop advances, in
 * the caller's scope, and is freed when the loop advances again (or ends, or breaks): a batch is
 * valid for one iteration — `keep()` (then dispose it yourself) or `clone()` what must outlive it.
 * Intermediates of the transform are freed at once. `loader.batch(indices)` gives a batch that
 * simply belongs to the caller's scope.
 */
import { torch, type Tensor } from '../tensor/index.ts';

export type Batchable = Tensor | Tensor[] | { [key: string]: Tensor };

export interface DataLoaderOptions<B> {
  batchSize: number;
  /** Shuffle each epoch (default true). */
  shuffle?: boolean;
  /** Drop the last, smaller batch (default false). */
  dropLast?: boolean;
  /** Seed of the shuffles: epoch e uses a permutation determined by (seed, e). Default 0. */
  seed?: number;
  /** Applied to each batch (after indexing), in the caller's scope (e.g. scalePixels, dequantize). */
  transform?: (batch: B) => B;
}

function firstDim(data: Batchable): number {
  const ts = data instanceof torch.Tensor ? [data] : Array.isArray(data) ? data : Object.values(data);
  if (ts.length === 0) throw new RangeError('DataLoader: no tensors given');
  const n = ts[0]!.size(0);
  for (const t of ts) if (t.size(0) !== n) throw new RangeError(`DataLoader: tensors disagree in their first dimension (${n} vs ${t.size(0)})`);
  return n;
}

/** A deterministic per-epoch seed from (seed, epoch). */
function epochSeed(seed: number, epoch: number): number {
  let h = (seed * 0x9e3779b1 + epoch * 0x85ebca6b + 0x632be5ab) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d) >>> 0;
  h ^= h >>> 15;
  return h;
}

export class DataLoader<B extends Batchable = Tensor> implements Iterable<B> {
  readonly data: B;
  readonly length: number;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly seed: number;
  /** The epoch the next iteration uses; advanced by each full or partial iteration. */
  epoch = 0;
  private readonly transform?: (batch: B) => B;

  constructor(data: B, options: DataLoaderOptions<B>) {
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) throw new RangeError(`DataLoader: batchSize must be a positive integer, got ${options.batchSize}`);
    this.data = data;
    this.length = firstDim(data);
    this.batchSize = options.batchSize;
    this.shuffle = options.shuffle ?? true;
    this.dropLast = options.dropLast ?? false;
    this.seed = options.seed ?? 0;
    this.transform = options.transform;
  }

  /** Batches per epoch. */
  get numBatches(): number {
    return this.dropLast ? Math.floor(this.length / this.batchSize) : Math.ceil(this.length / this.batchSize);
  }

  /** Sets the epoch of the next iteration (to resume a run reproducibly). */
  setEpoch(epoch: number): this {
    this.epoch = epoch;
    return this;
  }

  /** The example order of an epoch (a permutation when shuffling, else 0..n-1). */
  order(epoch = this.epoch): Int32Array {
    if (!this.shuffle) return Int32Array.from({ length: this.length }, (_, i) => i);
    return torch.scope(() => {
      const g = new torch.Generator({ seed: epochSeed(this.seed, epoch) });
      return Int32Array.from(torch.randperm(this.length, { generator: g }).toFlatArray());
    });
  }

  /** The index lists of each batch of the current epoch (and advances the epoch). No tensors. */
  batchIndices(): Int32Array[] {
    const order = this.order(this.epoch++);
    const out: Int32Array[] = [];
    for (let s = 0; s < this.length; s += this.batchSize) {
      const e = Math.min(s + this.batchSize, this.length);
      if (e - s < this.batchSize && this.dropLast) break;
      out.push(order.subarray(s, e));
    }
    return out;
  }

  /** The batch of the given example indices, transform applied; it belongs to the caller's scope. */
  batch(indices: ArrayLike<number>): B {
    return torch.scope(() => {
      const idx = torch.tensor(Int32Array.from(indices)).long();
      const pick = (t: Tensor): Tensor => t.indexSelect(0, idx);
      const d = this.data as Batchable;
      let b: Batchable;
      if (d instanceof torch.Tensor) b = pick(d);
      else if (Array.isArray(d)) b = d.map(pick);
      else b = Object.fromEntries(Object.entries(d).map(([k, t]) => [k, pick(t)]));
      return this.transform ? this.transform(b as B) : (b as B);
    });
  }

  /** One epoch of batches; each is valid until the loop advances (see the file comment). */
  *[Symbol.iterator](): Iterator<B> {
    let prev: B | null = null;
    try {
      for (const idx of this.batchIndices()) {
        if (prev) freeUnlessKept(prev);
        prev = this.batch(idx);
        yield prev;
      }
    } finally {
      if (prev) freeUnlessKept(prev);
    }
  }
}

function freeUnlessKept(b: Batchable): void {
  const ts = b instanceof torch.Tensor ? [b] : Array.isArray(b) ? b : Object.values(b);
  for (const t of ts) if (!(t as unknown as { _kept: boolean })._kept) t.dispose();
}
