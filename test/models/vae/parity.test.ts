/**
 * The latent-variable families against the same models in PyTorch (bench/reference/latent.py) from
 * the same initial weights, batches and per-step noise: the first training losses agree to float32
 * rounding. Skips, naming python3-torch, where it is missing.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trainRun } from '../../../src/train/index.ts';
import '../../../src/models/index.ts';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');
const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
const STEPS = 3;

const cases: { name: string; model: string; set: string; batch: number; config: Record<string, string> }[] = [
  { name: 'iwae-mlp', model: 'iwae', set: 'binarized-mnist', batch: 32, config: { hidden: '64' } },
  { name: 'vae-conv-logistic', model: 'vae', set: 'mnist', batch: 16, config: { net: 'conv', channels: '8', likelihood: 'logistic' } },
  { name: 'gumbel-score', model: 'gumbel-vae', set: 'binarized-mnist', batch: 32, config: { estimator: 'score', hidden: '[64,32]' } },
  { name: 'gumbel-st', model: 'gumbel-vae', set: 'binarized-mnist', batch: 32, config: { estimator: 'st-gumbel', hidden: '[64,32]' } },
  { name: 'vqvae', model: 'vqvae', set: 'mnist', batch: 16, config: { hidden: '16', resHidden: '8', codebookSize: '16', codeDim: '4' } },
];

describe('latent-variable families vs PyTorch', { skip: hasTorch ? false : 'python3-torch is not installed (apt-get install python3-torch)' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'genlab-latent-parity-'));
  for (const c of cases) {
    test(`${c.name}: the first ${STEPS} losses agree with PyTorch`, async () => {
      const overrides = Object.entries(c.config).map(([k, v]) => `${k}=${v}`).join(',');
      const ex = spawnSync('npx', ['tsx', join(root, 'bench', 'latent_export.ts'), dir, c.name, c.model, c.set, String(STEPS), String(c.batch), '0', overrides], { encoding: 'utf8', cwd: root });
      assert.equal(ex.status, 0, ex.stderr);
      const r = await trainRun({ model: c.model, data: c.set, out: dir, name: `run-${c.name}`, train: { steps: STEPS, batch: c.batch, logEvery: 1 }, modelConfig: c.config, pictures: false });
      assert.equal(r.status, 'completed');
      const ours = readFileSync(join(dir, `run-${c.name}`, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { loss: number }).loss);
      const py = spawnSync('/usr/bin/python3', [join(root, 'bench', 'reference', 'latent.py'), dir, c.name, '--check', String(STEPS)], { encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1' } });
      assert.equal(py.status, 0, py.stderr);
      const theirs = (JSON.parse(py.stdout.trim().split('\n').pop()!) as { losses: number[] }).losses;
      assert.equal(ours.length, STEPS);
      ours.forEach((v, i) => assert.ok(Math.abs(v - theirs[i]!) <= 1e-4 * Math.abs(theirs[i]!) + 1e-5, `step ${i + 1}: genlab ${v}, PyTorch ${theirs[i]}`));
    });
  }
});
