/**
 * 2-D toy distributions made on the fly, with the scales of FFJORD's toy sets (lib/toy_data.py,
 * Grathwohl et al., 2019): most mass inside [-4, 4]². Each draws i.i.d. points (sklearn's
 * moons/circles use evenly spaced angles; here angles are uniform, so `sample(n)` is i.i.d.).
 * `logDensity` is given where the density is exact (8gaussians, checkerboard).
 */
import { torch, type Tensor, type Generator } from '../tensor/index.ts';

export interface Toy2D {
  name: string;
  description: string;
  /** n i.i.d. points, float32 [n, 2]. */
  sample(n: number, generator?: Generator): Tensor;
  /** Exact log density in nats, [n] for x [n, 2] (-Infinity outside the support); absent where unknown. */
  logDensity?: (x: Tensor) => Tensor;
}

const rand = (shape: number[], g?: Generator): Tensor => (g ? torch.rand(shape, { generator: g }) : torch.rand(shape));
const randn = (shape: number[], g?: Generator): Tensor => (g ? torch.randn(shape, { generator: g }) : torch.randn(shape));
/** Uniform integers in [0, high), float32 [n, 1]. */
const randClass = (n: number, high: number, g?: Generator): Tensor => rand([n, 1], g).mul(high).floor().clampMax(high - 1);

