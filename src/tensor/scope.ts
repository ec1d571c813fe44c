/**
 * Who frees a tensor (ARCHITECTURE.md, "Memory"). Every tensor belongs to the innermost open scope
 * when it is made; `scope(fn)` frees at its end every tensor made inside except what fn returns,
 * which moves to the enclosing scope. Kept tensors (parameters, buffers, optimizer state) are freed
 * by their owner's dispose(). Tensors outside any scope, and kept ones, get a GC guard
 * (native/src/guard.cc): once V8 collects the Tensor object, its native tensor is freed, at the next
 * turn of the event loop or, in a synchronous loop, as soon as many such tensors (or bytes) wait.
 * Scopes follow async calls through AsyncLocalStorage, so `await` inside a scope is safe.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { N } from './native.ts';

/** What a scope owns: the Tensor class implements it. */
export interface Owned {
  _h: number;
  /** The GC guard of a tensor no scope owns (or a kept one), null otherwise. */
  _guard: object | null;
  _scope: Scope | null;
  _kept: boolean;
  _freed: boolean;
}

export class Scope {
  readonly tensors: Owned[] = [];
  constructor(readonly parent: Scope | null) {}
}

/** The per-call context: the owning scope and whether autograd records. */
export interface Context {
  scope: Scope | null; // null: the root, which frees nothing by itself
  grad: boolean;
}

const als = new AsyncLocalStorage<Context>();
const rootContext: Context = { scope: null, grad: true };
let nativeGrad = true;

export function currentContext(): Context {
  return als.getStore() ?? rootContext;
}

/** Makes libtorch's grad mode match the context of the running code; call before each op. */
export function syncGradMode(c: Context): void {
  if (c.grad !== nativeGrad) {
    N.setGradEnabled(c.grad);
    nativeGrad = c.grad;
  }
}

/** Re-reads libtorch's grad mode (after native code changed it behind our back). */
export function resyncGradMode(): void {
  nativeGrad = N.isGradEnabled();
}

/**
 * [tensors, KiB] whose guards V8 collected and that wait to be freed; written by the native
 * finalizers during garbage collection, read here without a native call.
 */
const collected = new Int32Array(2);
if (typeof N.setCollectedFlag !== 'function') {
  throw new Error("genlab: the native addon is older than this source (it has no GC guards); rebuild it with 'node scripts/setup.mjs --force' (or 'npm run build:native')");
}
N.setCollectedFlag(collected);
/** Free at once (not at the next event-loop turn) past this many collected tensors or KiB. */
const DRAIN_TENSORS = 256;
const DRAIN_KIB = 32 * 1024;

/** Frees the native tensors of collected Tensor objects now (else at the next event-loop turn). Returns how many. */
export function drainCollected(): number {
  return collected[0] === 0 ? 0 : N.drainCollected();
}

function guard(t: Owned): void {
  t._guard = N.guard(t._h);
}

/** Registers a new tensor with the scope of the running code. */
export function track(t: Owned, c: Context): void {
  if (collected[0] >= DRAIN_TENSORS || collected[1] >= DRAIN_KIB) N.drainCollected();
  const s = c.scope;
  t._scope = s;
  if (s) s.tensors.push(t);
  else guard(t);
}

export function markKept(t: Owned): void {
  if (t._kept) return;
  t._kept = true;
  if (t._scope) guard(t);
}

export function release(t: Owned): void {
  if (t._freed) return;
  t._freed = true;
  t._guard = null;
  N.dispose(t._h);
}

/**
 * Moves the native tensor of `from` into `t`, freeing t's old one: every reference to the object t
 * (module fields, optimizer lists, closures) sees the new data, as PyTorch's `param.data = ...`
 * does in Module.to. `from` gives up its handle (it reads as disposed afterwards).
 */
