/** docs/from-pytorch.md: every genlab spelling on the page runs and means what the PyTorch one means. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, nn, data } from '../../src/index.ts';

test('tensor habits: indexing, arithmetic with scalars, x.T, keepdim, dtypes, integer tensors', () => {
  torch.scope(() => {
    const x = torch.tensor([[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(x.select(1, 0).toArray(), [1, 4]); // x[:, 0]
    assert.deepEqual(x.narrow(1, 1, 2).toArray(), [[2, 3], [5, 6]]); // x[:, 1:3]
    assert.deepEqual(x.slice(1, 1, 3).toArray(), [[2, 3], [5, 6]]);
    assert.deepEqual(x.unsqueeze(-1).shape, [2, 3, 1]); // x[..., None]
    assert.deepEqual(x.indexSelect(0, torch.tensor([1], { dtype: 'int64' })).toArray(), [[4, 5, 6]]); // x[idx]
    assert.deepEqual(x.maskedSelect(x.gt(4)).toArray(), [5, 6]); // x[mask]
    assert.deepEqual(x.add(1).select(0, 0).toArray(), [2, 3, 4]); // 1 + x
    assert.deepEqual(x.neg().add(1).select(0, 0).toArray(), [0, -1, -2]); // 1 - x
    assert.deepEqual(x.pow(2).select(0, 1).toArray(), [16, 25, 36]); // x ** 2
    assert.deepEqual(x.t().shape, [3, 2]); // x.T
    assert.deepEqual(x.sum(1, true).shape, [2, 1]); // keepdim=True
    assert.deepEqual(x.sum({ dim: 1, keepdim: true }).toArray(), [[6], [15]]);
    const [values, indices] = x.max(1) as unknown as [typeof x, typeof x];
    assert.deepEqual(values.toArray(), [3, 6]);
    assert.deepEqual(indices.toArray(), [2, 2]);
    assert.equal(x.double().dtype, 'float64');
    assert.equal(x.to('float64').dtype, 'float64');
    assert.equal(torch.tensor([1, 2, 3]).dtype, 'float32'); // JS numbers: float32
    assert.equal(torch.tensor([1, 2, 3], { dtype: 'int64' }).dtype, 'int64');
    assert.equal(torch.tensor([true, false]).dtype, 'bool');
    assert.equal(torch.arange(5).dtype, 'int64');
    assert.equal(x.select(0, 1).select(0, 2).item(), 6);
    assert.equal(String(torch.tensor([[1, 2], [3, 4]])), 'tensor([[1., 2.],\n        [3., 4.]])');
  });
});

test('nn and data habits: fields, Parameter, Buffer, lists, len(loader)', () => {
  class Net extends nn.Module {
    fc = new nn.Linear(4, 2);
    w = new nn.Parameter(torch.ones([2]));
    frozen = nn.Parameter(torch.ones([2]), false);
    m = new nn.Buffer(torch.zeros([2]), { persistent: false });
    blocks = [new nn.Linear(2, 2)];
    forward(x: ReturnType<typeof torch.randn>) {
      return this.blocks[0]!.forward(this.fc.forward(x).mul(this.w)).sub(this.m);
    }
  }
  const net = new Net();
  assert.deepEqual(Object.keys(net.stateDict()), ['w', 'frozen', 'fc.weight', 'fc.bias', 'blocks.0.weight', 'blocks.0.bias']);
  assert.equal(net.frozen.requiresGrad, false);
  assert.match(String(net), /^Net\(\n {2}\(fc\): Linear/);
  net.dispose();
  torch.scope(() => {
    const loader = new data.DataLoader({ x: torch.zeros([10, 2]), y: torch.zeros([10]) }, { batchSize: 4 });
    assert.equal(loader.numBatches, 3); // len(loader)
    assert.equal(loader.length, 10); // len(dataset)
    let n = 0;
    for (const { x } of loader) n += x.size(0);
    assert.equal(n, 10);
  });
});
