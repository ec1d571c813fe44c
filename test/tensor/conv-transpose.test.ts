import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, nn, type Tensor } from '../../src/index.ts';

/** Output and gradients of one transposed convolution, with the oneDNN path on or off (ATen's slow_conv_transpose2d). */
function run(onednn: boolean, x: Tensor, w: Tensor, b: Tensor | null, o: { stride: number[]; padding: number[]; outputPadding: number[]; groups: number; dilation: number[] }, gy: Tensor) {
  const before = torch.backends.convTransposeOneDnn;
  torch.backends.convTransposeOneDnn = onednn;
  try {
    return torch.scope(() => {
      const xi = x.detach().requiresGrad_(), wi = w.detach().requiresGrad_(), bi = b ? b.detach().requiresGrad_() : null;
      const y = torch.convTranspose2d(xi, wi, bi, o.stride, o.padding, o.outputPadding, o.groups, o.dilation);
      y.mul(gy).sum().backward();
      return { y: y.detach(), gradFn: y.gradFn, gx: xi.grad!, gw: wi.grad!, gb: bi ? bi.grad! : null };
    });
  } finally {
    torch.backends.convTransposeOneDnn = before;
  }
}

const relDiff = (a: Tensor, b: Tensor) => a.sub(b).abs().max().item() / Math.max(1e-6, b.abs().max().item());

// [N, Cin, H, W], Cout, kernel [kh, kw], stride, padding, outputPadding, groups, dilation, bias
const CASES: [number[], number, number[], number[], number[], number[], number, number[], boolean][] = [
  [[2, 64, 7, 7], 32, [4, 4], [2, 2], [1, 1], [0, 0], 1, [1, 1], true], // conv VAE / VQ-VAE decoder, 64 -> 32
  [[2, 32, 14, 14], 1, [4, 4], [2, 2], [1, 1], [0, 0], 1, [1, 1], true], // 32 -> 1 (ATen forward, oneDNN backward)
  [[3, 5, 7, 6], 4, [3, 3], [2, 2], [1, 1], [1, 1], 1, [1, 1], false], // odd sizes, output padding, no bias
  [[2, 16, 5, 9], 32, [3, 2], [2, 1], [0, 1], [1, 0], 1, [1, 2], true], // non-square everything, dilation
  [[2, 32, 6, 6], 48, [3, 3], [3, 3], [2, 2], [2, 2], 4, [1, 1], true], // groups, output padding 2 with stride 3
  [[1, 6, 4, 5], 6, [3, 3], [1, 1], [0, 0], [0, 0], 3, [2, 2], false], // groups, dilation
  [[2, 4, 5, 5], 16, [3, 3], [2, 2], [2, 1], [1, 1], 2, [1, 1], true], // output padding with padding 2, groups
  [[2, 20, 5, 5], 20, [1, 1], [1, 1], [0, 0], [0, 0], 1, [1, 1], true], // 1x1
];

test('convTranspose2d through oneDNN: output and x, w, b gradients equal ATen transposed convolution (float32 rounding)', () => {
  torch.manualSeed(0);
  torch.scope(() => {
    for (const [xs, cout, k, stride, padding, outputPadding, groups, dilation, bias] of CASES) {
      const x = torch.randn(xs);
      const w = torch.randn([xs[1]!, cout / groups, k[0]!, k[1]!]);
      const b = bias ? torch.randn([cout]) : null;
      const o = { stride, padding, outputPadding, groups, dilation };
      const ref = torch.noGrad(() => torch.convTranspose2d(x, w, b, stride, padding, outputPadding, groups, dilation));
      const gy = torch.randn(ref.shape);
      const on = run(true, x, w, b, o, gy);
      const off = run(false, x, w, b, o, gy);
      const what = JSON.stringify({ xs, cout, k, stride, padding, outputPadding, groups, dilation, bias });
      assert.equal(on.gradFn, 'ConvTranspose2dOneDnnBackward', `the oneDNN path ran: ${what}`);
      assert.notEqual(off.gradFn, 'ConvTranspose2dOneDnnBackward');
      for (const key of ['y', 'gx', 'gw', 'gb'] as const) {
        const a = on[key], r = off[key];
        if (r === null || a === null) {
          assert.equal(a, r, `${key} present on one side only: ${what}`);
          continue;
        }
        assert.deepEqual(a.shape, r.shape, `${key} shape: ${what}`);
        const d = relDiff(a, r);
        assert.ok(d < 1e-5, `${key} differs by ${d} (relative to its max): ${what}`);
      }
      // without grad: the forward alone (no node) gives the same values
      const y0 = torch.noGrad(() => torch.convTranspose2d(x, w, b, stride, padding, outputPadding, groups, dilation));
      assert.ok(relDiff(y0, off.y) < 1e-5);
    }
  });
});

