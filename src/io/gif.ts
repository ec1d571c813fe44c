/**
 * Animated GIF writer (and a reader, for tests and for loading frames back) with a fixed 256-color
 * palette: a 6x6x6 color cube plus 40 grays. LZW as in the GIF89a spec (variable code width up to
 * 12 bits, clear code when the table is full).
 */
import { Tensor } from '../tensor/index.ts';
import { Canvas, WHITE } from './canvas.ts';
import { imageGrid, type ValueRange } from './image.ts';
import type { RawImage } from './png.ts';
import { writeFileAtomic } from './atomic.ts';

/** The fixed palette: 768 bytes, RGB triples. Entries 0..215 the cube, 216..255 the gray ramp. */
export const GIF_PALETTE: Uint8Array = (() => {
  const p = new Uint8Array(768);
  let k = 0;
  for (let r = 0; r < 6; r++) for (let g = 0; g < 6; g++) for (let b = 0; b < 6; b++) {
    p[3 * k] = r * 51; p[3 * k + 1] = g * 51; p[3 * k + 2] = b * 51; k++;
  }
  for (let i = 0; i < 40; i++, k++) {
    const v = Math.round((i * 255) / 39);
    p[3 * k] = p[3 * k + 1] = p[3 * k + 2] = v;
  }
  return p;
})();

/** The palette index nearest to an RGB color (cube or gray ramp, whichever is closer). */
export function paletteIndex(r: number, g: number, b: number): number {
  const ri = Math.round(r / 51), gi = Math.round(g / 51), bi = Math.round(b / 51);
  const cube = ri * 36 + gi * 6 + bi;
  const ec = (r - ri * 51) ** 2 + (g - gi * 51) ** 2 + (b - bi * 51) ** 2;
  const gk = Math.round((((r + g + b) / 3) * 39) / 255);
  const gv = Math.round((gk * 255) / 39);
  const eg = (r - gv) ** 2 + (g - gv) ** 2 + (b - gv) ** 2;
  return eg < ec ? 216 + gk : cube;
}

/** LZW-compresses palette indices (minimum code size 8) into GIF sub-blocks. */
function lzw(indices: Uint8Array): Uint8Array {
  const minCode = 8;
  const clear = 1 << minCode, eoi = clear + 1;
  const out: number[] = [];
  let acc = 0, nbits = 0;
  let size = minCode + 1;
  let next = eoi + 1;
  const emit = (code: number): void => {
    acc |= code << nbits;
    nbits += size;
    while (nbits >= 8) {
      out.push(acc & 0xff);
      acc >>>= 8;
      nbits -= 8;
    }
  };
  let table = new Map<number, number>();
  emit(clear);
  if (indices.length > 0) {
    let cur = indices[0]!;
    for (let i = 1; i < indices.length; i++) {
      const k = indices[i]!;
      const key = (cur << 8) | k;
      const hit = table.get(key);
      if (hit !== undefined) {
        cur = hit;
        continue;
      }
      emit(cur);
      if (next === 4096) {
        emit(clear);
        table = new Map();
        next = eoi + 1;
        size = minCode + 1;
      } else {
        if (next >= 1 << size) size++;
        table.set(key, next++);
      }
      cur = k;
    }
    emit(cur);
  }
  emit(eoi);
  if (nbits > 0) out.push(acc & 0xff);
  // Sub-blocks of at most 255 bytes, then a zero terminator.
  const blocks = new Uint8Array(out.length + Math.ceil(out.length / 255) + 2);
  let p = 0;
  blocks[p++] = minCode;
  for (let i = 0; i < out.length; i += 255) {
    const n = Math.min(255, out.length - i);
    blocks[p++] = n;
    for (let j = 0; j < n; j++) blocks[p++] = out[i + j]!;
  }
  blocks[p++] = 0;
  return blocks.subarray(0, p);
}

export interface GifOptions {
  /** Delay between frames in milliseconds (GIF stores hundredths of a second; default 100). */
  delayMs?: number;
  /** Times to loop; 0 (default) loops forever. */
  loop?: number;
  /** For tensor frames: value range (default [0, 1]). */
  range?: ValueRange;
  /** Integer upscaling of every frame (default 1). */
  scale?: number;
}

/** Frames: canvases, decoded images, or a tensor [T, C, H, W]. */
export type Frames = (Canvas | RawImage)[] | Tensor;

