/**
 * Data parallelism (PyTorch's DistributedDataParallel) over a ProcessGroup, for the Trainer: every rank
 * holds the whole model, reads its own shard of each global batch, and after backward holds the
 * gradient of the global batch's mean loss, so every rank takes the same optimizer step.
 *
 * - Start: parameters and buffers are broadcast from rank 0 (and, on resume, rank 0's checkpoint
 *   file, so optimizer state, EMA and step are the same bytes on every rank).
 * - Gradients: c10d's own Reducer (the engine behind DDP) hooks every parameter's gradient
 *   accumulator; a bucket (25 MB, the first 1 MB) is all-reduced as soon as all its gradients are
 *   ready, overlapping with the rest of backward; backward returns with averaged gradients in .grad.
 *   Parameters that a step leaves unused are found from the loss (`findUnused`, default on, so any
 *   family trains unchanged).
 * - Buffers (BatchNorm statistics) are broadcast from rank 0 before every step, as DDP does, in one
 *   call per dtype (flattened).
 * - Per step, the loss terms are averaged over ranks (so the logged loss is the global batch's and
 *   every rank agrees on a NaN stop) together with a stop flag (so a Ctrl-C on any rank stops all
 *   ranks after the same step).
 */
import { readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { N } from '../../tensor/native.ts';
import { torch, type Tensor } from '../../tensor/index.ts';
import type { Module } from '../../nn/index.ts';
import type { ProcessGroup } from './process-group.ts';
import { broadcastBytes, verifySame } from './sync.ts';

export interface DataParallelOptions {
  /** Bucket size for the gradient all-reduce, MB (DDP's default 25). */
  bucketCapMB?: number;
  /** Size of the first bucket, MB (DDP's default 1: the last layers' gradients go out early). */
  firstBucketCapMB?: number;
  /** Search the autograd graph for parameters a step did not use (default true). */
  findUnused?: boolean;
  /** Broadcast floating-point buffers from rank 0 before every step (default true). */
  broadcastBuffers?: boolean;
}

export class DataParallel {
  readonly group: ProcessGroup;
  private readonly reducer: object;
  readonly buckets: number;
  private readonly params: Tensor[];
  private readonly buffers: Tensor[];
  private readonly broadcastBuffers: boolean;
  private readonly findUnused: boolean;

  /**
   * @param modules the model's modules (their parameters and buffers are synchronized)
   * @param params the trainable parameters, named, in a fixed order (the same on every rank)
   */
  constructor(group: ProcessGroup, modules: Record<string, Module>, params: [string, Tensor][], options: DataParallelOptions = {}) {
    this.group = group;
    this.params = params.map(([, p]) => p);
    const seen = new Set<Tensor>();
    this.buffers = [];
    for (const m of Object.values(modules)) {
      for (const [, b] of m.namedBuffers()) {
        if (seen.has(b) || !b.dtype.startsWith('float')) continue;
        seen.add(b);
        this.buffers.push(b);
      }
    }
    this.broadcastBuffers = options.broadcastBuffers ?? true;
    this.findUnused = options.findUnused ?? true;
    const r = N.distReducer!(group._g, this.params.map((p) => p._h), {
      bucketCapMB: options.bucketCapMB ?? 25,
      firstBucketCapMB: options.firstBucketCapMB ?? 1,
      findUnused: this.findUnused,
      names: params.map(([n]) => n),
    });
    this.reducer = r.handle;
    this.buckets = r.buckets;
  }

  /**
   * Collectives per training step (each pays the latency once): the loss agreement, the Reducer's
   * buckets, its unused-parameter bitmap (findUnused) and one buffer broadcast per buffer dtype.
   */
  get collectivesPerStep(): number {
    const dtypes = new Set(this.buffers.map((b) => b.dtype)).size;
    return 1 + this.buckets + (this.findUnused ? 1 : 0) + (this.broadcastBuffers ? dtypes : 0);
  }

  get rank(): number {
    return this.group.rank;
  }
  get worldSize(): number {
    return this.group.worldSize;
  }

  /**
   * Rank 0's values of `tensors` on every rank, coalesced as DDP does: one broadcast per dtype of a
   * flat copy, then copied back (a step of a model with 64 small buffers makes 1 call, not 64).
   */
  private async broadcastCoalesced(tensors: Tensor[]): Promise<void> {
    if (tensors.length === 0) return;
    await torch.noGrad(() =>
      torch.scope(async () => {
        const byDtype = new Map<string, Tensor[]>();
        for (const t of tensors) byDtype.set(t.dtype, [...(byDtype.get(t.dtype) ?? []), t]);
        await Promise.all(
          [...byDtype.values()].map(async (group) => {
            const flat = torch.cat(group.map((t) => t.detach().reshape([-1])));
            await this.group.broadcast(flat);
            if (this.rank === 0) return;
            let o = 0;
            for (const t of group) {
              const n = t.numel();
              t.detach().copy_(flat.narrow(0, o, n).view(t.shape));
              o += n;
            }
          }),
        );
      }),
    );
  }

  /** Copies rank 0's parameters and buffers to every rank. */
  async broadcastState(): Promise<void> {
    await this.broadcastCoalesced([...this.params, ...this.buffers]);
  }

  /** Before a step: rank 0's buffers to every rank (BatchNorm running statistics). */
  async syncBuffers(): Promise<void> {
    if (this.broadcastBuffers) await this.broadcastCoalesced(this.buffers);
  }

  /**
   * Averages a step's numbers over the ranks and ORs a stop flag; every rank gets the same answer.
   */
  async agree(values: Record<string, number>, stop: boolean): Promise<{ values: Record<string, number>; stop: boolean }> {
    const keys = Object.keys(values).sort();
    return torch.scope(async () => {
      const t = torch.tensor([...keys.map((k) => values[k]!), stop ? 1 : 0], { dtype: 'float64' });
      await this.group.allReduce(t);
      const a = t.toTypedArray() as Float64Array;
      const out: Record<string, number> = {};
      keys.forEach((k, i) => (out[k] = a[i]! / this.worldSize));
      return { values: out, stop: a[keys.length]! > 0 };
    });
  }

  /** Call after the forward pass, right before `loss.backward()`: arms the Reducer's hooks. */
  prepareBackward(loss: Tensor): void {
    N.distReducerPrepare!(this.reducer, [loss._h]);
  }

  /** Marks the group failed (after a failed backward) so nothing waits on it again. */
  markBroken(e: unknown): void {
    N.distReducerMarkBroken!(this.reducer, e instanceof Error ? e.message : String(e));
  }

  /** Rank 0's bytes (or null) on every rank. */
  broadcastBytes(bytes: Uint8Array | null): Promise<Uint8Array | null> {
    return broadcastBytes(this.group, bytes);
  }

  /**
   * Restores every rank from rank 0's checkpoint file (`path` on rank 0; ignored elsewhere), through
   * `restore(path)`; the other ranks read the broadcast bytes from a temporary file. Returns
   * whether there was a checkpoint.
   */
  async restoreFromRank0(path: string | null, restore: (path: string) => void): Promise<boolean> {
    const bytes = await this.broadcastBytes(this.rank === 0 && path ? new Uint8Array(readFileSync(path)) : null);
    if (!bytes) return false;
    if (this.rank === 0) {
      restore(path!);
      return true;
    }
    const dir = mkdtempSync(join(tmpdir(), 'genlab-rank-'));
    const tmp = join(dir, 'checkpoint.safetensors');
    try {
      writeFileSync(tmp, bytes);
      restore(tmp);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return true;
  }

  /** See verifySame in sync.ts. */
  verifySame(label: string, what: unknown): Promise<void> {
    return verifySame(this.group, label, what);
  }
}
