/** Layers: shapes, default initializations (distribution statistics), closed forms, attention by hand. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, type Tensor } from '../../src/tensor/index.ts';
import * as nn from '../../src/nn/index.ts';
import { assertClose } from './helpers.ts';

const { F, init } = nn;

function stats(t: Tensor): { mean: number; std: number; min: number; max: number } {
  const v = t.toFlatArray();
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  return { mean, std, min: v.reduce((a, b) => Math.min(a, b)), max: v.reduce((a, b) => Math.max(a, b)) };
}
/** A U(-b, b) sample: inside the bounds, std b/sqrt(3), reaching near both ends. */
function assertUniform(t: Tensor, b: number, what: string): void {
  const s = stats(t);
  assert.ok(s.min >= -b && s.max <= b, `${what}: range [${s.min}, ${s.max}] outside +-${b}`);
  assert.ok(s.min < -0.95 * b && s.max > 0.95 * b, `${what}: range [${s.min}, ${s.max}] does not fill +-${b}`);
  assert.ok(Math.abs(s.std / (b / Math.sqrt(3)) - 1) < 0.05, `${what}: std ${s.std}, expected ${b / Math.sqrt(3)}`);
  assert.ok(Math.abs(s.mean) < 0.05 * b, `${what}: mean ${s.mean}`);
}

test('default initializations match PyTorch in distribution', () => {
  torch.manualSeed(0);
  const lin = new nn.Linear(256, 384);
  assertUniform(lin.weight, 1 / 16, 'Linear.weight'); // kaiming_uniform(a=sqrt 5): bound 1/sqrt(fan_in)
  assertUniform(lin.bias!, 1 / 16, 'Linear.bias');
  const conv = new nn.Conv2d(16, 64, 3);
  assertUniform(conv.weight, 1 / 12, 'Conv2d.weight'); // fan_in 16*9 = 144
  assertUniform(conv.bias!, 1 / 12, 'Conv2d.bias');
  const convT = new nn.ConvTranspose2d(64, 16, 3);
  assert.deepEqual(convT.weight.shape, [64, 16, 3, 3]);
  assertUniform(convT.weight, 1 / 12, 'ConvTranspose2d.weight'); // fan_in from dim 1: 16*9
  const grouped = new nn.Conv2d(32, 64, 3, { groups: 4 });
  assertUniform(grouped.weight, 1 / Math.sqrt(8 * 9), 'grouped Conv2d.weight');
  const emb = new nn.Embedding(2000, 64, { paddingIdx: 3 });
  const s = stats(emb.weight);
  assert.ok(Math.abs(s.mean) < 0.01 && Math.abs(s.std - 1) < 0.01, `Embedding N(0,1): mean ${s.mean}, std ${s.std}`);
  assert.ok(emb.weight.select(0, 3).toFlatArray().every((v) => v === 0), 'the padding row is zero');
  const gn = new nn.GroupNorm(4, 8), ln = new nn.LayerNorm([3, 5]), bn = new nn.BatchNorm2d(6);
  for (const m of [gn, ln, bn]) {
    assert.ok(m.parameters()[0]!.toFlatArray().every((v) => v === 1), `${m.name} weight ones`);
    assert.ok(m.parameters()[1]!.toFlatArray().every((v) => v === 0), `${m.name} bias zeros`);
  }
  assert.deepEqual(ln.weight!.shape, [3, 5]);
  const mha = new nn.MultiheadSelfAttention(64, 4);
  assertUniform(mha.inProjWeight, Math.sqrt(6 / (64 + 192)), 'in_proj_weight (xavier)');
  assert.ok(mha.inProjBias!.toFlatArray().every((v) => v === 0) && mha.outProj.bias!.toFlatArray().every((v) => v === 0));
  for (const m of [lin, conv, convT, grouped, emb, gn, ln, bn, mha]) m.dispose();
});

