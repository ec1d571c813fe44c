/**
 * Colour shapes made on the fly: 32×32 RGB images of one square, disc or triangle of random colour,
 * size, position and rotation on a random plain background (a colour set that exercises colour and
 * adversarial losses without any download). Deterministic per (split, index): a seeded PRNG per
 * split; 2×2 supersampling smooths the edges. Labels: 0 square, 1 disc, 2 triangle.
 */
import { torch } from '../tensor/index.ts';
import { mulberry32, type ImageSet, type Split } from './images.ts';

export const SHAPE_CLASSES = ['square', 'disc', 'triangle'];
export const SHAPES_SIZE = 32;

const TRI = Math.sqrt(3) / 2;

/** Is (u, v), in the shape's own frame (centred, unrotated, half-size 1), inside shape k? */
function inside(k: number, u: number, v: number): boolean {
  if (k === 0) return Math.abs(u) <= 1 && Math.abs(v) <= 1;
  if (k === 1) return u * u + v * v <= 1;
  // Equilateral triangle inscribed in the unit circle, apex up (v grows downwards): same side of every edge.
  const cross = (ax: number, ay: number, bx: number, by: number): number => (bx - ax) * (v - ay) - (by - ay) * (u - ax);
  const d0 = cross(0, -1, TRI, 0.5), d1 = cross(TRI, 0.5, -TRI, 0.5), d2 = cross(-TRI, 0.5, 0, -1);
  return (d0 >= 0 && d1 >= 0 && d2 >= 0) || (d0 <= 0 && d1 <= 0 && d2 <= 0);
}

/** Renders n images [n, 3, 32, 32] uint8 and labels from a seed. */
export function renderShapes(n: number, seed: number): { pixels: Uint8Array; labels: Uint8Array } {
  const S = SHAPES_SIZE;
  const rnd = mulberry32(seed);
  const pixels = new Uint8Array(n * 3 * S * S);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const k = Math.floor(rnd() * 3);
    labels[i] = k;
    const bg = [rnd(), rnd(), rnd()].map((c) => c * 0.6);
    // A foreground colour far enough from the background to be seen.
    let fg = [rnd(), rnd(), rnd()];
    for (let tries = 0; tries < 10 && Math.hypot(fg[0]! - bg[0]!, fg[1]! - bg[1]!, fg[2]! - bg[2]!) < 0.5; tries++) fg = [rnd(), rnd(), rnd()];
    const r = 5 + rnd() * 7; // half-size in pixels
    const cx = r + rnd() * (S - 2 * r), cy = r + rnd() * (S - 2 * r);
    const reach = r * Math.SQRT2 + 1;
    const a = rnd() * 2 * Math.PI, ca = Math.cos(a), sa = Math.sin(a);
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        let cover = 0;
        if (Math.abs(x + 0.5 - cx) <= reach && Math.abs(y + 0.5 - cy) <= reach) {
          for (let sub = 0; sub < 4; sub++) {
            const dx = x + 0.25 + 0.5 * (sub & 1) - cx, dy = y + 0.25 + 0.5 * (sub >> 1) - cy;
            if (inside(k, (ca * dx + sa * dy) / r, (-sa * dx + ca * dy) / r)) cover += 0.25;
          }
        }
        for (let c = 0; c < 3; c++) pixels[((i * 3 + c) * S + y) * S + x] = Math.round(255 * (bg[c]! * (1 - cover) + fg[c]! * cover));
      }
    }
  }
  return { pixels, labels };
}

/** The shapes set's split (train 10,000, test 2,000; fixed seeds). Its tensors are kept: dispose(). */
export function loadShapes(split: Split = 'train', size?: number): ImageSet {
  const n = size ?? (split === 'train' ? 10_000 : 2_000);
  const { pixels, labels } = renderShapes(n, split === 'train' ? 12_345 : 54_321);
  const images = torch.fromTypedArray(pixels, [n, 3, SHAPES_SIZE, SHAPES_SIZE]).keep();
  const lab = torch.scope(() => torch.fromTypedArray(labels, [n]).long()).keep();
  return {
    name: 'shapes',
    split,
    images,
    labels: lab,
    classes: SHAPE_CLASSES,
    dispose() {
      images.dispose();
      lab.dispose();
    },
  };
}
