/**
 * `npx tsx bench/module-registration.ts`: the forward-path cost of field registration. The same MLP
 * (64-256-256-1, batch 512) written with fields (`fc1 = new nn.Linear(...)`) and with explicit
 * registerModule calls; forward+backward per step (CPU time, interleaved, best of 5), and the cost
 * of parameters() (the lazy field sync runs there, not in forward). Appends to bench/RESULTS.md.
 */
import { writeResultsSection } from './results-file.ts';
import { torch, nn, type Tensor } from '../src/index.ts';

torch.setNumThreads(1);
torch.manualSeed(0);

class Fields extends nn.Module {
  fc1 = new nn.Linear(64, 256);
  fc2 = new nn.Linear(256, 256);
  fc3 = new nn.Linear(256, 1);
  forward(x: Tensor): Tensor {
    return this.fc3.forward(this.fc2.forward(this.fc1.forward(x).relu()).relu());
  }
}
class Explicit extends nn.Module {
  readonly fc1: nn.Linear;
  readonly fc2: nn.Linear;
  readonly fc3: nn.Linear;
  constructor() {
    super();
    this.fc1 = this.registerModule('fc1', new nn.Linear(64, 256));
    this.fc2 = this.registerModule('fc2', new nn.Linear(256, 256));
    this.fc3 = this.registerModule('fc3', new nn.Linear(256, 1));
  }
  forward(x: Tensor): Tensor {
    return this.fc3.forward(this.fc2.forward(this.fc1.forward(x).relu()).relu());
  }
}

const cpuMs = () => process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000;
const x = torch.randn([512, 64]).keep();
function stepMs(m: nn.Module & { forward(x: Tensor): Tensor }, n: number): number {
  const t0 = cpuMs();
  for (let i = 0; i < n; i++) torch.scope(() => m.forward(x).sum().backward());
  return (cpuMs() - t0) / n;
}
function paramsUs(m: nn.Module, n: number): number {
  const t0 = cpuMs();
  for (let i = 0; i < n; i++) m.parameters();
  return ((cpuMs() - t0) / n) * 1000;
}
const a = new Fields(), b = new Explicit();
stepMs(a, 20); stepMs(b, 20);
let fa = Infinity, fb = Infinity, pa = Infinity, pb = Infinity;
for (let r = 0; r < 5; r++) {
  fa = Math.min(fa, stepMs(a, 100));
  fb = Math.min(fb, stepMs(b, 100));
  pa = Math.min(pa, paramsUs(a, 2000));
  pb = Math.min(pb, paramsUs(b, 2000));
}
const table = [
  '## Module registration: forward-path cost',
  '',
  `Written by \`npx tsx bench/module-registration.ts\` on ${new Date().toISOString().slice(0, 10)}: an MLP 64-256-256-1 on a batch of 512,`,
  'written with fields (`fc1 = new nn.Linear(...)`, registered lazily when a traversal runs) and with explicit',
  'registerModule calls; CPU time, 1 thread, best of 5 interleaved runs (shared machine: compare the ratio).',
  '',
  '| what | fields | explicit | fields / explicit |',
  '|---|---|---|---|',
  `| forward + backward step (ms) | ${fa.toFixed(3)} | ${fb.toFixed(3)} | ${(fa / fb).toFixed(2)} |`,
  `| parameters() (µs per call; the field sync runs here) | ${pa.toFixed(2)} | ${pb.toFixed(2)} | ${(pa / pb).toFixed(2)} |`,
  '',
  'The forward path reads plain fields in both: registration costs nothing there. The sync is a scan of each',
  "module's own keys, paid by parameters()/stateDict()/to() (an optimizer calls parameters() once).",
  '',
].join('\n');
console.log(table);
writeResultsSection('Module registration: forward-path cost', table);
