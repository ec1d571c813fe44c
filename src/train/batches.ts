/**
 * Deterministic mini-batches from an in-memory data set: the batch of step s is a pure function of
 * (seed, s). Each epoch is a fresh permutation drawn from a Generator seeded with
 * deriveSeed(seed, 'data', epoch); step s uses slice s mod stepsPerEpoch of epoch floor(s / stepsPerEpoch)
 * (the incomplete last batch of an epoch is dropped, as DataLoader's drop_last).
 */
import { torch, type Tensor } from '../tensor/index.ts';
import { deriveSeed } from './seed.ts';

export class StepBatches {
  /** Examples per step. */
  readonly batchSize: number;
  readonly stepsPerEpoch: number;
  private perm: Tensor | null = null;
  private permEpoch = -1;

  /**
   * @param data all training examples, shape [N, ...] (kept by the caller for the sampler's life)
   * @param batchSize examples per step (clamped to N)
   * @param seed the run seed
   * @param labels optional labels [N], sliced with the data
   */
  constructor(
    readonly data: Tensor,
    batchSize: number,
    readonly seed: number,
    readonly labels?: Tensor,
  ) {
    const n = data.size(0);
    if (n < 1) throw new RangeError('StepBatches: the data set is empty');
    this.batchSize = Math.max(1, Math.min(batchSize, n));
    this.stepsPerEpoch = Math.floor(n / this.batchSize);
  }

  /** The epoch a step falls in. */
  epochOf(step: number): number {
    return Math.floor(step / this.stepsPerEpoch);
  }

  /** The batch of a step (0-based), made in the caller's scope. */
  batch(step: number): { x: Tensor; y?: Tensor } {
    const epoch = this.epochOf(step);
    if (epoch !== this.permEpoch) {
      this.perm?.dispose();
      const g = new torch.Generator({ seed: deriveSeed(this.seed, 'data', epoch) });
      // The permutation is drawn on the CPU (the same order on every device), then kept where the data is.
      const device = this.data.device;
      this.perm = torch.scope(() => {
        const p = torch.randperm(this.data.size(0), { generator: g });
        return device === 'cpu' ? p : p.to(device);
      }).keep();
      this.permEpoch = epoch;
    }
    const i = step % this.stepsPerEpoch;
    const idx = this.perm!.narrow(0, i * this.batchSize, this.batchSize);
    const x = this.data.indexSelect(0, idx);
    return this.labels ? { x, y: this.labels.indexSelect(0, idx) } : { x };
  }

  /** Frees the cached permutation (not the data). */
  dispose(): void {
    this.perm?.dispose();
    this.perm = null;
    this.permEpoch = -1;
  }
}
