/**
 * `npx tsx bench/flows.ts [--reps K] [--iters N] [--model glow|realnvp]`: CPU time of one training
 * step (forward, bits/dim, backward, Adam) of the image flow on MNIST-shaped batches of 64, genlab
 * against the same model in PyTorch (bench/reference/flows_images.py --bench: same architecture, the
 * same initial weights, the same batch), 1 intra-op thread each, BLAS threads 1. Reps are
 * interleaved (PyTorch, then genlab) so both see the same machine load; the best of each is kept.
 * Writes (or replaces) the "Glow on MNIST" section at the end of bench/RESULTS.md.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { torch } from '../src/tensor/index.ts';
import { getModel } from '../src/models/registry.ts';
import '../src/models/flows/models.ts';
import { loadSafetensors } from '../src/io/safetensors.ts';
import { loadData } from '../src/train/data.ts';
import { Adam } from '../src/optim/index.ts';
import { writeResultsSection } from './results-file.ts';
import { flag } from './args.ts';
import { compareOpProfiles } from './op-profile.ts';

const reps = Number(flag('reps', '5'));
const iters = Number(flag('iters', '20'));
const model = flag('model', 'glow');
const here = join(fileURLToPath(import.meta.url), '..');
const dir = join(tmpdir(), 'genlab-bench-flows');
const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', GENLAB_NUM_THREADS: '1' };

// The model's initial weights and the data, written once for both sides.
const ex = spawnSync('npx', ['tsx', join(here, 'flows_export.ts'), dir, model, 'mnist', '10', '64', '0'], { encoding: 'utf8', env });
if (ex.status !== 0) throw new Error(`flows_export failed: ${ex.stderr}`);
const meta = JSON.parse(readFileSync(join(dir, `${model}-mnist.json`), 'utf8')) as { modelConfig: Record<string, unknown>; shape: number[] };

torch.setNumThreads(1);
torch.manualSeed(0);
const family = getModel(model);
const info = { name: 'mnist', kind: 'image' as const, shape: meta.shape, range: [0, 1] as [number, number] };
const m = torch.scope(() => family.create(meta.modelConfig, info));
const init = loadSafetensors(join(dir, `${model}-mnist-init.safetensors`));
m.modules.flow!.loadStateDict(init.tensors);
torch.dispose(Object.values(init.tensors));
const opt = new Adam(m.parameters(), { lr: 1e-3 });
const data = await loadData('mnist', { seed: 0 });
const x = data.train.narrow(0, 0, 64).clone().keep();
data.train.dispose();
data.test.dispose();
const step = () =>
  torch.scope(() => {
    const loss = m.loss({ x }, 0).loss;
    opt.zeroGrad();
    loss.backward();
    opt.step();
  });
for (let i = 0; i < 3; i++) step();

const profileSteps = Number(flag('profile', '0'));
if (profileSteps > 0) {
  compareOpProfiles(`${model} step`, step, profileSteps, { args: [join(here, 'reference', 'flows_images.py'), dir, model, 'mnist', '--bench', '1'], env });
  process.exit(0);
}

/** CPU ms per step (process user + system, every thread) and wall ms per step. */
function genlabOnce(): { ms: number; wallMs: number } {
  const w0 = performance.now();
  const t0 = process.cpuUsage();
  for (let i = 0; i < iters; i++) step();
  const d = process.cpuUsage(t0);
  return { ms: (d.user + d.system) / 1e3 / iters, wallMs: (performance.now() - w0) / iters };
}
function pytorchOnce(): { ms: number; wallMs: number } {
  const py = spawnSync('/usr/bin/python3', [join(here, 'reference', 'flows_images.py'), dir, model, 'mnist', '--bench', String(iters)], { encoding: 'utf8', env });
  if (py.status !== 0) throw new Error(`flows_images.py --bench failed: ${py.stderr}`);
  return JSON.parse(py.stdout.trim().split('\n').pop()!) as { ms: number; wallMs: number };
}

let ours = Infinity;
let theirs = Infinity;
let oursWall = Infinity;
let theirsWall = Infinity;
for (let r = 0; r < reps; r++) {
  const p = pytorchOnce();
  const g = genlabOnce();
  theirs = Math.min(theirs, p.ms);
  ours = Math.min(ours, g.ms);
  theirsWall = Math.min(theirsWall, p.wallMs);
  oursWall = Math.min(oursWall, g.wallMs);
  console.log(`rep ${r + 1}/${reps}: CPU PyTorch ${p.ms.toFixed(1)} ms, genlab ${g.ms.toFixed(1)} ms; wall PyTorch ${p.wallMs.toFixed(1)}, genlab ${g.wallMs.toFixed(1)}`);
}
const ratio = ours / theirs;
const cfg = meta.modelConfig;
const describe = model === 'glow'
  ? `Glow, ${cfg.levels} levels x ${cfg.imageLayers} steps, hidden ${cfg.imageHidden}, batch 64 of 1x28x28, one Adam step (ms)`
  : `RealNVP, ${cfg.levels} scales x ${2 * Number(cfg.imageLayers)} couplings, hidden ${cfg.imageHidden}, batch 64 of 1x28x28, one Adam step (ms)`;
console.log(`${describe}: genlab ${ours.toFixed(1)}, PyTorch ${theirs.toFixed(1)}, ratio ${ratio.toFixed(3)} (wall: ${oursWall.toFixed(1)} vs ${theirsWall.toFixed(1)}, ${(oursWall / theirsWall).toFixed(3)})`);

const heading = model === 'glow' ? '## Glow on MNIST' : '## RealNVP on MNIST';
const section = `${heading}

Written by \`npx tsx bench/flows.ts${model === 'glow' ? '' : ` --model ${model}`}\` on ${new Date().toISOString().slice(0, 10)}: one training step of the image flow
(dequantize, logit, flow, bits/dim, backward, Adam) on a batch of 64 MNIST digits, the same initial weights on both
sides (bench/reference/flows_images.py --bench), 1 intra-op thread each, BLAS threads 1, CPU time of the process per
step over ${iters} steps, best of ${reps} interleaved runs (${cpus()[0]?.model ?? 'cpu'}, ${cpus().length} cores).

| workload | genlab | PyTorch | genlab / PyTorch |
|---|---|---|---|
| ${describe} | ${ours.toFixed(1)} | ${theirs.toFixed(1)} | ${ratio.toFixed(2)} |
| same, wall-clock ms per step (best of the same runs) | ${oursWall.toFixed(1)} | ${theirsWall.toFixed(1)} | ${(oursWall / theirsWall).toFixed(2)} |
`;
writeResultsSection(heading.slice(3), section);
console.log(`updated bench/RESULTS.md (${heading})`);
m.dispose?.();
opt.dispose();
x.dispose();
