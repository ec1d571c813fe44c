/**
 * `npx tsx bench/distributed.ts [--rounds R] [--steps N]`: data-parallel training on c10d (Gloo) over
 * loopback, 2 ranks on this machine.
 *   1. All-reduce latency and bandwidth vs message size: genlab's ProcessGroup.allReduce (a Promise,
 *      waited on a worker thread) against PyTorch's torch.distributed.all_reduce (Gloo, the same
 *      libgloo), rounds interleaved, the best median of each kept.
 *   2. Trainer steps/s for one conv model (Glow on MNIST, batch 64): 1 process x 1 thread against
 *      2 processes x 1 thread (global batch 64, 32 per rank); and one process of a dense model
 *      (RealNVP with MLP couplings on 2-D points, batch 512) for the scaling model.
 *   3. The scaling model: step(2 machines) = compute/2 + alpha + 4P/beta (ring all-reduce of P
 *      float32 gradients, W = 2), from which model size two machines beat one, for the measured
 *      loopback and for 1 and 10 Gbit/s links.
 * Writes (or replaces) the "Data parallel" section of bench/RESULTS.md.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';

const argv = process.argv.slice(2);
const flag = (name: string, def: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : def;
};
const rounds = Number(flag('rounds', '2'));
const steps = Number(flag('steps', '12'));
const here = join(fileURLToPath(import.meta.url), '..');
const root = join(here, '..');
const SIZES = [1, 256, 4096, 65536, 1 << 20, 1 << 22];
const MODEL = { model: 'glow', data: 'mnist', batch: 64, config: { levels: 2, imageLayers: 4, imageHidden: 64 } };
// a dense model for the scaling model's second row (MLP couplings on 2-D points)
const DENSE = { model: 'realnvp', data: 'moons', batch: 512, config: {} };

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

/** Runs `cmd` as `world` ranks (world 1: no distributed variables); returns rank 0's last stdout line as JSON. */
async function ranks(cmd: string[], world: number, threads: number): Promise<any> {
  const port = await freePort();
  const outs = await Promise.all(
    Array.from({ length: world }, (_, r) => {
      const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: String(threads), GLOG_minloglevel: '3' };
      if (world > 1) Object.assign(env, { RANK: String(r), WORLD_SIZE: String(world), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), GENLAB_DIST_TIMEOUT: '120' });
      const c = spawn(cmd[0]!, cmd.slice(1), { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      c.stdout.on('data', (d) => (out += d));
      c.stderr.on('data', (d) => (err += d));
      return new Promise<string>((res, rej) => c.on('close', (code) => (code === 0 ? res(out) : rej(new Error(`${cmd.join(' ')} rank ${r}: ${err}`)))));
    }),
  );
  return JSON.parse(outs[0]!.trim().split('\n').pop()!);
}

const node = (args: string[]): string[] => [process.execPath, '--import', 'tsx', join(here, 'distributed_worker.ts'), ...args];
const python = (args: string[]): string[] => ['/usr/bin/python3', join(here, 'reference', 'allreduce.py'), ...args];

// 1. all-reduce sweep, interleaved
const best = { genlab: new Map<number, number>(), torch: new Map<number, number>() };
const hasTorch = existsSync('/usr/bin/python3');
for (let r = 0; r < rounds; r++) {
  const g = (await ranks(node(['allreduce', SIZES.join(',')]), 2, 1)) as { floats: number; ms: number }[];
  for (const x of g) best.genlab.set(x.floats, Math.min(best.genlab.get(x.floats) ?? Infinity, x.ms));
  if (hasTorch) {
    const t = (await ranks(python([SIZES.join(',')]), 2, 1)) as { floats: number; ms: number }[];
    for (const x of t) best.torch.set(x.floats, Math.min(best.torch.get(x.floats) ?? Infinity, x.ms));
  }
  process.stderr.write(`all-reduce round ${r + 1}/${rounds} done\n`);
}

