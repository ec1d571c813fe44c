/**
 * `npm run bench [-- --json] [-- --threads N] [-- --reps K] [-- --only a,b]`: runs each workload in
 * genlab and in PyTorch (Debian's python3-torch, same threads, same batch) in one run, prints a table
 * (or one JSON object with `workloads: [{ name, genlab_ms, pytorch_ms, ratio }]`) and writes
 * bench/RESULTS.md.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { torch } from '../src/index.ts';
import { workloads } from './workloads.ts';

const argv = process.argv.slice(2);
const flag = (name: string, def: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : def;
};
const json = argv.includes('--json');
const threads = Number(flag('threads', '1'));
const reps = Number(flag('reps', '5'));
const only = flag('only', '').split(',').filter(Boolean);
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

// Interleaved: each rep runs PyTorch then genlab, so both see the same machine load; the minimum
// over reps is reported for each.
const rows: { name: string; describe: string; genlab_ms: number; pytorch_ms: number | null; ratio: number | null }[] = [];
for (const name of names) {
  const w = workloads[name]!;
  log(`running ${name} ...`);
  let ours = Infinity;
  let theirs = Infinity;
  for (let r = 0; r < reps; r++) {
    const p = pytorchOnce(name);
    if (p !== null) theirs = Math.min(theirs, p);
    ours = Math.min(ours, w.run(1));
  }
  const ref = Number.isFinite(theirs) ? theirs : null;
  rows.push({ name, describe: w.describe, genlab_ms: ours, pytorch_ms: ref, ratio: ref ? ours / ref : null });
}

const info = torch.buildInfo();
const fmt = (x: number | null, d = 3) => (x === null ? 'n/a' : x.toFixed(d));
const table = [
  '| workload | genlab | PyTorch | genlab / PyTorch |',
  '|---|---|---|---|',
  ...rows.map((r) => `| ${r.describe} | ${fmt(r.genlab_ms)} | ${fmt(r.pytorch_ms)} | ${fmt(r.ratio, 2)} |`),
].join('\n');
const md = `# Engine benchmark

Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: libtorch ${info.torchVersion} (genlab) and Debian's
python3-torch (PyTorch), ${threads} intra-op thread(s) each, BLAS threads 1, CPU time of the process, best of ${reps} interleaved runs, on this
machine (${(await import('node:os')).cpus()[0]?.model ?? 'cpu'}, ${(await import('node:os')).cpus().length} cores).
Ratios below 1 mean genlab is faster. TF.js and jax-js were not run here (tfjs-node cannot install offline; see the
engine issue for their numbers on this machine).

${table}
${pytorchNote ? `\n${pytorchNote}\n` : ''}`;
writeFileSync(join(here, 'RESULTS.md'), md);
if (json) console.log(JSON.stringify({ threads, reps, torchVersion: info.torchVersion, workloads: rows.map(({ name, genlab_ms, pytorch_ms, ratio }) => ({ name, genlab_ms, pytorch_ms, ratio })) }));
else console.log(`\n${table}\n\nwritten to bench/RESULTS.md`);
