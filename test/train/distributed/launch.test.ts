import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch } from '../../../src/train/distributed/index.ts';
import { RunDir, loadTrainingCheckpoint } from '../../../src/train/index.ts';
import { torch } from '../../../src/tensor/index.ts';
import { FIXTURE, ROOT, freePort, rankEnv, spawnRank, waitFor, NEEDS_GLOO } from './helpers.ts';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'genlab-launch-'));
const BIN = join(ROOT, 'bin', 'genlab.mjs');
const TRAIN = ['train', 'realnvp', '--data', 'moons', '--batch', '32', '--no-pictures', '--quiet'];

test('genlab train --nproc 2: trains over two ranks, rank 0 writes the run', NEEDS_GLOO, async () => {
  const out = tmp();
  const port = await freePort();
  const r = spawnRank(BIN, { GENLAB_DIST_TIMEOUT: '30' }, [...TRAIN, '--steps', '6', '--out', out, '--name', 'run', '--nproc', '2', '--master-port', String(port)]);
  const e = await r.exit;
  assert.equal(e.code, 0, r.stderr);
  assert.match(r.stdout, /trained run for 6 steps/);
  assert.match(r.stderr, /data parallel: rank 0 of 2, 16 of 32 examples per step/);
  assert.match(r.stderr, /\[rank 1\] data parallel: rank 1 of 2/);
  assert.deepEqual(readdirSync(join(out, 'run', 'checkpoints')), ['step-0000006.safetensors']);
});

test('launch: a rank killed mid-run stops every rank with one message naming it', NEEDS_GLOO, async () => {
  const out = tmp();
  const job = { model: 'realnvp', data: 'moons', out, name: 'k', train: { steps: 100000, batch: 32, ckptEvery: 4 }, slowMs: 30 };
  let pids: number[] = [];
  const lines: string[] = [];
  const t0 = performance.now();
  let killedAt = 0;
  const run = launch({
    command: [process.execPath, '--import', 'tsx', FIXTURE],
    nproc: 2,
    masterPort: await freePort(),
    timeoutS: 20,
    env: { GENLAB_TEST_JOB: JSON.stringify(job) },
    prefixAll: true,
    graceMs: 3000,
    onStart: (p) => (pids = p),
  });
  const ckpts = (): string => (existsSync(join(out, 'k', 'checkpoints')) ? readdirSync(join(out, 'k', 'checkpoints')).join(' ') : '');
  await waitFor(ckpts, /step-0000008/, 60000);
  killedAt = performance.now();
  process.kill(pids[1]!, 'SIGKILL');
  const r = await run;
  lines.push(r.message);
  assert.equal(r.failedRank, 1);
  assert.notEqual(r.code, 0);
  assert.match(r.message, new RegExp(`genlab launch: rank 1 \\(pid ${pids[1]}\\) was killed by SIGKILL.*; stopped the other`));
  assert.ok(performance.now() - killedAt < 20000, `stopped ${performance.now() - killedAt} ms after the kill (started ${killedAt - t0} ms in)`);
  const last = new RunDir(join(out, 'k')).latestCheckpoint()!;
  assert.ok(torch.scope(() => loadTrainingCheckpoint(last).step) >= 8);
});

test('launch: SIGINT is forwarded; all ranks stop after the same step and rank 0 saves a checkpoint', NEEDS_GLOO, async () => {
  const out = tmp();
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'launch', '--nproc', '2', '--master-port', String(port), '--dist-timeout', '30', '--', ...TRAIN, '--steps', '100000', '--log-every', '1', '--out', out, '--name', 'int'], {
    cwd: ROOT,
    env: { ...process.env, GLOG_minloglevel: '3' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exit = new Promise<number | null>((res) => child.on('close', (c) => res(c)));
  const metrics = (): string => (existsSync(join(out, 'int', 'metrics.jsonl')) ? readFileSync(join(out, 'int', 'metrics.jsonl'), 'utf8') : '');
  await waitFor(metrics, /"step":5,/, 60000);
  child.kill('SIGINT');
  const code = await exit;
  assert.equal(code, 130, stderr);
  const saved = /interrupted at step (\d+)\/100000; saved/.exec(stderr);
  assert.ok(saved, stderr);
  assert.match(stderr, new RegExp(`\\[rank 1\\] interrupted at step ${saved![1]}/`));
  assert.equal(new RunDir(join(out, 'int')).latestCheckpoint()?.endsWith(`step-${saved![1]!.padStart(7, '0')}.safetensors`), true);
});

test('genlab train ranks started with different settings: both fail at once, naming the setting', NEEDS_GLOO, async () => {
  const out = tmp();
  const port = await freePort();
  const args = [...TRAIN, '--steps', '4', '--out', out, '--name', 'mm'];
  const ranks = [0, 1].map((i) => spawnRank(BIN, rankEnv(i, 2, port, 20), [...args, '--lr', i === 0 ? '0.001' : '0.002']));
  const exits = await Promise.all(ranks.map((r) => r.exit));
  assert.deepEqual(exits.map((e) => e.code), [1, 1]);
  assert.match(ranks[1]!.stderr, /rank 1's run config differs from rank 0's at train\.lr: 0\.002 vs 0\.001/);
  assert.match(ranks[0]!.stderr, /the run config of rank\(s\) 1 differs from rank 0's/);
});
