/**
 * Human-like pointer paths: a cubic Bézier from the current position to the target whose control points sit a
 * little off the straight line (a curved stroke), travelled with minimum-jerk timing (slow start, fast middle,
 * slow end), with a number of samples that grows with the distance. Deterministic for a given random source.
 */
import { mulberry32 } from '../../data/prng.ts';

export interface PathOptions {
  /** Largest sideways bend, as a fraction of the distance. Default 0.15. */
  curvature?: number;
  /** Pixels per sample (more samples for longer moves). Default 12; at least 6 and at most 60 samples. */
  pixelsPerStep?: number;
}

/** Minimum-jerk position profile s(t) = 10t³ − 15t⁴ + 6t⁵ (0 → 0, 1 → 1, zero velocity and acceleration at both ends). */
export function minimumJerk(t: number): number {
  return t * t * t * (10 - 15 * t + 6 * t * t);
}

/** The points of a move from `from` to `to` (the last one is exactly `to`; `from` itself is not included). */
export function humanPath(
  from: { x: number; y: number },
  to: { x: number; y: number },
  random: () => number,
  options: PathOptions = {},
): { x: number; y: number }[] {
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  const dist = Math.hypot(dx, dy);
  if (dist < 1) return [{ x: to.x, y: to.y }];
  const n = Math.max(6, Math.min(60, Math.round(dist / (options.pixelsPerStep ?? 12))));
  const bend = (options.curvature ?? 0.15) * dist;
  // Unit normal to the line.
  const nx = -dy / dist;
  const ny = dx / dist;
  const o1 = (random() * 2 - 1) * bend;
  const o2 = (random() * 2 - 1) * bend;
  const c1 = { x: from.x + dx * 0.3 + nx * o1, y: from.y + dy * 0.3 + ny * o1 };
  const c2 = { x: from.x + dx * 0.7 + nx * o2, y: from.y + dy * 0.7 + ny * o2 };
  const pts: { x: number; y: number }[] = [];
  for (let i = 1; i <= n; i++) {
    const t = minimumJerk(i / n);
    const u = 1 - t;
    const b0 = u * u * u;
    const b1 = 3 * u * u * t;
    const b2 = 3 * u * t * t;
    const b3 = t * t * t;
    pts.push({ x: b0 * from.x + b1 * c1.x + b2 * c2.x + b3 * to.x, y: b0 * from.y + b1 * c1.y + b2 * c2.y + b3 * to.y });
  }
  pts[pts.length - 1] = { x: to.x, y: to.y };
  return pts;
}

/** The seeded PRNG of the paths (mulberry32), re-exported for the operator and tests. */
export { mulberry32 };
