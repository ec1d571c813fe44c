/**
 * Calls ATen operators from JS values: picks the overload whose schema fits the arguments (as
 * PyTorch's Python argument parser does), converts tensors to handles, and wraps results.
 * Positional arguments follow the schema; a trailing plain object names any argument (camelCase).
 */
import { N } from './native.ts';
import { Tensor } from './tensor.ts';
import { Generator } from './generator.ts';
import { isDType, DTYPE_CODE } from './dtype.ts';
import { currentContext, syncGradMode, type Context } from './scope.ts';
import type { OpSpec, OverloadSpec, ArgSpec } from './ops.generated.ts';

// Argument kinds, as numbered by scripts/gen-ops.mjs.
const K_TENSOR = 0, K_TENSOR_LIST = 1, K_OPT_TENSOR_LIST = 2, K_INT = 3, K_INT_LIST = 4, K_FLOAT = 5,
  K_FLOAT_LIST = 6, K_BOOL = 7, K_BOOL_LIST = 8, K_SCALAR = 9, K_DTYPE = 10, K_LAYOUT = 11, K_MEMFMT = 12,
  K_DEVICE = 13, K_STRING = 14, K_GENERATOR = 15, K_SCALAR_LIST = 16;
const KIND_NAMES = ['Tensor', 'Tensor[]', '(Tensor|null)[]', 'int', 'int[]', 'float', 'float[]', 'bool', 'bool[]',
  'Scalar', 'dtype', 'layout', 'memory_format', 'device', 'string', 'Generator', 'Scalar[]'];

/** An overload with its native id resolved. */
interface Resolved {
  name: string;
  args: ArgSpec[];
  ret: string;
  id: number; // -1: not in this libtorch
  positional: number; // count of non-keyword-only arguments
  byName: Map<string, number>;
  /**
   * Per argument: whether an int[] argument takes a bare int. PyTorch's rule: only when no overload
   * of the operator takes an int at that place (so `split(2)` is split.Tensor, `split([2, 2])`
   * split.sizes, whatever was called before). Filled by `resolve`.
   */
  bareInt: boolean[];
  fn?: (pos: unknown[], named: Record<string, unknown> | undefined) => unknown;
}

const resolvedCache = new WeakMap<OverloadSpec[], Resolved[]>();

export function resolve(overloads: OverloadSpec[]): Resolved[] {
  let r = resolvedCache.get(overloads);
  if (r) return r;
  const ids = N.lookupOps(overloads.map((o) => o[0]));
  const rs: Resolved[] = overloads.map(([name, args, ret], i) => ({
    name,
    args,
    ret,
    id: ids[i]!,
    positional: args.filter((a) => (a[2] & 4) === 0).length,
    byName: new Map(args.map((a, k) => [a[0], k])),
    bareInt: [],
  }));
  // An int at position i (given positionally) or named n (given by name) in any overload.
  const intAt = new Set<number>();
  const intNamed = new Set<string>();
  for (const o of rs) {
    o.args.forEach(([n, kind], i) => {
      if (kind !== K_INT) return;
      intNamed.add(n);
      if (i < o.positional) intAt.add(i);
    });
  }
  for (const o of rs) o.bareInt = o.args.map(([n, kind], i) => kind === K_INT_LIST && !intAt.has(i) && !intNamed.has(n));
  resolvedCache.set(overloads, rs);
  return rs;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

/** Integers that reach libtorch exactly (an int64 from a double beyond 2^53 would be a different number). */
const isInt = Number.isSafeInteger;

function isIntArray(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  for (const x of v) if (!isInt(x)) return false;
  return true;
}

/** Whether value v fits an argument of this kind (int[] takes a bare int only when `bareInt`). */
function fits(kind: number, flags: number, v: unknown, bareInt: boolean): boolean {
  if (v === undefined) return (flags & 3) !== 0;
  if (v === null) return (flags & 1) !== 0;
  switch (kind) {
    case K_TENSOR: return v instanceof Tensor;
    case K_TENSOR_LIST: return Array.isArray(v) && v.every((x) => x instanceof Tensor);
    case K_OPT_TENSOR_LIST: return Array.isArray(v) && v.every((x) => x === null || x === undefined || x instanceof Tensor);
    case K_INT: return isInt(v);
    case K_INT_LIST: return Array.isArray(v) ? isIntArray(v) : bareInt && isInt(v);
    case K_FLOAT: return typeof v === 'number';
    case K_FLOAT_LIST: case K_SCALAR_LIST: return Array.isArray(v) && v.every((x) => typeof x === 'number');
    case K_BOOL: return typeof v === 'boolean';
    case K_BOOL_LIST: return Array.isArray(v) && v.every((x) => typeof x === 'boolean');
    case K_SCALAR: return typeof v === 'number' || typeof v === 'boolean';
    case K_DTYPE: return isDType(v);
    case K_LAYOUT: case K_MEMFMT: case K_DEVICE: case K_STRING: return typeof v === 'string';
    case K_GENERATOR: return v instanceof Generator;
    default: return false;
  }
}

function describeValue(v: unknown): string {
  if (v instanceof Tensor) return v.isDisposed ? 'Tensor<disposed>' : `Tensor<${v.dtype}[${v.shape.join(', ')}]>`;
  if (Array.isArray(v)) return `[${v.slice(0, 6).map(describeValue).join(', ')}${v.length > 6 ? ', ...' : ''}]`;
  if (isPlainObject(v)) return `{ ${Object.entries(v).slice(0, 8).map(([k, x]) => `${k}: ${describeValue(x)}`).join(', ')} }`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'function') return `function ${v.name || '(anonymous)'}`;
  if (typeof v === 'object' && v !== null) return `${v.constructor?.name ?? 'Object'} object`;
  return String(v);
}

