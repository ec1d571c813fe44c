/**
 * torch.profiler: per-operator CPU time of a piece of code, as torch.autograd.profiler's key_averages()
 * shows it. Every ATen operator and autograd node (backward functions such as `ConvolutionBackward0`)
 * run on this thread inside `profile(fn)` is timed by libtorch's RecordFunction observers
 * (native/src/profiler.cc) and aggregated by name, or by name and input shapes with `recordShapes`.
 *
 * ```ts
 * const prof = torch.profiler.profile(() => step(), { recordShapes: true });
 * console.log(prof.table({ sortBy: 'selfUs', rowLimit: 20 }));
 * ```
 *
 * Self time is an operator's time minus the operators it called. `wallUs - opUs` is the time spent
 * outside any operator: JavaScript, the binding, scopes. Timings include the observer's own cost (well
 * under a microsecond per operator), so compare them with PyTorch's profiler, which pays the same.
 */
import { N } from './native.ts';

export interface ProfileEvent {
  /** Operator (`aten::addmm`), autograd node (`AddmmBackward0`) or user range name. */
  name: string;
  /** Input shapes (`[[64, 3], [3]]`), when recorded with recordShapes; '' otherwise. */
  shapes: string;
  count: number;
  /** Time inside the operator, its callees included (µs, summed over calls). */
  totalUs: number;
  /** Time inside the operator minus its callees (µs, summed over calls). */
  selfUs: number;
}

export interface ProfileOptions {
  /** Aggregate by name and input shapes instead of by name only. */
  recordShapes?: boolean;
}

export interface TableOptions {
  sortBy?: 'selfUs' | 'totalUs' | 'count';
  /** At most this many rows (default 30). */
  rowLimit?: number;
}

export class Profile {
  constructor(
    /** Per operator (and shapes), in the order first seen. */
    readonly events: ProfileEvent[],
    /** Wall time of the profiled function (µs). */
    readonly wallUs: number,
    /** Time inside top-level operators (µs); wallUs - opUs ran outside libtorch's operators. */
    readonly opUs: number,
  ) {}

  /** Events merged by name (shapes dropped). */
  byName(): ProfileEvent[] {
    const m = new Map<string, ProfileEvent>();
    for (const e of this.events) {
      const a = m.get(e.name);
      if (a) {
        a.count += e.count;
        a.totalUs += e.totalUs;
        a.selfUs += e.selfUs;
      } else m.set(e.name, { ...e, shapes: '' });
    }
    return [...m.values()];
  }

  /** Total self time of all events (µs): the time inside operators, counted once. */
  get selfUs(): number {
    return this.events.reduce((s, e) => s + e.selfUs, 0);
  }

  /** A text table, like key_averages().table(). */
  table(options: TableOptions = {}): string {
    const sortBy = options.sortBy ?? 'selfUs';
    const limit = options.rowLimit ?? 30;
    const rows = [...this.events].sort((a, b) => b[sortBy] - a[sortBy]).slice(0, limit);
    const total = this.selfUs || 1;
    const withShapes = rows.some((r) => r.shapes !== '');
    const w = Math.max(4, ...rows.map((r) => r.name.length));
    const head = `${'name'.padEnd(w)}  ${'self %'.padStart(7)}  ${'self ms'.padStart(9)}  ${'total ms'.padStart(9)}  ${'calls'.padStart(6)}${withShapes ? '  input shapes' : ''}`;
    const lines = [head, '-'.repeat(head.length)];
    for (const r of rows) {
      lines.push(
        `${r.name.padEnd(w)}  ${((100 * r.selfUs) / total).toFixed(2).padStart(7)}  ${(r.selfUs / 1000).toFixed(3).padStart(9)}  ${(r.totalUs / 1000).toFixed(3).padStart(9)}  ${String(r.count).padStart(6)}${withShapes ? `  ${r.shapes}` : ''}`,
      );
    }
    lines.push(`self time in operators ${(this.selfUs / 1000).toFixed(3)} ms; wall ${(this.wallUs / 1000).toFixed(3)} ms, of which outside operators ${((this.wallUs - this.opUs) / 1000).toFixed(3)} ms`);
    return lines.join('\n');
  }
}

/** Runs a synchronous fn with every operator on this thread timed; returns the profile (fn's result is dropped). */
export function profile(fn: () => unknown, options: ProfileOptions = {}): Profile {
  if (typeof fn !== 'function') throw new TypeError(`torch.profiler.profile takes a function, got ${fn === null ? 'null' : typeof fn}`);
  N.profilerStart(options.recordShapes ?? false);
  let r: ReturnType<NativeProfileStop>;
  try {
    const out = fn();
    if (out instanceof Promise) throw new TypeError('torch.profiler.profile takes a synchronous function (an async one would record whatever else runs meanwhile)');
  } finally {
    r = N.profilerStop();
  }
  return new Profile(r.events, r.wallUs, r.opUs);
}

type NativeProfileStop = () => { wallUs: number; opUs: number; events: ProfileEvent[] };

/** Marks fn as a named range: inside a profile it is a row of its own, its operators counted in its total time. */
export function recordFunction<T>(name: string, fn: () => T): T {
  if (typeof name !== 'string' || name === '') throw new TypeError(`torch.profiler.recordFunction: need a non-empty name, got ${String(name)}`);
  N.profilerRangePush(name);
  try {
    return fn();
  } finally {
    N.profilerRangePop();
  }
}

export const profiler = { profile, recordFunction, Profile };
