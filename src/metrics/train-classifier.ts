/**
 * Trains the feature classifier of fid() on Fashion-MNIST and writes
 * src/metrics/weights/fmnist-classifier.safetensors and its test accuracy to weights/README.md.
 *
 *   npx tsx src/metrics/train-classifier.ts [--epochs 2] [--batch 128] [--lr 0.001] [--seed 0]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { torch } from '../tensor/index.ts';
import { Adam } from '../optim/index.ts';
import * as F from '../nn/functional.ts';
import { saveSafetensors } from '../io/safetensors.ts';
import { DataLoader, loadFashionMnist, scalePixels } from '../data/index.ts';
import { FeatureClassifier, CLASSIFIER_WEIGHTS, classifierAccuracy } from './classifier.ts';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

const epochs = arg('epochs', 2);
const batchSize = arg('batch', 128);
const lr = arg('lr', 1e-3);
const seed = arg('seed', 0);

torch.manualSeed(seed);
const train = loadFashionMnist('train');
const test = loadFashionMnist('test');
const net = new FeatureClassifier();
const opt = new Adam(net.parameters(), { lr });
const loader = new DataLoader([train.images, train.labels], { batchSize, seed, dropLast: true, transform: ([x, y]) => [scalePixels(x!), y!] });
const t0 = Date.now();
for (let e = 0; e < epochs; e++) {
  net.train();
  let sum = 0;
  let count = 0;
  for (const [x, y] of loader) {
    const loss = torch.scope(() => {
      opt.zeroGrad();
      const l = F.crossEntropy(net.forward(x!), y!);
      l.backward();
      opt.step();
      return l.item();
    });
    sum += loss;
    count++;
    if (count % 100 === 0) console.log(`epoch ${e + 1} step ${count}/${loader.numBatches} loss ${(sum / count).toFixed(4)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
  net.eval();
  console.log(`epoch ${e + 1}: train loss ${(sum / count).toFixed(4)}, test accuracy ${(classifierAccuracy(net, test.images, test.labels) * 100).toFixed(2)}%`);
}
net.eval();
const acc = classifierAccuracy(net, test.images, test.labels);
const seconds = (Date.now() - t0) / 1000;
mkdirSync(dirname(CLASSIFIER_WEIGHTS), { recursive: true });
saveSafetensors(CLASSIFIER_WEIGHTS, net.stateDict(), {
  format: 'genlab-fmnist-classifier',
  test_accuracy: acc.toFixed(4),
  epochs: String(epochs),
  batch_size: String(batchSize),
  lr: String(lr),
  seed: String(seed),
});
writeFileSync(
  join(dirname(CLASSIFIER_WEIGHTS), 'README.md'),
  `# Feature classifier for FID on 28×28 images

\`fmnist-classifier.safetensors\`: the \`FeatureClassifier\` of \`src/metrics/classifier.ts\`
(conv3x3 32 → pool → conv3x3 64 → pool → linear 128 [features] → linear 10, ${net.numParameters()} parameters),
trained by \`npx tsx src/metrics/train-classifier.ts --epochs ${epochs} --batch ${batchSize} --lr ${lr} --seed ${seed}\`
on the 60,000 Fashion-MNIST training images (pixels in [0, 1], Adam, cross-entropy) in ${seconds.toFixed(0)} s
on ${torch.getNumThreads()} CPU threads.

**Test accuracy (Fashion-MNIST, 10,000 images): ${(acc * 100).toFixed(2)}%**

\`fid(real, fake)\` is the Fréchet distance between Gaussians fitted to the 128 penultimate-layer
features; its values are comparable only with each other, not with Inception-based FID.
`,
);
console.log(`test accuracy ${(acc * 100).toFixed(2)}%, wrote ${CLASSIFIER_WEIGHTS} (${seconds.toFixed(0)} s)`);
train.dispose();
test.dispose();
opt.dispose();
net.dispose();
