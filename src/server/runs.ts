/**
 * The dashboard's view of a runs folder: every run folder (one with config.json) and what it holds,
 * kept up to date by watching the files (fs.watch, with a slow stat poll as a safety net) and reading
 * only what was appended to each metrics.jsonl (JsonlTail). Runs written by another process show up the
 * same way as runs trained by the server. Changes are emitted as events for the SSE stream.
 */
import { EventEmitter } from 'node:events';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { RunConfig } from '../train/run.ts';
import { JsonlTail, lastRecords, parseMetricsLine, type MetricsRow } from './tail.ts';

export type RunStatus = 'running' | 'finished' | 'failed' | 'nan' | 'interrupted' | 'invalid';

/** One row of the run list. */
export interface RunSummary {
  name: string;
  model: string | null;
  data: string | null;
  step: number;
  totalSteps: number | null;
  loss: number | null;
  status: RunStatus;
  /** ms since epoch of the newest write seen. */
  updatedAt: number;
  createdAt: string | null;
  samples: number;
  checkpoints: number;
  warnings: number;
}

/** A step's sample pictures (file names relative to the run folder). */
export interface SampleStep {
  step: number;
  image?: string;
  density?: string;
}

export interface RunDetail {
  summary: RunSummary;
  config: RunConfig | null;
  configError?: string;
  samples: SampleStep[];
  /** Other pictures in samples/ (dashboard or CLI `sample` output, trajectories). */
  extraPictures: string[];
  checkpoints: { step: number; file: string; bytes: number }[];
  evals: Record<string, unknown>[];
  warnings: string[];
}

/** Metrics as columns: `step` and every term, aligned (NaN where a row lacks a term). */
export interface MetricsColumns {
  step: number[];
  terms: Record<string, number[]>;
}

const SAMPLE_RE = /^step-(\d+)(-density)?\.png$/;
const CKPT_RE = /^step-(\d+)\.safetensors$/;
const PNG_END = Buffer.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);
const PNG_SIG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** True when a file starts with the PNG signature and ends with the IEND chunk (not half-written). */
export function isCompletePng(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return false;
  }
  try {
    const size = statSync(path).size;
    if (size < PNG_SIG.length + PNG_END.length) return false;
    const head = Buffer.alloc(8);
    const tail = Buffer.alloc(12);
    readSync(fd, head, 0, 8, 0);
    readSync(fd, tail, 0, 12, size - 12);
    return head.equals(PNG_SIG) && tail.equals(PNG_END);
  } finally {
    closeSync(fd);
  }
}

class RunState {
  config: RunConfig | null = null;
  configError?: string;
  last: MetricsRow | null = null;
  /** The record before `last` (its `time` tells how often the run logs). */
  prev: MetricsRow | null = null;
  updatedAt = 0;
  readonly tail: JsonlTail;
  /** Loaded on first request, then extended by the tail. */
  columns: MetricsColumns | null = null;
  rows = 0;
  warnings: string[] = [];
  samples: SampleStep[] = [];
  extraPictures: string[] = [];
  checkpoints: { step: number; file: string; bytes: number }[] = [];
  /** Pictures that were incomplete when last looked at: warned once each. */
  private badPng = new Set<string>();
  watchers: FSWatcher[] = [];
  pending: NodeJS.Timeout | null = null;
  lastStatus: RunStatus | null = null;

  constructor(
    readonly name: string,
    readonly dir: string,
  ) {
    this.tail = new JsonlTail(join(dir, 'metrics.jsonl'));
  }

  warn(msg: string): void {
    this.warnings.push(msg);
    if (this.warnings.length > 200) this.warnings.splice(0, this.warnings.length - 200);
  }

  readConfig(): void {
    try {
      const c = JSON.parse(readFileSync(join(this.dir, 'config.json'), 'utf8')) as RunConfig;
      if (!c || typeof c !== 'object' || typeof c.model !== 'string') throw new Error('no "model" field');
      this.config = c;
      this.configError = undefined;
    } catch (e) {
      this.configError = `config.json: ${(e as Error).message}`;
    }
  }

