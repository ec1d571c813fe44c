/** Adam and AdamW with PyTorch's exact update (torch.optim, multi-tensor form). */
import { torch, type Tensor } from '../tensor/index.ts';
import { Optimizer, bumpSteps, checkOptionKeys, type Params, type ParamGroup } from './optimizer.ts';

export interface AdamOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

const foreachMaximum_ = (a: Tensor[], b: Tensor[]): void => {
  const f = torch.ops.aten._foreach_maximum_;
  if (!f) throw new Error('Adam(amsgrad): this libtorch has no _foreach_maximum_');
  f(a, b);
};

function check(o: AdamOptions, name: string): void {
  if (!(o.lr >= 0)) throw new RangeError(`${name}: invalid learning rate ${o.lr}`);
  if (!(o.eps >= 0)) throw new RangeError(`${name}: invalid eps ${o.eps}`);
  for (const b of o.betas) if (!(b >= 0 && b < 1)) throw new RangeError(`${name}: invalid beta ${b}`);
  if (!(o.weightDecay >= 0)) throw new RangeError(`${name}: invalid weightDecay ${o.weightDecay}`);
}

/**
 * m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps).
 * Adam adds weightDecay*p to g (L2); AdamW (decoupled) multiplies p by 1 - lr*weightDecay first.
 * State per parameter: exp_avg, exp_avg_sq (max_exp_avg_sq with amsgrad), step.
 */
export class Adam extends Optimizer<AdamOptions> {
  protected decoupled = false;
  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> = {}) {
    const o: AdamOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, ...options };
    checkOptionKeys(options, ['lr', 'betas', 'eps', 'weightDecay', 'amsgrad', 'maximize'], new.target.name);
    check(o, new.target.name);
    super(params, o);
  }

  protected updateGroup(g: ParamGroup<AdamOptions>, ps: Tensor[], grads: Tensor[]): void {
    const [b1, b2] = g.betas;
    const { lr, eps, weightDecay, amsgrad } = g;
    for (const p of ps) {
      const s = this.stateOf(p);
      if (s.exp_avg === undefined) {
        s.step = 0;
        s.exp_avg = torch.zerosLike(p).keep();
        s.exp_avg_sq = torch.zerosLike(p).keep();
      }
      if (amsgrad && s.max_exp_avg_sq === undefined) s.max_exp_avg_sq = torch.zerosLike(p).keep();
    }
    const st = ps.map((p) => this.state.get(p)!);
    const m = st.map((s) => s.exp_avg as Tensor);
    const v = st.map((s) => s.exp_avg_sq as Tensor);
    const steps = bumpSteps(this, ps);
    let gs = g.maximize ? torch._foreachNeg(grads) : grads;
    if (weightDecay !== 0) {
      if (this.decoupled) torch._foreachMul_(ps, 1 - lr * weightDecay);
      else gs = torch._foreachAdd(gs, ps, { alpha: weightDecay });
    }
    torch._foreachMul_(m, b1);
    torch._foreachAdd_(m, gs, { alpha: 1 - b1 });
    torch._foreachMul_(v, b2);
    torch._foreachAddcmul_(v, gs, gs, 1 - b2);
    const stepSize = steps.map((t) => -lr / (1 - b1 ** t));
    const bc2Sqrt = steps.map((t) => Math.sqrt(1 - b2 ** t));
    let denom: Tensor[];
    if (amsgrad) {
      const vmax = st.map((s) => s.max_exp_avg_sq as Tensor);
      foreachMaximum_(vmax, v);
      denom = torch._foreachSqrt(vmax);
    } else {
      denom = torch._foreachSqrt(v);
    }
    torch._foreachDiv_(denom, bc2Sqrt);
    torch._foreachAdd_(denom, eps);
    torch._foreachAddcdiv_(ps, m, denom, stepSize);
  }
}

/** AdamW: Adam with decoupled weight decay (default 1e-2), as torch.optim.AdamW. */
export class AdamW extends Adam {
  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, { weightDecay: 1e-2, ...options });
    this.decoupled = true;
  }
}
