import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as zlib from 'node:zlib';
import { crc32, decodePng, encodePng, toRgba, type Channels, type RawImage } from '../../src/io/index.ts';

/** Seeded LCG bytes. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24);
}

/** A test image mixing smooth gradients (favouring Sub/Up/Paeth filters) and noise rows. */
export function testImage(width: number, height: number, channels: Channels, seed: number): RawImage {
  const r = rng(seed);
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        data[(y * width + x) * channels + c] = y % 5 === 2 ? r() : (x * (3 + c) + y * (2 - c) * 7) & 255;
      }
    }
  }
  return { width, height, channels, data };
}

test('png: crc32 matches the standard check value and node:zlib', () => {
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
  const zcrc = (zlib as unknown as { crc32?: (b: Uint8Array, v?: number) => number }).crc32;
  const r = rng(7);
  for (const n of [1, 13, 1000, 65537]) {
    const b = Uint8Array.from({ length: n }, r);
    if (zcrc) assert.equal(crc32(b), zcrc(b), `n=${n}`);
    // Incremental use agrees with one pass.
    assert.equal(crc32(b.subarray(n >> 1), crc32(b.subarray(0, n >> 1))), crc32(b));
  }
});

test('png: encode -> decode is pixel exact for gray, gray+alpha, RGB and RGBA', () => {
  for (const channels of [1, 2, 3, 4] as Channels[]) {
    for (const [w, h] of [[1, 1], [37, 23], [64, 3], [5, 70]] as [number, number][]) {
      const img = testImage(w, h, channels, w * 31 + h + channels);
      const png = encodePng(img);
      const back = decodePng(png);
      assert.equal(back.width, w);
      assert.equal(back.height, h);
      assert.equal(back.channels, channels);
      assert.deepEqual(back.data, img.data, `${channels}ch ${w}x${h}`);
    }
  }
});

test('png: file structure (signature, IHDR fields, chunk CRCs) and adaptive filters', () => {
  const img = testImage(40, 30, 3, 1);
  const png = encodePng(img);
  assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
  assert.equal(png.toString('latin1', 12, 16), 'IHDR');
  assert.equal(png.readUInt32BE(16), 40);
  assert.equal(png.readUInt32BE(20), 30);
  assert.deepEqual([...png.subarray(24, 29)], [8, 2, 0, 0, 0]);
  // Walk the chunks and check every CRC; collect the filter bytes used.
  let pos = 8;
  const types: string[] = [];
  const idat: Buffer[] = [];
  while (pos < png.length) {
    const len = png.readUInt32BE(pos);
    const type = png.toString('latin1', pos + 4, pos + 8);
    types.push(type);
    assert.equal(png.readUInt32BE(pos + 8 + len), crc32(png.subarray(pos + 4, pos + 8 + len)), type);
    if (type === 'IDAT') idat.push(png.subarray(pos + 8, pos + 8 + len));
    pos += 12 + len;
  }
  assert.deepEqual(types, ['IHDR', 'IDAT', 'IEND']);
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const filters = new Set(Array.from({ length: 30 }, (_, y) => raw[y * (40 * 3 + 1)]));
  assert.ok(filters.size >= 2, `expected several filter types, got ${[...filters]}`);
  // A corrupted byte is caught by the CRC.
  const bad = Buffer.from(png);
  bad[40] ^= 0xff;
  assert.throws(() => decodePng(bad), /CRC mismatch/);
  assert.throws(() => decodePng(Buffer.from('not a png')), /signature/);
  assert.throws(() => encodePng({ width: 2, height: 2, channels: 3, data: new Uint8Array(5) }), /needs 12/);
});

test('png: decodes PNGs written by an independent writer (python: 16-bit RGB, palette+tRNS, 2-bit gray)', () => {
  const code = String.raw`
import struct, zlib, sys, json
def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
def png(w, h, depth, ctype, rows, extra=b''):
  raw = b''.join(b'\x00' + r for r in rows)
  return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, depth, ctype, 0, 0, 0)) + extra
          + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))
out = {}
# 16-bit RGB 3x2: value (x*1000 + y*20000 + c*7)
rows = [b''.join(struct.pack('>HHH', *[(x*1000 + y*20000 + c*7) for c in range(3)]) for x in range(3)) for y in range(2)]
out['rgb16'] = png(3, 2, 16, 2, rows).hex()
# palette 4x1 with tRNS
pal = bytes([255,0,0, 0,255,0, 0,0,255])
out['pal'] = png(4, 1, 8, 3, [bytes([0,1,2,1])], chunk(b'PLTE', pal) + chunk(b'tRNS', bytes([255, 128]))).hex()
# 2-bit gray 5x1: levels 0,1,2,3,0 packed
out['g2'] = png(5, 1, 2, 0, [bytes([0b00011011, 0b00000000])]).hex()
print(json.dumps(out))
`;
  const r = spawnSync('/usr/bin/python3', ['-c', code], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const files = JSON.parse(r.stdout) as Record<string, string>;
  const rgb16 = decodePng(Buffer.from(files.rgb16!, 'hex'));
  assert.equal(rgb16.channels, 3);
  const want16: number[] = [];
  for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) for (let c = 0; c < 3; c++) want16.push((x * 1000 + y * 20000 + c * 7) >> 8);
  assert.deepEqual([...rgb16.data], want16);
  const pal = decodePng(Buffer.from(files.pal!, 'hex'));
  assert.equal(pal.channels, 4);
  assert.deepEqual([...pal.data], [255, 0, 0, 255, 0, 255, 0, 128, 0, 0, 255, 255, 0, 255, 0, 128]);
  const g2 = decodePng(Buffer.from(files.g2!, 'hex'));
  assert.deepEqual([...g2.data], [0, 85, 170, 255, 0]);
  assert.deepEqual([...toRgba(g2).subarray(4, 8)], [85, 85, 85, 255]);
});
