/**
 * Distributions against closed forms and torch.distributions (python3-torch 1.13, float64; the
 * reference numbers below are printed by bench/reference/distributions.py, and a test here checks they
 * still are), plus seeded sampling statistics with tolerances of several standard errors.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { torch } from '../../src/tensor/index.ts';
import {
  Normal, DiagonalNormal, StandardNormal, Bernoulli, Categorical, Gumbel, RelaxedOneHotCategorical,
  Logistic, StandardLogistic, klDivergence, gumbelSoftmax,
} from '../../src/distributions/index.ts';
import { assertClose, meanVar } from './helpers.ts';
import { assertSameNumbers, runReferenceScript, skipWithoutPython } from '../reference.ts';

const f64 = (x: unknown) => torch.tensor(x as number[], { dtype: 'float64' });

// Printed by bench/reference/distributions.py (python3-torch 1.13, float64): Normal(...).log_prob, Bernoulli(logits=...),
// Categorical, Gumbel, RelaxedOneHotCategorical(0.7, logits), logistic as TransformedDistribution(Uniform,
// [SigmoidTransform().inv, AffineTransform(0.4, 1.3)]), kl_divergence for the same pairs.
const REF = {
  normal: { logProb: [-0.30579135264472734, -1.893292530201726, 1.2586465597893737], entropy: [0.7257913526447274, 1.824403641312837, -0.8836465597893728], cdf: [0.3445782583896759, 0.8569388078044909, 0.6914624612740125] },
  bernoulli: { logProb: [-0.1269280110429726, -0.554355244468527, -0.01814992791780978], logProbFrac: [-0.5269280110429725, -0.644355244468527, -0.01814992791780978], entropy: [0.3653338550872077, 0.6820224894250293, 0.09009476776617598] },
  categorical: { logProb: [-0.35240593810343057, -1.3862943611198908], entropy: [0.8924723458433541, 1.3862943611198908] },
  gumbel: { logProb: [-2.06014719717262, -1.6931471805599454, -2.2296519774201355], entropy: 2.270362845461478, mean: 1.6544313298030657 },
  relaxed: { logProb: [-0.08812486839858513, 0.6733162827375505] },
  logistic: { logProb: [-2.4016358473392723, -1.6486586255873816, -2.5162202865534367] },
  klNormal: [0.7630567331125542, 3.5522186918278527],
  klDiag: 4.315275424940407,
  klDiagStd: 1.67,
  klBern: [0.8287249104088976, 0.07927575316090676, 0.01245121369384078],
  klCat: 1.3431375150482503,
};

test('REF is what bench/reference/distributions.py prints', { skip: skipWithoutPython(['torch']) }, () => {
  assertSameNumbers(REF, runReferenceScript('distributions.py'), 1e-14, 'REF');
});

describe('log densities vs torch.distributions', () => {
  test('Normal logProb, entropy, cdf', () => torch.scope(() => {
    const n = new Normal(f64([0.3, -1.2, 2.0]), f64([0.5, 1.5, 0.1]));
    const x = f64([0.1, 0.4, 2.05]);
    assertClose(n.logProb(x), REF.normal.logProb, 1e-12, 1e-12, 'logProb');
    assertClose(n.entropy(), REF.normal.entropy, 1e-12, 1e-12, 'entropy');
    assertClose(n.cdf(x), REF.normal.cdf, 1e-12, 1e-12, 'cdf');
    assertClose(n.icdf(n.cdf(x)), x.toFlatArray(), 1e-9, 0, 'icdf');
    assert.deepEqual(n.batchShape, [3]);
  }));
  test('DiagonalNormal sums the last dim; StandardNormal equals DiagonalNormal(0, 1)', () => torch.scope(() => {
    const loc = f64([[0.3, -1.2, 2.0], [0, 0, 0]]);
    const scale = f64([[0.5, 1.5, 0.1], [1, 1, 1]]);
    const d = new DiagonalNormal(loc, scale);
    assert.deepEqual(d.batchShape, [2]);
    assert.deepEqual(d.eventShape, [3]);
    const x = f64([[0.1, 0.4, 2.05], [0.1, 0.4, 2.05]]);
    const lp = d.logProb(x).toFlatArray();
    assertClose(lp[0]!, REF.normal.logProb.reduce((a, b) => a + b), 1e-12, 1e-12, 'diag logProb');
    assertClose(d.entropy().select(0, 0), REF.normal.entropy.reduce((a, b) => a + b), 1e-12, 1e-12, 'diag entropy');
    const sn = new StandardNormal([3], { dtype: 'float64' });
    assertClose(sn.logProb(x), [lp[1]!, lp[1]!], 1e-12, 1e-12, 'standard');
    assertClose(sn.entropy(), d.entropy().select(0, 1).item(), 1e-12, 1e-12, 'standard entropy');
    const dl = DiagonalNormal.fromLogVar(loc, scale.square().log());
    assertClose(dl.logProb(x), lp, 1e-12, 1e-12, 'fromLogVar');
  }));
  test('Bernoulli from logits and from probs; fractional targets', () => torch.scope(() => {
    const logits = f64([-2, 0.3, 4]);
    const b = new Bernoulli({ logits });
    assertClose(b.logProb(f64([0, 1, 1])), REF.bernoulli.logProb, 1e-12, 1e-12, 'logProb');
    assertClose(b.logProb(f64([0.2, 0.7, 1])), REF.bernoulli.logProbFrac, 1e-12, 1e-12, 'frac');
    assertClose(b.entropy(), REF.bernoulli.entropy, 1e-12, 1e-12, 'entropy');
    const bp = new Bernoulli({ probs: logits.sigmoid() });
    assertClose(bp.logProb(f64([0, 1, 1])), REF.bernoulli.logProb, 1e-9, 1e-9, 'probs');
    assert.throws(() => new Bernoulli({} as never), /exactly one/);
  }));
  test('Categorical logProb and entropy', () => torch.scope(() => {
    const c = new Categorical({ logits: f64([[0.1, -1, 2, 0.5], [1, 1, 1, 1]]) });
    assertClose(c.logProb(torch.tensor([2, 3], { dtype: 'int64' })), REF.categorical.logProb, 1e-12, 1e-12, 'logProb');
    assertClose(c.entropy(), REF.categorical.entropy, 1e-12, 1e-12, 'entropy');
    const cp = new Categorical({ probs: c.probs.mul(3) });
    assertClose(cp.logProb(torch.tensor([2, 3], { dtype: 'int64' })), REF.categorical.logProb, 1e-9, 1e-9, 'probs');
    // a sample shape in front of the batch shape broadcasts
    assert.deepEqual(c.logProb(torch.zeros([5, 2], { dtype: 'int64' })).shape, [5, 2]);
  }));
  test('Gumbel, Logistic and RelaxedOneHotCategorical densities', () => torch.scope(() => {
    const g = new Gumbel(f64(0.5 as never), f64(2 as never));
    assertClose(g.logProb(f64([-1, 0.5, 3])), REF.gumbel.logProb, 1e-12, 1e-12, 'gumbel');
    assertClose(g.entropy(), REF.gumbel.entropy, 1e-12, 1e-12, 'gumbel entropy');
    assertClose(g.mean, REF.gumbel.mean, 1e-12, 1e-12, 'gumbel mean');
    const l = new Logistic(f64(0.4 as never), f64(1.3 as never));
    assertClose(l.logProb(f64([-2, 0.4, 3])), REF.logistic.logProb, 1e-12, 1e-12, 'logistic');
    const sl = new StandardLogistic([3], { dtype: 'float64' });
    const x = f64([[-2, 0.4, 3]]);
    assertClose(sl.logProb(x), new Logistic(f64(0 as never), f64(1 as never)).logProb(x).sum(-1).toFlatArray(), 1e-12, 0, 'standard logistic');
    const r = new RelaxedOneHotCategorical({ logits: f64([0.2, -0.4, 1.0]), temperature: 0.7 });
    assertClose(r.logProb(f64([[0.2, 0.3, 0.5], [0.05, 0.9, 0.05]])), REF.relaxed.logProb, 1e-10, 1e-10, 'relaxed');
    assert.throws(() => r.entropy(), /no closed form/);
  }));
});

describe('KL divergences', () => {
  test('closed forms vs torch.distributions', () => torch.scope(() => {
    const p = new Normal(f64([0.3, -1]), f64([0.5, 2]));
    const q = new Normal(f64([1, 0]), f64([1.5, 0.7]));
    assertClose(klDivergence(p, q), REF.klNormal, 1e-12, 1e-12, 'normal');
    const pd = new DiagonalNormal(p.loc, p.scale);
    assertClose(klDivergence(pd, new DiagonalNormal(q.loc, q.scale)), REF.klDiag, 1e-12, 1e-12, 'diag');
    assertClose(klDivergence(pd, new StandardNormal([2])), REF.klDiagStd, 1e-12, 1e-12, 'diag vs standard');
    const kb = klDivergence(new Bernoulli({ logits: f64([-2, 0.3, 4]) }), new Bernoulli({ logits: f64([1, -0.5, 3]) }));
    assertClose(kb, REF.klBern, 1e-12, 1e-10, 'bernoulli');
    const kc = klDivergence(new Categorical({ logits: f64([0.1, -1, 2, 0.5]) }), new Categorical({ logits: f64([1, 0, -1, 0.2]) }));
    assertClose(kc, REF.klCat, 1e-12, 1e-12, 'categorical');
    assert.throws(() => klDivergence(p, new Gumbel()), /no closed form/);
  }));
  test('Normal KL agrees with a Monte-Carlo estimate E_p[log p - log q]', () => torch.scope(() => {
    torch.manualSeed(7);
    const p = new Normal(f64([0.3]), f64([0.5]));
    const q = new Normal(f64([1]), f64([1.5]));
    const z = p.sample([200000]);
    const terms = p.logProb(z).sub(q.logProb(z));
    const se = terms.std().item() / Math.sqrt(200000);
    assertClose(terms.mean(), klDivergence(p, q).item(), 4 * se, 0, 'mc');
  }));
});

describe('sampling statistics (seeded)', () => {
  const N = 40000;
  /** Mean within 4 standard errors, variance within 4 standard errors of the variance estimate (≈ σ²√(2/N) for light tails). */
  function checkMoments(xs: number[], mean: number, variance: number, what: string, kurtosisExcess = 0): void {
    const mv = meanVar(xs);
    assertClose(mv.mean, mean, 4 * Math.sqrt(variance / xs.length), 0, `${what} mean`);
    assertClose(mv.var, variance, 4 * variance * Math.sqrt((2 + kurtosisExcess) / xs.length), 0, `${what} var`);
  }
  test('Normal: mean, variance, shapes, generator reproducibility', () => torch.scope(() => {
    const n = new Normal(torch.tensor([1.5, -2]), torch.tensor([0.5, 3]));
    const s = n.sample([N], { generator: new torch.Generator({ seed: 1 }) });
    assert.deepEqual(s.shape, [N, 2]);
    checkMoments(s.select(1, 0).toFlatArray(), 1.5, 0.25, 'col0');
    checkMoments(s.select(1, 1).toFlatArray(), -2, 9, 'col1');
    const again = n.sample([N], { generator: new torch.Generator({ seed: 1 }) });
    assert.ok(again.equal(s), 'same generator seed, same draws');
    assert.equal(s.requiresGrad, false);
  }));
  test('rsample carries gradients to the parameters; sample does not', () => torch.scope(() => {
    const loc = torch.tensor([0.5, 1]).requiresGrad_();
    const logScale = torch.tensor([0, 0.3]).requiresGrad_();
    torch.manualSeed(3);
    const d = new DiagonalNormal(loc, logScale.exp());
    const z = d.rsample([4]);
    const [gl, gs] = torch.autograd.grad([z.sum()], [loc, logScale]);
    assertClose(gl!, [4, 4], 1e-6, 0, 'dz/dloc');
    // dz/dlogσ = σ ε = z - loc, summed over draws
    assertClose(gs!, z.detach().sub(loc.detach()).sum(0).toFlatArray(), 1e-5, 1e-5, 'dz/dlogscale');
    assert.equal(d.sample([2]).requiresGrad, false);
    assert.throws(() => new Bernoulli({ probs: 0.3 }).rsample(), /no reparameterized/);
  }));
  test('Bernoulli, Gumbel, Logistic moments', () => torch.scope(() => {
    const gen = new torch.Generator({ seed: 2 });
    const b = new Bernoulli({ probs: torch.tensor([0.1, 0.5, 0.93]) }).sample([N], { generator: gen });
    const bm = b.mean(0).toFlatArray();
    [0.1, 0.5, 0.93].forEach((p, i) => assertClose(bm[i]!, p, 4 * Math.sqrt((p * (1 - p)) / N), 0, `bernoulli ${i}`));
    const g = new Gumbel(1, 2).sample([N], { generator: gen }).toFlatArray();
    checkMoments(g, 1 + 2 * 0.5772156649015329, (4 * Math.PI ** 2) / 6, 'gumbel', 2.4);
    const l = new Logistic(-1, 0.5).sample([N], { generator: gen }).toFlatArray();
    checkMoments(l, -1, (0.25 * Math.PI ** 2) / 3, 'logistic', 1.2);
    const sl = new StandardLogistic([2]).sample([N], { generator: gen });
    checkMoments(sl.flatten().toFlatArray(), 0, Math.PI ** 2 / 3, 'standard logistic', 1.2);
  }));
  test('Categorical (Gumbel-max) frequencies match softmax(logits)', () => torch.scope(() => {
    const logits = torch.tensor([[0.5, -1, 2, 0], [0, 0, 0, 3]]);
    const c = new Categorical({ logits });
    const s = c.sample([N], { generator: new torch.Generator({ seed: 4 }) });
    assert.deepEqual(s.shape, [N, 2]);
    assert.equal(s.dtype, 'int64');
    const probs = logits.softmax(-1).toArray() as number[][];
    for (let b = 0; b < 2; b++) {
      const counts = torch.bincount(s.select(1, b), null, 4).toFlatArray();
      counts.forEach((k, i) => {
        const p = probs[b]![i]!;
        assertClose(k / N, p, 4 * Math.sqrt((p * (1 - p)) / N) + 1e-9, 0, `batch ${b} class ${i}`);
      });
    }
  }));
  test('RelaxedOneHotCategorical: draws on the simplex; argmax frequencies are the categorical; τ→0 is one-hot', () => torch.scope(() => {
    const logits = torch.tensor([1, 0.2, -0.5]);
    const gen = new torch.Generator({ seed: 5 });
    const r = new RelaxedOneHotCategorical({ logits, temperature: 0.5 });
    const y = r.sample([N], { generator: gen });
    assert.deepEqual(y.shape, [N, 3]);
    assertClose(y.sum(-1).sub(1).abs().max(), 0, 1e-5, 0, 'sums to one');
    assert.ok(y.min().item() >= 0);
    const counts = torch.bincount(y.argmax(-1), null, 3).toFlatArray();
    const probs = logits.softmax(-1).toFlatArray();
    counts.forEach((k, i) => assertClose(k / N, probs[i]!, 4 * Math.sqrt((probs[i]! * (1 - probs[i]!)) / N), 0, `class ${i}`));
    const cold = new RelaxedOneHotCategorical({ logits, temperature: 0.01 }).sample([1000], { generator: gen });
    const nearOneHot = cold.max(-1)[0].gt(0.99).float().mean().item();
    assert.ok(nearOneHot > 0.9, `near one-hot at low temperature (${nearOneHot})`);
    const warm = new RelaxedOneHotCategorical({ logits, temperature: 5 }).sample([1000], { generator: gen });
    assert.ok(warm.max(-1)[0].gt(0.99).float().mean().item() < 0.01, 'soft at high temperature');
  }));
  test('straight-through: forward one-hot, backward the soft gradient', () => torch.scope(() => {
    const logits = torch.tensor([[1, 0.2, -0.5], [0, 2, 0.1]]).requiresGrad_();
    const w = torch.tensor([1, -2, 3]);
    const hard = gumbelSoftmax(logits, 0.8, { hard: true, generator: new torch.Generator({ seed: 9 }) });
    const soft = gumbelSoftmax(logits, 0.8, { generator: new torch.Generator({ seed: 9 }) });
    // same noise: the one-hot is at the soft sample's argmax
    assert.deepEqual(hard.detach().toArray(), soft.detach().argmax(-1).oneHot(3).float().toArray());
    assertClose(hard.sum(-1), [1, 1], 1e-6, 0, 'rows');
    const [gh] = torch.autograd.grad([hard.mul(w).sum()], [logits]);
    const [gs] = torch.autograd.grad([soft.mul(w).sum()], [logits]);
    assert.ok(gh!.abs().sum().item() > 1e-3, 'gradients flow');
    assertClose(gh!, gs!.toFlatArray(), 1e-6, 1e-5, 'soft gradient');
  }));
  test('no tensors leak from sampling and logProb', () => {
    const before = torch.memory().tensors;
    torch.scope(() => {
      const d = new DiagonalNormal(torch.zeros([3, 2]), torch.ones([3, 2]));
      d.logProb(d.rsample([5]));
      new Categorical({ logits: torch.zeros([4]) }).sample([10]);
    });
    assert.equal(torch.memory().tensors, before);
  });
});

