import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, type Tensor } from '../../../src/tensor/index.ts';
import { CNF, Flow, StandardNormal } from '../../../src/models/flows/index.ts';

const dtype = 'float64' as const;

/** Gradients of the mean NLL w.r.t. the vector field's parameters and the input, for one gradient mode. */
function gradients(gradient: 'backprop' | 'adjoint', divergence: 'exact' | 'hutchinson', seed: number) {
  torch.manualSeed(seed);
  const cnf = new CNF(2, undefined, { hidden: [8, 8], dtype, divergence, gradient, rtol: 1e-10, atol: 1e-10 });
  const flow = new Flow(new StandardNormal([2], dtype), [cnf]);
  const x = torch.randn([6, 2], { dtype }).mul(1.5).requiresGrad_();
  torch.manualSeed(seed + 1); // the same Hutchinson noise in both modes
  const loss = flow.logProb(x).mean().neg();
  loss.backward();
  const out = { loss: loss.item(), params: cnf.net.parameters().map((p) => p.grad!.toFlatArray()), x: x.grad!.toFlatArray(), stats: cnf.lastAdjointStats };
  flow.dispose();
  return out;
}

const maxDiff = (a: number[][], b: number[][]) => Math.max(...a.flatMap((r, i) => r.map((v, j) => Math.abs(v - b[i]![j]!))));

for (const divergence of ['exact', 'hutchinson'] as const) {
  test(`CNF adjoint gradients equal back-propagation through the solver (float64, ${divergence} trace)`, () => {
    const bp = gradients('backprop', divergence, 3);
    const adj = gradients('adjoint', divergence, 3);
    assert.ok(Math.abs(bp.loss - adj.loss) < 1e-12, `same forward value: ${bp.loss} vs ${adj.loss}`);
    const scale = Math.max(...bp.params.flat().map(Math.abs));
    assert.ok(scale > 1e-3, 'gradients are not trivially zero');
    assert.ok(maxDiff(bp.params, adj.params) < 1e-6 * scale, `parameter gradients differ by ${maxDiff(bp.params, adj.params)}`);
    assert.ok(maxDiff([bp.x], [adj.x]) < 1e-6, `input gradients differ by ${maxDiff([bp.x], [adj.x])}`);
    assert.ok(adj.stats && adj.stats.nfe > 0, 'the backward pass solved the adjoint ODE');
  });
}

test('CNF adjoint: one training step moves the loss like back-propagation; a bad gradient mode is an error', () => {
  assert.throws(() => new CNF(2, undefined, { gradient: 'magic' as never }), /gradient must be 'backprop' or 'adjoint', got "magic"/);
  const before = torch.memory();
  torch.scope(() => {
    const g = gradients('adjoint', 'exact', 5);
    assert.ok(Number.isFinite(g.loss));
  });
  const after = torch.memory(); // an upper bound: the GC guards may free earlier tests' unscoped tensors meanwhile
  assert.ok(after.tensors <= before.tensors && after.bytes <= before.bytes, `the adjoint step leaks no tensors: ${JSON.stringify(after)} vs ${JSON.stringify(before)}`);
});
