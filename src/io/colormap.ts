/**
 * Colormaps from small control-point tables, interpolated linearly in sRGB.
 * viridis (van der Walt & Smith, matplotlib's default): perceptually uniform, luminance increasing.
 */
import type { Color } from './canvas.ts';

/** viridis sampled at 10 evenly spaced points (matplotlib's `viridis(np.linspace(0, 1, 10))`). */
const VIRIDIS = ['440154', '482878', '3e4989', '31688e', '26828e', '1f9e89', '35b779', '6ece58', 'b5de2b', 'fde725'];
/** magma, for a second perceptual choice. */
const MAGMA = ['000004', '180f3d', '440f76', '721f81', '9e2f7f', 'cd4071', 'f1605d', 'fd9668', 'feca8d', 'fcfdbf'];

const parse = (hex: string[]): Color[] => hex.map((h) => [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16)]);
const TABLES = { viridis: parse(VIRIDIS), magma: parse(MAGMA), gray: parse(['000000', 'ffffff']) };

export type ColormapName = keyof typeof TABLES;
/** Maps t in [0, 1] (clamped; NaN -> 0) to a color. */
export type Colormap = (t: number) => Color;

/** A colormap by name: 'viridis' (default), 'magma' or 'gray'. */
export function colormap(name: ColormapName = 'viridis'): Colormap {
  const table = TABLES[name];
  if (!table) throw new RangeError(`colormap: unknown colormap ${JSON.stringify(name)}; use ${Object.keys(TABLES).join(', ')}`);
  const n = table.length - 1;
  return (t: number): Color => {
    const u = Number.isNaN(t) ? 0 : Math.min(1, Math.max(0, t)) * n;
    const i = Math.min(n - 1, Math.floor(u));
    const f = u - i;
    const a = table[i]!, b = table[i + 1]!;
    return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
  };
}

/** viridis(t) for t in [0, 1]. */
export const viridis: Colormap = colormap('viridis');

/** Relative luminance (Rec. 709 weights on linearized sRGB), 0..1. */
export function luminance(c: Color): number {
  const lin = (v: number): number => {
    const s = v / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
}
