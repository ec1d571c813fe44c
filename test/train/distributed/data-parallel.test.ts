import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunDir, loadTrainingCheckpoint } from '../../../src/train/index.ts';
import { torch } from '../../../src/tensor/index.ts';
import { FIXTURE, freePort, rankEnv, spawnRank, waitFor, NEEDS_GLOO } from './helpers.ts';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'genlab-dist-'));
// RealNVP on moons: its loss (the NLL) draws no noise, so one process and two ranks see the same numbers
const JOB = { model: 'realnvp', data: 'moons', train: { steps: 10, batch: 64, logEvery: 5, ckptEvery: 2, lr: 3e-3, ema: 0.9 } };

/** Runs a job on `worldSize` ranks (1: a plain process); returns rank 0's stderr. */
async function runJob(job: object, worldSize: number, timeoutS = 30): Promise<string> {
  const env = { GENLAB_TEST_JOB: JSON.stringify(job) };
  if (worldSize === 1) {
    const r = spawnRank(FIXTURE, env);
    const e = await r.exit;
    assert.equal(e.code, 0, r.stderr);
    lastReports = [r.stdout];
    return r.stderr;
  }
  const port = await freePort();
  const ranks = Array.from({ length: worldSize }, (_, i) => spawnRank(FIXTURE, { ...env, ...rankEnv(i, worldSize, port, timeoutS) }));
  const exits = await Promise.all(ranks.map((r) => r.exit));
  exits.forEach((e, i) => assert.equal(e.code, 0, `rank ${i}:\n${ranks[i]!.stderr}`));
  lastReports = ranks.map((r) => r.stdout);
  return ranks[0]!.stderr;
}

/** The JSON lines the last job's ranks printed (status, step, live tensors). */
let lastReports: string[] = [];
const params = (out: string, rank: string | number): Float32Array => new Float32Array(new Uint8Array(readFileSync(join(out, `params-rank${rank}.bin`))).buffer);

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

