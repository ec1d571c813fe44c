/**
 * Module: the base of every layer and model (PyTorch's torch.nn.Module). A module owns its
 * parameters and buffers (kept tensors, freed by dispose()) and its child modules, registered by
 * name; names nest with dots ('blocks.0.conv.weight'), as in PyTorch, so state dicts move between
 * genlab and PyTorch.
 */
import { inspect } from 'node:util';
import { torch, Tensor, type DType } from '../tensor/index.ts';
import { adoptHandle } from '../tensor/scope.ts';

/** A state dict: names to tensors (a plain object in registration order, or a Map). */
export type StateDict = Record<string, Tensor>;

export interface LoadStateDictOptions {
  /** Throw when keys are missing or unexpected (default true). Shape and dtype mismatches always throw. */
  strict?: boolean;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

const FLOATING = new Set<DType>(['float32', 'float64', 'float16', 'bfloat16']);
const isDTypeName = (s: string): s is DType => (torch.dtypes as string[]).includes(s);

/** Tensors marked as parameters (by Parameter() or registerParameter). */
const PARAMS = new WeakSet<Tensor>();
/** Tensors marked as buffers by Buffer(), with their persistence. */
const BUFFERS = new WeakMap<Tensor, boolean>();
/** ModuleList / ParameterList containers made for array fields. */
const AUTO_LISTS = new WeakSet<Module>();

function checkLeaf(t: unknown, what: string): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${what}: expected a Tensor, got ${t === null ? 'null' : typeof t}`);
  if (t.isDisposed) throw new TypeError(`${what}: the tensor was disposed`);
  if (!t.isLeaf) throw new TypeError(`${what}: the tensor is not a leaf (detach() it first)`);
}

declare const parameterBrand: unique symbol;
declare const bufferBrand: unique symbol;
/** What `t instanceof nn.Parameter` narrows to: a Tensor (the brand exists only in types). */
export type ParameterTensor = Tensor & { readonly [parameterBrand]: true };
/** What `t instanceof nn.Buffer` narrows to: a Tensor (the brand exists only in types). */
export type BufferTensor = Tensor & { readonly [bufferBrand]: true };

/** The type of `Parameter`: callable with or without `new`, and usable with `instanceof`. */
export interface ParameterConstructor {
  new (data: Tensor, requiresGrad?: boolean): Tensor;
  (data: Tensor, requiresGrad?: boolean): Tensor;
  /** `t instanceof nn.Parameter`: true for tensors marked as parameters. */
  [Symbol.hasInstance](x: unknown): x is ParameterTensor;
}

/**
 * PyTorch's nn.Parameter: marks a tensor as a parameter, so that a module field holding it
 * (`this.scale = new nn.Parameter(torch.ones([4]))`) is registered under the field's name. The
 * tensor itself is returned (kept, and requiring grad if floating unless requiresGrad is false);
 * `x instanceof nn.Parameter` tells marked tensors.
 */
export const Parameter = function Parameter(data: Tensor, requiresGrad = true): Tensor {
  checkLeaf(data, 'nn.Parameter');
  data.keep();
  if (FLOATING.has(data.dtype)) data.requiresGrad_(requiresGrad);
  PARAMS.add(data);
  return data;
} as unknown as ParameterConstructor;
Object.defineProperty(Parameter, Symbol.hasInstance, { value: (x: unknown) => x instanceof Tensor && PARAMS.has(x) });

/** The type of `Buffer`: callable with or without `new`. */
export interface BufferConstructor {
  new (data: Tensor, options?: { persistent?: boolean }): Tensor;
  (data: Tensor, options?: { persistent?: boolean }): Tensor;
  /** `t instanceof nn.Buffer`: true for tensors marked by nn.Buffer. */
  [Symbol.hasInstance](x: unknown): x is BufferTensor;
}

/**
 * PyTorch's nn.Buffer: marks a tensor as a buffer (state that is not trained), so that a module
 * field holding it is registered under the field's name; persistent=false leaves it out of
 * stateDict(). Returns the tensor itself, kept.
 */
export const Buffer = function Buffer(data: Tensor, options: { persistent?: boolean } = {}): Tensor {
  if (!(data instanceof Tensor) || data.isDisposed) throw new TypeError('nn.Buffer: expected a live Tensor');
  data.keep();
  BUFFERS.set(data, options.persistent !== false);
  return data;
} as unknown as BufferConstructor;
Object.defineProperty(Buffer, Symbol.hasInstance, { value: (x: unknown) => x instanceof Tensor && BUFFERS.has(x) });

/**
 * The base class of layers and models. As in PyTorch, fields are registered by what they hold:
 * `this.fc = new nn.Linear(4, 2)` a child, `this.scale = new nn.Parameter(t)` a parameter,
 * `this.mean = new nn.Buffer(t)` a buffer, an array of modules (or of parameters) a ModuleList
 * (ParameterList) named after the field ('blocks.0.weight'). Registration happens lazily, when a
 * traversal or state method runs (parameters(), stateDict(), to(), ...), so forward passes pay
 * nothing for it. Explicit `registerParameter` / `registerBuffer` / `registerModule` remain (each
 * returns what it registers), and are needed for names that differ from the field's. ES `#private`
 * fields are invisible to registration. Subclasses implement `forward`. Forward passes make tensors in the caller's scope; the module's own tensors are kept
 * until `dispose()`.
 */
export abstract class Module {
  /** True in training mode (dropout active, batch norm uses batch statistics). */
  training = true;
  /** @internal */ readonly _parameters = new Map<string, Tensor | null>();
  /** @internal */ readonly _buffers = new Map<string, Tensor | null>();
  /** @internal */ readonly _nonPersistent = new Set<string>();
  /** @internal */ readonly _modules = new Map<string, Module>();