test('init functions: fans, gains, xavier, kaiming, truncated normal, orthogonal, constants', () => {
  torch.manualSeed(1);
  torch.scope(() => {
    const w = torch.empty([200, 300]);
    assert.deepEqual(init.calculateFanInAndFanOut(torch.empty([8, 4, 3, 3])), [36, 72]);
    assert.equal(init.calculateGain('relu'), Math.SQRT2);
    assert.equal(init.calculateGain('leaky_relu', 0.2), Math.sqrt(2 / 1.04));
    assert.equal(init.calculateGain('tanh'), 5 / 3);
    init.xavierUniform_(w, 2);
    assertUniform(w, 2 * Math.sqrt(6 / 500), 'xavierUniform_');
    init.xavierNormal_(w);
    assert.ok(Math.abs(stats(w).std / Math.sqrt(2 / 500) - 1) < 0.02);
    init.kaimingNormal_(w, { nonlinearity: 'relu' });
    assert.ok(Math.abs(stats(w).std / Math.sqrt(2 / 300) - 1) < 0.02, 'kaimingNormal_ fan_in');
    init.kaimingNormal_(w, { mode: 'fan_out', nonlinearity: 'relu' });
    assert.ok(Math.abs(stats(w).std / Math.sqrt(2 / 200) - 1) < 0.02, 'kaimingNormal_ fan_out');
    init.kaimingUniform_(w, { nonlinearity: 'relu' });
    assertUniform(w, Math.sqrt(6 / 300), 'kaimingUniform_');
    init.truncNormal_(w, 0, 1, -1, 2);
    const t = stats(w);
    assert.ok(t.min >= -1 && t.max <= 2 && t.min < -0.99 && t.max > 1.98);
    // Mean of N(0,1) truncated to [-1, 2]: (phi(-1) - phi(2)) / (Phi(2) - Phi(-1)) = 0.2296.
    assert.ok(Math.abs(t.mean - 0.2296) < 0.01, `truncNormal_ mean ${t.mean}`);
    const q = torch.empty([6, 10]);
    init.orthogonal_(q);
    assertClose(q.matmul(q.t()), torch.eye(6), { atol: 1e-5 }, 'orthogonal rows');
    init.constant_(q, 0.5);
    assert.ok(q.toFlatArray().every((v) => v === 0.5));
    init.zeros_(q);
    assert.ok(q.toFlatArray().every((v) => v === 0));
    // In place on a parameter that requires grad: runs without autograd.
    // normal_ fills with N(mean, std): 4000 draws, standard errors 0.03 (mean) and 0.022 (std).
    const p = torch.zeros([4000]).requiresGrad_();
    assert.equal(init.normal_(p, 3, 2), p, 'normal_ returns its argument');
    const n = stats(p);
    assert.ok(Math.abs(n.mean - 3) < 0.15 && Math.abs(n.std - 2) < 0.11, `normal_(3, 2): mean ${n.mean}, std ${n.std}`);
    assert.ok(p.isLeaf && p.requiresGrad);
    // The same generator seed gives the same draws; the global generator was not used.
    const q1 = init.normal_(torch.empty([5]), 0, 1, { generator: new torch.Generator({ seed: 4 }) }).toFlatArray();
    const q2 = init.normal_(torch.empty([5]), 0, 1, { generator: new torch.Generator({ seed: 4 }) }).toFlatArray();
    assert.deepEqual(q1, q2);
  });
});

test('layer output shapes', () => {
  torch.manualSeed(2);
  torch.scope(() => {
    const x = torch.randn([2, 3, 16, 16]);
    const check = (m: nn.Module & { forward(x: Tensor): Tensor }, input: Tensor, shape: number[]) => {
      assert.deepEqual(m.forward(input).shape, shape, m.name);
      m.dispose();
    };
    check(new nn.Linear(16, 5), x, [2, 3, 16, 5]);
    check(new nn.Linear(16, 5, { bias: false }), x, [2, 3, 16, 5]);
    check(new nn.Conv2d(3, 8, 3, { stride: 2, padding: 1 }), x, [2, 8, 8, 8]);
    check(new nn.Conv2d(3, 8, 3, { padding: 'same' }), x, [2, 8, 16, 16]);
    check(new nn.ConvTranspose2d(3, 4, 4, { stride: 2, padding: 1 }), x, [2, 4, 32, 32]);
    check(new nn.MaxPool2d(2), x, [2, 3, 8, 8]);
    check(new nn.AvgPool2d(4), x, [2, 3, 4, 4]);
    check(new nn.Flatten(), x, [2, 768]);
    check(new nn.GroupNorm(3, 3), x, [2, 3, 16, 16]);
    check(new nn.BatchNorm2d(3), x, [2, 3, 16, 16]);
    check(new nn.Embedding(10, 7), torch.tensor([[1, 2], [3, 9]], { dtype: 'int64' }), [2, 2, 7]);
    check(new nn.MultiheadSelfAttention(16, 2), x.view([6, 16, 16]), [6, 16, 16]);
    check(new nn.MLP({ sizes: [16, 32, 4] }), x, [2, 3, 16, 4]);
  });
});

