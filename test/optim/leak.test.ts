/** Leak test: 2,000 Adam steps of an MLP, one scope per step; torch.memory() exactly flat from step 100 on. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch } from '../../src/tensor/index.ts';
import * as nn from '../../src/nn/index.ts';
import { Adam } from '../../src/optim/index.ts';

test('2,000 training steps of an MLP with Adam: memory exactly flat between step 100 and step 2,000', { timeout: 120_000 }, () => {
  torch.manualSeed(0);
  const start = torch.memory();
  const model = new nn.MLP({ sizes: [2, 64, 64, 2] });
  const opt = new Adam(model.parameters(), { lr: 1e-3 });
  const x = torch.randn([128, 2]).keep();
  const y = torch.scope(() => torch.stack([x.select(1, 0).sin(), x.select(1, 1).cos()], 1)).keep();
  let at100: { tensors: number; bytes: number } | null = null;
  let first = 0, last = 0;
  for (let step = 1; step <= 2000; step++) {
    const loss = torch.scope(() => {
      opt.zeroGrad();
      const l = nn.F.mseLoss(model.forward(x), y);
      l.backward();
      opt.step();
      return l.item();
    });
    if (step === 1) first = loss;
    last = loss;
    if (step === 100) at100 = torch.memory();
  }
  const at2000 = torch.memory();
  assert.deepEqual(at2000, at100, `memory moved: ${JSON.stringify(at100)} at step 100, ${JSON.stringify(at2000)} at step 2000`);
  assert.ok(last < first * 0.2, `it trains: ${first} -> ${last}`);
  opt.dispose();
  model.dispose();
  x.dispose();
  y.dispose();
  // Grads are not tensors genlab tracks; parameters, state and data are all freed.
  assert.deepEqual(torch.memory(), start);
});
