/**
 * `npx tsx bench/vqgan.ts [--reps K] [--iters N]`: the VQGAN stage-2 transformer (V 64 codes, T 64
 * positions, dim 64, 4 heads, 2 layers, batch 32): CPU time of one training step (forward,
 * cross-entropy, backward, Adam) and sampling speed in tokens/s with and without the key/value cache,
 * genlab against the same architecture in PyTorch (bench/reference/vqgan_gpt.py), 1 intra-op thread
 * each. Reps are interleaved (PyTorch, then genlab) so both see the same machine load; the best of
 * each is kept. Writes (or replaces) the "VQGAN stage 2" section of bench/RESULTS.md.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { torch } from '../src/tensor/index.ts';
import { Adam } from '../src/optim/index.ts';
import { CodeTransformer } from '../src/models/vq/transformer.ts';
import { buildVQGAN, vqganFamily, type VQGANConfig } from '../src/models/vq/index.ts';
import { namedParameters } from '../src/train/trainer.ts';
import { createGroupedOptimizer } from '../src/train/optim.ts';
import { resolveTrainConfig } from '../src/train/config.ts';
import { writeResultsSection } from './results-file.ts';
import { flag } from './args.ts';

const reps = Number(flag('reps', '3'));
const iters = Number(flag('iters', '10'));
const here = join(fileURLToPath(import.meta.url), '..');
torch.setNumThreads(1);
const V = 64, T = 64, D = 64, H = 4, L = 2, B = 32, n = 8;

function genlab(): Record<string, number> {
  torch.manualSeed(0);
  const m = new CodeTransformer({ vocabSize: V, blockSize: T, dim: D, heads: H, layers: L });
  const opt = new Adam(m.parameters(), { lr: 1e-4 });
  const codes = torch.randint(V, [B, T]).keep();
  const step = () =>
    torch.scope(() => {
      const loss = m.nll(codes);
      opt.zeroGrad();
      loss.backward();
      opt.step();
    });
  step();
  let t0 = performance.now();
  for (let i = 0; i < iters; i++) step();
  const stepMs = (performance.now() - t0) / iters;
  m.eval();
  const res: Record<string, number> = { step_ms: stepMs };
  for (const cache of [true, false]) {
    t0 = performance.now();
    torch.scope(() => m.sample(n, { cache }));
    res[`tokens_per_s_${cache ? 'cache' : 'nocache'}`] = (n * T) / ((performance.now() - t0) / 1000);
  }
  codes.dispose();
  opt.dispose();
  m.dispose();
  return res;
}

/** One VQGAN stage-1 step (generator group then discriminator group, as the trainer runs them), D on. */
function genlabStage1(perceptual: number, B = 32): number {
  torch.manualSeed(0);
  const c = { ...vqganFamily.defaultConfig, deadCodeThreshold: 2, discStart: 0, perceptualWeight: perceptual } as VQGANConfig;
  const m = buildVQGAN(c, { name: 'shapes', kind: 'image', shape: [3, 32, 32], range: [0, 1] });
  const opt = createGroupedOptimizer(namedParameters(m), m.groups!, resolveTrainConfig({ lr: 1e-4, betas: [0.5, 0.9] }));
  const x = torch.rand([B, 3, 32, 32]).keep();
  const step = (s: number) =>
    torch.scope(() => {
      const shared: Record<string, unknown> = {};
      for (const g of opt.groups) {
        const terms = m.groupLoss!(g.name, { x }, s, shared);
        if (!terms) continue;
        opt.zeroGrad();
        terms.loss.backward();
        g.optimizer.step();
      }
    });
  step(0);
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) step(i + 1);
  const ms = (performance.now() - t0) / iters;
  x.dispose();
  opt.dispose();
  m.dispose?.();
  return ms;
}

