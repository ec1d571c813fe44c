import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { torch } from '../../../src/tensor/index.ts';
import { getModel, resolveConfig } from '../../../src/models/index.ts';
import { trainRun, openRun } from '../../../src/train/index.ts';
import { Adam } from '../../../src/optim/index.ts';
import { straightness, type DiffusionInstance } from '../../../src/models/diffusion/index.ts';

const twoD = { name: 'moons', kind: '2d' as const, shape: [2] };
const build = (name: string, over: Record<string, unknown> = {}, data: typeof twoD | { name: string; kind: 'image'; shape: number[]; range: [number, number] } = twoD) => {
  torch.manualSeed(0);
  const fam = getModel(name);
  return fam.create(resolveConfig(fam, over), data) as DiffusionInstance;
};

describe('registered diffusion families', () => {
  for (const name of ['ddpm', 'vp', 've', 'edm', 'fm', 'cfm', 'rectified']) {
    test(`${name}: the loss falls on 2D Gaussian data and sampling gives finite points`, () => {
      torch.scope(() => {
        const m = build(name, { width: 32, depth: 1 });
        const opt = new Adam(m.parameters(), { lr: 3e-3 });
        const g = new torch.Generator({ seed: 1 });
        const data = torch.randn([2048, 2], { generator: g }).mul(0.5).add(1);
        const lossAt = () => torch.noGrad(() => { torch.manualSeed(99); return m.loss({ x: data }, 0).loss.item(); });
        const before = lossAt();
        for (let s = 0; s < 60; s++) torch.scope(() => { const { loss } = m.loss({ x: data.narrow(0, (s * 128) % 1920, 128) }, s); opt.zeroGrad(); loss.backward(); opt.step(); });
        const after = lossAt();
        assert.ok(after < before, `${name}: loss ${before} -> ${after}`);
        const x = m.sample(64, { steps: 4 });
        assert.deepEqual(x.shape, [64, 2]);
        assert.ok(Number.isFinite(x.sum().item()));
        opt.dispose();
        m.dispose?.();
      });
    });
  }

  test('per-sample seeds: a sample does not depend on how many are drawn', () => {
    torch.scope(() => {
      const m = build('edm', { width: 16, depth: 1 });
      const a = m.sample(4, { seeds: [5, 6, 7, 8], sampler: 'euler-ancestral', steps: 6 });
      const b = m.sample(2, { seeds: [7, 8], sampler: 'euler-ancestral', steps: 6 });
      assert.ok(a.narrow(0, 2, 2).sub(b).abs().max().item() < 1e-6);
      m.dispose?.();
    });
  });

  test('class-conditional UNet with classifier-free guidance (null class)', () => {
    torch.scope(() => {
      const m = build('edm', { channels: 8, channelMult: [1, 2], numResBlocks: 1 }, { name: 'mnist', kind: 'image', shape: [1, 28, 28], range: [0, 1] });
      assert.equal(m.numClasses, 10);
      const y = torch.tensor([0, 1, 2, 3], { dtype: 'int64' });
      const { loss } = m.loss({ x: torch.rand([4, 1, 28, 28]), y }, 0);
      assert.ok(Number.isFinite(loss.item()));
      assert.throws(() => m.loss({ x: torch.rand([4, 1, 28, 28]) }, 0), /class-conditional.*no labels/);
      const a = m.sample(2, { steps: 2, labels: [3, 3], seeds: [1, 2] });
      const b = m.sample(2, { steps: 2, labels: [3, 3], seeds: [1, 2], guidance: 3 });
      assert.ok(a.min().item() >= 0 && a.max().item() <= 1, 'images back in the data range');
      assert.ok(a.sub(b).abs().max().item() > 1e-6, 'guidance changes the samples');
      assert.throws(() => m.sample(2, { steps: 2, labels: [3, 10] }), /labels must be integers in \[0, 9\], got 10/);
      m.dispose?.();
    });
  });

  test('channels_last gives the same denoiser as NCHW', () => {
    torch.scope(() => {
      const img = { name: 'mnist', kind: 'image' as const, shape: [1, 28, 28], range: [0, 1] as [number, number] };
      const a = build('edm', { channels: 8, channelMult: [1, 2], channelsLast: false }, img);
      const b = build('edm', { channels: 8, channelMult: [1, 2], channelsLast: true }, img);
      const x = torch.randn([3, 1, 28, 28]);
      const y = torch.tensor([1, 2, 10], { dtype: 'int64' });
      const da = torch.noGrad(() => a.pre.denoise(x, 0.7, y));
      const db = torch.noGrad(() => b.pre.denoise(x, 0.7, y));
      assert.ok(da.sub(db).abs().max().item() < 1e-5);
      a.dispose?.();
      b.dispose?.();
    });
  });

  test('bad input: guidance on an unconditional model, unknown sampler, steps < 1, unknown loss', () => {
    torch.scope(() => {
      const m = build('edm', { width: 16, depth: 1 });
      assert.throws(() => m.sample(4, { guidance: 2 }), /guidance scale 2 needs a class-conditional model/);
      assert.throws(() => m.sample(4, { sampler: 'dpm3' }), /unknown sampler 'dpm3'/);
      assert.throws(() => m.sample(4, { steps: 0 }), /steps must be an integer >= 1, got 0/);
      assert.throws(() => m.sample(4, { sigmas: 'cosine' }), /unknown sigma schedule 'cosine'/);
      m.dispose?.();
      assert.throws(() => build('edm', { loss: 'l1' }), /unknown diffusion loss 'l1'/);
      assert.throws(() => build('edm', { schedule: 'sqrt' }), /unknown noise schedule 'sqrt'/);
    });
  });
});

