/**
 * Draws what an action did onto its screenshot: a ring and crosshair at each click point, an arrow for a
 * drag / swipe, an arrow in the scroll direction. Used for trajectory step images.
 */
import { Canvas, type Color } from '../io/canvas.ts';
import { directionVector as dirVec, type Action } from './actions.ts';
import { decodePng, encodePng, type RgbaImage } from './png.ts';

const RED: Color = [235, 20, 60];
const BLUE: Color = [20, 110, 255];
const ORANGE: Color = [255, 140, 0];
const WHITE: Color = [255, 255, 255];

/** Draws markers for `actions` (normalized positions) into a copy of the PNG and returns the new PNG. */
export function annotatePng(png: Uint8Array, actions: readonly Action[]): Buffer {
  const img = decodePng(png);
  drawActions(img, actions);
  return encodePng(img);
}

/** Draws markers for `actions` (normalized positions) into `img`, in place. */
export function drawActions(img: RgbaImage, actions: readonly Action[]): void {
  const cv = Canvas.fromImage({ ...img, channels: 4 });
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
        cv.circle(p.x, p.y, unit * 1.6, WHITE, Math.max(2, unit / 3));
        cv.circle(p.x, p.y, unit * 1.6, color, Math.max(1, unit / 5));
        if (a.type === 'left_double') cv.circle(p.x, p.y, unit * 2.4, color, Math.max(1, unit / 5));
        const w = Math.max(1, unit / 6);
        cv.line(p.x - unit * 2.6, p.y, p.x - unit * 0.8, p.y, color, w);
        cv.line(p.x + unit * 0.8, p.y, p.x + unit * 2.6, p.y, color, w);
        cv.line(p.x, p.y - unit * 2.6, p.x, p.y - unit * 0.8, color, w);
        cv.line(p.x, p.y + unit * 0.8, p.x, p.y + unit * 2.6, color, w);
        cv.dot(p.x, p.y, Math.max(1.5, unit / 4), color);
        break;
      }
      case 'drag':
      case 'swipe': {
        const s = px(a.start);
        cv.circle(s.x, s.y, unit * 1.2, BLUE, Math.max(1, unit / 4));
        if (a.type === 'drag' || a.end) {
          const e = px(a.type === 'drag' ? a.end : a.end!);
          arrow(cv, s.x, s.y, e.x, e.y, Math.max(1.5, unit / 4), unit * 1.5, BLUE);
        } else if (a.direction) {
          const d = dirVec(a.direction);
          arrow(cv, s.x, s.y, s.x + d.x * unit * 6, s.y + d.y * unit * 6, Math.max(1.5, unit / 4), unit * 1.5, BLUE);
        }
        break;
      }
      case 'scroll': {
        const c = a.target ? px(a.target) : { x: img.width / 2, y: img.height / 2 };
        const d = dirVec(a.direction);
        cv.dot(c.x, c.y, Math.max(2, unit / 2), ORANGE);
        arrow(cv, c.x, c.y, c.x + d.x * unit * 6, c.y + d.y * unit * 6, Math.max(1.5, unit / 3), unit * 1.8, ORANGE);
        break;
      }
      default:
        break;
    }
  }
  img.data.set(cv.data);
}


function arrow(cv: Canvas, x0: number, y0: number, x1: number, y1: number, w: number, head: number, c: Color): void {
  cv.line(x0, y0, x1, y1, c, w);
  const ang = Math.atan2(y1 - y0, x1 - x0);
  for (const s of [-1, 1]) {
    const a = ang + Math.PI + (s * Math.PI) / 7;
    cv.line(x1, y1, x1 + Math.cos(a) * head, y1 + Math.sin(a) * head, c, w);
  }
}
