import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { annotatePng, crc32, decodePng, encodePng, pngSize, PngError, type Action, type RgbaImage } from '../../src/agent/index.ts';

/** A deterministic test image: gradients plus a little LCG noise, so every PNG filter gets chosen somewhere. */
function testImage(width: number, height: number, opaque: boolean, seed = 1): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 24);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const noisy = y % 7 === 3;
      data[i] = noisy ? rnd() : (x * 3) & 255;
      data[i + 1] = noisy ? rnd() : (y * 5) & 255;
      data[i + 2] = (x + y) & 255;
      data[i + 3] = opaque ? 255 : (x * y) & 255;
    }
  }
  return { width, height, data };
}

test('png: crc32 of a known string', () => {
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
});

test('png: encode/decode round trip, RGB and RGBA', () => {
  for (const opaque of [true, false]) {
    const img = testImage(37, 23, opaque);
    const png = encodePng(img);
    assert.deepEqual(pngSize(png), { width: 37, height: 23 });
    assert.equal(png[25], opaque ? 2 : 6, 'color type');
    const back = decodePng(png);
    assert.equal(back.width, 37);
    assert.deepEqual(Buffer.from(back.data), Buffer.from(img.data));
  }
});

/** Builds a PNG by hand with a fixed filter per row, for the decoder. */
function handPng(width: number, height: number, colorType: number, rows: number[][], filters: number[], extra: Buffer[] = []): Buffer {
  const chunk = (type: string, body: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, 'latin1'), body])));
    return Buffer.concat([len, Buffer.from(type, 'latin1'), body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = colorType;
  const raw = Buffer.concat(rows.map((r, y) => Buffer.from([filters[y]!, ...r])));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...extra.map((e) => chunk(e.subarray(0, 4).toString('latin1'), e.subarray(4))),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

test('png: decoder handles gray, gray+alpha and palette images and every filter', () => {
  // Gray 2x5, one filter type per row; raw bytes chosen so the expected pixels are easy to derive.
  // Row 0 None [10, 20]; row 1 Sub [5, 5] -> [5, 10]; row 2 Up [1, 1] -> [6, 11];
  // row 3 Average [10, 0] -> [10 + (0+6)/2 = 13, 0 + (13+11)/2 = 12]; row 4 Paeth [1, 1] -> [1 + paeth(0,13,0) = 14, 1 + paeth(14,12,13) = 1 + 13 = 14]
  const g = decodePng(handPng(2, 5, 0, [[10, 20], [5, 5], [1, 1], [10, 0], [1, 1]], [0, 1, 2, 3, 4]));
  const gray = [...g.data].filter((_, i) => i % 4 === 0);
  assert.deepEqual(gray, [10, 20, 5, 10, 6, 11, 13, 12, 14, 14]);
  const ga = decodePng(handPng(1, 1, 4, [[200, 100]], [0]));
  assert.deepEqual([...ga.data], [200, 200, 200, 100]);
  const plte = Buffer.concat([Buffer.from('PLTE', 'latin1'), Buffer.from([255, 0, 0, 0, 255, 0])]);
  const trns = Buffer.concat([Buffer.from('tRNS', 'latin1'), Buffer.from([128])]);
  const p = decodePng(handPng(2, 1, 3, [[0, 1]], [0], [plte, trns]));
  assert.deepEqual([...p.data], [255, 0, 0, 128, 0, 255, 0, 255]);
});

test('png: clear errors for what it does not read', () => {
  assert.throws(() => pngSize(Buffer.from('GIF89a not a png at all....')), PngError);
  const png = encodePng(testImage(4, 4, true));
  const sixteen = Buffer.from(png);
  sixteen[24] = 16; // bit depth
  assert.throws(() => decodePng(sixteen), /bit depth 16/);
});

test('annotate: a click marker is drawn at the click point and nowhere near the far corner', () => {
  const w = 400;
  const h = 300;
  const white: RgbaImage = { width: w, height: h, data: new Uint8Array(w * h * 4).fill(255) };
  const target = { x: 0.25, y: 0.5, box: [0.25, 0.5, 0.25, 0.5] as [number, number, number, number], model: [250, 500], raw: '(250,500)' };
  const click: Action = { type: 'click', target, source: "click(start_box='(250,500)')" };
  const out = decodePng(annotatePng(encodePng(white), [click]));
  const px = (x: number, y: number) => [...out.data.subarray((y * w + x) * 4, (y * w + x) * 4 + 3)];
  const center = px(100, 150);
  assert.ok(center[0]! > 200 && center[1]! < 80 && center[2]! < 120, `center is red: ${center}`);
  assert.deepEqual(px(390, 10), [255, 255, 255]);
  // Everything non-white lies within the marker's reach of the point.
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [r, g, b] = px(x, y);
      if (r !== 255 || g !== 255 || b !== 255) assert.ok(Math.hypot(x + 0.5 - 100, y + 0.5 - 150) < 25, `stray pixel at ${x},${y}`);
    }
  }
});
