/**
 * Memory without scopes (native/src/guard.cc): tensors no scope owns are freed once V8 collects
 * their Tensor objects, also inside a synchronous loop that never yields (where FinalizationRegistry
 * callbacks never run); handles moved by Module.to keep their data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { torch, nn } from '../../src/index.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const turn = () => new Promise<void>((r) => setImmediate(r));

test('a synchronous loop with no scope keeps the number of live tensors bounded', () => {
  const before = torch.memory().tensors;
  let peak = 0;
  let sum = 0;
  for (let i = 0; i < 3000; i++) {
    const x = torch.randn([128, 256]); // 128 KiB each: 375 MiB over the loop if nothing were freed
    sum += x.mul(2).add(1).sum().item();
    if (i % 50 === 0) peak = Math.max(peak, torch.memory().tensors - before);
  }
  assert.ok(Number.isFinite(sum));
  assert.ok(peak < 2000, `live tensors peaked at ${peak} (12000 made); the GC guards did not free them`);
});

test('dead unscoped tensors are freed at the next event-loop turn after a collection', async () => {
  await turn();
  const before = torch.memory().tensors;
  for (let i = 0; i < 100; i++) torch.ones([4]).add(1);
  assert.ok(torch.memory().tensors >= before + 100, 'nothing is freed before V8 collects');
  gc();
  await turn();
  assert.ok(torch.memory().tensors <= before + 5, `${torch.memory().tensors - before} of 200 dead tensors still live`);
});

test("Module.to outside a scope: the parameters keep their (moved) data through collections", async () => {
  const net = new nn.Sequential(new nn.Linear(3, 8), new nn.Tanh(), new nn.Linear(8, 2));
  const w = net.parameters()[0]!.toFlatArray();
  net.to('float64');
  for (let k = 0; k < 3; k++) {
    gc();
    await turn();
    for (let i = 0; i < 300; i++) torch.ones([2]).add(1); // makes tensors: drains what was collected
  }
  const p = net.parameters()[0]!;
  assert.equal(p.isDisposed, false);
  assert.equal(p.dtype, 'float64');
  const back = p.toFlatArray();
  back.forEach((v, i) => assert.ok(Math.abs(v - w[i]!) < 1e-6));
  assert.deepEqual(torch.noGrad(() => net.forward(torch.randn([4, 3], { dtype: 'float64' }))).shape, [4, 2]);
  net.dispose();
});
