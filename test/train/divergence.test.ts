/**
 * Divergence (issue #8): `genlab train gaussian --data mnist` with the family's 2D learning rate
 * blows up; training must stop with exit status 3 and print advice that works when followed. The
 * test follows it literally (the printed command line) and expects a completed run with a finite,
 * lower loss.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../cli/run-cli.ts';
import { TRAIN_EXIT } from '../../src/cli/commands/train.ts';

test('a diverging run stops with exit 3, and the printed advice, followed, completes the run', { timeout: 240_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'genlab-diverge-'));
  try {
    const r = await cli(['train', 'gaussian', '--data', 'mnist', '--steps', '60', '--batch', '64', '--out', root, '--name', 'g', '-q', '--no-pictures']);
    assert.equal(r.code, TRAIN_EXIT.nan, `expected the divergence exit; stderr:\n${r.err}`);
    assert.match(r.err, /diverged|became (Infinity|NaN)/);
    const advice = r.err.split('\n').map((l) => l.trim()).find((l) => l.startsWith('genlab train --resume'));
    assert.ok(advice, `no command to follow in:\n${r.err}`);
    const args = advice.split(/\s+/).slice(1).map((a) => a.replace(/^'(.*)'$/, '$1'));
    const f = await cli([...args, '-q', '--no-pictures']);
    assert.equal(f.code, 0, `following the advice failed:\n${f.err}`);
    const metrics = readFileSync(join(root, 'g', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; loss: number; nonFinite?: number });
    assert.ok(metrics.every((m) => !m.nonFinite && Number.isFinite(m.loss)), 'the resumed run has no divergence lines');
    assert.equal(metrics.at(-1)!.step, 60);
    assert.ok(metrics.at(-1)!.loss < metrics[0]!.loss, `loss ${metrics[0]!.loss} -> ${metrics.at(-1)!.loss}`);
    const cfg = JSON.parse(readFileSync(join(root, 'g', 'config.json'), 'utf8')) as { train: { lr: number } };
    assert.equal(cfg.train.lr, 0.005, 'the lower learning rate is the run\'s now');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the divergence limit: a loss far over the best so far stops; divergence=0 turns the limit off', async () => {
  const { DEFAULT_TRAIN_CONFIG, resolveTrainConfig } = await import('../../src/train/config.ts');
  assert.equal(DEFAULT_TRAIN_CONFIG.divergence, 100);
  assert.throws(() => resolveTrainConfig({ divergence: -1 }), /divergence/);
});