test('activations are the closed forms', () => {
  torch.scope(() => {
    const xs = [-3, -1, -0.5, 0, 0.5, 1, 3];
    const x = torch.tensor(xs);
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    const erf = (v: number) => {
      // high-precision erf by its Taylor series (|v| <= 3 here)
      let s = 0, term = v;
      for (let n = 0; n < 80; n++) {
        s += term / (2 * n + 1);
        term *= (-v * v) / (n + 1);
      }
      return (2 / Math.sqrt(Math.PI)) * s;
    };
    const cases: [nn.Module & { forward(x: Tensor): Tensor }, (v: number) => number][] = [
      [new nn.ReLU(), (v) => Math.max(v, 0)],
      [new nn.SiLU(), (v) => v * sig(v)],
      [new nn.GELU(), (v) => 0.5 * v * (1 + erf(v / Math.SQRT2))],
      [new nn.GELU('tanh'), (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))],
      [new nn.Tanh(), Math.tanh],
      [new nn.Sigmoid(), sig],
      [new nn.LeakyReLU(0.2), (v) => (v > 0 ? v : 0.2 * v)],
      [new nn.Softplus(2), (v) => Math.log1p(Math.exp(2 * v)) / 2],
      [new nn.ELU(1.5), (v) => (v > 0 ? v : 1.5 * Math.expm1(v))],
      [new nn.Identity(), (v) => v],
    ];
    for (const [m, f] of cases) assertClose(m.forward(x), xs.map(f), { atol: 1e-6 }, m.name);
    assertClose(F.logSigmoid(x), xs.map((v) => Math.log(sig(v))), { atol: 1e-6 }, 'logSigmoid');
    assertClose(nn.activation('silu').forward(x), xs.map((v) => v * sig(v)), { atol: 1e-6 });
    assert.throws(() => nn.activation('nope' as nn.ActivationName), /unknown/);
  });
});

