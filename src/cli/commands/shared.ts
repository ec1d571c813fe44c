/** Helpers shared by the list/train/sample/eval/demo commands. */
import { UsageError, type FlagSpecs, type ParsedFlags } from '../args.ts';
import { openRun, type OpenedRun } from '../../train/index.ts';

/**
 * Parses repeated `--config key=value` entries (comma-separated or given several times; the args
 * parser keeps the last occurrence, so the train command collects them from argv itself).
 */
export function parseKeyValues(entries: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of entries) {
    for (const part of splitTopLevel(e)) {
      const eq = part.indexOf('=');
      if (eq <= 0) throw new UsageError(`--config takes key=value, got '${part}'`);
      out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
    }
  }
  return out;
}

/** Splits on commas outside brackets, so `betas=[0.9,0.99],lr=1` gives two parts. */
function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '[' || ch === '{') depth++;
    if (ch === ']' || ch === '}') depth--;
    if (ch === ',' && depth === 0) {
      if (cur.trim()) parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) parts.push(cur);
  return parts;
}

/** Every value of a repeated flag in argv (`--config a=1 --config=b=2`). */
export function collectRepeated(argv: string[], flag: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === `--${flag}` && i + 1 < argv.length) out.push(argv[++i]!);
    else if (a.startsWith(`--${flag}=`)) out.push(a.slice(flag.length + 3));
  }
  return out;
}

/** Formats a number for tables. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return x.toExponential(4);
  return x.toFixed(4);
}

/** The flags that pick a run's weights, shared by `sample` and `eval`. */
export const RUN_FLAGS: FlagSpecs = {
  root: { type: 'string', default: 'runs', help: 'folder of runs (when <run> is a name)' },
  checkpoint: { type: 'string', help: 'checkpoint file (default: the newest)' },
  'no-ema': { type: 'bool', help: 'use the raw weights even when the run has EMA weights' },
};

/** Opens the run named by the first positional argument with RUN_FLAGS; `command` names it in the error. */
export function openRunFromArgs(command: string, positional: string[], flags: ParsedFlags): OpenedRun {
  const name = positional[0];
  if (!name) throw new UsageError(`give the run: genlab ${command} <run-folder-or-name>`);
  if (String(flags.root).trim() === '') throw new UsageError(`--root must name a folder, got ''`);
  return openRun(name, { root: flags.root as string, checkpoint: flags.checkpoint as string | undefined, ema: !flags['no-ema'] });
}
