/**
 * A progress bar for long CLI jobs, written to stderr: step/total, loss, it/s and ETA.
 *
 * On a TTY it redraws one line with `\r` (at most ~10 times a second); elsewhere (CI, pipes, tests)
 * it prints a plain line every `plainEvery` updates so that logs stay readable.
 */
export interface ProgressOptions {
  /** Total number of steps (the bar's 100%). */
  total: number;
  /** Where to write (default: process.stderr). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Force TTY (true) or plain-line (false) mode; default: the stream's isTTY. */
  tty?: boolean;
  /** Label shown before the bar, e.g. 'train'. */
  label?: string;
  /** In plain mode, print one line every this many updates (default: about 20 lines per run). */
  plainEvery?: number;
  /** Starting step (for resumed runs, so the rate is measured from here). */
  start?: number;
  /** Clock in ms (default: performance.now); injectable for tests. */
  now?: () => number;
}

/** Formats seconds as `1h02m`, `3m05s` or `12s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** Formats a loss value compactly (4 significant digits, exponent for tiny/huge values). */
export function formatLoss(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(3);
  return x.toPrecision(4);
}

export class ProgressBar {
  readonly total: number;
  private readonly stream: NonNullable<ProgressOptions['stream']>;
  private readonly tty: boolean;
  private readonly label: string;
  private readonly plainEvery: number;
  private readonly now: () => number;
  private readonly startStep: number;
  private readonly t0: number;
  private lastDraw = -Infinity;
  private updates = 0;
  private step = 0;
  private fields: Record<string, number> = {};
  private drawn = false;

  constructor(options: ProgressOptions) {
    this.total = Math.max(1, options.total);
    this.stream = options.stream ?? process.stderr;
    this.tty = options.tty ?? Boolean(this.stream.isTTY);
    this.label = options.label ?? '';
    this.plainEvery = Math.max(1, options.plainEvery ?? Math.ceil(this.total / 20));
    this.now = options.now ?? (() => performance.now());
    this.startStep = options.start ?? 0;
    this.step = this.startStep;
    this.t0 = this.now();
  }

  /** Iterations per second since the bar started. */
  get rate(): number {
    const dt = (this.now() - this.t0) / 1000;
    return dt > 0 ? (this.step - this.startStep) / dt : 0;
  }

  /** Reports that `step` steps are done, with named values (e.g. `{ loss }`) to show. */
  update(step: number, fields: Record<string, number> = {}): void {
    this.step = step;
    this.fields = { ...this.fields, ...fields };
    this.updates++;
    if (this.tty) {
      const t = this.now();
      if (t - this.lastDraw < 100 && step < this.total) return;
      this.lastDraw = t;
      const line = this.line(true);
      const width = this.stream.columns ?? 100;
      this.stream.write(`\r${line.slice(0, width - 1).padEnd(Math.min(width - 1, line.length))}\x1b[K`);
      this.drawn = true;
    } else if (this.updates % this.plainEvery === 0 || step >= this.total) {
      this.stream.write(`${this.line(false)}\n`);
    }
  }

  /** Prints a message on its own line without garbling the bar. */
  log(message: string): void {
    if (this.tty && this.drawn) this.stream.write('\r\x1b[K');
    this.stream.write(`${message}\n`);
    if (this.tty && this.drawn) this.stream.write(this.line(true));
  }

  /** Ends the bar (a final newline on a TTY). */
  done(): void {
    if (this.tty && this.drawn) this.stream.write('\n');
    this.drawn = false;
  }

  /** The current status text: `label [####----] 120/500  loss 1.234  56.7 it/s  ETA 7s`. */
  line(withBar: boolean): string {
    const frac = Math.min(1, this.step / this.total);
    const width = 24;
    const filled = Math.round(frac * width);
    const bar = withBar ? ` [${'#'.repeat(filled)}${'-'.repeat(width - filled)}]` : '';
    const rate = this.rate;
    const eta = rate > 0 ? (this.total - this.step) / rate : NaN;
    const vals = Object.entries(this.fields)
      .map(([k, v]) => `${k} ${formatLoss(v)}`)
      .join('  ');
    const pct = `${String(Math.floor(frac * 100)).padStart(3)}%`;
    return `${this.label ? `${this.label} ` : ''}${pct}${bar} ${this.step}/${this.total}${vals ? `  ${vals}` : ''}  ${rate.toFixed(1)} it/s  ETA ${formatDuration(eta)}`;
  }
}
