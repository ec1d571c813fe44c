/** The IDX reader: round trips of hand-made files (all element types, gzip), and clear errors. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { torch } from '../../src/tensor/index.ts';
import { parseIdx, readIdx, readIdxTensor } from '../../src/data/index.ts';

/** Writes an IDX file by hand (big-endian), independent of the reader. */
function makeIdx(type: number, shape: number[], values: number[]): Buffer {
  const size = { 0x08: 1, 0x09: 1, 0x0b: 2, 0x0c: 4, 0x0d: 4, 0x0e: 8 }[type]!;
  const b = Buffer.alloc(4 + 4 * shape.length + size * values.length);
  b[2] = type;
  b[3] = shape.length;
  shape.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
  let o = 4 + 4 * shape.length;
  for (const v of values) {
    if (type === 0x08) b.writeUInt8(v, o);
    else if (type === 0x09) b.writeInt8(v, o);
    else if (type === 0x0b) b.writeInt16BE(v, o);
    else if (type === 0x0c) b.writeInt32BE(v, o);
    else if (type === 0x0d) b.writeFloatBE(v, o);
    else b.writeDoubleBE(v, o);
    o += size;
  }
  return b;
}

describe('readIdx', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'genlab-idx-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('every element type round-trips, big-endian, with its shape', () => {
    const vals = [0, 1, -2, 3, 100, -7];
    for (const [type, dtype, v] of [
      [0x08, 'uint8', [0, 1, 2, 3, 255, 7]],
      [0x09, 'int8', vals],
      [0x0b, 'int16', [0, 1, -2, 3, 30000, -7]],
      [0x0c, 'int32', [0, 1, -2, 3, 2e9, -7]],
      [0x0d, 'float32', [0.5, 1, -2.25, 3, 100, -7]],
      [0x0e, 'float64', [0.1, 1, -2, 3, 1e300, -7]],
    ] as const) {
      const r = parseIdx(makeIdx(type, [2, 3], [...v]), `t${type}`);
      assert.equal(r.dtype, dtype);
      assert.deepEqual(r.shape, [2, 3]);
      assert.deepEqual(Array.from(r.data as ArrayLike<number>), [...v]);
    }
  });
  test('gzipped files are read the same; readIdxTensor makes a tensor of that shape', () => {
    const raw = makeIdx(0x08, [2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
    writeFileSync(join(dir, 'a-idx3-ubyte'), raw);
    writeFileSync(join(dir, 'a-idx3-ubyte.gz'), gzipSync(raw));
    assert.deepEqual(readIdx(join(dir, 'a-idx3-ubyte.gz')), readIdx(join(dir, 'a-idx3-ubyte')));
    torch.scope(() => {
      const t = readIdxTensor(join(dir, 'a-idx3-ubyte.gz'));
      assert.equal(t.dtype, 'uint8');
      assert.deepEqual(t.toArray(), [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]);
    });
  });
  test('bad magic, unknown type, truncation and trailing bytes are errors naming the file', () => {
    const good = makeIdx(0x08, [3, 4], Array.from({ length: 12 }, (_, i) => i));
    const p = join(dir, 'bad-file-idx');
    const expectError = (bytes: Uint8Array, re: RegExp) => {
      writeFileSync(p, bytes);
      assert.throws(() => readIdx(p), (e: Error) => re.test(e.message) && e.message.includes(p), re.source);
    };
    const badMagic = Buffer.from(good);
    badMagic[0] = 0x12;
    expectError(badMagic, /bad magic 12 00 08 02/);
    const badType = Buffer.from(good);
    badType[2] = 0x42;
    expectError(badType, /unknown IDX element type 0x42/);
    expectError(good.subarray(0, good.length - 1), /truncated IDX data: shape \[3, 4\] of uint8 needs 24 bytes, the file has 23/);
    expectError(good.subarray(0, 6), /truncated IDX header/);
    expectError(Buffer.concat([good, Buffer.from([1, 2])]), /2 unexpected trailing bytes/);
    expectError(gzipSync(good).subarray(0, 20), /corrupt or truncated gzip/);
    expectError(gzipSync(good.subarray(0, 20)), /truncated IDX data/);
    assert.throws(() => readIdx(join(dir, 'missing')), /readIdx: cannot read .*missing/);
  });
});
