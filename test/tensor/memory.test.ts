import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, Tensor } from '../../src/index.ts';

test('scope frees what it made, except what it returns', () => {
  const before = torch.memory();
  const kept = torch.scope(() => {
    const a = torch.randn([100]);
    const b = a.mul(2);
    b.add(1);
    return { out: [b.sum()], note: 'x' };
  });
  const mid = torch.memory();
  assert.equal(mid.tensors, before.tensors + 1);
  assert.equal(kept.out[0]!.isDisposed, false);
  kept.out[0]!.dispose();
  assert.deepEqual(torch.memory(), before);
});

test('nested scopes move returned tensors one level up', () => {
  const before = torch.memory().tensors;
  torch.scope(() => {
    const inner = torch.scope(() => torch.ones([3]).mul(2));
    assert.equal(torch.memory().tensors, before + 1);
    const inner2 = torch.scope(() => inner.add(1));
    assert.deepEqual(inner2.toArray(), [3, 3, 3]);
  });
  assert.equal(torch.memory().tensors, before);
});

test('scopes follow async calls across await, each call its own', async () => {
  const before = torch.memory().tensors;
  const work = (n: number) =>
    torch.scope(async () => {
      const a = torch.ones([n]);
      await new Promise((r) => setTimeout(r, 3));
      const b = a.mul(2);
      await new Promise((r) => setTimeout(r, 1));
      return b.sum();
    });
  const [x, y] = await Promise.all([work(3), work(5)]);
  assert.equal(x.item(), 6);
  assert.equal(y.item(), 10);
  assert.equal(torch.memory().tensors, before + 2);
  torch.dispose([x, y]);
  assert.equal(torch.memory().tensors, before);
});

test('a scope that throws still frees; kept tensors survive until disposed', () => {
  const before = torch.memory().tensors;
  let k: Tensor | undefined;
  assert.throws(() =>
    torch.scope(() => {
      k = torch.zeros([4]).keep();
      torch.ones([10]);
      throw new Error('boom');
    }),
  /boom/);
  assert.equal(torch.memory().tensors, before + 1);
  assert.equal(k!.sum().item(), 0);
  k!.dispose();
  k!.dispose(); // twice is fine
  assert.ok(torch.memory().tensors <= before + 1);
});

test('using a disposed tensor is a clear error and later calls still work', () => {
  const a = torch.ones([2]);
  a.dispose();
  assert.equal(a.isDisposed, true);
  assert.throws(() => a.add(1), /argument 'self' is not a live Tensor \(it was disposed/);
  assert.throws(() => torch.ones([2]).add(a), /argument 'other' is not a live Tensor/);
  assert.throws(() => torch.cat([torch.ones([1]), a]), /argument 'tensors'\[1\] is not a live Tensor/);
  assert.equal(String(a), 'Tensor(<disposed>)');
  assert.equal(torch.ones([2]).sum().item(), 2);
});

test('memory() counts bytes of distinct storages exactly', () => {
  torch.scope(() => {
    const m0 = torch.memory();
    const a = torch.zeros([1000]);
    const v = a.view([10, 100]); // shares storage
    assert.equal(torch.memory().tensors, m0.tensors + 2);
    assert.equal(torch.memory().bytes, m0.bytes + 4000);
    assert.ok(v);
  });
});

test('leak check: 10,000 MLP training steps keep live tensors and bytes flat', () => {
  torch.manualSeed(0);
  const p = (shape: number[], fanIn: number) => torch.randn(shape).mul(1 / Math.sqrt(fanIn)).requiresGrad_().keep();
  const params = [p([2, 64], 2), p([64], 64), p([64, 64], 64), p([64], 64), p([64, 2], 64), p([2], 64)];
  const [w1, b1, w2, b2, w3, b3] = params as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];
  const step = () =>
    torch.scope(() => {
      const x = torch.randn([128, 2]);
      const target = x.flip([1]).mul(2);
      const h = x.matmul(w1).add(b1).relu().matmul(w2).add(b2).tanh();
      const loss = h.matmul(w3).add(b3).sub(target).pow(2).mean();
      loss.backward();
      torch.noGrad(() => {
        for (const q of params) {
          q.sub_(q.grad!, { alpha: 0.01 });
          q.grad = null;
        }
      });
      return loss.item();
    });
  let first = 0;
  let lastHundred = 0;
  let m100 = { tensors: 0, bytes: 0 };
  for (let i = 0; i < 10000; i++) {
    const l = step();
    if (i < 100) first += l / 100;
    if (i >= 9900) lastHundred += l / 100;
    if (i === 100) m100 = torch.memory();
  }
  const m = torch.memory();
  assert.deepEqual(m, m100);
  // The steps really train (so the flat count is of a working loop): predicting 0 costs E|2 flip(x)|^2 / 2 = 4
  // per coordinate; the mean loss of the last 100 steps must be under 1% of that and under 5% of the first 100's.
  assert.ok(lastHundred < 0.04 && lastHundred < 0.05 * first, `mean loss went from ${first} (first 100 steps) to ${lastHundred} (last 100)`);
  torch.dispose(params);
});