// 2. trainer steps/s, interleaved
const trainArgs = ['train', MODEL.model, MODEL.data, String(MODEL.batch), String(steps), JSON.stringify(MODEL.config)];
const modes = [
  { label: '1 process x 1 thread', world: 1, threads: 1 },
  { label: '2 processes x 1 thread (32 examples each)', world: 2, threads: 1 },
];
const sps = new Map<string, number>();
let params = 0;
let buckets = 0;
let collectives = 1;
for (let r = 0; r < rounds; r++) {
  for (const m of modes) {
    const o = (await ranks(node(trainArgs), m.world, m.threads)) as { stepsPerSec: number; params: number; buckets: number; collectives: number };
    sps.set(m.label, Math.max(sps.get(m.label) ?? 0, o.stepsPerSec));
    params = o.params;
    if (m.world > 1) {
      buckets = o.buckets;
      collectives = o.collectives;
    }
    process.stderr.write(`train ${m.label}: ${o.stepsPerSec.toFixed(2)} steps/s\n`);
  }
}

let dense = { stepsPerSec: 0, params: 0 };
for (let r = 0; r < rounds; r++) {
  const o = (await ranks(node(['train', DENSE.model, DENSE.data, String(DENSE.batch), '30', JSON.stringify(DENSE.config)]), 1, 1)) as { stepsPerSec: number; params: number };
  if (o.stepsPerSec > dense.stepsPerSec) dense = o;
}

// 3. scaling model
const alphaMs = best.genlab.get(1)!;
// bandwidth: the best over messages of 256 KiB and more (latency no longer dominates)
const betaBytesPerMs = Math.max(...SIZES.filter((n) => n >= 65536).map((n) => (4 * n) / (best.genlab.get(n)! - alphaMs)));
const t1 = 1000 / sps.get(modes[0]!.label)!; // ms per step, one process, one thread
const perParamExample = t1 / (MODEL.batch * params); // ms of compute per parameter per example
const denseT1 = 1000 / dense.stepsPerSec;
const densePerParamExample = denseT1 / (DENSE.batch * dense.params);
const links = [
  { label: 'this machine, loopback (measured)', alpha: alphaMs, beta: betaBytesPerMs },
  { label: '10 Gbit/s Ethernet (alpha 0.05 ms, 1.1 GB/s)', alpha: 0.05, beta: 1.1e6 },
  { label: '1 Gbit/s Ethernet (alpha 0.1 ms, 110 MB/s)', alpha: 0.1, beta: 1.1e5 },
];
function breakEven(alpha: number, beta: number, batch: number, c = perParamExample): number | null {
  // compute(P)/2 > k*alpha + 4P/beta  <=>  P * (c*B/2 - 4/beta) > k*alpha
  const slope = (c * batch) / 2 - 4 / beta;
  return slope > 0 ? (collectives * alpha) / slope : null;
}
const fmtP = (p: number | null): string => (p === null ? 'never (communication grows as fast as compute)' : p < 1e3 ? `${p.toFixed(0)}` : p < 1e6 ? `${(p / 1e3).toFixed(1)}k` : `${(p / 1e6).toFixed(2)}M`);
const speedup = (alpha: number, beta: number, p: number, batch: number): number => {
  const t = perParamExample * batch * p;
  return t / (t / 2 + collectives * alpha + (4 * p) / beta);
};

const cpu = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores`;
const date = new Date().toISOString().slice(0, 10);
const rows = SIZES.map((n) => {
  const g = best.genlab.get(n)!;
  const t = best.torch.get(n);
  const bytes = 4 * n;
  const bw = (ms: number): string => (bytes / ms / 1e3).toFixed(1);
  return `| ${bytes >= 1 << 20 ? `${bytes / (1 << 20)} MiB` : bytes >= 1024 ? `${bytes / 1024} KiB` : `${bytes} B`} | ${g.toFixed(3)} | ${t?.toFixed(3) ?? '-'} | ${t ? (g / t).toFixed(2) : '-'} | ${bw(g)} | ${t ? bw(t) : '-'} |`;
});
const base = sps.get(modes[0]!.label)!;
const section = `## Data parallel (c10d, Gloo)

