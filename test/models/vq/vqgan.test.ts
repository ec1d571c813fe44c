import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { torch } from '../../../src/tensor/index.ts';
import '../../../src/models/index.ts';
import { moduleParameters } from '../../../src/models/registry.ts';
import { datasets, loadShapes } from '../../../src/data/index.ts';
import { trainRun, openRun, loadTrainingCheckpoint } from '../../../src/train/index.ts';
import { hingeDLoss, vanillaDLoss, generatorLoss, adaptiveWeight, PatchDiscriminator, FeaturePerceptualLoss } from '../../../src/models/vq/index.ts';

const close = (a: number, b: number, tol = 1e-6, what = '') => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what} ${a} vs ${b}`);
const softplus = (v: number) => Math.log1p(Math.exp(v));

test('hinge and non-saturating losses on known logits', () => {
  torch.scope(() => {
    const real = torch.tensor([2, 0.5, -1]);
    const fake = torch.tensor([-2, 0, 1.5]);
    // relu(1 - real) = [0, 0.5, 2] (mean 5/6); relu(1 + fake) = [0, 1, 2.5] (mean 7/6); half their sum = 1.
    close(hingeDLoss(real, fake).item(), 1, 1e-6, 'hinge D');
    close(generatorLoss('hinge', fake).item(), 0.5 / 3, 1e-6, 'hinge G');
    const vd = 0.5 * ((softplus(-2) + softplus(-0.5) + softplus(1)) / 3 + (softplus(-2) + softplus(0) + softplus(1.5)) / 3);
    close(vanillaDLoss(real, fake).item(), vd, 1e-6, 'vanilla D');
    close(generatorLoss('vanilla', fake).item(), (softplus(2) + softplus(0) + softplus(-1.5)) / 3, 1e-6, 'vanilla G');
    // A perfect discriminator under the hinge has zero loss.
    assert.equal(hingeDLoss(torch.tensor([1, 3]), torch.tensor([-1, -4])).item(), 0);
  });
});

test('adaptive weight: ‖∇w L_rec‖ / (‖∇w L_G‖ + 1e-4) against a hand computation, clamped and detached', () => {
  torch.scope(() => {
    // Tiny "decoder": x̂ = w ⊙ h with last layer w; L_rec = Σ (x̂ − x)², L_G = −Σ a ⊙ x̂.
    const hv = [0.5, -1.5, 2], xv = [1, 0.25, -1], wv = [0.3, -0.7, 1.1], av = [0.2, -0.4, 0.9];
    const w = torch.tensor(wv).requiresGrad_(true);
    const xr = w.mul(torch.tensor(hv));
    const rec = xr.sub(torch.tensor(xv)).square().sum();
    const g = xr.mul(torch.tensor(av)).sum().neg();
    // ∂L_rec/∂w_i = 2 (w_i h_i − x_i) h_i; ∂L_G/∂w_i = −a_i h_i.
    const gr = wv.map((wi, i) => 2 * (wi * hv[i]! - xv[i]!) * hv[i]!);
    const gg = wv.map((_, i) => -av[i]! * hv[i]!);
    const expected = Math.hypot(...gr) / (Math.hypot(...gg) + 1e-4);
    const lam = adaptiveWeight(rec, g, w);
    close(lam.item(), expected, 1e-5, 'lambda');
    assert.equal(lam.requiresGrad, false);
    // The graphs are retained: both losses can still be backpropagated.
    rec.add(g.mul(lam)).backward();
    close(w.grad!.toFlatArray()[0]!, gr[0]! + expected * gg[0]!, 1e-5, 'grad after retain');
    // Clamp.
    const xr2 = w.mul(torch.tensor(hv));
    assert.equal(adaptiveWeight(xr2.sub(torch.tensor(xv)).square().sum(), xr2.sum().mul(1e-9), w, { max: 7 }).item(), 7);
  });
});

test('PatchGAN: logit grid size and errors', () => {
  torch.scope(() => {
    const d = new PatchDiscriminator({ inChannels: 3, channels: 4, layers: 2 });
    assert.deepEqual(d.forward(torch.rand([2, 3, 32, 32])).shape, [2, 1, 6, 6]);
    const d3 = new PatchDiscriminator({ inChannels: 1, channels: 4, layers: 3, norm: 'none' });
    assert.deepEqual(d3.forward(torch.rand([1, 1, 32, 32])).shape, [1, 1, 2, 2]);
    d.dispose();
    d3.dispose();
    assert.throws(() => new PatchDiscriminator({ inChannels: 3, layers: 0 }), /layers must be an integer >= 1, got 0/);
  });
});

test('perceptual loss: zero on equal images, grows with distortion, gradient reaches the input; bad linear weights named', () => {
  const p = new FeaturePerceptualLoss();
  try {
    torch.scope(() => {
      torch.manualSeed(0);
      const x = torch.rand([2, 3, 32, 32]);
      assert.ok(p.distance(x, x).abs().max().item() < 1e-6);
      const small = p.distance(x, x.add(torch.randn(x.shape).mul(0.02)).clamp(0, 1)).mean().item();
      const big = p.distance(x, x.add(torch.randn(x.shape).mul(0.3)).clamp(0, 1)).mean().item();
      assert.ok(small > 0 && big > small, `${small} < ${big}`);
      const y = torch.rand([2, 3, 32, 32]).requiresGrad_(true);
      p.distance(x, y).sum().backward();
      assert.ok(y.grad!.abs().sum().item() > 0);
      for (const q of p.net.parameters()) assert.equal(q.grad, null);
    });
  } finally {
    p.dispose();
  }
  assert.throws(() => new FeaturePerceptualLoss({ linearWeights: '/nonexistent/lpips.safetensors' }), /no file at \/nonexistent\/lpips.safetensors/);  // conv1 only: the first layer's term of the two-layer distance, computed by hand
  const p1 = new FeaturePerceptualLoss({ layers: 1 });
  const p2 = new FeaturePerceptualLoss({ layers: 2 });
  try {
    torch.scope(() => {
      torch.manualSeed(1);
      const x = torch.rand([2, 1, 28, 28]);
      const y = torch.rand([2, 1, 28, 28]);
      const unit = (t: typeof x) => t.div(t.square().sum(1, true).sqrt().clampMin(1e-10));
      const byHand = unit(p1.net.conv1.forward(x).relu()).sub(unit(p1.net.conv1.forward(y).relu())).square().sum(1).mean([1, 2]);
      assert.ok(p1.distance(x, y).sub(byHand).abs().max().item() < 1e-5);
      assert.ok(p2.distance(x, y).sub(byHand).min().item() > 1e-3, 'two layers add the conv2 term');
    });
  } finally {
    p1.dispose();
    p2.dispose();
  }
  assert.throws(() => new FeaturePerceptualLoss({ layers: 3 }), /layers must be 1 \(conv1\) or 2 \(conv1 and conv2\), got 3/);
});

// A small slice of the shapes set so trainer tests stay fast.
datasets['shapes-tiny'] = { ...(datasets.shapes as typeof datasets.shapes & { kind: 'image' }), name: 'shapes-tiny', sizes: { train: 48, test: 16 }, load: (split = 'train') => loadShapes(split, split === 'train' ? 48 : 16) };

const tinyConfig = { hidden: 8, resHidden: 4, resBlocks: 1, codebookSize: 16, codeDim: 4, discChannels: 4, discLayers: 2, discStart: 3, perceptualWeight: 0.5 };

function finalParams(dir: string): number[] {
  const o = openRun(dir, { ema: false });
  try {
    return moduleParameters(o.model.modules).flatMap((p) => p.toFlatArray());
  } finally {
    o.dispose();
  }
}

test('vqgan: two optimizers per step, both states in checkpoints, resumed run equals an uninterrupted one bit for bit', async () => {
  const out = mkdtempSync(join(tmpdir(), 'genlab-vqgan-'));
  try {
    const train = { steps: 8, batch: 8, lr: 1e-3, logEvery: 1, ckptEvery: 3, seed: 5 };
    const full = await trainRun({ model: 'vqgan', data: 'shapes-tiny', out, name: "full", modelConfig: tinyConfig, train, pictures: false });
    assert.equal(full.status, 'completed', full.message);
    const part = await trainRun({ model: 'vqgan', data: 'shapes-tiny', out, name: "part", modelConfig: tinyConfig, train, pictures: false, stopAfter: 5 });
    assert.equal(part.status, 'stopped');
    const resumed = await trainRun({ model: 'vqgan', data: 'shapes-tiny', out, name: 'part', resume: true, pictures: false });
    assert.equal(resumed.status, 'completed');
    const a = finalParams(join(out, 'full'));
    const b = finalParams(join(out, 'part'));
    assert.equal(a.length, b.length);
    let same = 0;
    for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
    assert.equal(same, a.length, `bit-identical parameters: ${same}/${a.length}`);
    torch.scope(() => {
      const c = loadTrainingCheckpoint(join(out, 'full', 'checkpoints', 'step-0000008.safetensors'));
      assert.ok(c.optim);
      assert.equal(c.optim!.meta.type, 'groups');
      assert.deepEqual(Object.keys(c.optim!.meta.groups as object), ['g', 'd']);
      assert.ok(Object.keys(c.optim!.tensors).some((k) => k.startsWith('discriminator.') && k.endsWith('.exp_avg')));
      assert.ok(Object.keys(c.optim!.tensors).some((k) => k.startsWith('decoder.') && k.endsWith('.exp_avg')));
    });
    // Logs: the discriminator's terms from discStart on, λ logged.
    const lines = (await import('node:fs')).readFileSync(join(out, 'full', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines[0].d_weight, undefined);
    assert.equal(lines[0]['d.loss'], undefined);
    for (const l of lines.slice(3)) for (const k of ['d_weight', 'g_adv', 'd.loss', 'd.logits_real', 'd.logits_fake', 'perceptual', 'perplexity', 'usage']) assert.equal(typeof l[k], 'number', `${k} at ${l.step}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('vqgan-transformer: trains on a vqgan run\'s codes, samples images through both stages, names a wrong stage-1 run', async () => {
  const out = mkdtempSync(join(tmpdir(), 'genlab-vqgan2-'));
  try {
    const s1 = await trainRun({ model: 'vqgan', data: 'shapes-tiny', out, name: 's1', modelConfig: { ...tinyConfig, discStart: 1 }, train: { steps: 3, batch: 8, seed: 1 }, pictures: false });
    assert.equal(s1.status, 'completed', s1.message);
    const s2 = await trainRun({ model: 'vqgan-transformer', data: 'shapes-tiny', out, name: 's2', modelConfig: { vqgan: join(out, 's1'), dim: 16, heads: 2, layers: 1, classCond: true }, train: { steps: 3, batch: 8, seed: 1 }, pictures: false });
    assert.equal(s2.status, 'completed', s2.message);
    const o = openRun(join(out, 's2'));
    try {
      torch.scope(() => {
        const x = o.model.sample(5, { topK: 4, generator: new torch.Generator({ seed: 3 }) });
        assert.deepEqual(x.shape, [5, 3, 32, 32]);
        assert.ok(x.min().item() >= 0 && x.max().item() <= 1);
        const ev = o.model.evaluate!(torch.rand([4, 3, 32, 32]));
        assert.ok(ev.codeNll! > 0 && Number.isFinite(ev.codeNll!));
      });
    } finally {
      o.dispose();
    }
    await assert.rejects(
      trainRun({ model: 'vqgan-transformer', data: 'shapes-tiny', out, name: 'bad', modelConfig: { vqgan: join(out, 's2') }, train: { steps: 1 }, pictures: false }),
      /vqgan-transformer: run .*s2 is a 'vqgan-transformer' run, not a VQ-VAE \(model 'vqgan' or 'vqvae'\)/,
    );
    await assert.rejects(
      trainRun({ model: 'vqgan-transformer', data: 'shapes-tiny', out, name: 'bad2', modelConfig: { vqgan: join(out, 'nothing') }, train: { steps: 1 }, pictures: false }),
      /vqgan-transformer: no run at .*nothing/,
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('vqgan logs: a d.* term is averaged over the steps that have it; the EMA averages the generator only', async () => {
  const out = mkdtempSync(join(tmpdir(), 'genlab-vqgan3-'));
  try {
    // discStart 3: the discriminator trains on steps 4-6 (1-based) of the first 8-step log window
    const base = { steps: 8, batch: 8, lr: 1e-3, seed: 7, ema: 0.9 };
    const every = await trainRun({ model: 'vqgan', data: 'shapes-tiny', out, name: 'every', modelConfig: tinyConfig, train: { ...base, logEvery: 1 }, pictures: false });
    const window = await trainRun({ model: 'vqgan', data: 'shapes-tiny', out, name: 'window', modelConfig: tinyConfig, train: { ...base, logEvery: 8 }, pictures: false });
    assert.equal(every.status, 'completed', every.message);
    assert.equal(window.status, 'completed', window.message);
    const read = (n: string) => readFileSync(join(out, n, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    const steps = read('every');
    const [w] = read('window');
    const mean = (k: string, from: number) => steps.slice(from).reduce((s, l) => s + l[k]!, 0) / (steps.length - from);
    for (const k of ['d.loss', 'd.logits_real', 'd_weight', 'g_adv']) assert.ok(Math.abs(w![k]! - mean(k, 3)) < 1e-9, `${k}: ${w![k]} vs the mean of steps 4-8 ${mean(k, 3)}`);
    for (const k of ['loss', 'recon', 'perplexity']) assert.ok(Math.abs(w![k]! - mean(k, 0)) < 1e-9, `${k}: ${w![k]} vs ${mean(k, 0)}`);
    torch.scope(() => {
      const c = loadTrainingCheckpoint(join(out, 'every', 'checkpoints', 'step-0000008.safetensors'));
      const keys = Object.keys(c.ema ?? {});
      assert.ok(keys.some((k) => k.startsWith('decoder.')) && keys.some((k) => k.startsWith('encoder.')), keys.join());
      assert.ok(!keys.some((k) => k.startsWith('discriminator.')), `the discriminator is not averaged: ${keys.filter((k) => k.startsWith('discriminator.')).join()}`);
    });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('scripts/branch-run.ts: a no-GAN run forked at step k ≤ discStart into a GAN run equals the GAN run trained from scratch', async () => {
  const out = mkdtempSync(join(tmpdir(), 'genlab-vqgan4-'));
  try {
    const train = { steps: 6, batch: 8, lr: 1e-3, ckptEvery: 3, seed: 4 };
    const direct = await trainRun({ model: 'vqgan', data: 'shapes-tiny', out, name: 'direct', modelConfig: { ...tinyConfig, discStart: 3 }, train, pictures: false });
    const trunk = await trainRun({ model: 'vqgan', data: 'shapes-tiny', out, name: 'trunk', modelConfig: { ...tinyConfig, discStart: 1000 }, train, pictures: false });
    assert.equal(direct.status, 'completed', direct.message);
    assert.equal(trunk.status, 'completed', trunk.message);
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/branch-run.ts', join(out, 'trunk'), '3', join(out, 'fork'), 'discStart=3'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const bad = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/branch-run.ts', join(out, 'trunk'), '3', join(out, 'fork2'), 'discStrat=3'], { encoding: 'utf8' });
    assert.match(bad.stderr, /'discStrat' is not in .*trunk's model config/);
    const fork = await trainRun({ model: 'vqgan', data: 'shapes-tiny', out, name: 'fork', resume: true, pictures: false });
    assert.equal(fork.status, 'completed', fork.message);
    assert.deepEqual(finalParams(join(out, 'fork')), finalParams(join(out, 'direct')));
    assert.notDeepEqual(finalParams(join(out, 'trunk')), finalParams(join(out, 'direct')));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
