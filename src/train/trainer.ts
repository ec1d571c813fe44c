/**
 * The Trainer every model family reuses. One optimizer step per iteration, each inside its own
 * `torch.scope`; learning-rate warm-up and decay; gradient clipping; EMA; logging to metrics.jsonl;
 * periodic samples and checkpoints; a loss curve at the end; exact resume; a clean stop on NaN/inf
 * loss (the last good checkpoint is kept) and on an AbortSignal (SIGINT in the CLI), which saves a
 * checkpoint first.
 *
 * Determinism: before step s the global RNG is seeded with deriveSeed(seed, 'step', s), and the batch
 * of step s depends only on (seed, s) (see StepBatches). Checkpoints hold the weights, the optimizer
 * state, the EMA and the step, so a run stopped anywhere and resumed from its last checkpoint ends
 * with the same weights as an uninterrupted run.
 *
 * Data parallel: with a `group` (ProcessGroup), every rank runs this loop over its shard of each
 * global batch under a DataParallel (averaged gradients, see distributed/data-parallel.ts); only rank
 * 0 writes checkpoints, metrics and pictures. Rank r > 0 draws its per-step noise from its own
 * stream (deriveSeed(stepSeed, 'rank', r)); rank 0 uses the single-process stream.
 */
import { setImmediate as tick } from 'node:timers/promises';
import { torch, type Tensor } from '../tensor/index.ts';
import type { DataInfo, LossTerms, ModelInstance } from '../models/registry.ts';
import { dirname } from 'node:path';
import { scheduledLearningRate, resumeLrAnchor, DEFAULT_TRAIN_CONFIG, type LrAnchor, type TrainConfig } from './config.ts';
import { StepBatches } from './batches.ts';
import { deriveSeed } from './seed.ts';
import { RunDir, type MetricsRecord, type RunConfig } from './run.ts';
import { createOptimizer, createGroupedOptimizer, clipGradNorm, ModulesEMA, GroupedOptimizer, type NamedParams, type TrainOptimizer } from './optim.ts';
import { loadModules, loadTrainingCheckpoint, saveTrainingCheckpoint } from './checkpoint.ts';
import { writeLossCurve, writeSamplePictures } from './pictures.ts';
import { DataParallel, type DataParallelOptions } from './distributed/data-parallel.ts';
import { explainCollectiveError, type ProcessGroup } from './distributed/process-group.ts';

/** How a fit() ended. */
export type TrainStatus = 'completed' | 'aborted' | 'nan' | 'stopped';

export interface TrainResult {
  status: TrainStatus;
  /** Steps completed (the step the weights correspond to). */
  step: number;
  /** The newest checkpoint on disk after the run (null if none was written). */
  checkpoint: string | null;
  /** The last logged loss (NaN if nothing was logged). */
  loss: number;
  /** A sentence saying what happened, for people. */
  message: string;
  /** Pictures written (samples, loss curve). */
  pictures: string[];
}

/** A log event: what the progress display shows. */
export interface StepEvent {
  step: number;
  total: number;
  record?: MetricsRecord;
}

export interface TrainerOptions {
  run: RunDir;
  config: RunConfig;
  model: ModelInstance;
  /** All training examples [N, ...] (the trainer reads, never frees them). */
  data: Tensor;
  /** Labels [N] when the data set has them. */
  labels?: Tensor;
  /** Held-out examples for sample pictures' reference (optional). */
  reference?: Tensor;
  /** Aborting saves a checkpoint at the current step and returns status 'aborted'. */
  signal?: AbortSignal;
  /** Called after every step (with the metrics record on log steps). */
  onStep?: (e: StepEvent) => void;
  /** Messages for people (resume, NaN stop, checkpoints). */
  log?: (message: string) => void;
  /** Write sample pictures and the loss curve (default true). */
  pictures?: boolean;
  /**
   * Test hook: stop right after this many steps in total, without a final checkpoint, as if the
   * process had been killed. Status 'stopped'.
   */
  stopAfter?: number;
  /** Train data-parallel over this group (every rank calls fit with the same options). */
  group?: ProcessGroup;
  /** Data-parallel settings (bucket size, unused-parameter search). */
  distributed?: DataParallelOptions;
}

