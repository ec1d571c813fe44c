import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderShapes, loadShapes, getDataset } from '../../src/data/index.ts';

test('shapes: deterministic 32x32 RGB images, labels 0..2, the shape covers a plausible area of a colour unlike the background', () => {
  const a = renderShapes(30, 7);
  const b = renderShapes(30, 7);
  assert.deepEqual(a.pixels, b.pixels);
  assert.notDeepEqual(renderShapes(30, 8).pixels, a.pixels);
  assert.equal(a.pixels.length, 30 * 3 * 32 * 32);
  assert.ok([...a.labels].every((l) => l >= 0 && l <= 2));
  assert.equal(new Set(a.labels).size, 3);
  for (let i = 0; i < 30; i++) {
    // The corner pixel is background (shapes keep away from the corner's exact colour in most images);
    // count pixels that differ from it.
    const px = (c: number, y: number, x: number) => a.pixels[((i * 3 + c) * 32 + y) * 32 + x]!;
    let differ = 0;
    for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) if ([0, 1, 2].some((c) => Math.abs(px(c, y, x) - px(c, 0, 0)) > 10)) differ++;
    assert.ok(differ > 15 && differ < 700, `image ${i}: ${differ} shape pixels`);
  }
  const set = loadShapes('test', 4);
  try {
    assert.deepEqual(set.images.shape, [4, 3, 32, 32]);
    assert.equal(set.images.dtype, 'uint8');
  } finally {
    set.dispose();
  }
  assert.deepEqual(getDataset('shapes').kind === 'image' && getDataset('shapes').shape, [3, 32, 32]);
});
