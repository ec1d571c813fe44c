/**
 * VAE family: IWAE k = 1 is the ELBO (same noise, exactly; and the closed-form-KL ELBO on average),
 * the bound increases with k on a fixed model, the likelihoods are normalized, the categorical VAE's
 * estimators give the encoder gradients, and bad input is a clear error.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, type Tensor } from '../../../src/tensor/index.ts';
import { Normal } from '../../../src/distributions/index.ts';
import { getModel, resolveConfig, type ModelInstance } from '../../../src/models/index.ts';
import { buildGaussianVAE, buildCategoricalVAE, logisticLikelihood, gaussianLikelihood, bernoulliLikelihood, type VAEConfig, type GumbelVAEConfig } from '../../../src/models/vae/index.ts';
import { assertClose } from '../../distributions/helpers.ts';

const DATA = { name: 'toy', kind: 'image' as const, shape: [1, 8, 8], range: [0, 1] as [number, number] };
/** Binary 8x8 images from 4 random templates with 5% of pixels flipped: latents that matter. */
function structuredImages(n: number, seed: number): Tensor {
  const g = new torch.Generator({ seed });
  const templates = torch.bernoulli(torch.full([4, 64], 0.5), { generator: g });
  const which = torch.randint(0, 4, [n], { generator: g });
  const flips = torch.bernoulli(torch.full([n, 64], 0.05), { generator: g });
  return templates.indexSelect(0, which).sub(flips).abs().reshape([n, 1, 8, 8]);
}
const binaryImages = (n: number, seed: number) => torch.bernoulli(torch.rand([n, 1, 8, 8], { generator: new torch.Generator({ seed }) }).mul(0.6), { generator: new torch.Generator({ seed: seed + 1 }) });

function vaeOf(over: Partial<VAEConfig> = {}) {
  torch.manualSeed(0);
  const c = resolveConfig(getModel('vae'), { latent: 4, hidden: 32, ...over }) as VAEConfig;
  return buildGaussianVAE(c, DATA);
}

describe('Gaussian VAE / IWAE', () => {
  test('IWAE with k = 1 equals the ELBO with the same draw; on average the closed-form-KL ELBO', () => torch.scope(() => {
    const m = vaeOf();
    const v = m.vae;
    const x = binaryImages(16, 1);
    torch.manualSeed(5);
    const iw = v.iwae(x, 1);
    torch.manualSeed(5);
    const q = v.posterior(x);
    const z = q.rsample([1]);
    const manual = v.likelihood.logProb(v.decode(z.squeeze(0)), x).add(v.prior.logProb(z.squeeze(0))).sub(q.logProb(z.squeeze(0)));
    assertClose(iw, manual.toFlatArray(), 1e-4, 1e-6, 'same draw');
    // E[IWAE_1] = ELBO: average 400 draws of each example
    const draws = torch.stack(Array.from({ length: 400 }, () => torch.scope(() => v.iwae(x, 1))), 0);
    const elbos = torch.stack(Array.from({ length: 400 }, () => torch.scope(() => v.elbo(x).elbo)), 0);
    const se = draws.std(0).div(20).toFlatArray();
    const a = draws.mean(0).toFlatArray();
    const b = elbos.mean(0).toFlatArray();
    a.forEach((ai, i) => assertClose(ai, b[i]!, 5 * se[i]! + 0.05, 0, `example ${i}`));
    m.dispose!();
  }));

  test('the bound increases with k on a fixed model; the importance-sampled NLL lies below −ELBO', () => torch.scope(() => {
    const m = vaeOf();
    const x = structuredImages(64, 2);
    fit(m, x, 150); // a model whose posterior is not the prior
    torch.manualSeed(1);
    const bounds = [1, 10, 100].map((k) => torch.noGrad(() => m.vae.iwae(x, k, { chunk: 50 }).mean().item()));
    assert.ok(bounds[0]! + 0.3 < bounds[1]! && bounds[1]! + 0.05 < bounds[2]!, `bounds ${bounds}`);
    const is = m.vae.importanceNll(x, { k: 1000, batch: 32, chunk: 250 });
    assert.equal(is.k, 1000);
    assert.ok(is.nll < -bounds[0]!, `NLL ${is.nll} vs −ELBO ${-bounds[0]!}`);
    assert.ok(is.se > 0 && is.se < 5, `se ${is.se}`);
    assert.throws(() => m.vae.iwae(x, 0), /k \(importance samples\) must be an integer >= 1, got 0/);
    assert.throws(() => m.vae.importanceNll(x, { k: 0.5 }), /k must be an integer >= 1, got 0.5/);
    m.dispose!();
  }));

  test('likelihoods: discretized logistic sums to 1 over the 256 levels; Gaussian and Bernoulli match the distributions', () => torch.scope(() => {
    const levels = torch.arange(256, { dtype: 'float32' }).div(255).reshape([256, 1, 1, 1]);
    for (const [mu, logS] of [[0.1, -2], [-0.9, -4], [0.99, -1.5], [0, 1]]) {
      const params = torch.tensor([mu!, logS!]).reshape([1, 2, 1, 1]).expand([256, 2, 1, 1]);
      const total = logisticLikelihood.logProb(params, levels).exp().sum().item();
      assertClose(total, 1, 1e-4, 0, `logistic mu=${mu} logS=${logS}`);
    }
    const x = torch.rand([3, 1, 2, 2]);
    const params = torch.randn([3, 2, 2, 2]);
    const ref = new Normal(params.narrow(1, 0, 1), params.narrow(1, 1, 1).exp()).logProb(x).sum([1, 2, 3]);
    assertClose(gaussianLikelihood.logProb(params, x), ref.toFlatArray(), 1e-5, 1e-5, 'gaussian');
    const xb = torch.bernoulli(torch.full([3, 1, 2, 2], 0.5));
    const logits = torch.randn([3, 1, 2, 2]);
    const p = logits.sigmoid();
    const refB = xb.mul(p.log()).add(xb.neg().add(1).mul(p.neg().add(1).log())).sum([1, 2, 3]);
    assertClose(bernoulliLikelihood.logProb(logits, xb), refB.toFlatArray(), 1e-5, 1e-5, 'bernoulli');
  }));

  test('conv nets and every likelihood train: the loss falls in 30 steps', () => {
    for (const over of [{ net: 'conv', channels: 8, likelihood: 'logistic' }, { net: 'mlp', likelihood: 'gaussian' }, { net: 'mlp', k: 4 }] as Partial<VAEConfig>[]) {
      const m = vaeOf(over);
      const x = binaryImages(32, 3);
      const { losses } = fit(m, x, 30);
      assert.ok(losses.at(-1)! < losses[0]!, `${JSON.stringify(over)}: ${losses[0]} -> ${losses.at(-1)}`);
      m.dispose!();
    }
  });

  test('β scales the KL term of the loss', () => torch.scope(() => {
    const m = vaeOf({ beta: 4 });
    torch.manualSeed(2);
    const t = m.loss({ x: binaryImages(8, 4) }, 0);
    assertClose(t.loss, t.recon!.add(t.kl!.mul(4)).item(), 1e-4, 1e-6, 'β-VAE');
    m.dispose!();
  }));

  test('bad config is a clear error', () => {
    assert.throws(() => vaeOf({ k: 0 }), /k \(importance samples\) must be an integer >= 1, got 0/);
    assert.throws(() => vaeOf({ likelihood: 'poisson' }), /unknown likelihood 'poisson'; likelihoods: bernoulli, gaussian, logistic/);
    assert.throws(() => buildGaussianVAE({ ...(resolveConfig(getModel('vae'), {}) as VAEConfig), net: 'conv' }, { ...DATA, shape: [1, 10, 10] }), /multiples of 4/);
    assert.throws(() => buildGaussianVAE(resolveConfig(getModel('vae'), {}) as VAEConfig, { name: 'moons', kind: '2d', shape: [2] }), /vae models images/);
  });
});