test('BatchNorm2d: batch statistics in training, running averages by the closed form, running stats in eval', () => {
  torch.manualSeed(3);
  const bn = new nn.BatchNorm2d(2, { momentum: 0.2 });
  torch.scope(() => {
    const x1 = torch.randn([4, 2, 3, 3]).mul(2).add(1);
    const x2 = torch.randn([4, 2, 3, 3]).mul(0.5).sub(3);
    const n = 4 * 9;
    const meanOf = (x: Tensor) => x.mean([0, 2, 3]);
    const varOf = (x: Tensor) => x.sub(meanOf(x).view([1, 2, 1, 1])).square().sum([0, 2, 3]);
    const y1 = bn.forward(x1);
    // Training output: (x - batch mean) / sqrt(biased batch var + eps).
    const expected = x1.sub(meanOf(x1).view([1, 2, 1, 1])).div(varOf(x1).div(n).add(1e-5).sqrt().view([1, 2, 1, 1]));
    assertClose(y1, expected, { atol: 1e-5 }, 'train output');
    bn.forward(x2);
    // running = (1 - m) running + m * batch stat, with the unbiased variance.
    let rm = torch.zeros([2]).mul(0.8).add(meanOf(x1).mul(0.2));
    let rv = torch.ones([2]).mul(0.8).add(varOf(x1).div(n - 1).mul(0.2));
    rm = rm.mul(0.8).add(meanOf(x2).mul(0.2));
    rv = rv.mul(0.8).add(varOf(x2).div(n - 1).mul(0.2));
    assertClose(bn.runningMean!, rm, { atol: 1e-6 }, 'running_mean');
    assertClose(bn.runningVar!, rv, { atol: 1e-5 }, 'running_var');
    assert.equal(bn.numBatchesTracked!.item(), 2);
    assert.equal(bn.runningMean!.requiresGrad, false);
    bn.eval();
    const ye = bn.forward(x1);
    assertClose(ye, x1.sub(rm.view([1, 2, 1, 1])).div(rv.add(1e-5).sqrt().view([1, 2, 1, 1])), { atol: 1e-5 }, 'eval output');
    bn.forward(x2);
    assert.equal(bn.numBatchesTracked!.item(), 2, 'eval does not count batches');
    assertClose(bn.runningMean!, rm, { atol: 1e-6 }, 'eval leaves running stats');
    // Training output is differentiable through the batch statistics.
    bn.train();
    const xg = x1.clone().requiresGrad_();
    bn.forward(xg).mul(torch.randnLike(x1)).sum().backward();
    const gsum = xg.grad!.sum([0, 2, 3]);
    assertClose(gsum, [0, 0], { atol: 1e-4 }, 'grad through the batch mean sums to zero');
  });
  // momentum null: cumulative average.
  const cum = new nn.BatchNorm2d(1, { momentum: null });
  torch.scope(() => {
    const f = { dtype: 'float32' } as const;
    const a = torch.full([2, 1, 1, 1], 2, f), b = torch.full([2, 1, 1, 1], 4, f), c = torch.full([2, 1, 1, 1], 9, f);
    for (const x of [a, b, c]) cum.forward(x);
    assertClose(cum.runningMean!, [5], { atol: 1e-6 }, 'cumulative mean (2 + 4 + 9) / 3');
  });
  bn.dispose();
  cum.dispose();
});

test('LayerNorm and GroupNorm are the normalization formulas', () => {
  torch.manualSeed(4);
  torch.scope(() => {
    const ln = new nn.LayerNorm(6, { eps: 1e-3 });
    torch.noGrad(() => ln.parameters().forEach((p) => p.normal_()));
    const x = torch.randn([3, 4, 6]).mul(3);
    const mu = x.mean(-1, true);
    const v = x.sub(mu).square().mean(-1, true);
    assertClose(ln.forward(x), x.sub(mu).div(v.add(1e-3).sqrt()).mul(ln.weight!).add(ln.bias!), { atol: 1e-5 }, 'LayerNorm');
    const gn = new nn.GroupNorm(2, 4);
    torch.noGrad(() => gn.parameters().forEach((p) => p.normal_()));
    const y = torch.randn([2, 4, 3, 3]).add(2);
    const g = y.view([2, 2, 18]);
    const gm = g.mean(-1, true), gv = g.sub(gm).square().mean(-1, true);
    const expected = g.sub(gm).div(gv.add(1e-5).sqrt()).view([2, 4, 3, 3]).mul(gn.weight!.view([1, 4, 1, 1])).add(gn.bias!.view([1, 4, 1, 1]));
    assertClose(gn.forward(y), expected, { atol: 1e-5 }, 'GroupNorm');
    assert.throws(() => new nn.GroupNorm(3, 4), /divisible/);
    ln.dispose();
    gn.dispose();
  });
});

