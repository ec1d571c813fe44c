/**
 * PNG encoder and decoder (8-bit gray, gray+alpha, RGB, RGBA; the decoder also reads palette
 * images and 1/2/4/16-bit depths, non-interlaced). zlib through node:zlib; CRC-32 in plain TS.
 * https://www.w3.org/TR/png/
 */
import { deflateSync, inflateSync } from 'node:zlib';
import { writeFileAtomic } from './atomic.ts';

/** Channels of an 8-bit image: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. */
export type Channels = 1 | 2 | 3 | 4;

/** A raw 8-bit image: `data` holds height * width * channels bytes, row-major, interleaved. */
export interface RawImage {
  width: number;
  height: number;
  channels: Channels;
  data: Uint8Array;
}

const SIGNATURE = Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10]);
const COLOR_TYPE: Record<Channels, number> = { 1: 0, 2: 4, 3: 2, 4: 6 };

/** Bytes that are not a PNG this module reads (bad signature, truncated or corrupt chunks, unsupported format). */
export class PngError extends Error {
  override name = 'PngError';
}

/** What a PNG's IHDR chunk says. */
export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  /** 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA. */
  colorType: number;
  interlaced: boolean;
}

/** The IHDR fields of PNG bytes, read without decoding the image (nor checking CRCs). */
export function pngHeader(png: Uint8Array): PngHeader {
  const b = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  if (b.byteLength < 8 || !SIGNATURE.every((v, i) => b[i] === v)) throw new PngError('not a PNG (bad signature)');
  if (b.byteLength < 29 || b.toString('latin1', 12, 16) !== 'IHDR') throw new PngError('not a PNG (IHDR missing)');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20), bitDepth: b[24]!, colorType: b[25]!, interlaced: b[28] !== 0 };
}

/** Width and height of PNG bytes, from the IHDR chunk without decoding. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const { width, height } = pngHeader(png);
  return { width, height };
}

let crcTable: Uint32Array | null = null;
/** CRC-32 (ISO 3309 / ITU-T V.42, as PNG and zlib use) of bytes, optionally continuing from `crc`. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.byteLength);
  out.writeUInt32BE(data.byteLength, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.byteLength)), 8 + data.byteLength);
  return out;
}

function checkImage(img: RawImage, what: string): void {
  const { width, height, channels, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new RangeError(`${what}: width and height must be positive integers, got ${width}x${height}`);
  if (![1, 2, 3, 4].includes(channels)) throw new RangeError(`${what}: channels must be 1, 2, 3 or 4, got ${channels}`);
  if (data.length !== width * height * channels) throw new RangeError(`${what}: data has ${data.length} bytes, a ${width}x${height}x${channels} image needs ${width * height * channels}`);
}

const paeth = (a: number, b: number, c: number): number => {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
};

/**
 * Encodes an 8-bit image as PNG bytes. Each row gets the filter (of the five) with the smallest sum
 * of absolute values, the usual heuristic; `filter` (0 none, 1 sub, 2 up, 3 average, 4 Paeth) fixes one
 * filter for every row instead, about five times faster (screenshots: 2 = up suits their flat areas).
 */
