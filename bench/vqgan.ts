/**
 * `npx tsx bench/vqgan.ts [--reps K] [--iters N]`: the VQGAN stage-2 transformer (V 64 codes, T 64
 * positions, dim 64, 4 heads, 2 layers, batch 32): CPU time of one training step (forward,
 * cross-entropy, backward, Adam) and sampling speed in tokens/s with and without the key/value cache,
 * genlab against the same architecture in PyTorch (bench/reference/vqgan_gpt.py), 1 intra-op thread
 * each. Reps are interleaved (PyTorch, then genlab) so both see the same machine load; the best of
 * each is kept. Writes (or replaces) the "VQGAN stage 2" section of bench/RESULTS.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { torch } from '../src/tensor/index.ts';
import { Adam } from '../src/optim/index.ts';
import { CodeTransformer } from '../src/models/vq/transformer.ts';

const argv = process.argv.slice(2);
const flag = (name: string, def: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : def;
};
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
  for (const [k, v] of Object.entries(r)) into[k] = into[k] === undefined ? v : k === 'step_ms' ? Math.min(into[k]!, v) : Math.max(into[k]!, v);
};
for (let i = 0; i < reps; i++) {
  keep(best.p, pytorch());
  keep(best.g, genlab());
  console.log(`rep ${i + 1}/${reps}: genlab ${JSON.stringify(best.g)} pytorch ${JSON.stringify(best.p)}`);
}
const f = (v: number) => v.toFixed(1);
const section = [
  '## VQGAN stage 2: code transformer (bench/vqgan.ts)',
  '',
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
const path = join(here, 'RESULTS.md');
const old = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
const start = old.indexOf('## VQGAN stage 2');
const rest = start >= 0 ? old.slice(start).indexOf('\n## ', 3) : -1;
const next = start >= 0 ? (rest >= 0 ? old.slice(0, start) + section + old.slice(start + rest + 1) : old.slice(0, start) + section) : `${old.trimEnd()}\n\n${section}`;
writeFileSync(path, next);
console.log(section);
