/**
 * safetensors: Hugging Face's simple tensor file format, readable by PyTorch (`safetensors.torch`).
 *
 * Layout: 8 bytes little-endian u64 N, then N bytes of UTF-8 JSON header, then the data section.
 * The header maps each tensor name to `{ dtype, shape, data_offsets: [begin, end] }` (offsets relative
 * to the data section) and may hold `__metadata__`, a map of strings to strings.
 * https://github.com/huggingface/safetensors#format
 *
 * Writing: header keys sorted, `__metadata__` first, the header padded with spaces to a multiple of
 * 8 bytes, data laid out contiguously by element size (largest first) then name, so that every
 * tensor is aligned to its element size (as the reference implementation does). Files are written
 * atomically (temporary file, fsync, rename).
 *
 * Reading validates everything and names the file and the problem in its error.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { torch, Tensor, type DType } from '../tensor/index.ts';
import { writeFileAtomic } from './atomic.ts';

/** The safetensors dtypes genlab reads and writes. */
export type SafetensorsDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const ST_TO_TORCH: Record<SafetensorsDType, DType> = {
  F64: 'float64', F32: 'float32', F16: 'float16', BF16: 'bfloat16',
  I64: 'int64', I32: 'int32', I16: 'int16', I8: 'int8', U8: 'uint8', BOOL: 'bool',
};
const TORCH_TO_ST: Partial<Record<DType, SafetensorsDType>> = Object.fromEntries(
  Object.entries(ST_TO_TORCH).map(([k, v]) => [v, k as SafetensorsDType]),
);
const ELEM_SIZE: Record<SafetensorsDType, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};
/** dtypes of the format that genlab does not handle (named in errors rather than called unknown). */
const OTHER_FORMAT_DTYPES = new Set(['U16', 'U32', 'U64', 'F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F6_E2M3', 'F6_E3M2', 'F4', 'C64', 'C128', 'E8M0']);

/** Largest header accepted, as in the reference implementation. */
const MAX_HEADER = 100_000_000;
const METADATA_KEY = '__metadata__';

/** A malformed or unreadable safetensors file. `file` names the file (or buffer) read. */
export class SafetensorsError extends Error {
  readonly file: string;
  constructor(file: string, problem: string) {
    super(`safetensors: ${file}: ${problem}`);
    this.name = 'SafetensorsError';
    this.file = file;
  }
}

/** One tensor's entry in a safetensors header. */
export interface SafetensorsEntry {
  dtype: SafetensorsDType;
  shape: number[];
  /** [begin, end) byte range within the data section. */
  dataOffsets: [number, number];
}

/** A parsed and validated safetensors header. */
export interface SafetensorsHeader {
  /** Entries by tensor name, in the order of the file's header. */
  entries: Record<string, SafetensorsEntry>;
  metadata: Record<string, string>;
  /** Byte offset of the data section within the file (8 + header length). */
  dataStart: number;
  /** Length of the data section in bytes. */
  dataSize: number;
}