describe('parameter validation', () => {
  const throwsNaming = (fn: () => unknown, ...parts: (string | RegExp)[]) =>
    assert.throws(fn, (e: Error) => {
      for (const p of parts) assert.match(e.message, typeof p === 'string' ? new RegExp(p.replace(/[[\]().*+?]/g, '\\$&')) : p);
      return e instanceof RangeError;
    });

  test('a scale that is not > 0 is an error naming the distribution, the value and its index', () => torch.scope(() => {
    throwsNaming(() => new Normal(0, -1), 'Normal: scale must be > 0, got -1');
    throwsNaming(() => new Normal(torch.zeros([4]), torch.tensor([1, 2, 0, 3])), 'Normal: scale must be > 0', 'got 0 at index 2 of 4', 'shape [4]');
    throwsNaming(() => new Logistic(0, 0), 'Logistic: scale must be > 0, got 0');
    throwsNaming(() => new Gumbel(torch.zeros([2]), torch.tensor([1, NaN])), 'Gumbel: scale must be > 0, got NaN at index 1');
    throwsNaming(() => new DiagonalNormal(torch.zeros([2, 3]), torch.tensor([[1, 1, 1], [1, -0.5, 1]])), 'Normal: scale must be > 0, got -0.5 at index 4 of 6', 'shape [2, 3]');
    throwsNaming(() => new Normal(torch.tensor([0, NaN]), 1), 'Normal: loc must not be NaN, got NaN at index 1');
  }));

  test('probabilities outside their support are errors; logits must not be NaN', () => torch.scope(() => {
    throwsNaming(() => new Bernoulli({ probs: 1.3 }), 'Bernoulli: probs must lie in [0, 1], got 1.3');
    throwsNaming(() => new Bernoulli({ probs: torch.tensor([0.2, -0.1]) }), 'Bernoulli: probs must lie in [0, 1]', 'index 1');
    throwsNaming(() => new Bernoulli({ logits: torch.tensor([NaN]) }), 'Bernoulli: logits must not be NaN');
    throwsNaming(() => new Categorical({ probs: torch.tensor([0.5, -0.2, 0.7]) }), 'Categorical: probs must be >= 0', 'index 1');
    throwsNaming(() => new Categorical({ probs: torch.tensor([[0.5, 0.5], [0, 0]]) }), 'Categorical: the sum of probs over the classes must be > 0, got 0 at index 1');
    throwsNaming(() => new Categorical({ logits: torch.tensor([0, NaN]) }), 'Categorical: logits must not be NaN');
    throwsNaming(() => new RelaxedOneHotCategorical({ probs: torch.tensor([0.5, -0.5]), temperature: 1 }), 'RelaxedOneHotCategorical: probs must be >= 0');
    throwsNaming(() => new RelaxedOneHotCategorical({ logits: torch.zeros([3]), temperature: 0 }), 'temperature must be > 0, got 0');
    throwsNaming(() => new RelaxedOneHotCategorical({ logits: torch.zeros([3]), temperature: torch.tensor([0.5, -1]) }), 'temperature must be > 0, got -1');
  }));

  test('valid and boundary parameters pass; validate: false skips the check; nothing leaks', () => {
    const before = torch.memory().tensors;
    torch.scope(() => {
      new Normal(torch.zeros([3]), torch.tensor([1e-30, 1, 5]));
      new Bernoulli({ probs: torch.tensor([0, 0.5, 1]) });
      new Categorical({ probs: torch.tensor([[0, 1], [0.3, 0.7]]) });
      new Categorical({ logits: torch.tensor([0, -Infinity]) }); // a masked class is fine
      const n = new Normal(0, torch.tensor([-1]), { validate: false });
      assert.ok(Number.isNaN(n.logProb(torch.tensor([0])).item()));
      new Bernoulli({ probs: 2, validate: false });
    });
    assert.throws(() => new Normal(0, -1));
    assert.equal(torch.memory().tensors, before);
  });
});