/**
 * The modules the trainer's EMA averages: all of them, or with optimizer groups those of the groups
 * that do not opt out (`ema: false`: a GAN's discriminator, never used for sampling).
 */
export function emaModules(model: ModelInstance): Record<string, ModelInstance['modules'][string]> {
  if (!model.groups?.length) return model.modules;
  const names = new Set(model.groups.filter((g) => g.ema !== false).flatMap((g) => g.modules));
  return Object.fromEntries(Object.entries(model.modules).filter(([n]) => names.has(n)));
}

/** Names each module's parameters `<module>.<param>`, each tensor once. */
export function namedParameters(model: ModelInstance): NamedParams {
  const out: NamedParams = [];
  const seen = new Set<Tensor>();
  for (const [mname, m] of Object.entries(model.modules)) {
    for (const [n, p] of m.namedParameters()) {
      if (seen.has(p) || !p.requiresGrad) continue;
      seen.add(p);
      out.push([`${mname}.${n}`, p]);
    }
  }
  return out;
}

export class Trainer {
  readonly run: RunDir;
  readonly config: RunConfig;
  readonly model: ModelInstance;
  readonly train: TrainConfig;
  readonly optimizer: TrainOptimizer;
  readonly ema: ModulesEMA | null;
  readonly params: NamedParams;
  private readonly batches: StepBatches;
  private readonly opts: TrainerOptions;
  /** The data-parallel wrapper when training on several ranks. */
  readonly dp: DataParallel | null;
  /** True on the rank that writes files (rank 0, or the only process). */
  readonly isMain: boolean;
  /** Set when the ranks agreed to stop (an abort on any rank). */
  private stopAgreed = false;
  /** Steps completed so far. */
  step = 0;
  /** Where a resume that changed the plan (steps, lr, schedule) re-anchored the learning rate. */
  lrAnchor: LrAnchor | null = null;

  constructor(options: TrainerOptions) {
    this.opts = options;
    this.run = options.run;
    this.config = options.config;
    this.model = options.model;
    this.train = options.config.train;
    this.params = namedParameters(options.model);
    if (this.params.length === 0) throw new Error(`model '${options.config.model}' has no trainable parameters`);
    this.optimizer = options.model.groups?.length ? createGroupedOptimizer(this.params, options.model.groups, this.train) : createOptimizer(this.params, this.train);
    this.ema = this.train.ema > 0 ? new ModulesEMA(emaModules(options.model), this.train.ema) : null;
    const g = options.group;
    this.isMain = !g || g.rank === 0;
    this.batches = new StepBatches(options.data, this.train.batch, this.train.seed, options.labels, g ? { rank: g.rank, worldSize: g.worldSize } : undefined);
    this.dp = g ? new DataParallel(g, this.model.modules, this.params, options.distributed) : null;
  }

  /** The seed of the global RNG before step `step` on this rank. */
  private stepSeed(step: number): number {
    const s = deriveSeed(this.train.seed, 'step', step);
    return this.dp && this.dp.rank > 0 ? deriveSeed(s, 'rank', this.dp.rank) : s;
  }

  private log(msg: string): void {
    this.opts.log?.(msg);
  }

  /** Restores weights, optimizer, EMA and step from a checkpoint file. */
  restore(path: string): void {
    torch.scope(() => {
      const c = loadTrainingCheckpoint(path, this.train.device);
      if (c.seed !== this.train.seed) {
        throw new Error(`${path} was written with seed ${c.seed}, this run has seed ${this.train.seed}; resume with the run's own config`);
      }
      loadModules(this.model.modules, c.model);
      if (c.optim) this.optimizer.loadState(c.optim.tensors, c.optim.meta);
      if (this.ema) {
        if (c.ema) this.ema.loadState(c.ema, c.emaMeta);
        else this.log(`${path} has no EMA weights: the EMA restarts from the current weights`);
      }
      this.step = c.step;
      // A resume may change steps, lr or schedule: the plan continues from the lr reached (no rise).
      this.lrAnchor = c.config ? resumeLrAnchor(c.config.train, c.lrAnchor, this.train, c.step) : c.lrAnchor;
    });
  }

