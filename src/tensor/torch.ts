/** The `torch` namespace: PyTorch's names for genlab's tensor engine. */
import { N } from './native.ts';
import { Tensor } from './tensor.ts';
import { Generator, checkSeed } from './generator.ts';
import { torchFns, linalgFns, specialFns, aten, type TorchOps, type LinalgOps, type SpecialOps } from './ops.ts';
import { scope, noGrad, enableGrad, isGradEnabled, resyncGradMode, currentContext, syncGradMode, tensorsIn } from './scope.ts';
import { grad, backward } from './autograd.ts';
import { Function, FunctionCtx, collectReleased } from './function.ts';
import { tensor, fromTypedArray } from './creation.ts';
import { DTYPE_CODE, type DType } from './dtype.ts';
import { profiler } from './profiler.ts';
import { backends } from './conv-layout.ts';

/** Runs a synchronous fn under libtorch's inference mode (no autograd, no version counting). */
function inferenceMode<T>(fn: () => T): T {
  checkFunction(fn, 'torch.inferenceMode');
  return noGrad(() => {
    syncGradMode(currentContext());
    try {
      const r = N.withInferenceMode(fn);
      if (r instanceof Promise) throw new TypeError('torch.inferenceMode takes a synchronous function; use torch.noGrad for async code');
      return r;
    } finally {
      resyncGradMode();
    }
  });
}

function checkFunction(fn: unknown, what: string): void {
  if (typeof fn !== 'function') throw new TypeError(`${what} takes a function, got ${fn === null ? 'null' : typeof fn === 'object' ? 'an object' : `${typeof fn} ${String(fn)}`}`);
}

function manualSeed(seed: number): void {
  N.manualSeed(checkSeed(seed, 'torch.manualSeed'));
}

function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`torch.setNumThreads: need an integer >= 1, got ${n}`);
  N.setNumThreads(n);
}

/** Frees every tensor in a value (tensors, arrays and plain objects of them). */
function dispose(...values: unknown[]): void {
  for (const t of tensorsIn(values)) (t as Tensor).dispose();
}

const extras = {
  Tensor,
  Generator,
  tensor,
  fromTypedArray,
  scope,
  noGrad,
  enableGrad,
  inferenceMode,
  isGradEnabled,
  autograd: { grad, backward, Function, FunctionCtx },
  /** Per-operator CPU time: torch.profiler.profile(fn, { recordShapes }) (see profiler.ts). */
  profiler,
  /** Engine choices: backends.convChannelsLast (CPU conv2d in channels_last; see conv-layout.ts), backends.convTransposeOneDnn (CPU convTranspose2d through oneDNN; see conv-transpose.ts). */
  backends,
  manualSeed,
  setNumThreads,
  getNumThreads: (): number => N.getNumThreads(),
  /** Live tensors and the bytes of their distinct storages, in this JS thread. */
  memory: (): { tensors: number; bytes: number } => {
    collectReleased(); // saved tensors of custom-Function nodes whose graph is gone
    return N.memory();
  },
  dispose,
  cuda: {
    isAvailable: (): boolean => N.cudaDeviceCount() > 0,
    deviceCount: (): number => N.cudaDeviceCount(),
  },
  linalg: linalgFns as unknown as LinalgOps,
  special: specialFns as unknown as SpecialOps,
  ops: { aten },
  dtypes: Object.keys(DTYPE_CODE) as DType[],
  /** libtorch version and build facts. */
  buildInfo: () => N.buildInfo(),
  isTensor: (x: unknown): x is Tensor => x instanceof Tensor,
};

export type Torch = Omit<TorchOps, keyof typeof extras> & typeof extras;
export const torch: Torch = Object.assign(Object.create(null), torchFns, extras) as Torch;

const threads = process.env.GENLAB_NUM_THREADS;
if (threads) setNumThreads(Number(threads));
