/**
 * The run folder (ARCHITECTURE.md, "Runs"):
 *
 * ```
 * runs/<name>/config.json          everything needed to rebuild the model (family, its config, data, training settings)
 * runs/<name>/metrics.jsonl        one JSON object per log step: step, loss and named terms, lr, it/s, time
 * runs/<name>/checkpoints/step-0000500.safetensors   model, optimizer, EMA, step, config
 * runs/<name>/samples/step-0000500.png               sample pictures (2D: scatter; + density when logProb exists)
 * runs/<name>/loss.png                                the loss curve, written at the end
 * ```
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { writeFileAtomic } from '../io/atomic.ts';
import { readSafetensorsHeader } from '../io/safetensors.ts';
import type { DataInfo, ModelConfig } from '../models/registry.ts';
import type { TrainConfig } from './config.ts';

/** What config.json holds. */
export interface RunConfig {
  /** Format version of this file. */
  version: 1;
  /** The model family's registered name. */
  model: string;
  /** The family config (defaults merged with overrides). */
  modelConfig: ModelConfig;
  /** The data set and what the model was built for. */
  data: DataInfo;
  train: TrainConfig;
  createdAt: string;
}

/** One line of metrics.jsonl. */
export interface MetricsRecord {
  step: number;
  loss: number;
  lr: number;
  /** Steps per second over the last log interval. */
  itPerSec: number;
  /** Seconds since this process started training. */
  time: number;
  /** Named loss terms and other scalars (e.g. gradNorm). */
  [term: string]: number;
}

/** Zero-padded step for file names: step-0000500. */
export function stepName(step: number): string {
  return `step-${String(step).padStart(7, '0')}`;
}

/**
 * Checks a run name: one folder name inside the runs folder. Empty names, '.', '..', absolute paths
 * and names with path separators are errors (a name must not write outside --out or into it).
 */
export function checkRunName(name: unknown, what = 'run name'): string {
  if (typeof name !== 'string' || name.trim() === '') throw new Error(`${what} must be a non-empty folder name, got ${JSON.stringify(name)}`);
  if (name === '.' || name === '..' || /[\\/\0]/.test(name) || isAbsolute(name)) {
    throw new Error(`${what} ${JSON.stringify(name)} is not a plain folder name: it must not be '.', '..', absolute or contain '/' or '\\' (runs stay inside the runs folder)`);
  }
  if (name.length > 200) throw new Error(`${what} is ${name.length} characters long; use at most 200`);
  return name;
}

