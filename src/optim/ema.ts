/** Exponential moving average of a model's parameters (diffusion models sample with it). */
import { torch, Tensor } from '../tensor/index.ts';
import type { Module } from '../nn/module.ts';

export interface EMAOptions {
  /** Target decay (default 0.9999). */
  decay?: number;
  /** Use decay_t = min(decay, (1 + t) / (10 + t)) at update t = 0, 1, ... (default true). */
  warmup?: boolean;
  /** Also track floating buffers (BatchNorm running statistics), default false. */
  includeBuffers?: boolean;
}

export interface EMAStateDict {
  decay: number;
  step: number;
  shadow: Record<string, Tensor>;
}

/**
 * Kept shadow copies of a module's parameters, updated by shadow = d shadow + (1 - d) param with
 * two foreach calls per update. copyTo(model) writes them into the model; swap(model) exchanges
 * them (swap again to restore the training weights).
 */
export class EMA {
  readonly decay: number;
  readonly warmup: boolean;
  /** Updates done so far. */
  step = 0;
  readonly names: string[];
  readonly shadow: Tensor[];
  private readonly includeBuffers: boolean;

  constructor(model: Module, options: EMAOptions = {}) {
    this.decay = options.decay ?? 0.9999;
    this.warmup = options.warmup ?? true;
    this.includeBuffers = options.includeBuffers ?? false;
    if (!(this.decay >= 0 && this.decay <= 1)) throw new RangeError(`EMA: decay must be in [0, 1], got ${this.decay}`);
    const tracked = this.tracked(model);
    this.names = tracked.map(([n]) => n);
    // In its own scope: the detach() views are temporaries; only the kept clones leave it.
    this.shadow = torch.scope(() => torch.noGrad(() => tracked.map(([, t]) => t.detach().clone().keep())));
  }

  private tracked(model: Module): [string, Tensor][] {
    const ps = model.namedParameters();
    if (!this.includeBuffers) return ps;
    const fl = new Set(['float32', 'float64', 'float16', 'bfloat16']);
    return [...ps, ...model.namedBuffers().filter(([, b]) => fl.has(b.dtype))];
  }

  private tensorsOf(model: Module): Tensor[] {
    const byName = new Map(this.tracked(model));
    return this.names.map((n) => {
      const t = byName.get(n);
      if (!t) throw new Error(`EMA: the model has no '${n}'`);
      return t;
    });
  }

  /** The decay the next update will use. */
  currentDecay(): number {
    return this.warmup ? Math.min(this.decay, (1 + this.step) / (10 + this.step)) : this.decay;
  }

  /** shadow = d shadow + (1 - d) model (d = currentDecay()); then step += 1. */
  update(model: Module): void {
    const d = this.currentDecay();
    const ts = this.tensorsOf(model);
    torch.scope(() =>
      torch.noGrad(() => {
        torch._foreachMul_(this.shadow, d);
        torch._foreachAdd_(this.shadow, ts, { alpha: 1 - d });
      }),
    );
    this.step++;
  }

  /** Writes the averaged weights into the model. */
  copyTo(model: Module): void {
    const ts = this.tensorsOf(model);
    torch.noGrad(() => ts.forEach((t, i) => t.copy_(this.shadow[i]!)));
  }

  /** Exchanges the model's weights and the averaged ones (call twice to restore). */
  swap(model: Module): void {
    const ts = this.tensorsOf(model);
    torch.scope(() =>
      torch.noGrad(() =>
        ts.forEach((t, i) => {
          const tmp = t.clone();
          t.copy_(this.shadow[i]!);
          this.shadow[i]!.copy_(tmp);
        }),
      ),
    );
  }

  /** Decay, step and the shadow tensors by parameter name (the EMA's own tensors: don't dispose). */
  stateDict(): EMAStateDict {
    const shadow: Record<string, Tensor> = {};
    this.names.forEach((n, i) => (shadow[n] = this.shadow[i]!));
    return { decay: this.decay, step: this.step, shadow };
  }

  /** Copies shadow values and the step count from a state dict (names and shapes must match). */
  loadStateDict(sd: EMAStateDict): void {
    const missing = this.names.filter((n) => !(n in sd.shadow));
    const unexpected = Object.keys(sd.shadow).filter((n) => !this.names.includes(n));
    if (missing.length || unexpected.length) {
      throw new Error(`EMA.loadStateDict: missing ${JSON.stringify(missing)}, unexpected ${JSON.stringify(unexpected)}`);
    }
    this.names.forEach((n, i) => {
      const a = this.shadow[i]!, b = sd.shadow[n]!;
      if (a.shape.join() !== b.shape.join()) throw new Error(`EMA.loadStateDict: '${n}' has shape [${b.shape}], expected [${a.shape}]`);
    });
    torch.noGrad(() => this.names.forEach((n, i) => this.shadow[i]!.copy_(sd.shadow[n]!)));
    this.step = sd.step;
  }

  /** Frees the shadow tensors. */
  dispose(): void {
    for (const t of this.shadow) t.dispose();
  }
}
