/**
 * The bijector interface (nflows / TFP style). Convention: `forward` maps data x to noise z
 * ("normalizing" direction) and `inverse` maps noise to data (sampling direction). Each returns the
 * output with the log |det J| of the map it computed, one number per example (shape [B]).
 * A `Flow` (flow.ts) composes bijectors over a base distribution.
 */
import { torch, type Tensor, type DType } from '../../tensor/index.ts';

export interface ForwardResult {
  y: Tensor;
  /** log |det dy/dx|, shape [B]. */
  logDet: Tensor;
}
export interface InverseResult {
  x: Tensor;
  /** log |det dx/dy|, shape [B] (the negative of the forward logDet at x). */
  logDet: Tensor;
}

/** Anything that owns trainable tensors (a bijector, a conditioner network, an nn.Module). */
export interface HasParameters {
  parameters(): Tensor[];
  dispose?(): void;
}

/**
 * A conditioner network for couplings: maps the conditioning part (masked input) and an optional
 * context to the coupling's parameters. nn.Module subclasses with `forward` fit; so do the small
 * nets in nets.ts.
 */
export interface Conditioner extends HasParameters {
  forward(x: Tensor, context?: Tensor): Tensor;
}

/** Options most bijectors take. */
export interface BijectorOptions {
  /** dtype of the parameters (float32 by default; tests use float64). */
  dtype?: DType;
}

/** Base class: parameter bookkeeping (kept tensors freed by dispose) and shape inference. */
export abstract class Bijector implements HasParameters {
  abstract readonly name: string;
  private readonly ownParams: Tensor[] = [];
  private readonly buffers: Tensor[] = [];
  private readonly children: HasParameters[] = [];

  /** Maps x to y (data to noise) with log |det dy/dx| per example. */
  abstract forward(x: Tensor, context?: Tensor): ForwardResult;
  /** Maps y back to x with log |det dx/dy| per example. */
  abstract inverse(y: Tensor, context?: Tensor): InverseResult;

  /** The per-example output shape for a per-example input shape (identity unless the bijector reshapes). */
  outputShape(shape: number[]): number[] {
    return shape;
  }
  /** The per-example input shape giving this output shape. */
  inputShape(shape: number[]): number[] {
    return shape;
  }

  /** Registers a trainable tensor (kept, requiresGrad). */
  protected param(t: Tensor): Tensor {
    t.requiresGrad_(true).keep();
    this.ownParams.push(t);
    return t;
  }
  /** Registers a fixed tensor owned by this bijector. */
  protected buffer(t: Tensor): Tensor {
    t.keep();
    this.buffers.push(t);
    return t;
  }
  /** Registers a sub-module (conditioner network or inner bijector) whose parameters are ours too. */
  protected child<T extends HasParameters>(m: T): T {
    this.children.push(m);
    return m;
  }

  parameters(): Tensor[] {
    return [...this.ownParams, ...this.children.flatMap((c) => c.parameters())];
  }

  dispose(): void {
    for (const t of this.ownParams) t.dispose();
    for (const t of this.buffers) t.dispose();
    for (const c of this.children) c.dispose?.();
    this.ownParams.length = 0;
    this.buffers.length = 0;
  }
}

/** Sums a per-element log-det tensor over all but the batch dimension. */
export function sumPerExample(t: Tensor): Tensor {
  if (t.dim() === 1) return t;
  return t.flatten(1).sum(1);
}

/** A [B] tensor of zeros matching x's batch size, dtype and device. */
export function zeroLogDet(x: Tensor): Tensor {
  return torch.zeros([x.size(0)], { dtype: x.dtype, device: x.device });
}

/** Product of a shape's entries. */
export function numel(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
