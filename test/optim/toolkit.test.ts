/** LR schedules, gradient clipping, EMA. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, type Tensor } from '../../src/tensor/index.ts';
import * as nn from '../../src/nn/index.ts';
import { SGD, Adam, EMA, LRScheduler, clipGradNorm_, constantLR, cosineDecay, linearWarmup, stepDecay } from '../../src/optim/index.ts';
import { assertClose } from '../nn/helpers.ts';

test('schedules: warm-up, cosine with warm-up, step decay, constant', () => {
  const w = linearWarmup(4);
  assert.deepEqual([0, 1, 2, 3, 4, 100].map(w), [0.25, 0.5, 0.75, 1, 1, 1]);
  assert.equal(linearWarmup(0)(0), 1);
  const c = cosineDecay({ totalSteps: 12, warmupSteps: 2, minFactor: 0.1 });
  assert.deepEqual([0, 1].map(c), [0.5, 1]);
  assertClose([2, 7, 12, 50].map(c), [1, 0.1 + 0.9 * 0.5, 0.1, 0.1], { atol: 1e-12 }, 'cosine');
  assertClose(cosineDecay({ totalSteps: 8 })(2), 0.5 * (1 + Math.cos(Math.PI / 4)), { atol: 1e-12 });
  const s = stepDecay({ stepSize: 3, gamma: 0.5 });
  assert.deepEqual([0, 2, 3, 5, 6, 9].map(s), [1, 1, 0.5, 0.5, 0.25, 0.125]);
  assert.equal(constantLR()(1234), 1);
  assert.throws(() => cosineDecay({ totalSteps: 5, warmupSteps: 5 }), /exceed/);
});

test('LRScheduler sets each group lr = base * factor, and restores from its state dict', () => {
  torch.scope(() => {
    const a = torch.zeros([1]).requiresGrad_(), b = torch.zeros([1]).requiresGrad_();
    const opt = new SGD([{ params: [a], lr: 1 }, { params: [b], lr: 0.1 }], { lr: 1 });
    const sch = new LRScheduler(opt, linearWarmup(2));
    assertClose(opt.lrs, [0.5, 0.05], { atol: 1e-15 });
    sch.step();
    assertClose(sch.lastLr, [1, 0.1], { atol: 1e-15 });
    const sd = sch.stateDict();
    const opt2 = new SGD([{ params: [a], lr: 1 }, { params: [b], lr: 0.1 }], { lr: 1 });
    const sch2 = new LRScheduler(opt2, linearWarmup(2));
    sch2.loadStateDict(sd);
    assert.equal(sch2.stepCount, 1);
    assertClose(opt2.lrs, [1, 0.1], { atol: 1e-15 });
  });
});

test('clipGradNorm_ returns the total norm and scales gradients to maxNorm (2-norm and inf-norm)', () => {
  torch.scope(() => {
    const a = torch.zeros([2]).requiresGrad_(), b = torch.zeros([2, 2]).requiresGrad_(), c = torch.zeros([3]).requiresGrad_();
    const set = () => {
      a.grad = torch.tensor([3, 4]);
      b.grad = torch.tensor([[0, 0], [12, 0]]);
    };
    set();
    const n = clipGradNorm_([a, b, c], 6.5);
    assertClose(n.item(), 13, { atol: 1e-5 }, 'total norm sqrt(9 + 16 + 144)');
    const f = 6.5 / (13 + 1e-6);
    assertClose(a.grad!, [3 * f, 4 * f], { atol: 1e-6 }, 'a clipped');
    assertClose(b.grad!, [0, 0, 12 * f, 0], { atol: 1e-6 }, 'b clipped');
    assert.equal(c.grad, null);
    set();
    const n2 = clipGradNorm_([a, b], 100);
    assertClose(n2.item(), 13, { atol: 1e-5 });
    assert.deepEqual(a.grad!.toFlatArray(), [3, 4], 'below the threshold: untouched');
    set();
    const ninf = clipGradNorm_([a, b], 6, Infinity);
    assertClose(ninf.item(), 12, { atol: 1e-6 }, 'inf norm');
    assertClose(b.grad!, [0, 0, 12 * (6 / (12 + 1e-6)), 0], { atol: 1e-5 });
    assert.equal(clipGradNorm_([c], 1).item(), 0);
  });
  // It leaves only its result in the caller's scope.
  const p = torch.ones([4]).requiresGrad_().keep();
  torch.scope(() => {
    p.grad = torch.ones([4]);
  });
  const before = torch.memory().tensors;
  torch.scope(() => {
    clipGradNorm_([p], 1);
    assert.equal(torch.memory().tensors, before + 1);
  });
  p.grad = null;
  p.dispose();
});

test('EMA: warm-up decay min(decay, (1+t)/(10+t)), shadow values by the closed form, copyTo, swap, state dict', () => {
  torch.manualSeed(0);
  const m = new nn.Linear(3, 2);
  const ema = new EMA(m, { decay: 0.5 });
  assert.deepEqual(ema.names, ['weight', 'bias']);
  const w0 = m.weight.toFlatArray();
  assert.deepEqual(ema.shadow[0]!.toFlatArray(), w0);
  // Decays: t=0: 0.1, t=1: 2/11, ..., capped at 0.5 from t=8 ((1+8)/(10+8) = 0.5).
  const ds: number[] = [];
  let expect = w0;
  const vals: number[][] = [];
  for (let t = 0; t < 10; t++) {
    ds.push(ema.currentDecay());
    torch.noGrad(() => m.weight.add_(1));
    const cur = m.weight.toFlatArray();
    vals.push(cur);
    ema.update(m);
    const d = ds[t]!;
    expect = expect.map((e, i) => d * e + (1 - d) * cur[i]!);
  }
  assertClose(ds, [0.1, 2 / 11, 3 / 12, 4 / 13, 5 / 14, 6 / 15, 7 / 16, 8 / 17, 0.5, 0.5], { atol: 1e-15 }, 'decays');
  assertClose(ema.shadow[0]!, expect, { atol: 1e-5 }, 'shadow');
  assert.equal(ema.step, 10);
  assert.equal(new EMA(m, { decay: 0.9, warmup: false }).currentDecay(), 0.9);
  // swap twice restores; copyTo writes the average.
  const trained = m.weight.toFlatArray();
  ema.swap(m);
  assertClose(m.weight, expect, { atol: 1e-5 });
  assert.deepEqual(ema.shadow[0]!.toFlatArray(), trained);
  ema.swap(m);
  assert.deepEqual(m.weight.toFlatArray(), trained);
  const sd = ema.stateDict();
  assert.deepEqual(Object.keys(sd.shadow), ['weight', 'bias']);
  const m2 = new nn.Linear(3, 2);
  const ema2 = new EMA(m2, { decay: 0.5 });
  ema2.loadStateDict(sd);
  assert.equal(ema2.step, 10);
  ema2.copyTo(m2);
  assertClose(m2.weight, expect, { atol: 1e-5 });
  assert.throws(() => new EMA(new nn.Linear(3, 3)).loadStateDict(sd), /shape/);
  assert.throws(() => ema2.copyTo(new nn.Sequential(new nn.Linear(3, 2))), /no 'weight'/);
  for (const x of [ema, ema2]) x.dispose();
  for (const x of [m, m2]) x.dispose();
});

test('EMA with includeBuffers tracks BatchNorm running statistics', () => {
  const m = new nn.BatchNorm2d(2);
  const ema = new EMA(m, { decay: 0.9, warmup: false, includeBuffers: true });
  assert.deepEqual(ema.names, ['weight', 'bias', 'running_mean', 'running_var']);
  torch.scope(() => {
    m.forward(torch.randn([4, 2, 3, 3]).add(5));
  });
  const rm = m.runningMean!.toFlatArray();
  ema.update(m);
  assertClose(ema.shadow[2]!, rm.map((v) => 0.1 * v), { atol: 1e-6 });
  ema.dispose();
  m.dispose();
});

test('a training step with clipping, EMA and a schedule leaves memory flat', () => {
  torch.manualSeed(1);
  const m = new nn.MLP({ sizes: [4, 16, 1] });
  const opt = new Adam(m.parameters(), { lr: 1e-2 });
  const sch = new LRScheduler(opt, cosineDecay({ totalSteps: 50, warmupSteps: 5 }));
  const ema = new EMA(m);
  const x = torch.randn([8, 4]).keep(), y = torch.randn([8, 1]).keep();
  let at5: { tensors: number; bytes: number } | null = null;
  for (let s = 0; s < 30; s++) {
    torch.scope(() => {
      opt.zeroGrad();
      const loss: Tensor = nn.F.mseLoss(m.forward(x), y);
      loss.backward();
      clipGradNorm_(m.parameters(), 1);
      opt.step();
      sch.step();
      ema.update(m);
    });
    if (s === 5) at5 = torch.memory();
  }
  assert.deepEqual(torch.memory(), at5);
  for (const d of [opt, ema, m]) d.dispose();
  x.dispose();
  y.dispose();
});
