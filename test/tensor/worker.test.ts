import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { torch } from '../../src/index.ts';

const workerCode = `
import { parentPort, workerData } from 'node:worker_threads';
const { torch } = await import(workerData.entry);
torch.manualSeed(workerData.seed);
const before = torch.memory().tensors;
const s = torch.scope(() => torch.randn([1000]).pow(2).mean().item());
parentPort.postMessage({ s, live: torch.memory().tensors - before });
`;

test('the addon loads in worker threads with its own tensors', async () => {
  const entry = new URL('../../src/index.ts', import.meta.url).href;
  const run = (seed: number) =>
    new Promise<{ s: number; live: number }>((resolve, reject) => {
      const w = new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import('data:text/javascript,' + encodeURIComponent(${JSON.stringify(workerCode)})); })`, {
        eval: true,
        workerData: { entry, seed },
      });
      w.once('message', resolve);
      w.once('error', reject);
    });
  const mainBefore = torch.memory().tensors;
  const [a, b] = await Promise.all([run(1), run(2)]);
  assert.ok(Math.abs(a.s - 1) < 0.15 && Math.abs(b.s - 1) < 0.15, `${a.s} ${b.s}`);
  assert.notEqual(a.s, b.s);
  assert.equal(a.live, 0);
  assert.equal(torch.memory().tensors, mainBefore);
  torch.manualSeed(1);
  const same = torch.scope(() => torch.randn([1000]).pow(2).mean().item());
  assert.equal(same, a.s);
});
