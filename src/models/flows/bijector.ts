/**
 * The bijector interface (nflows / TFP style). Convention: `forward` maps data x to noise z
 * ("normalizing" direction) and `inverse` maps noise to data (sampling direction). Each returns the
 * output with the log |det J| of the map it computed, one number per example (shape [B]).
 * A `Flow` (flow.ts) composes bijectors over a base distribution.
 */
import { torch, type Tensor, type DType } from '../../tensor/index.ts';
import { Module } from '../../nn/module.ts';

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
 * context to the coupling's parameters: any nn.Module with such a `forward` (the small nets in nets.ts).
 */
export type Conditioner = Module & { forward(x: Tensor, context?: Tensor): Tensor };

/** Options most bijectors take. */
export interface BijectorOptions {
  /** dtype of the parameters (float32 by default; tests use float64). */
  dtype?: DType;
}

/**
 * Base class: an nn.Module (parameters, buffers and children registered by name, so flows checkpoint
 * and load like any module) with shape inference. Subclasses implement forward and inverse.
 */
export abstract class Bijector extends Module {
  /** Maps x to y (data to noise) with log |det dy/dx| per example. */
  abstract override forward(x: Tensor, context?: Tensor): ForwardResult;
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
  protected param(name: string, t: Tensor): Tensor {
    return this.registerParameter(name, t);
  }
  /** Registers a fixed tensor owned by this bijector (saved in the state dict). */
  protected buffer(name: string, t: Tensor): Tensor {
    return this.registerBuffer(name, t);
  }
  /** Registers a sub-module (conditioner network or inner bijector). */
  protected child<M extends Module>(name: string, m: M): M {
    return this.registerModule(name, m);
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
