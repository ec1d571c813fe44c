import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, Tensor } from '../../src/index.ts';

/** Central finite differences of a scalar function of a float64 tensor. */
function finiteDiff(f: (x: Tensor) => Tensor, x: Tensor, h = 1e-6): number[] {
  const base = x.toFlatArray();
  return base.map((_, i) =>
    torch.scope(() => {
      const plus = base.slice();
      const minus = base.slice();
      plus[i]! += h;
      minus[i]! -= h;
      const fp = f(torch.tensor(plus, { dtype: 'float64' }).view(x.shape)).item();
      const fm = f(torch.tensor(minus, { dtype: 'float64' }).view(x.shape)).item();
      return (fp - fm) / (2 * h);
    }),
  );
}

const f = (x: Tensor) => x.sin().mul(x.pow(2)).sum().add(x.logsumexp(0).sum()).add(x.matmul(x.t()).trace());

test('backward matches finite differences', () => {
  torch.manualSeed(1);
  const x = torch.randn([3, 2], { dtype: 'float64' }).requiresGrad_();
  f(x).backward();
  const fd = finiteDiff(f, x.detach());
  x.grad!.toFlatArray().forEach((g, i) => assert.ok(Math.abs(g - fd[i]!) < 1e-6, `${g} vs ${fd[i]}`));
});

test('autograd.grad with createGraph gives second derivatives (Hessian-vector product)', () => {
  // f(x) = sum(x^3) -> grad 3x^2 -> Hessian diag 6x
  const x = torch.tensor([1, -2, 0.5], { dtype: 'float64' }).requiresGrad_();
  const y = x.pow(3).sum();
  const [g] = torch.autograd.grad(y, x, { createGraph: true });
  assert.deepEqual(g!.toArray(), [3, 12, 0.75]);
  assert.ok(g!.requiresGrad);
  const [h] = torch.autograd.grad(g!.sum(), x);
  assert.deepEqual(h!.toArray(), [6, -12, 3]);
});

test('vector-Jacobian products with gradOutputs; allowUnused gives null', () => {
  const x = torch.tensor([1, 2], { dtype: 'float64' }).requiresGrad_();
  const z = torch.tensor([5], { dtype: 'float64' }).requiresGrad_();
  const y = x.mul(3);
  const [gx, gz] = torch.autograd.grad(y, [x, z], { gradOutputs: [torch.tensor([1, 10], { dtype: 'float64' })], allowUnused: true });
  assert.deepEqual(gx!.toArray(), [3, 30]);
  assert.equal(gz, null);
  assert.throws(() => torch.autograd.grad(x.mul(2), x), /not a scalar/);
});

test('grads accumulate; clearing; retainGraph', () => {
  const w = torch.tensor([2], { dtype: 'float64' }).requiresGrad_();
  const y = w.mul(w);
  y.backward(null, { retainGraph: true });
  y.backward();
  assert.deepEqual(w.grad!.toArray(), [8]);
  assert.throws(() => y.backward(), /backward through the graph a second time/);
  w.grad = null;
  assert.equal(w.grad, null);
  w.mul(5).sum().backward();
  assert.deepEqual(w.grad!.toArray(), [5]);
});

test('noGrad, enableGrad, inferenceMode and detach stop recording', async () => {
  const w = torch.ones([2]).requiresGrad_();
  assert.equal(torch.noGrad(() => w.mul(2)).requiresGrad, false);
  assert.equal(torch.noGrad(() => torch.enableGrad(() => w.mul(2))).requiresGrad, true);
  assert.equal(torch.inferenceMode(() => w.mul(2)).requiresGrad, false);
  assert.equal(w.mul(2).requiresGrad, true);
  assert.equal(w.detach().requiresGrad, false);
  // across await: the async noGrad body keeps its mode while other code runs with grad on
  const inside = torch.noGrad(async () => {
    await new Promise((r) => setTimeout(r, 5));
    return w.mul(3).requiresGrad;
  });
  const outside = w.mul(4).requiresGrad;
  assert.equal(await inside, false);
  assert.equal(outside, true);
  assert.equal(torch.isGradEnabled(), true);
});

test('leaf facts and gradFn', () => {
  const w = torch.ones([2]).requiresGrad_();
  assert.equal(w.isLeaf, true);
  const y = w.exp();
  assert.equal(y.isLeaf, false);
  assert.match(y.gradFn!, /Exp/);
  assert.throws(() => y.requiresGrad_(false), /only leaf/);
  assert.throws(() => torch.tensor([1], { dtype: 'int64' }).requiresGrad_(), /floating point/);
});
