/**
 * `npm run bench [-- --json] [-- --threads N] [-- --reps K] [-- --only a,b] [-- --no-peers]`: runs each
 * workload in genlab and in PyTorch (Debian's python3-torch, same threads, same batch) in one run, and
 * in the peer JS frameworks that are installed (bench/peers: TF.js cpu and wasm backends, jax-js wasm;
 * `--no-peers` skips them), prints a table (or one JSON object with
 * `workloads: [{ name, genlab_ms, pytorch_ms, ratio, peers: { 'tfjs-cpu': ms|null, ... } }]`) and writes
 * bench/RESULTS.md, keeping what follows its `<!-- end of engine table -->` line.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { torch } from '../src/index.ts';
import { workloads } from './workloads.ts';
import type { PeerColumn } from './peers/timeit.ts';
import { flag } from './args.ts';

const argv = process.argv.slice(2);
const json = argv.includes('--json');
const threads = Number(flag('threads', '1'));
const reps = Number(flag('reps', '5'));
const only = flag('only', '').split(',').filter(Boolean);
const noPeers = argv.includes('--no-peers');
const names = Object.keys(workloads).filter((n) => only.length === 0 || only.includes(n));
const here = join(fileURLToPath(import.meta.url), '..');
const log = (s: string) => { if (!json) console.log(s); else console.error(s); };

torch.setNumThreads(threads);
torch.manualSeed(0);

const python = '/usr/bin/python3';
let pytorchNote = '';
function pytorchOnce(name: string): number | null {
  if (pytorchNote) return null;
  const py = spawnSync(python, [join(here, 'reference', 'engine.py'), '--threads', String(threads), '--reps', '1', '--only', name], {
    encoding: 'utf8',
    env: { ...process.env, OPENBLAS_NUM_THREADS: process.env.OPENBLAS_NUM_THREADS ?? '1' },
  });
  if (py.status !== 0) {
    pytorchNote = `PyTorch reference not run: ${python} bench/reference/engine.py failed (${(py.stderr || py.error?.message || '').trim().split('\n').pop()})`;
    log(pytorchNote);
    return null;
  }
  return (JSON.parse(py.stdout.trim().split('\n').pop()!) as Record<string, number>)[name] ?? null;
}

// Peer frameworks, each only when its packages are installed (devDependencies).
const peerNotes: string[] = [];
const peers: PeerColumn[] = [];
if (!noPeers) {
  for (const [mod, what] of [['./peers/tfjs.ts', 'TF.js (@tensorflow/tfjs, @tensorflow/tfjs-backend-wasm)'], ['./peers/jaxjs.ts', 'jax-js (@jax-js/jax)']] as const) {
    try {
      peers.push(...(await (await import(mod)).columns() as PeerColumn[]));
    } catch (e) {
      const note = `${what} not run: ${String((e as Error).message ?? e).split('\n')[0]}`;
      peerNotes.push(note);
      log(note);
    }
  }
}
// A peer step slower than this is measured in the first rep only (see bench/peers/timeit.ts).
const onceMs = 5000;

// Interleaved: each rep runs PyTorch, genlab, then each peer, so all see the same machine load; the
// minimum over reps is reported for each.
type Row = {
  name: string; describe: string; genlab_ms: number; pytorch_ms: number | null; ratio: number | null;
  peers: Record<string, number | null>; failures: Record<string, string>; once: Set<string>;
};
const rows: Row[] = [];
for (const name of names) {
  const w = workloads[name]!;
  log(`running ${name} ...`);
  let ours = Infinity;
  let theirs = Infinity;
  const best: Record<string, number> = {};
  const failures: Record<string, string> = {};
  const once = new Set<string>();
  for (let r = 0; r < reps; r++) {
    const p = pytorchOnce(name);
    if (p !== null) theirs = Math.min(theirs, p);
    ours = Math.min(ours, w.run(1));
    for (const peer of peers) {
      if (failures[peer.column] || once.has(peer.column)) continue;
      try {
        const ms = await peer.run(name, 1);
        if (!Number.isFinite(ms)) throw new Error(`non-finite time ${ms}`);
        best[peer.column] = Math.min(best[peer.column] ?? Infinity, ms);
        if (ms > onceMs) once.add(peer.column);
      } catch (e) {
        failures[peer.column] = String((e as Error).message ?? e).split('\n')[0]!.trim().slice(0, 160);
        log(`  ${peer.column} fails on ${name}: ${failures[peer.column]}`);
      }
    }
  }
  const ref = Number.isFinite(theirs) ? theirs : null;
  const peerMs = Object.fromEntries(peers.map((p) => [p.column, best[p.column] ?? null]));
  rows.push({ name, describe: w.describe, genlab_ms: ours, pytorch_ms: ref, ratio: ref ? ours / ref : null, peers: peerMs, failures, once });
}

const info = torch.buildInfo();
const fmt = (x: number | null, d = 3) => (x === null ? 'n/a' : x.toFixed(d));
const peerCell = (r: Row, c: string) =>
  r.failures[c] ? `fails: ${r.failures[c]!.replace(/\|/g, '\\|')}` : `${fmt(r.peers[c] ?? null)}${r.once.has(c) ? ' (1 step)' : ''}`;
const cols = peers.map((p) => p.column);
const table = [
  `| workload | genlab | PyTorch | genlab / PyTorch |${cols.map((c) => ` ${c} |`).join('')}`,
  `|---|---|---|---|${cols.map(() => '---|').join('')}`,
  ...rows.map((r) => `| ${r.describe} | ${fmt(r.genlab_ms)} | ${fmt(r.pytorch_ms)} | ${fmt(r.ratio, 2)} |${cols.map((c) => ` ${peerCell(r, c)} |`).join('')}`),
].join('\n');
const peerText = peers.length
  ? `Peer columns, same workloads (same shapes, optimizer and hyperparameters, gradients from each framework's own
autodiff, the same CPU-time measure, interleaved in the same reps): ${peers.map((p) => `**${p.column}**: ${p.describe}`).join('; ')}.
TF.js runs NHWC, its native layout; tfjs-node is not used (its install downloads a binary). jax-js's training steps are one
jit-compiled function with Adam/SGD written out (jax-js ships no optimizer), its tiny-op loop runs eagerly and reads back its
two scalar results per 10 ops (jax-js is lazy). A peer step costing more than ${onceMs / 1000} s of CPU is measured once, on its
second step (after compilation), and marked (1 step); a slow peer runs fewer iterations per rep.`
  : `TF.js and jax-js were not run${noPeers ? ' (--no-peers)' : ''}.`;
const md = `# Engine benchmark

Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: libtorch ${info.torchVersion} (genlab) and Debian's
python3-torch (PyTorch), ${threads} intra-op thread(s) each, BLAS threads 1, CPU time of the process, best of ${reps} interleaved runs, on this
machine (${(await import('node:os')).cpus()[0]?.model ?? 'cpu'}, ${(await import('node:os')).cpus().length} cores).
Ratios below 1 mean genlab is faster.
${peerText}

${table}
${pytorchNote ? `\n${pytorchNote}\n` : ''}${peerNotes.length ? `\n${peerNotes.join('\n\n')}\n` : ''}`;
// Keep whatever follows the engine table (other benchmarks' sections): everything after the marker
// line, or, in a file written before the marker existed, from its first '## ' heading on.
const marker = '<!-- end of engine table -->';
const resultsPath = join(here, 'RESULTS.md');
const old = existsSync(resultsPath) ? readFileSync(resultsPath, 'utf8') : '';
let rest = '';
if (old.includes(marker)) rest = old.slice(old.indexOf(marker) + marker.length).replace(/^\n/, '');
else {
  const m = /^## /m.exec(old);
  if (m) rest = old.slice(m.index);
}
writeFileSync(resultsPath, `${md}\n${marker}\n${rest ? `\n${rest.replace(/^\n+/, '')}` : ''}`);
if (json) {
  console.log(JSON.stringify({
    threads, reps, torchVersion: info.torchVersion,
    ...(peers.length ? { peers: Object.fromEntries(peers.map((p) => [p.column, p.describe])) } : {}),
    workloads: rows.map(({ name, genlab_ms, pytorch_ms, ratio, peers: pm, failures }) => ({
      name, genlab_ms, pytorch_ms, ratio,
      ...(peers.length ? { peers: pm } : {}),
      ...(Object.keys(failures).length ? { peer_failures: failures } : {}),
    })),
  }));
}
else console.log(`\n${table}\n\nwritten to bench/RESULTS.md`);
