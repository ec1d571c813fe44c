/**
 * `npx tsx bench/memory-loop.ts [--steps N]`: a PyTorch-style training loop (MLP 64-256-1, batch 512,
 * Adam, MSE) written with and without torch.scope, each in its own process: steps/s, peak RSS, RSS
 * along the way, and live native tensors at the end. Without a scope, dead tensors are freed through
 * their GC guards (native/src/guard.cc). Appends a section to bench/RESULTS.md.
 * Internal: `--mode scoped|unscoped` runs one loop and prints one JSON line.
 */
import { spawnSync } from 'node:child_process';
import { writeResultsSection } from './results-file.ts';
import { torch, nn, optim } from '../src/index.ts';

const argv = process.argv.slice(2);
const arg = (k: string, d: string) => (argv.includes(`--${k}`) ? argv[argv.indexOf(`--${k}`) + 1]! : d);
const steps = Number(arg('steps', '3000'));
const mode = arg('mode', '');

function loop(scoped: boolean): Record<string, unknown> {
  torch.setNumThreads(1);
  torch.manualSeed(0);
  const model = new nn.Sequential(new nn.Linear(64, 256), new nn.ReLU(), new nn.Linear(256, 1));
  const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
  const x = torch.randn([512, 64]).keep();
  const y = x.narrow(1, 0, 1).mul(2).keep();
  const rss: number[] = [];
  const step = () => {
    opt.zeroGrad();
    const loss = nn.F.mseLoss(model.forward(x), y);
    loss.backward();
    opt.step();
    return loss;
  };
  const t0 = performance.now();
  let last = 0;
  for (let i = 1; i <= steps; i++) {
    if (scoped) last = torch.scope(() => step().item());
    else last = step().item();
    if (i % Math.floor(steps / 6) === 0) rss.push(Math.round(process.memoryUsage().rss / 2 ** 20));
  }
  const seconds = (performance.now() - t0) / 1000;
  return { mode: scoped ? 'scoped' : 'unscoped', steps, stepsPerSec: steps / seconds, peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024), rssMiB: rss, liveTensors: torch.memory().tensors, loss: last };
}

if (mode) {
  console.log(JSON.stringify(loop(mode === 'scoped')));
} else {
  const run = (m: string) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, '--mode', m, '--steps', String(steps)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${m} loop failed:\n${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as { stepsPerSec: number; peakRssMiB: number; rssMiB: number[]; liveTensors: number; loss: number };
  };
  // Interleaved twice: the machine is shared, compare within a pair.
  const res = [run('scoped'), run('unscoped'), run('scoped'), run('unscoped')];
  const best = (i: number) => (res[i]!.stepsPerSec > res[i + 2]!.stepsPerSec ? res[i]! : res[i + 2]!);
  const s = best(0), u = best(1);
  const table = [
    '## Memory without scopes: a PyTorch-style loop',
    '',
    `Written by \`npx tsx bench/memory-loop.ts --steps ${steps}\` on ${new Date().toISOString().slice(0, 10)}: MLP 64-256-1, batch 512, Adam, MSE,`,
    `${steps} steps, 1 thread, each loop in its own process, run twice interleaved (best steps/s shown; shared machine).`,
    'Unscoped: `opt.zeroGrad(); loss = F.mseLoss(model.forward(x), y); loss.backward(); opt.step()` with no torch.scope;',
    "dead tensors are freed through GC guards (native/src/guard.cc) whose finalizers run inside V8's collections.",
    '',
    '| loop | steps/s | peak RSS (MiB) | RSS at 1/6, 2/6, ... of the run (MiB) | live tensors at the end |',
    '|---|---|---|---|---|',
    `| torch.scope per step | ${s.stepsPerSec.toFixed(0)} | ${s.peakRssMiB} | ${s.rssMiB.join(', ')} | ${s.liveTensors} |`,
    `| no scope | ${u.stepsPerSec.toFixed(0)} | ${u.peakRssMiB} | ${u.rssMiB.join(', ')} | ${u.liveTensors} |`,
    '',
    `Unscoped / scoped: ${(u.stepsPerSec / s.stepsPerSec).toFixed(2)}x the speed, ${(u.peakRssMiB / s.peakRssMiB).toFixed(2)}x the peak RSS.`,
    'Before the GC guards (main at 9810430, FinalizationRegistry only; measured by hand with the same script, 1500 steps):',
    'the unscoped loop ran 103 steps/s and grew without bound: RSS 690, 1081, 1468, 1854, 2222, 2615 MiB, 6015 live tensors.',
    '',
  ].join('\n');
  console.log(table);
  writeResultsSection('Memory without scopes: a PyTorch-style loop', table);
}