  /** The computation. Subclasses narrow the arguments and the result. */
  abstract forward(...args: never[]): unknown;

  /** Class name for messages and printing. */
  get name(): string {
    return this.constructor.name;
  }

  // ---- registration ----

  /**
   * Registers a parameter: the tensor is kept, made a leaf that requires grad (floating dtypes),
   * and owned by this module from now on. Registering under an existing name replaces (and frees)
   * the old tensor. Returns the tensor.
   */
  registerParameter<T extends Tensor | null>(name: string, t: T): T {
    if (t) {
      checkLeaf(t, `${this.name}.registerParameter('${name}')`);
      if (FLOATING.has(t.dtype) && !t.requiresGrad) t.requiresGrad_(true);
    }
    return this.setParameter(name, t);
  }

  protected setParameter<T extends Tensor | null>(name: string, t: T): T {
    this.checkName(name, 'parameter');
    const old = this._parameters.get(name);
    if (t) {
      t.keep();
      PARAMS.add(t);
    }
    this._parameters.set(name, t);
    if (old && old !== t && !this.holds(old)) old.dispose();
    return t;
  }

  /** True if a field of this module still refers to t (then replacing its registration must not free it). */
  private holds(t: Tensor): boolean {
    const self = this as unknown as Record<string, unknown>;
    for (const k of Object.keys(self)) if (self[k] === t) return true;
    return false;
  }

  /**
   * Registers a buffer (state that is not trained: running statistics, fixed tables). Kept and owned
   * by this module. persistent=false leaves it out of stateDict().
   */
  registerBuffer<T extends Tensor | null>(name: string, t: T, options: { persistent?: boolean } = {}): T {
    this.checkName(name, 'buffer');
    const old = this._buffers.get(name);
    if (t) t.keep();
    this._buffers.set(name, t);
    if (options.persistent === false) this._nonPersistent.add(name);
    else this._nonPersistent.delete(name);
    if (old && old !== t && !this.holds(old)) old.dispose();
    return t;
  }

  /** Registers a child module under a name (its parameters are then named 'name.…'). */
  registerModule<M extends Module>(name: string, m: M): M {
    this.checkName(name, 'module');
    if (!(m instanceof Module)) throw new TypeError(`${this.name}.registerModule('${name}'): not a Module`);
    this._modules.set(name, m);
    return m;
  }

  private checkName(name: string, kind: string): void {
    if (typeof name !== 'string' || name === '' || name.includes('.')) {
      throw new TypeError(`${this.name}: ${kind} name must be a non-empty string without '.', got ${JSON.stringify(name)}`);
    }
    const taken = [
      ['parameter', this._parameters],
      ['buffer', this._buffers],
      ['module', this._modules],
    ] as const;
    for (const [k, m] of taken) {
      if (k !== kind && m.has(name)) throw new TypeError(`${this.name}: '${name}' is already registered as a ${k}`);
    }
  }