  /** Writes a checkpoint for the current step and prunes old ones. Returns its path. */
  saveCheckpoint(): string {
    const path = this.run.checkpointPath(this.step);
    saveTrainingCheckpoint(path, {
      step: this.step,
      seed: this.train.seed,
      config: this.config,
      modules: this.model.modules,
      ema: this.ema?.stateTensors() ?? null,
      emaMeta: this.ema?.stateMeta(),
      optim: { tensors: this.optimizer.stateTensors(), meta: this.optimizer.stateMeta() },
      lrAnchor: this.lrAnchor,
    });
    this.run.pruneCheckpoints(this.train.keepCheckpoints);
    return path;
  }

  /** Runs fn with the EMA weights loaded when the run has EMA (sampling, evaluation). */
  withEvalWeights<T>(fn: () => T): T {
    for (const m of Object.values(this.model.modules)) m.eval();
    try {
      return this.ema ? this.ema.withAverage(fn) : fn();
    } finally {
      for (const m of Object.values(this.model.modules)) m.train();
    }
  }

  /** Writes the sample pictures for the current step; returns their paths. */
  writeSamples(): string[] {
    if (this.opts.pictures === false) return [];
    return this.withEvalWeights(() =>
      torch.noGrad(() =>
        torch.scope(() => {
          torch.manualSeed(deriveSeed(this.train.seed, 'sample', this.step));
          return writeSamplePictures({
            run: this.run,
            step: this.step,
            model: this.model,
            data: this.config.data,
            count: this.train.sampleCount,
            reference: this.opts.reference ?? this.opts.data,
          });
        }),
      ),
    );
  }

  /** One optimizer step (the step-th, 0-based); returns the loss terms as numbers. */
  /** The learning rate of the step-th step (0-based) under this run's plan. */
  learningRate(step: number): number {
    return scheduledLearningRate(this.train, this.lrAnchor, step);
  }

  private async trainStep(step: number): Promise<Record<string, number>> {
    this.optimizer.lr = this.learningRate(step);
    if (this.optimizer instanceof GroupedOptimizer) {
      if (this.dp) throw new Error(`data-parallel training of '${this.opts.config.model}' (several optimizers: adversarial groups) is not supported yet; train it in one process`);
      torch.manualSeed(this.stepSeed(step));
      return this.groupedStep(step, this.optimizer);
    }
    const dp = this.dp;
    return torch.scope(async () => {
      if (dp) await dp.syncBuffers();
      torch.manualSeed(this.stepSeed(step));
      const batch = this.batches.batch(step);
      const terms: LossTerms = this.model.loss(batch, step);
      let values: Record<string, number> = {};
      for (const [k, t] of Object.entries(terms)) values[k] = t.numel() === 1 ? t.item() : t.mean().item();
      if (dp) {
        // the global batch's loss on every rank, so all ranks take the same branch below
        const agreed = await dp.agree(values, this.opts.signal?.aborted === true);
        values = agreed.values;
        if (agreed.stop) this.stopAgreed = true;
      }
      if (!Number.isFinite(values.loss!)) return values;
      if (dp) {
        dp.prepareBackward(terms.loss);
        try {
          terms.loss.backward();
        } catch (e) {
          dp.markBroken(e);
          throw new Error(explainCollectiveError(new Error(`the gradient all-reduce of step ${step + 1}: ${(e as Error).message}`), dp.rank, dp.worldSize).replace('a collective failed', 'the gradient all-reduce failed'));
        }
      } else terms.loss.backward();
      const norm = clipGradNorm(this.params.map(([, p]) => p), this.train.clipGrad);
      values.gradNorm = norm;
      if (!Number.isFinite(norm)) {
        this.optimizer.zeroGrad();
        return values;
      }
      this.optimizer.step();
      this.optimizer.zeroGrad();
      this.ema?.update();
      return values;
    });
  }

