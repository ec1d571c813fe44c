import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch } from '../../src/tensor/index.ts';
import { FullCovGaussian, gaussianFamily } from '../../src/models/gaussian/index.ts';
import { getModel, listModels } from '../../src/models/index.ts';
import { Adam } from '../../src/optim/index.ts';

test('gaussian family is registered', () => {
  assert.equal(getModel('gaussian'), gaussianFamily);
  assert.ok(listModels().some((f) => f.name === 'gaussian'));
});

test('FullCovGaussian.logProb matches the closed form (float64 route)', () => {
  torch.scope(() => {
    torch.manualSeed(0);
    const g = new FullCovGaussian(3);
    torch.noGrad(() => {
      g.loc.copy_(torch.tensor([0.5, -1, 2]));
      g.scaleRaw.copy_(torch.tensor([[0.1, 0, 0], [0.4, -0.3, 0], [-0.2, 0.7, 0.2]]));
    });
    const x = torch.randn([5, 3]);
    const lp = g.logProb(x).toFlatArray();
    // Independent route: Sigma = L L^T, log N = -0.5 (d log 2pi + log det Sigma + (x-mu)^T Sigma^-1 (x-mu)).
    const l = torch.noGrad(() => g.scaleTril().double());
    const sigma = l.matmul(l.t());
    const diff = x.double().sub(g.loc.detach().double());
    const maha = diff.matmul(torch.linalg.inv(sigma)).mul(diff).sum(1);
    const ref = maha.add(torch.linalg.slogdet(sigma)[1]).add(3 * Math.log(2 * Math.PI)).mul(-0.5).toFlatArray();
    for (let i = 0; i < 5; i++) assert.ok(Math.abs(lp[i]! - ref[i]!) < 1e-4, `${lp[i]} vs ${ref[i]}`);
    g.dispose();
  });
});

test('maximum likelihood with Adam recovers the sample mean and covariance', () => {
  torch.scope(() => {
    torch.manualSeed(1);
    // Correlated 2D data: x = A z + b.
    const z = torch.randn([2000, 2]);
    const x = z.matmul(torch.tensor([[1.5, 0], [0.8, 0.5]]).t()).add(torch.tensor([1, -2]));
    const g = new FullCovGaussian(2);
    const opt = new Adam(g.parameters(), { lr: 0.05 });
    for (let s = 0; s < 600; s++) {
      torch.scope(() => {
        g.logProb(x).mean().neg().backward();
        opt.step();
        opt.zeroGrad();
      });
    }
    const mean = x.mean(0).toFlatArray();
    const xc = x.sub(x.mean(0));
    const cov = xc.t().matmul(xc).div(x.size(0)).toFlatArray(); // ML (biased) covariance
    const fitMean = g.loc.toFlatArray();
    const fitCov = torch.noGrad(() => g.covariance()).toFlatArray();
    for (let i = 0; i < 2; i++) assert.ok(Math.abs(fitMean[i]! - mean[i]!) < 1e-2, `mean ${fitMean} vs ${mean}`);
    for (let i = 0; i < 4; i++) assert.ok(Math.abs(fitCov[i]! - cov[i]!) < 2e-2, `cov ${fitCov} vs ${cov}`);
    // Samples have the fitted moments.
    torch.manualSeed(2);
    const s = torch.noGrad(() => g.sample(20000));
    const sm = s.mean(0).toFlatArray();
    for (let i = 0; i < 2; i++) assert.ok(Math.abs(sm[i]! - fitMean[i]!) < 0.05);
    opt.dispose();
    g.dispose();
  });
});
