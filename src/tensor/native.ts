/**
 * Loads the native core (native/build/Release/genlab.node). Before the first load, BLAS thread pools
 * are pinned to one thread unless the user chose otherwise: ATen parallelizes around BLAS calls with
 * its own OpenMP pool, and two pools on the same cores oversubscribe them (measured: 4x slower steps).
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

for (const k of ['OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS', 'BLIS_NUM_THREADS', 'VECLIB_MAXIMUM_THREADS']) {
  if (process.env[k] === undefined) process.env[k] = '1';
}

/** The raw native API. Internal: use `torch` and `Tensor`. Tensor handles are numbers. */
export interface NativeCore {
  call(op: number, ...args: unknown[]): unknown;
  lookupOps(names: string[]): number[];
  opInfo(id: number): { name: string; schema: string; args: unknown[]; returns: string[]; aliasReturnArg: number };
  allSchemas(): string[];
  dispose(...handles: number[]): void;
  disposeArray(handles: number[]): void;
  memory(): { tensors: number; bytes: number };
  /** A GC guard for a handle: once collected, the handle is queued for drainCollected (native/src/guard.cc). */
  guard(h: number): object;
  drainCollected(): number;
  setCollectedFlag(flag: Int32Array): void;
  shape(h: number): number[];
  strides(h: number): number[];
  dim(h: number): number;
  numel(h: number): number;
  dtype(h: number): number;
  device(h: number): string;
  isContiguous(h: number, channelsLast?: boolean): boolean;
  fromBuffer(data: ArrayBufferView, shape: number[], dtype: number): number;
  toBuffer(h: number): ArrayBuffer;
  manualSeed(seed: number): void;
  newGenerator(seed?: number, device?: string): object;
  generatorSeed(g: object, seed?: number): number;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  cudaDeviceCount(): number;
  setGradEnabled(on: boolean): void;
  isGradEnabled(): boolean;
  withInferenceMode<T>(fn: () => T): T;
  setCustomFunctionDispatcher(fn: (id: number, grads: number[]) => (number | null)[]): void;
  customFunction(id: number, name: string, inputs: number[], outputs: number[]): number[];
  customFunctionReleased(): number[];
  buildInfo(): { torchVersion: string; cuda: boolean; parallelInfo: string; config: string };
  backward(tensors: number[], grads: (number | null)[] | null, retainGraph: boolean, createGraph: boolean, inputs: number[] | null): void;
  grad(outputs: number[], inputs: number[], gradOutputs: (number | null)[] | null, retainGraph: boolean | null, createGraph: boolean, allowUnused: boolean): (number | null)[];
  getGrad(h: number): number | null;
  setGrad(h: number, g: number | null): void;
  requiresGrad(h: number): boolean;
  setRequiresGrad(h: number, on: boolean): void;
  isLeaf(h: number): boolean;
  gradFnName(h: number): string | null;
  retainGrad(h: number): void;
  // per-operator profiler (native/src/profiler.cc)
  profilerStart(recordShapes: boolean): void;
  profilerStop(): { wallUs: number; opUs: number; events: { name: string; shapes: string; count: number; totalUs: number; selfUs: number }[] };
  profilerRangePush(name: string): void;
  profilerRangePop(): void;
  // distributed (c10d): see native/src/distributed.cc and src/train/distributed/
  distAvailable(): { gloo: boolean; nccl: boolean };
  distNewGroup?(o: { host: string; port: number; rank: number; worldSize: number; timeoutMs: number; localAddr?: string; iface?: string; prefix?: string }): Promise<object>;
  distCollective?(group: object, kind: string, tensors: number[], o?: { op?: string; root?: number; timeoutMs?: number }): Promise<number[] | undefined>;
  distGroupInfo?(group: object): { rank: number; worldSize: number; backend: string; timeoutMs: number; broken: string | null };
  distDestroyGroup?(group: object): void;
  distReducer?(group: object, params: number[], o: { bucketCapMB?: number; firstBucketCapMB?: number; findUnused?: boolean; names?: string[] }): { handle: object; buckets: number };
  distReducerPrepare?(reducer: object, outputs: number[]): void;
  distReducerMarkBroken?(reducer: object, why: string): void;
}

const root = join(fileURLToPath(import.meta.url), '..', '..', '..');
const addonPath = process.env.GENLAB_ADDON ?? join(root, 'native', 'build', 'Release', 'genlab.node');

function load(): NativeCore {
  if (!existsSync(addonPath)) {
    throw new Error(
      `genlab: the native core is not built (${addonPath} is missing). Run 'npm install' (or 'npm run build:native') ` +
        `in ${root}; it needs libtorch: 'apt-get install libtorch-dev' on Debian/Ubuntu, or LIBTORCH=/path/to/libtorch.`,
    );
  }
  const require = createRequire(import.meta.url);
  return require(addonPath) as NativeCore;
}

export const N: NativeCore = load();