  /**
   * One step of a model with several optimizer groups: for each group in order, its loss, backward
   * (every gradient cleared first, so a generator loss leaves nothing in the discriminator's
   * .grad), clipping of its parameters, and its optimizer's update. The first group's terms keep
   * their names; others are logged as `<group>.<term>`.
   */
  private groupedStep(step: number, opt: GroupedOptimizer): Record<string, number> {
    const model = this.model;
    if (!model.groupLoss) throw new Error(`model '${this.config.model}' declares optimizer groups but no groupLoss`);
    return torch.scope(() => {
      const batch = this.batches.batch(step);
      const shared: Record<string, unknown> = {};
      const values: Record<string, number> = {};
      for (const [gi, g] of opt.groups.entries()) {
        const terms: LossTerms | null = model.groupLoss!(g.name, batch, step, shared);
        if (terms === null) continue;
        const name = (k: string): string => (gi === 0 ? k : `${g.name}.${k}`);
        for (const [k, t] of Object.entries(terms)) values[name(k)] = t.numel() === 1 ? t.item() : t.mean().item();
        const lossValue = values[name('loss')]!;
        if (!Number.isFinite(lossValue)) {
          values.loss = lossValue;
          opt.zeroGrad();
          return values;
        }
        opt.zeroGrad();
        terms.loss.backward();
        const norm = clipGradNorm(g.params.map(([, p]) => p), this.train.clipGrad);
        values[name('gradNorm')] = norm;
        if (!Number.isFinite(norm)) {
          values.gradNorm = norm;
          opt.zeroGrad();
          return values;
        }
        g.optimizer.step();
      }
      opt.zeroGrad();
      this.ema?.update();
      return values;
    });
  }

