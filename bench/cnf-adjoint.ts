/**
 * `npx tsx bench/cnf-adjoint.ts`: peak memory and time of one CNF training step (forward, NLL,
 * backward) with gradients by back-propagation through the solver vs the adjoint method, as the
 * number of fixed RK4 steps grows. Each configuration runs in a fresh process, whose peak resident
 * set size (getrusage maxrss) minus that of a process that only built the model is the step's own
 * peak; the time is the step's CPU time (1 thread). Writes the "CNF: adjoint vs backprop" section of
 * bench/RESULTS.md.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeResultsSection } from './results-file.ts';

const here = join(fileURLToPath(import.meta.url), '..');
const args = process.argv.slice(2);

if (args[0] === '--child') {
  const [, gradient, stepsArg, batchArg] = args;
  const { torch } = await import('../src/tensor/index.ts');
  const { CNF, Flow, StandardNormal } = await import('../src/models/flows/index.ts');
  torch.setNumThreads(1);
  torch.manualSeed(0);
  const cnf = new CNF(2, undefined, { hidden: [256, 256], method: 'rk4', steps: Number(stepsArg), gradient: gradient as 'backprop' | 'adjoint' });
  const flow = new Flow(new StandardNormal([2]), [cnf]);
  const x = torch.randn([Number(batchArg), 2]).keep();
  const base = process.resourceUsage().maxRSS;
  let ms = 0;
  if (gradient !== 'none') {
    const c0 = process.cpuUsage();
    torch.scope(() => flow.logProb(x).mean().neg().backward());
    const c = process.cpuUsage(c0);
    ms = (c.user + c.system) / 1000;
  }
  console.log(JSON.stringify({ base, peak: process.resourceUsage().maxRSS, ms }));
  process.exit(0);
}

const batch = 4096;
const run = (gradient: string, steps: number) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', gradient, String(steps), String(batch)], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' } });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { base: number; peak: number; ms: number };
};
const rows = ['| RK4 steps | backprop: step peak MiB | adjoint: step peak MiB | backprop CPU ms | adjoint CPU ms |', '|---|---|---|---|---|'];
for (const steps of [4, 16, 64]) {
  const bp = run('backprop', steps);
  const adj = run('adjoint', steps);
  const mib = (r: { base: number; peak: number }) => ((r.peak - r.base) / 1024).toFixed(1);
  rows.push(`| ${steps} | ${mib(bp)} | ${mib(adj)} | ${bp.ms.toFixed(0)} | ${adj.ms.toFixed(0)} |`);
  console.error(rows[rows.length - 1]);
}
const section = `## CNF: adjoint vs backprop through the solver

\`npx tsx bench/cnf-adjoint.ts\`: one training step (forward, NLL, backward) of a 2D CNF with a 2-256-256-2
tanh MLP vector field, exact trace, batch ${batch}, fixed RK4 steps, 1 thread; each cell a fresh process. Peak =
the process's peak RSS during the step minus its RSS after building the model (getrusage), so it is the memory
the step itself needed. Back-propagation through the solver keeps every step's graph until backward; the adjoint
keeps only the ODE state and solves the augmented ODE backwards (about twice the compute, constant memory).

${rows.join('\n')}
`;
writeResultsSection('CNF: adjoint vs backprop through the solver', section);
console.log(section);
