/**
 * The optimizer base (PyTorch's torch.optim.Optimizer): parameter groups with their own
 * hyperparameters, per-parameter state kept as tensors, zeroGrad, and state dicts that save and
 * restore everything exactly. A step updates all parameters of a group with a few native
 * torch._foreach* calls, under noGrad and inside its own scope.
 */
import { torch, Tensor } from '../tensor/index.ts';

/** Per-parameter state: tensors (kept, owned by the optimizer) and numbers (step counts). */
export type ParamState = Record<string, Tensor | number>;
/** A group of parameters sharing hyperparameters H. */
export type ParamGroup<H> = H & { params: Tensor[] };
/** What the constructor takes for a group: its parameters and any hyperparameters to override. */
export type ParamGroupInput<H> = Partial<H> & { params: Iterable<Tensor> };
export type Params<H> = Iterable<Tensor> | ParamGroupInput<H>[];

/** PyTorch's layout: state by parameter index (in group order), groups with param indices. */
export interface OptimizerStateDict<H> {
  state: Record<string, ParamState>;
  paramGroups: (H & { params: number[] })[];
}

export abstract class Optimizer<H extends { lr: number }> {
  readonly defaults: H;
  readonly paramGroups: ParamGroup<H>[] = [];
  /** State of each parameter (created at its first step). */
  readonly state = new Map<Tensor, ParamState>();

  constructor(params: Params<H>, defaults: H) {
    this.defaults = { ...defaults };
    const list = [...(params as Iterable<Tensor | ParamGroupInput<H>>)];
    if (list.length === 0) throw new RangeError(`${this.constructor.name}: got an empty parameter list`);
    if (list[0] instanceof Tensor) this.addParamGroup({ params: list as Tensor[] } as unknown as ParamGroupInput<H>);
    else for (const g of list as ParamGroupInput<H>[]) this.addParamGroup(g);
  }

  /** Adds a group; hyperparameters it leaves out come from the defaults. */
  addParamGroup(group: ParamGroupInput<H>): void {
    const params = [...group.params];
    for (const p of params) {
      if (!(p instanceof Tensor)) throw new TypeError(`${this.constructor.name}: parameters must be Tensors`);
      if (!p.isLeaf) throw new TypeError(`${this.constructor.name}: can't optimize a non-leaf Tensor`);
    }
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    for (const p of params) if (seen.has(p)) throw new Error(`${this.constructor.name}: a parameter appears in more than one group`);
    this.paramGroups.push({ ...this.defaults, ...group, params } as ParamGroup<H>);
  }

  /** Updates the parameters from their .grad (those without a gradient are skipped). */
  step(): void {
    torch.scope(() =>
      torch.noGrad(() => {
        for (const g of this.paramGroups) {
          const ps: Tensor[] = [];
          const gs: Tensor[] = [];
          for (const p of g.params) {
            const grad = p.grad;
            if (grad) {
              ps.push(p);
              gs.push(grad);
            }
          }
          if (ps.length) this.updateGroup(g, ps, gs);
        }
      }),
    );
  }

  /** One update of the parameters ps (with gradients gs) of group g. Runs under noGrad in a scope. */
  protected abstract updateGroup(g: ParamGroup<H>, ps: Tensor[], gs: Tensor[]): void;

  /** The state of p, created empty. */
  protected stateOf(p: Tensor): ParamState {
    let s = this.state.get(p);
    if (!s) this.state.set(p, (s = {}));
    return s;
  }

