/**
 * The Tensor: a handle to a libtorch tensor. Operator methods (add, matmul, ...) are generated from
 * the operator schemas (ops.generated.ts) and installed by ops.ts; this file holds what is not an
 * operator: metadata, data out, autograd state, conversions, lifetime.
 */
import { inspect } from 'node:util';
import { N } from './native.ts';
import { DTYPE_CODE, dtypeFromCode, typedArrayOf, checkDType, type DType, type TypedArrayFor } from './dtype.ts';
import { currentContext, track, markKept, release, syncGradMode, resyncGradMode, type Owned, type Scope, type Context } from './scope.ts';
import type { TensorOps } from './ops.generated.ts';
import { formatTensor } from './format.ts';

export { formatTensor };

export interface BackwardOptions {
  retainGraph?: boolean;
  createGraph?: boolean;
  /** Accumulate gradients only into these leaves. */
  inputs?: Tensor[];
}

export interface ToOptions {
  dtype?: DType;
  device?: string;
  copy?: boolean;
  nonBlocking?: boolean;
}

// Declaration merging: the generated operator methods are part of Tensor's type.
export interface Tensor extends TensorOps {}

export class Tensor implements Owned {
  /** @internal native handle */
  _h: number;
  /** @internal */
  _scope: Scope | null = null;
  /** @internal */
  _kept = false;
  /** @internal */
  _freed = false;
  /** @internal GC guard (tensors no scope owns) */
  _guard: object | null = null;

  /** @internal Use torch functions to make tensors. */
  constructor(handle: number, context: Context = currentContext()) {
    this._h = handle;
    track(this, context);
  }

  // ---- metadata ----
  get shape(): number[] {
    return N.shape(this._h);
  }
  /** size() is the shape; size(d) one dimension (negative d counts from the end). */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number[] | number {
    const s = N.shape(this._h);
    if (dim === undefined) return s;
    if (!Number.isInteger(dim)) throw new TypeError(`size: dimension must be an integer, got ${typeof dim === 'string' ? JSON.stringify(dim) : String(dim)}`);
    const d = dim < 0 ? dim + s.length : dim;
    if (d < 0 || d >= s.length) throw new RangeError(`size: dimension ${dim} out of range for a ${s.length}-d tensor`);
    return s[d]!;
  }
  stride(): number[] {
    return N.strides(this._h);
  }
  dim(): number {
    return N.dim(this._h);
  }
  get ndim(): number {
    return N.dim(this._h);
  }
  numel(): number {
    return N.numel(this._h);
  }
  get dtype(): DType {
    return dtypeFromCode(N.dtype(this._h));
  }
  get device(): string {
    return N.device(this._h);
  }
  get isCuda(): boolean {
    return this.device.startsWith('cuda');
  }
  /** Whether the data is dense in the given memory format's order (default 'contiguous_format'; 'channels_last' needs a 4-d tensor). */
  isContiguous(memoryFormat: 'contiguous_format' | 'channels_last' = 'contiguous_format'): boolean {
    if (memoryFormat !== 'contiguous_format' && memoryFormat !== 'channels_last') {
      throw new TypeError(`isContiguous: memoryFormat must be 'contiguous_format' or 'channels_last', got ${JSON.stringify(memoryFormat)}`);
    }
    return N.isContiguous(this._h, memoryFormat === 'channels_last');
  }
  /** True once dispose() ran or a scope freed it. */
  get isDisposed(): boolean {
    return this._freed;
  }

  // ---- autograd ----
  get requiresGrad(): boolean {
    return N.requiresGrad(this._h);
  }
  set requiresGrad(on: boolean) {
    N.setRequiresGrad(this._h, on);
  }
  requiresGrad_(on = true): this {
    N.setRequiresGrad(this._h, on);
    return this;
  }
  /** The accumulated gradient (a new handle to it each time), or null. */
  get grad(): Tensor | null {
    const g = N.getGrad(this._h);
    return g === null ? null : new Tensor(g);
  }
  set grad(g: Tensor | null | undefined) {
    N.setGrad(this._h, g ? g._h : null);
  }
  get isLeaf(): boolean {
    return N.isLeaf(this._h);
  }
  /** Name of the autograd node that made this tensor, or null for leaves. */
  get gradFn(): string | null {
    return N.gradFnName(this._h);
  }
  retainGrad(): this {
    N.retainGrad(this._h);
    return this;
  }
  /**
   * Gradients of this tensor with respect to the leaves. A non-scalar tensor needs the gradient of
   * its elements: `y.backward(gradient)` or `y.backward({ gradient })` (e.g. torch.onesLike(y) for a sum).
   */
  backward(gradient?: Tensor | null | (BackwardOptions & { gradient?: Tensor | null }), options: BackwardOptions = {}): void {
    if (gradient !== undefined && gradient !== null && !(gradient instanceof Tensor)) {
      if (typeof gradient !== 'object') throw new TypeError(`Tensor.backward: the gradient must be a Tensor (or { gradient, retainGraph, createGraph, inputs }), got ${typeof gradient} ${String(gradient)}`);
      const { gradient: g, ...rest } = gradient;
      for (const k of Object.keys(rest)) {
        if (!['retainGraph', 'createGraph', 'inputs'].includes(k)) throw new TypeError(`Tensor.backward: unknown option '${k}'; options: gradient, retainGraph, createGraph, inputs`);
      }
      return this.backward(g ?? null, { ...rest, ...options });
    }
    for (const k of Object.keys(options)) {
      if (!['retainGraph', 'createGraph', 'inputs'].includes(k)) throw new TypeError(`Tensor.backward: unknown option '${k}'; options: retainGraph, createGraph, inputs`);
    }
    if (!gradient && N.numel(this._h) !== 1) {
      const shape = `${this.dtype}[${this.shape.join(', ')}]`;
      throw new RangeError(`Tensor.backward: the output ${shape} is not a scalar, so backward needs its gradient: y.backward(gradient) or y.backward({ gradient }) with a tensor of shape [${this.shape.join(', ')}] (torch.onesLike(y) gives the gradient of y.sum())`);
    }
    syncGradMode(currentContext());
    N.backward(
      [this._h],
      gradient ? [gradient._h] : null,
      options.retainGraph ?? false,
      options.createGraph ?? false,
      options.inputs ? options.inputs.map((t) => t._h) : null,
    );
    resyncGradMode();
  }

