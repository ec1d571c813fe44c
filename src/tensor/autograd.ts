/** torch.autograd: gradients of outputs with respect to inputs, higher order included. */
import { N } from './native.ts';
import { Tensor } from './tensor.ts';
import { currentContext, syncGradMode, resyncGradMode } from './scope.ts';

export interface GradOptions {
  /** Gradients of the outputs (needed for non-scalar outputs). */
  gradOutputs?: (Tensor | null)[] | Tensor;
  /** Keep the graph for another backward pass (defaults to createGraph). */
  retainGraph?: boolean;
  /** Record the gradient computation, for higher-order derivatives. */
  createGraph?: boolean;
  /** Return null for inputs the outputs do not depend on, instead of throwing. */
  allowUnused?: boolean;
}

const list = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);

/** d(outputs)/d(inputs): one gradient per input (null for unused inputs when allowUnused). */
export function grad(outputs: Tensor | Tensor[], inputs: Tensor | Tensor[], options: GradOptions = {}): (Tensor | null)[] {
  syncGradMode(currentContext());
  const go = options.gradOutputs === undefined ? null : list(options.gradOutputs).map((g) => (g ? g._h : null));
  const res = N.grad(
    list(outputs).map((t) => t._h),
    list(inputs).map((t) => t._h),
    go,
    options.retainGraph ?? null,
    options.createGraph ?? false,
    options.allowUnused ?? false,
  );
  resyncGradMode(); // a custom Function's backward may have changed libtorch's grad mode
  return res.map((h) => (h === null ? null : new Tensor(h)));
}

/** Backward pass from several outputs at once. */
export function backward(tensors: Tensor | Tensor[], gradTensors?: (Tensor | null)[] | Tensor | null, options: { retainGraph?: boolean; createGraph?: boolean; inputs?: Tensor[] } = {}): void {
  syncGradMode(currentContext());
  N.backward(
    list(tensors).map((t) => t._h),
    gradTensors ? list(gradTensors).map((g) => (g ? g._h : null)) : null,
    options.retainGraph ?? false,
    options.createGraph ?? false,
    options.inputs ? options.inputs.map((t) => t._h) : null,
  );
  resyncGradMode();
}