function signature(o: Resolved): string {
  return `${o.name}(${o.args.map(([n, k, f]) => `${f & 4 ? '*' : ''}${n}${f & 3 ? '?' : ''}: ${KIND_NAMES[k]}`).join(', ')})`;
}

/**
 * Picks the overload for these arguments: the first, in the generated order, that takes them all.
 * The choice depends only on the arguments (no per-call-site memory), as in PyTorch's parser.
 */
function choose(overloads: Resolved[], pos: unknown[], named: Record<string, unknown> | undefined): Resolved | undefined {
  const np = pos.length;
  outer: for (let j = 0; j < overloads.length; j++) {
    const o = overloads[j]!;
    if (np > o.positional) continue;
    const args = o.args;
    for (let i = 0; i < np; i++) {
      const a = args[i]!;
      if (!fits(a[1], a[2], pos[i], o.bareInt[i]!)) continue outer;
    }
    if (named !== undefined) {
      for (const k in named) {
        const i = o.byName.get(k);
        if (i === undefined || (i < np && pos[i] !== undefined)) continue outer;
        const a = args[i]!;
        if (!fits(a[1], a[2], named[k], o.bareInt[i]!)) continue outer;
      }
    }
    for (let i = np; i < args.length; i++) {
      const a = args[i]!;
      if ((a[2] & 3) === 0 && (named === undefined || named[a[0]] === undefined)) continue outer;
    }
    return o;
  }
  return undefined;
}

/** Closest name by edit distance (for "did you mean"), or undefined when nothing is close. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const lw = word.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const lc = c.toLowerCase();
    if (lc === lw) return c;
    const d = editDistance(lw, lc);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** What a value of this kind must be, for messages. */
function kindWanted(kind: number): string {
  switch (kind) {
    case K_DTYPE: return `a dtype (${Object.keys(DTYPE_CODE).join(', ')})`;
    case K_INT: return 'an integer (at most 2^53 - 1 in size)';
    case K_INT_LIST: return 'an array of integers (each at most 2^53 - 1 in size)';
    case K_FLOAT: return 'a number';
    case K_SCALAR: return 'a number or boolean';
    case K_BOOL: return 'a boolean';
    case K_DEVICE: return "a device ('cpu', 'cuda', 'cuda:N')";
    default: return `a ${KIND_NAMES[kind]}`;
  }
}

/**
 * Why no overload takes these arguments, naming the bad value: an unknown option key, a value no
 * overload takes at its place (e.g. dtype 'float128'), too many arguments, or, failing those, the
 * first mismatch of each overload.
 */
