import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { torch, type Tensor } from '../../src/tensor/index.ts';
import {
  checkpointPath,
  latestCheckpoint,
  listCheckpoints,
  loadCheckpoint,
  readSafetensorsHeader,
  saveCheckpoint,
  saveSafetensors,
  type Checkpoint,
} from '../../src/io/index.ts';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'genlab-ckpt-'));

function sample(step: number): Checkpoint {
  torch.manualSeed(step);
  return {
    model: { 'net.0.weight': torch.randn([4, 3]), 'net.0.bias': torch.randn([4]), 'bn.num_batches': torch.tensor([7], { dtype: 'int64' }) },
    optimizer: {
      tensors: { '0.exp_avg': torch.randn([4, 3]), '0.exp_avg_sq': torch.rand([4, 3]), '1.step': torch.tensor(3, { dtype: 'float32' }) },
      state: { lr: 1e-3, betas: [0.9, 0.999], groups: [{ params: ['net.0.weight'], weightDecay: 0 }] },
    },
    ema: { 'net.0.weight': torch.randn([4, 3]).to('float16'), 'net.0.bias': torch.randn([4]) },
    step,
    config: { model: 'mlp', hidden: [64, 64], name: 'ünï' },
    extra: { bestLoss: Infinity, lastLoss: NaN, rng: [1, 2, 3] },
  };
}

function assertSame(a: Record<string, Tensor>, b: Record<string, Tensor>): void {
  assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort());
  for (const k of Object.keys(a)) {
    assert.equal(a[k]!.dtype, b[k]!.dtype, k);
    assert.deepEqual(a[k]!.shape, b[k]!.shape, k);
    assert.deepEqual(a[k]!.toFlatArray(), b[k]!.toFlatArray(), k);
  }
}

test('checkpoint: round trip of model, optimizer, EMA, step, config and extra in one file', () => {
  const dir = tmp();
  const path = checkpointPath(dir, 1200);
  assert.equal(path, join(dir, 'step-00001200.safetensors'));
  const before = torch.memory().tensors;
  torch.scope(() => {
    const src = sample(1200);
    saveCheckpoint(path, src);
    assert.deepEqual(readdirSync(dir), ['step-00001200.safetensors']);
    const got = loadCheckpoint(path);
    assertSame(got.model, src.model);
    assertSame(got.ema!, src.ema!);
    assertSame(got.optimizer!.tensors, src.optimizer!.tensors);
    assert.deepEqual(got.optimizer!.state, src.optimizer!.state);
    assert.equal(got.step, 1200);
    assert.deepEqual(got.config, src.config);
    assert.deepEqual(got.extra, { bestLoss: Infinity, lastLoss: NaN, rng: [1, 2, 3] });
    // One safetensors file with prefixed names: PyTorch users see model.*, optim.*, ema.*.
    const h = readSafetensorsHeader(path);
    assert.deepEqual(Object.keys(h.entries).sort(), [
      'ema.net.0.bias', 'ema.net.0.weight', 'model.bn.num_batches', 'model.net.0.bias', 'model.net.0.weight',
      'optim.0.exp_avg', 'optim.0.exp_avg_sq', 'optim.1.step',
    ]);
    assert.equal(h.metadata.step, '1200');
    assert.equal(h.metadata.format, 'pt');
  });
  assert.equal(torch.memory().tensors, before);
});

test('checkpoint: optional parts stay absent; an empty optimizer survives', () => {
  const dir = tmp();
  torch.scope(() => {
    saveCheckpoint(join(dir, 'a.safetensors'), { model: { w: torch.ones([2]) }, step: 0, config: null });
    const a = loadCheckpoint(join(dir, 'a.safetensors'));
    assert.equal(a.optimizer, undefined);
    assert.equal(a.ema, undefined);
    assert.equal('extra' in a, false);
    assert.equal(a.config, null);
    saveCheckpoint(join(dir, 'b.safetensors'), { model: {}, optimizer: { tensors: {}, state: { t: 0 } }, ema: {}, step: 5, config: {} });
    const b = loadCheckpoint(join(dir, 'b.safetensors'));
    assert.deepEqual(b.optimizer, { tensors: {}, state: { t: 0 } });
    assert.deepEqual(b.ema, {});
    assert.deepEqual(b.model, {});
  });
});

test('checkpoint: bad input and non-checkpoint files are rejected clearly', () => {
  const dir = tmp();
  torch.scope(() => {
    const p = join(dir, 'x.safetensors');
    assert.throws(() => saveCheckpoint(p, { model: {}, step: -1, config: {} }), /step must be a non-negative integer/);
    assert.throws(() => saveCheckpoint(p, { model: {}, step: 1.5, config: {} }), /step/);
    assert.throws(() => saveCheckpoint(p, { model: {}, step: 1, config: { n: 10n } }), /config is not JSON-able/);
    assert.throws(() => saveCheckpoint(p, { model: {}, step: 1, config: {}, extra: () => 1 }), /extra is not JSON-able/);
    saveSafetensors(p, { w: torch.zeros([1]) });
    assert.throws(() => loadCheckpoint(p), /not a genlab checkpoint/);
    saveSafetensors(p, { w: torch.zeros([1]) }, { 'genlab.kind': 'checkpoint', 'genlab.version': '1', step: '1' });
    assert.throws(() => loadCheckpoint(p), /none of the prefixes/);
  });
});

test('checkpoint: latestCheckpoint picks the highest step from metadata, skipping junk', () => {
  const dir = tmp();
  assert.equal(latestCheckpoint(dir), null);
  assert.equal(latestCheckpoint(join(dir, 'missing')), null);
  torch.scope(() => {
    const m = { w: torch.zeros([1]) };
    saveCheckpoint(checkpointPath(dir, 900), { model: m, step: 900, config: {} });
    saveCheckpoint(checkpointPath(dir, 10000), { model: m, step: 10000, config: {} });
    saveCheckpoint(join(dir, 'renamed.safetensors'), { model: m, step: 2000, config: {} });
    saveSafetensors(join(dir, 'weights.safetensors'), m, { step: '99999' }); // not a checkpoint
    writeFileSync(join(dir, 'step-99999999.safetensors'), 'garbage'); // malformed
    writeFileSync(join(dir, '.tmp-step-99999998.safetensors.1.ab'), 'partial'); // an unfinished write
    writeFileSync(join(dir, 'notes.txt'), 'hi');
  });
  assert.deepEqual(listCheckpoints(dir).map((c) => c.step), [900, 2000, 10000]);
  assert.equal(latestCheckpoint(dir), checkpointPath(dir, 10000));
});