function fit(m: ModelInstance, x: Tensor, steps: number): { losses: number[] } {
  const params = m.parameters();
  const losses: number[] = [];
  // plain Adam-free SGD with momentum keeps the test independent of the optimizers' own tests
  const vel = params.map((p) => torch.zerosLike(p).keep());
  for (let s = 0; s < steps; s++) {
    torch.scope(() => {
      torch.manualSeed(100 + s);
      const t = m.loss({ x }, s);
      losses.push(t.loss.item());
      const grads = torch.autograd.grad([t.loss], params, { allowUnused: true });
      torch.noGrad(() => params.forEach((p, i) => {
        if (!grads[i]) return;
        vel[i]!.mul_(0.9).add_(grads[i]!);
        p.sub_(vel[i]!.mul(0.01));
      }));
    });
  }
  vel.forEach((v) => v.dispose());
  return { losses };
}

describe('categorical (Gumbel-softmax) VAE', () => {
  const build = (estimator: string, over: Partial<GumbelVAEConfig> = {}) => {
    torch.manualSeed(0);
    const c = resolveConfig(getModel('gumbel-vae'), { groups: 4, classes: 3, hidden: [16], estimator, ...over }) as GumbelVAEConfig;
    return buildCategoricalVAE(c, DATA);
  };
  for (const est of ['gumbel', 'st-gumbel', 'score']) {
    test(`${est}: loss value is recon + KL and the encoder gets a gradient`, () => torch.scope(() => {
      const m = build(est);
      torch.manualSeed(3);
      const t = m.loss({ x: binaryImages(16, 5) }, 0);
      assertClose(t.loss, t.recon!.add(t.kl!).item(), 1e-4, 1e-6, 'value');
      const enc = m.modules.encoder!.parameters();
      const g = torch.autograd.grad([t.loss], enc, { allowUnused: true });
      assert.ok(g.some((x) => x && x.abs().sum().item() > 0), 'encoder gradient');
      const ev = m.evaluate!(binaryImages(32, 6));
      assert.ok(ev.negElbo! > 0 && Number.isFinite(ev.negElboSE!));
      m.dispose!();
    }));
  }
  test('KL to the uniform prior: 0 for uniform posteriors, log K for one-hot ones', () => torch.scope(() => {
    const m = build('gumbel');
    assertClose(m.vae.kl(torch.full([1, 4, 3], 1 / 3).log()), 0, 1e-6, 0, 'uniform');
    const oneHot = torch.tensor([[1e-9, 1e-9, 1]]).log().logSoftmax(-1).unsqueeze(0).expand([1, 4, 3]);
    assertClose(m.vae.kl(oneHot), 4 * Math.log(3), 1e-5, 0, 'one-hot');
    m.dispose!();
  }));
  test('bad input: temperature ≤ 0, unknown estimator', () => {
    assert.throws(() => build('gumbel', { tau0: 0 }), /temperature tau0 must be > 0, got 0/);
    assert.throws(() => build('reinforce'), /unknown estimator 'reinforce'; estimators: gumbel, st-gumbel, score/);
    const m = build('gumbel');
    assert.throws(() => m.vae.loss(binaryImages(2, 1), 'gumbel', -1), /temperature must be > 0, got -1/);
    m.dispose!();
  });
});
