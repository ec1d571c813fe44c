import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch } from '../../src/index.ts';

const cuda = torch.cuda.isAvailable();
const skip = cuda ? false : `no CUDA device: this libtorch (${torch.buildInfo().torchVersion}) was built ${torch.buildInfo().cuda ? 'with CUDA but sees no GPU' : 'without CUDA'}`;

test('tensors move to CUDA and back; ops and autograd run there', { skip }, () => {
  torch.manualSeed(0);
  const a = torch.randn([64, 32]);
  const g = a.to('cuda');
  assert.match(g.device, /^cuda/);
  const w = torch.randn([32, 8], { device: 'cuda' }).requiresGrad_();
  const loss = g.matmul(w).relu().pow(2).mean();
  loss.backward();
  assert.match(w.grad!.device, /^cuda/);
  const cpu = a.matmul(w.detach().cpu()).relu().pow(2).mean().item();
  assert.ok(Math.abs(loss.item() - cpu) < 1e-4 * Math.max(1, Math.abs(cpu)));
  assert.deepEqual(g.cpu().toFlatArray(), a.toFlatArray());
});

test('a CUDA device that does not exist is a clear error', { skip }, () => {
  assert.throws(() => torch.ones([2]).to(`cuda:${torch.cuda.deviceCount() + 3}`), /device|ordinal|invalid/i);
});

test('without CUDA, asking for it is an error, not a crash', { skip: cuda ? 'a CUDA device is present' : false }, () => {
  assert.throws(() => torch.ones([2]).to('cuda'), /CUDA|cuda/);
  assert.equal(torch.cuda.deviceCount(), 0);
});