test('MultiheadSelfAttention equals a per-head computation by hand (with masks)', () => {
  torch.manualSeed(5);
  const E = 12, H = 3, D = 4, B = 2, L = 5;
  const mha = new nn.MultiheadSelfAttention(E, H);
  torch.noGrad(() => mha.parameters().forEach((p) => p.normal_(0, 0.3)));
  torch.scope(() => {
    const x = torch.randn([B, L, E]);
    const manual = (allowed: (b: number, i: number, j: number) => boolean) => {
      const W = mha.inProjWeight, bias = mha.inProjBias!;
      const rows: number[] = [];
      for (let b = 0; b < B; b++) {
        const xb = x.select(0, b); // [L, E]
        const heads: Tensor[] = [];
        for (let h = 0; h < H; h++) {
          const proj = (k: number) => xb.matmul(W.narrow(0, k * E + h * D, D).t()).add(bias.narrow(0, k * E + h * D, D));
          const q = proj(0), k = proj(1), v = proj(2);
          const s = q.matmul(k.t()).div(Math.sqrt(D)).toArray() as number[][];
          const a = s.map((row, i) => {
            const m = Math.max(...row.filter((_, j) => allowed(b, i, j)));
            const e = row.map((z, j) => (allowed(b, i, j) ? Math.exp(z - m) : 0));
            const sum = e.reduce((p, c) => p + c, 0);
            return e.map((z) => z / sum);
          });
          heads.push(torch.tensor(a).matmul(v));
        }
        rows.push(...torch.cat(heads, 1).matmul(mha.outProj.weight.t()).add(mha.outProj.bias!).toFlatArray());
      }
      return rows;
    };
    assertClose(mha.forward(x), manual(() => true), { atol: 1e-5 }, 'no mask');
    const causal = torch.ones([L, L], { dtype: 'bool' }).tril();
    assertClose(mha.forward(x, { mask: causal }), manual((_, i, j) => j <= i), { atol: 1e-5 }, 'causal mask');
    const kpm = torch.tensor([[false, false, false, true, true], [false, false, false, false, false]]);
    assertClose(mha.forward(x, { keyPaddingMask: kpm }), manual((b, _, j) => !(b === 0 && j >= 3)), { atol: 1e-5 }, 'key padding');
    assert.throws(() => mha.forward(torch.randn([2, 5, 8])), /expected \[B, L, 12\]/);
    assert.throws(() => new nn.MultiheadSelfAttention(10, 3), /divisible/);
  });
  mha.dispose();
});

test('scalar embeddings: sinusoidal closed form, Fourier features from their frequency buffer', () => {
  torch.scope(() => {
    const se = new nn.SinusoidalEmbedding(6, { maxPeriod: 100 });
    const t = [0, 0.5, 7];
    const e = se.forward(torch.tensor(t)).toArray() as number[][];
    t.forEach((tv, b) => {
      for (let i = 0; i < 3; i++) {
        const f = Math.pow(100, -i / 3);
        assert.ok(Math.abs(e[b]![i]! - Math.cos(tv * f)) < 1e-5 && Math.abs(e[b]![3 + i]! - Math.sin(tv * f)) < 1e-5, `t=${tv} i=${i}`);
      }
    });
    assert.deepEqual(Object.keys(se.stateDict()), [], 'the frequency table is not persistent');
    const odd = new nn.SinusoidalEmbedding(5).forward(torch.tensor([1, 2]));
    assert.deepEqual(odd.shape, [2, 5]);
    assert.deepEqual(odd.select(1, 4).toFlatArray(), [0, 0]);
    const ff = new nn.FourierFeatures(8, { scale: 2, generator: new torch.Generator({ seed: 9 }) });
    assert.deepEqual(Object.keys(ff.stateDict()), ['freqs']);
    const f = ff.freqs.toFlatArray();
    const y = ff.forward(torch.tensor([0.3, -1])).toArray() as number[][];
    [0.3, -1].forEach((tv, b) => f.forEach((fi, i) => {
      assert.ok(Math.abs(y[b]![i]! - Math.cos(2 * Math.PI * fi * tv)) < 1e-4);
      assert.ok(Math.abs(y[b]![4 + i]! - Math.sin(2 * Math.PI * fi * tv)) < 1e-4);
    }));
    // The frequencies are scale * N(0, 1): the same generator's draws times 2, and over 2000 draws the default
    // scale 16 shows in the spread (standard error of the std 0.25).
    const z = torch.randn([4], { generator: new torch.Generator({ seed: 9 }) }).toFlatArray();
    f.forEach((fi, i) => assert.ok(Math.abs(fi - 2 * z[i]!) < 1e-6, `freqs[${i}] = ${fi}, 2 * z = ${2 * z[i]!}`));
    const wide = new nn.FourierFeatures(4000, { generator: new torch.Generator({ seed: 10 }) });
    assert.ok(Math.abs(stats(wide.freqs).std - 16) < 1.25, `default scale: std ${stats(wide.freqs).std}`);
    wide.dispose();
    assert.ok(ff.parameters().length === 0);
    se.dispose();
    ff.dispose();
  });
});

