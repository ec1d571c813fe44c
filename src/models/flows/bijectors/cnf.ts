/**
 * Continuous normalizing flow (Chen et al. 2018; FFJORD, Grathwohl et al. 2019) as a bijector:
 * dz/dt = f(t, z) from t = 0 (data) to t = T (noise), and by Liouville's formula
 *   log|det ∂z(T)/∂x| = ∫₀ᵀ tr(∂f/∂z(t)) dt,
 * integrated alongside z as a state tuple [z, Δ]. The trace is exact (D vector-Jacobian products,
 * fine for small D) or Hutchinson's estimator εᵀ(∂f/∂z)ε with one Gaussian ε per solve (unbiased).
 * Training back-propagates through the solver's steps (`gradient: 'backprop'`, the default) or uses the
 * adjoint method (`gradient: 'adjoint'`, Chen et al. 2018, sec. 2): the forward solve keeps no graph,
 * and backward solves the augmented ODE [z, a, g_θ] from T back to 0 with
 *   da/dt = -aᵀ ∂f/∂z - a_Δ ∂tr(∂f/∂z)/∂z,   dg_θ/dt = -aᵀ ∂f/∂θ - a_Δ ∂tr(∂f/∂z)/∂θ,
 * where a(T) = ∂L/∂z(T) and a_Δ = ∂L/∂Δ (constant: the dynamics do not depend on Δ). Memory is then
 * constant in the number of solver steps, at the price of a second solve. The vector field is any
 * module f.forward(z, t) with t a [B, 1] column (an MLP with contextDim 1, by default).
 */
import { torch, type Tensor, FunctionCtx } from '../../../tensor/index.ts';
import type { Module } from '../../../nn/module.ts';
import { odeint, type Method, type SolveStats, type State } from '../../../ode/index.ts';
import { Bijector, type BijectorOptions } from '../bijector.ts';
import { MLP } from '../nets.ts';

export type VectorFieldNet = Module & { forward(z: Tensor, t: Tensor): Tensor };

export interface CNFOptions extends BijectorOptions {
  /** 'exact' (D backward passes) or 'hutchinson' (one, unbiased). Default exact. */
  divergence?: 'exact' | 'hutchinson';
  method?: Method;
  /** Fixed-step count (euler/midpoint/rk4). */
  steps?: number;
  rtol?: number;
  atol?: number;
  /** Integration time T. */
  T?: number;
  /** Hidden widths of the default MLP vector field. */
  hidden?: number[];
  /** How training gets gradients: back-propagation through the solver (default) or the adjoint ODE. */
  gradient?: 'backprop' | 'adjoint';
}

export class CNF extends Bijector {
  readonly net: VectorFieldNet;
  readonly divergence: 'exact' | 'hutchinson';
  readonly options: Required<Pick<CNFOptions, 'method' | 'steps' | 'rtol' | 'atol' | 'T' | 'gradient'>>;
  /** Counts of the last solve. */
  lastStats: SolveStats | null = null;

  constructor(readonly dim: number, net?: VectorFieldNet, options: CNFOptions = {}) {
    super();
    this.net = this.child('net', net ?? (new MLP(dim, dim, { hidden: options.hidden ?? [64, 64], activation: 'tanh', contextDim: 1, zeroInit: false, dtype: options.dtype }) as VectorFieldNet));
    this.divergence = options.divergence ?? 'exact';
    this.options = { method: options.method ?? 'dopri5', steps: options.steps ?? 20, rtol: options.rtol ?? 1e-5, atol: options.atol ?? 1e-5, T: options.T ?? 1, gradient: options.gradient ?? 'backprop' };
    if (this.options.gradient !== 'backprop' && this.options.gradient !== 'adjoint') {
      throw new RangeError(`CNF: gradient must be 'backprop' or 'adjoint', got ${JSON.stringify(options.gradient)}`);
    }
  }

  /** f(t, z) and tr(∂f/∂z) (exact or Hutchinson with the given ε). */
  private dynamics(t: number, z: Tensor, eps: Tensor | null, train: boolean): { dz: Tensor; div: Tensor } {
    return torch.enableGrad(() => {
      const zz = z.requiresGrad ? z : z.detach().requiresGrad_();
      const tt = torch.full([z.size(0), 1], t, { dtype: z.dtype, device: z.device });
      const dz = this.net.forward(zz, tt);
      let div: Tensor;
      if (eps) {
        const [vjp] = torch.autograd.grad(dz, zz, { gradOutputs: eps, createGraph: train });
        div = vjp!.mul(eps).sum(1);
      } else {
        const parts: Tensor[] = [];
        for (let i = 0; i < this.dim; i++) {
          const [g] = torch.autograd.grad(dz.select(1, i).sum(), zz, { createGraph: train, retainGraph: true });
          parts.push(g!.select(1, i));
        }
        div = torch.stack(parts, 1).sum(1);
      }
      return train ? { dz, div } : { dz: dz.detach(), div: div.detach() };
    });
  }

  /** Integrates [z, Δ] from t0 to t1. */
  private integrate(x: Tensor, t0: number, t1: number): { z: Tensor; delta: Tensor } {
    const train = torch.isGradEnabled();
    const eps = this.divergence === 'hutchinson' ? torch.randnLike(x) : null;
    if (train && this.options.gradient === 'adjoint') {
      const params = this.net.parameters().filter((p) => p.requiresGrad);
      const [z, delta] = CNFAdjoint.apply(this, x, eps, t0, t1, ...params) as Tensor[];
      return { z: z!, delta: delta! };
    }
    const f = (t: number, [z]: State): State => {
      const { dz, div } = this.dynamics(t, z!, eps, train);
      return [dz, div];
    };
    const o = this.options;
    const r = odeint(f, [x, torch.zeros([x.size(0)], { dtype: x.dtype, device: x.device })], t0, t1, { method: o.method, steps: o.steps, rtol: o.rtol, atol: o.atol });
    this.lastStats = r.stats;
    return { z: r.y[0]!, delta: r.y[1]! };
  }

