/** The Fashion-MNIST feature classifier and fid() on real images. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { torch } from '../../src/tensor/index.ts';
import {
  FeatureClassifier, loadFeatureClassifier, classifierAccuracy, classifierFeatures, fid, imagePrecisionRecall, frechetDistance, precisionRecall, CLASSIFIER_WEIGHTS,
} from '../../src/metrics/index.ts';
import { loadFashionMnist, FASHION_MNIST_DIR, scalePixels } from '../../src/data/index.ts';

const HAVE_FMNIST = existsSync(join(FASHION_MNIST_DIR, 't10k-images-idx3-ubyte.gz')) || existsSync(join(FASHION_MNIST_DIR, 't10k-images-idx3-ubyte'));
const HAVE_WEIGHTS = existsSync(CLASSIFIER_WEIGHTS);

describe('FeatureClassifier', () => {
  test('shapes; uint8 and [0,1] inputs agree; bad shapes are errors', () => torch.scope(() => {
    torch.manualSeed(0);
    const net = new FeatureClassifier();
    try {
      const u8 = torch.randint(0, 256, [3, 1, 28, 28], { generator: new torch.Generator({ seed: 1 }) }).to('uint8');
      const f = net.features(u8);
      assert.deepEqual(f.shape, [3, FeatureClassifier.featureDim]);
      assert.deepEqual(net.forward(u8).shape, [3, 10]);
      assert.ok(net.features(scalePixels(u8)).sub(f).abs().max().item() < 1e-6);
      assert.throws(() => net.features(torch.zeros([2, 3, 28, 28])), /expected images \[N, 1, 28, 28\]/);
    } finally {
      net.dispose();
    }
  }));
  test('a missing weights file says how to train it', () => {
    assert.throws(() => loadFeatureClassifier('/nonexistent/w.safetensors'), /train-classifier\.ts/);
  });
});

const skip = !HAVE_FMNIST ? `no Fashion-MNIST in ${FASHION_MNIST_DIR}` : !HAVE_WEIGHTS ? `no weights at ${CLASSIFIER_WEIGHTS}` : false;
describe('trained classifier and fid', { skip }, () => {
  test('test accuracy above 85%; the feature Fréchet distance separates real from corrupted or collapsed images; no leaks', () => {
    const before = torch.memory().tensors;
    const te = loadFashionMnist('test');
    const net = loadFeatureClassifier();
    try {
      torch.scope(() => {
        const acc = classifierAccuracy(net, te.images.narrow(0, 0, 1000), te.labels.narrow(0, 0, 1000));
        assert.ok(acc > 0.85, `accuracy ${acc}`);
        const a = te.images.narrow(0, 0, 500);
        const b = te.images.narrow(0, 500, 500);
        const fa = classifierFeatures(net, a, 250);
        assert.deepEqual(fa.shape, [500, 128]);
        const fb = classifierFeatures(net, b);
        const noisy = scalePixels(b).add(torch.randn([500, 1, 28, 28], { generator: new torch.Generator({ seed: 2 }) }).mul(0.3)).clamp(0, 1);
        // only one class (mode collapse) against the full mix
        const shoes = te.images.indexSelect(0, te.labels.eq(7).nonzero().squeeze(1)).narrow(0, 0, 300);
        const fShoes = classifierFeatures(net, shoes);
        const real = frechetDistance(fa, fb);
        const corrupted = frechetDistance(fa, classifierFeatures(net, noisy));
        const collapsed = frechetDistance(fa, fShoes);
        assert.ok(real < corrupted / 3 && real < collapsed / 3, `fd real ${real}, noisy ${corrupted}, one class ${collapsed}`);
        const pr = precisionRecall(fa, fShoes, 3);
        assert.ok(pr.precision > 0.8 && pr.recall < 0.3, `one class: precision ${pr.precision}, recall ${pr.recall}`);
        // the image-level wrappers are these feature metrics
        const a2 = a.narrow(0, 0, 150);
        const s2 = shoes.narrow(0, 0, 150);
        assert.ok(fid(a2, a2, { classifier: net }) < 1e-6, 'fid(x, x) = 0');
        const fd2 = frechetDistance(fa.narrow(0, 0, 150), fShoes.narrow(0, 0, 150));
        assert.ok(Math.abs(fid(a2, s2, { classifier: net }) - fd2) < 1e-4 * fd2, 'fid = Fréchet distance of the features');
        const pr2 = precisionRecall(fa.narrow(0, 0, 150), fShoes.narrow(0, 0, 150), 3);
        const ipr = imagePrecisionRecall(a2, s2, { classifier: net });
        assert.ok(Math.abs(ipr.precision - pr2.precision) <= 2 / 150 && Math.abs(ipr.recall - pr2.recall) <= 2 / 150, 'same precision/recall');
      });
    } finally {
      net.dispose();
      te.dispose();
    }
    assert.equal(torch.memory().tensors, before);
  });
});
