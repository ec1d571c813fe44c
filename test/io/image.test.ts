import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { torch } from '../../src/tensor/index.ts';
import {
  Canvas,
  BLACK,
  composeSideBySide,
  decodePng,
  imageGrid,
  imageToTensor,
  loadPng,
  saveImage,
  saveImageGrid,
  textWidth,
} from '../../src/io/index.ts';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'genlab-img-'));

test('imageGrid: torchvision make_grid layout, padding and value mapping', () => {
  torch.scope(() => {
    // 5 images 3x4x3 (C,H,W), image k filled with value k/4 in channel 0, 1 - k/4 in channel 1, 0.5 in channel 2.
    const imgs = torch.stack(Array.from({ length: 5 }, (_, k) =>
      torch.stack([torch.full([4, 3], k / 4, { dtype: 'float32' }), torch.full([4, 3], 1 - k / 4, { dtype: 'float32' }), torch.full([4, 3], 0.5, { dtype: 'float32' })])));
    const g = imageGrid(imgs, { nrow: 3, padding: 2, padValue: 1 });
    assert.equal(g.width, 3 * (3 + 2) + 2);
    assert.equal(g.height, 2 * (4 + 2) + 2);
    for (let k = 0; k < 5; k++) {
      const x0 = (k % 3) * 5 + 2, y0 = Math.floor(k / 3) * 6 + 2;
      const want = [Math.round((k / 4) * 255), Math.round((1 - k / 4) * 255), 128, 255];
      for (const [dx, dy] of [[0, 0], [2, 3], [1, 2]]) assert.deepEqual(g.get(x0 + dx!, y0 + dy!), want, `image ${k}`);
      // The pixels just outside the image are padding.
      assert.deepEqual(g.get(x0 - 1, y0), [255, 255, 255, 255]);
      assert.deepEqual(g.get(x0 + 3, y0 + 3), [255, 255, 255, 255]);
      assert.deepEqual(g.get(x0, y0 + 4), [255, 255, 255, 255]);
    }
    // The empty sixth cell is padding color.
    assert.deepEqual(g.get(2 * 5 + 3, 6 + 4), [255, 255, 255, 255]);
    // scale: nearest-neighbour upscaling of the whole grid.
    const s = imageGrid(imgs, { nrow: 3, padding: 2, scale: 3 });
    assert.equal(s.width, 17 * 3);
    assert.deepEqual(s.get(2 * 3 + 2, 2 * 3 + 1), g.get(2, 2));
    assert.deepEqual(s.get(0, 0), [0, 0, 0, 255]); // default padValue 0
  });
});

test('imageGrid: ranges [-1, 1] and auto, gray images, NaN and clamping', () => {
  torch.scope(() => {
    const x = torch.tensor([[[[-1, 0, 1, 3, NaN, -5]]]]); // [1,1,1,6]
    const g = imageGrid(x, { padding: 0, range: [-1, 1] });
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((i) => g.get(i, 0)[0]), [0, 128, 255, 255, 128, 0]);
    assert.deepEqual(g.get(1, 0), [128, 128, 128, 255]); // gray replicated
    const a = imageGrid(torch.tensor([[[[2, 4, 6]]]]), { padding: 0, range: 'auto' });
    assert.deepEqual([0, 1, 2].map((i) => a.get(i, 0)[0]), [0, 128, 255]);
    assert.equal(a.toImage().channels, 1);
    assert.throws(() => imageGrid(torch.zeros([2, 2, 4, 4])), /C must be 1, 3 or 4/);
    assert.throws(() => imageGrid(torch.zeros([4, 4])), /\[N, C, H, W\]/);
    assert.throws(() => imageGrid(torch.zeros([1, 1, 2, 2]), { range: [1, 1] }), /high > low/);
  });
});

test('saveImageGrid / saveImage / loadPng / imageToTensor round trip, no leaks', () => {
  const dir = tmp();
  const before = torch.memory().tensors;
  torch.scope(() => {
    torch.manualSeed(3);
    const imgs = torch.rand([6, 3, 8, 5]);
    const q = imgs.mul(255).round().div(255); // exactly representable in 8 bits
    saveImageGrid(join(dir, 'g.png'), q, { nrow: 2, padding: 1 });
    const png = loadPng(join(dir, 'g.png'));
    assert.equal(png.width, 2 * 6 + 1);
    assert.equal(png.height, 3 * 9 + 1);
    const t = imageToTensor(png); // [3, H, W]
    // Image 3 (row 1, col 1) sits at x = 1 + 6, y = 1 + 9.
    const crop = t.narrow(1, 10, 8).narrow(2, 7, 5);
    assert.ok(crop.sub(q.select(0, 3)).abs().max().item() < 1e-6);
    saveImage(join(dir, 'one.png'), q.select(0, 0).select(0, 0)); // [H, W] gray
    const one = decodePng(readFileSync(join(dir, 'one.png')));
    assert.equal(one.channels, 1);
    assert.deepEqual([one.width, one.height], [5, 8]);
  });
  assert.equal(torch.memory().tensors, before);
});

test('canvas: rect, line, dot, text and compose', () => {
  const c = new Canvas(40, 20);
  c.rect(2, 3, 4, 5, [255, 0, 0]);
  assert.deepEqual(c.get(2, 3), [255, 0, 0, 255]);
  assert.deepEqual(c.get(5, 7), [255, 0, 0, 255]);
  assert.deepEqual(c.get(6, 7), [255, 255, 255, 255]);
  // A horizontal 1-px line through pixel centers covers exactly one row.
  c.line(10, 10.5, 30, 10.5, BLACK);
  assert.deepEqual(c.get(20, 10), [0, 0, 0, 255]);
  assert.deepEqual(c.get(20, 12), [255, 255, 255, 255]);
  // Anti-aliased dot: center fully covered, symmetric falloff.
  const d = new Canvas(11, 11);
  d.dot(5.5, 5.5, 2.2, BLACK);
  assert.deepEqual(d.get(5, 5), [0, 0, 0, 255]);
  assert.deepEqual(d.get(3, 5), d.get(7, 5));
  assert.deepEqual(d.get(5, 3), d.get(5, 7));
  assert.ok(d.get(3, 5)[0] > 0 && d.get(3, 5)[0] < 255, 'edge pixel partly covered');
  assert.deepEqual(d.get(0, 0), [255, 255, 255, 255]);
  // Text: '1' glyph's stem is column 2 of the 5x7 cell.
  const t = new Canvas(20, 10);
  assert.equal(t.text(1, 1, '1', BLACK), 5);
  assert.deepEqual(t.get(3, 4), [0, 0, 0, 255]);
  assert.deepEqual(t.get(1, 4), [255, 255, 255, 255]);
  assert.equal(textWidth('12.5', 2), (4 * 6 - 1) * 2);
  const side = composeSideBySide([c, d], { gap: 3 });
  assert.equal(side.width, 40 + 3 + 11);
  assert.equal(side.height, 20);
  assert.deepEqual(side.get(43 + 5, 5), [0, 0, 0, 255]);
  assert.deepEqual(side.get(41, 5), [255, 255, 255, 255]);
});