function frameCanvases(frames: Frames, options: GifOptions): Canvas[] {
  let cs: Canvas[];
  if (frames instanceof Tensor) {
    if (frames.dim() !== 4) throw new RangeError(`saveGif: a frame tensor must be [T, C, H, W], got [${frames.shape.join(', ')}]`);
    cs = [];
    for (let t = 0; t < frames.size(0); t++) {
      const one = frames.narrow(0, t, 1);
      try {
        cs.push(imageGrid(one, { padding: 0, range: options.range }));
      } finally {
        one.dispose();
      }
    }
  } else {
    cs = frames.map((f) => (f instanceof Canvas ? f : Canvas.fromImage(f)));
  }
  if (cs.length === 0) throw new RangeError('saveGif: no frames');
  const scale = options.scale ?? 1;
  if (scale !== 1) cs = cs.map((c) => c.upscale(scale));
  const { width, height } = cs[0]!;
  cs.forEach((c, i) => {
    if (c.width !== width || c.height !== height) throw new RangeError(`saveGif: frame ${i} is ${c.width}x${c.height}, frame 0 is ${width}x${height}`);
  });
  return cs;
}

/** Encodes frames as an animated GIF (fixed palette; translucent pixels are composited over white). */
export function encodeGif(frames: Frames, options: GifOptions = {}): Buffer {
  const cs = frameCanvases(frames, options);
  const { width, height } = cs[0]!;
  if (width > 65535 || height > 65535) throw new RangeError(`saveGif: ${width}x${height} exceeds GIF's 65535 limit`);
  const delay = Math.max(0, Math.min(65535, Math.round((options.delayMs ?? 100) / 10)));
  const parts: Uint8Array[] = [];
  const u16 = (v: number): number[] => [v & 0xff, (v >> 8) & 0xff];
  parts.push(Buffer.from('GIF89a', 'latin1'));
  parts.push(Uint8Array.from([...u16(width), ...u16(height), 0xf7, 0, 0]));
  parts.push(GIF_PALETTE);
  parts.push(Uint8Array.from([0x21, 0xff, 0x0b, ...Buffer.from('NETSCAPE2.0', 'latin1'), 0x03, 0x01, ...u16(options.loop ?? 0), 0x00]));
  const idx = new Uint8Array(width * height);
  for (const c of cs) {
    const d = c.data;
    for (let p = 0; p < idx.length; p++) {
      const a = d[4 * p + 3]! / 255;
      const r = d[4 * p]! * a + WHITE[0] * (1 - a);
      const g = d[4 * p + 1]! * a + WHITE[1] * (1 - a);
      const b = d[4 * p + 2]! * a + WHITE[2] * (1 - a);
      idx[p] = paletteIndex(r, g, b);
    }
    parts.push(Uint8Array.from([0x21, 0xf9, 0x04, 0x04, ...u16(delay), 0x00, 0x00])); // graphic control: keep previous, delay
    parts.push(Uint8Array.from([0x2c, 0, 0, 0, 0, ...u16(width), ...u16(height), 0x00])); // image descriptor, no local table
    parts.push(lzw(idx));
  }
  parts.push(Uint8Array.from([0x3b]));
  return Buffer.concat(parts);
}

/** Writes frames as an animated GIF file (atomically). */
export function saveGif(path: string, frames: Frames, options: GifOptions = {}): void {
  writeFileAtomic(path, encodeGif(frames, options));
}

/** A decoded GIF: palette indices and RGBA pixels per frame. */
export interface DecodedGif {
  width: number;
  height: number;
  /** Loop count from the NETSCAPE2.0 extension (0 = forever), or null when absent. */
  loop: number | null;
  frames: { delayMs: number; indices: Uint8Array; rgba: Uint8Array }[];
}