/** What loadSafetensors / decodeSafetensors return. */
export interface SafetensorsContents {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

export interface LoadOptions {
  /** Move the loaded tensors to this device (default: CPU). */
  device?: string;
  /** Load only the tensors whose names pass this test. */
  filter?: (name: string) => boolean;
}

/** Sets an own enumerable property (safe for names such as "__proto__"). */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Validates the header JSON bytes against a data section of `dataSize` bytes.
 */
function parseHeader(file: string, json: Uint8Array, dataStart: number, dataSize: number): SafetensorsHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(json);
  } catch {
    throw new SafetensorsError(file, 'header is not valid UTF-8');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(file, `header is not valid JSON (${(e as Error).message})`);
  }
  if (!isPlainObject(raw)) throw new SafetensorsError(file, `header must be a JSON object, got ${raw === null ? 'null' : Array.isArray(raw) ? 'an array' : typeof raw}`);

  const metadata: Record<string, string> = {};
  const entries: Record<string, SafetensorsEntry> = {};
  for (const [name, info] of Object.entries(raw)) {
    if (name === METADATA_KEY) {
      if (info === null) continue;
      if (!isPlainObject(info)) throw new SafetensorsError(file, '__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(info)) {
        if (typeof v !== 'string') throw new SafetensorsError(file, `__metadata__ value for ${JSON.stringify(k)} must be a string, got ${typeof v}`);
        setOwn(metadata, k, v);
      }
      continue;
    }
    const what = `tensor ${JSON.stringify(name)}`;
    if (!isPlainObject(info)) throw new SafetensorsError(file, `${what}: entry must be an object with dtype, shape and data_offsets`);
    const { dtype, shape, data_offsets: offs } = info;
    if (typeof dtype !== 'string') throw new SafetensorsError(file, `${what}: missing or non-string dtype`);
    if (!(dtype in ST_TO_TORCH)) {
      const why = OTHER_FORMAT_DTYPES.has(dtype) ? 'unsupported dtype' : 'unknown dtype';
      throw new SafetensorsError(file, `${what}: ${why} ${JSON.stringify(dtype)} (genlab reads ${Object.keys(ST_TO_TORCH).join(', ')})`);
    }
    if (!Array.isArray(shape) || !shape.every(isCount)) throw new SafetensorsError(file, `${what}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isCount)) {
      throw new SafetensorsError(file, `${what}: data_offsets must be [begin, end] non-negative integers, got ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    if (end < begin) throw new SafetensorsError(file, `${what}: data_offsets [${begin}, ${end}] end before they begin`);
    const st = dtype as SafetensorsDType;
    const numel = (shape as number[]).reduce((a, b) => a * b, 1);
    const need = numel * ELEM_SIZE[st];
    if (!Number.isSafeInteger(need) || need !== end - begin) {
      throw new SafetensorsError(file, `${what}: shape [${(shape as number[]).join(', ')}] of ${st} needs ${need} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`);
    }
    if (end > dataSize) {
      throw new SafetensorsError(file, `${what}: data_offsets [${begin}, ${end}] out of range: the data section has ${dataSize} bytes (file truncated?)`);
    }
    setOwn(entries, name, { dtype: st, shape: (shape as number[]).slice(), dataOffsets: [begin, end] });
  }

  // Offsets must tile the data section exactly: sorted, no overlaps, no gaps, nothing left over.
  const sorted = Object.entries(entries).sort((a, b) => a[1].dataOffsets[0] - b[1].dataOffsets[0] || a[1].dataOffsets[1] - b[1].dataOffsets[1]);
  let pos = 0;
  let prev: string | null = null;
  for (const [name, e] of sorted) {
    const [begin, end] = e.dataOffsets;
    if (begin < pos) {
      throw new SafetensorsError(file, `tensor ${JSON.stringify(name)}: data_offsets [${begin}, ${end}] overlap tensor ${JSON.stringify(prev)} (which ends at ${pos})`);
    }
    if (begin > pos) {
      throw new SafetensorsError(file, `data section bytes [${pos}, ${begin}) belong to no tensor (gap before ${JSON.stringify(name)})`);
    }
    pos = end;
    prev = name;
  }
  if (pos !== dataSize) {
    throw new SafetensorsError(file, `tensors cover ${pos} bytes but the data section has ${dataSize}: ${dataSize - pos} trailing bytes belong to no tensor`);
  }
  return { entries, metadata, dataStart, dataSize };
}

/** Reads the 8-byte header length and checks it against the total size. */
function headerLength(file: string, first8: Uint8Array, total: number): number {
  if (total < 8) throw new SafetensorsError(file, `truncated: ${total} bytes, but the header length alone takes 8`);
  const n = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(total - 8)) throw new SafetensorsError(file, `header length ${n} goes beyond the end of the file (${total - 8} bytes follow the length)`);
  if (n > BigInt(MAX_HEADER)) throw new SafetensorsError(file, `header length ${n} exceeds the ${MAX_HEADER}-byte limit`);
  if (n < 2n) throw new SafetensorsError(file, `header length ${n} is too small for a JSON object`);
  return Number(n);
}

/** Makes a tensor (owned by the current scope) from raw little-endian bytes. */
function tensorFromBytes(bytes: Uint8Array, st: SafetensorsDType, shape: number[], device?: string): Tensor {
  return torch.scope(() =>
    torch.noGrad(() => {
      const u = torch.fromTypedArray(bytes, [bytes.byteLength]);
      let t: Tensor;
      if (st === 'BOOL') t = u.ne(0).reshape(shape);
      else if (st === 'U8') t = u.reshape(shape);
      else t = u.view(ST_TO_TORCH[st]).reshape(shape);
      return device && device !== 'cpu' ? t.to(device) : t;
    }),
  );
}

