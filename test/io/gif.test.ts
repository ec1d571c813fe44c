import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GifReader } from 'omggif';
import { torch } from '../../src/tensor/index.ts';
import { Canvas, GIF_PALETTE, decodeGif, encodeGif, encodePng, paletteIndex, saveGif } from '../../src/io/index.ts';

const CHROMIUM = process.env.GENLAB_CHROMIUM ?? '/usr/bin/chromium';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24);
}

/** Frames: a smooth gradient (long LZW runs) and random noise (fills the 4096-code table, forcing clears). */
function frames(): Canvas[] {
  const r = lcg(11);
  const a = new Canvas(120, 90), b = new Canvas(120, 90), c = new Canvas(120, 90);
  for (let y = 0; y < 90; y++) {
    for (let x = 0; x < 120; x++) {
      a.set(x, y, [x * 2, y * 2, 128]);
      b.set(x, y, [r(), r(), r()]);
      c.set(x, y, [(x * 7) & 255, (x * 7) & 255, (x * 7) & 255]);
    }
  }
  c.dot(60, 45, 10, [255, 0, 0, 128]); // translucent: composited over white
  return [a, b, c];
}

/** What encodeGif should store: palette indices of each frame (alpha composited over white). */
function expectedIndices(c: Canvas): Uint8Array {
  const out = new Uint8Array(c.width * c.height);
  for (let p = 0; p < out.length; p++) {
    const a = c.data[4 * p + 3]! / 255;
    const ch = (k: number): number => c.data[4 * p + k]! * a + 255 * (1 - a);
    out[p] = paletteIndex(ch(0), ch(1), ch(2));
  }
  return out;
}

test('gif: palette holds the cube and the gray ramp; nearest index is sane', () => {
  assert.equal(GIF_PALETTE.length, 768);
  assert.deepEqual([...GIF_PALETTE.subarray(0, 3)], [0, 0, 0]);
  assert.deepEqual([...GIF_PALETTE.subarray(3 * 215, 3 * 216)], [255, 255, 255]);
  assert.equal(paletteIndex(255, 0, 0), 5 * 36);
  const g = paletteIndex(115, 115, 115); // cube gray 102 is 13 away, ramp gray 118 is 3 away
  assert.ok(g >= 216, 'this gray uses the gray ramp');
  assert.equal(GIF_PALETTE[3 * g], 118);
});

test('gif: header, loop extension, delays and LZW frames decode back exactly', () => {
  const fs = frames();
  const buf = encodeGif(fs, { delayMs: 120, loop: 0 });
  assert.equal(buf.toString('latin1', 0, 6), 'GIF89a');
  assert.equal(buf.readUInt16LE(6), 120);
  assert.equal(buf.readUInt16LE(8), 90);
  assert.equal(buf[buf.length - 1], 0x3b);
  const g = decodeGif(buf);
  assert.equal(g.width, 120);
  assert.equal(g.height, 90);
  assert.equal(g.loop, 0);
  assert.equal(g.frames.length, 3);
  fs.forEach((f, i) => {
    assert.equal(g.frames[i]!.delayMs, 120);
    assert.deepEqual(g.frames[i]!.indices, expectedIndices(f), `frame ${i}`);
  });
  assert.equal(decodeGif(encodeGif(fs.slice(0, 1), { loop: 3, delayMs: 40 })).loop, 3);
});

/**
 * Counts the clear codes of one frame's LZW stream (data from the code-size byte: sub-blocks follow). Only
 * the code widths are tracked (a table entry is added for every code after the first since a clear, the
 * width grows when the next entry reaches 2^width, up to 12 bits), which is all GIF needs to split codes.
 */
function lzwCodeCounts(buf: Uint8Array, offset: number): { clears: number; codes: number; endedAtEoi: boolean; invalid?: string } {
  const minCode = buf[offset]!;
  const bytes: number[] = [];
  for (let p = offset + 1; buf[p]! !== 0; p += buf[p]! + 1) bytes.push(...buf.subarray(p + 1, p + 1 + buf[p]!));
  const clear = 1 << minCode, eoi = clear + 1;
  let width = minCode + 1, next = eoi + 1, afterClear = true, bit = 0, clears = 0, codes = 0;
  while (bit + width <= bytes.length * 8) {
    let code = 0;
    for (let k = 0; k < width; k++, bit++) code |= ((bytes[bit >> 3]! >> (bit & 7)) & 1) << k;
    codes++;
    if (code === clear) {
      clears++;
      width = minCode + 1;
      next = eoi + 1;
      afterClear = true;
      continue;
    }
    if (code === eoi) return { clears, codes, endedAtEoi: bytes.length * 8 - bit < 8 };
    // A code names a literal or an existing entry, or (KwKwK) the entry being made: never more.
    if (afterClear ? code >= clear : code > next) return { clears, codes, endedAtEoi: false, invalid: `code ${code} at code ${codes} (next entry ${next})` };
    if (!afterClear && next < 4096) {
      next++;
      if (next === 1 << width && width < 12) width++;
    }
    afterClear = false;
  }
  return { clears, codes, endedAtEoi: false };
}

