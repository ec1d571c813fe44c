import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, Tensor } from '../../src/index.ts';

const close = (a: number[], b: number[], tol = 1e-5) => {
  assert.equal(a.length, b.length);
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) <= tol * (1 + Math.abs(b[i]!)), `index ${i}: ${x} vs ${b[i]}`));
};

test('tensor from nested arrays, shape, dtype, toArray', () => {
  const t = torch.tensor([[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(t.shape, [2, 3]);
  assert.equal(t.dtype, 'float32');
  assert.deepEqual(t.toArray(), [[1, 2, 3], [4, 5, 6]]);
  assert.equal(torch.tensor([true, false]).dtype, 'bool');
  assert.deepEqual(torch.tensor([1, 2], { dtype: 'int64' }).toArray(), [1, 2]);
  assert.equal(torch.tensor(3.5).item(), 3.5);
  assert.deepEqual(torch.tensor(new Float64Array([1, 2, 3, 4]), { shape: [2, 2] }).toArray(), [[1, 2], [3, 4]]);
  assert.throws(() => torch.tensor([[1, 2], [3]]), /ragged/);
});

test('typed arrays in and out keep every dtype', () => {
  for (const [arr, dtype] of [
    [new Float32Array([1.5, -2]), 'float32'],
    [new Float64Array([1e-300, 2]), 'float64'],
    [new Int32Array([-7, 9]), 'int32'],
    [new BigInt64Array([2n ** 40n, -3n]), 'int64'],
    [new Uint8Array([0, 255]), 'uint8'],
  ] as const) {
    const t = torch.fromTypedArray(arr, [2]);
    assert.equal(t.dtype, dtype);
    assert.deepEqual(Array.from(t.toTypedArray() as ArrayLike<unknown>), Array.from(arr as ArrayLike<unknown>));
  }
  assert.throws(() => torch.fromTypedArray(new Float32Array(3), [2, 2]), /holds 4 elements/);
});

test('elementwise math, broadcasting and reductions agree with JS arithmetic', () => {
  const a = torch.tensor([[1, 2, 3], [4, 5, 6]]);
  const b = torch.tensor([10, 20, 30]);
  close(a.add(b).toFlatArray(), [11, 22, 33, 14, 25, 36]);
  close(a.mul(2).sub(1).toFlatArray(), [1, 3, 5, 7, 9, 11]);
  close(a.sum(-1).toFlatArray(), [6, 15]);
  close(a.sum([0, 1]).toFlatArray(), [21]);
  close(a.mean(0).toFlatArray(), [2.5, 3.5, 4.5]);
  close(a.sum(1, { keepdim: true }).shape, [2, 1]);
  close(a.logsumexp(-1).toFlatArray(), [1, 4].map((s) => s + 2 + Math.log(Math.exp(-2) + Math.exp(-1) + 1)));
  close(a.exp().log().toFlatArray(), [1, 2, 3, 4, 5, 6], 1e-6);
  close(torch.tensor([-1, 0.5]).relu().toFlatArray(), [0, 0.5]);
  close(torch.tensor([0]).sigmoid().toFlatArray(), [0.5]);
  close(a.pow(2).toFlatArray(), [1, 4, 9, 16, 25, 36]);
});

test('overloads are chosen by argument types, as in PyTorch', () => {
  const a = torch.tensor([[1, 5], [7, 2]]);
  assert.equal(a.max().item(), 7);
  const [v, i] = a.max(1);
  assert.deepEqual(v!.toArray(), [5, 7]);
  assert.deepEqual(i!.toArray(), [1, 0]);
  assert.deepEqual(a.max(torch.tensor([[3, 3], [3, 3]])).toArray(), [[3, 5], [7, 3]]);
  assert.deepEqual(a.add(1, 2).toArray(), [[3, 7], [9, 4]]); // add.Scalar with alpha
  assert.deepEqual(a.add(a, { alpha: 0.5 }).toArray(), [[1.5, 7.5], [10.5, 3]]);
  assert.deepEqual(a.clamp(2, 6).toArray(), [[2, 5], [6, 2]]);
  // Sample standard deviations (Bessel's correction, PyTorch's default), computed here by hand.
  const sampleStd = (xs: number[]) => {
    const m = xs.reduce((s, v) => s + v, 0) / xs.length;
    return Math.sqrt(xs.reduce((s, v) => s + (v - m) ** 2, 0) / (xs.length - 1));
  };
  const s = a.std();
  assert.deepEqual(s.shape, []);
  close([s.item()], [sampleStd([1, 5, 7, 2])]); // 2.7538
  assert.deepEqual(a.std(0).shape, [2]);
  close(a.std(0).toFlatArray(), [sampleStd([1, 7]), sampleStd([5, 2])]); // [4.2426, 2.1213]
  close(a.std(1, { unbiased: false }).toFlatArray(), [2, 2.5]);
  assert.throws(() => (a as unknown as { add(x: string): Tensor }).add('x'), /Tensor\.add: 'other' got "x"; it takes a Tensor or a number/);
});

test('in-place operators return the receiver and change it', () => {
  const a = torch.zeros([3]);
  const r = a.add_(torch.ones([3]), { alpha: 2 });
  assert.equal(r, a);
  assert.deepEqual(a.toArray(), [2, 2, 2]);
  a.mul_(0.5).fill_(7);
  assert.deepEqual(a.toArray(), [7, 7, 7]);
});

test('shape ops, views, cat/stack, indexing', () => {
  const x = torch.arange(24, { dtype: 'float32' }).view([2, 3, 4]);
  assert.deepEqual(x.permute([2, 0, 1]).shape, [4, 2, 3]);
  assert.deepEqual(x.transpose(0, 1).contiguous().view([3, 8]).shape, [3, 8]);
  assert.deepEqual(x.reshape([-1]).shape, [24]);
  assert.deepEqual(x.unsqueeze(0).squeeze(0).shape, [2, 3, 4]);
  assert.deepEqual(torch.cat([x, x], 1).shape, [2, 6, 4]);
  assert.deepEqual(torch.stack([x, x]).shape, [2, 2, 3, 4]);
  assert.deepEqual(x.select(2, 1).toArray(), [[1, 5, 9], [13, 17, 21]]);
  assert.deepEqual(x.narrow(1, 1, 1).flatten().toArray(), [4, 5, 6, 7, 16, 17, 18, 19]);
  const idx = torch.tensor([2, 0], { dtype: 'int64' });
  assert.deepEqual(x.indexSelect(1, idx).select(0, 0).select(1, 0).toArray(), [8, 0]);
  assert.deepEqual(x.index([null, idx]).shape, [2, 2, 4]);
  assert.deepEqual(torch.where(x.gt(20), x, torch.zerosLike(x)).sum().item(), 21 + 22 + 23);
  const [a, b] = x.chunk(2, 2);
  assert.deepEqual(a!.shape, [2, 3, 2]);
  assert.deepEqual(b!.shape, [2, 3, 2]);
  assert.deepEqual(torch.oneHot(torch.tensor([0, 2], { dtype: 'int64' }), 3).toArray(), [[1, 0, 0], [0, 0, 1]]);
  const [vals, inds] = torch.tensor([3, 1, 2]).sort();
  assert.deepEqual(vals!.toArray(), [1, 2, 3]);
  assert.deepEqual(inds!.toArray(), [1, 2, 0]);
  assert.deepEqual(torch.tensor([1, 2, 3]).cumsum(0).toArray(), [1, 3, 6]);
});

test('matmul, einsum, conv and linalg agree with direct computation', () => {
  const a = torch.tensor([[1, 2], [3, 4]], { dtype: 'float64' });
  const b = torch.tensor([[5, 6], [7, 8]], { dtype: 'float64' });
  assert.deepEqual(a.matmul(b).toArray(), [[19, 22], [43, 50]]);
  assert.deepEqual(torch.einsum('ij,jk->ik', [a, b]).toArray(), [[19, 22], [43, 50]]);
  assert.deepEqual(torch.bmm(a.unsqueeze(0), b.unsqueeze(0)).squeeze(0).toArray(), [[19, 22], [43, 50]]);
  const [sign, logabs] = torch.linalg.slogdet(a);
  assert.equal(sign!.item(), -1);
  close([logabs!.item()], [Math.log(2)], 1e-12);
  close(torch.linalg.inv(a).matmul(a).toFlatArray(), [1, 0, 0, 1], 1e-12);
  // conv2d with a 1x1 kernel of 2 is a scaling; a 3x3 box filter sums neighbours
  const img = torch.ones([1, 1, 4, 4]);
  const w = torch.ones([1, 1, 3, 3]);
  const y = torch.conv2d(img, w, null, 1, 1);
  assert.deepEqual(y.shape, [1, 1, 4, 4]);
  assert.equal(y.flatten().toFlatArray()[5], 9);
  assert.equal(y.flatten().toFlatArray()[0], 4);
  const q = torch.linalg.qr(torch.randn([4, 4], { dtype: 'float64' }));
  close(q[0]!.t().matmul(q[0]!).toFlatArray(), torch.eye(4, { dtype: 'float64' }).toFlatArray(), 1e-10);
});

test('dtype and device conversions', () => {
  const a = torch.tensor([1.7, -2.2]);
  assert.equal(a.to('float64').dtype, 'float64');
  assert.deepEqual(a.long().toArray(), [1, -2]);
  assert.equal(a.to({ dtype: 'float16' }).dtype, 'float16');
  assert.equal(a.cpu().device, 'cpu');
  assert.equal(a.to(torch.zeros([1], { dtype: 'int32' })).dtype, 'int32');
  assert.throws(() => a.to('float99'), /bad device|unknown/);
});

test('toString reads like PyTorch', () => {
  assert.equal(String(torch.tensor([[1, 2], [3, 4]])), 'tensor([[1., 2.],\n        [3., 4.]])');
  assert.equal(String(torch.tensor([1, 2], { dtype: 'int64' })), 'tensor([1, 2])');
  assert.match(String(torch.zeros([100, 100])), /^tensor\(\[\[0\., 0\., 0\.,  \.\.\., 0\., 0\., 0\.\],\n/); // summarized values (test/tensor/format.test.ts)
  assert.match(String(torch.ones([2]).requiresGrad_()), /requiresGrad=true/);
});

test('torch.ops.aten reaches operators outside the typed list', () => {
  const x = torch.tensor([1, 4, 9]);
  const r = torch.ops.aten.sqrt!(x) as Tensor;
  assert.deepEqual(r.toArray(), [1, 2, 3]);
  const s = torch.ops.aten.frobenius_norm!(torch.tensor([[3, 4]]), [0, 1]) as Tensor; // the dim overload: libtorch 2.x dropped the dim-less one
  close([s.item()], [5]);
  assert.equal('no_such_op_exists' in torch.ops.aten, false);
  assert.throws(() => torch.ops.aten.no_such_op_exists!(x), /torch\.ops\.aten\.no_such_op_exists: libtorch [\d.]+ has no operator aten::no_such_op_exists/);
});
