/**
 * A small Fashion-MNIST conv net whose penultimate layer (128 ReLU features) serves as the feature
 * space for FID-style metrics on 28×28 grey images (the role Inception-v3 plays for ImageNet-scale
 * images). Weights: src/metrics/weights/fmnist-classifier.safetensors, made by train-classifier.ts.
 *
 * Input convention: images [N, 1, 28, 28], float in [0, 1] (uint8 0..255 is converted).
 */
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { torch, type Tensor } from '../tensor/index.ts';
import { Module, Conv2d, Linear } from '../nn/index.ts';
import * as F from '../nn/functional.ts';
import { loadSafetensors } from '../io/safetensors.ts';
import { frechetDistance, precisionRecall } from './features.ts';

/** Where train-classifier.ts writes the weights and fid() reads them. */
export const CLASSIFIER_WEIGHTS = fileURLToPath(new URL('./weights/fmnist-classifier.safetensors', import.meta.url));

/** conv3x3(1→32) relu pool2 → conv3x3(32→64) relu pool2 → linear(3136→128) relu [features] → linear(128→10). */
export class FeatureClassifier extends Module {
  readonly conv1: Conv2d;
  readonly conv2: Conv2d;
  readonly fc1: Linear;
  readonly fc2: Linear;
  static readonly featureDim = 128;

  constructor() {
    super();
    this.conv1 = this.registerModule('conv1', new Conv2d(1, 32, 3, { padding: 1 }));
    this.conv2 = this.registerModule('conv2', new Conv2d(32, 64, 3, { padding: 1 }));
    this.fc1 = this.registerModule('fc1', new Linear(64 * 7 * 7, FeatureClassifier.featureDim));
    this.fc2 = this.registerModule('fc2', new Linear(FeatureClassifier.featureDim, 10));
  }
  /** Penultimate-layer features [N, 128] of images in [0, 1] (uint8 accepted). */
  features(images: Tensor): Tensor {
    const x = prepare(images);
    const h1 = F.maxPool2d(this.conv1.forward(x).relu(), 2);
    const h2 = F.maxPool2d(this.conv2.forward(h1).relu(), 2);
    return this.fc1.forward(h2.flatten(1)).relu();
  }
  /** Class logits [N, 10]. */
  forward(images: Tensor): Tensor {
    return this.fc2.forward(this.features(images));
  }
}

function prepare(images: Tensor): Tensor {
  const x = images.dtype === 'uint8' ? images.to('float32').div(255) : images.to('float32');
  if (x.dim() === 3) return x.unsqueeze(1);
  if (x.dim() !== 4 || x.size(1) !== 1 || x.size(2) !== 28 || x.size(3) !== 28) {
    throw new RangeError(`FeatureClassifier: expected images [N, 1, 28, 28], got [${images.shape.join(', ')}]`);
  }
  return x;
}

/** The trained classifier (eval mode); the caller disposes it. */
export function loadFeatureClassifier(path = CLASSIFIER_WEIGHTS): FeatureClassifier {
  if (!existsSync(path)) {
    throw new Error(`feature classifier weights not found at ${path}; train them with \`npx tsx src/metrics/train-classifier.ts\` (needs Fashion-MNIST: apt-get install dataset-fashion-mnist)`);
  }
  const net = new FeatureClassifier();
  torch.scope(() => net.loadStateDict(loadSafetensors(path).tensors));
  return net.eval();
}

/** Features of many images, in batches without gradient: [N, 128] float32 in the caller's scope. */
export function classifierFeatures(net: FeatureClassifier, images: Tensor, batchSize = 500): Tensor {
  const n = images.size(0);
  const parts: Tensor[] = [];
  for (let s = 0; s < n; s += batchSize) {
    parts.push(torch.scope(() => torch.noGrad(() => net.features(images.narrow(0, s, Math.min(batchSize, n - s))))));
  }
  const out = torch.cat(parts, 0);
  parts.forEach((p) => p.dispose());
  return out;
}

/** Accuracy of the classifier on labelled images. */
export function classifierAccuracy(net: FeatureClassifier, images: Tensor, labels: Tensor, batchSize = 500): number {
  const n = images.size(0);
  let correct = 0;
  for (let s = 0; s < n; s += batchSize) {
    const m = Math.min(batchSize, n - s);
    correct += torch.scope(() => torch.noGrad(() => net.forward(images.narrow(0, s, m)).argmax(1).eq(labels.narrow(0, s, m)).sum().item()));
  }
  return correct / n;
}

function withClassifier<T>(given: FeatureClassifier | undefined, fn: (net: FeatureClassifier) => T): T {
  const net = given ?? loadFeatureClassifier();
  try {
    return fn(net);
  } finally {
    if (!given) net.dispose();
  }
}

/**
 * Fréchet distance between real and generated 28×28 images in the classifier's feature space
 * ("FID" with the Fashion-MNIST classifier instead of Inception; comparable only with itself).
 * Images [N, 1, 28, 28] in [0, 1] or uint8. Pass `classifier` to reuse a loaded one.
 */
export function fid(realImages: Tensor, fakeImages: Tensor, options: { classifier?: FeatureClassifier; batchSize?: number } = {}): number {
  return withClassifier(options.classifier, (net) =>
    torch.scope(() => frechetDistance(classifierFeatures(net, realImages, options.batchSize), classifierFeatures(net, fakeImages, options.batchSize))),
  );
}

/** Improved precision/recall (k-NN manifolds) of images in the classifier's feature space. */
export function imagePrecisionRecall(realImages: Tensor, fakeImages: Tensor, options: { k?: number; classifier?: FeatureClassifier } = {}): { precision: number; recall: number } {
  return withClassifier(options.classifier, (net) =>
    torch.scope(() => precisionRecall(classifierFeatures(net, realImages), classifierFeatures(net, fakeImages), options.k ?? 3)),
  );
}