describe('rectified flow runs: reflow and distillation name their teacher run', () => {
  test('teacher of another family is an error; reflow and distill train from a rectified teacher', async () => {
    const root = mkdtempSync(join(tmpdir(), 'genlab-rf-'));
    try {
      const small = { width: 16, depth: 1 };
      await trainRun({ model: 'edm', data: 'moons', out: root, name: 'edm-teacher', train: { steps: 2 }, modelConfig: small, pictures: false });
      await trainRun({ model: 'rectified', data: 'moons', out: root, name: 'rf1', train: { steps: 20 }, modelConfig: small, pictures: false });
      await assert.rejects(
        trainRun({ model: 'rectified', data: 'moons', out: root, name: 'bad', train: { steps: 2 }, modelConfig: { ...small, teacher: join(root, 'edm-teacher'), stage: 'reflow' }, pictures: false }),
        /is a 'edm' model; reflow needs a flow-matching teacher \(rectified, fm, cfm\)/,
      );
      await assert.rejects(trainRun({ model: 'rectified', data: 'moons', out: root, name: 'bad2', train: { steps: 2 }, modelConfig: { ...small, stage: 'reflow' }, pictures: false }), /stage 'reflow' needs a teacher run/);
      const rf = { ...small, teacher: join(root, 'rf1'), pairs: 256, teacherSteps: 4 };
      const r2 = await trainRun({ model: 'rectified', data: 'moons', out: root, name: 'rf2', train: { steps: 5 }, modelConfig: { ...rf, stage: 'reflow' }, pictures: false });
      assert.equal(r2.status, 'completed');
      assert.ok(readdirSync(join(root, 'rf1')).some((f) => f.startsWith('pairs-256-heun4')), 'pairs cached in the teacher folder');
      const d = await trainRun({ model: 'rectified', data: 'moons', out: root, name: 'rf2-distill', train: { steps: 5 }, modelConfig: { ...rf, teacher: join(root, 'rf2'), stage: 'distill' }, pictures: false });
      assert.equal(d.status, 'completed');
      const o = openRun(join(root, 'rf2-distill'));
      try {
        const x = o.model.sample(16, { steps: 1 });
        assert.deepEqual(x.shape, [16, 2]);
      } finally {
        o.dispose();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('a resumed distill run continues exactly (opening the teacher does not reseed a step)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'genlab-rf-resume-'));
    try {
      const small = { width: 16, depth: 1 };
      await trainRun({ model: 'rectified', data: 'moons', out: root, name: 'rf1', train: { steps: 10 }, modelConfig: small, pictures: false });
      const cfg = { ...small, teacher: join(root, 'rf1'), stage: 'distill', pairs: 128, teacherSteps: 2 };
      await trainRun({ model: 'rectified', data: 'moons', out: root, name: 'a', train: { steps: 4, ckptEvery: 2, keepCheckpoints: 0, batch: 32 }, modelConfig: cfg, pictures: false });
      cpSync(join(root, 'a'), join(root, 'b'), { recursive: true });
      rmSync(join(root, 'b', 'checkpoints', readdirSync(join(root, 'b', 'checkpoints')).sort().pop()!));
      const r = await trainRun({ model: 'rectified', data: 'moons', out: root, name: 'b', resume: true, pictures: false });
      assert.equal(r.status, 'completed');
      const weights = (run: string) => {
        const o = openRun(join(root, run), { ema: false });
        try {
          return Object.entries(o.model.modules.net!.stateDict()).map(([k, t]) => [k, t.clone().keep()] as const);
        } finally {
          o.dispose();
        }
      };
      const wa = weights('a');
      const wb = new Map(weights('b'));
      let worst = 0;
      for (const [k, t] of wa) worst = Math.max(worst, torch.scope(() => t.sub(wb.get(k)!).abs().max().item()));
      assert.equal(worst, 0, `resumed distill run differs from the straight one by ${worst}`);
      for (const [, t] of wa) t.dispose();
      for (const t of wb.values()) t.dispose();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('straightness is 0 for straight paths and positive for curved ones', () => {
    torch.scope(() => {
      const a = torch.tensor([[0, 0], [1, 2]]);
      const b = torch.tensor([[2, 2], [3, -2]]);
      const times = [1, 0.75, 0.5, 0.25, 0];
      const straight = times.map((t) => a.mul(t).add(b.mul(1 - t)));
      assert.ok(straightness(straight, times) < 1e-10);
      const bent = straight.map((f, i) => (i === 2 ? f.add(0.5) : f));
      assert.ok(straightness(bent, times) > 0.1);
    });
  });
});