export function encodePng(img: RawImage, options: { level?: number; filter?: 0 | 1 | 2 | 3 | 4 } = {}): Buffer {
  checkImage(img, 'encodePng');
  const { width, height, channels, data } = img;
  const stride = width * channels;
  const bpp = channels;
  const raw = Buffer.alloc((stride + 1) * height);
  const cand = [0, 1, 2, 3, 4].map(() => new Uint8Array(stride));
  for (let y = 0; y < height; y++) {
    const row = data.subarray(y * stride, (y + 1) * stride);
    const up = y > 0 ? data.subarray((y - 1) * stride, y * stride) : null;
    const o = y * (stride + 1) + 1;
    if (options.filter !== undefined && options.filter <= 2) {
      // Fixed none / sub / up: straight loops, no candidates.
      const f = options.filter === 2 && !up ? 0 : options.filter;
      raw[o - 1] = f;
      if (f === 0) raw.set(row, o);
      else if (f === 1) {
        for (let i = 0; i < bpp; i++) raw[o + i] = row[i]!;
        for (let i = bpp; i < stride; i++) raw[o + i] = (row[i]! - row[i - bpp]!) & 0xff;
      } else for (let i = 0; i < stride; i++) raw[o + i] = (row[i]! - up![i]!) & 0xff;
      continue;
    }
    let best: number = options.filter ?? 0;
    let bestSum = Infinity;
    const filters = options.filter === undefined ? [0, 1, 2, 3, 4] : [options.filter];
    for (const f of filters) {
      const out = cand[f]!;
      let sum = 0;
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? row[i - bpp]! : 0;
        const b = up ? up[i]! : 0;
        const c = up && i >= bpp ? up[i - bpp]! : 0;
        const x = row[i]!;
        const v = f === 0 ? x : f === 1 ? x - a : f === 2 ? x - b : f === 3 ? x - ((a + b) >> 1) : x - paeth(a, b, c);
        const byte = v & 0xff;
        out[i] = byte;
        sum += byte < 128 ? byte : 256 - byte;
      }
      if (sum < bestSum) {
        bestSum = sum;
        best = f;
      }
    }
    raw[y * (stride + 1)] = best;
    raw.set(cand[best]!, y * (stride + 1) + 1);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = COLOR_TYPE[channels];
  ihdr[10] = 0; // deflate
  ihdr[11] = 0; // adaptive filtering
  ihdr[12] = 0; // no interlace
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: options.level ?? 6 })),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/** Encodes an image and writes it to `path` atomically. */
export function savePng(path: string, img: RawImage): void {
  writeFileAtomic(path, encodePng(img));
}

/**
 * Decodes PNG bytes to an 8-bit image (palette images become RGB or RGBA; 16-bit samples keep their
 * high byte; low bit depths are scaled to 0..255). Checks every chunk's CRC. Interlaced PNGs are
 * not supported. Throws PngError for bytes it cannot read.
 */