function explain(label: string, overloads: Resolved[], pos: unknown[], named: Record<string, unknown> | undefined, isMethod: boolean): string {
  const listing = `overloads:\n  ${overloads.map(signature).join('\n  ')}`;
  const given = `(${pos.slice(isMethod ? 1 : 0).map(describeValue).join(', ')}${named ? `${pos.length > (isMethod ? 1 : 0) ? ', ' : ''}${describeValue(named)}` : ''})`;
  if (named) {
    const known = new Set<string>();
    for (const o of overloads) for (const [n] of o.args) if (!(isMethod && n === 'self')) known.add(n);
    for (const k of Object.keys(named)) {
      if (known.has(k)) continue;
      const near = closest(k, known);
      return `${label}: unknown option '${k}'${near ? ` (did you mean '${near}'?)` : ''}; options: ${[...known].join(', ') || '(none)'}`;
    }
  }
  const maxPos = Math.max(...overloads.map((o) => o.positional));
  if (pos.length > maxPos) {
    const off = isMethod ? 1 : 0;
    return `${label}: takes at most ${maxPos - off} positional arguments, got ${pos.length - off} ${given}; ${listing}`;
  }
  const badValue = (name: string, v: unknown, slots: ArgSpec[]): string | undefined => {
    if (v === undefined || slots.length === 0) return undefined;
    if (slots.some((a) => fits(a[1], a[2], v, true))) return undefined;
    const kinds = [...new Set(slots.map((a) => a[1]))];
    if (kinds.includes(K_DTYPE) && typeof v === 'string') return `${label}: unknown dtype ${JSON.stringify(v)} for '${name}'; use one of ${Object.keys(DTYPE_CODE).join(', ')}`;
    return `${label}: '${name}' got ${describeValue(v)}; it takes ${kinds.map(kindWanted).join(' or ')}`;
  };
  for (let i = isMethod ? 1 : 0; i < pos.length; i++) {
    const slots = overloads.filter((o) => i < o.positional).map((o) => o.args[i]!);
    const msg = badValue([...new Set(slots.map((a) => a[0]))].join('/'), pos[i], slots);
    if (msg) return msg;
  }
  if (named) {
    for (const [k, v] of Object.entries(named)) {
      const slots = overloads.filter((o) => o.byName.has(k)).map((o) => o.args[o.byName.get(k)!]!);
      const msg = badValue(k, v, slots);
      if (msg) return msg;
    }
  }
  const reasons = overloads.map((o) => `  ${signature(o)}: ${mismatch(o, pos, named)}`);
  return `${label}: no overload takes ${given}:\n${reasons.join('\n')}`;
}

/** The first reason one overload does not take the arguments. */
function mismatch(o: Resolved, pos: unknown[], named: Record<string, unknown> | undefined): string {
  if (pos.length > o.positional) return `takes ${o.positional} positional arguments`;
  for (let i = 0; i < pos.length; i++) {
    const a = o.args[i]!;
    if (!fits(a[1], a[2], pos[i], o.bareInt[i]!)) {
      if (a[1] === K_INT_LIST && Number.isInteger(pos[i])) return `'${a[0]}' takes an array here (an int goes to another overload)`;
      return `'${a[0]}' does not take ${describeValue(pos[i])}`;
    }
  }
  if (named) {
    for (const k of Object.keys(named)) {
      const i = o.byName.get(k);
      if (i === undefined) return `no option '${k}'`;
      if (i < pos.length && pos[i] !== undefined) return `'${k}' given twice`;
      const a = o.args[i]!;
      if (!fits(a[1], a[2], named[k], o.bareInt[i]!)) return `'${k}' does not take ${describeValue(named[k])}`;
    }
  }
  for (let i = pos.length; i < o.args.length; i++) {
    const a = o.args[i]!;
    if ((a[2] & 3) === 0 && (!named || named[a[0]] === undefined)) return `missing '${a[0]}'`;
  }
  return 'fits';
}

function wrap(r: unknown, c: Context): unknown {
  return typeof r === 'number' ? new Tensor(r, c) : r === null ? null : r;
}

