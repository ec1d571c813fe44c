import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, type Tensor } from '../../src/tensor/index.ts';
import { sampleFrechetDistances } from '../../src/train/evaluate.ts';
import type { ModelInstance } from '../../src/models/registry.ts';
import { loadData } from '../../src/train/data.ts';

test('eval: Fréchet distance per sampling temperature, near zero for a model that returns held-out-like images', async () => {
  const data = await loadData('mnist', { testOnly: true });
  const test0 = data.test.narrow(0, 0, 500);
  const other = data.test.narrow(0, 500, 500);
  const seen: number[] = [];
  let offset = 0;
  // "samples": real digits at T = 1, real digits faded towards grey as T falls (a worse model)
  const model = {
    sample(n: number, o: { temperature?: number } = {}): Tensor {
      const T = o.temperature ?? 1;
      seen.push(T);
      const x = other.narrow(0, offset % 500, n);
      offset += n;
      return x.mul(T).add(0.5 * (1 - T));
    },
  } as unknown as ModelInstance;
  const r = sampleFrechetDistances(model, test0, { count: 500, temperatures: [0.5, 1], seed: 0 });
  assert.deepEqual(Object.keys(r), ['fd@T0.5', 'fd@T1']);
  assert.ok(seen.includes(0.5) && seen.includes(1), 'the temperature reaches the model');
  assert.ok(r['fd@T1']! < 0.25 * r['fd@T0.5']!, `same-distribution samples score far better: ${JSON.stringify(r)}`);
  const single = sampleFrechetDistances(model, test0, { count: 250, temperatures: [1], seed: 0 });
  assert.deepEqual(Object.keys(single), ['fd']);
});
