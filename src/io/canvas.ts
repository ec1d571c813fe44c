/**
 * A small RGBA raster canvas in plain TypeScript for plots and image grids: fill, rectangles,
 * anti-aliased lines, dots and circles, bitmap-font text, blitting, PNG output. Coordinates are pixels with
 * (0, 0) at the top-left; a pixel (x, y) covers [x, x+1) x [y, y+1), so its center is (x+0.5, y+0.5).
 */
import { encodePng, fromRgba, savePng, type RawImage, toRgba } from './png.ts';
import { FONT, glyph, textWidth } from './font.ts';

/** RGB or RGBA, components 0..255. */
export type Color = readonly [number, number, number] | readonly [number, number, number, number];

export const WHITE: Color = [255, 255, 255];
export const BLACK: Color = [0, 0, 0];
export const GRAY: Color = [128, 128, 128];
export const TRANSPARENT: Color = [0, 0, 0, 0];

/** Ten distinguishable colors for series (matplotlib's tab10). */
export const PALETTE: readonly Color[] = [
  [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
  [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
];

/** Parses '#rrggbb' / '#rgb' or passes a Color through. */
export function color(c: Color | string): Color {
  if (typeof c !== 'string') return c;
  const m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(c);
  if (!m) throw new TypeError(`color: expected '#rrggbb', got ${JSON.stringify(c)}`);
  const h = m[1]!.length === 3 ? [...m[1]!].map((x) => x + x).join('') : m[1]!;
  return [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16)];
}

export interface TextOptions {
  /** Integer pixel scale of the 5x7 font (default 1). */
  scale?: number;
  /** Horizontal anchor of x (default 'left'). */
  align?: 'left' | 'center' | 'right';
  /** Vertical anchor of y (default 'top'). */
  baseline?: 'top' | 'middle' | 'bottom';
}

export class Canvas {
  readonly width: number;
  readonly height: number;
  /** RGBA bytes, row-major. */
  readonly data: Uint8Array;

  /** A canvas filled with `background` (default white). */
  constructor(width: number, height: number, background: Color = WHITE) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new RangeError(`Canvas: size must be positive integers, got ${width}x${height}`);
    this.width = width;
    this.height = height;
    this.data = new Uint8Array(width * height * 4);
    this.fill(background);
  }

  /** A canvas holding a copy of an image (any channel count). */
  static fromImage(img: RawImage): Canvas {
    const c = new Canvas(img.width, img.height, TRANSPARENT);
    c.data.set(toRgba(img));
    return c;
  }

  /** Sets every pixel to a color (no blending). */
  fill(c: Color): this {
    const [r, g, b, a = 255] = c;
    for (let i = 0; i < this.data.length; i += 4) {
      this.data[i] = r;
      this.data[i + 1] = g;
      this.data[i + 2] = b;
      this.data[i + 3] = a;
    }
    return this;
  }

  /** The RGBA of pixel (x, y). */
  get(x: number, y: number): [number, number, number, number] {
    const i = (y * this.width + x) * 4;
    return [this.data[i]!, this.data[i + 1]!, this.data[i + 2]!, this.data[i + 3]!];
  }

  /** Sets pixel (x, y) exactly (no blending); ignores pixels off the canvas. */
  set(x: number, y: number, c: Color): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 4;
    this.data[i] = c[0];
    this.data[i + 1] = c[1];
    this.data[i + 2] = c[2];
    this.data[i + 3] = c[3] ?? 255;
  }

  /** Blends a color over pixel (x, y) with coverage `alpha` in [0, 1] ("over" compositing). */
  blend(x: number, y: number, c: Color, alpha = 1): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const a = Math.min(1, Math.max(0, alpha * ((c[3] ?? 255) / 255)));
    if (a <= 0) return;
    const i = (y * this.width + x) * 4;
    const d = this.data;
    const da = d[i + 3]! / 255;
    const oa = a + da * (1 - a);
    for (let k = 0; k < 3; k++) d[i + k] = Math.round((c[k]! * a + d[i + k]! * da * (1 - a)) / oa);
    d[i + 3] = Math.round(oa * 255);
  }

  /** A filled axis-aligned rectangle (integer pixel bounds, clipped). */
  rect(x: number, y: number, w: number, h: number, c: Color): this {
    const x0 = Math.max(0, Math.round(x)), y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w)), y1 = Math.min(this.height, Math.round(y + h));
    const opaque = (c[3] ?? 255) === 255;
    for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) opaque ? this.set(xx, yy, c) : this.blend(xx, yy, c);
    return this;
  }

  /** A rectangle outline `thickness` pixels wide, inside the given bounds. */
  strokeRect(x: number, y: number, w: number, h: number, c: Color, thickness = 1): this {
    this.rect(x, y, w, thickness, c);
    this.rect(x, y + h - thickness, w, thickness, c);
    this.rect(x, y, thickness, h, c);
    this.rect(x + w - thickness, y, thickness, h, c);
    return this;
  }

  /**
   * An anti-aliased line segment from (x0, y0) to (x1, y1) in continuous coordinates, `width`
   * pixels wide with round caps: each pixel gets the coverage of its center by the thick segment.
   */
  line(x0: number, y0: number, x1: number, y1: number, c: Color, width = 1): this {
    if (![x0, y0, x1, y1].every(Number.isFinite)) return this;
    const hw = width / 2;
    const minX = Math.max(0, Math.floor(Math.min(x0, x1) - hw - 1));
    const maxX = Math.min(this.width - 1, Math.ceil(Math.max(x0, x1) + hw + 1));
    const minY = Math.max(0, Math.floor(Math.min(y0, y1) - hw - 1));
    const maxY = Math.min(this.height - 1, Math.ceil(Math.max(y0, y1) + hw + 1));
    const dx = x1 - x0, dy = y1 - y0;
    const len2 = dx * dx + dy * dy;
    for (let y = minY; y <= maxY; y++) {
      for (let x = minX; x <= maxX; x++) {
        const px = x + 0.5 - x0, py = y + 0.5 - y0;
        const t = len2 > 0 ? Math.max(0, Math.min(1, (px * dx + py * dy) / len2)) : 0;
        const ex = px - t * dx, ey = py - t * dy;
        const cov = hw + 0.5 - Math.sqrt(ex * ex + ey * ey);
        if (cov > 0) this.blend(x, y, c, Math.min(1, cov));
      }
    }
    return this;
  }

  /** A polyline through points [[x, y], ...] (non-finite points break the line). */
  polyline(points: readonly (readonly [number, number])[], c: Color, width = 1): this {
    for (let i = 1; i < points.length; i++) {
      const [ax, ay] = points[i - 1]!;
      const [bx, by] = points[i]!;
      this.line(ax, ay, bx, by, c, width);
    }
    return this;
  }

  /** An anti-aliased filled disk centered at (cx, cy) in continuous coordinates. */
  dot(cx: number, cy: number, radius: number, c: Color): this {
    if (!Number.isFinite(cx) || !Number.isFinite(cy)) return this;
    const r = Math.max(radius, 0.5);
    for (let y = Math.floor(cy - r - 1); y <= Math.ceil(cy + r + 1); y++) {
      for (let x = Math.floor(cx - r - 1); x <= Math.ceil(cx + r + 1); x++) {
        const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
        const cov = r + 0.5 - d;
        if (cov > 0) this.blend(x, y, c, Math.min(1, cov));
      }
    }
    return this;
  }

  /** An anti-aliased circle outline of `radius` centered at (cx, cy), `width` pixels wide. */
  circle(cx: number, cy: number, radius: number, c: Color, width = 1): this {
    if (!Number.isFinite(cx) || !Number.isFinite(cy)) return this;
    const hw = width / 2;
    const ro = radius + hw + 1;
    for (let y = Math.floor(cy - ro); y <= Math.ceil(cy + ro); y++) {
      for (let x = Math.floor(cx - ro); x <= Math.ceil(cx + ro); x++) {
        const cov = hw + 0.5 - Math.abs(Math.hypot(x + 0.5 - cx, y + 0.5 - cy) - radius);
        if (cov > 0) this.blend(x, y, c, Math.min(1, cov));
      }
    }
    return this;
  }

  /** Draws text with the built-in 5x7 bitmap font. Returns the drawn width in pixels. */
  text(x: number, y: number, s: string, c: Color, options: TextOptions = {}): number {
    const scale = Math.max(1, Math.round(options.scale ?? 1));
    const w = textWidth(s, scale);
    const h = FONT.glyphHeight * scale;
    let left = Math.round(options.align === 'center' ? x - w / 2 : options.align === 'right' ? x - w : x);
    const top = Math.round(options.baseline === 'middle' ? y - h / 2 : options.baseline === 'bottom' ? y - h : y);
    for (const ch of s) {
      const g = glyph(ch);
      for (let gy = 0; gy < FONT.glyphHeight; gy++) {
        for (let gx = 0; gx < FONT.glyphWidth; gx++) {
          if (g[gy * FONT.glyphWidth + gx]) this.rect(left + gx * scale, top + gy * scale, scale, scale, c);
        }
      }
      left += FONT.advance * scale;
    }
    return w;
  }

  /** Text rotated 90 degrees counter-clockwise (for y-axis labels), centered on (x, y). */
  textVertical(x: number, y: number, s: string, c: Color, scale = 1): void {
    const w = textWidth(s, scale);
    const tmp = new Canvas(Math.max(1, w), FONT.glyphHeight * scale, TRANSPARENT);
    tmp.text(0, 0, s, c, { scale });
    const left = Math.round(x - tmp.height / 2);
    const top = Math.round(y - tmp.width / 2);
    for (let ty = 0; ty < tmp.height; ty++) {
      for (let tx = 0; tx < tmp.width; tx++) {
        const p = tmp.get(tx, ty);
        if (p[3]) this.blend(left + ty, top + (tmp.width - 1 - tx), p);
      }
    }
  }

  /** Copies another canvas onto this one at (x, y), blending by its alpha. */
  draw(src: Canvas, x: number, y: number): this {
    for (let sy = 0; sy < src.height; sy++) {
      const ty = y + sy;
      if (ty < 0 || ty >= this.height) continue;
      for (let sx = 0; sx < src.width; sx++) {
        const tx = x + sx;
        if (tx < 0 || tx >= this.width) continue;
        const i = (sy * src.width + sx) * 4;
        const a = src.data[i + 3]!;
        if (a === 255) {
          this.data.set(src.data.subarray(i, i + 4), (ty * this.width + tx) * 4);
        } else if (a > 0) {
          this.blend(tx, ty, [src.data[i]!, src.data[i + 1]!, src.data[i + 2]!, a]);
        }
      }
    }
    return this;
  }

  /** A copy scaled up by an integer factor (nearest neighbour). */
  upscale(factor: number): Canvas {
    const f = Math.round(factor);
    if (f < 1) throw new RangeError(`upscale: factor must be a positive integer, got ${factor}`);
    if (f === 1) return this.clone();
    const out = new Canvas(this.width * f, this.height * f, TRANSPARENT);
    for (let y = 0; y < out.height; y++) {
      for (let x = 0; x < out.width; x++) {
        const s = (((y / f) | 0) * this.width + ((x / f) | 0)) * 4;
        out.data.set(this.data.subarray(s, s + 4), (y * out.width + x) * 4);
      }
    }
    return out;
  }

  clone(): Canvas {
    const c = new Canvas(this.width, this.height, TRANSPARENT);
    c.data.set(this.data);
    return c;
  }

  /**
   * The canvas as an image with the fewest channels that hold it exactly: gray when every pixel is
   * opaque and R = G = B, RGB when opaque, RGBA otherwise.
   */
  toImage(): RawImage {
    return fromRgba(this.width, this.height, this.data);
  }

  /** PNG bytes of the canvas. */
  toPng(): Buffer {
    return encodePng(this.toImage());
  }

  /** Writes the canvas as a PNG file (atomically). */
  savePng(path: string): void {
    savePng(path, this.toImage());
  }
}
