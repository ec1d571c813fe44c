/**
 * Following a growing JSON-lines file (a run's metrics.jsonl) by byte offset: each `poll()` reads only
 * what was appended since the last one, keeps a torn last line until its newline arrives, and starts
 * over when the file was replaced (a new inode: resume rewrites metrics.jsonl atomically) or shrank.
 * Malformed lines are skipped and reported as warnings naming the byte offset, never thrown.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';

/** One metrics record as the dashboard sees it: `step` and named numbers (null in JSON means NaN/inf). */
export type MetricsRow = Record<string, number>;

export interface PollResult {
  rows: MetricsRow[];
  warnings: string[];
  /** True when the file was replaced or truncated: everything seen before is void. */
  reset: boolean;
}

/** A line longer than this without a newline is dropped (with a warning) instead of buffered. */
export const MAX_LINE_BYTES = 1 << 20;
/** At most this much is read per poll (a huge append is taken in several polls). */
const MAX_READ = 8 << 20;

/**
 * Parses one metrics line. Returns the row, or a reason it is not one: it must be a JSON object with a
 * finite numeric `step`; other fields must be numbers or null (written for NaN/inf); other types are dropped.
 */
export function parseMetricsLine(line: string): MetricsRow | string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    return `not JSON (${(e as Error).message.slice(0, 60)})`;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'not a JSON object';
  const o = v as Record<string, unknown>;
  if (typeof o.step !== 'number' || !Number.isFinite(o.step)) return `no numeric 'step' (got ${JSON.stringify(o.step)?.slice(0, 30)})`;
  const row: MetricsRow = { step: o.step };
  for (const [k, x] of Object.entries(o)) {
    if (k === 'step') continue;
    if (typeof x === 'number') row[k] = x;
    else if (x === null) row[k] = NaN;
  }
  return row;
}

function preview(s: string): string {
  const t = s.replace(/[^\x20-\x7e]/g, '?');
  return t.length > 60 ? `${t.slice(0, 60)}…` : t;
}

export class JsonlTail {
  /** Bytes consumed (complete lines and the buffered torn line). */
  offset = 0;
  private ino = -1;
  private partial: Buffer[] = [];
  private partialBytes = 0;
  /** Dropping an over-long line until its newline. */
  private skipping = false;

  constructor(
    readonly path: string,
    private readonly label = 'metrics.jsonl',
  ) {}

  /** Starts following at the current end of the file (nothing before it is reported). */
  seekEnd(): void {
    try {
      const st = statSync(this.path);
      this.ino = st.ino;
      this.offset = st.size;
    } catch {
      this.offset = 0;
    }
    this.partial = [];
    this.partialBytes = 0;
  }

  /** Reads what was appended since the last poll. */
  poll(): PollResult {
    const out: PollResult = { rows: [], warnings: [], reset: false };
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch {
      if (this.offset > 0) this.restart(out);
      return out;
    }
    try {
      const st = fstatSync(fd);
      if ((this.ino !== -1 && st.ino !== this.ino) || st.size < this.offset) this.restart(out);
      this.ino = st.ino;
      const end = Math.min(st.size, this.offset + MAX_READ);
      if (end <= this.offset) return out;
      const buf = Buffer.allocUnsafe(end - this.offset);
      let got = 0;
      while (got < buf.length) {
        const n = readSync(fd, buf, got, buf.length - got, this.offset + got);
        if (n === 0) break;
        got += n;
      }
      this.consume(buf.subarray(0, got), out);
    } finally {
      closeSync(fd);
    }
    return out;
  }

  private restart(out: PollResult): void {
    out.reset = true;
    this.offset = 0;
    this.partial = [];
    this.partialBytes = 0;
    this.skipping = false;
  }

  private consume(chunk: Buffer, out: PollResult): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) break;
      const piece = chunk.subarray(start, nl);
      const whole = this.partialBytes > 0 ? Buffer.concat([...this.partial, piece]) : piece;
      const lineAt = this.partialBytes > 0 ? this.offset - this.partialBytes : this.offset + start;
      this.partial = [];
      this.partialBytes = 0;
      if (this.skipping) {
        this.skipping = false;
      } else {
        const text = whole.toString('utf8').trim();
        if (text) {
          const r = parseMetricsLine(text);
          if (typeof r === 'string') out.warnings.push(`${this.label}: skipped the line at byte ${lineAt}: ${r}: ${preview(text)}`);
          else out.rows.push(r);
        }
      }
      start = nl + 1;
    }
    const rest = chunk.subarray(start);
    const consumedBefore = this.offset;
    if (rest.length > 0 && !this.skipping) {
      if (this.partialBytes + rest.length > MAX_LINE_BYTES) {
        out.warnings.push(`${this.label}: skipped a line longer than ${MAX_LINE_BYTES} bytes at byte ${consumedBefore + start - this.partialBytes}`);
        this.partial = [];
        this.partialBytes = 0;
        this.skipping = true;
      } else {
        this.partial.push(Buffer.from(rest));
        this.partialBytes += rest.length;
      }
    }
    this.offset = consumedBefore + chunk.length;
  }
}

/**
 * The last complete, well-formed record of a JSON-lines file, reading only its tail (up to 64 KiB
 * back), for run summaries without reading whole files.
 */
export function lastRecord(path: string, window = 64 * 1024): MetricsRow | null {
  return lastRecords(path, 1, window)[0] ?? null;
}

/** The last `n` well-formed records (oldest first), reading only the file's tail. */
export function lastRecords(path: string, n: number, window = 64 * 1024): MetricsRow[] {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return [];
  }
  const out: MetricsRow[] = [];
  try {
    const size = fstatSync(fd).size;
    const from = Math.max(0, size - window);
    const buf = Buffer.allocUnsafe(size - from);
    readSync(fd, buf, 0, buf.length, from);
    const lines = buf.toString('utf8').split('\n');
    if (!buf.toString('utf8').endsWith('\n')) lines.pop(); // a torn last line
    for (let i = lines.length - 1; i >= (from > 0 ? 1 : 0); i--) {
      const t = lines[i]!.trim();
      if (!t) continue;
      const r = parseMetricsLine(t);
      if (typeof r !== 'string') out.push(r);
      if (out.length >= n) break;
    }
    return out.reverse();
  } finally {
    closeSync(fd);
  }
}