test('gif: a second decoder (omggif) reads every frame to the expected pixels, delays and loop; noise forces clear codes', () => {
  const [grad, noise, gray] = frames();
  const fs = [grad!, noise!, gray!];
  const buf = encodeGif(fs, { delayMs: 120, loop: 0 });
  const reader = new GifReader(new Uint8Array(buf));
  assert.deepEqual([reader.width, reader.height, reader.numFrames(), reader.loopCount()], [120, 90, 3, 0]);
  fs.forEach((f, i) => {
    // The stream is checked first: omggif can loop forever on invalid codes.
    const lz = lzwCodeCounts(buf, reader.frameInfo(i).data_offset);
    assert.equal(lz.invalid, undefined, `frame ${i}: invalid LZW stream`);
    assert.ok(lz.endedAtEoi, `frame ${i}: the LZW stream ends with its end code`);
    // Expected pixels straight from the palette, independent of decodeGif.
    const want = Uint8Array.from(Array.from(expectedIndices(f), (k) => [GIF_PALETTE[3 * k]!, GIF_PALETTE[3 * k + 1]!, GIF_PALETTE[3 * k + 2]!, 255]).flat());
    const got = new Uint8Array(120 * 90 * 4);
    reader.decodeAndBlitFrameRGBA(i, got);
    const bad = want.findIndex((v, j) => got[j] !== v);
    assert.equal(bad, -1, `frame ${i}: first wrong byte at ${bad} (pixel ${bad >> 2})`);
    assert.equal(reader.frameInfo(i).delay, 12, `frame ${i}: delay in 1/100 s`);
    // One clear code opens each stream; 10,800 random pixels need about 10,000 codes, more than the 3838
    // free entries of a 12-bit table: the encoder must clear the full table and start over, twice.
    if (i === 1) assert.ok(lz.clears >= 3, `noise frame: ${lz.clears} clear codes in ${lz.codes} codes`);
    else assert.equal(lz.clears, 1, `frame ${i}: ${lz.clears} clear codes`);
  });
  const one = new GifReader(new Uint8Array(encodeGif(fs.slice(0, 1), { loop: 3, delayMs: 40 })));
  assert.deepEqual([one.numFrames(), one.loopCount(), one.frameInfo(0).delay], [1, 3, 4]);
});

test('gif: tensor frames [T, C, H, W], scaling, size checks; saveGif writes the file', () => {
  const dir = tmp();
  torch.scope(() => {
    const t = torch.linspace(0, 1, 4).view([4, 1, 1, 1]).expand([4, 3, 5, 6]);
    saveGif(join(dir, 'a.gif'), t, { delayMs: 50, scale: 2 });
    const g = decodeGif(readFileSync(join(dir, 'a.gif')));
    assert.deepEqual([g.width, g.height, g.frames.length], [12, 10, 4]);
    assert.deepEqual([...g.frames[0]!.rgba.subarray(0, 4)], [0, 0, 0, 255]);
    assert.deepEqual([...g.frames[3]!.rgba.subarray(0, 4)], [255, 255, 255, 255]);
    assert.equal(g.frames[1]!.delayMs, 50);
  });
  assert.throws(() => encodeGif([new Canvas(2, 2), new Canvas(3, 2)]), /frame 1 is 3x2/);
  assert.throws(() => encodeGif([]), /no frames/);
});

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'genlab-gif-'));
}

test('gif and png: Chromium decodes our files to the same pixels', { skip: existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}` }, async () => {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--force-color-profile=srgb'] });
  try {
    const page = await browser.newPage();
    // Noise first: frame 0 (the one every decoder shows) then exercises table-full clear codes.
    const [grad, noise, gray] = frames();
    const fs = [noise!, grad!, gray!];
    const gif = encodeGif(fs, { delayMs: 100 });
    // Expected pixels straight from the palette, independent of decodeGif.
    const want = fs.map((f) => Array.from(expectedIndices(f), (k) => [GIF_PALETTE[3 * k]!, GIF_PALETTE[3 * k + 1]!, GIF_PALETTE[3 * k + 2]!, 255]).flat());
    const png = encodePng(fs[0]!.toImage());
    // Plain JS source (a string, so that the TS transform adds no helpers the page lacks).
    const got = (await page.evaluate(`(async ({ gif64, png64 }) => {
      const load = async (src) => {
        const img = new Image();
        img.src = src;
        await img.decode();
        const cv = document.createElement('canvas');
        cv.width = img.width;
        cv.height = img.height;
        const ctx = cv.getContext('2d');
        ctx.drawImage(img, 0, 0);
        return Array.from(ctx.getImageData(0, 0, img.width, img.height).data);
      };
      const out = { png: await load('data:image/png;base64,' + png64), gifFrames: [] };
      const bytes = Uint8Array.from(atob(gif64), (ch) => ch.charCodeAt(0));
      if (window.ImageDecoder) {
        const dec = new ImageDecoder({ data: bytes.buffer, type: 'image/gif' });
        for (let i = 0; i < 3; i++) {
          const { image } = await dec.decode({ frameIndex: i });
          const cv = document.createElement('canvas');
          cv.width = image.displayWidth;
          cv.height = image.displayHeight;
          const ctx = cv.getContext('2d');
          ctx.drawImage(image, 0, 0);
          out.gifFrames.push(Array.from(ctx.getImageData(0, 0, cv.width, cv.height).data));
          image.close();
        }
      } else {
        out.gifFrames.push(await load('data:image/gif;base64,' + gif64));
      }
      return out;
    })(${JSON.stringify({ gif64: gif.toString('base64'), png64: png.toString('base64') })})`)) as { png: number[]; gifFrames: number[][] };
    assert.deepEqual(got.png, Array.from(fs[0]!.data), 'PNG pixels');
    assert.ok(got.gifFrames.length >= 1);
    if (got.gifFrames.length < 3) console.log(`# Chromium has no ImageDecoder here: checked GIF frame 0 only (omggif checks every frame above)`);
    got.gifFrames.forEach((f, i) => assert.deepEqual(f, want[i], `GIF frame ${i}`));
  } finally {
    await browser.close();
  }
});