test('ResBlock: shapes, embedding injection, zero init is the identity, gradients reach every parameter', () => {
  torch.manualSeed(6);
  torch.scope(() => {
    const rb = new nn.ResBlock(8, 16, { embDim: 10 });
    const x = torch.randn([2, 8, 6, 6]);
    const e1 = torch.randn([2, 10]), e2 = torch.randn([2, 10]);
    const y = rb.forward(x, e1);
    assert.deepEqual(y.shape, [2, 16, 6, 6]);
    assert.ok(y.sub(rb.forward(x, e2)).abs().max().item() > 1e-3, 'the embedding changes the output');
    y.square().mean().backward();
    for (const [n, p] of rb.namedParameters()) assert.ok(p.grad && p.grad.abs().sum().item() > 0, `gradient reaches ${n}`);
    assert.ok(rb.skip instanceof nn.Conv2d);
    assert.throws(() => rb.forward(x), /needs an embedding/);
    const id = new nn.ResBlock(8, 8, { embDim: 10, zeroInit: true, scaleShift: true });
    assertClose(id.forward(x, e1), x, { atol: 0 }, 'zero-initialized block is the identity');
    assert.equal(nn.groupsFor(48), 24);
    assert.equal(nn.groupsFor(64), 32);
    assert.equal(nn.groupsFor(16), 8, 'at least 2 channels per group');
    assert.equal(nn.groupsFor(7), 1);
    rb.dispose();
    id.dispose();
  });
});

test('UNet: output shape, class conditioning with a null class, time conditioning, no leaks in forward', () => {
  torch.manualSeed(7);
  const unet = new nn.UNet({ inChannels: 2, imageSize: 8, channels: 16, channelMult: [1, 2], numResBlocks: 1, attnResolutions: [4], numClasses: 3, numHeads: 2 });
  assert.ok(unet.namedParameters().some(([n]) => n.includes('.attn.attn.in_proj_weight')), 'attention at resolution 4');
  assert.equal(unet.nullLabel, 3);
  assert.deepEqual(unet.classEmbed!.weight.shape, [4, 64]);
  const x = torch.randn([3, 2, 8, 8]).keep();
  const before = torch.memory();
  torch.scope(() => {
    const t = torch.tensor([0.1, 0.5, 0.9]);
    const y = unet.forward(x, t, torch.tensor([0, 1, 2], { dtype: 'int64' }));
    assert.deepEqual(y.shape, [3, 2, 8, 8]);
    const yNull = unet.forward(x, t);
    const yNull2 = unet.forward(x, t, torch.full([3], 3, { dtype: 'int64' }));
    assertClose(yNull, yNull2, { atol: 0 }, 'omitted labels = null class');
    assert.ok(y.sub(yNull).abs().max().item() > 1e-4, 'labels matter');
    assert.ok(unet.forward(x, torch.tensor([0.2, 0.5, 0.9]), null).sub(yNull).select(0, 0).abs().max().item() > 1e-5, 'time matters');
    assertClose(unet.forward(x, torch.tensor(0.5)).select(0, 1), yNull.select(0, 1), { atol: 1e-6 }, 'a scalar t broadcasts');
    const dropped = unet.dropLabels(torch.zeros([2000], { dtype: 'int64' }), 0.25).eq(3).float().mean().item();
    assert.ok(Math.abs(dropped - 0.25) < 0.04, `label dropout rate ${dropped}`);
  });
  assert.deepEqual(torch.memory(), before, 'forward passes leave nothing behind their scope');
  const plain = new nn.UNet({ inChannels: 1, outChannels: 3, imageSize: 8, channels: 8, channelMult: [1, 1, 2], embedding: 'fourier' });
  torch.scope(() => {
    assert.deepEqual(plain.forward(torch.randn([1, 1, 8, 8]), torch.tensor([1])).shape, [1, 3, 8, 8]);
    assert.throws(() => plain.forward(torch.randn([1, 1, 8, 8]), torch.tensor([1]), torch.tensor([0], { dtype: 'int64' })), /without numClasses/);
  });
  assert.throws(() => new nn.UNet({ inChannels: 1, imageSize: 6, channelMult: [1, 2, 2] }), /divisible/);
  unet.dispose();
  plain.dispose();
  x.dispose();
});

