/**
 * Custom autograd functions with a JavaScript backward, as PyTorch's torch.autograd.Function:
 *
 *   class Exp extends torch.autograd.Function {
 *     static override forward(ctx: FunctionCtx, x: Tensor) { const y = x.exp(); ctx.saveForBackward(y); return y; }
 *     static override backward(ctx: FunctionCtx, gy: Tensor) { const [y] = ctx.savedTensors; return gy.mul(y!); }
 *   }
 *   const y = Exp.apply(x);   // y.gradFn === 'ExpBackward'
 *
 * forward runs without recording a graph; its outputs (floating point tensors) get one autograd
 * node whose backward is the static `backward`: it receives one gradient per output (zeros for an
 * output the loss does not use) and returns one gradient (or null) per forward argument, in order
 * (non-tensor arguments get null). Saved tensors live as long as the graph does. Limits: CPU tensors
 * (the engine runs CUDA nodes on its own threads, where JavaScript cannot be called: a clear error),
 * and a backward is not itself differentiated (createGraph through a custom function is an error).
 */
import { N } from './native.ts';
import { Tensor } from './tensor.ts';
import { scope, noGrad, isGradEnabled, resyncGradMode } from './scope.ts';

/** What forward hands to backward. */
export class FunctionCtx {
  /** @internal */ _saved: Tensor[] = [];
  /** For each forward argument: whether it is a tensor that requires grad. */
  needsInputGrad: boolean[] = [];
  /** Any other values forward wants backward to see (shapes, options). */
  [key: string]: unknown;

  /** Keeps tensors for backward (detached handles that share storage; freed with the graph). */
  saveForBackward(...tensors: Tensor[]): void {
    for (const t of tensors) {
      if (!(t instanceof Tensor)) throw new TypeError(`saveForBackward: expected Tensors, got ${typeof t}`);
      this._saved.push(noGrad(() => t.detach()).keep());
    }
  }
  get savedTensors(): Tensor[] {
    return this._saved;
  }
}

type Forward = (ctx: FunctionCtx, ...args: any[]) => Tensor | Tensor[];
type Backward = (ctx: FunctionCtx, ...grads: Tensor[]) => Tensor | null | (Tensor | null | undefined)[];

interface Entry {
  name: string;
  ctx: FunctionCtx;
  backward: Backward;
  /** Positions of the tensor arguments among forward's arguments. */
  tensorArgs: number[];
  nArgs: number;
}

const live = new Map<number, Entry>();
let nextId = 1;

function drop(id: number): void {
  const e = live.get(id);
  if (!e) return;
  live.delete(id);
  for (const t of e.ctx._saved) t.dispose();
}

/** Drops the state (saved tensors) of nodes whose graph is gone; torch.memory() calls it first. */
export function collectReleased(): void {
  for (const id of N.customFunctionReleased()) drop(id);
}

function dispatch(id: number, gradHandles: number[]): (number | null)[] {
  resyncGradMode();
  const e = live.get(id);
  if (!e) {
    for (const h of gradHandles) N.dispose(h);
    throw new Error(`autograd.Function: the state of node ${id} was already released`);
  }
  const grads = scope(() => {
    const gs = gradHandles.map((h) => new Tensor(h));
    const r = noGrad(() => e.backward(e.ctx, ...gs));
    const list = Array.isArray(r) ? r : [r];
    if (list.length !== e.nArgs && !(e.nArgs === e.tensorArgs.length && list.length === e.tensorArgs.length)) {
      throw new TypeError(`${e.name}.backward returned ${list.length} gradients; forward took ${e.nArgs} arguments (return one per argument, null for non-tensors)`);
    }
    return e.tensorArgs.map((pos) => {
      const g = list[pos] ?? null;
      if (g !== null && !(g instanceof Tensor)) throw new TypeError(`${e.name}.backward: gradient ${pos} is not a Tensor (got ${typeof g})`);
      return g;
    });
  });
  return grads.map((g) => (g ? g._h : null));
}

N.setCustomFunctionDispatcher(dispatch);

/** Runs forward without a graph, then attaches one node with the JS backward to its outputs. */
export function applyFunction(name: string, forward: Forward, backward: Backward, args: unknown[]): Tensor | Tensor[] {
  collectReleased();
  const ctx = new FunctionCtx();
  const tensorArgs: number[] = [];
  args.forEach((a, i) => {
    if (a instanceof Tensor) tensorArgs.push(i);
    ctx.needsInputGrad.push(a instanceof Tensor && a.requiresGrad);
  });
  const inputs = tensorArgs.map((i) => args[i] as Tensor);
  const result = scope(() => noGrad(() => forward(ctx, ...args)));
  const outs = Array.isArray(result) ? result : [result];
  outs.forEach((o, i) => {
    if (!(o instanceof Tensor)) throw new TypeError(`${name}.forward must return a Tensor or an array of Tensors; output ${i} is ${typeof o}`);
  });
  const record = isGradEnabled() && ctx.needsInputGrad.some(Boolean);
  if (!record) {
    for (const t of ctx._saved) t.dispose();
    return result;
  }
  const id = nextId++;
  live.set(id, { name, ctx, backward, tensorArgs, nArgs: args.length });
  let handles: number[];
  try {
    handles = N.customFunction(id, name, inputs.map((t) => t._h), outs.map((t) => t._h));
  } catch (err) {
    drop(id);
    throw err;
  }
  const wrapped = handles.map((h) => new Tensor(h));
  for (const o of outs) if (!inputs.includes(o)) o.dispose();
  return Array.isArray(result) ? wrapped : wrapped[0]!;
}

/**
 * Subclass with static `forward` and `backward`, call with `MyFn.apply(...)` (PyTorch's
 * torch.autograd.Function). The node is named after the class ('MyFnBackward').
 */
export class Function {
  static forward(_ctx: FunctionCtx, ..._args: any[]): Tensor | Tensor[] {
    throw new TypeError(`${this.name}: a custom autograd Function must define static forward(ctx, ...args)`);
  }
  static backward(_ctx: FunctionCtx, ..._grads: Tensor[]): Tensor | null | (Tensor | null | undefined)[] {
    throw new TypeError(`${this.name}: a custom autograd Function must define static backward(ctx, ...grads)`);
  }
  static apply(...args: any[]): any {
    return applyFunction(this.name, this.forward.bind(this), this.backward.bind(this), args);
  }
}

/** Number of custom-function nodes whose saved state is alive (for leak tests). */
export function liveFunctionNodes(): number {
  collectReleased();
  return live.size;
}
