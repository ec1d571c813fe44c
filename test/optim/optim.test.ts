/** Optimizers: hand-computed steps, PyTorch parity over several steps, groups, state dicts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { torch, type Tensor } from '../../src/tensor/index.ts';
import { SGD, Adam, AdamW, type Optimizer } from '../../src/optim/index.ts';
import { assertClose, readRaw, runParity, skipWithoutTorch, writeRaw } from '../nn/helpers.ts';

const P0 = [0.5, -1.5, 2, 0.25];
const G1 = [0.1, -0.4, 0.3, -2];
const G2 = [-0.2, 0.5, 0.1, 1];

/** Runs an optimizer over one parameter for a gradient sequence; returns the values after each step. */
function run(make: (p: Tensor) => Optimizer<{ lr: number }>, grads: number[][], p0 = P0): number[][] {
  return torch.scope(() => {
    const p = torch.tensor(p0, { dtype: 'float64' }).requiresGrad_();
    const opt = make(p);
    const out: number[][] = [];
    for (const g of grads) {
      p.grad = torch.tensor(g, { dtype: 'float64' });
      opt.step();
      out.push(p.toFlatArray());
    }
    opt.dispose();
    return out;
  });
}
const map = (f: (i: number) => number) => P0.map((_, i) => f(i));

test('SGD: plain, momentum with dampening, Nesterov, weight decay, maximize (by hand)', () => {
  const lr = 0.1;
  const [s1] = run((p) => new SGD([p], { lr }), [G1]);
  assertClose(s1!, map((i) => P0[i]! - lr * G1[i]!), { atol: 1e-12 }, 'plain');
  const mom = run((p) => new SGD([p], { lr, momentum: 0.9, dampening: 0.1 }), [G1, G2]);
  const p1 = map((i) => P0[i]! - lr * G1[i]!); // first step: buf = g (no dampening)
  assertClose(mom[0]!, p1, { atol: 1e-12 }, 'momentum step 1');
  assertClose(mom[1]!, map((i) => p1[i]! - lr * (0.9 * G1[i]! + 0.9 * G2[i]!)), { atol: 1e-12 }, 'momentum step 2');
  const nest = run((p) => new SGD([p], { lr, momentum: 0.9, nesterov: true, weightDecay: 0.01 }), [G1, G2]);
  const g1 = map((i) => G1[i]! + 0.01 * P0[i]!);
  const n1 = map((i) => P0[i]! - lr * (g1[i]! + 0.9 * g1[i]!));
  assertClose(nest[0]!, n1, { atol: 1e-12 }, 'nesterov step 1');
  const g2 = map((i) => G2[i]! + 0.01 * n1[i]!);
  const b2 = map((i) => 0.9 * g1[i]! + g2[i]!);
  assertClose(nest[1]!, map((i) => n1[i]! - lr * (g2[i]! + 0.9 * b2[i]!)), { atol: 1e-12 }, 'nesterov step 2');
  const [mx] = run((p) => new SGD([p], { lr, maximize: true }), [G1]);
  assertClose(mx!, map((i) => P0[i]! + lr * G1[i]!), { atol: 1e-12 }, 'maximize');
  assert.throws(() => new SGD([torch.zeros([1])], { lr: 0.1, nesterov: true }), /Nesterov/);
  assert.throws(() => new SGD([torch.zeros([1])], { lr: -1 }), /learning rate/);
});