test('MLP with scalar conditioning concatenates the embedding', () => {
  torch.manualSeed(8);
  const m = new nn.MLP({ sizes: [3, 16, 2], scalarEmbedDim: 4, activation: 'gelu', outputActivation: 'tanh' });
  assert.deepEqual(m.net.at(0).parameters()[0]!.shape, [16, 7]);
  torch.scope(() => {
    const x = torch.randn([5, 3]);
    const y = m.forward(x, torch.linspace(0, 1, 5));
    assert.deepEqual(y.shape, [5, 2]);
    assert.ok(y.abs().max().item() < 1);
    const emb = (m.embed as nn.SinusoidalEmbedding).forward(torch.linspace(0, 1, 5));
    assertClose(y, m.net.forward(torch.cat([x, emb], -1)), { atol: 0 });
    assert.throws(() => m.forward(x), /needs the scalar/);
  });
  m.dispose();
});

test('functional: losses against their formulas', () => {
  torch.manualSeed(9);
  torch.scope(() => {
    const logits = torch.randn([6, 4]);
    const target = torch.tensor([0, 3, 1, 1, 2, 0], { dtype: 'int64' });
    const manualCE = logits.logsumexp(-1).sub(logits.gather(1, target.view([6, 1])).view([6]));
    assertClose(F.crossEntropy(logits, target), manualCE.mean().item(), { atol: 1e-6 }, 'crossEntropy');
    assertClose(F.crossEntropy(logits, target, { reduction: 'none' }), manualCE, { atol: 1e-6 }, 'crossEntropy none');
    assertClose(F.crossEntropy(logits, target, { reduction: 'sum' }), manualCE.sum().item(), { atol: 1e-5 });
    assertClose(F.nllLoss(logits.logSoftmax(-1), target), manualCE.mean().item(), { atol: 1e-6 }, 'nllLoss');
    const z = torch.randn([10]).mul(3), y = torch.rand([10]);
    const sig = z.sigmoid();
    const bce = y.mul(sig.log()).add(y.neg().add(1).mul(sig.neg().add(1).log())).neg();
    assertClose(F.binaryCrossEntropyWithLogits(z, y), bce.mean().item(), { atol: 1e-5 }, 'BCE with logits');
    assertClose(F.binaryCrossEntropy(sig, y, { reduction: 'sum' }), bce.sum().item(), { atol: 1e-4 }, 'BCE');
    const a = torch.randn([7]), b = torch.randn([7]);
    assertClose(F.mseLoss(a, b), a.sub(b).square().mean().item(), { atol: 1e-6 }, 'mse');
    assertClose(F.l1Loss(a, b, 'sum'), a.sub(b).abs().sum().item(), { atol: 1e-5 }, 'l1');
    assert.throws(() => F.mseLoss(a, b, 'avg' as nn.F.Reduction), /reduction/);
    const mu = torch.randn([5]), v = torch.rand([5]).add(0.1), xx = torch.randn([5]);
    const nll = v.log().add(xx.sub(mu).square().div(v)).mul(0.5);
    assertClose(F.gaussianNllLoss(mu, xx, v), nll.mean().item(), { atol: 1e-6 }, 'gaussian nll');
    const p = torch.rand([3, 4]).softmax(-1), q = torch.rand([3, 4]).softmax(-1);
    assertClose(F.klDiv(q.log(), p, 'batchmean'), p.mul(p.log().sub(q.log())).sum().div(3).item(), { atol: 1e-6 }, 'kl');
  });
});

