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

  test('the four energies match Rezende & Mohamed (2015, table 1), written out here in float64', () => {
    // w1 = sin(2 pi z1 / 4), w2 = 3 exp(-((z1 - 1) / 0.6)^2 / 2), w3 = 3 sigmoid((z1 - 1) / 0.3).
    const w1 = (z1: number) => Math.sin((2 * Math.PI * z1) / 4);
    const w2 = (z1: number) => 3 * Math.exp(-0.5 * ((z1 - 1) / 0.6) ** 2);
    const w3 = (z1: number) => 3 / (1 + Math.exp(-(z1 - 1) / 0.3));
    const g = (x: number) => Math.exp(-0.5 * x * x);
    const want: Record<'u1' | 'u2' | 'u3' | 'u4', (z1: number, z2: number) => number> = {
      u1: (z1, z2) => 0.5 * ((Math.hypot(z1, z2) - 2) / 0.4) ** 2 - Math.log(g((z1 - 2) / 0.6) + g((z1 + 2) / 0.6)),
      u2: (z1, z2) => 0.5 * ((z2 - w1(z1)) / 0.4) ** 2,
      u3: (z1, z2) => -Math.log(g((z2 - w1(z1)) / 0.35) + g((z2 - w1(z1) + w2(z1)) / 0.35)),
      u4: (z1, z2) => -Math.log(g((z2 - w1(z1)) / 0.4) + g((z2 - w1(z1) + w3(z1)) / 0.35)),
    };
    // Points where every term is nonzero (z1 = 1: w1 = 1, w2 and w3 at their middle), plus far ones.
    const pts = [[2, 0], [0, 1], [1, 0.3], [-0.7, 1.9], [1.5, -2], [0.2, -0.4], [1, -2.5], [3.1, 0.8]];
    torch.scope(() => {
      const z = torch.tensor(pts, { dtype: 'float64' });
      for (const name of ['u1', 'u2', 'u3', 'u4'] as const) {
        const got = energies[name](z).toFlatArray();
        pts.forEach(([z1, z2], i) => {
          const w = want[name](z1!, z2!);
          assert.ok(Math.abs(got[i]! - w) < 1e-10 * Math.max(1, Math.abs(w)), `${name}(${z1}, ${z2}) = ${got[i]}, formula ${w}`);
        });
      }
    });
  });
});
