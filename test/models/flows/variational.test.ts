import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { torch } from '../../../src/tensor/index.ts';
import { energies, fitVariational, variationalFlow } from '../../../src/models/flows/index.ts';

const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;

describe('variational flows on the Rezende & Mohamed energies', () => {
  for (const [kind, energy, K, steps, maxU] of [['planar', 'u1', 8, 300, 1.5], ['radial', 'u1', 8, 300, 2.5], ['planar', 'u2', 16, 400, 1.5], ['spline', 'u3', 2, 300, 1.5]] as const) {
    test(`${kind} flow (K=${K}) on ${energy}: KL(q||p) decreases and samples land where p is high`, () => {
      torch.manualSeed(0);
      const flow = variationalFlow(kind, K);
      const U = energies[energy];
      const uBase = torch.scope(() => U(torch.randn([2000, 2])).mean().item());
      const hist = fitVariational(flow, U, { steps, batch: 128, lr: kind === 'spline' ? 3e-3 : 1e-2 });
      const first = mean(hist.slice(0, 20));
      const last = mean(hist.slice(-30));
      assert.ok(last < first - 0.5, `KL - log Z: ${first.toFixed(3)} -> ${last.toFixed(3)}`);
      torch.scope(() => {
        const s = torch.noGrad(() => flow.sample(2000));
        const uFit = U(s).mean().item();
        assert.ok(uFit < uBase - 2 && uFit < maxU, `mean energy of samples ${uFit.toFixed(3)} (base ${uBase.toFixed(3)})`);
      });
      flow.dispose();
    });
  }

  test('the energies match their formulas at a few points', () => {
    torch.scope(() => {
      const z = torch.tensor([[2, 0], [0, 1]], { dtype: 'float64' });
      const u1 = energies.u1(z).toFlatArray();
      // z = (2, 0): ring term 0; -log(1 + exp(-0.5 (4/0.6)^2))
      assert.ok(Math.abs(u1[0]! + Math.log(1 + Math.exp(-0.5 * (4 / 0.6) ** 2))) < 1e-12);
      const u2 = energies.u2(z).toFlatArray();
      assert.ok(Math.abs(u2[1]! - 0.5 * (1 / 0.4) ** 2) < 1e-12);
    });
  });
});