test('nn.ConvTranspose2d takes the oneDNN path; channels_last input, options objects and the switch', () => {
  torch.manualSeed(1);
  torch.scope(() => {
    const m = new nn.ConvTranspose2d(16, 24, 4, { stride: 2, padding: 1 });
    const x = torch.randn([2, 16, 5, 5]).requiresGrad_();
    const y = m.forward(x);
    assert.equal(y.gradFn, 'ConvTranspose2dOneDnnBackward');
    assert.deepEqual(y.shape, [2, 24, 10, 10]);
    const yl = m.forward(x.detach().contiguous({ memoryFormat: 'channels_last' }).requiresGrad_());
    assert.ok(relDiff(yl, y) < 1e-6);
    const yo = torch.convTranspose2d(x, m.weight, { bias: m.bias, stride: 2, padding: 1 });
    assert.ok(relDiff(yo, y) < 1e-6);
    torch.backends.convTransposeOneDnn = false;
    try {
      assert.notEqual(m.forward(x).gradFn, 'ConvTranspose2dOneDnnBackward');
    } finally {
      torch.backends.convTransposeOneDnn = true;
    }
    // a dilated dimension with output padding stays on ATen (oneDNN has no weight gradient for it), same values
    const xd = torch.randn([1, 6, 4, 5]), wd = torch.randn([6, 2, 3, 3]);
    assert.equal(torch.convTranspose2d(xd.requiresGrad_(), wd, null, 2, 0, [1, 0], 3, 2).gradFn, 'ConvolutionBackward0');
    // bad input still gets ATen's error
    assert.throws(() => torch.convTranspose2d(torch.randn([2, 3, 5, 5]), m.weight), /channels|size|shape|weight/i);
  });
});

test('double backward through the oneDNN transposed convolution equals ATen (gradient of a gradient norm)', () => {
  torch.manualSeed(2);
  torch.scope(() => {
    const x = torch.randn([2, 16, 5, 5]), w = torch.randn([16, 32, 3, 3]).mul(0.1), b = torch.randn([32]);
    const gradOfGradNorm = (onednn: boolean) => {
      torch.backends.convTransposeOneDnn = onednn;
      try {
        return torch.scope(() => {
          const xi = x.detach().requiresGrad_(), wi = w.detach().requiresGrad_(), bi = b.detach().requiresGrad_();
          const y = torch.convTranspose2d(xi, wi, bi, 2, 1, 1);
          const [gx] = torch.autograd.grad(y.tanh().sum(), [xi], { createGraph: true });
          gx!.square().sum().backward();
          return { gradFn: y.gradFn, gw: wi.grad!, gb: bi.grad!, gx: xi.grad! };
        });
      } finally {
        torch.backends.convTransposeOneDnn = true;
      }
    };
    const on = gradOfGradNorm(true), off = gradOfGradNorm(false);
    assert.equal(on.gradFn, 'ConvTranspose2dOneDnnBackward');
    for (const k of ['gw', 'gb', 'gx'] as const) assert.ok(relDiff(on[k], off[k]) < 1e-5, `${k} differs by ${relDiff(on[k], off[k])}`);
  });
});