function pytorchStage1(perceptual: number): number {
  const r = spawnSync('/usr/bin/python3', [join(here, 'reference', 'vqgan_stage1.py'), `iters=${iters}`, `perceptual=${perceptual}`, 'B=32'], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
  });
  if (r.status !== 0) throw new Error(`vqgan_stage1.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!).step_ms;
}

function pytorch(): Record<string, number> {
  const r = spawnSync('/usr/bin/python3', [join(here, 'reference', 'vqgan_gpt.py'), `V=${V}`, `T=${T}`, `D=${D}`, `H=${H}`, `L=${L}`, `B=${B}`, `iters=${iters}`], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
  });
  if (r.status !== 0) throw new Error(`vqgan_gpt.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const best: { g: Record<string, number>; p: Record<string, number> } = { g: {}, p: {} };
const keep = (into: Record<string, number>, r: Record<string, number>) => {
  for (const [k, v] of Object.entries(r)) into[k] = into[k] === undefined ? v : k.endsWith('step_ms') ? Math.min(into[k]!, v) : Math.max(into[k]!, v);
};
for (let i = 0; i < reps; i++) {
  keep(best.p, { ...pytorch(), s1_step_ms: pytorchStage1(1), s1_noperc_step_ms: pytorchStage1(0) });
  keep(best.g, { ...genlab(), s1_step_ms: genlabStage1(1), s1_noperc_step_ms: genlabStage1(0) });
  console.log(`rep ${i + 1}/${reps}: genlab ${JSON.stringify(best.g)} pytorch ${JSON.stringify(best.p)}`);
}
const f = (v: number) => v.toFixed(1);
const section = [
  '## VQGAN: stage-1 step and stage-2 code transformer (bench/vqgan.ts)',
  '',
  'Stage 1: one vqgan training step with the discriminator on (default vqgan config: hidden 64, 128 codes, PatchGAN 32 ch / 2 layers),',
  'batch 32 of 3×32×32: encoder, EMA quantizer, decoder, L1 (+ perceptual), adaptive λ (two autograd.grad), generator Adam step, then',
  'the discriminator\'s hinge loss and Adam step. PyTorch: bench/reference/vqgan_stage1.py, the same math and sizes from random weights.',
  '',
  '| stage-1 step | genlab (ms) | PyTorch (ms) | genlab / PyTorch |',
  '|---|---|---|---|',
  `| L1 + perceptual + GAN | ${f(best.g.s1_step_ms!)} | ${f(best.p.s1_step_ms!)} | ${(best.g.s1_step_ms! / best.p.s1_step_ms!).toFixed(2)} |`,
  `| L1 + GAN (perceptualWeight 0) | ${f(best.g.s1_noperc_step_ms!)} | ${f(best.p.s1_noperc_step_ms!)} | ${(best.g.s1_noperc_step_ms! / best.p.s1_noperc_step_ms!).toFixed(2)} |`,
  '',
  'Stage 2:',
  `CodeTransformer V=${V}, T=${T}, dim ${D}, ${H} heads, ${L} layers; training step on batch ${B} (forward, cross-entropy, backward, Adam);`,
  `sampling ${n} sequences of ${T} tokens. 1 intra-op thread each, best of ${reps} interleaved reps on a shared, loaded 2-core CPU (ratios, not absolute times, are the signal).`,
  '',
  '| measure | genlab | PyTorch | genlab / PyTorch time |',
  '|---|---|---|---|',
  `| training step (ms) | ${f(best.g.step_ms!)} | ${f(best.p.step_ms!)} | ${(best.g.step_ms! / best.p.step_ms!).toFixed(2)} |`,
  `| sampling, KV cache (tokens/s) | ${f(best.g.tokens_per_s_cache!)} | ${f(best.p.tokens_per_s_cache!)} | ${(best.p.tokens_per_s_cache! / best.g.tokens_per_s_cache!).toFixed(2)} |`,
  `| sampling, no cache (tokens/s) | ${f(best.g.tokens_per_s_nocache!)} | ${f(best.p.tokens_per_s_nocache!)} | ${(best.p.tokens_per_s_nocache! / best.g.tokens_per_s_nocache!).toFixed(2)} |`,
  '',
].join('\n');
writeResultsSection('VQGAN', section);
console.log(section);
