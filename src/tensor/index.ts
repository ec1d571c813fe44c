export { torch, type Torch } from './torch.ts';
export { Tensor, type BackwardOptions, type ToOptions } from './tensor.ts';
export { Generator } from './generator.ts';
export { scope, noGrad, enableGrad } from './scope.ts';
export { Function as AutogradFunction, FunctionCtx } from './function.ts';
export type { DType, DeviceLike, MemoryFormat } from './dtype.ts';
export type { TensorOptions } from './creation.ts';
