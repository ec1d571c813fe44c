/**
 * Coordinate spaces of UI-TARS models and the mapping from model numbers to the screen.
 *
 * - UI-TARS 1.0 (and the relative-1000 checkpoints) answers in a relative space: each axis on [0, 1000].
 * - UI-TARS-1.5 (Qwen2.5-VL based) answers in absolute pixels of the image *as the vision encoder saw it*,
 *   i.e. after `smart_resize` (both sides multiples of 28, pixel count clamped to [min, max]). A model x is
 *   mapped back as `x / w_bar`, a fraction of the screenshot width.
 *
 * Everything downstream of the parser works in normalized coordinates (fractions of the screenshot, [0, 1]),
 * so device pixel ratio only enters when an operator turns a fraction into its own input units.
 */

export const IMAGE_FACTOR = 28;
export const MIN_PIXELS = 100 * 28 * 28;
export const MAX_PIXELS = 16384 * 28 * 28;
export const MAX_RATIO = 200;

/**
 * Python 3's `round(x)` for a float: nearest integer, ties to even ("banker's rounding").
 * `Math.round` sends ties up, which is what makes the published TypeScript port disagree with the
 * Python reference for some screen sizes (e.g. a side of 1302 px: 1302 / 28 = 46.5).
 */
export function pyRound(x: number): number {
  if (!Number.isFinite(x)) return x;
  const f = Math.floor(x);
  const diff = x - f; // exact for |x| < 2^52
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

export interface SmartResizeOptions {
  factor?: number;
  minPixels?: number;
  maxPixels?: number;
  maxRatio?: number;
}

/**
 * `smart_resize` of the UI-TARS / Qwen2.5-VL reference, operation for operation (same float
 * expressions, Python rounding), so that the result is bit-identical to Python's.
 * The reference returns `(h_bar, w_bar)`; this returns `{ height, width }` to avoid mixing the order.
 */
export function smartResize(height: number, width: number, options: SmartResizeOptions = {}): { height: number; width: number } {
  const factor = options.factor ?? IMAGE_FACTOR;
  const minPixels = options.minPixels ?? MIN_PIXELS;
  const maxPixels = options.maxPixels ?? MAX_PIXELS;
  const maxRatio = options.maxRatio ?? MAX_RATIO;
  if (!(height > 0 && width > 0) || !Number.isInteger(height) || !Number.isInteger(width)) {
    throw new RangeError(`smartResize: height and width must be positive integers, got ${height}x${width}`);
  }
  const ratio = Math.max(height, width) / Math.min(height, width);
  if (ratio > maxRatio) {
    throw new RangeError(`smartResize: absolute aspect ratio must be smaller than ${maxRatio}, got ${ratio}`);
  }
  let hBar = Math.max(factor, pyRound(height / factor) * factor);
  let wBar = Math.max(factor, pyRound(width / factor) * factor);
  if (hBar * wBar > maxPixels) {
    const beta = Math.sqrt((height * width) / maxPixels);
    hBar = Math.floor(height / beta / factor) * factor;
    wBar = Math.floor(width / beta / factor) * factor;
  } else if (hBar * wBar < minPixels) {
    const beta = Math.sqrt(minPixels / (height * width));
    hBar = Math.ceil((height * beta) / factor) * factor;
    wBar = Math.ceil((width * beta) / factor) * factor;
  }
  return { height: hBar, width: wBar };
}

/** How the model's numbers relate to the screenshot. */
export type CoordinateSpace =
  /** Each axis divided by its factor, e.g. `[1000, 1000]` for UI-TARS 1.0. */
  | { kind: 'relative'; factors: readonly [number, number] }
  /** Absolute pixels on an image of this size (the smart-resized screenshot for UI-TARS-1.5). */
  | { kind: 'absolute'; width: number; height: number };

export type ModelVersion = '1.0' | '1.5';
export type CoordinateMode = 'relative-1000' | 'smart-resize';

export function defaultCoordinateMode(version: ModelVersion): CoordinateMode {
  return version === '1.0' ? 'relative-1000' : 'smart-resize';
}

/** The coordinate space a model answers in when shown a screenshot of `imageWidth` x `imageHeight` pixels. */
export function coordinateSpaceFor(
  mode: CoordinateMode,
  imageWidth: number,
  imageHeight: number,
  options: SmartResizeOptions = {},
): CoordinateSpace {
  if (mode === 'relative-1000') return { kind: 'relative', factors: [1000, 1000] };
  const r = smartResize(imageHeight, imageWidth, options);
  return { kind: 'absolute', width: r.width, height: r.height };
}

/** The size of the model's coordinate space (x range, y range). */
export function spaceExtent(space: CoordinateSpace): [number, number] {
  return space.kind === 'relative' ? [space.factors[0], space.factors[1]] : [space.width, space.height];
}

/** A model (x, y) as fractions of the screenshot. */
export function modelToNormalized(x: number, y: number, space: CoordinateSpace): { x: number; y: number } {
  const [w, h] = spaceExtent(space);
  return { x: x / w, y: y / h };
}

/** A normalized point in the model's own numbers (what a model "should" answer for it), unrounded. */
export function normalizedToModel(x: number, y: number, space: CoordinateSpace): { x: number; y: number } {
  const [w, h] = spaceExtent(space);
  return { x: x * w, y: y * h };
}

/** A normalized point on a surface of `width` x `height` units (screenshot pixels, CSS pixels, ...). */
export function normalizedToScreen(p: { x: number; y: number }, width: number, height: number): { x: number; y: number } {
  return { x: p.x * width, y: p.y * height };
}
