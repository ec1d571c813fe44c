import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ProcessGroup, readDistEnv } from '../../../src/train/distributed/index.ts';
import { freePort, rankEnv, spawnRank, NEEDS_GLOO } from './helpers.ts';

const COLLECTIVES = fileURLToPath(new URL('./fixtures/collectives.ts', import.meta.url));

test('collectives over two processes: all-reduce, broadcast, all-gather, reduce-scatter, barrier, timeout', NEEDS_GLOO, async () => {
  const port = await freePort();
  const ranks = [0, 1].map((r) => spawnRank(COLLECTIVES, rankEnv(r, 2, port, 20)));
  const exits = await Promise.all(ranks.map((r) => r.exit));
  for (const [i, e] of exits.entries()) assert.equal(e.code, 0, `rank ${i} failed:\n${ranks[i]!.stderr}`);
  const [o0, o1] = ranks.map((r) => JSON.parse(r.stdout.trim().split('\n').pop()!));
  for (const o of [o0, o1]) {
    assert.deepEqual(o.sum, [3, 30, 1]);
    assert.deepEqual(o.max, [2, 0]);
    assert.deepEqual(o.avg, [1.5, 3]);
    assert.deepEqual(o.broadcast, [[1, 1], [1, 1]]);
    assert.deepEqual(o.gather, [[0, 100], [1, 101]]);
    assert.deepEqual(o.inflight, [1000, 3000, 5000]);
    assert.match(o.gradError, /requires grad/);
  }
  // arange(6) * (r + 1) summed over ranks = 3 * arange(6); rank 0 gets the first half
  assert.deepEqual(o0.scatter, [0, 3, 6]);
  assert.deepEqual(o1.scatter, [9, 12, 15]);
  // rank 0 waited ~600 ms at the barrier while its event loop kept running
  assert.ok(o0.barrierMs > 300, `barrier returned after ${o0.barrierMs} ms`);
  assert.ok(o0.ticks >= 10, `event loop ticked ${o0.ticks} times during the barrier`);
  // the all-reduce rank 1 never joined failed after its 1 s timeout, and the group is then broken
  assert.match(o0.timeout, /distributed: a collective failed on rank 0 of 2: another rank did not join this collective in time .*allreduce failed on rank 0 of 2 \(timeout 1000 ms\)/);
  assert.ok(o0.timeoutMs >= 900 && o0.timeoutMs < 2400, `timed out after ${o0.timeoutMs} ms`);
  assert.match(o0.after, /failed earlier/);
});

test('bad environment: each bad variable named', () => {
  const base = { MASTER_ADDR: '127.0.0.1', MASTER_PORT: '29500', RANK: '0', WORLD_SIZE: '2' };
  assert.deepEqual(readDistEnv(base).worldSize, 2);
  assert.throws(() => readDistEnv({ ...base, RANK: '2' }), /RANK=2 is out of range for WORLD_SIZE=2/);
  assert.throws(() => readDistEnv({ ...base, WORLD_SIZE: 'two' }), /WORLD_SIZE="two"/);
  assert.throws(() => readDistEnv({ ...base, WORLD_SIZE: '0' }), /WORLD_SIZE="0"/);
  assert.throws(() => readDistEnv({ ...base, RANK: undefined }), /RANK is not set/);
  assert.throws(() => readDistEnv({ ...base, MASTER_ADDR: '' }), /MASTER_ADDR is not set/);
  assert.throws(() => readDistEnv({ ...base, MASTER_PORT: '70000' }), /MASTER_PORT="70000"/);
  assert.throws(() => readDistEnv({ ...base, GENLAB_DIST_TIMEOUT: '-1' }), /GENLAB_DIST_TIMEOUT/);
});

test('port in use: rank 0 fails at once naming the port', NEEDS_GLOO, async () => {
  const server = createServer();
  const port = await new Promise<number>((res) => server.listen(0, () => res((server.address() as { port: number }).port)));
  try {
    const t0 = performance.now();
    await assert.rejects(ProcessGroup.init({ rank: 0, worldSize: 2, masterAddr: '127.0.0.1', masterPort: port, timeoutMs: 2000 }), new RegExp(`MASTER_PORT ${port} on 127.0.0.1 is already in use`));
    assert.ok(performance.now() - t0 < 2000);
  } finally {
    server.close();
  }
});

test('unreachable master: rank 1 fails within the timeout', NEEDS_GLOO, async () => {
  const port = await freePort();
  const t0 = performance.now();
  await assert.rejects(ProcessGroup.init({ rank: 1, worldSize: 2, masterAddr: '127.0.0.1', masterPort: port, timeoutMs: 1500 }), /rank 1 could not reach the master at 127\.0\.0\.1:\d+ within 1\.5 s/);
  const ms = performance.now() - t0;
  assert.ok(ms < 4000, `failed after ${ms} ms`);
});

test('wrong world size: a rank waiting for ranks that never come fails within the timeout', NEEDS_GLOO, async () => {
  const port = await freePort();
  const t0 = performance.now();
  await assert.rejects(ProcessGroup.init({ rank: 0, worldSize: 2, masterAddr: '127.0.0.1', masterPort: port, timeoutMs: 1500 }), /only 1 of WORLD_SIZE=2 ranks joined the rendezvous at 127\.0\.0\.1:\d+ within 1\.5 s/);
  const ms = performance.now() - t0;
  assert.ok(ms >= 1400 && ms < 1500 + 1500, `failed after ${ms} ms`);
});

test('ranks with different WORLD_SIZE: the odd one fails at once naming both values, the other within the timeout', NEEDS_GLOO, async () => {
  const port = await freePort();
  const t0 = performance.now();
  const r0 = ProcessGroup.init({ rank: 0, worldSize: 2, masterAddr: '127.0.0.1', masterPort: port, timeoutMs: 2000 });
  const r1 = ProcessGroup.init({ rank: 1, worldSize: 3, masterAddr: '127.0.0.1', masterPort: port, timeoutMs: 2000 });
  await assert.rejects(r1, /distributed: rank 1 has WORLD_SIZE=3 but rank 0 has WORLD_SIZE=2; start every rank with the same WORLD_SIZE/);
  assert.ok(performance.now() - t0 < 1500, `rank 1 failed after ${performance.now() - t0} ms`);
  await assert.rejects(r0, /only 1 of WORLD_SIZE=2 ranks joined/);
  assert.ok(performance.now() - t0 < 2000 + 1500);
});

test('bad arguments: rank outside the world, bad port', NEEDS_GLOO, async () => {
  await assert.rejects(ProcessGroup.init({ rank: 3, worldSize: 2, masterAddr: '127.0.0.1', masterPort: 29500, timeoutMs: 1000 }), /rank \(RANK\) must be in 0\.\.1 for world size 2, got 3/);
  await assert.rejects(ProcessGroup.init({ rank: 0, worldSize: 1, masterAddr: '127.0.0.1', masterPort: 0, timeoutMs: 1000 }), /port \(MASTER_PORT\) must be 1\.\.65535, got 0/);
});
