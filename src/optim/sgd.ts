/** Stochastic gradient descent with momentum, Nesterov and weight decay (torch.optim.SGD). */
import { torch, type Tensor } from '../tensor/index.ts';
import { Optimizer, checkOptionKeys, type Params, type ParamGroup } from './optimizer.ts';

export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

/**
 * g += weightDecay p; buf = momentum buf + (1 - dampening) g (buf = g at the first step);
 * g = nesterov ? g + momentum buf : buf; p -= lr g. State: momentum_buffer.
 * Unlike PyTorch's nesterov path, the parameters' .grad are never modified.
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: Params<SGDOptions>, options: Partial<SGDOptions> & { lr: number }) {
    const o: SGDOptions = { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, ...options };
    checkOptionKeys(options, ['lr', 'momentum', 'dampening', 'weightDecay', 'nesterov', 'maximize'], 'SGD');
    if (!(o.lr >= 0)) throw new RangeError(`SGD: invalid learning rate ${o.lr}`);
    if (!(o.momentum >= 0)) throw new RangeError(`SGD: invalid momentum ${o.momentum}`);
    if (!(o.weightDecay >= 0)) throw new RangeError(`SGD: invalid weightDecay ${o.weightDecay}`);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) throw new RangeError('SGD: Nesterov momentum needs momentum > 0 and dampening 0');
    super(params, o);
  }

  protected updateGroup(g: ParamGroup<SGDOptions>, ps: Tensor[], grads: Tensor[]): void {
    let gs = g.maximize ? torch._foreachNeg(grads) : grads;
    if (g.weightDecay !== 0) gs = torch._foreachAdd(gs, ps, { alpha: g.weightDecay });
    if (g.momentum !== 0) {
      const old: Tensor[] = [];
      const oldG: Tensor[] = [];
      const bufs: Tensor[] = [];
      ps.forEach((p, i) => {
        const s = this.stateOf(p);
        if (s.momentum_buffer === undefined) {
          s.momentum_buffer = gs[i]!.clone().keep();
        } else {
          old.push(s.momentum_buffer as Tensor);
          oldG.push(gs[i]!);
        }
        bufs.push(s.momentum_buffer as Tensor);
      });
      if (old.length) {
        torch._foreachMul_(old, g.momentum);
        torch._foreachAdd_(old, oldG, { alpha: 1 - g.dampening });
      }
      gs = g.nesterov ? torch._foreachAdd(gs, bufs, { alpha: g.momentum }) : bufs;
    }
    torch._foreachAdd_(ps, gs, { alpha: -g.lr });
  }
}
