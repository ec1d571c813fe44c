/**
 * The estimator experiment and the pieces it measures: score-function and reparameterized gradients
 * of the categorical/Gaussian toys against their exact gradients, Gumbel-max frequencies by a
 * chi-square test, KL closed forms against Monte Carlo, the temperature schedule and its errors.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { torch } from '../../src/tensor/index.ts';
import {
  Bernoulli, Categorical, DiagonalNormal, StandardNormal, RelaxedOneHotCategorical, klDivergence, gumbelTemperature,
} from '../../src/distributions/index.ts';
import { runEstimatorExperiment, writeEstimatorReport, categoricalObjective } from '../../src/experiments/estimators.ts';
import { assertClose } from '../distributions/helpers.ts';

describe('gradient-estimator experiment', () => {
  const rows = runEstimatorExperiment({ replicates: 20000, sampleCounts: [1, 8], temperatures: [0.1, 1], seed: 3 });
  const row = (objective: string, estimator: string, n: number, tau = NaN) =>
    rows.find((r) => r.objective === objective && r.estimator === estimator && r.n === n && (Number.isNaN(tau) ? Number.isNaN(r.temperature) : r.temperature === tau))!;

  test('unbiased estimators: bias within 4 standard errors of zero (reparam, score, score+loo)', () => {
    for (const [obj, est, n] of [['gaussian', 'reparam', 1], ['gaussian', 'score', 8], ['gaussian', 'score+loo', 8], ['categorical', 'score', 1], ['categorical', 'score+loo', 8]] as const) {
      const r = row(obj, est, n);
      assert.ok(r.bias < 4 * r.biasSE, `${obj} ${est} n=${n}: bias ${r.bias} vs s.e. ${r.biasSE}`);
    }
  });
  test('variance: reparam << score function; a baseline lowers it; more draws lower it ~1/n', () => {
    assert.ok(row('gaussian', 'reparam', 8).variance * 5 < row('gaussian', 'score', 8).variance);
    assert.ok(row('gaussian', 'score+loo', 8).variance < row('gaussian', 'score', 8).variance);
    assertClose(row('gaussian', 'reparam', 1).variance / row('gaussian', 'reparam', 8).variance, 8, 0.8, 0, 'reparam 1/n');
  });
  test('Gumbel-softmax is biased at τ = 1 (many standard errors) and less so at τ = 0.1; variance grows as τ falls', () => {
    const hot = row('categorical', 'gumbel-softmax', 8, 1);
    const cold = row('categorical', 'gumbel-softmax', 8, 0.1);
    assert.ok(hot.bias > 10 * hot.biasSE, `τ=1 bias ${hot.bias} vs s.e. ${hot.biasSE}`);
    assert.ok(cold.bias < hot.bias / 3, `τ=0.1 bias ${cold.bias} vs τ=1 ${hot.bias}`);
    assert.ok(cold.variance > hot.variance);
    assert.ok(row('categorical', 'st-gumbel', 8, 1).bias > 10 * row('categorical', 'st-gumbel', 8, 1).biasSE);
  });
  test('the exact categorical gradient matches finite differences of the exact expectation', () => {
    const K = 8;
    const { logits, c, exact } = categoricalObjective(K);
    const E = (l: number[]) => {
      const m = Math.max(...l);
      const e = l.map((x) => Math.exp(x - m));
      const Z = e.reduce((a, b) => a + b, 0);
      return e.reduce((s, x, k) => s + (x / Z) * (c[k]! - 0.45) ** 2, 0);
    };
    const h = 1e-6;
    const fd = logits.map((_, j) => {
      const up = [...logits]; up[j]! += h;
      const dn = [...logits]; dn[j]! -= h;
      return (E(up) - E(dn)) / (2 * h);
    });
    assertClose(exact, fd, 1e-8, 1e-5, 'fd');
  });
  test('writes plots, a table and JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'genlab-est-'));
    const paths = writeEstimatorReport(rows, dir);
    for (const p of paths) assert.ok(existsSync(p), p);
    assert.match(readFileSync(join(dir, 'estimators.md'), 'utf8'), /\| categorical \| st-gumbel \| 8 \| 0\.1 \|/);
    assert.throws(() => runEstimatorExperiment({ temperatures: [0] }), /temperatures must be > 0, got 0/);
  });
});

describe('distribution checks behind the estimators', () => {
  test('Gumbel-max frequencies pass a chi-square test against the categorical probabilities', () => torch.scope(() => {
    const logits = torch.tensor([0.3, -1.2, 1.5, 0, 0.8, -0.4]);
    const N = 60000;
    const s = new Categorical({ logits }).sample([N], { generator: new torch.Generator({ seed: 11 }) });
    const counts = s.bincount(null, 6).toFlatArray();
    const p = logits.softmax(-1).toFlatArray();
    const chi2 = counts.reduce((acc, o, k) => acc + (o - N * p[k]!) ** 2 / (N * p[k]!), 0);
    // chi-square with 5 degrees of freedom: P(X > 20.52) = 0.001
    assert.ok(chi2 < 20.52, `chi-square ${chi2}`);
    // and the test can fail: the same draws against uniform probabilities
    const chiU = counts.reduce((acc, o) => acc + (o - N / 6) ** 2 / (N / 6), 0);
    assert.ok(chiU > 20.52);
  }));
  test('KL closed forms against Monte Carlo E_p[log p − log q]', () => torch.scope(() => {
    const g = new torch.Generator({ seed: 5 });
    const N = 200000;
    const mc = (p: { sample: (s: number[], o: object) => import('../../src/tensor/index.ts').Tensor; logProb: (x: import('../../src/tensor/index.ts').Tensor) => import('../../src/tensor/index.ts').Tensor }, q: { logProb: (x: import('../../src/tensor/index.ts').Tensor) => import('../../src/tensor/index.ts').Tensor }) => {
      const x = p.sample([N], { generator: g });
      const d = p.logProb(x).sub(q.logProb(x));
      return { mean: d.mean(0).toFlatArray(), se: d.std(0).div(Math.sqrt(N)).toFlatArray() };
    };
    const pairs: [string, { sample: never; logProb: never } | object, object][] = [
      ['diag normal || standard normal', new DiagonalNormal(torch.tensor([[0.5, -1, 0.2]]), torch.tensor([[0.7, 1.3, 0.4]])), new StandardNormal([3])],
      ['categorical', new Categorical({ logits: torch.tensor([[1, 0, -1, 0.5]]) }), new Categorical({ logits: torch.tensor([[0, 0.3, 0.2, -0.5]]) })],
      ['bernoulli', new Bernoulli({ logits: torch.tensor([0.7, -1.5]) }), new Bernoulli({ logits: torch.tensor([-0.2, 0.4]) })],
    ];
    for (const [name, p, q] of pairs) {
      const closed = klDivergence(p as never, q as never).toFlatArray();
      const est = mc(p as never, q as never);
      closed.forEach((k, i) => assertClose(est.mean[i]!, k, 5 * est.se[i]! + 1e-4, 0, name));
    }
  }));
  test('temperature: ≤ 0 is an error; the annealing schedule of Jang et al.', () => torch.scope(() => {
    const logits = torch.zeros([3]);
    assert.throws(() => new RelaxedOneHotCategorical({ logits, temperature: 0 }), /temperature must be > 0, got 0/);
    assert.throws(() => new RelaxedOneHotCategorical({ logits, temperature: torch.tensor([-1]) }), /temperature must be > 0, got -1/);
    assert.equal(gumbelTemperature(0), 1);
    assertClose(gumbelTemperature(1999, { rate: 1e-4, every: 1000 }), Math.exp(-0.1), 1e-12, 0, 'piecewise');
    assert.equal(gumbelTemperature(1e9), 0.5);
    assert.throws(() => gumbelTemperature(0, { initial: 0 }), /initial temperature must be > 0, got 0/);
  }));
});