test('functional: gumbelSoftmax (soft, hard straight-through, sample frequencies), oneHot, pad, interpolate', () => {
  torch.manualSeed(10);
  torch.scope(() => {
    const logits = torch.tensor([[1.0, 0.0, -1.0]]).expand([4000, 3]).contiguous().requiresGrad_();
    const soft = F.gumbelSoftmax(logits, { tau: 0.5, generator: new torch.Generator({ seed: 1 }) });
    assertClose(soft.sum(-1), torch.ones([4000]), { atol: 1e-5 }, 'rows sum to 1');
    const hard = F.gumbelSoftmax(logits, { tau: 0.5, hard: true, generator: new torch.Generator({ seed: 1 }) });
    const hv = hard.toFlatArray();
    assert.ok(hv.every((v) => Math.abs(v) < 1e-6 || Math.abs(v - 1) < 1e-6), 'one-hot forward values');
    assertClose(hard.argmax(-1).float(), soft.argmax(-1).float(), { atol: 0 }, 'hard = argmax of the soft sample');
    // Straight-through: the gradient of the hard sample is the gradient of the soft one.
    const w = torch.randn([4000, 3]);
    const [gh] = torch.autograd.grad(hard.mul(w).sum(), logits, { retainGraph: true });
    const [gs] = torch.autograd.grad(soft.mul(w).sum(), logits);
    assertClose(gh!, gs!, { atol: 1e-5 }, 'straight-through gradient');
    // Gumbel-max: argmax frequencies are softmax(logits).
    const freq = hard.detach().mean(0).toFlatArray();
    const pr = torch.tensor([1.0, 0.0, -1.0]).softmax(-1).toFlatArray();
    freq.forEach((f, i) => assert.ok(Math.abs(f - pr[i]!) < 0.03, `class ${i}: ${f} vs ${pr[i]}`));
    assert.deepEqual(F.oneHot(torch.tensor([2, 0], { dtype: 'int64' }), 3).toArray(), [[0, 0, 1], [1, 0, 0]]);
    assert.equal(F.oneHot(torch.tensor([1], { dtype: 'int64' }), 2).dtype, 'float32');
    const img = torch.arange(4, { dtype: 'float32' }).view([1, 1, 2, 2]);
    assert.deepEqual(F.pad(img, [1, 0, 0, 1], 'constant', 9).toArray(), [[[[9, 0, 1], [9, 2, 3], [9, 9, 9]]]]);
    assert.deepEqual(F.pad(img, [1, 1, 0, 0], 'replicate').toArray(), [[[[0, 0, 1, 1], [2, 2, 3, 3]]]]);
    assert.deepEqual(F.interpolate(img, { scaleFactor: 2 }).toArray(), [[[[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]]]]);
    assertClose(F.interpolate(img, { size: 3, mode: 'bilinear', alignCorners: true }), [0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3], { atol: 1e-6 }, 'bilinear');
    assert.throws(() => F.interpolate(img, {}), /exactly one/);
    assertClose(F.normalize(torch.tensor([[3.0, 4.0]])), [0.6, 0.8], { atol: 1e-6 });
  });
});

test('Embedding: lookup rows, negative paddingIdx, no gradient into the padding row', () => {
  torch.manualSeed(11);
  const e = new nn.Embedding(5, 3, { paddingIdx: -1 });
  assert.equal(e.paddingIdx, 4);
  torch.scope(() => {
    assert.deepEqual(e.weight.select(0, 4).toFlatArray(), [0, 0, 0]);
    const idx = torch.tensor([[1, 4], [4, 0]], { dtype: 'int64' });
    const y = e.forward(idx);
    assertClose(y.select(0, 0).select(0, 0), e.weight.select(0, 1), { atol: 0 });
    y.sum().backward();
    const g = e.weight.grad!;
    assert.deepEqual(g.select(0, 4).toFlatArray(), [0, 0, 0], 'padding row gets no gradient');
    assert.deepEqual(g.select(0, 1).toFlatArray(), [1, 1, 1]);
  });
  assert.throws(() => new nn.Embedding(5, 3, { paddingIdx: 5 }), /out of range/);
  e.dispose();
});