  /**
   * Registers what own fields hold (PyTorch's __setattr__, done lazily): modules, marked parameters
   * and buffers, arrays of modules or of parameters. Runs at the start of every traversal.
   * @internal
   */
  _syncFields(): void {
    const self = this as unknown as Record<string, unknown>;
    let children: Set<Module> | null = null;
    let own: Set<Tensor> | null = null;
    for (const key of Object.keys(self)) {
      const v = self[key];
      if (v === null || typeof v !== 'object' || key === '_parameters' || key === '_buffers' || key === '_modules') continue;
      if (v instanceof Module) {
        if (v === this || this._modules.get(key) === v) continue;
        children ??= new Set(this._modules.values());
        if (children.has(v) || this._parameters.has(key) || this._buffers.has(key)) continue;
        this._modules.set(key, v);
        children.add(v);
      } else if (v instanceof Tensor) {
        if (this._parameters.get(key) === v || this._buffers.get(key) === v || this._modules.has(key)) continue;
        const isParam = PARAMS.has(v);
        const persistent = BUFFERS.get(v);
        if (!isParam && persistent === undefined) continue;
        own ??= new Set([...this._parameters.values(), ...this._buffers.values()].filter((t): t is Tensor => t !== null));
        if (own.has(v)) continue; // an alias of a tensor registered under another name
        if (isParam && !this._buffers.has(key)) this.setParameter(key, v);
        else if (!isParam && !this._parameters.has(key)) this.registerBuffer(key, v, { persistent: persistent! });
        own.add(v);
      } else if (Array.isArray(v) && v.length > 0) {
        const cur = this._modules.get(key);
        if (v.every((x) => x instanceof Module)) {
          if (cur instanceof ModuleList && sameItems(cur.items, v)) continue;
          children ??= new Set(this._modules.values());
          if (v.every((m) => children!.has(m as Module))) continue; // already children under other names (Sequential.layers)
          if (cur && !AUTO_LISTS.has(cur)) continue;
          if (this._parameters.has(key) || this._buffers.has(key)) continue;
          const list = new ModuleList(v as Module[]);
          AUTO_LISTS.add(list);
          this._modules.set(key, list);
        } else if (v.every((x) => x instanceof Tensor && PARAMS.has(x))) {
          if (cur instanceof ParameterList && sameItems(cur.items, v)) continue;
          own ??= new Set([...this._parameters.values(), ...this._buffers.values()].filter((t): t is Tensor => t !== null));
          if (v.every((p) => own!.has(p as Tensor))) continue; // already own parameters (ParameterList.items)
          if (cur && !AUTO_LISTS.has(cur)) continue;
          if (this._parameters.has(key) || this._buffers.has(key)) continue;
          const list = new ParameterList(v as Tensor[]);
          AUTO_LISTS.add(list);
          this._modules.set(key, list);
        }
      }
    }
  }

  // ---- traversal ----

