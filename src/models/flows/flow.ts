/**
 * A normalizing flow: a base distribution plus a list of bijectors. `forward` runs the bijectors in
 * order (data -> noise), `inverse` in reverse order (noise -> data):
 *   log p(x) = log p_base(f(x)) + Σ log|det ∂f_k|,   samples x = f⁻¹(z), z ~ p_base.
 */
import { torch, type Tensor } from '../../tensor/index.ts';
import { Module } from '../../nn/module.ts';
import type { BaseDistribution } from './base.ts';
import type { Bijector } from './bijector.ts';

export interface SampleOptions {
  /** Scales the base standard deviation (Glow's temperature; 1 = the model's distribution). */
  temperature?: number;
  context?: Tensor;
}

export class Flow extends Module {
  /** The bijectors are registered as children '0', '1', ... (state dict keys '3.net.w0', ...). */
  constructor(readonly base: BaseDistribution, readonly bijectors: Bijector[]) {
    super();
    bijectors.forEach((b, i) => this.registerModule(String(i), b));
  }

  /** x -> z with the summed log-determinant. */
  forward(x: Tensor, context?: Tensor): { z: Tensor; logDet: Tensor } {
    let h = x;
    let logDet: Tensor | null = null;
    for (const b of this.bijectors) {
      // Each layer in its own scope: its temporaries are freed as soon as it returns (autograd keeps
      // what backward needs), so memory is reused while hot, as in PyTorch.
      const r = torch.scope(() => b.forward(h, context));
      h = r.y;
      logDet = logDet ? logDet.add(r.logDet) : r.logDet;
    }
    return { z: h, logDet: logDet ?? torch.zeros([x.size(0)], { dtype: x.dtype, device: x.device }) };
  }

  /** z -> x with the summed log|det ∂x/∂z|. */
  inverse(z: Tensor, context?: Tensor): { x: Tensor; logDet: Tensor } {
    let h = z;
    let logDet: Tensor | null = null;
    for (let i = this.bijectors.length - 1; i >= 0; i--) {
      const r = this.bijectors[i]!.inverse(h, context);
      h = r.x;
      logDet = logDet ? logDet.add(r.logDet) : r.logDet;
    }
    return { x: h, logDet: logDet ?? torch.zeros([z.size(0)], { dtype: z.dtype, device: z.device }) };
  }

  /** log density of each example, shape [B]. */
  logProb(x: Tensor, context?: Tensor): Tensor {
    const { z, logDet } = this.forward(x, context);
    return this.base.logProb(z).add(logDet);
  }

  /** The device of the flow's parameters (where base samples are drawn), 'cpu' for a flow without any. */
  device(): string {
    return this.parameters()[0]?.device ?? 'cpu';
  }

  /** n samples from the model (temperature < 1 gives Glow's reduced-temperature samples). */
  sample(n: number, options: SampleOptions = {}): Tensor {
    const z = this.onParamDevice(this.base.sample(n, { temperature: options.temperature ?? 1 }));
    return this.inverse(z, options.context).x;
  }

  /**
   * Reparameterized samples with their log density (for variational inference, KL(q||p)):
   * log q(x) = log p_base(z) - log|det ∂x/∂z|.
   */
  sampleWithLogProb(n: number, options: SampleOptions = {}): { x: Tensor; logProb: Tensor } {
    const z = this.onParamDevice(this.base.sample(n, { temperature: options.temperature ?? 1 }));
    const { x, logDet } = this.inverse(z, options.context);
    return { x, logProb: this.base.logProb(z).sub(logDet) };
  }

  /** Base samples (drawn on the CPU) moved to the device of the flow's parameters (a CUDA run). */
  private onParamDevice(z: Tensor): Tensor {
    const p = this.parameters()[0];
    return p && p.device !== z.device ? z.to(p.device) : z;
  }

  /** x and its image after each bijector (length bijectors + 1), for trajectory pictures. */
  forwardAll(x: Tensor, context?: Tensor): Tensor[] {
    const out = [x];
    for (const b of this.bijectors) out.push(b.forward(out[out.length - 1]!, context).y);
    return out;
  }

  /** z and its image after each inverse step (length bijectors + 1): samples through the layers. */
  inverseAll(z: Tensor, context?: Tensor): Tensor[] {
    const out = [z];
    for (let i = this.bijectors.length - 1; i >= 0; i--) out.push(this.bijectors[i]!.inverse(out[out.length - 1]!, context).x);
    return out;
  }
}
