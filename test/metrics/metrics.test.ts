/** Sample metrics against brute force, closed forms and numpy (python3), with seeded data. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, type Tensor } from '../../src/tensor/index.ts';
import { mmdRbf, slicedWasserstein, testNll, bitsPerDim, frechetDistance, frechetDistanceFromStats, featureStats, precisionRecall, sqrtmPsd } from '../../src/metrics/index.ts';
import { StandardNormal } from '../../src/distributions/index.ts';
import { assertClose } from '../distributions/helpers.ts';
import { assertSameNumbers, runReferenceScript, skipWithoutPython } from '../reference.ts';

const gen = (seed: number) => new torch.Generator({ seed });

describe('mmdRbf', () => {
  test('matches a brute-force double loop (unbiased: diagonal terms left out)', () => torch.scope(() => {
    const x = torch.randn([5, 2], { generator: gen(1), dtype: 'float64' });
    const y = torch.randn([4, 2], { generator: gen(2), dtype: 'float64' }).add(0.7);
    const hs = [0.5, 2];
    const X = x.toArray() as number[][];
    const Y = y.toArray() as number[][];
    const k = (a: number[], b: number[]) => hs.reduce((s, h) => s + Math.exp(-((a[0]! - b[0]!) ** 2 + (a[1]! - b[1]!) ** 2) / (2 * h * h)), 0);
    let kxx = 0, kyy = 0, kxy = 0;
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) if (i !== j) kxx += k(X[i]!, X[j]!);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) if (i !== j) kyy += k(Y[i]!, Y[j]!);
    for (const a of X) for (const b of Y) kxy += k(a, b);
    const expected = kxx / 20 + kyy / 12 - (2 * kxy) / 20;
    assertClose(mmdRbf(x, y, hs), expected, 1e-12, 1e-10, 'mmd');
  }));
  test('≈ 0 for two samples of one distribution; grows with the shift', () => torch.scope(() => {
    const a = torch.randn([800, 2], { generator: gen(3) });
    const b = torch.randn([800, 2], { generator: gen(4) });
    const same = mmdRbf(a, b).item();
    assert.ok(Math.abs(same) < 0.01, `same distribution: ${same}`);
    const vals = [0.25, 0.5, 1, 2].map((s) => mmdRbf(a, b.add(s)).item());
    for (let i = 0; i < vals.length; i++) assert.ok(vals[i]! > (i ? vals[i - 1]! : same) + 0.005, `increasing: ${same} ${vals}`);
  }));
});

describe('slicedWasserstein', () => {
  test('of a set and its shift by s is |s| in 1-D and |s|/√2 (p=2), 2|s|/π (p=1) in 2-D', () => torch.scope(() => {
    const x1 = torch.randn([1000, 1], { generator: gen(5) });
    assertClose(slicedWasserstein(x1, x1.add(1.5), 8, gen(6)), 1.5, 1e-5, 0, '1-D');
    const x = torch.randn([2000, 2], { generator: gen(7) });
    const s = torch.tensor([3, -1]);
    const norm = Math.sqrt(10);
    assertClose(slicedWasserstein(x, x.add(s), 2000, gen(8)), norm / Math.SQRT2, 0.04 * norm, 0, 'p=2');
    assertClose(slicedWasserstein(x, x.add(s), 2000, gen(8), { p: 1 }), (2 * norm) / Math.PI, 0.04 * norm, 0, 'p=1');
  }));
  test('independent samples: ≈ 0 for one distribution, ≈ shift for shifted Gaussians, unequal sizes', () => torch.scope(() => {
    const x = torch.randn([3000, 2], { generator: gen(9) });
    const y = torch.randn([2000, 2], { generator: gen(10) });
    assert.ok(slicedWasserstein(x, y, 200, gen(11)).item() < 0.08);
    const sw = slicedWasserstein(x, y.add(torch.tensor([2, 0])), 2000, gen(12)).item();
    assertClose(sw, 2 / Math.SQRT2, 0.1, 0, 'shifted');
    assert.throws(() => slicedWasserstein(x, torch.zeros([5, 3])), /dimensions differ/);
  }));
});

describe('testNll', () => {
  test('is the mean -logProb, independent of the batch size', () => torch.scope(() => {
    const x = torch.randn([1001, 3], { generator: gen(13), dtype: 'float64' });
    const prior = new StandardNormal([3], { dtype: 'float64' });
    const direct = x.square().sum(1).mul(0.5).add(1.5 * Math.log(2 * Math.PI)).mean().item();
    assertClose(testNll((b) => prior.logProb(b), x, 64), direct, 1e-10, 1e-12, 'batched');
    assertClose(testNll((b) => prior.logProb(b), x, 5000), direct, 1e-10, 1e-12, 'one batch');
    assertClose(bitsPerDim(direct, 3), direct / (3 * Math.LN2), 1e-12, 0, 'bits/dim');
  }));
});

describe('frechetDistance', () => {
  // Σ1 = AAᵀ + 0.1 I, Σ2 = BBᵀ + 0.05 I with A_ij = sin(1 + 7i + 3j), B_ij = 0.8 cos(2 + 5i + 11j), μ1_i = sin i,
  // μ2_i = cos(i)/2; numpy: |μ1-μ2|² + Tr Σ1 + Tr Σ2 - 2 Σ √eig(Σ1Σ2) (np.linalg.eigvals of the product),
  // printed by bench/reference/metrics.py.
  const NUMPY = 10.445363301971044;
  test('NUMPY is what bench/reference/metrics.py prints', { skip: skipWithoutPython(['numpy']) }, () => {
    assertSameNumbers({ frechetGaussians: NUMPY }, runReferenceScript('metrics.py'), 1e-12);
  });
  const d = 5;
  const mat = (f: (i: number, j: number) => number) => torch.tensor(Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => f(i, j))), { dtype: 'float64' });
  test('closed form for given Gaussians matches numpy', () => torch.scope(() => {
    const A = mat((i, j) => Math.sin(1 + i * 7 + j * 3));
    const B = mat((i, j) => Math.cos(2 + i * 5 + j * 11) * 0.8);
    const s1 = A.matmul(A.t()).add(torch.eye(d, { dtype: 'float64' }).mul(0.1));
    const s2 = B.matmul(B.t()).add(torch.eye(d, { dtype: 'float64' }).mul(0.05));
    const m1 = torch.tensor(Array.from({ length: d }, (_, i) => Math.sin(i)), { dtype: 'float64' });
    const m2 = torch.tensor(Array.from({ length: d }, (_, i) => Math.cos(i) * 0.5), { dtype: 'float64' });
    assertClose(frechetDistanceFromStats(m1, s1, m2, s2), NUMPY, 1e-9, 1e-9, 'fd');
    assertClose(frechetDistanceFromStats(m1, s1, m1, s1), 0, 1e-9, 0, 'self');
    const r = sqrtmPsd(s1);
    assertClose(r.matmul(r).sub(s1).abs().max(), 0, 1e-10, 0, 'sqrtm');
  }));
  test('commuting covariances: Σ (√a - √b)² + |μ1 - μ2|²', () => torch.scope(() => {
    const q = torch.linalg.qr(torch.randn([4, 4], { generator: gen(14), dtype: 'float64' }))[0];
    const a = [1, 2, 0.5, 3];
    const b = [2, 0.1, 0.5, 1];
    const s1 = q.mul(torch.tensor(a, { dtype: 'float64' })).matmul(q.t());
    const s2 = q.mul(torch.tensor(b, { dtype: 'float64' })).matmul(q.t());
    const z = torch.zeros([4], { dtype: 'float64' });
    const mu = torch.tensor([1, 0, 0, 2], { dtype: 'float64' });
    const expected = a.reduce((s, ai, i) => s + (Math.sqrt(ai) - Math.sqrt(b[i]!)) ** 2, 0) + 5;
    assertClose(frechetDistanceFromStats(z, s1, mu, s2), expected, 1e-9, 1e-9, 'commuting');
  }));
  test('from samples: featureStats are the unbiased moments; the sample FD approaches the exact one', () => torch.scope(() => {
    const f = torch.randn([20000, 3], { generator: gen(15), dtype: 'float64' });
    const L = torch.tensor([[1, 0, 0], [0.5, 1, 0], [-0.3, 0.2, 0.5]], { dtype: 'float64' });
    const xa = f.matmul(L.t());
    const xb = torch.randn([20000, 3], { generator: gen(16), dtype: 'float64' }).add(torch.tensor([1, 0, 0], { dtype: 'float64' }));
    const st = featureStats(xa);
    assertClose(st.sigma.flatten(), xa.t().cov().flatten().toFlatArray(), 1e-10, 1e-10, 'cov');
    const exact = frechetDistanceFromStats(torch.zeros([3], { dtype: 'float64' }), L.matmul(L.t()), torch.tensor([1, 0, 0], { dtype: 'float64' }), torch.eye(3, { dtype: 'float64' }));
    assertClose(frechetDistance(xa, xb), exact, 0.05, 0, 'sampled');
    assert.ok(frechetDistance(xa, xa) < 1e-9);
  }));
});

describe('precisionRecall', () => {
  test('identical sets: 1 and 1; disjoint: 0 and 0; a mode-dropping fake: precision ≈ 1, recall ≈ ½', () => torch.scope(() => {
    const real = torch.randn([1500, 2], { generator: gen(17) });
    const same = precisionRecall(real, real, 3);
    assert.deepEqual(same, { precision: 1, recall: 1 });
    const far = precisionRecall(real, real.add(100), 3);
    assert.deepEqual(far, { precision: 0, recall: 0 });
    // fake: fresh Gaussian points folded onto the half-plane x > 0 (one "mode" of two dropped)
    const g = torch.randn([1500, 2], { generator: gen(18) });
    const fake = torch.cat([g.narrow(1, 0, 1).abs(), g.narrow(1, 1, 1)], 1);
    const pr = precisionRecall(real, fake, 3, { chunk: 500 });
    assert.ok(pr.precision > 0.95, `precision ${pr.precision}`);
    assert.ok(pr.recall > 0.45 && pr.recall < 0.7, `recall ${pr.recall}`);
    // chunking does not change the answer
    assert.deepEqual(precisionRecall(real, fake, 3, { chunk: 97 }), pr);
  }));
  test('uses the k-th neighbour excluding the point itself', () => torch.scope(() => {
    // real points on a line at 0, 1, 3; k=1 radii: 1, 1, 2. Fake 4.9 is inside the ball of 3 (radius 2); 5.1 is not.
    const real = torch.tensor([[0], [1], [3]]);
    assert.equal(precisionRecall(real, torch.tensor([[4.9], [5.1], [-0.5], [-1.1]]), 1).precision, 0.5);
  }));
});

describe('metrics leave no tensors behind', () => {
  test('memory before = after', () => {
    const before = torch.memory().tensors;
    torch.scope(() => {
      const x = torch.randn([50, 2]);
      const y = torch.randn([40, 2]);
      mmdRbf(x, y);
      slicedWasserstein(x, y, 10);
      frechetDistance(x, y);
      precisionRecall(x, y, 2, { chunk: 7 });
      testNll((b: Tensor) => b.sum(1), x, 8);
    });
    assert.equal(torch.memory().tensors, before);
  });
});
