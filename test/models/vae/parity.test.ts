/**
 * The latent-variable families against the same models in PyTorch (bench/reference/latent.py) from
 * the same initial weights, batches and per-step noise: the first training losses agree to float32
 * rounding — on one thread each, the IWAE and the VQ-VAE prior to the last bit over more steps (the
 * same libtorch kernels in the same order; a reference that computed z * z instead of z.square()
 * drifted from step 5). Skips, naming python3-torch, where it is missing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trainRun } from '../../../src/train/index.ts';
import { torch } from '../../../src/tensor/index.ts';
import '../../../src/models/index.ts';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');
const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
const STEPS = 3;

const cases: { name: string; model: string; set: string; batch: number; config: Record<string, string>; steps?: number; exact?: boolean }[] = [
  { name: 'iwae-mlp', model: 'iwae', set: 'binarized-mnist', batch: 128, config: {}, steps: 8, exact: true },
  { name: 'vae-conv-logistic', model: 'vae', set: 'mnist', batch: 16, config: { net: 'conv', channels: '8', likelihood: 'logistic' } },
  { name: 'gumbel-score', model: 'gumbel-vae', set: 'binarized-mnist', batch: 32, config: { estimator: 'score', hidden: '[64,32]' } },
  { name: 'gumbel-st', model: 'gumbel-vae', set: 'binarized-mnist', batch: 32, config: { estimator: 'st-gumbel', hidden: '[64,32]' } },
  { name: 'vqvae', model: 'vqvae', set: 'mnist', batch: 16, config: { hidden: '16', resHidden: '8', codebookSize: '16', codeDim: '4' } },
];

describe('latent-variable families vs PyTorch', { skip: hasTorch ? false : 'python3-torch is not installed (apt-get install python3-torch)' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'genlab-latent-parity-'));
  const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', TORCH_THREADS: '1' };
  const exportRun = (name: string, model: string, set: string, steps: number, batch: number, config: Record<string, string>) => {
    const overrides = Object.entries(config).map(([k, v]) => `${k}=${v}`).join(',');
    const ex = spawnSync('npx', ['tsx', join(root, 'bench', 'latent_export.ts'), dir, name, model, set, String(steps), String(batch), '0', overrides], { encoding: 'utf8', cwd: root });
    assert.equal(ex.status, 0, ex.stderr);
  };
  const genlabLosses = async (name: string, model: string, set: string, steps: number, batch: number, config: Record<string, string>) => {
    const r = await trainRun({ model, data: set, out: dir, name, train: { steps, batch, logEvery: 1 }, modelConfig: config, pictures: false });
    assert.equal(r.status, 'completed');
    return readFileSync(join(dir, name, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { loss: number }).loss);
  };
  const python = (args: string[]) => {
    const py = spawnSync('/usr/bin/python3', [join(root, 'bench', 'reference', 'latent.py'), dir, ...args], { encoding: 'utf8', env });
    assert.equal(py.status, 0, py.stderr);
    return JSON.parse(py.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
  };
  const compare = (ours: number[], theirs: number[], steps: number, exact: boolean) => {
    assert.equal(ours.length, steps);
    ours.forEach((v, i) => {
      if (exact) assert.equal(v, theirs[i], `step ${i + 1}: genlab ${v}, PyTorch ${theirs[i]} (not bitwise)`);
      else assert.ok(Math.abs(v - theirs[i]!) <= 1e-4 * Math.abs(theirs[i]!) + 1e-5, `step ${i + 1}: genlab ${v}, PyTorch ${theirs[i]}`);
    });
  };
  const threads = torch.getNumThreads();
  before(() => torch.setNumThreads(1));
  after(() => torch.setNumThreads(threads));

  for (const c of cases) {
    const steps = c.steps ?? STEPS;
    test(`${c.name}: the first ${steps} losses agree with PyTorch${c.exact ? ' bitwise' : ''}`, async () => {
      exportRun(c.name, c.model, c.set, steps, c.batch, c.config);
      const ours = await genlabLosses(`run-${c.name}`, c.model, c.set, steps, c.batch, c.config);
      compare(ours, python([c.name, '--check', String(steps)]).losses as number[], steps, c.exact ?? false);
    });
  }

  test("vqvae-prior: the gated PixelCNN over the codes of each side's own VQ-VAE: the first 6 losses agree bitwise", async () => {
    const vq = { hidden: '16', resHidden: '8', codebookSize: '16', codeDim: '4' };
    exportRun('pvq', 'vqvae', 'mnist', 4, 16, vq);
    await genlabLosses('run-pvq', 'vqvae', 'mnist', 4, 16, vq);
    python(['pvq', '--save', join(dir, 'pvq.pt')]);
    const prior = { vqvae: join(dir, 'run-pvq'), channels: '8', layers: '2' };
    exportRun('pprior', 'vqvae-prior', 'mnist', 6, 16, prior);
    const ours = await genlabLosses('run-pprior', 'vqvae-prior', 'mnist', 6, 16, prior);
    compare(ours, python(['pprior', '--check', '6', '--vq', join(dir, 'pvq.pt')]).losses as number[], 6, true);
  });
});
