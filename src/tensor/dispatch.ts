/**
 * Calls ATen operators from JS values: picks the overload whose schema fits the arguments (as
 * PyTorch's Python argument parser does), converts tensors to handles, and wraps results.
 * Positional arguments follow the schema; a trailing plain object names any argument (camelCase).
 */
import { N } from './native.ts';
import { Tensor } from './tensor.ts';
import { Generator } from './generator.ts';
import { isDType } from './dtype.ts';
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
  fn?: (pos: unknown[], named: Record<string, unknown> | undefined) => unknown;
}

const resolvedCache = new WeakMap<OverloadSpec[], Resolved[]>();

export function resolve(overloads: OverloadSpec[]): Resolved[] {
  let r = resolvedCache.get(overloads);
  if (r) return r;
  const ids = N.lookupOps(overloads.map((o) => o[0]));
  r = overloads.map(([name, args, ret], i) => ({
    name,
    args,
    ret,
    id: ids[i]!,
    positional: args.filter((a) => (a[2] & 4) === 0).length,
    byName: new Map(args.map((a, k) => [a[0], k])),
  }));
  resolvedCache.set(overloads, r);
  return r;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

function isIntArray(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  for (const x of v) if (!Number.isInteger(x)) return false;
  return true;
}

function fits(kind: number, flags: number, v: unknown): boolean {
  if (v === undefined) return (flags & 3) !== 0;
  if (v === null) return (flags & 1) !== 0;
  switch (kind) {
    case K_TENSOR: return v instanceof Tensor;
    case K_TENSOR_LIST: return Array.isArray(v) && v.every((x) => x instanceof Tensor);
    case K_OPT_TENSOR_LIST: return Array.isArray(v) && v.every((x) => x === null || x === undefined || x instanceof Tensor);
    case K_INT: return Number.isInteger(v);
    case K_INT_LIST: return Number.isInteger(v) || isIntArray(v);
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
  if (isPlainObject(v)) return `{ ${Object.keys(v).join(', ')} }`;
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

function signature(o: Resolved): string {
  return `${o.name}(${o.args.map(([n, k, f]) => `${f & 4 ? '*' : ''}${n}${f & 3 ? '?' : ''}: ${KIND_NAMES[k]}`).join(', ')})`;
}

/** Whether the last chosen overload fits again: positional-only calls, checked exactly. */
function fastFits(o: Resolved, pos: unknown[]): boolean {
  if (pos.length > o.positional) return false;
  const args = o.args;
  for (let i = 0; i < pos.length; i++) if (!fits(args[i]![1], args[i]![2], pos[i])) return false;
  for (let i = pos.length; i < args.length; i++) if ((args[i]![2] & 3) === 0) return false;
  return true;
}

/** Picks the overload for these arguments; undefined when none fits. */
function choose(overloads: Resolved[], pos: unknown[], named: Record<string, unknown> | undefined): Resolved | undefined {
  outer: for (const o of overloads) {
    if (pos.length > o.positional) continue;
    const args = o.args;
    for (let i = 0; i < pos.length; i++) {
      const a = args[i]!;
      if (!fits(a[1], a[2], pos[i])) continue outer;
    }
    if (named) {
      for (const k in named) {
        const i = o.byName.get(k);
        if (i === undefined || (i < pos.length && pos[i] !== undefined)) continue outer;
        const a = args[i]!;
        if (!fits(a[1], a[2], named[k])) continue outer;
      }
    }
    for (let i = pos.length; i < args.length; i++) {
      const a = args[i]!;
      if ((a[2] & 3) === 0 && (!named || named[a[0]] === undefined)) continue outer;
    }
    return o;
  }
  return undefined;
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

/**
 * Makes the function that calls one operator: it keeps the resolved overloads and the overload the
 * last call chose in its closure (most call sites repeat their argument types), so the common call
 * is a type check of the arguments and one compiled invoker.
 */
export function makeCaller(spec: OpSpec): (self: Tensor | undefined, args: unknown[]) => unknown {
  let overloads: Resolved[] | null = null;
  let last: Resolved | null = null;
  return function call(self: Tensor | undefined, args: unknown[]): unknown {
    if (overloads === null) overloads = resolve(spec.overloads);
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
    if (named !== undefined && 'requiresGrad' in named && !overloads.some((o) => o.byName.has('requiresGrad'))) {
      // PyTorch's factory keyword: applied to the result.
      requiresGrad = !!named.requiresGrad;
      named = { ...named };
      delete named.requiresGrad;
    }
    const o = last !== null && named === undefined && fastFits(last, pos) ? last : choose(overloads, pos, named);
    if (!o) {
      const label = spec.method && self ? `Tensor.${spec.method}` : `torch.${spec.ns === 'torch' ? '' : spec.ns + '.'}${spec.name}`;
      throw new TypeError(
        `${label}: no overload takes (${pos.map(describeValue).join(', ')}${named ? `, ${describeValue(named)}` : ''}); ` +
          `overloads:\n  ${overloads.map(signature).join('\n  ')}`,
      );
    }
    last = o;
    const r = o.fn !== undefined ? o.fn(pos, named) : invoke(o, pos, named);
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
  return new Function('N', 'Tensor', 'wrap', 'handleOf', 'currentContext', 'syncGradMode', src)(
    N, Tensor, wrap, handleOf, currentContext, syncGradMode,
  ) as (pos: unknown[], named: Record<string, unknown> | undefined) => unknown;
}

const handleOf = (t: Tensor | null | undefined): number | null => (t ? t._h : null);

export function invoke(o: Resolved, pos: unknown[], named?: Record<string, unknown>): unknown {
  if (o.id < 0) throw new Error(`${o.name} is not available in this libtorch (${N.buildInfo().torchVersion})`);
  if (!o.fn) o.fn = compileInvoker(o);
  return o.fn(pos, named);
}
