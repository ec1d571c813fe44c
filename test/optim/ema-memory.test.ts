import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch } from '../../src/index.ts';
import { Linear } from '../../src/nn/index.ts';
import { EMA } from '../../src/optim/index.ts';

test('EMA made outside any scope leaves only its shadow copies, and dispose frees them', () => {
  const model = new Linear(4, 3);
  const before = torch.memory();
  const ema = new EMA(model, { decay: 0.9 });
  assert.equal(torch.memory().tensors, before.tensors + 2); // weight and bias shadows
  ema.dispose();
  assert.deepEqual(torch.memory(), before);
  model.dispose();
});
