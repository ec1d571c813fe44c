/**
 * `npx tsx bench/diffusion.ts [--reps K] [--iters N] [--batch B]`: the EDM UNet of the Fashion-MNIST
 * run (src/models/diffusion, channels 16, multipliers 1,2,2, one ResBlock per level, class-conditional)
 * against the same network in PyTorch (bench/reference/diffusion_unet.py: same state-dict names, genlab's
 * initial weights, the same batch, noise levels and noise). First checks that both compute the same
 * loss and denoiser output; then times, interleaved (PyTorch, then genlab), one training step (EDM loss,
 * backward, Adam) and one sampling step (a denoiser call without gradient), 1 intra-op thread each,
 * CPU time of the process, best of K runs. PyTorch runs NCHW (its default); genlab runs NCHW (channels_last
 * convolutions turned off) and, as a third column, as shipped (channels_last inputs and convolutions). Writes the "Diffusion UNet" section of bench/RESULTS.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { torch, type Tensor } from '../src/tensor/index.ts';
import { getModel, resolveConfig } from '../src/models/index.ts';
import { saveSafetensors } from '../src/io/safetensors.ts';
import { loadData } from '../src/train/data.ts';
import { Adam } from '../src/optim/index.ts';
import type { DiffusionInstance } from '../src/models/diffusion/index.ts';
import { writeResultsSection } from './results-file.ts';
import { flag } from './args.ts';
import { compareOpProfiles } from './op-profile.ts';

const reps = Number(flag('reps', '3'));
const iters = Number(flag('iters', '5'));
const B = Number(flag('batch', '32'));
const here = join(fileURLToPath(import.meta.url), '..');
const dir = join(tmpdir(), 'genlab-bench-diffusion');
mkdirSync(dir, { recursive: true });
const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' };
torch.setNumThreads(1);

const cfgOver = { channels: 16, channelMult: [1, 2, 2], numResBlocks: 1 };
const info = { name: 'fashion-mnist', kind: 'image' as const, shape: [1, 28, 28], range: [0, 1] as [number, number] };
function build(channelsLast: boolean): DiffusionInstance {
  torch.manualSeed(0);
  const fam = getModel('edm');
  return torch.scope(() => fam.create(resolveConfig(fam, { ...cfgOver, channelsLast }), info)) as DiffusionInstance;
}
const m = build(false);
const mcl = build(true);
const data = await loadData('fashion-mnist', { seed: 0, testOnly: true });
const g = new torch.Generator({ seed: 1 });
const x0 = m.toModel(data.test.narrow(0, 0, B)).contiguous().keep();
const labels = data.testLabels!.narrow(0, 0, B).to('int64').contiguous().keep();
const sigma = torch.randn([B], { generator: g }).mul(1.2).sub(1.2).exp().keep();
const noise = torch.randn([B, 1, 28, 28], { generator: g }).keep();
data.test.dispose();
data.testLabels?.dispose();
saveSafetensors(join(dir, 'init.safetensors'), m.pre.net.stateDict());
saveSafetensors(join(dir, 'batch.safetensors'), { x0, sigma, noise, labels });
writeFileSync(join(dir, 'meta.json'), JSON.stringify({ ...cfgOver, numClasses: 10 }));

const edmLoss = (mm: DiffusionInstance) => {
  const s = sigma.view([-1, 1, 1, 1]);
  const w = sigma.square().add(0.25).div(sigma.mul(0.5).square()).view([-1, 1, 1, 1]);
  return mm.pre.denoise(x0.add(noise.mul(s)), sigma, labels).sub(x0).square().mul(w).mean();
};

// Parity: the same loss and denoiser output from the same weights and inputs.
const py = spawnSync('/usr/bin/python3', [join(here, 'reference', 'diffusion_unet.py'), dir, '--check'], { encoding: 'utf8', env });
if (py.status !== 0) throw new Error(`diffusion_unet.py --check failed: ${py.stderr}`);
const ref = JSON.parse(py.stdout.trim().split('\n').pop()!) as { loss: number; denoisedSum: number; denoisedAbs: number };
const ours = torch.noGrad(() => torch.scope(() => {
  const den = m.pre.denoise(x0.add(noise), 1, labels).to('float64');
  return { loss: edmLoss(m).item(), denoisedSum: den.sum().item(), denoisedAbs: den.abs().sum().item() };
}));
console.log(`parity: loss genlab ${ours.loss.toFixed(6)} vs PyTorch ${ref.loss.toFixed(6)}; denoised |sum| ${ours.denoisedAbs.toFixed(3)} vs ${ref.denoisedAbs.toFixed(3)}`);
const relErr = Math.abs(ours.loss - ref.loss) / Math.abs(ref.loss);
if (relErr > 1e-4 || Math.abs(ours.denoisedAbs - ref.denoisedAbs) / ref.denoisedAbs > 1e-4) throw new Error('genlab and PyTorch disagree: not the same network');

/** Runs fn with torch.backends.convChannelsLast set to `cl` (the NCHW column turns genlab's channels_last convolutions off). */
function withConvLayout<T>(cl: boolean, fn: () => T): T {
  const before = torch.backends.convChannelsLast;
  torch.backends.convChannelsLast = cl;
  try {
    return fn();
  } finally {
    torch.backends.convChannelsLast = before;
  }
}

