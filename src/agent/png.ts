/**
 * A small PNG codec on node:zlib: enough to read screenshots (8-bit grayscale, RGB, palette, gray+alpha,
 * RGBA; non-interlaced) and to write RGBA images, so that trajectories can carry markers drawn into them.
 */
import { deflateSync, inflateSync } from 'node:zlib';

export interface RgbaImage {
  width: number;
  height: number;
  /** width * height * 4 bytes, row-major RGBA. */
  data: Uint8Array;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export class PngError extends Error {
  override name = 'PngError';
}

/** Width and height from the IHDR chunk, without decoding. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const b = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  if (b.length < 24 || !b.subarray(0, 8).equals(SIGNATURE)) throw new PngError('not a PNG (bad signature)');
  if (b.toString('latin1', 12, 16) !== 'IHDR') throw new PngError('not a PNG (IHDR missing)');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

export function decodePng(png: Uint8Array): RgbaImage {
  const b = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  const { width, height } = pngSize(b);
  let pos = 8;
  let bitDepth = 0;
  let colorType = 0;
  let interlace = 0;
  let palette: Buffer | undefined;
  let trns: Buffer | undefined;
  const idat: Buffer[] = [];
  while (pos + 8 <= b.length) {
    const len = b.readUInt32BE(pos);
    const type = b.toString('latin1', pos + 4, pos + 8);
    const body = b.subarray(pos + 8, pos + 8 + len);
    if (body.length !== len) throw new PngError(`truncated ${type} chunk`);
    if (type === 'IHDR') {
      bitDepth = body[8]!;
      colorType = body[9]!;
      interlace = body[12]!;
    } else if (type === 'PLTE') palette = body;
    else if (type === 'tRNS') trns = body;
    else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  if (bitDepth !== 8) throw new PngError(`unsupported PNG bit depth ${bitDepth} (only 8)`);
  if (interlace !== 0) throw new PngError('unsupported interlaced PNG');
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colorType as 0 | 2 | 3 | 4 | 6];
  if (!channels) throw new PngError(`unsupported PNG color type ${colorType}`);
  if (colorType === 3 && !palette) throw new PngError('palette PNG without PLTE');
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  if (raw.length < (stride + 1) * height) throw new PngError('PNG image data is shorter than its size');
  const pix = new Uint8Array(stride * height);
  unfilter(raw, pix, width, height, channels);
  const out = new Uint8Array(width * height * 4);
  for (let i = 0, n = width * height; i < n; i++) {
    const s = i * channels;
    const d = i * 4;
    switch (colorType) {
      case 6:
        out[d] = pix[s]!;
        out[d + 1] = pix[s + 1]!;
        out[d + 2] = pix[s + 2]!;
        out[d + 3] = pix[s + 3]!;
        break;
      case 2:
        out[d] = pix[s]!;
        out[d + 1] = pix[s + 1]!;
        out[d + 2] = pix[s + 2]!;
        out[d + 3] = 255;
        break;
      case 0:
        out[d] = out[d + 1] = out[d + 2] = pix[s]!;
        out[d + 3] = 255;
        break;
      case 4:
        out[d] = out[d + 1] = out[d + 2] = pix[s]!;
        out[d + 3] = pix[s + 1]!;
        break;
      case 3: {
        const k = pix[s]!;
        out[d] = palette![k * 3] ?? 0;
        out[d + 1] = palette![k * 3 + 1] ?? 0;
        out[d + 2] = palette![k * 3 + 2] ?? 0;
        out[d + 3] = trns && k < trns.length ? trns[k]! : 255;
        break;
      }
    }
  }
  return { width, height, data: out };
}

function unfilter(raw: Uint8Array, out: Uint8Array, width: number, height: number, bpp: number): void {
  const stride = width * bpp;
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)]!;
    const src = y * (stride + 1) + 1;
    const dst = y * stride;
    const prev = dst - stride;
    for (let x = 0; x < stride; x++) {
      const r = raw[src + x]!;
      const a = x >= bpp ? out[dst + x - bpp]! : 0;
      const b = y > 0 ? out[prev + x]! : 0;
      const c = y > 0 && x >= bpp ? out[prev + x - bpp]! : 0;
      let v: number;
      switch (f) {
        case 0:
          v = r;
          break;
        case 1:
          v = r + a;
          break;
        case 2:
          v = r + b;
          break;
        case 3:
          v = r + ((a + b) >> 1);
          break;
        case 4:
          v = r + paeth(a, b, c);
          break;
        default:
          throw new PngError(`bad PNG filter type ${f} on row ${y}`);
      }
      out[dst + x] = v & 255;
    }
  }
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  if (pb <= pc) return b;
  return c;
}

/**
 * Encodes RGBA pixels as a PNG (color type 6, or 2 when every pixel is opaque). Each row gets the filter
 * with the smallest sum of absolute residuals, the usual heuristic.
 */
export function encodePng(img: RgbaImage, options: { level?: number } = {}): Buffer {
  const { width, height, data } = img;
  if (data.length !== width * height * 4) throw new PngError(`RGBA data has ${data.length} bytes; expected ${width * height * 4}`);
  let opaque = true;
  for (let i = 3; i < data.length; i += 4) {
    if (data[i] !== 255) {
      opaque = false;
      break;
    }
  }
  const bpp = opaque ? 3 : 4;
  const stride = width * bpp;
  let pix: Uint8Array = data;
  if (opaque) {
    pix = new Uint8Array(stride * height);
    for (let i = 0, j = 0; i < data.length; i += 4, j += 3) {
      pix[j] = data[i]!;
      pix[j + 1] = data[i + 1]!;
      pix[j + 2] = data[i + 2]!;
    }
  }
  const filtered = Buffer.alloc((stride + 1) * height);
  const cand = [0, 1, 2, 3, 4].map(() => new Uint8Array(stride));
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    const prev = row - stride;
    let best = 0;
    let bestSum = Infinity;
    for (let f = 0; f < 5; f++) {
      const out = cand[f]!;
      let sum = 0;
      for (let x = 0; x < stride; x++) {
        const r = pix[row + x]!;
        const a = x >= bpp ? pix[row + x - bpp]! : 0;
        const b = y > 0 ? pix[prev + x]! : 0;
        const c = y > 0 && x >= bpp ? pix[prev + x - bpp]! : 0;
        const v = (f === 0 ? r : f === 1 ? r - a : f === 2 ? r - b : f === 3 ? r - ((a + b) >> 1) : r - paeth(a, b, c)) & 255;
        out[x] = v;
        sum += v < 128 ? v : 256 - v;
        if (sum >= bestSum) break;
      }
      if (sum < bestSum) {
        bestSum = sum;
        best = f;
      }
    }
    // Recompute the chosen row fully (the loop above may have stopped early for it).
    const o = y * (stride + 1);
    filtered[o] = best;
    for (let x = 0; x < stride; x++) {
      const r = pix[row + x]!;
      const a = x >= bpp ? pix[row + x - bpp]! : 0;
      const b = y > 0 ? pix[prev + x]! : 0;
      const c = y > 0 && x >= bpp ? pix[prev + x - bpp]! : 0;
      filtered[o + 1 + x] =
        (best === 0 ? r : best === 1 ? r - a : best === 2 ? r - b : best === 3 ? r - ((a + b) >> 1) : r - paeth(a, b, c)) & 255;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = opaque ? 2 : 6;
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(filtered, { level: options.level ?? 6 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
  return Buffer.concat([head, body, crc]);
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]!) & 255]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
