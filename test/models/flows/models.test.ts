import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { torch, type Tensor } from '../../../src/tensor/index.ts';
import { getModel, resolveConfig } from '../../../src/models/index.ts';
import { fit, Flow, LogitTransform } from '../../../src/models/flows/index.ts';
import { toy2d } from '../../../src/data/toy2d.ts';

/** NLL in nats of the maximum-likelihood Gaussian for points x [n, 2]: 0.5 log det(2 pi e S), by hand in float64. */
function gaussianNll(x: Tensor): number {
  const p = x.toArray() as number[][];
  const n = p.length;
  const mx = p.reduce((s, q) => s + q[0]!, 0) / n, my = p.reduce((s, q) => s + q[1]!, 0) / n;
  let sxx = 0, syy = 0, sxy = 0;
  for (const [a, b] of p) {
    sxx += (a! - mx) ** 2;
    syy += (b! - my) ** 2;
    sxy += (a! - mx) * (b! - my);
  }
  const det = (sxx / n) * (syy / n) - (sxy / n) ** 2;
  return Math.log(2 * Math.PI * Math.E) + 0.5 * Math.log(det);
}
const COUPLING = new Set(['nice', 'realnvp', 'glow', 'nsf']);

describe('flow families', () => {
  for (const name of ['nice', 'realnvp', 'glow', 'nsf', 'planar', 'cnf']) {
    test(`${name}: builds on 2D data, finite loss, samples, NLL drops after a short fit`, () => {
      torch.manualSeed(0);
      const fam = getModel(name);
      const m = fam.create(resolveConfig(fam, name === 'cnf' ? { steps: 2, hidden: 16 } : {}), { name: 'moons', kind: '2d', shape: [2] });
      const train = toy2d.moons!.sample(2000, new torch.Generator({ seed: 1 })).keep();
      const before = m.evaluate!(train).nll!;
      fit(m, train, { steps: name === 'cnf' ? 30 : 100, batch: 128, lr: name === 'planar' ? 5e-3 : 3e-3 });
      const after = m.evaluate!(train).nll!;
      // The yardstick: the NLL of the best Gaussian for these points, 0.5 log det(2 pi e S) (S their covariance,
      // 3.29 nats). Every flow gets within 0.25 of it from far above; the coupling flows go below it by 0.15 or
      // more, i.e. they learned the non-Gaussian shape of the moons (planar and the 30-step CNF are too short).
      const gauss = gaussianNll(train);
      assert.ok(Number.isFinite(after) && after < before - 0.2, `${name}: NLL ${before.toFixed(3)} -> ${after.toFixed(3)}`);
      assert.ok(after < gauss + 0.25, `${name}: NLL ${after.toFixed(3)}, best Gaussian ${gauss.toFixed(3)}`);
      if (COUPLING.has(name)) assert.ok(after < gauss - 0.15, `${name}: NLL ${after.toFixed(3)} not below the best Gaussian ${gauss.toFixed(3)} - 0.15`);
      torch.scope(() => {
        assert.deepEqual(m.sample(5).shape, [5, 2]);
        assert.deepEqual(m.logProb!(train.narrow(0, 0, 3)).shape, [3]);
      });
      train.dispose();
      m.dispose?.();
    });
  }

  for (const name of ['nice', 'realnvp', 'glow']) {
    test(`${name}: images (tiny 1x4x4), bits/dim counts dequantization and logit, samples in [0, 1]`, () => {
      torch.manualSeed(1);
      const fam = getModel(name);
      const data = { name: 'tiny', kind: 'image' as const, shape: [1, 4, 4] };
      const m = fam.create(resolveConfig(fam, name === 'nice' ? { layers: 2, hidden: 8 } : { imageLayers: 2, imageHidden: 8 }), data);
      const x = torch.rand([16, 1, 4, 4]).mul(255).round().div(255).keep();
      torch.scope(() => {
        const terms = m.loss({ x }, 1);
        assert.ok(Number.isFinite(terms.loss.item()));
        // bpd = nll / (D ln 2), D = 16
        assert.ok(Math.abs(terms.bpd!.item() - terms.nll!.item() / (16 * Math.LN2)) < 1e-4);
        // The same number by hand: the same dequantization draws v = 255 x + u, RealNVP's logit preprocessing
        // y = logit(a + (1 - 2a) v / 256), a = 0.05, with its log-determinant sum(log c - log p - log(1 - p)),
        // c = (1 - 2a) / 256, computed here in float64 JS; then the family's body bijectors and N(0, I).
        const flow = m.modules.flow as Flow;
        assert.ok(flow.bijectors[0] instanceof LogitTransform, 'image flows start with the logit preprocessing');
        torch.manualSeed(7);
        const seeded = m.loss({ x }, 1);
        torch.manualSeed(7);
        const v = x.mul(255).round().add(torch.randLike(x)).toFlatArray();
        const a = 0.05, c = (1 - 2 * a) / 256;
        const p = v.map((vi) => a + c * vi);
        const y = torch.tensor(p.map((pi) => Math.log(pi / (1 - pi))), { dtype: 'float64' }).reshape(x.shape);
        const logitLd = Array.from({ length: 16 }, (_, b) => p.slice(16 * b, 16 * b + 16).reduce((s, pi) => s + Math.log(c) - Math.log(pi) - Math.log(1 - pi), 0));
        const rest = new Flow(flow.base, flow.bijectors.slice(1));
        const bodyLogProb = torch.noGrad(() => rest.logProb(y.to('float32'))).toFlatArray();
        const nll = -bodyLogProb.reduce((s, lp, b) => s + lp + logitLd[b]!, 0) / 16;
        assert.ok(Math.abs(seeded.nll!.item() - nll) < 1e-3 * Math.abs(nll), `nll ${seeded.nll!.item()} vs by hand ${nll}`);
        assert.ok(Math.abs(seeded.bpd!.item() - nll / (16 * Math.LN2)) < 1e-3, `bpd ${seeded.bpd!.item()} vs by hand ${nll / (16 * Math.LN2)}`);
        // Uniform pixels carry 8 bits/dim: no model of them does better in expectation (dequantization bound).
        assert.ok(seeded.bpd!.item() > 7.5, `bpd ${seeded.bpd!.item()} below the 8-bit entropy of uniform pixels`);
        const s = m.sample(3);
        assert.deepEqual(s.shape, [3, 1, 4, 4]);
        assert.ok(s.min().item() >= 0 && s.max().item() <= 1);
        const ev = m.evaluate!(x);
        assert.ok(Math.abs(ev.bpd! - ev.nll! / (16 * Math.LN2)) < 1e-9);
      });
      x.dispose();
      m.dispose?.();
    });
  }
});
