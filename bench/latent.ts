/**
 * `npx tsx bench/latent.ts [--reps K] [--iters N]`: CPU time of one training step (forward, loss
 * terms, backward, Adam) of the conv VAE and of the VQ-VAE on batches of 64 MNIST digits, genlab
 * against the same model in PyTorch (bench/reference/latent.py --bench: same architecture, initial
 * weights, batches and per-step noise), 1 intra-op thread each, BLAS threads 1. Reps are interleaved
 * (PyTorch, then genlab) so both see the same machine load; the best of each is kept. Writes (or
 * replaces) the "Latent-variable models on MNIST" section of bench/RESULTS.md.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { torch, type Tensor } from '../src/tensor/index.ts';
import { getModel } from '../src/models/index.ts';
import { loadSafetensors } from '../src/io/safetensors.ts';
import { loadData } from '../src/train/data.ts';
import { Adam } from '../src/optim/index.ts';
import { writeResultsSection } from './results-file.ts';
import { flag } from './args.ts';
import { compareOpProfiles } from './op-profile.ts';

const reps = Number(flag('reps', '5'));
const iters = Number(flag('iters', '20'));
const profileSteps = Number(flag('profile', '0'));
const here = join(fileURLToPath(import.meta.url), '..');
const dir = join(tmpdir(), 'genlab-bench-latent');
const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', GENLAB_NUM_THREADS: '1', TORCH_THREADS: '1' };
torch.setNumThreads(1);

interface Workload { name: string; model: string; set: string; overrides: string; describe: string }
const workloads: Workload[] = [
  { name: 'bench-conv-vae', model: 'vae', set: 'binarized-mnist', overrides: 'net=conv,channels=32,latent=20', describe: 'conv VAE (2 stride-2 convs 32/64 ch, latent 20, Bernoulli), batch 64, one Adam step (ms)' },
  { name: 'bench-vqvae', model: 'vqvae', set: 'mnist', overrides: '', describe: 'VQ-VAE (hidden 64, 2 res blocks, 128 x 16 EMA codebook, k-means init), batch 64, one Adam step (ms)' },
];

const rows: string[] = [];
for (const w of workloads) {
  const ex = spawnSync('npx', ['tsx', join(here, 'latent_export.ts'), dir, w.name, w.model, w.set, String(iters + 10), '64', '0', w.overrides], { encoding: 'utf8', env });
  if (ex.status !== 0) throw new Error(`latent_export failed: ${ex.stderr}`);
  const meta = JSON.parse(readFileSync(join(dir, `${w.name}.json`), 'utf8')) as { modelConfig: Record<string, unknown>; shape: number[]; stepSeeds: number[] };
  const info = { name: w.set, kind: 'image' as const, shape: meta.shape, range: [0, 1] as [number, number] };
  const fresh = () => {
    const m = torch.scope(() => getModel(w.model).create(meta.modelConfig, info));
    const init = loadSafetensors(join(dir, `${w.name}-init.safetensors`));
    for (const [mn, mod] of Object.entries(m.modules)) {
      const sd: Record<string, Tensor> = {};
      for (const [k, t] of Object.entries(init.tensors)) if (k.startsWith(`${mn}.`)) sd[k.slice(mn.length + 1)] = t;
      mod.loadStateDict(sd, { strict: false });
    }
    torch.dispose(Object.values(init.tensors));
    return m;
  };
  const data = await loadData(w.set, { seed: 0 });
  const x = data.train.narrow(0, 0, 64).clone().keep();
  data.train.dispose();
  data.test.dispose();
  const genlabOnce = (): { ms: number; wallMs: number } => {
    const m = fresh();
    const opt = new Adam(m.parameters(), { lr: 1e-3 });
    const step = (s: number) =>
      torch.scope(() => {
        torch.manualSeed(meta.stepSeeds[s]!);
        const loss = m.loss({ x }, s).loss;
        opt.zeroGrad();
        loss.backward();
        opt.step();
      });
    for (let s = 0; s < 3; s++) step(s);
    if (profileSteps > 0) {
      compareOpProfiles(w.name, () => step(3), profileSteps, { args: [join(here, 'reference', 'latent.py'), dir, w.name, '--bench', String(iters + 3)], env });
      return { ms: NaN, wallMs: NaN };
    }
    const w0 = performance.now();
    const t0 = process.cpuUsage();
    for (let s = 3; s < 3 + iters; s++) step(s);
    const d = process.cpuUsage(t0);
    const r = { ms: (d.user + d.system) / 1e3 / iters, wallMs: (performance.now() - w0) / iters };
    opt.dispose();
    m.dispose?.();
    return r;
  };
  const pytorchOnce = (): { ms: number; wallMs: number } => {
    const py = spawnSync('/usr/bin/python3', [join(here, 'reference', 'latent.py'), dir, w.name, '--bench', String(iters + 3)], { encoding: 'utf8', env });
    if (py.status !== 0) throw new Error(`latent.py --bench failed: ${py.stderr}`);
    return JSON.parse(py.stdout.trim().split('\n').pop()!) as { ms: number; wallMs: number };
  };
  if (profileSteps > 0) {
    genlabOnce();
    x.dispose();
    continue;
  }
  let ours = Infinity, theirs = Infinity, oursWall = Infinity, theirsWall = Infinity;
  for (let r = 0; r < reps; r++) {
    const p = pytorchOnce();
    const g = genlabOnce();
    theirs = Math.min(theirs, p.ms);
    ours = Math.min(ours, g.ms);
    theirsWall = Math.min(theirsWall, p.wallMs);
    oursWall = Math.min(oursWall, g.wallMs);
    console.log(`${w.name} rep ${r + 1}/${reps}: CPU PyTorch ${p.ms.toFixed(1)} ms, genlab ${g.ms.toFixed(1)} ms; wall PyTorch ${p.wallMs.toFixed(1)}, genlab ${g.wallMs.toFixed(1)}`);
  }
  x.dispose();
  rows.push(`| ${w.describe} | ${ours.toFixed(1)} | ${theirs.toFixed(1)} | ${(ours / theirs).toFixed(2)} |`);
  rows.push(`| same, wall-clock ms per step | ${oursWall.toFixed(1)} | ${theirsWall.toFixed(1)} | ${(oursWall / theirsWall).toFixed(2)} |`);
}

if (profileSteps > 0) process.exit(0);
const heading = '## Latent-variable models on MNIST';
const section = `${heading}

Written by \`npx tsx bench/latent.ts\` on ${new Date().toISOString().slice(0, 10)}: one training step (the family's loss with its
per-step noise, backward, Adam) on a batch of 64 MNIST digits, the same initial weights, batch and noise on both sides
(bench/reference/latent.py --bench), 1 intra-op thread each, BLAS threads 1, CPU time of the process per step over
${iters} steps after 3 warm-up steps, best of ${reps} interleaved runs (${cpus()[0]?.model ?? 'cpu'}, ${cpus().length} cores, shared with other jobs).

| workload | genlab | PyTorch | genlab / PyTorch |
|---|---|---|---|
${rows.join('\n')}
`;
writeResultsSection(heading.slice(3), section);
console.log(section);