test('Adam and AdamW: bias-corrected steps and eps placement by hand; amsgrad; maximize', () => {
  const lr = 0.01, b1 = 0.8, b2 = 0.9, eps = 1e-3;
  const adam = run((p) => new Adam([p], { lr, betas: [b1, b2], eps }), [G1, G2]);
  // Step 1: m_hat = g, v_hat = g^2: p -= lr g / (|g| + eps).
  const a1 = map((i) => P0[i]! - (lr * G1[i]!) / (Math.abs(G1[i]!) + eps));
  assertClose(adam[0]!, a1, { atol: 1e-12 }, 'adam step 1');
  const m2 = map((i) => b1 * (1 - b1) * G1[i]! + (1 - b1) * G2[i]!);
  const v2 = map((i) => b2 * (1 - b2) * G1[i]! ** 2 + (1 - b2) * G2[i]! ** 2);
  const a2 = map((i) => a1[i]! - (lr / (1 - b1 ** 2)) * m2[i]! / (Math.sqrt(v2[i]!) / Math.sqrt(1 - b2 ** 2) + eps));
  assertClose(adam[1]!, a2, { atol: 1e-12 }, 'adam step 2');
  // L2 weight decay enters the gradient; AdamW shrinks the weights instead.
  const [l2] = run((p) => new Adam([p], { lr, eps, weightDecay: 0.5 }), [G1]);
  assertClose(l2!, map((i) => { const g = G1[i]! + 0.5 * P0[i]!; return P0[i]! - (lr * g) / (Math.abs(g) + eps); }), { atol: 1e-12 }, 'adam L2');
  const [w1] = run((p) => new AdamW([p], { lr, eps, weightDecay: 0.5 }), [G1]);
  assertClose(w1!, map((i) => P0[i]! * (1 - lr * 0.5) - (lr * G1[i]!) / (Math.abs(G1[i]!) + eps)), { atol: 1e-12 }, 'adamw');
  // amsgrad: the denominator uses the running max of v.
  const big = [1, 1, 1, 1], small = [0.01, 0.01, 0.01, 0.01];
  const ams = run((p) => new Adam([p], { lr, betas: [b1, b2], eps, amsgrad: true }), [big, small]);
  const plain = run((p) => new Adam([p], { lr, betas: [b1, b2], eps }), [big, small]);
  const va = b2 * (1 - b2) + (1 - b2) * 1e-4; // v after step 2 (v after step 1 = 1 - b2 is larger)
  const vmax = Math.max(1 - b2, va);
  const ma = b1 * (1 - b1) + (1 - b1) * 0.01;
  const p1 = P0[0]! - lr / (1 + eps);
  assertClose(ams[1]![0]!, p1 - (lr / (1 - b1 ** 2)) * ma / (Math.sqrt(vmax) / Math.sqrt(1 - b2 ** 2) + eps), { atol: 1e-12 }, 'amsgrad');
  assertClose(plain[1]![0]!, p1 - (lr / (1 - b1 ** 2)) * ma / (Math.sqrt(va) / Math.sqrt(1 - b2 ** 2) + eps), { atol: 1e-12 }, 'no amsgrad');
  const [mx] = run((p) => new Adam([p], { lr, eps, maximize: true }), [G1]);
  assertClose(mx!, map((i) => P0[i]! + (lr * G1[i]!) / (Math.abs(G1[i]!) + eps)), { atol: 1e-12 }, 'maximize');
  assert.throws(() => new Adam([torch.zeros([1])], { betas: [1, 0.9] }), /beta/);
});

