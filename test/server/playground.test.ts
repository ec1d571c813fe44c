/**
 * The playground through the API: requests are checked against the registries (clear 400s), training runs
 * in a worker and streams frames built from the generic model interface, and Stop leaves a normal,
 * resumable run folder (checkpoint saved, status interrupted).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDashboard, type Dashboard } from '../../src/server/index.ts';
import { openEvents, until } from './helpers.ts';

let base: string;
let d: Dashboard;
const frames: { step: number; samples: number[]; density: { grid: number; logp: number[] } | null; trajectory: { frames: number[][] } | null }[] = [];
before(async () => {
  base = mkdtempSync(join(tmpdir(), 'genlab-play-'));
  d = await startDashboard({ runs: join(base, 'runs'), port: 0, frameMs: 200, agentRuns: join(base, 'agent') });
});
after(async () => {
  await d?.close();
  rmSync(base, { recursive: true, force: true });
});

const start = (body: unknown) => fetch(new URL('/api/playground', d.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

test('the registry lists 2D families and 2D data sets only', async () => {
  const c = (await (await fetch(new URL('/api/registry', d.url))).json()) as { models: { name: string }[]; data: string[] };
  const names = c.models.map((m) => m.name);
  for (const n of ['nice', 'realnvp', 'nsf', 'cnf']) assert.ok(names.includes(n), n);
  assert.ok(c.data.includes('moons'));
  assert.ok(!c.data.includes('mnist'), 'image sets are not offered');
});

test('bad requests get a 400 naming what was wrong', async () => {
  const cases: [unknown, RegExp][] = [
    [{ model: 'nope', data: 'moons' }, /unknown model 'nope'/],
    [{ model: 'realnvp', data: 'mnist' }, /'mnist' is not a 2D data set/],
    [{ model: 'realnvp', data: 'moons', steps: 0 }, /'steps' must be an integer in \[1, 200000\], got 0/],
    [{ model: 'realnvp', data: 'moons', lr: 'fast' }, /'lr' must be a number/],
    [{ model: 'realnvp', data: 'moons', config: { wings: 2 } }, /unknown config key 'wings'/],
  ];
  for (const [body, re] of cases) {
    const r = await start(body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.match(((await r.json()) as { error: string }).error, re);
  }
  assert.deepEqual(readdirSync(join(base, 'runs')), [], 'no run folder for a refused request');
});

test('training streams frames; Stop leaves an interrupted run with a checkpoint', async () => {
  const sse = await openEvents(new URL('/api/events?playground=1', d.url), (event, data) => {
    if (event === 'frame') frames.push((data as { view: (typeof frames)[0] }).view);
  });
  const r = await start({ model: 'nice', data: 'moons', steps: 50_000, config: { layers: 2, hidden: 16 } });
  assert.equal(r.status, 200);
  const { run } = (await r.json()) as { run: string };
  assert.equal(run, 'play-nice-moons');
  assert.equal((await start({ model: 'nice', data: 'moons' })).status, 400, 'one training at a time');
  await until(() => frames.some((f) => f.step > 0), 60_000, 'a frame after some steps');
  const f = frames[frames.length - 1]!;
  assert.equal(f.samples.length, 600 * 2);
  assert.ok(f.samples.every(Number.isFinite));
  assert.equal(f.density!.grid, 64);
  assert.equal(f.density!.logp.length, 64 * 64);
  assert.equal(f.trajectory!.frames.length, 2 + 2, 'a 2-coupling NICE has base, 2 couplings and its scaling: 4 frames');
  await until(() => d.index.summary(run)?.status === 'running', 10_000, 'running in the list');
  assert.equal(((await (await fetch(new URL('/api/playground/stop', d.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json()) as { stopping: boolean }).stopping, true);
  await until(() => !d.playground.state.running, 30_000, 'the stop');
  assert.equal(d.playground.state.result?.status, 'aborted', JSON.stringify(d.playground.state.error));
  const ckpts = readdirSync(join(base, 'runs', run, 'checkpoints'));
  assert.equal(ckpts.length, 1);
  assert.ok(existsSync(join(base, 'runs', run, 'metrics.jsonl')));
  await until(() => d.index.summary(run)?.status === 'interrupted', 10_000, 'interrupted in the list');
  await sse.close();
});
