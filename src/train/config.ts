/**
 * Training configuration: what `genlab train` flags set and what config.json records. Every field
 * has a default; a family's `trainDefaults` override the defaults, the user's flags override both.
 */

/** Optimizer, schedule, logging and checkpoint settings of a run. */
export interface TrainConfig {
  /** Total optimizer steps. */
  steps: number;
  /** Examples per step. */
  batch: number;
  /** Peak learning rate. */
  lr: number;
  /** Optimizer: 'adam' (default), 'adamw' or 'sgd'. */
  optimizer: 'adam' | 'adamw' | 'sgd';
  /** Adam's betas. */
  betas: [number, number];
  /** Adam's epsilon. */
  eps: number;
  /** Weight decay (decoupled for adamw). */
  weightDecay: number;
  /** SGD momentum. */
  momentum: number;
  /** Linear warm-up steps of the learning rate. */
  warmup: number;
  /** Learning-rate shape after warm-up: 'cosine' decays to minLrRatio * lr at the last step. */
  schedule: 'cosine' | 'constant' | 'linear';
  /** Final learning rate as a fraction of lr (cosine and linear schedules). */
  minLrRatio: number;
  /** Clip the global gradient norm to this value (0 = no clipping). */
  clipGrad: number;
  /**
   * Divergence guard: training stops (exit status 3) when a step's loss exceeds the best loss so far
   * by this factor of max(1, |best|), or is not finite (0 = only the non-finite check).
   */
  divergence: number;
  /** EMA decay of the weights (0 = no EMA). Samples and eval use the EMA weights when present. */
  ema: number;
  /** Seed of everything random: initialization, data order, per-step noise. */
  seed: number;
  /** Log (metrics.jsonl, progress) every this many steps. */
  logEvery: number;
  /** Write sample pictures every this many steps (0 = only at the end). */
  sampleEvery: number;
  /** Write a checkpoint every this many steps (0 = only at the end). */
  ckptEvery: number;
  /** Checkpoints kept on disk (the newest; 0 = all). */
  keepCheckpoints: number;
  /** Samples drawn for each picture. */
  sampleCount: number;
  /** Training examples drawn from a synthetic 2D set (ignored by fixed data sets). */
  trainSize: number;
  /** Device: 'cpu' or 'cuda'. */
  device: string;
}

/** The trainer's defaults. */
export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  steps: 1000,
  batch: 256,
  lr: 1e-3,
  optimizer: 'adam',
  betas: [0.9, 0.999],
  eps: 1e-8,
  weightDecay: 0,
  momentum: 0.9,
  warmup: 0,
  schedule: 'cosine',
  minLrRatio: 0.1,
  clipGrad: 0,
  divergence: 100,
  ema: 0,
  seed: 0,
  logEvery: 10,
  sampleEvery: 0,
  ckptEvery: 0,
  keepCheckpoints: 3,
  sampleCount: 1000,
  trainSize: 10_000,
  device: 'cpu',
};

/** Upper bounds of steps and batch: a larger value is a typo (1e20 steps would never end). */
export const MAX_STEPS = 1_000_000_000;
export const MAX_BATCH = 10_000_000;

/** Merges partial configs left to right over the defaults, checking names and value types. */
export function resolveTrainConfig(...parts: (Partial<TrainConfig> | Record<string, unknown> | undefined)[]): TrainConfig {
  const out: TrainConfig = structuredClone(DEFAULT_TRAIN_CONFIG);
  const rec = out as unknown as Record<string, unknown>;
  for (const part of parts) {
    if (!part) continue;
    for (const [k, v] of Object.entries(part)) {
      if (v === undefined) continue;
      if (!(k in DEFAULT_TRAIN_CONFIG)) {
        throw new Error(`unknown training setting '${k}'; settings: ${Object.keys(DEFAULT_TRAIN_CONFIG).join(', ')}`);
      }
      const def = (DEFAULT_TRAIN_CONFIG as unknown as Record<string, unknown>)[k];
      if (typeof def === 'number' && (typeof v !== 'number' || !Number.isFinite(v))) throw new Error(`training setting '${k}' takes a number, got ${JSON.stringify(v)}`);
      if (typeof def === 'string' && typeof v !== 'string') throw new Error(`training setting '${k}' takes a string, got ${JSON.stringify(v)}`);
      rec[k] = structuredClone(v);
    }
  }
  validate(out);
  return out;
}

