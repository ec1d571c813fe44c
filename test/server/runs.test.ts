/**
 * The run index: statuses from the files alone (finished, stopped on NaN, interrupted, failed, running),
 * a run folder appearing and disappearing while watched, and appended metrics arriving as events.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunIndex, type RunSummary } from '../../src/server/runs.ts';
import { fakeRun, until } from './helpers.ts';

const old = (path: string) => utimesSync(path, new Date(Date.now() - 3600_000), new Date(Date.now() - 3600_000));

test('statuses: finished, nan, interrupted, failed, running', async () => {
  const root = mkdtempSync(join(tmpdir(), 'genlab-runs-'));
  const dirs = {
    done: fakeRun(root, 'done', { steps: 100, total: 1000 }),
    nan: fakeRun(root, 'nan', { steps: 10, total: 1000 }),
    stopped: fakeRun(root, 'stopped', { steps: 10, total: 1000 }),
    dead: fakeRun(root, 'dead', { steps: 10, total: 1000 }),
    live: fakeRun(root, 'live', { steps: 10, total: 1000 }),
  };
  appendFileSync(join(dirs.nan, 'metrics.jsonl'), '{"step":101,"loss":null,"lr":0.001,"itPerSec":0,"time":1,"nonFinite":1}\n');
  writeFileSync(join(dirs.stopped, 'checkpoints', 'step-0000107.safetensors'), 'x'); // Ctrl-C: saved off the log grid
  for (const d of [dirs.done, dirs.nan, dirs.stopped, dirs.dead]) for (const f of ['', 'metrics.jsonl', 'samples', 'checkpoints']) old(join(d, f));
  const index = new RunIndex(root, { staleMs: 60_000 });
  index.start();
  try {
    const status = Object.fromEntries(index.summaries().map((s) => [s.name, s.status]));
    assert.deepEqual(status, { dead: 'failed', done: 'finished', live: 'running', nan: 'nan', stopped: 'interrupted' });
    const done = index.summary('done')!;
    assert.equal(done.step, 1000);
    assert.equal(done.model, 'gaussian');
    assert.equal(done.data, 'moons');
    assert.ok(Math.abs(done.loss! - (2 + 1 / 1000)) < 1e-12);
  } finally {
    index.stop();
    rmSync(root, { recursive: true, force: true });
  }
});

test('runs appear, grow and disappear while watched; metrics arrive as events', async () => {
  const root = mkdtempSync(join(tmpdir(), 'genlab-runs-'));
  const index = new RunIndex(root, { pollMs: 200 });
  const rows: number[] = [];
  const removed: string[] = [];
  let last: RunSummary | null = null;
  index.on('metrics', (e: { run: string; rows: { step: number }[] }) => rows.push(...e.rows.map((r) => r.step)));
  index.on('summary', (s: RunSummary) => (last = s));
  index.on('removed', (e: { run: string }) => removed.push(e.run));
  index.start();
  try {
    assert.deepEqual(index.names(), []);
    const dir = fakeRun(root, 'new', { steps: 3 });
    await until(() => index.has('new'), 5000, 'the new run');
    assert.equal(index.summary('new')!.step, 30, 'the summary reads the last line without following from the start');
    appendFileSync(join(dir, 'metrics.jsonl'), '{"step":40,"loss":1.5}\n{"step":50,');
    await until(() => rows.includes(40), 5000, 'step 40');
    appendFileSync(join(dir, 'metrics.jsonl'), '"loss":1.25}\n');
    await until(() => rows.includes(50), 5000, 'step 50');
    assert.deepEqual(rows, [40, 50]);
    assert.equal((last as RunSummary | null)?.loss, 1.25);
    const m = index.metrics('new')!;
    assert.deepEqual(m.step, [10, 20, 30, 40, 50]);
    assert.equal(m.terms.nll!.length, 5);
    assert.ok(Number.isNaN(m.terms.nll![4]!), 'a term missing from a row is NaN there');
    renameSync(dir, join(root, '.moved'));
    await until(() => removed.includes('new'), 5000, 'the removal');
    assert.equal(index.has('new'), false);
  } finally {
    index.stop();
    rmSync(root, { recursive: true, force: true });
  }
});

test('a run that logs rarely stays running for three of its log intervals', () => {
  const root = mkdtempSync(join(tmpdir(), 'genlab-runs-'));
  // Last two lines 10 minutes apart (the trainer's `time` field) vs 1 minute apart; both written 25 minutes ago.
  const slow = fakeRun(root, 'slow', { total: 1000 });
  writeFileSync(join(slow, 'metrics.jsonl'), '{"step":10,"loss":2,"time":0}\n{"step":20,"loss":1.5,"time":600}\n{"step":30,"loss":1.4,"time":1200}\n');
  const quick = fakeRun(root, 'quick', { total: 1000 });
  writeFileSync(join(quick, 'metrics.jsonl'), '{"step":10,"loss":2,"time":0}\n{"step":20,"loss":1.5,"time":60}\n{"step":30,"loss":1.4,"time":120}\n');
  const t = new Date(Date.now() - 25 * 60_000);
  for (const d of [slow, quick]) for (const f of ['', 'metrics.jsonl', 'samples', 'checkpoints']) utimesSync(join(d, f), t, t);
  const index = new RunIndex(root, { staleMs: 60_000 });
  index.start();
  try {
    assert.equal(index.summary('slow')!.status, 'running');
    assert.equal(index.summary('quick')!.status, 'failed');
  } finally {
    index.stop();
    rmSync(root, { recursive: true, force: true });
  }
});
