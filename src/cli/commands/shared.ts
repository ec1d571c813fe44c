/** Helpers shared by the list/train/sample/eval/demo commands. */
import { UsageError } from '../args.ts';

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