  /** Solves [z, Δ] from t0 to t1 without a graph (the adjoint's forward pass). */
  solveNoGraph(x: Tensor, eps: Tensor | null, t0: number, t1: number): { z: Tensor; delta: Tensor } {
    return torch.noGrad(() => {
      const f = (t: number, [z]: State): State => {
        const { dz, div } = this.dynamics(t, z!, eps, false);
        return [dz, div];
      };
      const o = this.options;
      const r = odeint(f, [x, torch.zeros([x.size(0)], { dtype: x.dtype, device: x.device })], t0, t1, { method: o.method, steps: o.steps, rtol: o.rtol, atol: o.atol });
      this.lastStats = r.stats;
      return { z: r.y[0]!, delta: r.y[1]! };
    });
  }

  /**
   * The adjoint ODE, solved from t1 back to t0 from z(t1), a(t1) = ∂L/∂z(t1) and a_Δ = ∂L/∂Δ:
   * returns ∂L/∂x (the adjoint at t0) and ∂L/∂θ for each of `params`.
   */
  adjointBackward(zEnd: Tensor, aEnd: Tensor, aDelta: Tensor, eps: Tensor | null, t0: number, t1: number, params: Tensor[]): { gx: Tensor; gParams: Tensor[] } {
    const f = (t: number, [z, a]: State): State =>
      torch.enableGrad(() => {
        const zz = z!.detach().requiresGrad_();
        const { dz, div } = this.dynamics(t, zz, eps, true);
        // aᵀ f + a_Δ tr(∂f/∂z): its gradients are the vector-Jacobian products the adjoint needs.
        const s = dz.mul(a!).sum().add(div.mul(aDelta).sum());
        const grads = torch.autograd.grad(s, [zz, ...params], { allowUnused: true });
        const vjps = grads.map((g, i) => (g ?? torch.zerosLike(i === 0 ? zz : params[i - 1]!)).neg().detach());
        return [dz.detach(), ...vjps];
      });
    const o = this.options;
    const y0 = [zEnd, aEnd, ...params.map((p) => torch.zerosLike(p))];
    const r = odeint(f, y0, t1, t0, { method: o.method, steps: o.steps, rtol: o.rtol, atol: o.atol });
    this.lastAdjointStats = r.stats;
    return { gx: r.y[1]!, gParams: r.y.slice(2) };
  }

  /** Counts of the last adjoint (backward) solve. */
  lastAdjointStats: SolveStats | null = null;

  forward(x: Tensor) {
    const { z, delta } = this.integrate(x, 0, this.options.T);
    return { y: z, logDet: delta };
  }

  inverse(y: Tensor) {
    const { z, delta } = this.integrate(y, this.options.T, 0);
    return { x: z, logDet: delta };
  }

  /**
   * The state along the ODE at `frames + 1` evenly spaced times, without the log-determinant (for
   * pictures): from t = T (noise y) down to t = 0 (data) by default, or upwards with `forward`.
   * Fixed-step methods split their steps over the segments (at least one per segment).
   */
  trajectory(start: Tensor, frames: number, options: { forward?: boolean } = {}): Tensor[] {
    const T = this.options.T;
    const [a, b] = options.forward ? [0, T] : [T, 0];
    const f = (t: number, [z]: State): State => [
      torch.noGrad(() => this.net.forward(z!, torch.full([z!.size(0), 1], t, { dtype: z!.dtype, device: z!.device }))),
    ];
    const o = this.options;
    const out = [start];
    for (let i = 0; i < frames; i++) {
      const t0 = a + ((b - a) * i) / frames;
      const t1 = a + ((b - a) * (i + 1)) / frames;
      const r = odeint(f, [out[out.length - 1]!], t0, t1, { method: o.method, steps: Math.max(1, Math.ceil(o.steps / frames)), rtol: o.rtol, atol: o.atol });
      out.push(r.y[0]!);
    }
    return out;
  }
}

/**
 * The adjoint method as one autograd node: forward solves without a graph; backward solves the
 * augmented ODE backwards (CNF.adjointBackward). Inputs: the CNF, x, the Hutchinson noise (or null),
 * the time interval, then the vector field's parameters, whose gradients backward returns.
 */
class CNFAdjoint extends torch.autograd.Function {
  static override forward(ctx: FunctionCtx, cnf: CNF, x: Tensor, eps: Tensor | null, t0: number, t1: number, ..._params: Tensor[]) {
    const { z, delta } = cnf.solveNoGraph(x, eps, t0, t1);
    ctx.saveForBackward(z);
    if (eps) ctx.saveForBackward(eps);
    Object.assign(ctx, { cnf, t0, t1, hasEps: eps !== null });
    return [z, delta];
  }

  static override backward(ctx: FunctionCtx, gz: Tensor, gDelta: Tensor) {
    const cnf = ctx.cnf as CNF;
    const [z, eps] = ctx.savedTensors as [Tensor, Tensor | undefined];
    const params = cnf.net.parameters().filter((p) => p.requiresGrad);
    const { gx, gParams } = cnf.adjointBackward(z, gz, gDelta, ctx.hasEps ? eps! : null, ctx.t0 as number, ctx.t1 as number, params);
    return [null, ctx.needsInputGrad[1] ? gx : null, null, null, null, ...gParams];
  }
}
