/** Making tensors from JS data. */
import { N } from './native.ts';
import { Tensor } from './tensor.ts';
import { DTYPE_CODE, checkDType, dtypeOfTypedArray, type DType } from './dtype.ts';

export interface TensorOptions {
  dtype?: DType;
  device?: string;
  requiresGrad?: boolean;
}

type Nested = number | boolean | bigint | Nested[];

/** Value ranges of the integer dtypes (int64 as bigint). */
const INT_RANGE: Partial<Record<DType, [bigint, bigint]>> = {
  uint8: [0n, 255n], int8: [-128n, 127n], int16: [-32768n, 32767n], int32: [-2147483648n, 2147483647n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
};

/**
 * An element converted for an integer dtype: truncated toward zero as PyTorch does, but a value the
 * dtype cannot hold (300 for uint8, NaN, 1e20 for int64) is an error naming the value and the dtype.
 */
function toInteger(x: number | boolean | bigint, dtype: DType, what: string, at: () => string): bigint {
  if (typeof x === 'boolean') return x ? 1n : 0n;
  if (typeof x === 'number' && !Number.isFinite(x)) throw new RangeError(`${what}: ${at()} is ${x}, which ${dtype} cannot hold`);
  const v = typeof x === 'bigint' ? x : BigInt(Math.trunc(x));
  const [lo, hi] = INT_RANGE[dtype]!;
  if (v < lo || v > hi) throw new RangeError(`${what}: ${at()} is ${typeof x === 'bigint' ? `${x}n` : x}, out of range for ${dtype} [${lo}, ${hi}]`);
  return v;
}

/** Checks a shape given by the user: an array of non-negative integers. */
export function checkShape(shape: unknown, what: string): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    throw new TypeError(`${what}: shape must be an array of non-negative integers, got ${JSON.stringify(shape) ?? String(shape)}`);
  }
  return shape as number[];
}

function inferShape(data: Nested): number[] {
  const shape: number[] = [];
  let cur: Nested = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0] as Nested;
    if (cur === undefined) break;
  }
  return shape;
}

function flatten(data: Nested, shape: number[], d: number, out: (number | boolean | bigint)[], path: string): void {
  if (d === shape.length) {
    if (Array.isArray(data)) throw new TypeError(`torch.tensor: ragged nested array at ${path} (expected a number)`);
    if (typeof data !== 'number' && typeof data !== 'boolean' && typeof data !== 'bigint') {
      throw new TypeError(`torch.tensor: element at ${path} is ${typeof data === 'string' ? `the string ${JSON.stringify(data)}` : typeof data}, expected a number or boolean`);
    }
    out.push(data);
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[d]) {
    throw new TypeError(`torch.tensor: ragged nested array at ${path}: expected ${shape[d]} elements, got ${Array.isArray(data) ? data.length : typeof data}`);
  }
  for (let i = 0; i < data.length; i++) flatten(data[i]!, shape, d + 1, out, `${path}[${i}]`);
}

function finish(t: Tensor, options: TensorOptions): Tensor {
  let r = t;
  if (options.device && options.device !== 'cpu') {
    r = t.to(options.device);
    t.dispose();
  }
  if (options.requiresGrad) r.requiresGrad_(true);
  return r;
}

/**
 * torch.tensor(data, { dtype, device, requiresGrad }): a new tensor holding a copy of data —
 * a number, boolean, nested arrays, or a typed array (then pass { shape } or get a 1-d tensor).
 * JS numbers make float32 unless dtype says otherwise (JS has no separate integer literals).
 */
export function tensor(data: Nested | ArrayBufferView, options: TensorOptions & { shape?: number[] } = {}): Tensor {
  if (typeof options !== 'object' || options === null) throw new TypeError(`torch.tensor: options must be an object { dtype, device, requiresGrad, shape }, got ${String(options)}`);
  for (const k of Object.keys(options)) {
    if (!['dtype', 'device', 'requiresGrad', 'shape'].includes(k)) throw new TypeError(`torch.tensor: unknown option '${k}'; options: dtype, device, requiresGrad, shape`);
  }
  if (ArrayBuffer.isView(data)) {
    return fromTypedArray(data, options.shape ?? [(data as unknown as { length: number }).length], options);
  }
  if (data === undefined || data === null || typeof data === 'string' || (typeof data === 'object' && !Array.isArray(data))) {
    throw new TypeError(`torch.tensor: data must be a number, boolean, nested array or typed array, got ${data === null ? 'null' : typeof data === 'string' ? `the string ${JSON.stringify(data)}` : typeof data}`);
  }
  const shape = inferShape(data as Nested);
  if (options.shape !== undefined) throw new TypeError('torch.tensor: { shape } applies to typed-array data only; nested arrays carry their own shape');
  const flat: (number | boolean | bigint)[] = [];
  flatten(data as Nested, shape, 0, flat, 'data');
  const isBool = flat.length > 0 && flat.every((x) => typeof x === 'boolean');
  const hasBig = flat.some((x) => typeof x === 'bigint');
  const dtype = options.dtype ? checkDType(options.dtype, 'torch.tensor') : isBool ? 'bool' : hasBig ? 'int64' : 'float32';
  const at = (i: number) => () => `element ${i}${shape.length > 1 ? ` (flat index)` : ''}`;
  const int = (x: number | boolean | bigint, i: number) => toInteger(x, dtype, 'torch.tensor', at(i));
  const num = (x: number | boolean | bigint): number => Number(x);
  let buf: ArrayBufferView;
  switch (dtype) {
    case 'float64': buf = Float64Array.from(flat, num); break;
    case 'int64': buf = BigInt64Array.from(flat, int); break;
    case 'int32': buf = Int32Array.from(flat, (x, i) => Number(int(x, i))); break;
    case 'int16': buf = Int16Array.from(flat, (x, i) => Number(int(x, i))); break;
    case 'int8': buf = Int8Array.from(flat, (x, i) => Number(int(x, i))); break;
    case 'uint8': buf = Uint8Array.from(flat, (x, i) => Number(int(x, i))); break;
    case 'bool': buf = Uint8Array.from(flat, (x) => (x ? 1 : 0)); break;
    default: buf = Float32Array.from(flat, num);
  }
  const srcDtype: DType = dtype === 'float32' || dtype === 'float16' || dtype === 'bfloat16' || dtype.startsWith('complex') ? 'float32' : dtype;
  let t = new Tensor(N.fromBuffer(buf, shape, DTYPE_CODE[srcDtype]));
  if (srcDtype !== dtype) {
    const c = t.to(dtype);
    t.dispose();
    t = c;
  }
  return finish(t, options);
}

/** A tensor with a copy of a typed array's elements, in the given shape. */
export function fromTypedArray(data: ArrayBufferView, shape: number[], options: TensorOptions = {}): Tensor {
  if (!ArrayBuffer.isView(data)) throw new TypeError(`fromTypedArray: data must be a typed array, got ${data === null ? 'null' : typeof data}`);
  checkShape(shape, 'fromTypedArray');
  const src = dtypeOfTypedArray(data);
  const n = shape.reduce((a, b) => a * b, 1);
  const len = (data as unknown as { length: number }).length;
  if (n !== len) throw new RangeError(`fromTypedArray: shape [${shape.join(', ')}] holds ${n} elements but the array has ${len}`);
  let t = new Tensor(N.fromBuffer(data, shape, DTYPE_CODE[src]));
  if (options.dtype && options.dtype !== src) {
    const c = t.to(checkDType(options.dtype, 'fromTypedArray'));
    t.dispose();
    t = c;
  }
  return finish(t, options);
}