function timer(mm: DiffusionInstance, cl = true) {
  const opt = new Adam(mm.parameters(), { lr: 1e-3 });
  const xs = torch.scope(() => x0.add(noise.mul(2))).keep();
  const train = () => torch.scope(() => {
    opt.zeroGrad();
    edmLoss(mm).backward();
    opt.step();
  });
  const sample = () => torch.noGrad(() => torch.scope(() => mm.pre.denoise(xs, 2, labels)));
  withConvLayout(cl, () => { for (let i = 0; i < 2; i++) { train(); sample(); } });
  const once = (fn: () => void) => withConvLayout(cl, () => {
    const w0 = performance.now();
    const t0 = process.cpuUsage();
    for (let i = 0; i < iters; i++) fn();
    const d = process.cpuUsage(t0);
    return { ms: (d.user + d.system) / 1e3 / iters, wall: (performance.now() - w0) / iters };
  });
  return { train: () => once(train), sample: () => once(sample) };
}
const profileSteps = Number(flag('profile', '0'));
if (profileSteps > 0) {
  // --profile N [--what train|sample]: per-operator comparison of one workload, genlab as shipped (channels_last)
  const what = flag('what', 'sample');
  const opt = new Adam(mcl.parameters(), { lr: 1e-3 });
  const xs = torch.scope(() => x0.add(noise.mul(2))).keep();
  const fn = what === 'train'
    ? () => torch.scope(() => { opt.zeroGrad(); edmLoss(mcl).backward(); opt.step(); })
    : () => torch.noGrad(() => torch.scope(() => { mcl.pre.denoise(xs, 2, labels); }));
  for (let i = 0; i < 2; i++) fn();
  compareOpProfiles(`diffusion UNet ${what}`, fn, profileSteps, { args: [join(here, 'reference', 'diffusion_unet.py'), dir, '--bench', '1'], env: { ...env, GENLAB_OP_PROFILE_WHAT: what } });
  process.exit(0);
}
const tg = timer(m, false);
const tcl = timer(mcl);
const best = { pyTrain: Infinity, pySample: Infinity, gTrain: Infinity, gSample: Infinity, clTrain: Infinity, clSample: Infinity };
for (let r = 0; r < reps; r++) {
  const p = spawnSync('/usr/bin/python3', [join(here, 'reference', 'diffusion_unet.py'), dir, '--bench', String(iters)], { encoding: 'utf8', env });
  if (p.status !== 0) throw new Error(`diffusion_unet.py --bench failed: ${p.stderr}`);
  const pr = JSON.parse(p.stdout.trim().split('\n').pop()!) as { train: number; sample: number };
  const a = tg.train();
  const b = tg.sample();
  const c = tcl.train();
  const d = tcl.sample();
  best.pyTrain = Math.min(best.pyTrain, pr.train);
  best.pySample = Math.min(best.pySample, pr.sample);
  best.gTrain = Math.min(best.gTrain, a.ms);
  best.gSample = Math.min(best.gSample, b.ms);
  best.clTrain = Math.min(best.clTrain, c.ms);
  best.clSample = Math.min(best.clSample, d.ms);
  console.log(`rep ${r + 1}/${reps}: train PyTorch ${pr.train.toFixed(1)} genlab ${a.ms.toFixed(1)} genlab-CL ${c.ms.toFixed(1)}; sample PyTorch ${pr.sample.toFixed(1)} genlab ${b.ms.toFixed(1)} genlab-CL ${d.ms.toFixed(1)} (CPU ms)`);
}
const f = (v: number) => v.toFixed(1);
const section = `## Diffusion UNet (EDM, Fashion-MNIST config)

Written by \`npx tsx bench/diffusion.ts\` on ${new Date().toISOString().slice(0, 10)}: the class-conditional UNet of the
Fashion-MNIST EDM run (channels 16, multipliers 1,2,2, one ResBlock per level, attention in the middle; 0.27 M
parameters), batch ${B} of 1x28x28, against bench/reference/diffusion_unet.py (the same network in PyTorch, loaded from
genlab's initial weights; loss parity checked first: relative difference ${relErr.toExponential(1)}). CPU time of the
process per step, ${iters} steps per run, best of ${reps} interleaved runs, 1 intra-op thread each
(${cpus()[0]?.model ?? 'cpu'}, ${cpus().length} cores, shared with other jobs: ratios, not absolute times, are the result).
PyTorch runs NCHW (its default). "genlab NCHW" runs with \`torch.backends.convChannelsLast = false\` (every tensor NCHW);
"genlab default" is genlab as shipped: channels_last input and channels_last convolutions (src/tensor/conv-layout.ts).

| workload | genlab NCHW | genlab default (channels_last) | PyTorch NCHW | genlab / PyTorch | channels_last / PyTorch |
|---|---|---|---|---|---|
| training step: EDM loss, backward, Adam (ms) | ${f(best.gTrain)} | ${f(best.clTrain)} | ${f(best.pyTrain)} | ${(best.gTrain / best.pyTrain).toFixed(2)} | ${(best.clTrain / best.pyTrain).toFixed(2)} |
| sampling step: one denoiser call, no grad (ms) | ${f(best.gSample)} | ${f(best.clSample)} | ${f(best.pySample)} | ${(best.gSample / best.pySample).toFixed(2)} | ${(best.clSample / best.pySample).toFixed(2)} |
`;
console.log(section);
const heading = '## Diffusion UNet (EDM, Fashion-MNIST config)';
writeResultsSection(heading.slice(3), section);
console.log(`updated bench/RESULTS.md (${heading})`);
