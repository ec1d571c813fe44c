import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  coordinateSpaceFor,
  modelToNormalized,
  normalizedToModel,
  normalizedToScreen,
  pyRound,
  smartResize,
} from '../../src/agent/index.ts';
import { PY_DEFAULT, PY_SMALL } from './smart-resize-table.ts';
import { runReferenceScript, skipWithoutPython } from '../reference.ts';

// Expected values computed by CPython from the reference smart_resize formula (round() half-to-even,
// math.floor / math.ceil): bench/reference/smart_resize.py; the last test here checks the table is its output.

test('pyRound is Python round(): ties to even', () => {
  const table: [number, number][] = [
    [0.5, 0], [1.5, 2], [2.5, 2], [-0.5, 0], [-1.5, -2], [46.5, 46], [47.5, 48], [2.675, 3],
    [0.49999999999999994, 0], [1e15 + 0.5, 1e15], [3.5000000000000004, 4], [45.49999, 45],
  ];
  for (const [x, want] of table) assert.equal(pyRound(x), want, `round(${x})`);
});

test('smartResize matches the Python reference on every size in the table', () => {
  for (const [h, w, hb, wb] of PY_DEFAULT) {
    assert.deepEqual(smartResize(h, w), { height: hb, width: wb }, `${h}x${w}`);
  }
  for (const [h, w, hb, wb] of PY_SMALL) {
    assert.deepEqual(smartResize(h, w, { minPixels: 4 * 28 * 28, maxPixels: 1350 * 28 * 28 }), { height: hb, width: wb }, `${h}x${w}`);
  }
});

test('smartResize differs from Math.round exactly at .5 ties (the TypeScript port bug)', () => {
  const jsRound = (h: number, w: number) => [Math.max(28, Math.round(h / 28) * 28), Math.max(28, Math.round(w / 28) * 28)];
  // 1302 / 28 = 46.5: Python gives 46*28 = 1288, Math.round gives 47*28 = 1316.
  assert.deepEqual(smartResize(720, 1302), { height: 728, width: 1288 });
  assert.deepEqual(jsRound(720, 1302), [728, 1316]);
  // A model x of 644 (the middle of a 1288-wide space) is the middle of the screen, not 644/1316 of it.
  const space = coordinateSpaceFor('smart-resize', 1302, 720);
  assert.deepEqual(modelToNormalized(644, 364, space), { x: 0.5, y: 0.5 });
});

test('smartResize rejects aspect ratios over 200 and bad sizes', () => {
  assert.throws(() => smartResize(10, 2001), /aspect ratio must be smaller than 200/);
  assert.throws(() => smartResize(0, 100), /positive integers/);
  assert.throws(() => smartResize(10.5, 100), /positive integers/);
});

test('coordinate spaces: relative-1000 and smart-resize, round trip to the screen', () => {
  const rel = coordinateSpaceFor('relative-1000', 1280, 800);
  assert.deepEqual(rel, { kind: 'relative', factors: [1000, 1000] });
  assert.deepEqual(modelToNormalized(500, 250, rel), { x: 0.5, y: 0.25 });
  const abs = coordinateSpaceFor('smart-resize', 2560, 1600); // a 1280x800 viewport at DPR 2
  assert.deepEqual(abs, { kind: 'absolute', width: 2548, height: 1596 });
  const n = modelToNormalized(1274, 399, abs);
  assert.deepEqual(n, { x: 0.5, y: 0.25 });
  // The same fraction is the same place in image pixels and in CSS pixels.
  assert.deepEqual(normalizedToScreen(n, 2560, 1600), { x: 1280, y: 400 });
  assert.deepEqual(normalizedToScreen(n, 1280, 800), { x: 640, y: 200 });
  assert.deepEqual(normalizedToModel(0.5, 0.25, abs), { x: 1274, y: 399 });
});

test('the smart_resize tables are what bench/reference/smart_resize.py prints', { skip: skipWithoutPython() }, () => {
  const out = runReferenceScript('smart_resize.py') as { default: number[][]; small: number[][] };
  assert.deepEqual(PY_DEFAULT, out.default);
  assert.deepEqual(PY_SMALL, out.small);
});
