/**
 * Gradient estimators for ∇ E_{z~p_θ}[f(z)] against the exact gradient of a Gaussian expectation:
 * f(z) = z², E = μ² + σ², so ∂/∂μ = 2μ and ∂/∂σ = 2σ. R independent replicates of the same Gaussian
 * (a batch of R parameters) give R independent single-draw estimates in one call.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, type Tensor } from '../../src/tensor/index.ts';
import { Normal, Bernoulli, reparamGradient, scoreFunctionGradient } from '../../src/distributions/index.ts';
import { assertClose, meanVar } from './helpers.ts';

const R = 20000;
const MU = 1;
const SIGMA = 0.5;

function estimates(kind: 'reparam' | 'score' | 'score-loo', nSamples: number, seed: number): { mu: number[]; sigma: number[] } {
  return torch.scope(() => {
    const mu = torch.full([R], MU, { dtype: 'float64' }).requiresGrad_();
    const sigma = torch.full([R], SIGMA, { dtype: 'float64' }).requiresGrad_();
    const dist = new Normal(mu, sigma);
    const f = (z: Tensor) => z.square();
    const opts = { nSamples, generator: new torch.Generator({ seed }) };
    const [gm, gs] =
      kind === 'reparam'
        ? reparamGradient(dist, f, [mu, sigma], opts)
        : scoreFunctionGradient(dist, f, [mu, sigma], { ...opts, baseline: kind === 'score-loo' ? 'loo' : undefined });
    return { mu: gm!.toFlatArray(), sigma: gs!.toFlatArray() };
  });
}

describe('gradient estimators', () => {
  const exact = { mu: 2 * MU, sigma: 2 * SIGMA };
  const runs = {
    reparam: estimates('reparam', 1, 1),
    score: estimates('score', 1, 2),
    scoreLoo: estimates('score-loo', 4, 3),
  };
  for (const [name, est] of Object.entries(runs)) {
    test(`${name}: unbiased (mean of ${R} estimates within 4 standard errors of the exact gradient)`, () => {
      for (const k of ['mu', 'sigma'] as const) {
        const mv = meanVar(est[k]);
        assertClose(mv.mean, exact[k], 4 * Math.sqrt(mv.var / R), 0, `${name} d/d${k}`);
      }
    });
  }
  test('REINFORCE has far larger variance than the pathwise estimator; a baseline reduces it', () => {
    const vr = meanVar(runs.reparam.mu).var;
    const vs = meanVar(runs.score.mu).var;
    // closed forms for μ=1, σ=0.5: Var(2z) = 4σ² = 1; Var(z²(z-μ)/σ²) = 21.75
    assertClose(vr, 1, 0.05, 0, 'pathwise variance');
    assertClose(vs, 21.75, 21.75 * 0.25, 0, 'score variance');
    assert.ok(vs > 10 * vr, `score-function variance ${vs} vs pathwise ${vr}`);
    // with 4 draws and a leave-one-out baseline, per-draw variance (×4) is still below plain REINFORCE's
    const vloo = meanVar(runs.scoreLoo.mu).var * 4;
    assert.ok(vloo < vs, `baseline variance ${vloo} vs ${vs}`);
  });
  test('REINFORCE on a discrete variable: d/dθ E_{b~Bern(σ(θ))}[f(b)] = p(1-p)(f(1) - f(0))', () => torch.scope(() => {
    const theta = torch.full([R], 0.4, { dtype: 'float64' }).requiresGrad_();
    const f = (b: Tensor) => b.mul(3).sub(1).square(); // f(0) = 1, f(1) = 4
    const [g] = scoreFunctionGradient(new Bernoulli({ logits: theta }), f, [theta], { generator: new torch.Generator({ seed: 4 }) });
    const p = 1 / (1 + Math.exp(-0.4));
    const mv = meanVar(g!.toFlatArray());
    assertClose(mv.mean, p * (1 - p) * 3, 4 * Math.sqrt(mv.var / R), 0, 'bernoulli');
    assert.throws(() => reparamGradient(new Bernoulli({ logits: theta }), f, [theta]), /no reparameterized/);
  }));
  test('estimators leave no tensors behind', () => {
    const before = torch.memory().tensors;
    torch.scope(() => estimates('reparam', 2, 5));
    assert.equal(torch.memory().tensors, before);
  });
});
