import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { torch } from '../../../src/tensor/index.ts';
import { getModel, resolveConfig } from '../../../src/models/index.ts';
import { fit } from '../../../src/models/flows/index.ts';
import { toy2d } from '../../../src/data/toy2d.ts';

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
      assert.ok(Number.isFinite(after) && after < before - 0.2, `${name}: NLL ${before.toFixed(3)} -> ${after.toFixed(3)}`);
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
        // An untrained flow on uniform pixels: around 8 bits/dim, certainly within (4, 16).
        assert.ok(terms.bpd!.item() > 4 && terms.bpd!.item() < 16, `bpd ${terms.bpd!.item()}`);
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
