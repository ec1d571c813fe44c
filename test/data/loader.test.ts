/** DataLoader: coverage per epoch, seeded reproducible shuffles, dropLast, batch structures, no leaks. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, type Tensor } from '../../src/tensor/index.ts';
import { DataLoader } from '../../src/data/index.ts';

const N = 103;

function epochIds(loader: DataLoader<Tensor>): number[][] {
  const out: number[][] = [];
  for (const b of loader) out.push(b.select(1, 0).toFlatArray());
  return out;
}

describe('DataLoader', () => {
  const data = torch.arange(N, { dtype: 'float32' }).unsqueeze(1).repeat([1, 3]).keep(); // row i = [i, i, i]
  test('each example exactly once per epoch; batch sizes; the order changes between epochs', () => {
    const loader = new DataLoader(data, { batchSize: 10, seed: 1 });
    assert.equal(loader.numBatches, 11);
    const e0 = epochIds(loader);
    const e1 = epochIds(loader);
    for (const e of [e0, e1]) {
      assert.deepEqual(e.map((b) => b.length), [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 3]);
      assert.deepEqual(e.flat().sort((a, b) => a - b), Array.from({ length: N }, (_, i) => i));
    }
    assert.notDeepEqual(e0.flat(), e1.flat());
    assert.notDeepEqual(e0.flat(), Array.from({ length: N }, (_, i) => i), 'shuffled');
  });
  test('reproducible: same seed same epochs; setEpoch resumes; another seed differs', () => {
    const a = new DataLoader(data, { batchSize: 16, seed: 7 });
    const b = new DataLoader(data, { batchSize: 16, seed: 7 });
    const c = new DataLoader(data, { batchSize: 16, seed: 8 });
    const a0 = epochIds(a);
    const a1 = epochIds(a);
    assert.deepEqual(epochIds(b), a0);
    assert.deepEqual(epochIds(b.setEpoch(1)), a1);
    assert.notDeepEqual(epochIds(c), a0);
    torch.manualSeed(123); // the global generator does not matter
    assert.deepEqual(epochIds(new DataLoader(data, { batchSize: 16, seed: 7 })), a0);
  });
  test('dropLast drops the short batch; shuffle: false keeps the order', () => {
    const d = new DataLoader(data, { batchSize: 10, dropLast: true, shuffle: false });
    assert.equal(d.numBatches, 10);
    const e = epochIds(d);
    assert.equal(e.length, 10);
    assert.deepEqual(e.flat(), Array.from({ length: 100 }, (_, i) => i));
  });
  test('arrays and records of tensors stay aligned; the transform is applied', () => torch.scope(() => {
    const labels = torch.arange(N).mul(10);
    const arr = new DataLoader([data, labels], { batchSize: 8, seed: 2 });
    for (const [x, y] of arr) assert.deepEqual(y.toFlatArray(), x.select(1, 0).mul(10).toFlatArray());
    const rec = new DataLoader({ x: data, y: labels }, { batchSize: 8, seed: 2, transform: (b) => ({ x: b.x.mul(2), y: b.y }) });
    for (const b of rec) assert.deepEqual(b.y.toFlatArray(), b.x.select(1, 0).mul(5).toFlatArray());
    assert.throws(() => new DataLoader([data, torch.zeros([5])], { batchSize: 2 }), /disagree in their first dimension/);
    assert.throws(() => new DataLoader(data, { batchSize: 0 }), /positive integer/);
  }));
  test('iteration does not leak: each batch is freed when the loop advances, ends or breaks', () => {
    const loader = new DataLoader(data, { batchSize: 10, transform: (b) => b.add(1).mul(2) });
    const before = torch.memory().tensors;
    let seen: Tensor | null = null;
    for (const b of loader) {
      assert.ok(torch.memory().tensors <= before + 1, 'at most the live batch');
      if (seen) assert.ok(seen.isDisposed, 'the previous batch was freed');
      seen = b;
    }
    assert.ok(seen!.isDisposed);
    for (const b of loader) {
      seen = b;
      break;
    }
    assert.ok(seen!.isDisposed, 'freed on break');
    let kept: Tensor | null = null;
    for (const b of loader) kept ??= b.keep();
    assert.ok(!kept!.isDisposed, 'a kept batch survives');
    kept!.dispose();
    assert.equal(torch.memory().tensors, before);
    assert.ok(!data.isDisposed, 'the data set itself is untouched');
  });
});
