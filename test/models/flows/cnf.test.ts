import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { torch, type Tensor } from '../../../src/tensor/index.ts';
import { Module } from '../../../src/nn/module.ts';
import { CNF, Flow, StandardNormal } from '../../../src/models/flows/index.ts';
import { checkBijector, maxAbsDiff } from './helpers.ts';

const logNormal = (x: number, mu: number, sd: number) => -0.5 * ((x - mu) / sd) ** 2 - Math.log(sd) - 0.5 * Math.log(2 * Math.PI);

const dtype = 'float64' as const;

/** f(t, z) = A z. */
class LinearField extends Module {
  readonly A: Tensor;
  constructor(A: Tensor) {
    super();
    this.A = this.registerParameter('A', A);
  }
  forward(z: Tensor, _t: Tensor): Tensor {
    return z.matmul(this.A.t());
  }
}

describe('continuous normalizing flow', () => {
  test('linear field: z(T) = exp(AT) x and log-det = T tr(A) (closed form), log-density too', () => {
    torch.manualSeed(0);
    const A = torch.tensor([[-0.5, 1.2], [-0.3, 0.4]], { dtype });
    const cnf = new CNF(2, new LinearField(A.clone()), { rtol: 1e-10, atol: 1e-10, T: 1.5 });
    const flow = new Flow(new StandardNormal([2], dtype), [cnf]);
    torch.scope(() => {
      const x = torch.randn([5, 2], { dtype });
      const { y, logDet } = cnf.forward(x);
      const M = torch.linalg.matrixExp(A.mul(1.5));
      assert.ok(maxAbsDiff(y, x.matmul(M.t())) < 1e-8);
      const trA = -0.5 + 0.4;
      for (const v of logDet.toFlatArray()) assert.ok(Math.abs(v - 1.5 * trA) < 1e-8);
      // log p(x) = log N(exp(AT) x) + T tr(A)
      const want = flow.base.logProb(x.matmul(M.t())).add(1.5 * trA);
      assert.ok(maxAbsDiff(flow.logProb(x), want) < 1e-8);
      assert.ok(cnf.lastStats!.accepted > 0);
    });
    flow.dispose();
  });

  test('Hutchinson trace is unbiased for the linear field', () => {
    torch.manualSeed(1);
    const A = torch.tensor([[0.3, 2], [-1, -0.9]], { dtype });
    const cnf = new CNF(2, new LinearField(A), { divergence: 'hutchinson', method: 'rk4', steps: 4, T: 1 });
    torch.scope(() => {
      const x = torch.zeros([4000, 2], { dtype });
      const { logDet } = torch.noGrad(() => cnf.forward(x));
      const mean = logDet.mean().item();
      const se = logDet.std().item() / Math.sqrt(4000);
      assert.ok(Math.abs(mean - (0.3 - 0.9)) < 4 * se + 1e-9, `mean ${mean} vs ${0.3 - 0.9} (se ${se})`);
      assert.ok(logDet.std().item() > 0.1, 'the estimate is random per example');
    });
    cnf.dispose();
  });

  test('MLP field: exact-trace log-det equals the brute-force Jacobian of the solve, and it inverts', () => {
    torch.manualSeed(2);
    const cnf = new CNF(2, undefined, { hidden: [8], dtype, rtol: 1e-10, atol: 1e-10 });
    checkBijector(cnf, torch.randn([3, 2], { dtype }), 1e-6);
    cnf.dispose();
  });

  test('training through the solver lowers the NLL of a 2D Gaussian with RK4', () => {
    torch.manualSeed(3);
    const cnf = new CNF(2, undefined, { hidden: [16], method: 'rk4', steps: 4 });
    const flow = new Flow(new StandardNormal([2]), [cnf]);
    const data = torch.randn([512, 2]).mul(torch.tensor([0.3, 2])).add(torch.tensor([1, -1])).keep();
    const params = flow.parameters();
    const nll = () => torch.scope(() => torch.noGrad(() => flow.logProb(data).mean().neg().item()));
    const before = nll();
    for (let i = 0; i < 60; i++) {
      torch.scope(() => {
        const loss = flow.logProb(data).mean().neg();
        for (const p of params) p.grad = null;
        loss.backward();
        torch.noGrad(() => params.forEach((p) => p.sub_(p.grad!.mul(0.02))));
      });
    }
    const after = nll();
    // The yardstick: the NLL of these points under the density that made them, N((1, -1), diag(0.09, 4)),
    // by hand (about log(2 pi e) + 0.5 log 0.36 = 2.33). Training must close 80% of the gap from the
    // untrained flow to it (5.05 -> 2.58 closes 91%), and cannot go far below it (that would be a wrong log-det).
    const pts = data.toArray() as number[][];
    const truth = -pts.reduce((s, [a, b]) => s + logNormal(a!, 1, 0.3) + logNormal(b!, -1, 2), 0) / pts.length;
    assert.ok(after < before - 0.3, `NLL ${before.toFixed(3)} -> ${after.toFixed(3)}`);
    assert.ok((after - truth) / (before - truth) < 0.2, `NLL ${before.toFixed(3)} -> ${after.toFixed(3)}: less than 80% of the way to the data's own ${truth.toFixed(3)}`);
    assert.ok(after > truth - 0.1, `NLL ${after.toFixed(3)} below the data density's ${truth.toFixed(3)}`);
    data.dispose();
    flow.dispose();
  });
});