/** Paths and file helpers of one run folder. */
export class RunDir {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = resolve(dir);
  }
  /** runs/<name> under a root folder. */
  static at(root: string, name: string): RunDir {
    checkRunName(name);
    const dir = resolve(root, name);
    const rel = relative(resolve(root), dir);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.includes(sep)) throw new Error(`run name ${JSON.stringify(name)} resolves outside the runs folder ${resolve(root)}`);
    return new RunDir(dir);
  }
  get name(): string {
    return this.dir.split(/[\\/]/).pop() ?? this.dir;
  }
  get configPath(): string {
    return join(this.dir, 'config.json');
  }
  get metricsPath(): string {
    return join(this.dir, 'metrics.jsonl');
  }
  get checkpointsDir(): string {
    return join(this.dir, 'checkpoints');
  }
  get samplesDir(): string {
    return join(this.dir, 'samples');
  }
  get lossCurvePath(): string {
    return join(this.dir, 'loss.png');
  }
  checkpointPath(step: number): string {
    return join(this.checkpointsDir, `${stepName(step)}.safetensors`);
  }
  samplePath(step: number, suffix = ''): string {
    return join(this.samplesDir, `${stepName(step)}${suffix}.png`);
  }
  exists(): boolean {
    return existsSync(this.configPath);
  }
  /** Creates the folders. */
  create(): void {
    mkdirSync(this.checkpointsDir, { recursive: true });
    mkdirSync(this.samplesDir, { recursive: true });
  }
  writeConfig(config: RunConfig): void {
    writeFileAtomic(this.configPath, Buffer.from(`${JSON.stringify(config, null, 2)}\n`));
  }
  readConfig(): RunConfig {
    if (!this.exists()) throw new Error(`${this.dir} is not a genlab run (no config.json)`);
    let c: RunConfig;
    try {
      c = JSON.parse(readFileSync(this.configPath, 'utf8')) as RunConfig;
    } catch (e) {
      throw new Error(`${this.configPath}: not valid JSON (${(e as Error).message}); the run's config is damaged`);
    }
    const bad = (what: string): Error => new Error(`${this.configPath}: not a genlab run config (${what})`);
    if (!c || typeof c !== 'object' || Array.isArray(c)) throw bad(`it holds ${Array.isArray(c) ? 'an array' : String(c)}`);
    if (typeof c.model !== 'string') throw bad(`'model' is ${JSON.stringify(c.model)}, expected a model family name`);
    if (!c.data || typeof c.data !== 'object' || typeof c.data.name !== 'string') throw bad(`'data' is ${JSON.stringify(c.data)}, expected { name, kind, shape, ... }`);
    if (!c.train || typeof c.train !== 'object') throw bad(`'train' is ${JSON.stringify(c.train)}, expected the training settings`);
    if (c.modelConfig !== undefined && (typeof c.modelConfig !== 'object' || c.modelConfig === null)) throw bad(`'modelConfig' is ${JSON.stringify(c.modelConfig)}`);
    return c;
  }
  appendMetrics(rec: MetricsRecord): void {
    appendFileSync(this.metricsPath, `${JSON.stringify(rec)}\n`);
  }
  /** Every metrics line (malformed lines, e.g. a half-written last one, are skipped). */
  readMetrics(): MetricsRecord[] {
    if (!existsSync(this.metricsPath)) return [];
    const out: MetricsRecord[] = [];
    for (const line of readFileSync(this.metricsPath, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as MetricsRecord);
      } catch {
        /* a torn last line */
      }
    }
    return out;
  }
  /** Drops metrics lines after a step (when resuming from an earlier checkpoint). */
  truncateMetrics(afterStep: number): void {
    const keep = this.readMetrics().filter((r) => r.step <= afterStep);
    writeFileAtomic(this.metricsPath, Buffer.from(keep.map((r) => `${JSON.stringify(r)}\n`).join('')));
  }
  /** Checkpoint steps on disk, ascending. */
  checkpointSteps(): number[] {
    if (!existsSync(this.checkpointsDir)) return [];
    return readdirSync(this.checkpointsDir)
      .map((f) => /^step-(\d+)\.safetensors$/.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  }
  /** The newest checkpoint's path, or null. */
  latestCheckpoint(): string | null {
    const s = this.checkpointSteps();
    return s.length ? this.checkpointPath(s[s.length - 1]!) : null;
  }
  /**
   * The newest checkpoint that reads back intact (its safetensors header parses and its data is all
   * there), or null. Damaged newer ones (a truncated file after a full disk, a torn copy) are skipped
   * with a warning naming the file and what is wrong.
   */
  latestIntactCheckpoint(warn: (message: string) => void = (m) => process.stderr.write(`warning: ${m}\n`)): string | null {
    const steps = this.checkpointSteps();
    for (let i = steps.length - 1; i >= 0; i--) {
      const path = this.checkpointPath(steps[i]!);
      const why = checkpointProblem(path);
      if (!why) return path;
      warn(`skipping damaged checkpoint ${path}: ${why}${i > 0 ? '; falling back to an older one' : ''}`);
    }
    return null;
  }
  /** Deletes all but the newest `keep` checkpoints (keep 0 = keep all). */
  pruneCheckpoints(keep: number): void {
    if (keep <= 0) return;
    const s = this.checkpointSteps();
    for (const step of s.slice(0, Math.max(0, s.length - keep))) rmSync(this.checkpointPath(step), { force: true });
  }
}

/** Why a checkpoint file cannot be used (truncated, not safetensors, not a genlab checkpoint), or null. */
export function checkpointProblem(path: string): string | null {
  try {
    const h = readSafetensorsHeader(path);
    if (h.metadata?.['genlab.kind'] !== 'checkpoint') return 'not a genlab checkpoint (no genlab.kind=checkpoint metadata)';
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}