  /** Lists samples/ and checkpoints/; returns true when something changed. */
  scanFiles(): { changed: boolean; warnings: string[] } {
    const warnings: string[] = [];
    const before = JSON.stringify([this.samples, this.extraPictures, this.checkpoints]);
    const byStep = new Map<number, SampleStep>();
    const extra: string[] = [];
    const sdir = join(this.dir, 'samples');
    for (const f of safeList(sdir)) {
      if (f.startsWith('.') || !f.endsWith('.png')) continue;
      const path = join(sdir, f);
      if (!isCompletePng(path)) {
        if (!this.badPng.has(f)) {
          this.badPng.add(f);
          warnings.push(`samples/${f}: not a complete PNG (half-written?); skipped`);
        }
        continue;
      }
      this.badPng.delete(f);
      const m = SAMPLE_RE.exec(f);
      if (!m) {
        extra.push(`samples/${f}`);
        continue;
      }
      const step = Number(m[1]);
      const s = byStep.get(step) ?? { step };
      if (m[2]) s.density = `samples/${f}`;
      else s.image = `samples/${f}`;
      byStep.set(step, s);
    }
    this.samples = [...byStep.values()].sort((a, b) => a.step - b.step);
    this.extraPictures = extra.sort();
    const cdir = join(this.dir, 'checkpoints');
    const ckpts: { step: number; file: string; bytes: number }[] = [];
    for (const f of safeList(cdir)) {
      const m = CKPT_RE.exec(f);
      if (!m) continue;
      try {
        ckpts.push({ step: Number(m[1]), file: `checkpoints/${f}`, bytes: statSync(join(cdir, f)).size });
      } catch {
        /* pruned meanwhile */
      }
    }
    this.checkpoints = ckpts.sort((a, b) => a.step - b.step);
    for (const w of warnings) this.warn(w);
    return { changed: before !== JSON.stringify([this.samples, this.extraPictures, this.checkpoints]), warnings };
  }

  newestMtime(): number {
    let t = 0;
    for (const p of [this.dir, join(this.dir, 'metrics.jsonl'), join(this.dir, 'samples'), join(this.dir, 'checkpoints')]) {
      try {
        t = Math.max(t, statSync(p).mtimeMs);
      } catch {
        /* missing */
      }
    }
    return t;
  }

