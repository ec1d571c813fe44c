/**
 * Screenshots as RGBA pixels, over io's PNG codec: the agent reads 8-bit, non-interlaced PNGs (gray, RGB,
 * palette, gray+alpha, RGBA) into RGBA and writes RGBA images back, so that trajectories can carry markers
 * drawn into them.
 */
import { decodePng as decodeRaw, encodePng as encodeRaw, fromRgba, pngHeader, PngError, toRgba } from '../io/png.ts';

export { crc32, PngError, pngSize } from '../io/png.ts';

export interface RgbaImage {
  width: number;
  height: number;
  /** width * height * 4 bytes, row-major RGBA. */
  data: Uint8Array;
}

/** Decodes an 8-bit PNG to RGBA (gray is replicated, missing alpha is 255). Throws PngError otherwise. */
export function decodePng(png: Uint8Array): RgbaImage {
  const { bitDepth } = pngHeader(png);
  if (bitDepth !== 8) throw new PngError(`unsupported PNG bit depth ${bitDepth} (only 8)`);
  const img = decodeRaw(png);
  return { width: img.width, height: img.height, data: img.channels === 4 ? img.data : toRgba(img) };
}

/** Encodes RGBA pixels as a PNG with the fewest channels that hold them exactly (gray, RGB or RGBA). */
export function encodePng(img: RgbaImage, options: { level?: number; filter?: 0 | 1 | 2 | 3 | 4 } = {}): Buffer {
  if (img.data.length !== img.width * img.height * 4) {
    throw new PngError(`RGBA data has ${img.data.length} bytes; expected ${img.width * img.height * 4}`);
  }
  return encodeRaw(fromRgba(img.width, img.height, img.data), options);
}
