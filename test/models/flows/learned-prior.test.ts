import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, type Tensor } from '../../../src/tensor/index.ts';
import { ActNorm, AffineCoupling, ConvNet, InvertibleConv1x1LU, MultiScale, Squeeze, channelMask, buildGlow, uniformDequantize, type Flow } from '../../../src/models/flows/index.ts';
import { SplitPrior, TopPrior } from '../../../src/models/flows/bijectors/learned-prior.ts';
import { checkBijector, maxAbsDiff } from './helpers.ts';

const dtype = 'float64' as const;
const LOG2PI = Math.log(2 * Math.PI);

/** Fills every parameter of a module with random values (the priors start at zero). */
function randomize(params: Tensor[], scale = 0.3): void {
  torch.noGrad(() => params.forEach((p) => p.copy_(torch.randn(p.shape, { dtype: p.dtype }).mul(scale))));
}

/** Naive 3x3 'same' convolution over nested JS arrays: out[o][i][j] = b[o] + Σ w[o][c][di][dj] x[c][i+di-1][j+dj-1]. */
function naiveConv(x: number[][][], w: number[][][][], b: number[]): number[][][] {
  const C = x.length, H = x[0]!.length, W = x[0]![0]!.length;
  return w.map((wo, o) =>
    Array.from({ length: H }, (_, i) =>
      Array.from({ length: W }, (_, j) => {
        let s = b[o]!;
        for (let c = 0; c < C; c++)
          for (let di = 0; di < 3; di++)
            for (let dj = 0; dj < 3; dj++) {
              const ii = i + di - 1, jj = j + dj - 1;
              if (ii >= 0 && ii < H && jj >= 0 && jj < W) s += wo[c]![di]![dj]! * x[c]![ii]![jj]!;
            }
        return s;
      }),
    ),
  );
}

test("Glow's split prior: log-density equals a brute-force Gaussian whose mean and log-scale come from the kept half", () => {
  torch.manualSeed(0);
  const prior = new SplitPrior(2, 1, { dtype });
  randomize(prior.parameters());
  const kept = torch.randn([3, 2, 2, 3], { dtype });
  const x = torch.randn([3, 1, 2, 3], { dtype });
  const w = prior.weight.toArray() as number[][][][];
  const b = prior.bias.toFlatArray();
  const logs = prior.logs.toFlatArray();
  const keptA = kept.toArray() as number[][][][];
  const xA = x.toArray() as number[][][][];
  const expected = keptA.map((k, n) => {
    const h = naiveConv(k, w, b).map((plane, o) => plane.map((row) => row.map((v) => v * Math.exp(3 * logs[o]!))));
    let lp = 0;
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 3; j++) {
        const mu = h[0]![i]![j]!, ls = h[1]![i]![j]!;
        const v = xA[n]![0]![i]![j]!;
        lp += -0.5 * ((v - mu) / Math.exp(ls)) ** 2 - ls - 0.5 * LOG2PI;
      }
    return lp;
  });
  const got = prior.logProb(x, kept).toFlatArray();
  got.forEach((g, n) => assert.ok(Math.abs(g - expected[n]!) < 1e-10, `example ${n}: ${g} vs ${expected[n]}`));
  // as a bijector onto N(0, I): log N(y; 0, I) + logDet is the same density
  const { y, logDet } = prior.forward(x, kept);
  const viaBase = y.flatten(1).square().sum(1).mul(-0.5).sub(0.5 * 6 * LOG2PI).add(logDet).toFlatArray();
  viaBase.forEach((g, n) => assert.ok(Math.abs(g - expected[n]!) < 1e-10));
  // and it inverts
  assert.ok(maxAbsDiff(prior.inverse(y, kept).x, x) < 1e-12);
  assert.throws(() => prior.forward(x), /kept half is needed/);
  prior.dispose();
});

test('the class-conditional top prior is a per-channel Gaussian shifted per class (brute force)', () => {
  torch.manualSeed(1);
  const top = new TopPrior(2, { dtype, classes: 3 });
  randomize(top.parameters());
  const x = torch.randn([2, 2, 2, 2], { dtype });
  const labels = [2, 0];
  const onehot = torch.oneHot(torch.tensor(labels, { dtype: 'int64' }), 3).to({ dtype });
  const { y, logDet } = top.forward(x, onehot);
  const got = y.flatten(1).square().sum(1).mul(-0.5).sub(0.5 * 8 * LOG2PI).add(logDet).toFlatArray();
  const m = top.mean.toFlatArray(), s = top.logScale.toFlatArray(), W = top.classWeight!.toArray() as number[][];
  const xA = x.toArray() as number[][][][];
  labels.forEach((k, n) => {
    let lp = 0;
    for (let c = 0; c < 2; c++) {
      const mu = m[c]! + W[c]![k]!, ls = s[c]! + W[2 + c]![k]!;
      for (const row of xA[n]![c]!) for (const v of row) lp += -0.5 * ((v - mu) / Math.exp(ls)) ** 2 - ls - 0.5 * LOG2PI;
    }
    assert.ok(Math.abs(got[n]! - lp) < 1e-10, `example ${n}: ${got[n]} vs ${lp}`);
  });
  assert.throws(() => top.forward(x), /class-conditional \(3 classes\)/);
  top.dispose();
});

