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
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../io/atomic.ts';
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

/** Paths and file helpers of one run folder. */
export class RunDir {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = resolve(dir);
  }
  /** runs/<name> under a root folder. */
  static at(root: string, name: string): RunDir {
    return new RunDir(join(root, name));
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
    const c = JSON.parse(readFileSync(this.configPath, 'utf8')) as RunConfig;
    if (!c || typeof c.model !== 'string' || !c.data || !c.train) throw new Error(`${this.configPath}: not a genlab run config`);
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
  /** Deletes all but the newest `keep` checkpoints (keep 0 = keep all). */
  pruneCheckpoints(keep: number): void {
    if (keep <= 0) return;
    const s = this.checkpointSteps();
    for (const step of s.slice(0, Math.max(0, s.length - keep))) rmSync(this.checkpointPath(step), { force: true });
  }
}
