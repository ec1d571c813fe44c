import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { torch, type Tensor } from '../../../src/tensor/index.ts';
import { trainRun } from '../../../src/train/index.ts';
import { dequantizeImages, imageLogLikelihood, gaussianDenoiser } from '../../../src/models/diffusion/index.ts';
import { cli } from '../../cli/run-cli.ts';

const dtype = 'float64' as const;
/** Standard normal CDF. */
const Phi = (z: Tensor) => z.div(Math.SQRT2).erf().add(1).mul(0.5);

describe('image bits/dim through the PF-ODE', () => {
  test('dequantization: each pixel level fills its own bin of width 2/255, centred on 2k/255 - 1', () => {
    torch.scope(() => {
      const g = new torch.Generator({ seed: 5 });
      const k = torch.randint(0, 256, [20000], { generator: g }).to(dtype);
      const y = dequantizeImages(k.div(255), [0, 1], g);
      const centre = k.mul(2 / 255).sub(1);
      const off = y.sub(centre).mul(255 / 2); // U(-1/2, 1/2) when right
      assert.ok(off.min().item() >= -0.5 && off.max().item() < 0.5, `offset range [${off.min().item()}, ${off.max().item()}]`);
      assert.ok(Math.abs(off.mean().item()) < 0.01, `bins centred: mean offset ${off.mean().item()}`);
      assert.ok(Math.abs(off.var().item() - 1 / 12) < 0.003, `uniform in the bin: variance ${off.var().item()}`);
      // pixels of another range land on the same levels
      const y2 = dequantizeImages(k.div(255).mul(2).sub(1), [-1, 1], new torch.Generator({ seed: 5 }));
      const y1 = dequantizeImages(k.div(255), [0, 1], new torch.Generator({ seed: 5 }));
      assert.ok(y2.sub(y1).abs().max().item() < 1e-12);
    });
  });

  test('with the exact denoiser of a Gaussian, logProb is the discrete log-probability of the pixels (independent: CDF differences per bin)', () => {
    torch.scope(() => {
      const n = 64;
      const d = 16;
      const mu = 0.1;
      const s = 0.4;
      const sMin = 2e-3;
      const sMax = 40;
      const D = gaussianDenoiser(torch.full([d], mu, { dtype }), torch.eye(d, { dtype }).mul(s * s));
      const g = new torch.Generator({ seed: 7 });
      const levels = torch.randn([n, 1, 4, 4], { dtype, generator: g }).mul(s).add(mu).clamp(-1, 1).add(1).mul(255 / 2).round();
      const x = levels.div(255);
      const r = imageLogLikelihood(D, x, { sigmaMin: sMin, sigmaMax: sMax, generator: new torch.Generator({ seed: 8 }), rtol: 1e-6, atol: 1e-6 });
      // The model's density at σ_min is N(mu, s² + σ_min²) per pixel; the probability of a pixel level is
      // its mass over the level's bin [2(k - 1/2)/255 - 1, 2(k + 1/2)/255 - 1].
      const sd = Math.sqrt(s * s + sMin * sMin);
      const lo = levels.sub(0.5).mul(2 / 255).sub(1 + mu).div(sd);
      const hi = levels.add(0.5).mul(2 / 255).sub(1 + mu).div(sd);
      const exact = Phi(hi).sub(Phi(lo)).log().reshape([n, -1]).sum(1);
      const diff = r.logp.sub(exact);
      // One dequantization draw per image: log p varies inside a bin (~0.01 nats per pixel), mean ~0.
      assert.ok(Math.abs(diff.mean().item()) < 0.02, `mean log p - exact log P: ${diff.mean().item()} nats`);
      assert.ok(diff.abs().max().item() < 0.2, `worst image: ${diff.abs().max().item()} nats`);
      const bpd = -r.logp.mean().item() / (d * Math.LN2);
      assert.ok(bpd > 0 && bpd < 8, `bits/dim ${bpd}`);
    });
  });
});

describe('genlab eval on an image diffusion run', () => {
  test('bits/dim on a few held-out images (--nll-n); --sampler/--steps reach the Fréchet distance samples; bad flags are errors', async () => {
    const root = mkdtempSync(join(tmpdir(), 'genlab-dbpd-'));
    try {
      const tiny = { channels: 8, channelMult: [1, 2], numResBlocks: 1 };
      await trainRun({ model: 'edm', data: 'mnist', out: root, name: 'edm-tiny', train: { steps: 2, batch: 8 }, modelConfig: tiny, pictures: false });
      const run = join(root, 'edm-tiny');
      const r = await cli(['eval', run, '--json', '--nll-n', '3', '--fd-samples', '0']);
      assert.equal(r.code, 0, r.err);
      const m = JSON.parse(r.out).metrics as Record<string, number>;
      assert.equal(m.nllExamples, 3);
      assert.ok(Number.isFinite(m.bitsPerDim) && m.bitsPerDim! > 0 && m.bitsPerDim! < 16, `bits/dim ${m.bitsPerDim}`);
      assert.ok(Math.abs(m.testNll! - m.bitsPerDim! * 784 * Math.LN2) < 1e-6 * m.testNll!);
      // The same seed gives the same number (dequantization noise and probe are seeded).
      const again = JSON.parse((await cli(['eval', run, '--json', '--nll-n', '3', '--fd-samples', '0'])).out).metrics as Record<string, number>;
      assert.equal(again.bitsPerDim, m.bitsPerDim);
      // The default for a diffusion model is a subset (64), not the whole test split.
      const fd1 = JSON.parse((await cli(['eval', run, '--json', '--nll-n', '0', '--fd-samples', '20', '--sampler', 'euler', '--steps', '1'])).out).metrics as Record<string, number>;
      const fd2 = JSON.parse((await cli(['eval', run, '--json', '--nll-n', '0', '--fd-samples', '20', '--sampler', 'euler', '--steps', '3'])).out).metrics as Record<string, number>;
      assert.equal(fd1.bitsPerDim, undefined, '--nll-n 0 skips the likelihood');
      assert.ok(Number.isFinite(fd1.fd) && Number.isFinite(fd2.fd) && fd1.fd !== fd2.fd, `fd at 1 and 3 steps: ${fd1.fd}, ${fd2.fd}`);
      const bad = await cli(['eval', run, '--nll-n', '-1']);
      assert.notEqual(bad.code, 0);
      assert.match(bad.err, /--nll-n must be >= 0, got -1/);
      const badSampler = await cli(['eval', run, '--nll-n', '0', '--fd-samples', '4', '--sampler', 'nope']);
      assert.notEqual(badSampler.code, 0);
      assert.match(badSampler.err, /unknown sampler 'nope'/);
      await trainRun({ model: 'gaussian', data: 'mnist', out: root, name: 'gauss', train: { steps: 1, batch: 8 }, pictures: false });
      const notDiffusion = await cli(['eval', join(root, 'gauss'), '--sampler', 'heun']);
      assert.notEqual(notDiffusion.code, 0);
      assert.match(notDiffusion.err, /--sampler sets a diffusion sampler; gauss is a 'gaussian' model/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