test('optimizers agree with torch.optim step by step (SGD, Adam, AdamW, options)', { skip: skipWithoutTorch(), timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'genlab-optim-'));
  const STEPS = 6;
  const configs: { name: string; kind: 'sgd' | 'adam' | 'adamw'; ts: Record<string, unknown>; py: Record<string, unknown> }[] = [
    { name: 'sgd', kind: 'sgd', ts: { lr: 0.1 }, py: { lr: 0.1 } },
    { name: 'sgd_mom', kind: 'sgd', ts: { lr: 0.05, momentum: 0.9, dampening: 0.2, weightDecay: 0.01 }, py: { lr: 0.05, momentum: 0.9, dampening: 0.2, weight_decay: 0.01 } },
    { name: 'sgd_nesterov', kind: 'sgd', ts: { lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.1 }, py: { lr: 0.05, momentum: 0.8, nesterov: true, weight_decay: 0.1 } },
    { name: 'adam', kind: 'adam', ts: { lr: 0.01 }, py: { lr: 0.01 } },
    { name: 'adam_ams_wd', kind: 'adam', ts: { lr: 0.02, betas: [0.7, 0.95], eps: 1e-4, weightDecay: 0.1, amsgrad: true }, py: { lr: 0.02, betas: [0.7, 0.95], eps: 1e-4, weight_decay: 0.1, amsgrad: true } },
    { name: 'adam_max', kind: 'adam', ts: { lr: 0.01, maximize: true }, py: { lr: 0.01, maximize: true } },
    { name: 'adamw', kind: 'adamw', ts: { lr: 0.01 }, py: { lr: 0.01 } },
    { name: 'adamw_ams', kind: 'adamw', ts: { lr: 0.03, weightDecay: 0.3, amsgrad: true }, py: { lr: 0.03, weight_decay: 0.3, amsgrad: true } },
  ];
  try {
    torch.scope(() => {
      const g = new torch.Generator({ seed: 42 });
      const shapes = [[3, 4], [4], [2, 3, 2, 2], [1]];
      const p0 = shapes.map((s) => torch.randn(s, { generator: g }));
      const grads = Array.from({ length: STEPS }, (_, k) => shapes.map((s) => torch.randn(s, { generator: g }).mul(k % 2 ? 0.1 : 1)));
      const inp: Record<string, Tensor> = {};
      p0.forEach((p, i) => (inp[`p${i}`] = p));
      grads.forEach((gs, k) => gs.forEach((t, i) => (inp[`g${k}_${i}`] = t)));
      writeRaw(join(dir, 'optim_in'), inp);
      writeFileSync(join(dir, 'task.json'), JSON.stringify({ task: 'optim', numParams: shapes.length, steps: STEPS, configs: configs.map((c) => ({ name: c.name, kind: c.kind, kwargs: c.py })) }));
      runParity(dir);
      const ref = readRaw(join(dir, 'out'));
      let worst = 0;
      for (const c of configs) {
        const ps = p0.map((p) => p.clone().requiresGrad_());
        const opt = c.kind === 'sgd' ? new SGD(ps, c.ts as { lr: number }) : c.kind === 'adam' ? new Adam(ps, c.ts) : new AdamW(ps, c.ts);
        for (let k = 0; k < STEPS; k++) {
          ps.forEach((p, i) => (p.grad = grads[k]![i]!.clone()));
          opt.step();
          ps.forEach((p, i) => {
            const r = ref[`${c.name}.${k}.${i}`]!;
            worst = Math.max(worst, p.sub(r).abs().max().item());
            assertClose(p, r, { atol: 1e-6, rtol: 1e-6 }, `${c.name} step ${k} param ${i}`);
          });
        }
        opt.dispose();
      }
      assert.ok(worst < 1e-6);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('parameter groups: per-group lr and options; parameters without gradients are skipped', () => {
  torch.scope(() => {
    const a = torch.ones([2]).requiresGrad_(), b = torch.ones([2]).requiresGrad_(), c = torch.ones([2]).requiresGrad_();
    const opt = new SGD([{ params: [a], lr: 0.5 }, { params: [b], momentum: 0.9 }, { params: [c] }], { lr: 0.1 });
    assert.deepEqual(opt.lrs, [0.5, 0.1, 0.1]);
    assert.equal(opt.paramGroups[1]!.momentum, 0.9);
    a.grad = torch.ones([2]);
    b.grad = torch.ones([2]);
    opt.step();
    assert.deepEqual(a.toFlatArray(), [0.5, 0.5]);
    assertClose(b, [0.9, 0.9], { atol: 1e-7 });
    assert.deepEqual(c.toFlatArray(), [1, 1], 'no gradient: untouched');
    assert.equal(opt.state.has(c), false, 'no state for a parameter never stepped');
    assert.ok(opt.state.get(b)!.momentum_buffer);
    opt.zeroGrad();
    assert.equal(a.grad, null);
    assert.throws(() => new SGD([a, a.mul(2)], { lr: 1 }), /non-leaf/);
    assert.throws(() => new SGD([{ params: [a] }, { params: [a] }], { lr: 1 }), /more than one group/);
    assert.throws(() => new Adam([]), /empty/);
    opt.dispose();
  });
});

test('stateDict / loadStateDict resume exactly (tensors, step counts, hyperparameters) and validate', () => {
  const g = new torch.Generator({ seed: 3 });
  torch.scope(() => {
    const grads = Array.from({ length: 5 }, () => [torch.randn([3, 2], { generator: g }), torch.randn([2], { generator: g })]);
    const pa = [torch.randn([3, 2], { generator: g }).requiresGrad_(), torch.randn([2], { generator: g }).requiresGrad_()];
    const a = new Adam([{ params: [pa[0]!] }, { params: [pa[1]!], lr: 0.05 }], { lr: 0.01, amsgrad: true });
    const stepWith = (opt: Adam, ps: Tensor[], k: number) => {
      ps.forEach((p, i) => (p.grad = grads[k]![i]!));
      opt.step();
    };
    for (let k = 0; k < 3; k++) stepWith(a, pa, k);
    a.paramGroups[0]!.lr = 0.02;
    const sd = a.stateDict();
    assert.deepEqual(Object.keys(sd.state), ['0', '1']);
    assert.deepEqual(Object.keys(sd.state['0']!).sort(), ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq', 'step']);
    assert.equal(sd.state['0']!.step, 3);
    assert.deepEqual(sd.paramGroups.map((x) => [x.lr, x.params]), [[0.02, [0]], [0.05, [1]]]);
    const pb = pa.map((p) => p.detach().clone().requiresGrad_());
    const b = new Adam([{ params: [pb[0]!] }, { params: [pb[1]!] }], { lr: 0.5 });
    b.loadStateDict(sd);
    assert.deepEqual(b.lrs, [0.02, 0.05]);
    assert.equal(b.paramGroups[0]!.amsgrad, true);
    assert.notEqual(b.state.get(pb[0]!)!.exp_avg, sd.state['0']!.exp_avg, 'copied, not shared');
    for (let k = 3; k < 5; k++) {
      stepWith(a, pa, k);
      stepWith(b, pb, k);
    }
    pa.forEach((p, i) => assert.deepEqual(pb[i]!.toFlatArray(), p.toFlatArray(), `param ${i} resumes bit-exactly`));
    // Loading its own state dict is safe (it replaces, and frees, the tensors the old one referenced).
    a.loadStateDict(a.stateDict());
    assert.ok((sd.state['0']!.exp_avg as Tensor).isDisposed);
    const sd2 = a.stateDict();
    const c = new Adam([pb[0]!]);
    assert.throws(() => c.loadStateDict(sd2), /2 parameter groups/);
    const d = new Adam([{ params: [pb[0]!, pb[1]!] }, { params: [torch.zeros([1]).requiresGrad_()] }]);
    assert.throws(() => d.loadStateDict(sd2), /group 0 has 1 parameters in the state dict, 2 here/);
    const e = new Adam([{ params: [pb[1]!] }, { params: [pb[0]!] }]);
    assert.throws(() => e.loadStateDict(sd2), /has shape \[3,2\], the parameter \[2\]/);
    for (const o of [a, b, c, d, e]) o.dispose();
  });
});

test('a step makes no tensors beyond new state, and dispose() frees the state', () => {
  const p = torch.randn([5, 5]).requiresGrad_().keep();
  const base = torch.memory();
  const opt = new AdamW([p], { amsgrad: true });
  for (let k = 0; k < 3; k++) {
    torch.scope(() => {
      p.grad = torch.randn([5, 5]);
    });
    opt.step();
    assert.equal(torch.memory().tensors, base.tensors + 3, 'exactly 3 state tensors');
  }
  opt.dispose();
  assert.deepEqual(torch.memory(), base);
  p.grad = null;
  p.dispose();
});
