/**
 * Data for training and evaluation, by data-set name (the data layer's `datasets` registry):
 * 2D toy sets are drawn on the fly from seeded generators (training and held-out points from
 * different seeds); image sets are loaded and scaled to float32 in [0, 1] (`info.range`).
 * Tensors returned are in the caller's scope (keep what you hold).
 */
import { torch, type Tensor } from '../tensor/index.ts';
import { datasets, getDataset, scalePixels } from '../data/index.ts';
import type { DataInfo } from '../models/registry.ts';
import { deriveSeed } from './seed.ts';

/** A loaded data set: training examples, held-out examples, and what models need to know. */
export interface LoadedData {
  info: DataInfo;
  train: Tensor;
  test: Tensor;
  trainLabels?: Tensor;
  testLabels?: Tensor;
  /** Exact log density of the data distribution where known (2D sets): for eval. */
  logDensity?: (x: Tensor) => Tensor;
}

export interface LoadDataOptions {
  seed?: number;
  /** Training examples to draw (synthetic sets). */
  trainSize?: number;
  /** Held-out examples to draw (synthetic sets). */
  testSize?: number;
  /** Load only the held-out split (images: skips the training split). */
  testOnly?: boolean;
}

/** Names of the data sets `genlab train --data` accepts. */
export function dataNames(): string[] {
  return Object.keys(datasets);
}

/** The kind of a data set ('2d' or 'image'), or undefined for an unknown name. */
export function dataKind(name: string): DataInfo['kind'] | undefined {
  return datasets[name]?.kind;
}

/** What a model needs to know about a data set, without loading it. */
export function dataInfo(name: string): DataInfo {
  const d = getDataset(name);
  if (d.kind === '2d') return { name, kind: '2d', shape: [2] };
  return { name, kind: 'image', shape: [...d.shape], range: [0, 1], classes: d.numClasses };
}

/** Loads (or draws) a data set. */
export async function loadData(name: string, options: LoadDataOptions = {}): Promise<LoadedData> {
  const seed = options.seed ?? 0;
  const d = getDataset(name);
  if (d.kind === '2d') {
    const gTrain = new torch.Generator({ seed: deriveSeed(seed, 'data-train') });
    const gTest = new torch.Generator({ seed: deriveSeed(seed, 'data-test') });
    return {
      info: dataInfo(name),
      train: options.testOnly ? torch.zeros([0, 2]) : d.sample(options.trainSize ?? 10_000, gTrain),
      test: d.sample(options.testSize ?? 2_000, gTest),
      ...(d.logDensity ? { logDensity: d.logDensity } : {}),
    };
  }
  const load = (split: 'train' | 'test'): { x: Tensor; y: Tensor } => {
    const set = d.load(split);
    try {
      return torch.scope(() => ({ x: scalePixels(set.images, '01'), y: set.labels.clone() }));
    } finally {
      set.dispose();
    }
  };
  const test = load('test');
  const train = options.testOnly ? { x: torch.zeros([0, ...d.shape]), y: torch.zeros([0], { dtype: 'int64' }) } : load('train');
  return { info: dataInfo(name), train: train.x, trainLabels: train.y, test: test.x, testLabels: test.y };
}
