/**
 * Draws what an action did onto its screenshot: a ring and crosshair at each click point, an arrow for a
 * drag / swipe, an arrow in the scroll direction. Used for trajectory step images.
 */
import type { Action } from './actions.ts';
import { decodePng, encodePng, type RgbaImage } from './png.ts';

type Rgb = readonly [number, number, number];
const RED: Rgb = [235, 20, 60];
const BLUE: Rgb = [20, 110, 255];
const ORANGE: Rgb = [255, 140, 0];
const WHITE: Rgb = [255, 255, 255];

/** Draws markers for `actions` (normalized positions) into a copy of the PNG and returns the new PNG. */
export function annotatePng(png: Uint8Array, actions: readonly Action[]): Buffer {
  const img = decodePng(png);
  drawActions(img, actions);
  return encodePng(img);
}

export function drawActions(img: RgbaImage, actions: readonly Action[]): void {
  // Marker size follows the image: about 1/80 of its shorter side, at least 6 px.
  const unit = Math.max(6, Math.round(Math.min(img.width, img.height) / 80));
  const px = (p: { x: number; y: number }) => ({ x: p.x * img.width, y: p.y * img.height });
  for (const a of actions) {
    switch (a.type) {
      case 'click':
      case 'left_double':
      case 'right_single':
      case 'hover':
      case 'long_press': {
        const p = px(a.target);
        const color = a.type === 'right_single' ? BLUE : RED;
        ring(img, p.x, p.y, unit * 1.6, Math.max(2, unit / 3), WHITE);
        ring(img, p.x, p.y, unit * 1.6, Math.max(1, unit / 5), color);
        if (a.type === 'left_double') ring(img, p.x, p.y, unit * 2.4, Math.max(1, unit / 5), color);
        line(img, p.x - unit * 2.6, p.y, p.x - unit * 0.8, p.y, Math.max(1, unit / 6), color);
        line(img, p.x + unit * 0.8, p.y, p.x + unit * 2.6, p.y, Math.max(1, unit / 6), color);
        line(img, p.x, p.y - unit * 2.6, p.x, p.y - unit * 0.8, Math.max(1, unit / 6), color);
        line(img, p.x, p.y + unit * 0.8, p.x, p.y + unit * 2.6, Math.max(1, unit / 6), color);
        disk(img, p.x, p.y, Math.max(1.5, unit / 4), color);
        break;
      }
      case 'drag':
      case 'swipe': {
        const s = px(a.start);
        ring(img, s.x, s.y, unit * 1.2, Math.max(1, unit / 4), BLUE);
        if (a.type === 'drag' || a.end) {
          const e = px(a.type === 'drag' ? a.end : a.end!);
          arrow(img, s.x, s.y, e.x, e.y, Math.max(1.5, unit / 4), unit * 1.5, BLUE);
        } else if (a.direction) {
          const d = dirVec(a.direction);
          arrow(img, s.x, s.y, s.x + d.x * unit * 6, s.y + d.y * unit * 6, Math.max(1.5, unit / 4), unit * 1.5, BLUE);
        }
        break;
      }
      case 'scroll': {
        const c = a.target ? px(a.target) : { x: img.width / 2, y: img.height / 2 };
        const d = dirVec(a.direction);
        disk(img, c.x, c.y, Math.max(2, unit / 2), ORANGE);
        arrow(img, c.x, c.y, c.x + d.x * unit * 6, c.y + d.y * unit * 6, Math.max(1.5, unit / 3), unit * 1.8, ORANGE);
        break;
      }
      default:
        break;
    }
  }
}

function dirVec(d: 'up' | 'down' | 'left' | 'right'): { x: number; y: number } {
  return d === 'up' ? { x: 0, y: -1 } : d === 'down' ? { x: 0, y: 1 } : d === 'left' ? { x: -1, y: 0 } : { x: 1, y: 0 };
}

function put(img: RgbaImage, x: number, y: number, c: Rgb): void {
  if (x < 0 || y < 0 || x >= img.width || y >= img.height) return;
  const i = (y * img.width + x) * 4;
  img.data[i] = c[0];
  img.data[i + 1] = c[1];
  img.data[i + 2] = c[2];
  img.data[i + 3] = 255;
}

function disk(img: RgbaImage, cx: number, cy: number, r: number, c: Rgb): void {
  for (let y = Math.floor(cy - r); y <= Math.ceil(cy + r); y++) {
    for (let x = Math.floor(cx - r); x <= Math.ceil(cx + r); x++) {
      if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r) put(img, x, y, c);
    }
  }
}

function ring(img: RgbaImage, cx: number, cy: number, r: number, w: number, c: Rgb): void {
  const ro = r + w / 2;
  const ri = Math.max(0, r - w / 2);
  for (let y = Math.floor(cy - ro); y <= Math.ceil(cy + ro); y++) {
    for (let x = Math.floor(cx - ro); x <= Math.ceil(cx + ro); x++) {
      const d2 = (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2;
      if (d2 <= ro * ro && d2 >= ri * ri) put(img, x, y, c);
    }
  }
}

function line(img: RgbaImage, x0: number, y0: number, x1: number, y1: number, w: number, c: Rgb): void {
  const len = Math.hypot(x1 - x0, y1 - y0);
  const steps = Math.max(1, Math.ceil(len));
  for (let i = 0; i <= steps; i++) {
    const t = i / steps;
    disk(img, x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, w / 2, c);
  }
}

function arrow(img: RgbaImage, x0: number, y0: number, x1: number, y1: number, w: number, head: number, c: Rgb): void {
  line(img, x0, y0, x1, y1, w, c);
  const ang = Math.atan2(y1 - y0, x1 - x0);
  for (const s of [-1, 1]) {
    const a = ang + Math.PI + (s * Math.PI) / 7;
    line(img, x1, y1, x1 + Math.cos(a) * head, y1 + Math.sin(a) * head, w, c);
  }
}
