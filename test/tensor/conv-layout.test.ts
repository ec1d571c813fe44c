import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, type Tensor } from '../../src/index.ts';

function convWithGrads(cl: boolean, x: Tensor, w: Tensor, b: Tensor, stride: number, padding: number) {
  const before = torch.backends.convChannelsLast;
  torch.backends.convChannelsLast = cl;
  try {
    return torch.scope(() => {
      const [xi, wi, bi] = [x, w, b].map((t) => t.detach().requiresGrad_());
      const y = torch.conv2d(xi!, wi!, bi!, stride, padding);
      y.relu().square().sum().backward();
      return { y: y.detach().contiguous(), clOut: y.isContiguous('channels_last') && !y.isContiguous(), gx: xi!.grad!, gw: wi!.grad!, gb: bi!.grad! };
    });
  } finally {
    torch.backends.convChannelsLast = before;
  }
}

const maxDiff = (a: Tensor, b: Tensor) => a.sub(b).abs().max().item() / Math.max(1, b.abs().max().item());

test('CPU conv2d in channels_last: output and every gradient equal the NCHW convolution (float rounding)', () => {
  torch.manualSeed(0);
  torch.scope(() => {
    for (const [shape, wshape, stride, padding, inputCL] of [
      [[4, 3, 9, 9], [8, 3, 3, 3], 1, 1, false],
      [[2, 8, 10, 10], [6, 8, 1, 1], 1, 0, false],
      [[3, 16, 12, 12], [32, 16, 4, 4], 2, 1, true], // a channels_last input stays channels_last, strided or not
    ] as const) {
      const x0 = torch.randn([...shape]);
      const x = inputCL ? x0.contiguous({ memoryFormat: 'channels_last' }) : x0;
      const w = torch.randn([...wshape]);
      const b = torch.randn([wshape[0]]);
      const on = convWithGrads(true, x, w, b, stride, padding);
      const off = convWithGrads(false, x, w, b, stride, padding);
      assert.equal(on.clOut, true, 'the convolution ran channels_last');
      assert.equal(off.clOut, inputCL, 'turned off, the output keeps the input layout (libtorch own rule)');
      for (const k of ['y', 'gx', 'gw', 'gb'] as const) {
        assert.deepEqual(on[k].shape, off[k].shape);
        assert.ok(maxDiff(on[k], off[k]) < 1e-5, `${k} differs: ${maxDiff(on[k], off[k])}`);
      }
    }
  });
});

test('an NCHW input starts channels_last only at a stride-1 convolution with few (not a multiple of 16) channels', () => {
  torch.scope(() => {
    const cl = (x: Tensor, w: Tensor, stride = 1) => {
      const y = torch.conv2d(x, w, null, stride, 1);
      return y.isContiguous('channels_last') && !y.isContiguous();
    };
    assert.equal(cl(torch.randn([2, 4, 8, 8]), torch.randn([64, 4, 3, 3])), true, '4 -> 64');
    assert.equal(cl(torch.randn([2, 64, 8, 8]), torch.randn([8, 64, 3, 3])), true, '64 -> 8');
    assert.equal(cl(torch.randn([2, 16, 8, 8]), torch.randn([32, 16, 3, 3])), false, '16 -> 32 stays NCHW');
    assert.equal(cl(torch.randn([2, 4, 8, 8]), torch.randn([64, 4, 3, 3]), 2), false, 'strided stays NCHW');
    assert.equal(cl(torch.randn([2, 1, 8, 8]), torch.randn([32, 1, 3, 3])), false, 'a one-channel input stays NCHW');
    const before = torch.backends.convChannelsLast;
    torch.backends.convChannelsLast = false;
    try {
      assert.equal(cl(torch.randn([2, 4, 8, 8]), torch.randn([64, 4, 3, 3])), false, 'policy off');
    } finally {
      torch.backends.convChannelsLast = before;
    }
  });
});

test('group norm and transposed convolution take a channels_last input as NCHW (no channels_last kernel in libtorch 1.13): same values', () => {
  torch.scope(() => {
    const x = torch.randn([2, 32, 6, 6]);
    const xcl = x.contiguous({ memoryFormat: 'channels_last' });
    assert.ok(maxDiff(torch.groupNorm(xcl, 8), torch.groupNorm(x, 8)) < 1e-6);
    const w = torch.randn([32, 4, 4, 4]);
    assert.ok(maxDiff(torch.convTranspose2d(xcl, w, null, 2, 1), torch.convTranspose2d(x, w, null, 2, 1)) < 1e-5);
  });
});

test('conv2d keeps float64 and non-4-d inputs as they are; isContiguous checks its memory format', () => {
  torch.scope(() => {
    const x = torch.randn([2, 3, 5, 5], { dtype: 'float64' });
    const y = torch.conv2d(x, torch.randn([4, 3, 3, 3], { dtype: 'float64' }));
    assert.equal(y.isContiguous(), true);
    const z = torch.randn([2, 3, 5, 5]).contiguous({ memoryFormat: 'channels_last' });
    assert.equal(z.isContiguous('channels_last'), true);
    assert.equal(z.isContiguous(), false);
    assert.equal(torch.randn([3, 5]).isContiguous('channels_last'), false);
    assert.throws(() => z.isContiguous('nhwc' as 'channels_last'), /memoryFormat must be/);
  });
});
