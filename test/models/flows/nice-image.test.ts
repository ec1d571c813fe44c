import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch } from '../../../src/tensor/index.ts';
import { StandardLogistic, buildNice } from '../../../src/models/flows/index.ts';

test('standard logistic prior: log-density is the closed form; samples have mean 0 and variance π²/3', () => {
  const base = new StandardLogistic([3], 'float64');
  const z = torch.tensor([[-30, 0.5, 2], [0, -1.5, 40]], { dtype: 'float64' });
  const expected = (z.toArray() as number[][]).map((row) => row.reduce((s, v) => s - v - 2 * Math.log1p(Math.exp(-v)), 0));
  // the naive form overflows for -30 only mildly; 40 is fine; compare with tolerance
  base.logProb(z).toFlatArray().forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-9, `${v} vs ${expected[i]}`));
  torch.manualSeed(0);
  const s = base.sample(200_000);
  assert.ok(Math.abs(s.mean().item()) < 0.02);
  assert.ok(Math.abs(s.var().item() - Math.PI ** 2 / 3) < 0.05, `variance ${s.var().item()}`);
  assert.ok(Math.abs(base.sample(200_000, { temperature: 0.5 }).var().item() - Math.PI ** 2 / 12) < 0.02);
});

test("NICE's registered image config is the paper's MNIST model (4 couplings of 5 x 1000, scaling, logistic prior)", () => {
  const data = { name: 'mnist', kind: 'image' as const, shape: [1, 28, 28], range: [0, 1] as [number, number] };
  const m = buildNice({ layers: 4, hidden: 64, depth: 2, imageLayers: 4, imageHidden: 1000, imageDepth: 5, prior: 'auto' }, data);
  const D = 784, H = 1000;
  const perCoupling = D * H + H + 4 * (H * H + H) + H * D + D;
  assert.equal(m.parameters().reduce((n, p) => n + p.numel(), 0), 4 * perCoupling + D);
  const x = torch.rand([2, 1, 28, 28]);
  assert.ok(Number.isFinite(m.loss({ x }, 0).loss.item()));
  assert.throws(() => buildNice({ layers: 1, hidden: 4, depth: 1, prior: 'cauchy' }, data), /prior must be 'auto', 'normal' or 'logistic', got "cauchy"/);
  m.dispose!();
});
