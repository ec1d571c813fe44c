/**
 * Tensors to images and back: sample grids (torchvision's make_grid layout), single images, PNG
 * reading into tensors.
 */
import { readFileSync } from 'node:fs';
import { torch, Tensor } from '../tensor/index.ts';
import { Canvas, type Color } from './canvas.ts';
import { decodePng, type RawImage } from './png.ts';

/** How tensor values map to [0, 1]: a [low, high] pair (default [0, 1]) or 'auto' (min..max). */
export type ValueRange = readonly [number, number] | 'auto';

export interface GridOptions {
  /** Images per row (default 8, as torchvision). */
  nrow?: number;
  /** Pixels between and around images, before scaling (default 2). */
  padding?: number;
  /** Padding color: a value in [0, 1] (gray level) or a Color (default 0, black). */
  padValue?: number | Color;
  /** Integer nearest-neighbour upscaling of the whole grid (default 1). */
  scale?: number;
  /** Value range of the images: [0, 1] (default), [-1, 1], any [low, high], or 'auto'. */
  range?: ValueRange;
}

/**
 * Converts a float tensor [N, C, H, W] (C = 1, 3 or 4) to 8-bit bytes in the same layout,
 * mapping `range` to 0..255 (clamped; NaN counts as 0). Works on any device and dtype.
 */
export function tensorToBytes(images: Tensor, range: ValueRange = [0, 1]): { bytes: Uint8Array; shape: number[] } {
  return torch.scope(() =>
    torch.noGrad(() => {
      let x = torch.ops.aten.nan_to_num!(images.detach().to('cpu').to('float32'), 0) as Tensor;
      let lo: number, hi: number;
      if (range === 'auto') {
        lo = x.numel() ? x.min().item() : 0;
        hi = x.numel() ? x.max().item() : 1;
        if (hi === lo) hi = lo + 1;
      } else {
        [lo, hi] = range;
        if (!(hi > lo)) throw new RangeError(`image range must have high > low, got [${lo}, ${hi}]`);
      }
      x = x.sub(lo).div(hi - lo).clamp(0, 1).mul(255).round().to('uint8');
      return { bytes: x.contiguous().toTypedArray() as Uint8Array, shape: x.shape };
    }),
  );
}

function padColor(v: number | Color | undefined): Color {
  if (v === undefined) return [0, 0, 0];
  if (typeof v === 'number') {
    const g = Math.round(Math.min(1, Math.max(0, v)) * 255);
    return [g, g, g];
  }
  return v;
}

/** Puts one [C, H, W] byte image (offset `base` in `bytes`) onto the canvas at (x0, y0). */
function blit(c: Canvas, bytes: Uint8Array, base: number, C: number, H: number, W: number, x0: number, y0: number): void {
  const plane = H * W;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = base + y * W + x;
      const o = ((y0 + y) * c.width + x0 + x) * 4;
      const r = bytes[p]!;
      c.data[o] = r;
      c.data[o + 1] = C >= 3 ? bytes[p + plane]! : r;
      c.data[o + 2] = C >= 3 ? bytes[p + 2 * plane]! : r;
      c.data[o + 3] = C === 4 ? bytes[p + 3 * plane]! : 255;
    }
  }
}

/**
 * Lays out images [N, C, H, W] (C = 1, 3 or 4) in a grid as torchvision's make_grid does:
 * min(nrow, N) columns, `padding` pixels around and between; returns the canvas.
 */
export function imageGrid(images: Tensor, options: GridOptions = {}): Canvas {
  if (images.dim() !== 4) throw new RangeError(`imageGrid: images must be [N, C, H, W], got shape [${images.shape.join(', ')}]`);
  const [N, C, H, W] = images.shape as [number, number, number, number];
  if (![1, 3, 4].includes(C)) throw new RangeError(`imageGrid: C must be 1, 3 or 4, got ${C}`);
  if (N < 1 || H < 1 || W < 1) throw new RangeError(`imageGrid: no pixels in shape [${images.shape.join(', ')}]`);
  const nrow = options.nrow ?? 8;
  const padding = options.padding ?? 2;
  if (!Number.isInteger(nrow) || nrow < 1) throw new RangeError(`imageGrid: nrow must be a positive integer, got ${nrow}`);
  if (!Number.isInteger(padding) || padding < 0) throw new RangeError(`imageGrid: padding must be a non-negative integer, got ${padding}`);
  const { bytes } = tensorToBytes(images, options.range ?? [0, 1]);
  const cols = Math.min(nrow, N);
  const rows = Math.ceil(N / cols);
  const cellW = W + padding, cellH = H + padding;
  const canvas = new Canvas(cols * cellW + padding, rows * cellH + padding, padColor(options.padValue));
  for (let k = 0; k < N; k++) {
    const r = Math.floor(k / cols), c = k % cols;
    blit(canvas, bytes, k * C * H * W, C, H, W, c * cellW + padding, r * cellH + padding);
  }
  const scale = options.scale ?? 1;
  return scale === 1 ? canvas : canvas.upscale(scale);
}

/** Saves a grid of images [N, C, H, W] as a PNG (atomically). Returns the canvas drawn. */
export function saveImageGrid(path: string, images: Tensor, options: GridOptions = {}): Canvas {
  const c = imageGrid(images, options);
  c.savePng(path);
  return c;
}

/** A canvas from one image tensor [C, H, W] or [H, W] (values mapped by `range`, default [0, 1]). */
export function tensorToCanvas(image: Tensor, options: { range?: ValueRange; scale?: number } = {}): Canvas {
  const shape = image.shape;
  if (shape.length !== 2 && shape.length !== 3) throw new RangeError(`tensorToCanvas: image must be [C, H, W] or [H, W], got [${shape.join(', ')}]`);
  const x = torch.scope(() => (shape.length === 2 ? image.unsqueeze(0).unsqueeze(0) : image.unsqueeze(0)));
  try {
    return imageGrid(x, { padding: 0, range: options.range, scale: options.scale });
  } finally {
    x.dispose();
  }
}

/** Saves one image tensor [C, H, W] or [H, W] as a PNG. */
export function saveImage(path: string, image: Tensor, options: { range?: ValueRange; scale?: number } = {}): Canvas {
  const c = tensorToCanvas(image, options);
  c.savePng(path);
  return c;
}

/** Reads a PNG file as an 8-bit image. */
export function loadPng(path: string): RawImage {
  return decodePng(readFileSync(path));
}

/** An 8-bit image as a float32 tensor [C, H, W] in [0, 1] (owned by the current scope). */
export function imageToTensor(img: RawImage): Tensor {
  return torch.scope(() =>
    torch.fromTypedArray(img.data, [img.height, img.width, img.channels]).permute([2, 0, 1]).to('float32').div(255).contiguous(),
  );
}
