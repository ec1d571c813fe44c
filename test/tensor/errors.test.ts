import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch } from '../../src/index.ts';

test('libtorch errors become JS errors naming the op, argument shapes and the cause', () => {
  const a = torch.ones([2, 3]);
  const b = torch.ones([4, 5]);
  assert.throws(() => a.matmul(b), (e: Error) => {
    assert.match(e.message, /aten::matmul\(self: float32\[2, 3\], other: float32\[4, 5\]\)/);
    assert.match(e.message, /cannot be multiplied|mat1 and mat2 shapes/);
    return true;
  });
  assert.throws(() => a.add(torch.ones([4])), /aten::add\.Tensor\(self: float32\[2, 3\], other: float32\[4\].*must match/s);
});

test('wrong dtypes, out-of-range indices and dims are errors', () => {
  const a = torch.ones([2, 3]);
  assert.throws(() => a.indexSelect(0, torch.tensor([0.5])), /aten::index_select\(self: float32\[2, 3\], dim: 0, index: float32\[1\]\).*Expected dtype int32 or int64/s);
  assert.throws(() => a.indexSelect(0, torch.tensor([7], { dtype: 'int64' })), /out of range|index/i);
  assert.throws(() => a.select(0, 5), /out of range/);
  assert.throws(() => a.sum(4), /Dimension out of range/);
  assert.throws(() => torch.zeros([2], { dtype: 'float99' as never }), /no overload|unknown dtype/);
  assert.throws(() => torch.mm(torch.ones([2, 2], { dtype: 'float64' }), torch.ones([2, 2])), /expected.*(same dtype|scalar type)|Double|Float/i);
});

test('bad devices and unsupported arguments are errors', () => {
  assert.throws(() => torch.ones([2]).to('tpu:0'), /bad device|device/i);
  if (!torch.cuda.isAvailable()) assert.throws(() => torch.ones([2]).to('cuda'), /CUDA|cuda/);
  assert.throws(() => torch.randn([-1]), /negative|size/i);
  assert.throws(() => torch.ones([2]).view([3]), /shape '\[3\]' is invalid/);
  assert.throws(() => torch.ones([2]).item(), /item\(\) needs exactly one/);
});

test('the process stays alive and later calls work after many errors', () => {
  for (let i = 0; i < 200; i++) {
    try {
      torch.ones([2]).matmul(torch.ones([3]));
    } catch {
      /* expected */
    }
  }
  assert.equal(torch.ones([3]).dot(torch.ones([3])).item(), 3);
});
