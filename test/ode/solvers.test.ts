import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { torch, type Tensor } from '../../src/tensor/index.ts';
import { odeint, solveDopri5, solveFixed, type FixedMethod, type State } from '../../src/ode/index.ts';

const dtype = 'float64' as const;
const scalar = (v: number) => torch.tensor([v], { dtype });
// y' = y cos t, y(0) = 1  =>  y = exp(sin t)
const f1 = (t: number, [y]: State): State => [y!.mul(Math.cos(t))];
const exact1 = (t: number) => Math.exp(Math.sin(t));

describe('fixed-step solvers', () => {
  for (const [method, order] of [['euler', 1], ['midpoint', 2], ['rk4', 4]] as [FixedMethod, number][]) {
    test(`${method} converges with order ${order} on y' = y cos t`, () => {
      torch.scope(() => {
        const errs = [20, 40, 80].map((n) => Math.abs(solveFixed(f1, [scalar(1)], 0, 2, { method, steps: n }).y[0]!.item() - exact1(2)));
        const p1 = Math.log2(errs[0]! / errs[1]!);
        const p2 = Math.log2(errs[1]! / errs[2]!);
        assert.ok(Math.abs(p1 - order) < 0.25 && Math.abs(p2 - order) < 0.15, `${method}: observed orders ${p1.toFixed(3)}, ${p2.toFixed(3)}`);
      });
    });
  }

  test('state tuples: the harmonic oscillator x = cos t, v = -sin t, forwards and backwards in time', () => {
    torch.scope(() => {
      const f = (_t: number, [x, v]: State): State => [v!, x!.neg()];
      const r = solveFixed(f, [scalar(1), scalar(0)], 0, 3, { method: 'rk4', steps: 200 });
      assert.ok(Math.abs(r.y[0]!.item() - Math.cos(3)) < 1e-8);
      assert.ok(Math.abs(r.y[1]!.item() + Math.sin(3)) < 1e-8);
      assert.deepEqual(r.stats, { nfe: 800, accepted: 200, rejected: 0 });
      const back = solveFixed(f, r.y, 3, 0, { method: 'rk4', steps: 200 });
      assert.ok(Math.abs(back.y[0]!.item() - 1) < 1e-8 && Math.abs(back.y[1]!.item()) < 1e-8);
    });
  });
});

describe('Dormand–Prince 5(4)', () => {
  test('meets the tolerance and tighter tolerances take more steps', () => {
    torch.scope(() => {
      let prevSteps = 0;
      for (const tol of [1e-4, 1e-7, 1e-10]) {
        const r = solveDopri5(f1, [scalar(1)], 0, 5, { rtol: tol, atol: tol });
        const err = Math.abs(r.y[0]!.item() - exact1(5));
        assert.ok(err < 50 * tol, `tol ${tol}: error ${err}`);
        assert.ok(r.stats.accepted > prevSteps, 'more accepted steps at tighter tolerance');
        assert.equal(r.stats.nfe, 2 + 6 * (r.stats.accepted + r.stats.rejected));
        prevSteps = r.stats.accepted;
      }
    });
  });

  test('rejects steps that are too large, and counts them', () => {
    torch.scope(() => {
      const r = solveDopri5(f1, [scalar(1)], 0, 5, { rtol: 1e-8, atol: 1e-8, h0: 2 });
      assert.ok(r.stats.rejected > 0, `rejected ${r.stats.rejected}`);
      assert.ok(Math.abs(r.y[0]!.item() - exact1(5)) < 1e-6);
    });
  });

  test('integrates batched tuples backwards in time', () => {
    torch.scope(() => {
      const y0 = torch.tensor([[1, 0], [0, 1]], { dtype });
      const f = (_t: number, [y]: State): State => [torch.stack([y!.select(1, 1), y!.select(1, 0).neg()], 1)];
      const r = odeint(f, [y0], 0, -2, { rtol: 1e-9, atol: 1e-9 });
      // Rotation: y(t) = [[cos t, -sin t], [sin t, cos t]] y0 applied row-wise (x' = v, v' = -x).
      const c = Math.cos(-2), s = Math.sin(-2);
      const want = torch.tensor([[c, -s], [s, c]], { dtype });
      assert.ok(r.y[0]!.sub(want).abs().max().item() < 1e-7);
    });
  });

  test('gradients flow through the solver: d/da exp(aT) = T exp(aT)', () => {
    for (const method of ['rk4', 'dopri5'] as const) {
      torch.scope(() => {
        const a = torch.tensor([0.7], { dtype, requiresGrad: true });
        const f = (_t: number, [y]: State): State => [y!.mul(a)];
        const r = odeint(f, [scalar(1)], 0, 1.5, { method, steps: 50, rtol: 1e-9, atol: 1e-9 });
        const [g] = torch.autograd.grad(r.y[0]!.sum(), a) as [Tensor];
        assert.ok(Math.abs(g.item() - 1.5 * Math.exp(0.7 * 1.5)) < 1e-6, `${method}: ${g.item()}`);
      });
    }
  });

  test('no tensors leak from a solve', () => {
    const before = torch.memory().tensors;
    torch.scope(() => {
      solveDopri5(f1, [scalar(1)], 0, 3);
    });
    assert.equal(torch.memory().tensors, before);
  });
});