  appendColumns(rows: MetricsRow[]): void {
    const c = this.columns;
    if (!c) return;
    for (const r of rows) {
      const i = c.step.length;
      c.step.push(r.step);
      for (const [k, v] of Object.entries(r)) {
        if (k === 'step') continue;
        let col = c.terms[k];
        if (!col) {
          col = c.terms[k] = new Array<number>(i).fill(NaN);
        }
        col.push(v);
      }
      for (const col of Object.values(c.terms)) if (col.length < i + 1) col.push(NaN);
    }
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

export interface RunIndexOptions {
  /** A run with no write for this long, unfinished, is not 'running' any more (default 60 s). */
  staleMs?: number;
  /** Stat poll interval, the safety net under fs.watch (default 1000 ms). */
  pollMs?: number;
  /** Runs known to be training right now (e.g. the playground's), whatever their files say. */
  isActive?: (name: string) => boolean;
}

/**
 * Events: 'summary' (RunSummary) when a run's row changes; 'metrics' ({ run, rows }) for appended
 * records; 'reset' ({ run }) when a metrics file was replaced; 'files' ({ run }) when pictures or
 * checkpoints changed; 'warning' ({ run, message }); 'removed' ({ run }).
 */
export class RunIndex extends EventEmitter {
  readonly root: string;
  private runs = new Map<string, RunState>();
  private rootWatcher: FSWatcher | null = null;
  private poller: NodeJS.Timeout | null = null;
  private readonly staleMs: number;
  private readonly pollMs: number;
  private readonly isActive: (name: string) => boolean;

  constructor(root: string, options: RunIndexOptions = {}) {
    super();
    this.root = root;
    this.staleMs = options.staleMs ?? 60_000;
    this.pollMs = options.pollMs ?? 1000;
    this.isActive = options.isActive ?? (() => false);
  }

  start(): void {
    this.scanRoot();
    try {
      this.rootWatcher = watch(this.root, () => this.scheduleRootScan());
      this.rootWatcher.on('error', () => undefined);
    } catch {
      /* the poll covers it */
    }
    this.poller = setInterval(() => this.pollAll(), this.pollMs);
    this.poller.unref();
  }

  stop(): void {
    this.rootWatcher?.close();
    if (this.poller) clearInterval(this.poller);
    for (const r of this.runs.values()) this.dropWatchers(r);
    this.runs.clear();
  }

  private rootScanTimer: NodeJS.Timeout | null = null;
  private scheduleRootScan(): void {
    if (this.rootScanTimer) return;
    this.rootScanTimer = setTimeout(() => {
      this.rootScanTimer = null;
      try {
        this.scanRoot();
      } catch {
        /* the next poll tries again */
      }
    }, 50);
  }

  /** Finds new and removed run folders. */
  scanRoot(): void {
    const seen = new Set<string>();
    for (const name of safeList(this.root)) {
      if (name.startsWith('.')) continue;
      const dir = join(this.root, name);
      if (!existsSync(join(dir, 'config.json'))) continue;
      seen.add(name);
      if (!this.runs.has(name)) this.addRun(name, dir);
    }
    for (const [name, r] of this.runs) {
      if (!seen.has(name)) {
        this.dropWatchers(r);
        this.runs.delete(name);
        this.emit('removed', { run: name });
      }
    }
  }

  private addRun(name: string, dir: string): void {
    const r = new RunState(name, dir);
    r.readConfig();
    const [a, b] = lastRecords(r.tail.path, 2);
    r.prev = b ? a! : null;
    r.last = b ?? a ?? null;
    r.tail.seekEnd();
    r.scanFiles();
    r.updatedAt = r.newestMtime();
    this.runs.set(name, r);
    this.attachWatchers(r);
    this.emit('summary', this.summaryOf(r));
  }

  private attachWatchers(r: RunState): void {
    for (const d of [r.dir, join(r.dir, 'samples'), join(r.dir, 'checkpoints')]) {
      try {
        const w = watch(d, () => this.schedule(r));
        w.on('error', () => undefined);
        r.watchers.push(w);
      } catch {
        /* folder not there yet: the poll notices when it appears */
      }
    }
  }

  private dropWatchers(r: RunState): void {
    for (const w of r.watchers) w.close();
    r.watchers = [];
    if (r.pending) clearTimeout(r.pending);
  }

  /** Coalesces bursts of file events into one refresh per run (a few ms later). */
  private schedule(r: RunState): void {
    if (r.pending) return;
    r.pending = setTimeout(() => {
      r.pending = null;
      this.safeRefresh(r, true);
    }, 15);
  }

  private pollAll(): void {
    for (const r of this.runs.values()) {
      if (r.watchers.length < 3) {
        this.dropWatchers(r);
        this.attachWatchers(r);
      }
      this.safeRefresh(r, false);
    }
  }

  /** A refresh whose unexpected failure (a file vanishing mid-read, say) becomes a warning, never a crash. */
  private safeRefresh(r: RunState, fromWatch: boolean): void {
    try {
      this.refresh(r, fromWatch);
    } catch (e) {
      const message = `could not read the run: ${(e as Error)?.message ?? String(e)}`;
      r.warn(message);
      this.emit('warning', { run: r.name, message });
    }
  }

  /** Reads appended metrics, rescans pictures; emits what changed. */
  private refresh(r: RunState, fromWatch: boolean): void {
    if (!this.runs.has(r.name)) return;
    if (!existsSync(join(r.dir, 'config.json'))) {
      this.scanRoot();
      return;
    }
    let changed = false;
    const p = r.tail.poll();
    if (p.reset) {
      r.columns = null;
      r.rows = 0;
      r.last = null;
      this.emit('reset', { run: r.name });
      changed = true;
    }
    for (const w of p.warnings) {
      r.warn(w);
      this.emit('warning', { run: r.name, message: w });
    }
    if (p.rows.length) {
      r.prev = p.rows.length > 1 ? p.rows[p.rows.length - 2]! : r.last;
      r.last = p.rows[p.rows.length - 1]!;
      r.appendColumns(p.rows);
      this.emit('metrics', { run: r.name, rows: p.rows });
      changed = true;
    }
    if (!r.config) r.readConfig();
    const files = r.scanFiles();
    for (const w of files.warnings) this.emit('warning', { run: r.name, message: w });
    if (files.changed) this.emit('files', { run: r.name });
    const mtime = r.newestMtime();
    if (mtime > r.updatedAt || changed || files.changed) {
      r.updatedAt = Math.max(mtime, fromWatch ? Date.now() : 0, r.updatedAt);
      changed = true;
    }
    const status = this.statusOf(r);
    if (changed || files.changed || status !== r.lastStatus) this.emit('summary', this.summaryOf(r));
  }

  private statusOf(r: RunState): RunStatus {
    if (!r.config) return 'invalid';
    const last = r.last;
    const total = r.config.train?.steps ?? Infinity;
    if (last && (last.nonFinite || !Number.isFinite(last.loss ?? 0))) return 'nan';
    if (last && last.step >= total) return 'finished';
    if (this.isActive(r.name)) return 'running';
    // A stopped trainer (Ctrl-C, the playground's stop) saves a checkpoint at whatever step it reached;
    // periodic checkpoints fall on multiples of ckptEvery (and are followed by more log lines).
    const newest = r.checkpoints[r.checkpoints.length - 1];
    const every = Number(r.config.train?.ckptEvery ?? 0);
    const offSchedule = newest !== undefined && !(every > 0 && newest.step % every === 0);
    if (newest && offSchedule && newest.step >= (last?.step ?? 0)) return 'interrupted';
    // A run that logs every few minutes is still running between its lines: allow 3 log intervals.
    const interval = last && r.prev && Number.isFinite(last.time) && Number.isFinite(r.prev.time) ? (last.time! - r.prev.time!) * 1000 : 0;
    if (Date.now() - r.updatedAt < Math.max(this.staleMs, 3 * interval)) return 'running';
    if (newest && newest.step >= (last?.step ?? 0)) return 'interrupted';
    return 'failed';
  }

  private summaryOf(r: RunState): RunSummary {
    const status = this.statusOf(r);
    r.lastStatus = status;
    const loss = r.last?.loss;
    return {
      name: r.name,
      model: r.config?.model ?? null,
      data: r.config?.data?.name ?? null,
      step: r.last?.step ?? 0,
      totalSteps: r.config?.train?.steps ?? null,
      loss: loss === undefined || !Number.isFinite(loss) ? (loss === undefined ? null : NaN) : loss,
      status,
      updatedAt: r.updatedAt,
      createdAt: r.config?.createdAt ?? null,
      samples: r.samples.length,
      checkpoints: r.checkpoints.length,
      warnings: r.warnings.length,
    };
  }

  names(): string[] {
    return [...this.runs.keys()].sort();
  }

  has(name: string): boolean {
    return this.runs.has(name);
  }

  summaries(): RunSummary[] {
    return this.names().map((n) => this.summaryOf(this.runs.get(n)!));
  }

  summary(name: string): RunSummary | null {
    const r = this.runs.get(name);
    return r ? this.summaryOf(r) : null;
  }

  /** Re-reads a run now (after the server changed it). */
  touch(name: string): void {
    const r = this.runs.get(name);
    if (r) this.refresh(r, true);
    else this.scanRoot();
  }

  detail(name: string): RunDetail | null {
    const r = this.runs.get(name);
    if (!r) return null;
    return {
      summary: this.summaryOf(r),
      config: r.config,
      ...(r.configError ? { configError: r.configError } : {}),
      samples: r.samples,
      extraPictures: r.extraPictures,
      checkpoints: r.checkpoints,
      evals: readEvals(join(r.dir, 'eval.jsonl')),
      warnings: r.warnings,
    };
  }

  /**
   * Every metrics record of a run as columns. The first call reads the file once up to the tail's
   * offset; later records arrive through the tail, so the file is never read twice.
   */
  metrics(name: string): MetricsColumns | null {
    const r = this.runs.get(name);
    if (!r) return null;
    if (!r.columns) {
      r.columns = { step: [], terms: {} };
      const upTo = r.tail.offset;
      const rows: MetricsRow[] = [];
      if (upTo > 0) {
        let fd: number | null = null;
        try {
          fd = openSync(r.tail.path, 'r');
          const buf = Buffer.allocUnsafe(upTo);
          let got = 0;
          while (got < upTo) {
            const n = readSync(fd, buf, got, upTo - got, got);
            if (n === 0) break;
            got += n;
          }
          let start = 0;
          const text = buf.subarray(0, got);
          for (;;) {
            const nl = text.indexOf(10, start);
            if (nl === -1) break;
            const line = text.subarray(start, nl).toString('utf8').trim();
            if (line) {
              const row = parseMetricsLine(line);
              if (typeof row === 'string') r.warn(`metrics.jsonl: skipped the line at byte ${start}: ${row}`);
              else rows.push(row);
            }
            start = nl + 1;
          }
        } catch {
          /* vanished: empty */
        } finally {
          if (fd !== null) closeSync(fd);
        }
      }
      r.appendColumns(rows);
    }
    return r.columns;
  }

  dirOf(name: string): string | null {
    return this.runs.get(name)?.dir ?? null;
  }
}

/** eval.jsonl: one evaluation result per line (written by the dashboard's eval action). */
function readEvals(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) return [];
  const out: Record<string, unknown>[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const v = JSON.parse(line) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) out.push(v as Record<string, unknown>);
    } catch {
      /* skipped */
    }
  }
  return out;
}