  /** Clears gradients: sets them to null (PyTorch's default set_to_none). */
  zeroGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) p.grad = null;
  }

  /** Learning rates of the groups. */
  get lrs(): number[] {
    return this.paramGroups.map((g) => g.lr);
  }

  /**
   * State tensors (the optimizer's own: save or read them, don't dispose), step counts and
   * hyperparameters, with parameters numbered in group order as PyTorch does.
   */
  stateDict(): OptimizerStateDict<H> {
    const state: Record<string, ParamState> = {};
    const paramGroups: (H & { params: number[] })[] = [];
    let i = 0;
    for (const g of this.paramGroups) {
      const ids: number[] = [];
      for (const p of g.params) {
        const s = this.state.get(p);
        if (s) state[String(i)] = { ...s };
        ids.push(i++);
      }
      const { params: _, ...hyper } = g;
      paramGroups.push({ ...cloneHyper(hyper), params: ids } as unknown as H & { params: number[] });
    }
    return { state, paramGroups };
  }

  /**
   * Restores a state dict from stateDict() of an optimizer over parameters of the same shapes,
   * in the same group layout. State tensors are copied (the source stays the caller's).
   */
  loadStateDict(sd: OptimizerStateDict<H>): void {
    const name = this.constructor.name;
    if (!sd || !Array.isArray(sd.paramGroups) || typeof sd.state !== 'object') throw new TypeError(`${name}.loadStateDict: not an optimizer state dict`);
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new Error(`${name}.loadStateDict: the state dict has ${sd.paramGroups.length} parameter groups, this optimizer ${this.paramGroups.length}`);
    }
    const byId = new Map<number, Tensor>();
    sd.paramGroups.forEach((sg, gi) => {
      const own = this.paramGroups[gi]!;
      if (sg.params.length !== own.params.length) {
        throw new Error(`${name}.loadStateDict: group ${gi} has ${sg.params.length} parameters in the state dict, ${own.params.length} here`);
      }
      sg.params.forEach((id, k) => byId.set(id, own.params[k]!));
    });
    for (const [id, s] of Object.entries(sd.state)) {
      const p = byId.get(Number(id));
      if (!p) throw new Error(`${name}.loadStateDict: state for parameter ${id}, which no group lists`);
      for (const [k, v] of Object.entries(s)) {
        if (!(v instanceof Tensor) || k === 'step') continue;
        if (v.isDisposed) throw new Error(`${name}.loadStateDict: state '${k}' of parameter ${id} was disposed`);
        if (v.shape.join() !== p.shape.join()) {
          throw new Error(`${name}.loadStateDict: state '${k}' of parameter ${id} has shape [${v.shape}], the parameter [${p.shape}]`);
        }
      }
    }
    // Validated: copy first (the source may be this optimizer's own state), then replace.
    const loaded = new Map<Tensor, ParamState>();
    for (const [id, s] of Object.entries(sd.state)) {
      const p = byId.get(Number(id))!;
      const ns: ParamState = {};
      for (const [k, v] of Object.entries(s)) {
        if (k === 'step') ns[k] = v instanceof Tensor ? v.item() : v;
        else if (v instanceof Tensor) ns[k] = torch.noGrad(() => v.to({ dtype: p.dtype, device: p.device, copy: true })).keep();
        else ns[k] = v;
      }
      loaded.set(p, ns);
    }
    this.disposeState();
    for (const [p, ns] of loaded) this.state.set(p, ns);
    sd.paramGroups.forEach((sg, gi) => {
      const own = this.paramGroups[gi]!;
      const { params: _, ...hyper } = sg;
      Object.assign(own, cloneHyper(hyper));
    });
  }

  private disposeState(): void {
    for (const s of this.state.values()) for (const v of Object.values(s)) if (v instanceof Tensor) v.dispose();
    this.state.clear();
  }

  /** Frees the optimizer's state tensors (not the parameters). */
  dispose(): void {
    this.disposeState();
  }
}

/** Throws for an option key the optimizer does not have (a misspelled `lR` must not silently keep the default). */
export function checkOptionKeys(options: object, allowed: readonly string[], what: string): void {
  for (const k of Object.keys(options)) {
    if (!allowed.includes(k)) throw new TypeError(`${what}: unknown option '${k}'; options: ${allowed.join(', ')}`);
  }
}

function cloneHyper<T extends object>(h: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(h)) out[k] = Array.isArray(v) ? [...v] : v;
  return out as T;
}

/** Increments and returns the step counts of ps (state 'step', a number). */
export function bumpSteps(opt: { state: Map<Tensor, ParamState> }, ps: Tensor[]): number[] {
  return ps.map((p) => {
    const s = opt.state.get(p)!;
    const n = ((s.step as number | undefined) ?? 0) + 1;
    s.step = n;
    return n;
  });
}
