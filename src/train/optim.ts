/**
 * The trainer's view of optimizers and EMA: thin adapters over `src/optim` (Adam, AdamW, SGD, EMA,
 * clipGradNorm_) that name every piece of state after the parameter it belongs to
 * (`<module>.<param>.exp_avg`), so checkpoints are readable and survive reordering of modules,
 * with the non-tensor state (step counts, hyperparameters) as JSON.
 */
import { torch, type Tensor } from '../tensor/index.ts';
import type { Module } from '../nn/index.ts';
import { Adam, AdamW, SGD, EMA, clipGradNorm_, type Optimizer, type OptimizerStateDict, type ParamState } from '../optim/index.ts';
import type { TrainConfig } from './config.ts';

/** Named trainable parameters, in a fixed order. */
export type NamedParams = [string, Tensor][];

/** An optimizer as the Trainer drives it. */
export interface TrainOptimizer {
  /** Learning rate of the next step (the trainer sets it from the schedule). */
  lr: number;
  /** Applies one update from the parameters' .grad. */
  step(): void;
  /** Clears the gradients. */
  zeroGrad(): void;
  /** State tensors by name (saved in checkpoints; the optimizer keeps owning them). */
  stateTensors(): Record<string, Tensor>;
  /** JSON state (step counts, hyperparameters). */
  stateMeta(): Record<string, unknown>;
  /** Restores state saved by stateTensors/stateMeta (values are copied). */
  loadState(tensors: Record<string, Tensor>, meta: Record<string, unknown>): void;
  /** Frees the state tensors. */
  dispose(): void;
}

/** Wraps a torch.optim-style optimizer with one parameter group over `params`. */
export class NamedOptimizer implements TrainOptimizer {
  constructor(
    readonly optimizer: Optimizer<{ lr: number }>,
    private readonly params: NamedParams,
    readonly type: string,
  ) {}
  get lr(): number {
    return this.optimizer.paramGroups[0]!.lr;
  }
  set lr(v: number) {
    for (const g of this.optimizer.paramGroups) g.lr = v;
  }
  step(): void {
    this.optimizer.step();
  }
  zeroGrad(): void {
    this.optimizer.zeroGrad();
  }
  stateTensors(): Record<string, Tensor> {
    const sd = this.optimizer.stateDict();
    const out: Record<string, Tensor> = {};
    for (const [id, s] of Object.entries(sd.state)) {
      const name = this.params[Number(id)]![0];
      for (const [k, v] of Object.entries(s)) if (typeof v !== 'number') out[`${name}.${k}`] = v;
    }
    return out;
  }
  stateMeta(): Record<string, unknown> {
    const sd = this.optimizer.stateDict();
    const numbers: Record<string, Record<string, number>> = {};
    for (const [id, s] of Object.entries(sd.state)) {
      const name = this.params[Number(id)]![0];
      for (const [k, v] of Object.entries(s)) if (typeof v === 'number') (numbers[name] ??= {})[k] = v;
    }
    const groups = sd.paramGroups.map(({ params: _, ...h }) => h);
    return { type: this.type, params: this.params.map(([n]) => n), groups, numbers };
  }
  loadState(tensors: Record<string, Tensor>, meta: Record<string, unknown>): void {
    if (meta.type !== undefined && meta.type !== this.type) {
      throw new Error(`the checkpoint's optimizer is ${String(meta.type)}, this run's is ${this.type}`);
    }
    const numbers = (meta.numbers ?? {}) as Record<string, Record<string, number>>;
    const state: Record<string, ParamState> = {};
    this.params.forEach(([name], i) => {
      const s: ParamState = { ...(numbers[name] ?? {}) };
      const prefix = `${name}.`;
      for (const [k, t] of Object.entries(tensors)) {
        if (k.startsWith(prefix) && !k.slice(prefix.length).includes('.')) s[k.slice(prefix.length)] = t;
      }
      if (Object.keys(s).length) state[String(i)] = s;
    });
    const groups = (meta.groups as Record<string, unknown>[] | undefined) ?? this.optimizer.paramGroups.map(({ params: _, ...h }) => h);
    const sd = {
      state,
      paramGroups: groups.map((h, gi) => ({ ...h, params: this.optimizer.paramGroups[gi]!.params.map((_, k) => k) })),
    } as unknown as OptimizerStateDict<{ lr: number }>;
    this.optimizer.loadStateDict(sd);
  }
  dispose(): void {
    this.optimizer.dispose();
  }
}

/** The optimizer a TrainConfig asks for (Adam by default), over named parameters. */
export function createOptimizer(params: NamedParams, c: TrainConfig): TrainOptimizer {
  const ps = params.map(([, p]) => p);
  if (c.optimizer === 'sgd') return new NamedOptimizer(new SGD(ps, { lr: c.lr, momentum: c.momentum, weightDecay: c.weightDecay }), params, 'sgd');
  const o = { lr: c.lr, betas: c.betas, eps: c.eps, weightDecay: c.weightDecay };
  const opt = c.optimizer === 'adamw' ? new AdamW(ps, o) : new Adam(ps, o);
  return new NamedOptimizer(opt as unknown as Optimizer<{ lr: number }>, params, c.optimizer);
}

/**
 * The global L2 norm of the gradients, clipped in place to maxNorm when maxNorm > 0
 * (torch.nn.utils.clip_grad_norm_). Returns the norm before clipping.
 */
export function clipGradNorm(params: Tensor[], maxNorm: number): number {
  return torch.scope(() => clipGradNorm_(params, maxNorm > 0 ? maxNorm : Infinity).item());
}

/**
 * EMA of several named modules' parameters (one src/optim EMA per module, with its warm-up:
 * decay_t = min(decay, (1 + t) / (10 + t))). State tensors are named `<module>.<param>`.
 */
