/**
 * A small, strict flag parser for genlab's commands. Every command declares its flags; an unknown
 * flag or a bad value is a one-line error that lists what is allowed.
 */
export type FlagType = 'string' | 'int' | 'float' | 'bool';

export interface FlagSpec {
  type: FlagType;
  help: string;
  default?: string | number | boolean;
  /** Allowed values for a string flag. */
  choices?: readonly string[];
  alias?: string;
}

export type FlagSpecs = Record<string, FlagSpec>;
export type ParsedFlags = Record<string, string | number | boolean | undefined>;

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseArgs(argv: string[], specs: FlagSpecs): { flags: ParsedFlags; positional: string[] } {
  const flags: ParsedFlags = {};
  const positional: string[] = [];
  const byAlias = new Map<string, string>();
  for (const [name, s] of Object.entries(specs)) if (s.alias) byAlias.set(s.alias, name);
  for (const [name, s] of Object.entries(specs)) if (s.default !== undefined) flags[name] = s.default;
  const given = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-' || /^-\d/.test(a)) {
      positional.push(a);
      continue;
    }
    let key = a.replace(/^--?/, '');
    let value: string | undefined;
    const eq = key.indexOf('=');
    if (eq >= 0) {
      value = key.slice(eq + 1);
      key = key.slice(0, eq);
    }
    let negated = false;
    if (!(key in specs) && !byAlias.has(key) && key.startsWith('no-') && specs[key.slice(3)]?.type === 'bool') {
      key = key.slice(3);
      negated = true;
    }
    const name = specs[key] ? key : byAlias.get(key);
    if (!name) {
      const allowed = Object.keys(specs).map((k) => `--${k}`).join(', ');
      throw new UsageError(`unknown flag ${a}; allowed: ${allowed || '(none)'}`);
    }
    const spec = specs[name]!;
    if (spec.type === 'bool') {
      if (value === undefined) flags[name] = !negated;
      else if (value === 'true' || value === '1') flags[name] = true;
      else if (value === 'false' || value === '0') flags[name] = false;
      else throw new UsageError(`--${name} takes true or false, got '${value}'`);
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value (${spec.type})`);
    }
    const v = convert(name, spec, value);
    if (given.has(name)) {
      // key=value lists (--config a=1 --config b=2) accumulate; any other repeated value is ambiguous
      if (name === 'config') flags[name] = `${flags[name]},${v}`;
      else throw new UsageError(`--${name} was given twice ('${flags[name]}' and '${v}'); give it once`);
    } else flags[name] = v;
    given.add(name);
  }
  return { flags, positional };
}

function convert(name: string, spec: FlagSpec, value: string): string | number {
  if (spec.type === 'int') {
    if (!/^[-+]?\d+$/.test(value.trim())) throw new UsageError(`--${name} takes an integer, got '${value}'`);
    const v = Number(value);
    if (!Number.isSafeInteger(v)) throw new UsageError(`--${name} takes an integer of at most 2^53 - 1 in size, got '${value}'`);
    return v;
  }
  if (spec.type === 'float') {
    const v = Number(value);
    if (value.trim() === '' || !Number.isFinite(v)) throw new UsageError(`--${name} takes a number, got '${value}'`);
    return v;
  }
  if (spec.choices && !spec.choices.includes(value)) {
    throw new UsageError(`--${name} must be one of ${spec.choices.join(', ')}; got '${value}'`);
  }
  return value;
}

export function formatFlags(specs: FlagSpecs): string {
  const rows = Object.entries(specs).map(([name, s]) => {
    const left = `  --${name}${s.alias ? `, -${s.alias}` : ''}${s.type === 'bool' ? '' : ` <${s.choices ? s.choices.join('|') : s.type}>`}`;
    const def = s.default !== undefined ? ` (default: ${s.default})` : '';
    return `${left.padEnd(34)} ${s.help}${def}`;
  });
  return rows.join('\n');
}
