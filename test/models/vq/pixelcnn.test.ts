/**
 * The gated PixelCNN prior: the logits at (i, j) depend on no code at or after (i, j) in raster
 * order (gradient test), and on every code before it (no blind spot); sampling and the VQ-VAE/prior
 * families, including their errors.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { torch } from '../../../src/tensor/index.ts';
import { GatedPixelCNN } from '../../../src/models/vq/index.ts';
import { trainRun, openRun } from '../../../src/train/index.ts';
import '../../../src/models/index.ts';

describe('gated PixelCNN prior', () => {
  test('causality by gradients: (i, j) sees every earlier position and nothing at or after it', () => torch.scope(() => {
    torch.manualSeed(0);
    const H = 5, W = 6, K = 4;
    const net = new GatedPixelCNN({ numCodes: K, channels: 8, layers: 6, kernel: 3 });
    const x = torch.rand([1, K, H, W]).requiresGrad_();
    const logits = net.forwardOneHot(x);
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        torch.scope(() => {
          const [g] = torch.autograd.grad([logits.select(3, j).select(2, i).sum()], [x], { retainGraph: true });
          const seen = g!.abs().sum([0, 1]).toArray() as number[][];
          for (let a = 0; a < H; a++) {
            for (let b = 0; b < W; b++) {
              const before = a < i || (a === i && b < j);
              if (before) assert.ok(seen[a]![b]! > 0, `(${i},${j}) does not see (${a},${b}): a blind spot`);
              else assert.equal(seen[a]![b], 0, `(${i},${j}) sees (${a},${b})`);
            }
          }
        });
      }
    }
    net.dispose();
  }));

  test('sampling gives codes in range; bad options are errors', () => torch.scope(() => {
    torch.manualSeed(1);
    const net = new GatedPixelCNN({ numCodes: 5, channels: 8, layers: 2, kernel: 3 });
    const s = net.sample(3, 4, 4);
    assert.deepEqual(s.shape, [3, 4, 4]);
    assert.ok(s.min().item() >= 0 && s.max().item() < 5);
    assert.throws(() => net.sample(1, 2, 2, { temperature: 0 }), /temperature must be > 0, got 0/);
    assert.throws(() => new GatedPixelCNN({ numCodes: 5, channels: 8, layers: 2, kernel: 4 }), /kernel must be an odd integer >= 3, got 4/);
    net.dispose();
  }));

  test('vqvae -> vqvae-prior runs: the prior trains on the codes and samples images; a prior on a non-VQ-VAE run is an error', async () => {
    const out = mkdtempSync(join(tmpdir(), 'genlab-vq-'));
    const small = { hidden: 8, resHidden: 4, resBlocks: 1, codebookSize: 8, codeDim: 4 };
    const base = await trainRun({ model: 'vqvae', data: 'mnist', out, name: 'vq', train: { steps: 3, batch: 8, logEvery: 1 }, modelConfig: small, pictures: false });
    assert.equal(base.status, 'completed');
    const prior = await trainRun({ model: 'vqvae-prior', data: 'mnist', out, name: 'prior', train: { steps: 2, batch: 8, logEvery: 1 }, modelConfig: { vqvae: join(out, 'vq'), channels: 8, layers: 2 }, pictures: false });
    assert.equal(prior.status, 'completed');
    const opened = openRun(join(out, 'prior'));
    try {
      torch.scope(() => {
        const x = opened.model.sample(2);
        assert.deepEqual(x.shape, [2, 1, 28, 28]);
        assert.ok(x.min().item() >= 0 && x.max().item() <= 1);
      });
    } finally {
      opened.dispose();
    }
    const vae = await trainRun({ model: 'vae', data: 'mnist', out, name: 'notvq', train: { steps: 1, batch: 8 }, modelConfig: { hidden: 8, latent: 2 }, pictures: false });
    assert.equal(vae.status, 'completed');
    await assert.rejects(trainRun({ model: 'vqvae-prior', data: 'mnist', out, name: 'bad', train: { steps: 1 }, modelConfig: { vqvae: join(out, 'notvq') }, pictures: false }), /is a 'vae' run, not a VQ-VAE/);
    await assert.rejects(trainRun({ model: 'vqvae-prior', data: 'mnist', out, name: 'bad2', train: { steps: 1 }, modelConfig: { vqvae: join(out, 'nothing') }, pictures: false }), /vqvae-prior: no run at/);
    await assert.rejects(trainRun({ model: 'vqvae-prior', data: 'mnist', out, name: 'bad3', train: { steps: 1 }, pictures: false }), /set the VQ-VAE run it models/);
  });
});
