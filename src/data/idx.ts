/**
 * The IDX format of MNIST-style data sets (LeCun): a 4-byte magic (0, 0, type code, number of
 * dimensions), the dimensions as big-endian uint32, then the data, big-endian. Gzipped files
 * (.gz, detected by their magic bytes) are decompressed.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { torch, type Tensor } from '../tensor/index.ts';

export type IdxArray = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxData {
  /** 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64'. */
  dtype: 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
  shape: number[];
  /** The elements in row-major order, native endianness. */
  data: IdxArray;
}

const TYPES: Record<number, { dtype: IdxData['dtype']; bytes: number }> = {
  0x08: { dtype: 'uint8', bytes: 1 },
  0x09: { dtype: 'int8', bytes: 1 },
  0x0b: { dtype: 'int16', bytes: 2 },
  0x0c: { dtype: 'int32', bytes: 4 },
  0x0d: { dtype: 'float32', bytes: 4 },
  0x0e: { dtype: 'float64', bytes: 8 },
};

/** Parses IDX bytes (already decompressed unless they start with the gzip magic). `name` is used in errors. */
export function parseIdx(bytes: Uint8Array, name = '<buffer>'): IdxData {
  let buf = bytes;
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new Error(`${name}: corrupt or truncated gzip data (${(e as Error).message})`);
    }
  }
  if (buf.length < 4) throw new Error(`${name}: not an IDX file (only ${buf.length} bytes)`);
  if (buf[0] !== 0 || buf[1] !== 0) {
    throw new Error(`${name}: not an IDX file (bad magic ${Array.from(buf.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ')}; expected 00 00 <type> <ndim>)`);
  }
  const type = TYPES[buf[2]!];
  if (!type) throw new Error(`${name}: unknown IDX element type 0x${buf[2]!.toString(16)}`);
  const ndim = buf[3]!;
  if (ndim < 1) throw new Error(`${name}: IDX file with 0 dimensions`);
  const header = 4 + 4 * ndim;
  if (buf.length < header) throw new Error(`${name}: truncated IDX header (${buf.length} bytes, need ${header} for ${ndim} dimensions)`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < ndim; i++) shape.push(view.getUint32(4 + 4 * i, false));
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = header + count * type.bytes;
  if (buf.length < expected) {
    throw new Error(`${name}: truncated IDX data: shape [${shape.join(', ')}] of ${type.dtype} needs ${expected} bytes, the file has ${buf.length}`);
  }
  if (buf.length > expected) throw new Error(`${name}: ${buf.length - expected} unexpected trailing bytes after the IDX data of shape [${shape.join(', ')}]`);
  let data: IdxArray;
  switch (type.dtype) {
    // copies (a Node Buffer's slice() would be a view into a shared pool)
    case 'uint8': data = new Uint8Array(buf.buffer, buf.byteOffset + header, count).slice(); break;
    case 'int8': data = new Int8Array(buf.buffer, buf.byteOffset + header, count).slice(); break;
    default: {
      const Ctor = { int16: Int16Array, int32: Int32Array, float32: Float32Array, float64: Float64Array }[type.dtype];
      const out = new Ctor(count);
      const get = { int16: 'getInt16', int32: 'getInt32', float32: 'getFloat32', float64: 'getFloat64' }[type.dtype] as 'getInt16';
      for (let i = 0; i < count; i++) out[i] = view[get](header + i * type.bytes, false);
      data = out;
    }
  }
  return { dtype: type.dtype, shape, data };
}

/** Reads an IDX (or gzipped IDX) file, validating magic, dimensions and size; errors name the file. */
export function readIdx(path: string): IdxData {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`readIdx: cannot read ${path}: ${(e as Error).message}`);
  }
  return parseIdx(bytes, path);
}

/** An IDX file as a tensor of its dtype and shape (in the current scope). */
export function readIdxTensor(path: string): Tensor {
  const { data, shape } = readIdx(path);
  return torch.fromTypedArray(data, shape);
}
