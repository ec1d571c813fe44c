import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, openSync, renameSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonlTail, MAX_LINE_BYTES, lastRecord, parseMetricsLine } from '../../src/server/tail.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'genlab-tail-'));

test('parseMetricsLine: objects with a numeric step; null means NaN; other types dropped', () => {
  assert.deepEqual(parseMetricsLine('{"step":3,"loss":1.5,"name":"x","nonFinite":1}'), { step: 3, loss: 1.5, nonFinite: 1 });
  const r = parseMetricsLine('{"step":4,"loss":null}') as Record<string, number>;
  assert.ok(Number.isNaN(r.loss));
  assert.match(parseMetricsLine('[1,2]') as string, /not a JSON object/);
  assert.match(parseMetricsLine('{"loss":1}') as string, /no numeric 'step'/);
  assert.match(parseMetricsLine('{"step":"7"}') as string, /no numeric 'step'/);
  assert.match(parseMetricsLine('{"step":1,') as string, /not JSON/);
  assert.match(parseMetricsLine('['.repeat(200_000)) as string, /not JSON/); // deep nesting: an error, not a crash
});

test('JsonlTail follows appends by offset, holds a torn line, and never rereads old bytes', () => {
  const d = tmp();
  const p = join(d, 'metrics.jsonl');
  const t = new JsonlTail(p);
  assert.deepEqual(t.poll(), { rows: [], warnings: [], reset: false }); // no file yet
  writeFileSync(p, '{"step":1,"loss":2}\n{"step":2,"lo');
  let r = t.poll();
  assert.deepEqual(r.rows, [{ step: 1, loss: 2 }]);
  assert.equal(t.offset, Buffer.byteLength('{"step":1,"loss":2}\n{"step":2,"lo'));
  appendFileSync(p, 'ss":1.5}\nnot json\n{"step":3,"loss":1}\n');
  r = t.poll();
  assert.deepEqual(r.rows, [{ step: 2, loss: 1.5 }, { step: 3, loss: 1 }]);
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0]!, /byte 42: not JSON/);
  // Overwrite the first line in place (same length, same inode): a tail that reread would see it.
  const fd = openSync(p, 'r+');
  writeSync(fd, Buffer.from('XXXXXXXXXXXXXXXXXXX'), 0, 19, 0);
  closeSync(fd);
  appendFileSync(p, '{"step":4,"loss":0.5}\n');
  r = t.poll();
  assert.deepEqual(r.rows, [{ step: 4, loss: 0.5 }]);
  assert.deepEqual(r.warnings, []);
  rmSync(d, { recursive: true });
});

test('JsonlTail starts over when the file is replaced or truncated', () => {
  const d = tmp();
  const p = join(d, 'metrics.jsonl');
  writeFileSync(p, '{"step":1,"loss":3}\n{"step":2,"loss":2}\n');
  const t = new JsonlTail(p);
  assert.equal(t.poll().rows.length, 2);
  writeFileSync(join(d, 'new'), '{"step":1,"loss":3}\n');
  renameSync(join(d, 'new'), p); // what resume's truncateMetrics does (atomic replace)
  let r = t.poll();
  assert.equal(r.reset, true);
  assert.deepEqual(r.rows, [{ step: 1, loss: 3 }]);
  writeFileSync(p, ''); // truncated in place
  r = t.poll();
  assert.equal(r.reset, true);
  assert.deepEqual(r.rows, []);
  rmSync(d, { recursive: true });
});

test('JsonlTail drops an over-long line with a warning and resumes at the next newline', () => {
  const d = tmp();
  const p = join(d, 'metrics.jsonl');
  const t = new JsonlTail(p);
  writeFileSync(p, 'x'.repeat(MAX_LINE_BYTES + 10));
  let r = t.poll();
  assert.equal(r.rows.length, 0);
  assert.match(r.warnings[0]!, /longer than/);
  appendFileSync(p, 'yyyy\n{"step":9,"loss":1}\n');
  r = t.poll();
  assert.deepEqual(r.rows, [{ step: 9, loss: 1 }]);
  assert.deepEqual(r.warnings, []);
  rmSync(d, { recursive: true });
});

test('lastRecord reads only the tail window and skips a torn last line', () => {
  const d = tmp();
  const p = join(d, 'metrics.jsonl');
  const lines = Array.from({ length: 5000 }, (_, i) => JSON.stringify({ step: i + 1, loss: 1 / (i + 1) }));
  writeFileSync(p, `garbage that is outside the window\n${lines.join('\n')}\n{"step":5001,"lo`);
  assert.deepEqual(lastRecord(p, 4096), { step: 5000, loss: 1 / 5000 });
  assert.equal(lastRecord(join(d, 'missing')), null);
  rmSync(d, { recursive: true });
});
