import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { torch, type Tensor } from '../../../src/tensor/index.ts';
import {
  ActNorm, AdditiveCoupling, AffineCoupling, Bijector, ConvNet, DiagonalScaling, Flow, Invert, InvertibleConv1x1,
  InvertibleConv1x1LU, LogitTransform, MLP, MultiScale, Permutation, Planar, Radial, RandomPermutation, Reverse, SplineCoupling,
  Squeeze, StandardNormal, alternatingMask, channelMask, checkerboardMask, halfMask, rationalQuadraticSpline,
} from '../../../src/models/flows/index.ts';
import { bruteLogDet, checkBijector, maxAbsDiff } from './helpers.ts';

const dtype = 'float64' as const;
const randn = (shape: number[]) => torch.randn(shape, { dtype });
const mlp = (d: number, out: number) => new MLP(d, out, { hidden: [16, 16], activation: 'tanh', zeroInit: false, dtype });

describe('brute-force checker', () => {
  test('matches log|det A| of a linear map and catches a wrong logDet', () => {
    torch.manualSeed(0);
    torch.scope(() => {
      const A = randn([3, 3]);
      const x = randn([4, 3]);
      const ld = bruteLogDet((t) => t.matmul(A.t()), x);
      const want = torch.linalg.slogdet(A)[1]!.item();
      for (const v of ld.toFlatArray()) assert.ok(Math.abs(v - want) < 1e-10);
      class Wrong extends Bijector {
        forward(t: Tensor) { return { y: t.mul(2), logDet: torch.zeros([t.size(0)], { dtype }) }; }
        inverse(t: Tensor) { return { x: t.div(2), logDet: torch.zeros([t.size(0)], { dtype }) }; }
      }
      assert.throws(() => checkBijector(new Wrong(), x), /forward logDet off/);
    });
  });
});

describe('couplings', () => {
  test('NICE additive coupling (half and alternating masks) is volume preserving and inverts', () => {
    torch.manualSeed(1);
    for (const mask of [halfMask(4, 0, dtype), alternatingMask(4, 1, dtype)]) {
      const b = new AdditiveCoupling(mask, mlp(4, 4));
      checkBijector(b, randn([5, 4]));
      b.dispose();
    }
  });

  test('NICE diagonal scaling', () => {
    torch.manualSeed(2);
    const b = new DiagonalScaling([3], { dtype });
    torch.noGrad(() => b.logScale.copy_(randn([3])));
    checkBijector(b, randn([4, 3]));
    b.dispose();
  });

  for (const scale of ['tanh', 'sigmoid'] as const) {
    test(`RealNVP affine coupling on vectors (${scale} scale)`, () => {
      torch.manualSeed(3);
      const b = new AffineCoupling(halfMask(4, 1, dtype), mlp(4, 8), { scale, dtype });
      checkBijector(b, randn([5, 4]).mul(2));
      b.dispose();
    });
  }

  test('RealNVP affine coupling on images: checkerboard and channel masks', () => {
    torch.manualSeed(4);
    const nets = [new ConvNet(2, 4, { hidden: 8, zeroInit: false, dtype }), new ConvNet(2, 4, { hidden: 8, zeroInit: false, dtype })];
    const couplings = [
      new AffineCoupling(checkerboardMask(2, 4, 4, 0, dtype), nets[0]!, { dtype }),
      new AffineCoupling(channelMask(2, 4, 4, 1, dtype), nets[1]!, { scale: 'sigmoid', dtype }),
    ];
    for (const b of couplings) {
      checkBijector(b, randn([2, 2, 4, 4]));
      b.dispose();
    }
  });

  test('zero-initialised conditioner makes a coupling the identity', () => {
    torch.manualSeed(5);
    torch.scope(() => {
      const b = new AffineCoupling(halfMask(4, 0, dtype), new MLP(4, 8, { hidden: [8], dtype }), { dtype });
      const x = randn([3, 4]);
      const { y, logDet } = b.forward(x);
      assert.ok(maxAbsDiff(y, x) < 1e-12);
      assert.ok(logDet.abs().max().item() < 1e-12);
      b.dispose();
    });
  });

  test('rational-quadratic spline coupling: vectors, with inputs in the linear tails', () => {
    torch.manualSeed(6);
    const b = new SplineCoupling(halfMask(4, 0, dtype), mlp(4, 4 * SplineCoupling.paramsPerDim(5)), { bins: 5, bound: 2, dtype });
    const x = randn([6, 4]).mul(1.5);
    torch.noGrad(() => x.select(0, 0).fill_(2.7)); // a whole example outside [-B, B]
    checkBijector(b, x, 1e-7);
    b.dispose();
  });

  test('rational-quadratic spline coupling on images (channel mask)', () => {
    torch.manualSeed(7);
    const b = new SplineCoupling(channelMask(2, 2, 2, 0, dtype), new ConvNet(2, 2 * SplineCoupling.paramsPerDim(4), { hidden: 8, zeroInit: false, dtype }), { bins: 4, dtype });
    checkBijector(b, randn([2, 2, 2, 2]), 1e-7);
    b.dispose();
  });

  test('the spline is monotone, maps [-B, B] onto itself and is the identity outside', () => {
    torch.manualSeed(8);
    torch.scope(() => {
      const x = torch.linspace(-4, 4, 401, { dtype });
      const n = x.size(0);
      const p = { widths: randn([1, 6]).expand([n, 6]), heights: randn([1, 6]).expand([n, 6]), derivatives: randn([1, 5]).expand([n, 5]) };
      const { out } = rationalQuadraticSpline(x, p, false, { bound: 3 });
      const diffs = out.narrow(0, 1, n - 1).sub(out.narrow(0, 0, n - 1));
      assert.ok(diffs.min().item() > 0, 'monotone');
      const ends = rationalQuadraticSpline(torch.tensor([-3, 3, -3.5, 3.9], { dtype }), { widths: p.widths.narrow(0, 0, 4), heights: p.heights.narrow(0, 0, 4), derivatives: p.derivatives.narrow(0, 0, 4) }, false, { bound: 3 });
      assert.ok(maxAbsDiff(ends.out, torch.tensor([-3, 3, -3.5, 3.9], { dtype })) < 1e-9);
    });
  });
});

