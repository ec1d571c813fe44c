/** Data types and devices, with PyTorch's names. Codes are c10::ScalarType's. */
export type DType =
  | 'float32' | 'float64' | 'float16' | 'bfloat16'
  | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool'
  | 'complex64' | 'complex128';
export type MemoryFormat = 'contiguous_format' | 'channels_last' | 'preserve_format';
/** 'cpu', 'cuda', 'cuda:1', ... */
export type DeviceLike = string;

export const DTYPE_CODE: Record<DType, number> = {
  uint8: 0, int8: 1, int16: 2, int32: 3, int64: 4, float16: 5, float32: 6, float64: 7,
  complex64: 9, complex128: 10, bool: 11, bfloat16: 15,
};
const BY_CODE: DType[] = [];
for (const [k, v] of Object.entries(DTYPE_CODE)) BY_CODE[v] = k as DType;

export function dtypeFromCode(code: number): DType {
  const d = BY_CODE[code];
  if (!d) throw new Error(`genlab: unsupported dtype code ${code}`);
  return d;
}

export function isDType(s: unknown): s is DType {
  return typeof s === 'string' && s in DTYPE_CODE;
}

export function checkDType(s: unknown, what = 'dtype'): DType {
  if (!isDType(s)) throw new TypeError(`${what}: unknown dtype ${JSON.stringify(s)}; use one of ${Object.keys(DTYPE_CODE).join(', ')}`);
  return s;
}

export const isFloating = (d: DType): boolean => d === 'float32' || d === 'float64' || d === 'float16' || d === 'bfloat16';

/** Typed-array class holding each dtype's elements as toTypedArray returns them. */
export type TypedArrayFor = Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array | BigInt64Array;

export function typedArrayOf(buf: ArrayBuffer, dtype: DType): TypedArrayFor {
  switch (dtype) {
    case 'float32': case 'float16': case 'bfloat16': return new Float32Array(buf);
    case 'float64': return new Float64Array(buf);
    case 'int64': return new BigInt64Array(buf);
    case 'int32': return new Int32Array(buf);
    case 'int16': return new Int16Array(buf);
    case 'int8': return new Int8Array(buf);
    case 'uint8': case 'bool': return new Uint8Array(buf);
    case 'complex64': return new Float32Array(buf);
    case 'complex128': return new Float64Array(buf);
  }
}

export function dtypeOfTypedArray(a: ArrayBufferView): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Uint8Array || a instanceof Uint8ClampedArray) return 'uint8';
  throw new TypeError(`genlab: unsupported typed array ${a.constructor.name}`);
}