function learnedMultiScale(): MultiScale {
  const level0 = [new Squeeze(), new ActNorm(4, { dtype, dataInit: false }), new InvertibleConv1x1LU(4, { dtype }), new AffineCoupling(channelMask(4, 2, 2, 0, dtype), new ConvNet(4, 8, { hidden: 8, zeroInit: false, dtype }), { dtype })];
  const level1 = [new Squeeze(), new AffineCoupling(channelMask(8, 1, 1, 1, dtype), new ConvNet(8, 16, { hidden: 8, zeroInit: false, dtype }), { scale: 'sigmoid', dtype })];
  const ms = new MultiScale([level0, level1], [1, 4, 4], { priors: 'learned', dtype });
  randomize([...ms.splitPriors[0]!.parameters(), ...ms.topPrior!.parameters()]);
  return ms;
}

test('multi-scale with learned priors: log-det against the brute-force Jacobian, and it inverts', () => {
  torch.manualSeed(2);
  const ms = learnedMultiScale();
  checkBijector(ms, torch.randn([2, 1, 4, 4], { dtype }));
  assert.throws(() => new MultiScale([], [1, 4, 4], { priors: 'fancy' as never }), /priors must be 'standard' or 'learned', got "fancy"/);
  ms.dispose();
});

test('temperature scales the noise of every level around its learned mean (T = 0 gives each mean)', () => {
  torch.manualSeed(3);
  const ms = learnedMultiScale();
  const eps = torch.randn([2, 16], { dtype });
  const levelParts = (T: number) => {
    const x = ms.inverse(eps.mul(T)).x;
    // run level 0 forward by hand: the factored-out half and the kept half
    let h = x;
    for (const b of ms.levels[0]!) h = b.forward(h).y;
    const out = h.narrow(1, 0, 2), rest = h.narrow(1, 2, 2);
    const { mean, logScale } = ms.splitPriors[0]!.params(rest);
    let top = rest;
    for (const b of ms.levels[1]!) top = b.forward(top).y;
    const tp = ms.topPrior!.params(top);
    return { dev0: out.sub(mean).mul(logScale.neg().exp()), mean0: mean, out0: out, devTop: top.sub(tp.mean).mul(tp.logScale.neg().exp()), top, topMean: tp.mean };
  };
  const z0 = levelParts(0);
  assert.ok(maxAbsDiff(z0.out0, z0.mean0) < 1e-10, 'T = 0: the factored half is its conditional mean');
  assert.ok(z0.mean0.abs().max().item() > 1e-3, 'and that mean is not zero');
  assert.ok(maxAbsDiff(z0.top, z0.topMean.expandAs(z0.top)) < 1e-10, 'T = 0: the top is its learned mean');
  for (const T of [0.5, 1]) {
    const z = levelParts(T);
    const e = eps.narrow(1, 0, 8).reshape([2, 2, 2, 2]).mul(T);
    assert.ok(maxAbsDiff(z.dev0, e) < 1e-9, `T = ${T}: level 0 deviation is T·ε`);
    const eTop = eps.narrow(1, 8, 8).reshape([2, 8, 1, 1]).mul(T);
    assert.ok(maxAbsDiff(z.devTop, eTop) < 1e-9, `T = ${T}: top deviation is T·ε`);
  }
  ms.dispose();
});

test('glow on images: learned priors train, a class-conditional glow samples given labels and evaluates the marginal NLL', () => {
  torch.manualSeed(4);
  const data = { name: 'tiny', kind: 'image' as const, shape: [1, 8, 8], range: [0, 1] as [number, number], classes: 3 };
  const m = buildGlow({ layers: 2, hidden: 8, depth: 1, levels: 2, imageLayers: 1, imageHidden: 8, priors: 'learned', coupling: 'additive', classConditional: true }, data);
  const x = torch.rand([4, 1, 8, 8]).mul(255).floor().div(255);
  const y = torch.tensor([0, 1, 2, 1], { dtype: 'int64' });
  const terms = m.loss({ x, y }, 0);
  assert.ok(Number.isFinite(terms.loss.item()));
  assert.throws(() => m.loss({ x }, 0), /class-conditional flow \(3 classes\) needs labelled data/);
  const s = m.sample(3, { labels: [0, 1, 2], temperature: 0.7 }) as Tensor;
  assert.deepEqual(s.shape, [3, 1, 8, 8]);
  assert.throws(() => m.sample(3, { labels: [0, 1] }), /2 labels for 3 samples/);
  // marginal log p(x) = logsumexp_k log p(x | k) - log 3, with the same dequantization noise
  const flow = (m.modules as { flow: Flow }).flow;
  const ms = flow.bijectors[1] as MultiScale;
  randomize(ms.topPrior!.parameters(), 0.5);
  torch.manualSeed(9);
  const marg = m.logProb!(x).toFlatArray(); // eslint-disable-line
  torch.manualSeed(9);
  const z = uniformDequantize(x);
  const perClass = [0, 1, 2].map((k) => flow.logProb(z, torch.oneHot(torch.full([4], k, { dtype: 'int64' }), 3).to({ dtype: 'float32' })).toFlatArray());
  marg.forEach((v, n) => {
    const l = perClass.map((r) => r[n]!);
    const mx = Math.max(...l);
    const expected = mx + Math.log(l.reduce((a, b) => a + Math.exp(b - mx), 0)) - Math.log(3);
    assert.ok(Math.abs(v - expected) < 1e-3 * Math.abs(expected), `example ${n}: ${v} vs ${expected}`);
    assert.ok(Math.max(...l) - Math.min(...l) > 1e-3, 'the classes give different likelihoods');
  });
  m.dispose!();
});