/**
 * Calls an operator with JS arguments. `self` is the receiver of a method call (undefined for
 * torch.<fn>(...)); `label` names the call in errors.
 */
export function dispatch(spec: OpSpec, self: Tensor | undefined, args: unknown[]): unknown {
  return callerOf(spec)(self, args);
}

const callers = new WeakMap<OpSpec, (self: Tensor | undefined, args: unknown[]) => unknown>();

/** The caller of an operator (cached per spec): dispatch(spec, ...) without the lookup. */
export function callerOf(spec: OpSpec): (self: Tensor | undefined, args: unknown[]) => unknown {
  let f = callers.get(spec);
  if (!f) {
    f = makeCaller(spec);
    callers.set(spec, f);
  }
  return f;
}

function labelOf(spec: OpSpec, self: Tensor | undefined): string {
  return spec.method && self ? `Tensor.${spec.method}` : `torch.${spec.ns === 'torch' ? '' : spec.ns + '.'}${spec.name}`;
}

/** libtorch's "no kernel for this backend" text, trimmed to what was wrong (no dispatcher dump). */
function refineError(e: unknown, label: string): unknown {
  if (!(e instanceof Error)) return e;
  const m = e.message;
  const cut = m.indexOf(' This could be because the operator doesn');
  if (cut >= 0) {
    const backend = /from the '(\w+)' backend/.exec(m)?.[1] ?? '?';
    e.message = `${m.slice(0, cut)} (${label}: this libtorch ${N.buildInfo().torchVersion} has no ${backend} kernel for it${
      /CUDA/.test(backend) && !cudaAvailable() ? '; it was built without CUDA' : ''})`;
  }
  return e;
}

let cudaCount: number | undefined;
function cudaAvailable(): boolean {
  cudaCount ??= N.cudaDeviceCount();
  return cudaCount > 0;
}

const checkedDevices = new Set<string>(['cpu']);
/** Checks a device argument before the call: a CUDA device on a libtorch without CUDA is a clear error. */
export function checkDevice(v: unknown, label: string): unknown {
  if (typeof v !== 'string' || checkedDevices.has(v)) return v;
  const m = /^cuda(?::(\d+))?$/.exec(v);
  if (m) {
    if (!cudaAvailable()) {
      throw new Error(`${label}: device ${JSON.stringify(v)} is not available: this libtorch (${N.buildInfo().torchVersion}) was built without CUDA, or no GPU is visible (torch.cuda.isAvailable() is false); use 'cpu'`);
    }
    if (m[1] !== undefined && Number(m[1]) >= cudaCount!) {
      throw new Error(`${label}: device ${JSON.stringify(v)} does not exist: ${cudaCount} CUDA device(s) visible (cuda:0..cuda:${cudaCount! - 1})`);
    }
  }
  checkedDevices.add(v);
  return v;
}

/**
 * Makes the function that calls one operator: it resolves the overloads once, then each call
 * checks the argument types against them in order and runs one compiled invoker.
 */
export function makeCaller(spec: OpSpec): (self: Tensor | undefined, args: unknown[]) => unknown {
  let overloads: Resolved[] | null = null;
  let takesRequiresGrad = false;
  return function call(self: Tensor | undefined, args: unknown[]): unknown {
    if (overloads === null) {
      overloads = resolve(spec.overloads);
      takesRequiresGrad = overloads.some((o) => o.byName.has('requiresGrad'));
    }
    let named: Record<string, unknown> | undefined;
    let n = args.length;
    if (n > 0) {
      const l = args[n - 1];
      if (typeof l === 'object' && l !== null && !(l instanceof Tensor) && !Array.isArray(l) && Object.getPrototypeOf(l) === Object.prototype) {
        named = l as Record<string, unknown>;
        n--;
      }
    }
    let pos: unknown[];
    if (self === undefined) pos = n === args.length ? args : args.slice(0, n);
    else {
      pos = new Array(n + 1);
      pos[0] = self;
      for (let i = 0; i < n; i++) pos[i + 1] = args[i];
    }
    let requiresGrad = false;
    if (named !== undefined && !takesRequiresGrad && 'requiresGrad' in named) {
      // PyTorch's factory keyword: applied to the result.
      if (typeof named.requiresGrad !== 'boolean' && named.requiresGrad !== undefined) {
        throw new TypeError(`${labelOf(spec, self)}: 'requiresGrad' takes a boolean, got ${describeValue(named.requiresGrad)}`);
      }
      requiresGrad = !!named.requiresGrad;
      named = { ...named };
      delete named.requiresGrad;
    }
    const o = choose(overloads, pos, named);
    if (!o) throw new TypeError(explain(labelOf(spec, self), overloads, pos, named, self !== undefined));
    let r: unknown;
    try {
      r = o.fn !== undefined ? o.fn(pos, named) : invoke(o, pos, named);
    } catch (e) {
      throw refineError(e, labelOf(spec, self));
    }
    if (requiresGrad && r instanceof Tensor) r.requiresGrad_(true);
    return r;
  };
}