export function decodePng(buf: Uint8Array): RawImage {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.byteLength < 8 || !SIGNATURE.every((v, i) => b[i] === v)) throw new PngError('decodePng: not a PNG (bad signature)');
  let pos = 8;
  let width = 0, height = 0, depth = 0, colorType = -1, interlace = 0;
  let palette: Uint8Array | null = null;
  let trns: Uint8Array | null = null;
  const idat: Buffer[] = [];
  let ended = false;
  while (pos < b.byteLength) {
    if (pos + 12 > b.byteLength) throw new PngError('decodePng: truncated chunk');
    const len = b.readUInt32BE(pos);
    const type = b.toString('latin1', pos + 4, pos + 8);
    if (pos + 12 + len > b.byteLength) throw new PngError(`decodePng: truncated ${type} chunk`);
    const data = b.subarray(pos + 8, pos + 8 + len);
    const crc = b.readUInt32BE(pos + 8 + len);
    if (crc32(b.subarray(pos + 4, pos + 8 + len)) !== crc) throw new PngError(`decodePng: CRC mismatch in ${type} chunk`);
    pos += 12 + len;
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      depth = data[8]!;
      colorType = data[9]!;
      interlace = data[12]!;
    } else if (type === 'PLTE') palette = data;
    else if (type === 'tRNS') trns = data;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') {
      ended = true;
      break;
    }
  }
  if (!ended) throw new PngError('decodePng: missing IEND chunk');
  if (colorType < 0) throw new PngError('decodePng: missing IHDR chunk');
  if (interlace) throw new PngError('decodePng: interlaced PNGs are not supported');
  const samples = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colorType];
  if (!samples) throw new PngError(`decodePng: bad color type ${colorType}`);
  if (![1, 2, 4, 8, 16].includes(depth)) throw new PngError(`decodePng: bad bit depth ${depth}`);
  const bitsPerPixel = samples * depth;
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const stride = Math.ceil((width * bitsPerPixel) / 8);
  const raw = inflateSync(Buffer.concat(idat));
  if (raw.byteLength < (stride + 1) * height) throw new PngError('decodePng: image data too short');
  const unf = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)]!;
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const o = y * stride;
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? unf[o + i - bpp]! : 0;
      const up = y > 0 ? unf[o - stride + i]! : 0;
      const c = y > 0 && i >= bpp ? unf[o - stride + i - bpp]! : 0;
      const x = src[i]!;
      let v: number;
      switch (f) {
        case 0: v = x; break;
        case 1: v = x + a; break;
        case 2: v = x + up; break;
        case 3: v = x + ((a + up) >> 1); break;
        case 4: v = x + paeth(a, up, c); break;
        default: throw new PngError(`decodePng: bad filter type ${f} on row ${y}`);
      }
      unf[o + i] = v & 0xff;
    }
  }
  // Samples to 8-bit.
  const sample = (y: number, k: number): number => {
    const o = y * stride;
    if (depth === 8) return unf[o + k]!;
    if (depth === 16) return unf[o + 2 * k]!;
    const bit = k * depth;
    const v = (unf[o + (bit >> 3)]! >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
    return colorType === 3 ? v : Math.round((v * 255) / ((1 << depth) - 1));
  };
  if (colorType === 3) {
    if (!palette) throw new PngError('decodePng: palette image without PLTE');
    const channels: Channels = trns ? 4 : 3;
    const out = new Uint8Array(width * height * channels);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const idx = sample(y, x);
        const o = (y * width + x) * channels;
        out[o] = palette[3 * idx]!;
        out[o + 1] = palette[3 * idx + 1]!;
        out[o + 2] = palette[3 * idx + 2]!;
        if (trns) out[o + 3] = idx < trns.length ? trns[idx]! : 255;
      }
    }
    return { width, height, channels, data: out };
  }
  const channels = samples as Channels;
  const out = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let k = 0; k < width * channels; k++) out[y * width * channels + k] = sample(y, k);
  }
  return { width, height, channels, data: out };
}

/** Converts an image to RGBA (gray is replicated, missing alpha is 255). */
export function toRgba(img: RawImage): Uint8Array {
  const { width, height, channels, data } = img;
  if (channels === 4) return data.slice();
  const out = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const s = i * channels;
    const o = i * 4;
    if (channels === 1 || channels === 2) {
      out[o] = out[o + 1] = out[o + 2] = data[s]!;
      out[o + 3] = channels === 2 ? data[s + 1]! : 255;
    } else {
      out[o] = data[s]!;
      out[o + 1] = data[s + 1]!;
      out[o + 2] = data[s + 2]!;
      out[o + 3] = 255;
    }
  }
  return out;
}

/**
 * RGBA pixels (`width * height * 4` bytes) as an image with the fewest channels that hold them
 * exactly: gray when every pixel is opaque and R = G = B, RGB when opaque, RGBA otherwise.
 */
export function fromRgba(width: number, height: number, rgba: Uint8Array): RawImage {
  const n = width * height;
  if (rgba.length !== n * 4) throw new RangeError(`fromRgba: RGBA data has ${rgba.length} bytes, a ${width}x${height} image needs ${n * 4}`);
  let opaque = true, gray = true;
  for (let i = 0; i < rgba.length && (opaque || gray); i += 4) {
    if (rgba[i + 3] !== 255) opaque = false;
    if (rgba[i] !== rgba[i + 1] || rgba[i] !== rgba[i + 2]) gray = false;
  }
  if (!opaque) return { width, height, channels: 4, data: rgba.slice() };
  const ch = gray ? 1 : 3;
  const out = new Uint8Array(n * ch);
  for (let p = 0; p < n; p++) for (let k = 0; k < ch; k++) out[p * ch + k] = rgba[p * 4 + k]!;
  return { width, height, channels: ch, data: out };
}
