import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../src/models/index.ts';
import { moduleParameters } from '../../src/models/registry.ts';
import { registerNoisyGaussian, NOISY_GAUSSIAN } from './noisy-gaussian.ts';
import { trainRun, openRun, learningRate, scheduledLearningRate, resumeLrAnchor, resolveTrainConfig } from '../../src/train/index.ts';

const lrs = (dir: string): Map<number, number> =>
  new Map(
    readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { step: number; lr: number })
      .map((r) => [r.step, r.lr]),
  );

test('lr plan: a resume that changes steps or lr continues from the lr reached, never upward', () => {
  const before = resolveTrainConfig({ lr: 1, steps: 100, schedule: 'cosine', minLrRatio: 0.1 });
  const longer = resolveTrainConfig({ lr: 1, steps: 300, schedule: 'cosine', minLrRatio: 0.1 });
  // unchanged plan: no anchor, the original curve
  assert.equal(resumeLrAnchor(before, null, before, 60), null);
  const a = resumeLrAnchor(before, null, longer, 60)!;
  assert.deepEqual(a, { step: 60, lr: learningRate(before, 60) });
  // continuous at the resume step, down to minLrRatio·lr at the new last step, monotone
  assert.equal(scheduledLearningRate(longer, a, 60), learningRate(before, 60));
  assert.ok(Math.abs(scheduledLearningRate(longer, a, 299) - 0.1) < 1e-12);
  for (let s = 61; s < 300; s++) assert.ok(scheduledLearningRate(longer, a, s) <= scheduledLearningRate(longer, a, s - 1) + 1e-15, `step ${s}`);
  // the stretched plan without the anchor rises again at the resume step (what the anchor prevents)
  assert.ok(learningRate(longer, 60) > 2 * learningRate(before, 60));
  // a resumed run that finished its plan and is extended holds the floor instead of climbing
  const b = resumeLrAnchor(before, null, longer, 100)!;
  assert.ok(Math.abs(b.lr - 0.1) < 1e-12 && Math.abs(scheduledLearningRate(longer, b, 200) - 0.1) < 1e-12);
  // a 10× lower lr after a divergence: 10× lower from the resume step on
  const lower = resolveTrainConfig({ lr: 0.1, steps: 100, schedule: 'cosine', minLrRatio: 0.1 });
  const c = resumeLrAnchor(before, null, lower, 30)!;
  assert.ok(Math.abs(scheduledLearningRate(lower, c, 30) - learningRate(before, 30) / 10) < 1e-15);
  // a second resume under the same settings keeps the anchor (exact); a further change chains from it
  assert.equal(resumeLrAnchor(longer, a, longer, 150), a);
  const d = resumeLrAnchor(longer, a, resolveTrainConfig({ lr: 1, steps: 500, schedule: 'cosine', minLrRatio: 0.1 }), 150)!;
  assert.equal(d.lr, scheduledLearningRate(longer, a, 150));
});

test('resume with more steps: the logged lr never rises, the anchor survives a second resume, and that resume is exact', async () => {
  const out = mkdtempSync(join(tmpdir(), 'genlab-lr-'));
  registerNoisyGaussian();
  try {
    const train = { steps: 10, batch: 16, lr: 0.05, logEvery: 1, ckptEvery: 4, trainSize: 64, seed: 2 };
    // both runs are cut at step 6 of a 10-step plan (last checkpoint: step 4), then extended to 20 steps:
    // a in one go, b stopped again after step 14 (checkpoint 12) and resumed once more
    for (const name of ['a', 'b']) {
      const r = await trainRun({ model: NOISY_GAUSSIAN, data: 'moons', out, name, train, pictures: false, stopAfter: 6 });
      assert.equal(r.status, 'stopped', r.message);
    }
    const a = await trainRun({ model: NOISY_GAUSSIAN, data: 'moons', out, name: 'a', resume: true, train: { steps: 20 }, pictures: false });
    assert.equal(a.status, 'completed', a.message);
    const b1 = await trainRun({ model: NOISY_GAUSSIAN, data: 'moons', out, name: 'b', resume: true, train: { steps: 20 }, pictures: false, stopAfter: 14 });
    assert.equal(b1.status, 'stopped');
    const b2 = await trainRun({ model: NOISY_GAUSSIAN, data: 'moons', out, name: 'b', resume: true, pictures: false });
    assert.equal(b2.status, 'completed', b2.message);
    const la = lrs(join(out, 'a'));
    // logged lr of step s is the lr of the step with 0-based index s - 1
    assert.equal(la.get(5), learningRate(resolveTrainConfig(train), 4), 'continues from the lr the 10-step plan had at the resume');
    for (let s = 6; s <= 20; s++) assert.ok(la.get(s)! < la.get(s - 1)!, `lr did not decay at step ${s}: ${la.get(s - 1)} -> ${la.get(s)}`);
    assert.ok(Math.abs(la.get(20)! - 0.005) < 1e-12, `ends at minLrRatio·lr, got ${la.get(20)}`);
    const lb = lrs(join(out, 'b'));
    for (let s = 1; s <= 20; s++) assert.equal(lb.get(s), la.get(s), `lr of step ${s}`);
    const params = (name: string) => {
      const o = openRun(join(out, name), { ema: false });
      try {
        return moduleParameters(o.model.modules).flatMap((p) => p.toFlatArray());
      } finally {
        o.dispose();
      }
    };
    assert.deepEqual(params('b'), params('a'));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
