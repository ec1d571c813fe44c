/**
 * The computer operator's pure parts: pointer paths, key names to keysyms and keycodes, screenshot downscaling,
 * and PNG encoding with a fixed filter (lossless, checked by decoding).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boxDownscale, charKeysym, decodePng, encodePng, findKeycode, humanPath, keysymOf, minimumJerk, mulberry32, spareKeycode } from '../../src/agent/index.ts';

test('minimumJerk: 0 -> 0, 1 -> 1, symmetric, zero slope at both ends (finite differences)', () => {
  assert.equal(minimumJerk(0), 0);
  assert.equal(minimumJerk(1), 1);
  for (const t of [0.1, 0.25, 0.4]) assert.ok(Math.abs(minimumJerk(t) + minimumJerk(1 - t) - 1) < 1e-12);
  const h = 1e-4;
  assert.ok(Math.abs((minimumJerk(h) - minimumJerk(0)) / h) < 1e-6);
  assert.ok(Math.abs((minimumJerk(1) - minimumJerk(1 - h)) / h) < 1e-6);
  // The peak speed, 15/8 at t = 1/2.
  assert.ok(Math.abs((minimumJerk(0.5 + h) - minimumJerk(0.5 - h)) / (2 * h) - 15 / 8) < 1e-6);
});

test('humanPath: ends exactly at the target, stays near the line, slow-fast-slow, reproducible by seed', () => {
  const from = { x: 100, y: 700 };
  const to = { x: 1100, y: 150 };
  const p = humanPath(from, to, mulberry32(7));
  const q = humanPath(from, to, mulberry32(7));
  assert.deepEqual(p, q);
  assert.notDeepEqual(p, humanPath(from, to, mulberry32(8)));
  assert.deepEqual(p[p.length - 1], to);
  const dist = Math.hypot(to.x - from.x, to.y - from.y);
  assert.equal(p.length, Math.min(60, Math.round(dist / 12)));
  // Distance from the straight line: within the bend (15 % of the distance), and not zero (a curve).
  const off = p.map((pt) => Math.abs((to.x - from.x) * (from.y - pt.y) - (from.x - pt.x) * (to.y - from.y)) / dist);
  assert.ok(Math.max(...off) <= 0.15 * dist);
  assert.ok(Math.max(...off) > 1);
  // Step lengths: small at the start and the end, largest in the middle.
  const steps = p.map((pt, i) => Math.hypot(pt.x - (i ? p[i - 1]!.x : from.x), pt.y - (i ? p[i - 1]!.y : from.y)));
  const mid = Math.max(...steps.slice(steps.length / 3, (2 * steps.length) / 3));
  assert.ok(steps[0]! < mid / 4 && steps[steps.length - 1]! < mid / 4);
  assert.deepEqual(humanPath(from, { x: 100.4, y: 700 }, mulberry32(1)), [{ x: 100.4, y: 700 }]);
});

test('keys: UI-TARS names and characters to keysyms; keycodes from a mapping table', () => {
  assert.equal(keysymOf('ctrl'), 0xffe3);
  assert.equal(keysymOf('Enter'), 0xff0d);
  assert.equal(keysymOf('pagedown'), 0xff56);
  assert.equal(keysymOf('f1'), 0xffbe);
  assert.equal(keysymOf('F12'), 0xffc9);
  assert.equal(keysymOf('C'), 0x63, "ctrl+C means the c key");
  assert.equal(keysymOf('+'), 0x2b);
  assert.throws(() => keysymOf('hyperdrive'), /unknown key 'hyperdrive'/);
  assert.equal(charKeysym('é'), 0xe9);
  assert.equal(charKeysym('✓'), 0x01002713);
  assert.equal(charKeysym('\n'), 0xff0d);
  // keycodes 8.. : 8 -> a/A, 9 -> 1/!, 10 -> nothing
  const map = [
    [0x61, 0x41],
    [0x31, 0x21],
    [0, 0],
  ];
  assert.deepEqual(findKeycode(map, 8, 0x61), { keycode: 8, shift: false });
  assert.deepEqual(findKeycode(map, 8, 0x41), { keycode: 8, shift: true });
  assert.deepEqual(findKeycode(map, 8, 0x21), { keycode: 9, shift: true });
  assert.equal(findKeycode(map, 8, 0xe9), undefined);
  assert.equal(spareKeycode(map, 8), 10);
});

test('boxDownscale averages k x k blocks', () => {
  const img = { width: 4, height: 2, data: new Uint8Array(4 * 2 * 4) };
  for (let i = 0; i < 8; i++) img.data.set([i * 10, 255 - i * 10, 7, 255], i * 4);
  const d = boxDownscale(img, 2);
  assert.equal(d.width, 2);
  assert.equal(d.height, 1);
  // Block 0: pixels 0, 1, 4, 5 -> red mean (0 + 10 + 40 + 50) / 4 = 25.
  assert.deepEqual([...d.data], [25, 230, 7, 255, 45, 210, 7, 255]);
});

test('PNG with a fixed filter decodes to the same pixels, for every filter', () => {
  const rnd = mulberry32(3);
  const img = { width: 37, height: 11, data: new Uint8Array(37 * 11 * 4) };
  for (let i = 0; i < img.data.length; i++) img.data[i] = i % 4 === 3 ? 255 : Math.floor(rnd() * 256);
  for (const filter of [0, 1, 2, 3, 4] as const) {
    const png = encodePng(img, { level: 1, filter });
    assert.deepEqual(decodePng(png).data, img.data, `filter ${filter}`);
  }
});