Written by \`npx tsx bench/distributed.ts\` on ${date}: 2 ranks over loopback on this machine (${cpu}),
best of ${rounds} interleaved rounds. The machine is shared (load average ~20 on 2 cores while this ran), so
absolute times are noisy; compare columns of the same row.

All-reduce (sum) of one float32 tensor between 2 processes, median wall time per call: genlab's
\`ProcessGroup.allReduce\` (submitted to Gloo on the main thread, waited on a libuv worker thread, resolving a
Promise) against PyTorch's \`dist.all_reduce\` (blocking), the same libgloo. Bandwidth = bytes / time.

| message | genlab (ms) | PyTorch (ms) | genlab / PyTorch | genlab MB/s | PyTorch MB/s |
|---|---|---|---|---|---|
${rows.join('\n')}

Trainer steps/s, ${MODEL.model} on ${MODEL.data} (levels 2, 4 steps per level, hidden 64: ${(params / 1e6).toFixed(2)}M parameters), global
batch ${MODEL.batch}, ${steps} steps, median of the logged rates after the first:

| setup | steps/s | vs 1 process x 1 thread |
|---|---|---|
${modes.map((m) => `| ${m.label} | ${sps.get(m.label)!.toFixed(2)} | ${(sps.get(m.label)! / base).toFixed(2)} |`).join('\n')}

The 2-rank run used ${buckets} gradient bucket(s) (DDP's 25 MB, first 1 MB), all-reduced by c10d's Reducer while
backward runs. Two processes on this machine share its 2 cores with each other (and with other work), so this row
measures overhead (sharding, buffer broadcast, loss agreement, all-reduce) more than a speed-up.

### Scaling model: when do two machines beat one?

One step on one machine costs compute t1 = c * B * P (B examples, P parameters; c = ${perParamExample.toExponential(3)} ms per
parameter per example, from the 1 x 1 row: t1 = ${t1.toFixed(1)} ms). On two machines each computes half the batch and the
ring all-reduce of P float32 gradients moves 4P bytes each way; every collective of the step pays the latency alpha
once (k = ${collectives} per step here: the loss agreement, ${buckets} gradient bucket(s), the unused-parameter bitmap, buffer
broadcasts): t2 = t1/2 + k*alpha + 4P/beta (no overlap; the Reducer's overlap with backward can only lower it). Two
machines win when t2 < t1, i.e. when P * (c*B/2 - 4/beta) > k*alpha: above a model size set by the latency, provided the per-parameter compute of a half
batch beats the per-parameter transfer (c*B/2 > 4/beta); else never, however large the model (then raise the batch).
Loopback alpha and beta are taken from the table above (alpha: the 4 B message, ${alphaMs.toFixed(3)} ms; beta: the best
bandwidth of the large messages, ${(betaBytesPerMs / 1e3).toFixed(0)} MB/s).

The conv model's c is large (each weight is reused at every pixel), so communication is cheap next to compute:

| link | conv: break-even P (batch ${MODEL.batch}) | conv: break-even P (batch 16) | conv: speed-up at P = ${(params / 1e6).toFixed(2)}M, batch ${MODEL.batch} |
|---|---|---|---|
${links.map((l) => `| ${l.label} | ${fmtP(breakEven(l.alpha, l.beta, MODEL.batch))} | ${fmtP(breakEven(l.alpha, l.beta, 16))} | ${speedup(l.alpha, l.beta, params, MODEL.batch).toFixed(2)} |`).join('\n')}

A dense model (${DENSE.model} on ${DENSE.data}, MLP couplings, ${(dense.params / 1e3).toFixed(1)}k parameters, batch ${DENSE.batch}: ${denseT1.toFixed(1)} ms per step,
c = ${densePerParamExample.toExponential(3)} ms per parameter per example) does about 6 flops per parameter per example, so
its per-parameter compute can fall below the per-parameter transfer:

| link | dense: break-even P (batch ${DENSE.batch}) | dense: break-even P (batch 4096) |
|---|---|---|
${links.map((l) => `| ${l.label} | ${fmtP(breakEven(l.alpha, l.beta, DENSE.batch, densePerParamExample))} | ${fmtP(breakEven(l.alpha, l.beta, 4096, densePerParamExample))} |`).join('\n')}

Reading: two machines beat one from the break-even P up, for every larger model of the same kind at that batch;
"never" means that at this batch per step the link is slower than the compute it saves, whatever the size.
`;
const resultsPath = join(root, 'bench', 'RESULTS.md');
const text = existsSync(resultsPath) ? readFileSync(resultsPath, 'utf8') : '';
const start = text.indexOf('## Data parallel (c10d, Gloo)');
let next = start >= 0 ? text.indexOf('\n## ', start + 5) : -1;
const updated = start >= 0 ? text.slice(0, start) + section + (next >= 0 ? text.slice(next + 1) : '') : `${text.trimEnd()}\n\n${section}`;
writeFileSync(resultsPath, updated);
process.stdout.write(section);
