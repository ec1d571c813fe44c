/**
 * 2-D toy sets against FFJORD's generators (lib/toy_data.py, ported to numpy with sklearn's make_moons,
 * make_circles, make_swiss_roll inlined in bench/reference/toy2d_moments.py; moments of 400k points): means, covariances
 * and mean |x| agree within a few standard errors of 50k draws. Exact log densities integrate to 1.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, type Tensor } from '../../src/tensor/index.ts';
import { toy2d, datasets, getDataset } from '../../src/data/index.ts';
import { assertClose } from '../distributions/helpers.ts';
import { assertSameNumbers, runReferenceScript, skipWithoutPython } from '../reference.ts';

// Printed by bench/reference/toy2d_moments.py (checked below): 400k points of each FFJORD generator.
const FFJORD: Record<string, { mean: number[]; cov: number[]; absmean: number[] }> = {
  moons: { mean: [-0.0005, 0.2999], cov: [3.0407, -0.7732, -0.7732, 1.0163], absmean: [1.4435, 0.8956] },
  circles: { mean: [0, -0.0001], cov: [2.8691, -0.001, -0.001, 2.8705], absmean: [1.4414, 1.4417] },
  '8gaussians': { mean: [0, -0.0023], cov: [4.1212, 0.0004, 0.0004, 4.1339], absmean: [1.777, 1.7806] },
  checkerboard: { mean: [-0.0011, 0.0016], cov: [5.3481, 0.9933, 0.9933, 5.3296], absmean: [2.0028, 1.9993] },
  swissroll: { mean: [0.4009, 0.0401], cov: [1.7925, 0.1702, 0.1702, 1.9721], absmean: [1.2069, 1.2071] },
  pinwheel: { mean: [-0.0002, -0.0008], cov: [2.1965, -0.0022, -0.0022, 2.1984], absmean: [1.2812, 1.2784] },
  '2spirals': { mean: [-0.0001, -0.0001], cov: [2.5939, 0.5892, 0.5892, 2.5033], absmean: [1.3569, 1.3452] },
};

test('FFJORD is what bench/reference/toy2d_moments.py prints', { skip: skipWithoutPython(['numpy']) }, () => {
  assertSameNumbers(FFJORD, runReferenceScript('toy2d_moments.py'), 1e-12, 'FFJORD');
});

describe('2-D toy sets', () => {
  test('the registry lists every set with kind 2d and shape [2]', () => {
    assert.deepEqual(Object.keys(FFJORD).sort(), Object.keys(toy2d).sort());
    for (const name of Object.keys(FFJORD)) {
      const d = getDataset(name);
      assert.equal(d.kind, '2d');
      assert.deepEqual(d.shape, [2]);
    }
    assert.throws(() => getDataset('nope'), /unknown data set 'nope'; known: .*8gaussians/);
    assert.ok(datasets.mnist && datasets['fashion-mnist']);
  });
  for (const [name, ref] of Object.entries(FFJORD)) {
    test(`${name}: shape, seeding, and moments match FFJORD's generator`, () => torch.scope(() => {
      const d = toy2d[name]!;
      const x = d.sample(50000, new torch.Generator({ seed: 11 }));
      assert.deepEqual(x.shape, [50000, 2]);
      assert.equal(x.dtype, 'float32');
      assert.ok(x.isfinite().all().item());
      assert.ok(d.sample(100, new torch.Generator({ seed: 3 })).equal(d.sample(100, new torch.Generator({ seed: 3 }))), 'reproducible');
      assert.ok(!d.sample(100, new torch.Generator({ seed: 3 })).equal(d.sample(100, new torch.Generator({ seed: 4 }))), 'seed matters');
      assertClose(x.mean(0), ref.mean, 0.05, 0, `${name} mean`);
      assertClose(x.t().cov().flatten(), ref.cov, 0.08, 0.03, `${name} cov`);
      assertClose(x.abs().mean(0), ref.absmean, 0.04, 0, `${name} mean |x|`);
      assert.deepEqual(d.sample(0).shape, [0, 2]);
    }));
  }
  function integrate(logDensity: (x: Tensor) => Tensor, lo: number, hi: number, step: number): number {
    return torch.scope(() => {
      const g = torch.arange(lo + step / 2, hi, step, { dtype: 'float64' });
      const n = g.size(0);
      const pts = torch.stack([g.repeatInterleave(n), g.repeat([n])], 1);
      return logDensity(pts).exp().sum().item() * step * step;
    });
  }
  test('8gaussians: exact log density integrates to 1 and matches the mixture formula at a point', () => torch.scope(() => {
    const ld = toy2d['8gaussians']!.logDensity!;
    assertClose(integrate(ld, -7, 7, 0.02), 1, 1e-3, 0, 'integral');
    // at a center: the nearest component dominates: log(1/8 · 1/(2πs²)) up to the others' tiny mass
    const s = 0.5 / 1.414;
    const c = 4 / 1.414;
    const v = ld(torch.tensor([[c, 0]], { dtype: 'float64' })).item();
    let p = 0;
    const S = Math.SQRT1_2;
    for (const [a, b] of [[1, 0], [-1, 0], [0, 1], [0, -1], [S, S], [S, -S], [-S, S], [-S, -S]]) {
      p += Math.exp(-((c - c * a!) ** 2 + (c * b!) ** 2) / (2 * s * s)) / (2 * Math.PI * s * s) / 8;
    }
    assertClose(v, Math.log(p), 1e-9, 1e-9, 'formula');
    // samples are likelier than uniform points
    const x = toy2d['8gaussians']!.sample(2000, new torch.Generator({ seed: 1 }));
    assert.ok(ld(x).mean().item() > ld(torch.rand([2000, 2], { generator: new torch.Generator({ seed: 2 }) }).mul(8).sub(4)).mean().item() + 2);
  }));
  test('checkerboard: density 1/32 on the dark cells, zero elsewhere, every sample on a dark cell', () => torch.scope(() => {
    const ld = toy2d.checkerboard!.logDensity!;
    assertClose(integrate(ld, -5, 5, 0.05), 1, 1e-9, 0, 'integral');
    const x = toy2d.checkerboard!.sample(20000, new torch.Generator({ seed: 5 }));
    assertClose(ld(x).max(), -Math.log(32), 1e-6, 0, 'max');
    assertClose(ld(x).min(), -Math.log(32), 1e-6, 0, 'min');
    const pts = torch.tensor([[1, 1], [3, 1], [-1, 1], [4.5, 0], [-3, -3]]);
    assert.deepEqual(ld(pts).toFlatArray(), [-Math.log(32), Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY, -Math.log(32)].map((v) => Math.fround(v)));
  }));
  test('no tensors leak', () => {
    const before = torch.memory().tensors;
    torch.scope(() => Object.values(toy2d).forEach((d) => (d.logDensity ? d.logDensity(d.sample(10)) : d.sample(10))));
    assert.equal(torch.memory().tensors, before);
  });
});
