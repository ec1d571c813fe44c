/**
 * The PyTorch twin of the image flows (bench/reference/flows_images.py), as the README's CPU table
 * uses it: a tiny learned-prior Glow trained for 30 steps with warm-up, gradient clipping that
 * engages (clipGrad 0.5 under norms of 1-2) and EMA, once by `genlab train` and once in PyTorch
 * from the export of bench/flows_export.ts. The training bits/dim agree at every logged step, and the
 * PyTorch weights (the EMA's) scored by bench/flows_score.ts give the bits/dim and the Fréchet
 * distance that `genlab eval` gives the genlab run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../../cli/run-cli.ts';
import { skipWithoutTorch, PYTHON } from '../../nn/helpers.ts';

const skip = skipWithoutTorch();
const env = { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', GENLAB_NUM_THREADS: '1' };
const CONFIG = 'imageLayers=2,imageHidden=8,warmup=5,clipGrad=0.5,ema=0.9';

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

test('the PyTorch twin trains a clipped, EMA-averaged Glow as genlab does, and genlab scores its weights as its own', { skip, timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'genlab-twin-'));
  try {
    run('npx', ['tsx', 'bench/flows_export.ts', dir, 'glow', 'mnist', '30', '8', '0', CONFIG]);
    const weights = join(dir, 'torch.safetensors');
    const pt = JSON.parse(run(PYTHON, ['bench/reference/flows_images.py', dir, 'glow', 'mnist', weights]).trim().split('\n').pop()!) as { log: [number, number][]; ema: boolean };
    assert.equal(pt.ema, true);

    const r = await cli(['train', 'glow', '--data', 'mnist', '--steps', '30', '--batch', '8', '--config', CONFIG, '--out', dir, '--name', 'g', '-q', '--no-pictures']);
    assert.equal(r.code, 0, r.err);
    const recs = readFileSync(join(dir, 'g', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; bpd: number; gradNorm: number });
    assert.deepEqual(recs.map((x) => x.step), pt.log.map(([s]) => s));
    assert.ok(recs.some((x) => x.gradNorm > 0.5), 'the clipping must engage for this test to mean anything');
    recs.forEach((x, i) => assert.ok(Math.abs(x.bpd - pt.log[i]![1]) < 1e-4, `step ${x.step}: genlab ${x.bpd} vs PyTorch ${pt.log[i]![1]} bits/dim`));

    const ev = await cli(['eval', join(dir, 'g'), '--temperatures', '0.7,1', '--fd-samples', '100', '--json']);
    assert.equal(ev.code, 0, ev.err);
    const ours = (JSON.parse(ev.out) as { metrics: Record<string, number> }).metrics;
    const theirs = (JSON.parse(run('npx', ['tsx', 'bench/flows_score.ts', dir, 'glow', 'mnist', weights, '--temperatures', '0.7,1', '--fd-samples', '100']).trim().split('\n').pop()!) as { metrics: Record<string, number> }).metrics;
    assert.ok(Math.abs(ours.bitsPerDim! - theirs.bitsPerDim!) < 1e-4, `test bits/dim: genlab ${ours.bitsPerDim} vs PyTorch weights ${theirs.bitsPerDim}`);
    for (const k of ['fd@T0.7', 'fd@T1']) {
      assert.ok(Math.abs(ours[k]! - theirs[k]!) < 1e-3 * ours[k]!, `${k}: genlab ${ours[k]} vs PyTorch weights ${theirs[k]}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