describe('permutations, actnorm, 1x1 convolutions, squeeze', () => {
  test('reverse and random permutations', () => {
    torch.manualSeed(9);
    checkBijector(new Reverse(5), randn([3, 5]));
    const p = new RandomPermutation(5, 42);
    checkBijector(p, randn([3, 5]));
    const q = new RandomPermutation(5, 42);
    torch.scope(() => {
      const x = torch.arange(5, { dtype }).unsqueeze(0);
      assert.deepEqual(p.forward(x).y.toFlatArray(), q.forward(x).y.toFlatArray(), 'same seed, same permutation');
      assert.notDeepEqual(p.forward(x).y.toFlatArray(), [0, 1, 2, 3, 4]);
    });
    assert.throws(() => new Permutation([0, 0, 1]), /not a permutation/);
  });

  test('actnorm data-dependent init gives zero mean / unit variance, then is a checked bijector', () => {
    torch.manualSeed(10);
    for (const shape of [[64, 3], [16, 3, 4, 4]]) {
      const a = new ActNorm(3, { dtype });
      torch.scope(() => {
        const x = randn(shape).mul(3).add(2);
        const { y } = a.forward(x);
        const dims = shape.length === 2 ? [0] : [0, 2, 3];
        assert.ok(y.mean(dims).abs().max().item() < 1e-9);
        assert.ok(y.std(dims, { correction: 0 }).sub(1).abs().max().item() < 1e-5);
      });
      assert.ok(a.initialized);
      checkBijector(a, randn([2, ...shape.slice(1)]));
      a.dispose();
    }
  });

  test('invertible 1x1 convolution, plain (slogdet) and LU-parameterized, on images and vectors', () => {
    torch.manualSeed(11);
    for (const B of [InvertibleConv1x1, InvertibleConv1x1LU]) {
      const b = new B(3, { dtype, seed: 3 });
      checkBijector(b, randn([2, 3, 2, 2]));
      checkBijector(b, randn([4, 3]));
      b.dispose();
    }
  });

  test('LU weight after a parameter change still has log|det| = sum(logS)', () => {
    torch.manualSeed(12);
    const b = new InvertibleConv1x1LU(4, { dtype });
    torch.noGrad(() => {
      b.lower.add_(randn([4, 4]).mul(0.3));
      b.upper.add_(randn([4, 4]).mul(0.3));
      b.logS.add_(randn([4]).mul(0.3));
    });
    torch.scope(() => {
      assert.ok(Math.abs(torch.linalg.slogdet(b.weight())[1]!.item() - b.logS.sum().item()) < 1e-10);
    });
    checkBijector(b, randn([2, 4, 2, 2]));
    b.dispose();
  });

  test('squeeze reshapes [C,H,W] -> [4C,H/2,W/2] and inverts', () => {
    torch.manualSeed(13);
    const s = new Squeeze();
    assert.deepEqual(s.outputShape([2, 4, 6]), [8, 2, 3]);
    assert.throws(() => s.outputShape([1, 3, 4]), /divisible/);
    torch.scope(() => assert.deepEqual(s.forward(randn([1, 2, 4, 6])).y.shape, [1, 8, 2, 3]));
    checkBijector(s, randn([2, 1, 4, 4]));
  });

  test('multi-scale: squeeze + steps, half the channels factored out per level', () => {
    torch.manualSeed(14);
    const level0 = [new Squeeze(), new ActNorm(4, { dtype, dataInit: false }), new InvertibleConv1x1LU(4, { dtype }), new AffineCoupling(channelMask(4, 2, 2, 0, dtype), new ConvNet(4, 8, { hidden: 8, zeroInit: false, dtype }), { dtype })];
    const level1 = [new Squeeze(), new AffineCoupling(channelMask(8, 1, 1, 1, dtype), new ConvNet(8, 16, { hidden: 8, zeroInit: false, dtype }), { scale: 'sigmoid', dtype })];
    const ms = new MultiScale([level0, level1], [1, 4, 4]);
    assert.deepEqual(ms.plan.map((p) => p.factored), [[2, 2, 2], null]);
    assert.deepEqual(ms.outputShape(), [16]);
    const x = randn([2, 1, 4, 4]);
    torch.scope(() => assert.deepEqual(ms.forward(x).y.shape, [2, 16]));
    checkBijector(ms, x);
    ms.dispose();
  });
});

