/**
 * Module: the base of every layer and model (PyTorch's torch.nn.Module). A module owns its
 * parameters and buffers (kept tensors, freed by dispose()) and its child modules, registered by
 * name; names nest with dots ('blocks.0.conv.weight'), as in PyTorch, so state dicts move between
 * genlab and PyTorch.
 */
import { torch, Tensor, type DType } from '../tensor/index.ts';

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

/**
 * The base class of layers and models. Subclasses register parameters with `registerParameter`,
 * buffers with `registerBuffer` and children with `registerModule` (each returns what it registers,
 * so `this.weight = this.registerParameter('weight', t)` both registers and assigns), and implement
 * `forward`. Forward passes make tensors in the caller's scope; the module's own tensors are kept
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
    this.checkName(name, 'parameter');
    const old = this._parameters.get(name);
    if (t) {
      if (!t.isLeaf) throw new TypeError(`${this.name}.registerParameter('${name}'): the tensor is not a leaf (detach() it first)`);
      t.keep();
      if (FLOATING.has(t.dtype) && !t.requiresGrad) t.requiresGrad_(true);
    }
    this._parameters.set(name, t);
    if (old && old !== t) old.dispose();
    return t;
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
    if (old && old !== t) old.dispose();
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

  // ---- traversal ----

  /** Direct children with their names. */
  *namedChildren(): Generator<[string, Module]> {
    yield* this._modules.entries();
  }
  children(): Module[] {
    return [...this._modules.values()];
  }
  /** This module and all descendants, with dotted names ('' for this one). */
  *namedModules(prefix = ''): Generator<[string, Module]> {
    yield [prefix, this];
    for (const [n, m] of this._modules) yield* m.namedModules(prefix ? `${prefix}.${n}` : n);
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
   * `to('cuda')`, `to('float64')`, `to({ device, dtype })`. Replaced tensors are freed; fields of
   * this module that held them are updated. Gradients are dropped on the moved parameters.
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
          const nt = torch.noGrad(() => t.to({ dtype: castDtype, device: dev, copy: true }));
          nt.keep();
          if (isParam && t.requiresGrad) nt.requiresGrad_(true);
          map.set(n, nt);
          m.replaceField(t, nt);
          t.dispose();
        }
      };
      replace(m._parameters, true);
      replace(m._buffers, false);
    }
    return this;
  }

  /** Points own fields that held `old` to `nt` (fields assigned from registerParameter/Buffer). */
  private replaceField(old: Tensor, nt: Tensor): void {
    const self = this as unknown as Record<string, unknown>;
    for (const k of Object.keys(self)) if (self[k] === old) self[k] = nt;
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
    const lines: string[] = [];
    const extra = this.extraRepr();
    if (this._modules.size === 0) return `${this.name}(${extra})`;
    lines.push(`${this.name}(${extra}`);
    for (const [n, m] of this._modules) lines.push(`  (${n}): ${m.toString().split('\n').join('\n  ')}`);
    lines.push(')');
    return lines.join('\n');
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
