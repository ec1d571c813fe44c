/**
 * `device: 'cuda'`: trains on CUDA where libtorch has it (weights, data, checkpoints, resume and
 * sampling on the GPU), and is a clear error, before any run folder is made, where it does not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { torch } from '../../src/index.ts';
import { openRun, trainRun } from '../../src/train/session.ts';

const dir = mkdtempSync(join(tmpdir(), 'genlab-device-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('cuda on a libtorch without CUDA: an error naming the device, and no run folder', { skip: torch.cuda.isAvailable() && 'this libtorch has CUDA' }, async () => {
  await assert.rejects(
    trainRun({ model: 'gaussian', data: 'moons', out: dir, name: 'c', train: { steps: 5, device: 'cuda' }, pictures: false }),
    /device "cuda" is not available: this libtorch \([\d.]+\) was built without CUDA/,
  );
  assert.equal(existsSync(join(dir, 'c')), false);
});

test('cuda where libtorch has it: the run trains, resumes and samples on the GPU', { skip: !torch.cuda.isAvailable() && 'this libtorch has no CUDA' }, async () => {
  const r = await trainRun({ model: 'gaussian', data: 'moons', out: dir, name: 'g', train: { steps: 10, device: 'cuda' }, pictures: false });
  assert.equal(r.status, 'completed');
  const r2 = await trainRun({ model: '', data: '', out: dir, name: 'g', resume: true, train: { steps: 15 }, pictures: false });
  assert.equal(r2.status, 'completed');
  const o = openRun(join(dir, 'g'));
  try {
    for (const m of Object.values(o.model.modules)) for (const p of m.parameters()) assert.match(p.device, /^cuda/);
    const x = torch.noGrad(() => o.model.sample(8));
    assert.match(x.device, /^cuda/);
    assert.ok(Number.isFinite(x.sum().item()));
  } finally {
    o.dispose();
  }
});
