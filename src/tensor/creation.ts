/** Making tensors from JS data. */
import { N } from './native.ts';
import { Tensor } from './tensor.ts';
import { DTYPE_CODE, checkDType, dtypeOfTypedArray, type DType } from './dtype.ts';

export interface TensorOptions {
  dtype?: DType;
  device?: string;
  requiresGrad?: boolean;
}

type Nested = number | boolean | Nested[];

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

function flatten(data: Nested, shape: number[], d: number, out: (number | boolean)[], path: string): void {
  if (d === shape.length) {
    if (Array.isArray(data)) throw new TypeError(`torch.tensor: ragged nested array at ${path} (expected a number)`);
    if (typeof data !== 'number' && typeof data !== 'boolean') throw new TypeError(`torch.tensor: element at ${path} is ${typeof data}, expected a number or boolean`);
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
  if (ArrayBuffer.isView(data)) {
    return fromTypedArray(data, options.shape ?? [(data as unknown as { length: number }).length], options);
  }
  const shape = inferShape(data as Nested);
  const flat: (number | boolean)[] = [];
  flatten(data as Nested, shape, 0, flat, 'data');
  const isBool = flat.length > 0 && flat.every((x) => typeof x === 'boolean');
  const dtype = options.dtype ? checkDType(options.dtype, 'torch.tensor') : isBool ? 'bool' : 'float32';
  let buf: ArrayBufferView;
  switch (dtype) {
    case 'float64': buf = Float64Array.from(flat, Number); break;
    case 'int64': buf = BigInt64Array.from(flat, (x) => BigInt(Math.trunc(Number(x)))); break;
    case 'int32': buf = Int32Array.from(flat, Number); break;
    case 'int16': buf = Int16Array.from(flat, Number); break;
    case 'int8': buf = Int8Array.from(flat, Number); break;
    case 'uint8': buf = Uint8Array.from(flat, Number); break;
    case 'bool': buf = Uint8Array.from(flat, (x) => (x ? 1 : 0)); break;
    default: buf = Float32Array.from(flat, Number);
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