describe('planar, radial, logit, invert', () => {
  test('planar flow: logDet, numeric inverse, and the wᵀû ≥ -1 constraint', () => {
    torch.manualSeed(15);
    const p = new Planar(2, { dtype, initScale: 1 });
    // Adversarial u, w with wᵀu = -4: the raw map would not be invertible.
    torch.noGrad(() => {
      p.w.copy_(torch.tensor([2, 0], { dtype }));
      p.u.copy_(torch.tensor([-2, 1], { dtype }));
    });
    torch.scope(() => assert.ok(p.w.dot(p.uHat()).item() >= -1 - 1e-12));
    checkBijector(p, randn([6, 2]).mul(2));
    torch.noGrad(() => p.u.copy_(torch.tensor([3, -1], { dtype })));
    checkBijector(p, randn([6, 2]));
    p.dispose();
  });

  test('radial flow: logDet and closed-form inverse, with negative β (β ≥ -α)', () => {
    torch.manualSeed(16);
    for (const betaRaw of [-3, 2]) {
      const r = new Radial(3, { dtype });
      torch.noGrad(() => r.betaRaw.fill_(betaRaw));
      torch.scope(() => {
        const { alpha, beta } = r.coefficients();
        assert.ok(beta.item() >= -alpha.item());
      });
      checkBijector(r, randn([5, 3]).mul(2));
      r.dispose();
    }
  });

  test('logit preprocessing counts the 1/256 scaling and the logit in its logDet', () => {
    torch.manualSeed(17);
    const l = new LogitTransform(0.05);
    const x = torch.rand([3, 2, 2, 2], { dtype }).mul(256);
    checkBijector(l, x, 1e-9);
    torch.scope(() => {
      // One pixel: dy/dx = (1-2α)/256 / (p(1-p)).
      const v = torch.tensor([[128]], { dtype });
      const want = Math.log((0.9 / 256) / (0.5 * 0.5));
      assert.ok(Math.abs(l.forward(v).logDet.item() - want) < 1e-12);
    });
  });

  test('Invert swaps directions', () => {
    torch.manualSeed(18);
    const p = new Invert(new Radial(2, { dtype }));
    checkBijector(p, randn([4, 2]));
    p.dispose();
  });
});

describe('Flow', () => {
  test('logProb = base log density + brute-force log|det| of the composition; sampling and trajectories', () => {
    torch.manualSeed(19);
    const bijectors = [
      new ActNorm(2, { dtype, dataInit: false }),
      new AffineCoupling(halfMask(2, 0, dtype), mlp(2, 4), { dtype }),
      new Reverse(2),
      new SplineCoupling(halfMask(2, 0, dtype), mlp(2, 2 * SplineCoupling.paramsPerDim(4)), { bins: 4, dtype }),
      new InvertibleConv1x1LU(2, { dtype }),
    ];
    const flow = new Flow(new StandardNormal([2], dtype), bijectors);
    torch.scope(() => {
      const x = randn([5, 2]);
      const lp = flow.logProb(x);
      const z = flow.forward(x).z;
      const want = flow.base.logProb(z).add(bruteLogDet((t) => flow.forward(t).z, x));
      assert.ok(maxAbsDiff(lp, want) < 1e-8);
      const traj = flow.forwardAll(x);
      assert.equal(traj.length, bijectors.length + 1);
      assert.ok(maxAbsDiff(traj[traj.length - 1]!, z) < 1e-12);
      const s = flow.sample(7, { temperature: 0.5 });
      assert.deepEqual(s.shape, [7, 2]);
      const { x: xs, logProb } = flow.sampleWithLogProb(6);
      assert.ok(maxAbsDiff(logProb, flow.logProb(xs)) < 1e-8, 'sampleWithLogProb agrees with logProb');
      const back = flow.inverseAll(flow.forward(x).z);
      assert.ok(maxAbsDiff(back[back.length - 1]!, x) < 1e-9);
    });
    assert.equal(flow.parameters().length, 2 + (1 + 6) + 6 + 3); // actnorm, affine (scale factor + MLP), spline MLP, LU
    flow.dispose();
  });

  test('no tensors leak from forward/inverse inside a scope', () => {
    torch.manualSeed(20);
    const flow = new Flow(new StandardNormal([2]), [new AffineCoupling(halfMask(2), new MLP(2, 4, { hidden: [8] })), new Planar(2)]);
    const before = torch.memory().tensors;
    torch.scope(() => {
      flow.logProb(torch.randn([4, 2])).sum().backward();
      flow.sample(3);
    });
    for (const p of flow.parameters()) p.grad = null;
    assert.equal(torch.memory().tensors, before);
    flow.dispose();
  });
});