export function adoptHandle(t: Owned, from: Owned): void {
  if (t._freed || from._freed) throw new Error('adoptHandle: the tensor was disposed');
  N.dispose(t._h);
  t._h = from._h;
  from._freed = true;
  // A guard names a handle: from's guard (if any) now guards t's new handle and must live as long
  // as t (were it collected with from, it would free t's data); t's old guard names a stale handle.
  t._guard = from._guard;
  from._guard = null;
  if (t._guard === null && (t._kept || t._scope === null)) guard(t);
}

function isOwned(x: unknown): x is Owned {
  return typeof x === 'object' && x !== null && typeof (x as Owned)._h === 'number' && '_scope' in x;
}

/**
 * The tensors in a value: a tensor, or arrays / objects (plain or class instances: their own
 * enumerable fields) / Maps / Sets of them, at any depth; cycles are visited once. Typed arrays,
 * buffers, promises, dates and regexps hold no tensors and are not looked into.
 */
export function tensorsIn(value: unknown, out: Set<Owned> = new Set()): Set<Owned> {
  if (value === null || typeof value !== 'object') return out;
  if (isOwned(value)) {
    out.add(value);
    return out;
  }
  const seen = new Set<object>();
  const stack: object[] = [value];
  while (stack.length) {
    const v = stack.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    const push = (x: unknown): void => {
      if (x === null || typeof x !== 'object') return;
      if (isOwned(x)) out.add(x);
      else stack.push(x);
    };
    if (Array.isArray(v)) for (const x of v) push(x);
    else if (v instanceof Map) for (const x of v.values()) push(x);
    else if (v instanceof Set) for (const x of v) push(x);
    else if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof Promise || v instanceof Date || v instanceof RegExp) continue;
    else for (const k of Object.keys(v)) push((v as Record<string, unknown>)[k]);
  }
  return out;
}

function endScope(s: Scope, result: unknown): void {
  const escaping = result !== undefined ? tensorsIn(result) : new Set<Owned>();
  const anyEscaping = escaping.size > 0;
  const free: number[] = [];
  const parent = s.parent;
  for (const t of s.tensors) {
    if (t._freed) continue;
    if (t._kept) {
      t._scope = null;
      continue;
    }
    if (anyEscaping && escaping.has(t)) {
      t._scope = parent;
      if (parent) parent.tensors.push(t);
      else guard(t);
      continue;
    }
    t._freed = true;
    free.push(t._h);
  }
  s.tensors.length = 0;
  if (free.length) N.disposeArray(free.reverse());
}

/**
 * Runs fn in a new scope. Tensors made inside are freed when it ends, except those fn returns
 * (moved to the enclosing scope) and kept ones. fn may be async.
 */
export function scope<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new TypeError(`torch.scope takes a function, got ${fn === null ? 'null' : typeof fn}`);
  const parent = currentContext();
  const s = new Scope(parent.scope);
  const ctx: Context = { scope: s, grad: parent.grad };
  let result: T;
  try {
    result = als.run(ctx, fn);
  } catch (e) {
    endScope(s, undefined);
    throw e;
  }
  if (result instanceof Promise) {
    return result.then(
      (r) => {
        endScope(s, r);
        return r;
      },
      (e) => {
        endScope(s, undefined);
        throw e;
      },
    ) as T;
  }
  endScope(s, result);
  return result;
}

function withGrad<T>(grad: boolean, fn: () => T): T {
  if (typeof fn !== 'function') throw new TypeError(`torch.${grad ? 'enableGrad' : 'noGrad'} takes a function, got ${fn === null ? 'null' : typeof fn}`);
  const parent = currentContext();
  return als.run({ scope: parent.scope, grad }, fn);
}

/** Runs fn with autograd off (torch.no_grad). fn may be async. */
export function noGrad<T>(fn: () => T): T {
  return withGrad(false, fn);
}

/** Runs fn with autograd on (torch.enable_grad). */
export function enableGrad<T>(fn: () => T): T {
  return withGrad(true, fn);
}

export function isGradEnabled(): boolean {
  return currentContext().grad;
}