function checkN(n: number, name: string): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${name}.sample: n must be a non-negative integer, got ${n}`);
}

/** Two interleaved half-circles (sklearn make_moons, noise 0.1), then x·2 + (-1, -0.2). */
export const moons: Toy2D = {
  name: 'moons',
  description: 'two interleaving half circles',
  sample(n, g) {
    checkN(n, 'moons');
    return torch.scope(() => {
      const a = rand([n, 1], g).mul(Math.PI);
      const inner = rand([n, 1], g).lt(0.5).float();
      const outerPts = torch.cat([a.cos(), a.sin()], 1);
      const innerPts = torch.cat([a.cos().neg().add(1), a.sin().neg().add(0.5)], 1);
      const pts = outerPts.mul(inner.neg().add(1)).add(innerPts.mul(inner));
      return pts.add(randn([n, 2], g).mul(0.1)).mul(2).add(torch.tensor([-1, -0.2]));
    });
  },
};

/** Two concentric circles of radii 3 and 1.5 (sklearn make_circles, factor 0.5, noise 0.08, times 3). */
export const circles: Toy2D = {
  name: 'circles',
  description: 'two concentric circles',
  sample(n, g) {
    checkN(n, 'circles');
    return torch.scope(() => {
      const a = rand([n, 1], g).mul(2 * Math.PI);
      const r = rand([n, 1], g).lt(0.5).float().mul(-0.5).add(1);
      const pts = torch.cat([a.cos(), a.sin()], 1).mul(r);
      return pts.add(randn([n, 2], g).mul(0.08)).mul(3);
    });
  },
};

const S2 = 1 / Math.SQRT2;
const EIGHT_CENTERS = [[1, 0], [-1, 0], [0, 1], [0, -1], [S2, S2], [S2, -S2], [-S2, S2], [-S2, -S2]];
/** FFJORD divides by 1.414, not √2. */
const G8_SCALE = 4 / 1.414;
const G8_STD = 0.5 / 1.414;

/** An equal mixture of 8 isotropic Gaussians on a circle of radius 4/1.414, std 0.5/1.414. */
export const eightGaussians: Toy2D = {
  name: '8gaussians',
  description: 'mixture of 8 Gaussians on a circle',
  sample(n, g) {
    checkN(n, '8gaussians');
    return torch.scope(() => {
      const centers = torch.tensor(EIGHT_CENTERS).mul(G8_SCALE);
      const k = randClass(n, 8, g).squeeze(1).long();
      return centers.indexSelect(0, k).add(randn([n, 2], g).mul(G8_STD));
    });
  },
  logDensity(x) {
    return torch.scope(() => {
      const centers = torch.tensor(EIGHT_CENTERS, { dtype: x.dtype }).mul(G8_SCALE);
      const d2 = x.unsqueeze(1).sub(centers.unsqueeze(0)).square().sum(-1); // [n, 8]
      const logN = d2.mul(-0.5 / (G8_STD * G8_STD)).sub(Math.log(2 * Math.PI * G8_STD * G8_STD));
      return logN.logsumexp(-1).sub(Math.log(8));
    });
  },
};

/** Uniform on the 8 dark 2×2 cells of a 4×4 checkerboard over [-4, 4]²: density 1/32 there, 0 elsewhere. */
export const checkerboard: Toy2D = {
  name: 'checkerboard',
  description: 'uniform on the dark cells of a 4x4 checkerboard',
  sample(n, g) {
    checkN(n, 'checkerboard');
    return torch.scope(() => {
      const x1 = rand([n], g).mul(4).sub(2);
      const x2_ = rand([n], g).sub(rand([n], g).lt(0.5).float().mul(2));
      const x2 = x2_.add(x1.floor().remainder(2));
      return torch.stack([x1, x2], 1).mul(2);
    });
  },
  logDensity(x) {
    return torch.scope(() => {
      const cell = x.div(2).floor(); // cell indices in {-2, -1, 0, 1} inside the board
      const inside = x.ge(-4).logicalAnd(x.lt(4)).all(-1);
      const dark = cell.sum(-1).remainder(2).eq(0);
      return torch.fullLike(x.select(-1, 0), -Math.log(32)).maskedFill(inside.logicalAnd(dark).logicalNot(), Number.NEGATIVE_INFINITY);
    });
  },
};

/** The swiss roll (sklearn make_swiss_roll, noise 1), coordinates (x, z) divided by 5. */
export const swissroll: Toy2D = {
  name: 'swissroll',
  description: 'a noisy 2-D swiss roll',
  sample(n, g) {
    checkN(n, 'swissroll');
    return torch.scope(() => {
      const t = rand([n, 1], g).mul(2).add(1).mul(1.5 * Math.PI);
      const pts = torch.cat([t.mul(t.cos()), t.mul(t.sin())], 1);
      return pts.add(randn([n, 2], g)).div(5);
    });
  },
};

/** Five curved arms (FFJORD pinwheel: radial std 0.3, tangential std 0.1, rate 0.25), times 2. */
export const pinwheel: Toy2D = {
  name: 'pinwheel',
  description: 'five curved arms',
  sample(n, g) {
    checkN(n, 'pinwheel');
    return torch.scope(() => {
      const k = randClass(n, 5, g);
      const f = randn([n, 2], g).mul(torch.tensor([0.3, 0.1])).add(torch.tensor([1, 0]));
      const f0 = f.narrow(1, 0, 1);
      const f1 = f.narrow(1, 1, 1);
      const angle = k.mul((2 * Math.PI) / 5).add(f0.exp().mul(0.25));
      const c = angle.cos();
      const s = angle.sin();
      // rows (f0, f1) times [[cos, -sin], [sin, cos]]
      return torch.cat([f0.mul(c).add(f1.mul(s)), f0.mul(s).neg().add(f1.mul(c))], 1).mul(2);
    });
  },
};

/** Two interleaved spirals (FFJORD 2spirals). */
export const twoSpirals: Toy2D = {
  name: '2spirals',
  description: 'two interleaved spirals',
  sample(n, g) {
    checkN(n, '2spirals');
    return torch.scope(() => {
      const t = rand([n, 1], g).sqrt().mul((540 * 2 * Math.PI) / 360);
      const dx = t.cos().neg().mul(t).add(rand([n, 1], g).mul(0.5));
      const dy = t.sin().mul(t).add(rand([n, 1], g).mul(0.5));
      const sign = rand([n, 1], g).lt(0.5).float().mul(2).sub(1);
      return torch.cat([dx, dy], 1).mul(sign).div(3).add(randn([n, 2], g).mul(0.1));
    });
  },
};

/** Every 2-D toy set by name. */
export const toy2d: Record<string, Toy2D> = Object.fromEntries(
  [moons, circles, eightGaussians, checkerboard, swissroll, pinwheel, twoSpirals].map((d) => [d.name, d]),
);