/**
 * Builds the caller of one overload: a small function specialized to its arguments (no per-call
 * arrays, loops or switches), compiled once with `new Function`. Only this module's own values and
 * the schema's argument names (identifiers, quoted) go into the source.
 */
function compileInvoker(o: Resolved): (pos: unknown[], named: Record<string, unknown> | undefined) => unknown {
  const lines: string[] = [];
  const argNames: string[] = [];
  o.args.forEach(([name, kind], i) => {
    const v = `v${i}`;
    lines.push(`let ${v} = n > ${i} ? pos[${i}] : undefined; if (${v} === undefined && named !== undefined) ${v} = named[${JSON.stringify(name)}];`);
    if (kind === K_TENSOR) lines.push(`if (${v} != null) ${v} = ${v}._h;`);
    else if (kind === K_TENSOR_LIST || kind === K_OPT_TENSOR_LIST) lines.push(`if (${v} != null) ${v} = ${v}.map(handleOf);`);
    else if (kind === K_GENERATOR) lines.push(`if (${v} != null) ${v} = ${v}._g;`);
    else if (kind === K_DEVICE) lines.push(`if (${v} != null) checkDevice(${v}, ${JSON.stringify(o.name)});`);
    argNames.push(v);
  });
  // Trailing arguments left undefined need not be passed: the native side fills defaults.
  const call = `N.call(${o.id}${argNames.map((a) => `, ${a}`).join('')})`;
  const ret = o.ret;
  let tail: string;
  if (ret === 't') tail = `const r = ${call}; return typeof r === 'number' ? new Tensor(r, c) : null;`;
  else if (ret === 'tt' || ret === 'tl' || ret === 'x') tail = `const r = ${call}; return Array.isArray(r) ? r.map((x) => wrap(x, c)) : r;`;
  else if (ret.charCodeAt(0) === 97 /* a */) {
    const i = +ret.slice(1);
    const kind = o.args[i]?.[1];
    tail = `${call}; return ${kind === K_TENSOR ? `(n > ${i} && pos[${i}] !== undefined ? pos[${i}] : named[${JSON.stringify(o.args[i]?.[0])}])` : 'undefined'};`;
  } else tail = `return ${call};`;
  const src = `return function invoke_${o.name.replace(/\W/g, '_')}(pos, named) {\n const n = pos.length;\n ${lines.join('\n ')}\n const c = currentContext(); syncGradMode(c);\n ${tail}\n};`;
  return new Function('N', 'Tensor', 'wrap', 'handleOf', 'currentContext', 'syncGradMode', 'checkDevice', src)(
    N, Tensor, wrap, handleOf, currentContext, syncGradMode, checkDevice,
  ) as (pos: unknown[], named: Record<string, unknown> | undefined) => unknown;
}

const handleOf = (t: Tensor | null | undefined): number | null => (t ? t._h : null);

export function invoke(o: Resolved, pos: unknown[], named?: Record<string, unknown>): unknown {
  if (o.id < 0) throw new Error(`${o.name} is not available in this libtorch (${N.buildInfo().torchVersion})`);
  if (!o.fn) o.fn = compileInvoker(o);
  return o.fn(pos, named);
}