  /**
   * Trains from the current step to config.train.steps. With `resume`, first restores the newest
   * checkpoint of the run folder (if any) and drops metrics lines after it.
   */
  async fit(options: { resume?: boolean } = {}): Promise<TrainResult> {
    const c = this.train;
    const pictures: string[] = [];
    const dp = this.dp;
    // the same model on every rank, checked before any state moves between them
    if (dp) await dp.verifySame('model (parameter names and shapes)', this.params.map(([n, p]) => [n, p.shape]));
    if (options.resume) {
      const latest = this.isMain ? this.run.latestIntactCheckpoint((m) => this.log(`warning: ${m}`)) : null;
      const found = dp ? await dp.restoreFromRank0(latest, (p) => this.restore(p)) : latest !== null && (this.restore(latest), true);
      if (found) {
        if (this.isMain) this.run.truncateMetrics(this.step);
        this.log(`resumed ${this.run.name} from ${latest ?? "rank 0's checkpoint"} (step ${this.step}/${c.steps})`);
      } else {
        // Nothing to continue from: start over, and drop the metrics of the lost steps so that
        // metrics.jsonl does not repeat them.
        if (this.isMain) this.run.truncateMetrics(0);
        this.log(`no intact checkpoint in ${this.run.checkpointsDir}: starting ${this.run.name} from step 0 (metrics.jsonl restarted)`);
      }
    }
    if (dp) {
      await dp.broadcastState();
      this.log(`data parallel: rank ${dp.rank} of ${dp.worldSize}, ${this.batches.shardSize} of ${this.batches.batchSize} examples per step, ${dp.buckets} gradient bucket(s)`);
    }
    if (this.step < c.steps) torch.scope(() => this.model.beforeTraining?.());
    const t0 = performance.now();
    let lastLogTime = t0;
    let lastLogStep = this.step;
    let lastLoss = NaN;
    // per key: terms logged only on some steps (a discriminator's, from discStart on) are averaged
    // over the steps that have them
    let sums: Record<string, number> = {};
    let counts: Record<string, number> = {};
    let lastSaved = this.isMain && this.run.checkpointSteps().includes(this.step) ? this.step : -1;
    let best = Infinity;
    const save = (): string => {
      const p = this.isMain ? this.saveCheckpoint() : this.run.checkpointPath(this.step);
      lastSaved = this.step;
      return p;
    };

    while (this.step < c.steps) {
      if (dp ? this.stopAgreed : this.opts.signal?.aborted) {
        const p = save();
        const message = `interrupted at step ${this.step}/${c.steps}; saved ${p}; continue with --resume`;
        this.log(message);
        return { status: 'aborted', step: this.step, checkpoint: p, loss: lastLoss, message, pictures };
      }
      const values = await this.trainStep(this.step);
      const diverged = this.divergence(values, best);
      if (diverged) {
        const last = this.isMain ? this.run.latestCheckpoint() : null;
        const lr = Number((c.lr / 10).toPrecision(2));
        const resumeCmd = `genlab train --resume --name ${shellQuote(this.run.name)} --out ${shellQuote(dirname(this.run.dir))} --lr ${lr}`;
        const message = `${diverged} at step ${this.step + 1}; training stopped. ${
          last ? `Last good checkpoint: ${last}.` : 'No checkpoint was written before it.'
        } The learning rate (${c.lr}) is too high for this model and data: continue with a 10x lower one,\n  ${resumeCmd}\n` +
          `(--resume restarts from ${last ? 'that checkpoint' : 'step 0'}; --lr, --clip-grad and --config training settings given with it replace the run's).`;
        this.log(message);
        if (this.isMain) this.run.appendMetrics({ step: this.step + 1, loss: values.loss!, lr: this.optimizer.lr, itPerSec: 0, time: (performance.now() - t0) / 1000, nonFinite: 1 });
        return { status: 'nan', step: this.step, checkpoint: last, loss: values.loss!, message, pictures };
      }
      if (values.loss! < best) best = values.loss!;
      this.step += 1;
      for (const [k, v] of Object.entries(values)) {
        sums[k] = (sums[k] ?? 0) + v;
        counts[k] = (counts[k] ?? 0) + 1;
      }

      let record: MetricsRecord | undefined;
      if (this.step % c.logEvery === 0 || this.step === c.steps) {
        const now = performance.now();
        const itPerSec = ((this.step - lastLogStep) * 1000) / Math.max(1e-9, now - lastLogTime);
        const means = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / counts[k]!]));
        record = { step: this.step, ...means, loss: means.loss!, lr: this.optimizer.lr, itPerSec, time: (now - t0) / 1000 };
        if (this.isMain) this.run.appendMetrics(record);
        lastLoss = record.loss;
        lastLogTime = now;
        lastLogStep = this.step;
        sums = {};
        counts = {};
      }
      this.opts.onStep?.({ step: this.step, total: c.steps, record });

      if (this.opts.stopAfter !== undefined && this.step >= this.opts.stopAfter && this.step < c.steps) {
        const message = `stopped after step ${this.step} (stopAfter) without a final checkpoint`;
        return { status: 'stopped', step: this.step, checkpoint: this.isMain ? this.run.latestCheckpoint() : null, loss: lastLoss, message, pictures };
      }
      if (c.ckptEvery > 0 && this.step % c.ckptEvery === 0 && this.step < c.steps) save();
      if (c.sampleEvery > 0 && this.step % c.sampleEvery === 0 && this.step < c.steps && this.isMain) pictures.push(...this.writeSamples());
      // Let signal handlers (SIGINT) and other callbacks run between steps.
      await tick();
    }

    const ckpt = lastSaved === this.step ? this.run.checkpointPath(this.step) : save();
    if (this.isMain) pictures.push(...this.writeSamples());
    if (this.opts.pictures !== false && this.isMain) {
      const curve = writeLossCurve(this.run, undefined, { monitors: this.model.monitors });
      if (curve) pictures.push(curve);
    }
    const message = `trained ${this.run.name} for ${this.step} steps; final loss ${Number.isFinite(lastLoss) ? lastLoss.toFixed(4) : lastLoss}; checkpoint ${ckpt}`;
    return { status: 'completed', step: this.step, checkpoint: ckpt, loss: lastLoss, message, pictures };
  }

  /**
   * Why a step's values mean divergence, or null: a non-finite loss or gradient norm, or a loss
   * over the best so far by the `divergence` factor of max(1, |best|).
   */
  private divergence(values: Record<string, number>, best: number): string | null {
    const loss = values.loss!;
    if (!Number.isFinite(loss)) return `loss became ${loss}`;
    if (!Number.isFinite(values.gradNorm ?? 0)) return `gradient norm became ${values.gradNorm}`;
    const factor = this.train.divergence ?? DEFAULT_TRAIN_CONFIG.divergence;
    if (factor > 0 && Number.isFinite(best) && loss > best + factor * Math.max(1, Math.abs(best))) {
      return `loss diverged: ${loss.toPrecision(4)} after a best of ${best.toPrecision(4)} (over the divergence limit, ${factor}x)`;
    }
    return null;
  }

  /** Frees the optimizer state, EMA and batch cache (not the model or the data). */
  dispose(): void {
    this.optimizer.dispose();
    this.ema?.dispose();
    this.batches.dispose();
  }
}

export type { DataInfo };

/** A word for a shell command line (quoted when it has anything but safe characters). */
function shellQuote(s: string): string {
  return /^[\w./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