function unlzw(data: Uint8Array, minCode: number, npix: number): Uint8Array {
  const out = new Uint8Array(npix);
  const clear = 1 << minCode, eoi = clear + 1;
  const prefix = new Int16Array(4096), suffix = new Uint8Array(4096), first = new Uint8Array(4096), len = new Uint16Array(4096);
  for (let i = 0; i < clear; i++) { suffix[i] = i; first[i] = i; len[i] = 1; prefix[i] = -1; }
  let size = minCode + 1, next = eoi + 1, prev = -1, o = 0;
  let bit = 0;
  const total = data.length * 8;
  const write = (code: number): void => {
    const n = len[code]!;
    let c = code;
    for (let k = n - 1; k >= 0; k--) {
      if (o + k < npix) out[o + k] = suffix[c]!;
      c = prefix[c]!;
    }
    o += n;
  };
  while (bit + size <= total) {
    let code = 0;
    for (let k = 0; k < size; k++, bit++) code |= ((data[bit >> 3]! >> (bit & 7)) & 1) << k;
    if (code === clear) { size = minCode + 1; next = eoi + 1; prev = -1; continue; }
    if (code === eoi) break;
    if (prev === -1) {
      if (code >= clear) throw new Error(`decodeGif: bad first code ${code}`);
      write(code);
      prev = code;
      continue;
    }
    if (code > next) throw new Error(`decodeGif: bad LZW code ${code} (next ${next})`);
    const f = code < next ? first[code]! : first[prev]!;
    if (next < 4096) {
      prefix[next] = prev; suffix[next] = f; first[next] = first[prev]!; len[next] = len[prev]! + 1;
      next++;
      if (next === 1 << size && size < 12) size++;
    }
    write(code);
    prev = code;
  }
  if (o < npix) throw new Error(`decodeGif: image data ends after ${o} of ${npix} pixels`);
  return out;
}

/** Decodes a GIF (global palette, full-frame images as written by encodeGif; local palettes read too). */
export function decodeGif(buf: Uint8Array): DecodedGif {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const sig = b.toString('latin1', 0, 6);
  if (sig !== 'GIF89a' && sig !== 'GIF87a') throw new Error('decodeGif: not a GIF');
  const width = b.readUInt16LE(6), height = b.readUInt16LE(8);
  const packed = b[10]!;
  let pos = 13;
  let gct: Uint8Array | null = null;
  if (packed & 0x80) {
    const n = 3 * (1 << ((packed & 7) + 1));
    gct = b.subarray(pos, pos + n);
    pos += n;
  }
  const readBlocks = (): Uint8Array => {
    const chunks: Buffer[] = [];
    for (;;) {
      const n = b[pos++];
      if (n === undefined) throw new Error('decodeGif: truncated');
      if (n === 0) break;
      chunks.push(b.subarray(pos, pos + n));
      pos += n;
    }
    return Buffer.concat(chunks);
  };
  let loop: number | null = null;
  let delayMs = 0;
  const frames: DecodedGif['frames'] = [];
  for (;;) {
    const t = b[pos++];
    if (t === undefined) throw new Error('decodeGif: missing trailer');
    if (t === 0x3b) break;
    if (t === 0x21) {
      const label = b[pos++];
      const body = readBlocks();
      if (label === 0xf9) delayMs = (body[1]! | (body[2]! << 8)) * 10;
      else if (label === 0xff && Buffer.from(body.subarray(0, 11)).toString('latin1') === 'NETSCAPE2.0') loop = body[12]! | (body[13]! << 8);
    } else if (t === 0x2c) {
      const x = b.readUInt16LE(pos), y = b.readUInt16LE(pos + 2), w = b.readUInt16LE(pos + 4), h = b.readUInt16LE(pos + 6);
      const ip = b[pos + 8]!;
      pos += 9;
      if (x !== 0 || y !== 0 || w !== width || h !== height) throw new Error('decodeGif: only full-frame images are supported');
      if (ip & 0x40) throw new Error('decodeGif: interlaced images are not supported');
      let pal = gct;
      if (ip & 0x80) {
        const n = 3 * (1 << ((ip & 7) + 1));
        pal = b.subarray(pos, pos + n);
        pos += n;
      }
      if (!pal) throw new Error('decodeGif: no color table');
      const minCode = b[pos++]!;
      const indices = unlzw(readBlocks(), minCode, w * h);
      const rgba = new Uint8Array(w * h * 4);
      for (let p = 0; p < w * h; p++) {
        const k = indices[p]!;
        rgba[4 * p] = pal[3 * k]!; rgba[4 * p + 1] = pal[3 * k + 1]!; rgba[4 * p + 2] = pal[3 * k + 2]!; rgba[4 * p + 3] = 255;
      }
      frames.push({ delayMs, indices, rgba });
    } else {
      throw new Error(`decodeGif: unexpected block 0x${t.toString(16)} at ${pos - 1}`);
    }
  }
  return { width, height, loop, frames };
}