test('two ranks over loopback: bit-identical parameters, EMA and Adam state, equal to one process on the same global batches', NEEDS_GLOO, async () => {
  const out = tmp();
  // small buckets: several all-reduces launched by the Reducer's hooks while backward runs; rank 1
  // starts from other weights, so agreeing at the end needs the start-up broadcast from rank 0
  const log = await Promise.all([runJob({ ...JOB, out, name: 'dp', distributed: { bucketCapMB: 0.02, firstBucketCapMB: 0.01 }, perturbRank1: true }, 2), runJob({ ...JOB, out, name: 'single' }, 1)]);
  const buckets = Number(/(\d+) gradient bucket/.exec(log[0])?.[1]);
  assert.ok(buckets >= 3, `${buckets} buckets`);
  const r0 = params(out, 0);
  const r1 = params(out, 1);
  const one = params(out, 'single');
  assert.ok(r0.length > 1000, `${r0.length} parameters`);
  assert.deepEqual(Buffer.from(r0.buffer), Buffer.from(r1.buffer), 'ranks differ');
  const d = maxAbsDiff(r0, one);
  assert.ok(d < 1e-4, `two ranks vs one process: max |diff| ${d}`);
  // only rank 0 wrote the run folder: the metrics hold the global batch's loss, as one process's do
  const lines = (n: string): { loss: number }[] => readFileSync(join(out, n, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const [a, b] = [lines('dp'), lines('single')];
  await runJob({ ...JOB, out, name: 'leak', train: { ...JOB.train, steps: 6 } }, 2);
  for (const rep of lastReports) {
    const o = JSON.parse(rep.trim().split('\n').pop()!) as { liveAtStep2: number; liveAtEnd: number };
    assert.ok(o.liveAtStep2 > 0 && o.liveAtEnd === o.liveAtStep2, `live tensors after step 2: ${o.liveAtStep2}, at the end: ${o.liveAtEnd}`);
  }
  assert.equal(a.length, b.length);
  a.forEach((x, i) => assert.ok(Math.abs(x.loss - b[i]!.loss) < 1e-4, `loss ${x.loss} vs ${b[i]!.loss}`));
});

test('resume with another world size: 2 ranks then 1 process, 1 process then 2 ranks, both equal an uninterrupted run', NEEDS_GLOO, async () => {
  const out = tmp();
  // stopped after step 5: the newest checkpoint is step 4
  await Promise.all([runJob({ ...JOB, out, name: 'a', stopAfter: 5 }, 2), runJob({ ...JOB, out, name: 'b', stopAfter: 5 }, 1)]);
  assert.equal(new RunDir(join(out, 'a')).latestCheckpoint()?.endsWith('step-0000004.safetensors'), true);
  await runJob({ ...JOB, out, name: 'a', resume: true }, 1);
  const aResumed = params(out, 'single');
  await runJob({ ...JOB, out, name: 'b', resume: true }, 2);
  const bResumed = params(out, 0);
  assert.deepEqual(Buffer.from(bResumed.buffer), Buffer.from(params(out, 1).buffer));
  await runJob({ ...JOB, out, name: 'straight' }, 1);
  const straight = params(out, 'single');
  assert.ok(maxAbsDiff(aResumed, straight) < 1e-4, `2 -> 1: ${maxAbsDiff(aResumed, straight)}`);
  assert.ok(maxAbsDiff(bResumed, straight) < 1e-4, `1 -> 2: ${maxAbsDiff(bResumed, straight)}`);
});

test('a rank killed mid-run: the other stops within the timeout with a clear error; the last checkpoint stays good', NEEDS_GLOO, async () => {
  const out = tmp();
  const job = { ...JOB, out, name: 'killed', train: { ...JOB.train, steps: 100000, ckptEvery: 3 }, slowMs: 30 };
  const port = await freePort();
  const timeoutS = 20;
  const ranks = [0, 1].map((i) => spawnRank(FIXTURE, { GENLAB_TEST_JOB: JSON.stringify(job), ...rankEnv(i, 2, port, timeoutS) }));
  await waitFor(() => ranks[0]!.stderr, /step 7\n/, 60000);
  const t0 = performance.now();
  ranks[1]!.child.kill('SIGKILL');
  const e = await ranks[0]!.exit;
  const ms = performance.now() - t0;
  assert.equal(e.code, 1, ranks[0]!.stderr);
  assert.ok(ms < timeoutS * 1000, `rank 0 stopped ${ms} ms after the kill`);
  assert.match(ranks[0]!.stderr, /ERROR: distributed: (a collective|the gradient all-reduce) failed on rank 0 of 2: another rank exited or lost its connection/);
  const last = new RunDir(join(out, 'killed')).latestCheckpoint();
  assert.ok(last, 'a checkpoint was written before the kill');
  const step = torch.scope(() => loadTrainingCheckpoint(last!).step);
  assert.equal(step % 3, 0);
  assert.ok(step >= 6);
});

test('mismatched models between ranks: both fail at once, the differing rank names the difference', NEEDS_GLOO, async () => {
  const out = tmp();
  const port = await freePort();
  const jobs = [{ ...JOB, out, name: 'mm' }, { ...JOB, out, name: 'mm', modelConfig: { hidden: 17 } }];
  const ranks = jobs.map((j, i) => spawnRank(FIXTURE, { GENLAB_TEST_JOB: JSON.stringify(j), ...rankEnv(i, 2, port, 20) }));
  const exits = await Promise.all(ranks.map((r) => r.exit));
  assert.deepEqual(exits.map((e) => e.code), [1, 1]);
  assert.match(ranks[1]!.stderr, /ERROR: distributed: rank 1's model \(parameter names and shapes\) differs from rank 0's at \S+/);
  assert.match(ranks[0]!.stderr, /ERROR: distributed: the model \(parameter names and shapes\) of rank\(s\) 1 differs from rank 0's/);
  assert.ok(exits.every((e) => e.ms < 20000));
  assert.equal(existsSync(join(out, 'params-rank0.bin')), false);
});
