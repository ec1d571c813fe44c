/**
 * Learning-rate schedules: functions from the step number (0, 1, ...) to a factor of the base
 * learning rate, and LRScheduler, which applies one to an optimizer's groups.
 */
import type { Optimizer } from './optimizer.ts';

/** A learning-rate factor as a function of the step number. */
export type LRSchedule = (step: number) => number;

/** Factor 1 at every step. */
export function constantLR(): LRSchedule {
  return () => 1;
}

/** Linear warm-up: factor (step + 1) / warmupSteps for the first warmupSteps steps, then 1. */
export function linearWarmup(warmupSteps: number): LRSchedule {
  if (!(warmupSteps >= 0)) throw new RangeError(`linearWarmup: warmupSteps must be >= 0, got ${warmupSteps}`);
  return (step) => (warmupSteps > 0 && step < warmupSteps ? (step + 1) / warmupSteps : 1);
}

/**
 * Cosine decay from 1 to minFactor over totalSteps, after an optional linear warm-up of
 * warmupSteps (counted inside totalSteps); minFactor after the end.
 */
export function cosineDecay(options: { totalSteps: number; warmupSteps?: number; minFactor?: number }): LRSchedule {
  const { totalSteps } = options;
  const warm = options.warmupSteps ?? 0;
  const minF = options.minFactor ?? 0;
  if (!(totalSteps > warm)) throw new RangeError(`cosineDecay: totalSteps (${totalSteps}) must exceed warmupSteps (${warm})`);
  const w = linearWarmup(warm);
  return (step) => {
    if (step < warm) return w(step);
    const progress = Math.min(1, (step - warm) / (totalSteps - warm));
    return minF + (1 - minF) * 0.5 * (1 + Math.cos(Math.PI * progress));
  };
}

/** Multiplies the factor by gamma every stepSize steps (PyTorch's StepLR), after an optional warm-up. */
export function stepDecay(options: { stepSize: number; gamma?: number; warmupSteps?: number }): LRSchedule {
  const gamma = options.gamma ?? 0.1;
  if (!(options.stepSize > 0)) throw new RangeError(`stepDecay: stepSize must be > 0, got ${options.stepSize}`);
  const warm = options.warmupSteps ?? 0;
  const w = linearWarmup(warm);
  return (step) => (step < warm ? w(step) : gamma ** Math.floor((step - warm) / options.stepSize));
}

/**
 * Sets each group's lr to baseLr * schedule(step) (PyTorch's LambdaLR): the factor of step 0 is
 * applied at construction; call step() after each optimizer.step().
 */
export class LRScheduler {
  readonly baseLrs: number[];
  /** Steps taken so far (the schedule's current argument). */
  stepCount = 0;
  constructor(readonly optimizer: Optimizer<{ lr: number }>, readonly schedule: LRSchedule) {
    this.baseLrs = optimizer.paramGroups.map((g) => g.lr);
    this.apply();
  }
  private apply(): void {
    const f = this.schedule(this.stepCount);
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = this.baseLrs[i]! * f));
  }
  /** Advances one step and sets the new learning rates. */
  step(): void {
    this.stepCount++;
    this.apply();
  }
  /** The learning rates now set. */
  get lastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }
  stateDict(): { stepCount: number; baseLrs: number[] } {
    return { stepCount: this.stepCount, baseLrs: [...this.baseLrs] };
  }
  loadStateDict(sd: { stepCount: number; baseLrs: number[] }): void {
    if (sd.baseLrs.length !== this.baseLrs.length) throw new Error(`LRScheduler.loadStateDict: ${sd.baseLrs.length} groups in the state dict, ${this.baseLrs.length} here`);
    this.stepCount = sd.stepCount;
    sd.baseLrs.forEach((v, i) => (this.baseLrs[i] = v));
    this.apply();
  }
}
