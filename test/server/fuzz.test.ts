/**
 * A fuzzed metrics.jsonl (random bytes, torn and huge lines, wrong types, deep nesting, CRLF, NaN
 * literals) written while clients hold event streams and poll the API never stops the server: every
 * request keeps answering, well-formed records written among the junk arrive, and the junk shows up as
 * warnings. Half-written PNGs are skipped with a warning until they are complete.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDashboard, type Dashboard } from '../../src/server/index.ts';
import { encodePng } from '../../src/io/png.ts';
import { fakeRun, openEvents, until } from './helpers.ts';

/** A seeded Park–Miller generator, so a failure replays. */
function rng(seed: number): () => number {
  let x = seed % 2147483647 || 1;
  return () => (x = (x * 16807) % 2147483647) / 2147483647;
}

let base: string;
let d: Dashboard;
before(async () => {
  base = mkdtempSync(join(tmpdir(), 'genlab-fuzz-'));
  fakeRun(join(base, 'runs'), 'fz', { steps: 5 });
  d = await startDashboard({ runs: join(base, 'runs'), port: 0, agentRuns: join(base, 'agent') });
});
after(async () => {
  await d?.close();
  rmSync(base, { recursive: true, force: true });
});

test('a fuzzed metrics file never stops the server; good lines among the junk arrive', async () => {
  const rand = rng(1234);
  const pick = <T>(a: T[]): T => a[Math.floor(rand() * a.length)]!;
  const metrics = join(base, 'runs', 'fz', 'metrics.jsonl');
  const sse = await openEvents(new URL('/api/events?list=1&run=fz', d.url));
  const junk: (() => string | Buffer)[] = [
    () => Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 300) }, () => Math.floor(rand() * 256))),
    () => '{"step": 1, "loss": ',
    () => '}\n',
    () => '[1,2,3]\n',
    () => 'null\n',
    () => '"a string"\n',
    () => '{"step": "12", "loss": 1}\n',
    () => '{"step": NaN, "loss": Infinity}\n',
    () => `${'['.repeat(5000 + Math.floor(rand() * 50000))}\n`,
    () => `{"step": 3, "loss": ${'9'.repeat(400)}}\r\n`,
    () => `${'x'.repeat(Math.floor(rand() * 3_000_000))}\n`,
    () => '\u0000\u0000\u0000\n',
    () => '{"step": 1e999, "loss": 1}\n',
    () => '{"__proto__": {"polluted": 1}, "step": 5, "loss": 1}\n',
    () => '\n\n\n',
    () => '{"step": 2, "loss": {"nested": true}, "nll": [1]}\n',
  ];
  const goodSteps: number[] = [];
  for (let i = 0; i < 120; i++) {
    if (rand() < 0.25) {
      const step = 100_000 + i;
      goodSteps.push(step);
      // A good record starts on a fresh line so the junk before it cannot swallow it.
      appendFileSync(metrics, `\n${JSON.stringify({ step, loss: rand(), nll: rand() })}\n`);
    } else appendFileSync(metrics, pick(junk)());
    if (i % 10 === 0) {
      const [a, b] = await Promise.all([fetch(new URL('/api/runs', d.url)), fetch(new URL('/api/runs/fz/metrics', d.url))]);
      assert.equal(a.status, 200);
      assert.equal(b.status, 200);
      await b.json();
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  appendFileSync(metrics, `\n${JSON.stringify({ step: 999_999, loss: 0.125 })}\n`);
  const list = await until(async () => {
    const r = (await (await fetch(new URL('/api/runs', d.url))).json()) as { runs: { name: string; step: number; loss: number; warnings: number }[] };
    const fz = r.runs.find((x) => x.name === 'fz');
    return fz && fz.step === 999_999 ? fz : null;
  }, 15_000, 'the last good record');
  assert.ok(list);
  assert.equal(list.loss, 0.125);
  assert.ok(list.warnings > 10, `junk lines became warnings (${list.warnings})`);
  const m = (await (await fetch(new URL('/api/runs/fz/metrics', d.url))).json()) as { step: number[] };
  for (const s of goodSteps) assert.ok(m.step.includes(s), `good record ${s} arrived`);
  assert.ok(!m.step.some((s) => !Number.isFinite(s)));
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');
  await until(() => sse.text.includes('"step":999999'), 5000, 'the streamed record');
  assert.match(sse.text, /event: warning/);
  await sse.close();
  assert.equal((await fetch(new URL('/api/health', d.url))).status, 200);
});

test('a half-written PNG is skipped with a warning, then shown once complete', async () => {
  const png = encodePng({ width: 8, height: 8, channels: 3, data: new Uint8Array(8 * 8 * 3).fill(200) });
  const path = join(base, 'runs', 'fz', 'samples', 'step-0000010.png');
  writeFileSync(path, png.subarray(0, png.length - 20));
  d.index.touch('fz');
  let detail = (await (await fetch(new URL('/api/runs/fz', d.url))).json()) as { samples: unknown[]; warnings: string[] };
  assert.equal(detail.samples.length, 0);
  assert.ok(detail.warnings.some((w) => /step-0000010\.png: not a complete PNG/.test(w)), detail.warnings.slice(-3).join('\n'));
  writeFileSync(path, png);
  d.index.touch('fz');
  detail = (await (await fetch(new URL('/api/runs/fz', d.url))).json()) as { samples: { step: number; image: string }[]; warnings: string[] };
  assert.deepEqual(detail.samples, [{ step: 10, image: 'samples/step-0000010.png' }]);
  const r = await fetch(new URL('/api/files/fz/samples/step-0000010.png', d.url));
  assert.deepEqual(Buffer.from(await r.arrayBuffer()), readFileSync(path));
});