  // ---- data out ----
  /** The elements as a typed array (a copy; float16/bfloat16 come as Float32Array, int64 as BigInt64Array). */
  toTypedArray(): TypedArrayFor {
    let buf: ArrayBuffer;
    try {
      buf = N.toBuffer(this._h);
    } catch (e) {
      const what = this._freed ? 'a disposed tensor' : `a ${this.dtype}[${this.shape.join(', ')}] tensor on ${this.device}`;
      throw new Error(`toTypedArray of ${what}: ${(e as Error).message}`);
    }
    return typedArrayOf(buf, this.dtype);
  }
  /** Elements as a flat array of JS numbers (booleans for bool tensors). */
  toFlatArray(): number[] {
    const a = this.toTypedArray();
    if (a instanceof BigInt64Array) return Array.from(a, (x) => exactNumber(x, 'toFlatArray'));
    return Array.from(a as ArrayLike<number>);
  }
  /** Nested JS arrays in the tensor's shape (PyTorch's tolist()); a number for a 0-d tensor. */
  toArray(): unknown {
    const shape = this.shape;
    const flat = this.toFlatArray();
    const bool = this.dtype === 'bool';
    const conv = bool ? (x: number) => x !== 0 : (x: number) => x;
    if (shape.length === 0) return conv(flat[0]!);
    let i = 0;
    const build = (d: number): unknown[] => {
      const n = shape[d]!;
      const out = new Array(n);
      for (let k = 0; k < n; k++) out[k] = d === shape.length - 1 ? conv(flat[i++]!) : build(d + 1);
      return out;
    };
    return build(0);
  }
  /** The value of a one-element tensor. */
  item(): number {
    const n = N.numel(this._h);
    if (n !== 1) throw new RangeError(`item: the tensor has ${n} elements (${this.shape.join('x') || 'scalar'}); item() needs exactly one`);
    const a = this.toTypedArray();
    return typeof a[0] === 'bigint' ? exactNumber(a[0], 'item') : (a[0] as number);
  }

  // ---- conversions ----
  /**
   * to('cuda'), to('float64'), to(other), to({ dtype, device }): a tensor with that dtype/device
   * (this tensor's data shared when nothing changes, as in PyTorch).
   */
  to(target: string | Tensor | ToOptions, options: ToOptions = {}): Tensor {
    let dtype: DType | undefined;
    let device: string | undefined;
    if (target instanceof Tensor) {
      dtype = target.dtype;
      device = target.device;
    } else if (typeof target === 'string') {
      if (target in DTYPE_CODE) dtype = target as DType;
      else device = target;
    } else {
      dtype = target.dtype;
      device = target.device;
      options = target;
    }
    if (options.dtype) dtype = options.dtype;
    if (dtype !== undefined) checkDType(dtype, 'to');
    return callTo(this, dtype, device, options.nonBlocking ?? false, options.copy ?? false);
  }
  float(): Tensor { return this.to('float32'); }
  double(): Tensor { return this.to('float64'); }
  half(): Tensor { return this.to('float16'); }
  long(): Tensor { return this.to('int64'); }
  int(): Tensor { return this.to('int32'); }
  bool(): Tensor { return this.to('bool'); }
  cpu(): Tensor { return this.to('cpu'); }
  cuda(index?: number): Tensor { return this.to(index === undefined ? 'cuda' : `cuda:${index}`); }

  // ---- lifetime ----
  /** Frees the tensor now. Later use is an error. Safe to call twice. */
  dispose(): void {
    release(this);
  }
  /** Keeps the tensor past the end of its scope; its owner disposes it. */
  keep(): this {
    markKept(this);
    return this;
  }

  /** PyTorch's printed form: values for every size (summarized past 1000 elements), aligned. */
  toString(): string {
    return formatTensor(this);
  }
  [inspect.custom](): string {
    return this.toString();
  }
}

/** An int64 element as a JS number, or an error when a number cannot hold it exactly (beyond 2^53). */
function exactNumber(x: bigint, what: string): number {
  const n = Number(x);
  if (!Number.isSafeInteger(n)) {
    throw new RangeError(`${what}: the int64 value ${x} is beyond 2^53 and would lose digits as a JS number; read it as a bigint with toTypedArray() (a BigInt64Array)`);
  }
  return n;
}

// Set by ops.ts (it needs the dispatcher, which needs this class).
let callTo: (t: Tensor, dtype: DType | undefined, device: string | undefined, nonBlocking: boolean, copy: boolean) => Tensor;
export function setToImpl(f: typeof callTo): void {
  callTo = f;
}