function validate(c: TrainConfig): void {
  const int = (k: keyof TrainConfig, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const v = c[k] as number;
    if (!Number.isSafeInteger(v) || v < min) throw new Error(`training setting '${k}' must be an integer >= ${min}, got ${v}`);
    if (v > max) throw new Error(`training setting '${k}' is ${v}; at most ${max} is allowed (${k === 'steps' ? 'a run of more steps would never end' : 'larger values are surely a typo'})`);
  };
  int('steps', 1, MAX_STEPS);
  int('batch', 1, MAX_BATCH);
  int('warmup', 0);
  int('seed', 0);
  int('logEvery', 1);
  int('sampleEvery', 0);
  int('ckptEvery', 0);
  int('keepCheckpoints', 0);
  int('trainSize', 1);
  int('sampleCount', 1, 1_000_000);
  if (!/^(cpu|cuda(:\d+)?)$/.test(c.device)) throw new Error(`training setting 'device' must be cpu, cuda or cuda:N; got '${c.device}'`);
  if (!(c.lr > 0 && c.lr < 1e6)) throw new Error(`training setting 'lr' must be > 0 and < 1e6, got ${c.lr}`);
  if (!(c.ema >= 0 && c.ema < 1)) throw new Error(`training setting 'ema' must be in [0, 1), got ${c.ema}`);
  if (!(c.divergence >= 0)) throw new Error(`training setting 'divergence' must be >= 0, got ${c.divergence}`);
  if (!(c.clipGrad >= 0)) throw new Error(`training setting 'clipGrad' must be >= 0, got ${c.clipGrad}`);
  if (!['adam', 'adamw', 'sgd'].includes(c.optimizer)) throw new Error(`training setting 'optimizer' must be one of adam, adamw, sgd; got '${c.optimizer}'`);
  if (!['cosine', 'constant', 'linear'].includes(c.schedule)) throw new Error(`training setting 'schedule' must be one of cosine, constant, linear; got '${c.schedule}'`);
}

/**
 * The learning rate at a step (0-based): linear warm-up from lr/warmup to lr over `warmup` steps, then
 * constant, linear or cosine decay to minLrRatio * lr at the last step.
 */
export function learningRate(c: Pick<TrainConfig, 'lr' | 'warmup' | 'schedule' | 'minLrRatio' | 'steps'>, step: number): number {
  if (c.warmup > 0 && step < c.warmup) return (c.lr * (step + 1)) / c.warmup;
  if (c.schedule === 'constant') return c.lr;
  const span = Math.max(1, c.steps - c.warmup - 1);
  const t = Math.min(1, Math.max(0, (step - c.warmup) / span));
  const lo = c.lr * c.minLrRatio;
  if (c.schedule === 'linear') return c.lr + (lo - c.lr) * t;
  return lo + 0.5 * (c.lr - lo) * (1 + Math.cos(Math.PI * t));
}

/**
 * Where a resumed run's learning-rate plan restarts: at `step` the lr is `lr`, and from there it
 * decays (cosine or linear, as the schedule says) to minLrRatio × the run's lr at its last step, or
 * holds `lr` (constant schedule). Set when a resume changes the plan (more steps, another lr or
 * schedule), so that a longer cosine never climbs back up; null for a run on its first plan.
 */
export interface LrAnchor {
  step: number;
  lr: number;
}

/** The learning rate at a step under a plan that may have been re-anchored by a resume. */
export function scheduledLearningRate(c: Pick<TrainConfig, 'lr' | 'warmup' | 'schedule' | 'minLrRatio' | 'steps'>, anchor: LrAnchor | null, step: number): number {
  if (!anchor || step < anchor.step) return learningRate(c, step);
  if (c.schedule === 'constant') return anchor.lr;
  const span = Math.max(1, c.steps - 1 - anchor.step);
  const t = Math.min(1, Math.max(0, (step - anchor.step) / span));
  // never upward: a resume with a larger minLrRatio holds the lr reached
  const lo = Math.min(c.lr * c.minLrRatio, anchor.lr);
  if (c.schedule === 'linear') return anchor.lr + (lo - anchor.lr) * t;
  return lo + 0.5 * (anchor.lr - lo) * (1 + Math.cos(Math.PI * t));
}

type PlanFields = Pick<TrainConfig, 'lr' | 'warmup' | 'schedule' | 'minLrRatio' | 'steps'>;

/**
 * The anchor of a run resumed at `step` whose checkpoint was trained under `before` (and its own
 * anchor) and continues under `now`. An unchanged plan keeps its anchor (so a resume is exact);
 * a changed one continues from the lr the old plan had reached at `step`, scaled by now.lr /
 * before.lr (a resume with a 10× lower lr after a divergence is 10× lower from there on).
 */
export function resumeLrAnchor(before: PlanFields, beforeAnchor: LrAnchor | null, now: PlanFields, step: number): LrAnchor | null {
  const same = before.steps === now.steps && before.lr === now.lr && before.schedule === now.schedule && before.minLrRatio === now.minLrRatio && before.warmup === now.warmup;
  if (same) return beforeAnchor;
  if (step < now.warmup) return null;
  return { step, lr: (scheduledLearningRate(before, beforeAnchor, step) * now.lr) / before.lr };
}