/** A tensor's elements as raw little-endian bytes (row-major, on the CPU). */
function tensorBytes(t: Tensor): Uint8Array {
  return torch.scope(() =>
    torch.noGrad(() => {
      // contiguous() first: an expanded (stride-0) tensor reshapes to a stride-0 view, which view(uint8) rejects.
      const flat = t.detach().contiguous().reshape([-1]);
      const u = flat.dtype === 'uint8' ? flat : flat.view('uint8');
      return u.toTypedArray() as Uint8Array;
    }),
  );
}

function checkLittleEndian(): void {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('safetensors: genlab supports little-endian hosts only');
}

interface Plan {
  header: Uint8Array;
  order: { name: string; tensor: Tensor; size: number }[];
  dataSize: number;
}

/** Builds the header and the data order for writing. */
function plan(tensors: Record<string, Tensor>, metadata: Record<string, string> | undefined, what: string): Plan {
  checkLittleEndian();
  if (!isPlainObject(tensors)) throw new TypeError(`${what}: tensors must be an object of name -> Tensor`);
  const items: { name: string; tensor: Tensor; st: SafetensorsDType; shape: number[]; size: number }[] = [];
  for (const name of Object.keys(tensors)) {
    if (name === METADATA_KEY) throw new TypeError(`${what}: "${METADATA_KEY}" is reserved and cannot name a tensor`);
    const t = tensors[name];
    if (!(t instanceof Tensor)) throw new TypeError(`${what}: ${JSON.stringify(name)} is not a Tensor`);
    const st = TORCH_TO_ST[t.dtype];
    if (!st) throw new TypeError(`${what}: tensor ${JSON.stringify(name)} has dtype ${t.dtype}, which genlab does not write to safetensors`);
    const shape = t.shape;
    items.push({ name, tensor: t, st, shape, size: shape.reduce((a, b) => a * b, 1) * ELEM_SIZE[st] });
  }
  const meta: Record<string, string> = {};
  if (metadata !== undefined) {
    if (!isPlainObject(metadata)) throw new TypeError(`${what}: metadata must be an object of strings`);
    for (const k of Object.keys(metadata)) {
      const v = metadata[k];
      if (typeof v !== 'string') throw new TypeError(`${what}: metadata value for ${JSON.stringify(k)} must be a string, got ${typeof v}`);
      setOwn(meta, k, v);
    }
  }
  // Data order: larger elements first (keeps every tensor aligned), then by name.
  const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const order = items.slice().sort((a, b) => ELEM_SIZE[b.st] - ELEM_SIZE[a.st] || byName(a, b));
  const offsets = new Map<string, [number, number]>();
  let pos = 0;
  for (const it of order) {
    offsets.set(it.name, [pos, pos + it.size]);
    pos += it.size;
  }
  // Header JSON written by hand so that key order is exactly sorted (JS objects put integer-like keys first).
  const parts: string[] = [];
  const metaKeys = Object.keys(meta).sort();
  if (metaKeys.length > 0) {
    parts.push(`${JSON.stringify(METADATA_KEY)}:{${metaKeys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(meta[k])}`).join(',')}}`);
  }
  for (const it of items.slice().sort(byName)) {
    const [b, e] = offsets.get(it.name)!;
    parts.push(`${JSON.stringify(it.name)}:{"dtype":"${it.st}","shape":[${it.shape.join(',')}],"data_offsets":[${b},${e}]}`);
  }
  let json = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const padded = Math.ceil(json.byteLength / 8) * 8;
  if (padded !== json.byteLength) json = Buffer.concat([json, Buffer.alloc(padded - json.byteLength, 0x20)]);
  const header = Buffer.alloc(8 + json.byteLength);
  header.writeBigUInt64LE(BigInt(json.byteLength), 0);
  json.copy(header, 8);
  return { header, order: order.map(({ name, tensor, size }) => ({ name, tensor, size })), dataSize: pos };
}

function emit(p: Plan, write: (chunk: Uint8Array) => void, what: string): void {
  write(p.header);
  for (const { name, tensor, size } of p.order) {
    const bytes = tensorBytes(tensor);
    if (bytes.byteLength !== size) throw new Error(`${what}: tensor ${JSON.stringify(name)} produced ${bytes.byteLength} bytes, expected ${size}`);
    write(bytes);
  }
}

/**
 * Serializes tensors (and optional string metadata) to safetensors bytes.
 * Tensors on any device, contiguous or not, with or without grad; their data is copied.
 */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Buffer {
  const p = plan(tensors, metadata, 'encodeSafetensors');
  const out = Buffer.alloc(p.header.byteLength + p.dataSize);
  let off = 0;
  emit(p, (c) => {
    out.set(c, off);
    off += c.byteLength;
  }, 'encodeSafetensors');
  return out;
}

/**
 * Writes tensors (and optional string metadata) to a safetensors file, atomically: the data goes
 * to a temporary file in the same directory which is fsynced and renamed over `path`.
 */
export function saveSafetensors(path: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): void {
  const p = plan(tensors, metadata, `saveSafetensors(${path})`);
  writeFileAtomic(path, (write) => emit(p, write, `saveSafetensors(${path})`));
}

/** Parses and validates the header of safetensors bytes. `source` names them in errors. */
export function decodeSafetensorsHeader(buf: Uint8Array, source = '<buffer>'): SafetensorsHeader {
  const n = headerLength(source, buf.subarray(0, 8), buf.byteLength);
  return parseHeader(source, buf.subarray(8, 8 + n), 8 + n, buf.byteLength - 8 - n);
}

/**
 * Reads tensors and metadata from safetensors bytes. The tensors are new (owned by the current
 * scope; `.keep()` the ones to hold on to). Throws SafetensorsError on malformed input.
 */
export function decodeSafetensors(buf: Uint8Array, options: LoadOptions & { source?: string } = {}): SafetensorsContents {
  const h = decodeSafetensorsHeader(buf, options.source);
  const tensors: Record<string, Tensor> = {};
  for (const [name, e] of Object.entries(h.entries)) {
    if (options.filter && !options.filter(name)) continue;
    const bytes = buf.subarray(h.dataStart + e.dataOffsets[0], h.dataStart + e.dataOffsets[1]);
    setOwn(tensors, name, tensorFromBytes(bytes, e.dtype, e.shape, options.device));
  }
  return { tensors, metadata: h.metadata };
}

function readExactly(fd: number, file: string, length: number, position: number): Buffer {
  const out = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, out, got, length - got, position + got);
    if (n === 0) throw new SafetensorsError(file, `truncated: wanted ${length} bytes at offset ${position}, the file ended after ${got}`);
    got += n;
  }
  return out;
}

function withFile<T>(path: string, fn: (fd: number, size: number) => T): T {
  let fd: number;
  try {
    fd = openSync(path, 'r');
    if (fstatSync(fd).isDirectory()) {
      closeSync(fd);
      throw new Error('it is a directory, not a file');
    }
  } catch (e) {
    throw new SafetensorsError(path, `cannot read: ${(e as Error).message}`);
  }
  try {
    return fn(fd, fstatSync(fd).size);
  } finally {
    closeSync(fd);
  }
}

/** Reads and validates only the header of a safetensors file (cheap: does not read the data). */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  return withFile(path, (fd, size) => {
    const n = headerLength(path, size >= 8 ? readExactly(fd, path, 8, 0) : new Uint8Array(8), size);
    return parseHeader(path, readExactly(fd, path, n, 8), 8 + n, size - 8 - n);
  });
}

/**
 * Loads a safetensors file: `{ tensors, metadata }`. Tensors are read one at a time (the file is
 * never held in memory whole) and are owned by the current scope. Throws SafetensorsError naming
 * the file and the problem for malformed files.
 */
export function loadSafetensors(path: string, options: LoadOptions = {}): SafetensorsContents {
  return withFile(path, (fd, size) => {
    const n = headerLength(path, size >= 8 ? readExactly(fd, path, 8, 0) : new Uint8Array(8), size);
    const h = parseHeader(path, readExactly(fd, path, n, 8), 8 + n, size - 8 - n);
    const tensors: Record<string, Tensor> = {};
    try {
      for (const [name, e] of Object.entries(h.entries)) {
        if (options.filter && !options.filter(name)) continue;
        const [b, end] = e.dataOffsets;
        const bytes = readExactly(fd, path, end - b, h.dataStart + b);
        setOwn(tensors, name, tensorFromBytes(bytes, e.dtype, e.shape, options.device));
      }
    } catch (err) {
      for (const t of Object.values(tensors)) t.dispose();
      throw err;
    }
    return { tensors, metadata: h.metadata };
  });
}

/** The genlab dtype for a safetensors dtype name, and back. */
export const safetensorsDTypes = {
  toTorch: (st: SafetensorsDType): DType => ST_TO_TORCH[st],
  fromTorch: (d: DType): SafetensorsDType | undefined => TORCH_TO_ST[d],
  elementSize: (st: SafetensorsDType): number => ELEM_SIZE[st],
};