  /** Direct children with their names. */
  *namedChildren(): Generator<[string, Module]> {
    this._syncFields();
    yield* this._modules.entries();
  }
  children(): Module[] {
    this._syncFields();
    return [...this._modules.values()];
  }
  /** This module and all descendants, with dotted names ('' for this one); each module once. */
  *namedModules(prefix = '', memo: Set<Module> = new Set()): Generator<[string, Module]> {
    if (memo.has(this)) return;
    memo.add(this);
    this._syncFields();
    yield [prefix, this];
    for (const [n, m] of this._modules) yield* m.namedModules(prefix ? `${prefix}.${n}` : n, memo);
  }
  modules(): Module[] {
    return [...this.namedModules()].map(([, m]) => m);
  }
  /** All parameters with PyTorch's dotted names ('0.weight', 'block.norm.bias'); each tensor once. */
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [mp, m] of this.namedModules(prefix)) {
      for (const [n, p] of m._parameters) {
        if (!p || seen.has(p)) continue;
        seen.add(p);
        out.push([mp ? `${mp}.${n}` : n, p]);
      }
    }
    return out;
  }
  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }
  /** All buffers (persistent or not) with dotted names. */
  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [mp, m] of this.namedModules(prefix)) {
      for (const [n, b] of m._buffers) {
        if (!b || seen.has(b)) continue;
        seen.add(b);
        out.push([mp ? `${mp}.${n}` : n, b]);
      }
    }
    return out;
  }
  buffers(): Tensor[] {
    return this.namedBuffers().map(([, b]) => b);
  }
  /** Total number of parameter elements. */
  numParameters(options: { trainableOnly?: boolean } = {}): number {
    let n = 0;
    for (const p of this.parameters()) if (!options.trainableOnly || p.requiresGrad) n += p.numel();
    return n;
  }
  /** Calls fn on every module (children first, then this one), as PyTorch's apply. */
  apply(fn: (m: Module) => void): this {
    this._syncFields();
    for (const m of this._modules.values()) m.apply(fn);
    fn(this);
    return this;
  }

  // ---- modes ----

  /** Sets training mode on this module and all descendants. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }
  /** Evaluation mode: train(false). */
  eval(): this {
    return this.train(false);
  }

  /** Clears the gradients of every parameter (sets them to null, as PyTorch's default). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** Turns gradient tracking of all parameters on or off (freezing). */
  requiresGrad_(on = true): this {
    for (const p of this.parameters()) p.requiresGrad_(on);
    return this;
  }

  // ---- state ----

  /**
   * Parameters and persistent buffers by dotted name. The tensors are this module's own (not
   * copies): read or save them, do not dispose them.
   */
  stateDict(): StateDict {
    const out: StateDict = {};
    for (const [mp, m] of this.namedModules()) {
      const pre = mp ? `${mp}.` : '';
      for (const [n, p] of m._parameters) if (p) out[pre + n] = p;
      for (const [n, b] of m._buffers) if (b && !m._nonPersistent.has(n)) out[pre + n] = b;
    }
    return out;
  }

  /**
   * Copies values from a state dict into this module's parameters and buffers (in place, without
   * autograd). Throws on shape or dtype mismatch; with strict (default) also on missing or
   * unexpected keys. The source tensors are only read.
   */
  loadStateDict(sd: StateDict | Map<string, Tensor>, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const strict = options.strict ?? true;
    const src = sd instanceof Map ? sd : new Map(Object.entries(sd));
    const own = this.stateDict();
    const missingKeys = Object.keys(own).filter((k) => !src.has(k));
    const unexpectedKeys = [...src.keys()].filter((k) => !(k in own));
    const problems: string[] = [];
    for (const [k, dst] of Object.entries(own)) {
      const v = src.get(k);
      if (v === undefined) continue;
      if (!(v instanceof Tensor)) {
        problems.push(`'${k}': expected a Tensor, got ${typeof v}`);
        continue;
      }
      if (v.isDisposed) {
        problems.push(`'${k}': the tensor was disposed`);
        continue;
      }
      const a = dst.shape, b = v.shape;
      if (a.length !== b.length || a.some((x, i) => x !== b[i])) {
        problems.push(`size mismatch for '${k}': the module has [${a.join(', ')}], the state dict [${b.join(', ')}]`);
      } else if (dst.dtype !== v.dtype) {
        problems.push(`dtype mismatch for '${k}': the module has ${dst.dtype}, the state dict ${v.dtype}`);
      }
    }
    if (strict) {
      if (missingKeys.length) problems.unshift(`missing keys: ${missingKeys.map((k) => `'${k}'`).join(', ')}`);
      if (unexpectedKeys.length) problems.splice(missingKeys.length ? 1 : 0, 0, `unexpected keys: ${unexpectedKeys.map((k) => `'${k}'`).join(', ')}`);
    }
    if (problems.length) {
      throw new Error(`${this.name}.loadStateDict: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
    }
    torch.noGrad(() => {
      for (const [k, dst] of Object.entries(own)) {
        const v = src.get(k);
        if (v) dst.copy_(v);
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  /**
   * Moves parameters and buffers to a device and/or casts floating ones to a dtype:
   * `to('cuda')`, `to('float64')`, `to({ device, dtype })`. As in PyTorch, each parameter and buffer
   * stays the same Tensor object and takes the converted data (the old data is freed), so every
   * reference to it follows. Gradients are dropped on the moved parameters.
   */
  to(target: string | { device?: string; dtype?: DType }): this {
    let device: string | undefined;
    let dtype: DType | undefined;
    if (typeof target === 'string') {
      if (isDTypeName(target)) dtype = target;
      else device = target;
    } else {
      device = target.device;
      dtype = target.dtype;
    }
    if (dtype !== undefined && !FLOATING.has(dtype)) throw new TypeError(`${this.name}.to: dtype must be floating, got ${dtype}`);
    for (const [, m] of this.namedModules()) {
      const replace = (map: Map<string, Tensor | null>, isParam: boolean) => {
        for (const [n, t] of map) {
          if (!t) continue;
          const castDtype = dtype !== undefined && FLOATING.has(t.dtype) ? dtype : t.dtype;
          const dev = device ?? t.device;
          if (castDtype === t.dtype && dev === t.device) continue;
          const grad = isParam && t.requiresGrad;
          const nt = torch.noGrad(() => t.to({ dtype: castDtype, device: dev, copy: true }));
          // The same Tensor object takes the new data (PyTorch's param.data = ...), so every field,
          // closure and optimizer holding it follows.
          adoptHandle(t, nt);
          if (grad) t.requiresGrad_(true);
        }
      };
      replace(m._parameters, true);
      replace(m._buffers, false);
    }
    return this;
  }

  /** Frees every parameter and buffer of this module and its descendants. */
  dispose(): void {
    for (const [, m] of this.namedModules()) {
      for (const t of m._parameters.values()) t?.dispose();
      for (const t of m._buffers.values()) t?.dispose();
    }
  }

  /** A PyTorch-like summary of the module tree. */
  toString(): string {
    this._syncFields();
    const lines: string[] = [];
    const extra = this.extraRepr();
    if (this._modules.size === 0) return `${this.name}(${extra})`;
    lines.push(`${this.name}(${extra}`);
    for (const [n, m] of this._modules) lines.push(`  (${n}): ${m.toString().split('\n').join('\n  ')}`);
    lines.push(')');
    return lines.join('\n');
  }
  /** console.log(module) prints the module tree, as PyTorch's print(module). */
  [inspect.custom](): string {
    return this.toString();
  }
  /** Extra text inside the parentheses of toString (layer sizes). */
  extraRepr(): string {
    return '';
  }
}

/** A module mapping one tensor to one tensor: what Sequential chains. */
export type TensorModule = Module & { forward(x: Tensor): Tensor };

/** Modules applied in order (PyTorch's nn.Sequential); children are named '0', '1', ... */
export class Sequential extends Module {
  readonly layers: TensorModule[];
  constructor(...layers: TensorModule[]) {
    super();
    this.layers = [];
    for (const l of layers) this.append(l);
  }
  append(m: TensorModule): this {
    this.registerModule(String(this.layers.length), m);
    this.layers.push(m);
    return this;
  }
  get length(): number {
    return this.layers.length;
  }
  at(i: number): TensorModule {
    const m = this.layers.at(i);
    if (!m) throw new RangeError(`Sequential.at(${i}): ${this.layers.length} layers`);
    return m;
  }
  forward(x: Tensor): Tensor {
    // One scope per layer: a layer's temporaries are freed when it returns (autograd keeps what
    // backward needs), so memory is reused while still in cache, as in PyTorch.
    for (const l of this.layers) {
      const input = x;
      x = torch.scope(() => l.forward(input));
    }
    return x;
  }
}

/** A list of modules registered as children '0', '1', ... (PyTorch's nn.ModuleList). */
export class ModuleList<M extends Module = Module> extends Module implements Iterable<M> {
  readonly items: M[] = [];
  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.append(m);
  }
  append(m: M): this {
    this.registerModule(String(this.items.length), m);
    this.items.push(m);
    return this;
  }
  get length(): number {
    return this.items.length;
  }
  at(i: number): M {
    const m = this.items.at(i);
    if (!m) throw new RangeError(`ModuleList.at(${i}): ${this.items.length} modules`);
    return m;
  }
  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }
  forward(): never {
    throw new Error('ModuleList has no forward: iterate over its modules');
  }
}

/** A list of parameters registered as '0', '1', ... (PyTorch's nn.ParameterList). */
export class ParameterList extends Module implements Iterable<Tensor> {
  readonly items: Tensor[] = [];
  constructor(params: Iterable<Tensor> = []) {
    super();
    for (const p of params) this.append(p);
  }
  append(p: Tensor): this {
    this.setParameter(String(this.items.length), PARAMS.has(p) ? p : Parameter(p));
    this.items.push(p);
    return this;
  }
  get length(): number {
    return this.items.length;
  }
  at(i: number): Tensor {
    const p = this.items.at(i);
    if (!p) throw new RangeError(`ParameterList.at(${i}): ${this.items.length} parameters`);
    return p;
  }
  [Symbol.iterator](): Iterator<Tensor> {
    return this.items[Symbol.iterator]();
  }
  forward(): never {
    throw new Error('ParameterList has no forward: iterate over its parameters');
  }
}

function sameItems(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