export class ModulesEMA {
  private readonly emas: [string, Module, EMA][];
  constructor(
    modules: Record<string, Module>,
    readonly decay: number,
  ) {
    // Built inside a scope: EMA's constructor makes temporaries (detach) besides its kept shadows.
    this.emas = torch.scope(() =>
      Object.entries(modules)
        .filter(([, m]) => m.parameters().length > 0)
        .map(([n, m]): [string, Module, EMA] => [n, m, new EMA(m, { decay })]),
    );
  }
  update(): void {
    for (const [, m, e] of this.emas) e.update(m);
  }
  /** Exchanges EMA and live values in place (call again to swap back). */
  swap(): void {
    for (const [, m, e] of this.emas) e.swap(m);
  }
  /** Runs fn with the EMA weights in the modules, then restores the live ones. */
  withAverage<T>(fn: () => T): T {
    this.swap();
    try {
      return fn();
    } finally {
      this.swap();
    }
  }
  stateTensors(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [n, , e] of this.emas) for (const [k, t] of Object.entries(e.stateDict().shadow)) out[`${n}.${k}`] = t;
    return out;
  }
  stateMeta(): Record<string, unknown> {
    return { decay: this.decay, steps: Object.fromEntries(this.emas.map(([n, , e]) => [n, e.step])) };
  }
  loadState(tensors: Record<string, Tensor>, meta: Record<string, unknown>): void {
    const steps = (meta.steps ?? {}) as Record<string, number>;
    for (const [n, , e] of this.emas) {
      const shadow: Record<string, Tensor> = {};
      for (const [k, t] of Object.entries(tensors)) if (k.startsWith(`${n}.`)) shadow[k.slice(n.length + 1)] = t;
      e.loadStateDict({ decay: this.decay, step: steps[n] ?? 0, shadow });
    }
  }
  dispose(): void {
    for (const [, , e] of this.emas) e.dispose();
  }
}

/** One named optimizer per parameter group, seen by the trainer as one TrainOptimizer. */
export class GroupedOptimizer implements TrainOptimizer {
  private base = 0;
  constructor(readonly groups: { name: string; params: NamedParams; lrScale: number; optimizer: TrainOptimizer }[]) {}
  get lr(): number {
    return this.base;
  }
  /** Sets every group's learning rate to lr × its lrScale. */
  set lr(v: number) {
    this.base = v;
    for (const g of this.groups) g.optimizer.lr = v * g.lrScale;
  }
  group(name: string): { name: string; params: NamedParams; lrScale: number; optimizer: TrainOptimizer } {
    const g = this.groups.find((x) => x.name === name);
    if (!g) throw new Error(`no optimizer group '${name}' (groups: ${this.groups.map((x) => x.name).join(', ')})`);
    return g;
  }
  step(): void {
    for (const g of this.groups) g.optimizer.step();
  }
  zeroGrad(): void {
    for (const g of this.groups) g.optimizer.zeroGrad();
  }
  /** Parameter names are unique across groups, so the groups' state tensors merge without prefixes. */
  stateTensors(): Record<string, Tensor> {
    return Object.assign({}, ...this.groups.map((g) => g.optimizer.stateTensors()));
  }
  stateMeta(): Record<string, unknown> {
    return { type: 'groups', groups: Object.fromEntries(this.groups.map((g) => [g.name, g.optimizer.stateMeta()])) };
  }
  loadState(tensors: Record<string, Tensor>, meta: Record<string, unknown>): void {
    if (meta.type !== 'groups') throw new Error(`the checkpoint has one optimizer (${String(meta.type)}); this run's model trains groups ${this.groups.map((g) => g.name).join(', ')}`);
    const metas = (meta.groups ?? {}) as Record<string, Record<string, unknown>>;
    for (const g of this.groups) {
      const m = metas[g.name];
      if (!m) throw new Error(`the checkpoint has no optimizer state for group '${g.name}' (it has: ${Object.keys(metas).join(', ') || 'none'})`);
      g.optimizer.loadState(tensors, m);
    }
  }
  dispose(): void {
    for (const g of this.groups) g.optimizer.dispose();
  }
}

/**
 * The optimizers of a model that declares parameter groups: one per group, each over the named
 * parameters of its modules (`<module>.<param>`), with the group's betas and lr scale. Every
 * trainable parameter must fall in exactly one group.
 */
export function createGroupedOptimizer(
  params: NamedParams,
  specs: { name: string; modules: string[]; lrScale?: number; betas?: [number, number] }[],
  c: TrainConfig,
): GroupedOptimizer {
  const owner = new Map<string, string>();
  for (const s of specs) {
    for (const m of s.modules) {
      if (owner.has(m)) throw new Error(`module '${m}' is in optimizer groups '${owner.get(m)}' and '${s.name}'`);
      owner.set(m, s.name);
    }
  }
  const byGroup = new Map<string, NamedParams>(specs.map((s) => [s.name, []]));
  for (const np of params) {
    const mod = np[0].slice(0, np[0].indexOf('.'));
    const g = owner.get(mod);
    if (!g) throw new Error(`parameter '${np[0]}' belongs to no optimizer group (groups: ${specs.map((s) => `${s.name}=[${s.modules.join(', ')}]`).join(' ')})`);
    byGroup.get(g)!.push(np);
  }
  return new GroupedOptimizer(
    specs.map((s) => {
      const ps = byGroup.get(s.name)!;
      if (ps.length === 0) throw new Error(`optimizer group '${s.name}' has no trainable parameters (modules ${s.modules.join(', ')})`);
      return { name: s.name, params: ps, lrScale: s.lrScale ?? 1, optimizer: createOptimizer(ps, s.betas ? { ...c, betas: s.betas } : c) };
    }),
  );
}
