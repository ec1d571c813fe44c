/**
 * A custom module with parameters and buffers, written with PyTorch's habits (fields are
 * registered by what they hold), saved to safetensors and loaded by PyTorch's load_state_dict:
 * the same module in Python gives the same outputs. (Skips the PyTorch half when python3-torch is
 * missing.)
 *
 *   npx tsx examples/custom-module.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { torch, nn, io, type Tensor } from '../src/index.ts';

const OUT = resolve(process.env.GENLAB_EXAMPLE_OUT ?? 'out/examples');

/** Standardizes inputs with running statistics (buffers), then a residual MLP block with a learned gain. */
class Standardize extends nn.Module {
  runningMean = new nn.Buffer(torch.zeros([4]));
  runningVar = new nn.Buffer(torch.ones([4]));
  momentum = 0.1;
  forward(x: Tensor): Tensor {
    if (this.training) {
      torch.noGrad(() => {
        this.runningMean.mul_(1 - this.momentum).add_(x.mean(0).mul(this.momentum));
        this.runningVar.mul_(1 - this.momentum).add_(x.var(0).mul(this.momentum));
      });
    }
    return x.sub(this.runningMean).div(this.runningVar.add(1e-5).sqrt());
  }
}

class ResidualNet extends nn.Module {
  norm = new Standardize();
  fc1 = new nn.Linear(4, 16);
  fc2 = new nn.Linear(16, 4);
  gain = new nn.Parameter(torch.full([4], 0.5));
  forward(x: Tensor): Tensor {
    const h = this.norm.forward(x);
    return h.add(this.fc2.forward(this.fc1.forward(h).relu()).mul(this.gain));
  }
}

torch.manualSeed(0);
const net = new ResidualNet();
torch.scope(() => {
  for (let i = 0; i < 20; i++) net.forward(torch.randn([32, 4]).mul(3).add(1)); // updates the running statistics
});
net.eval();
console.log(net.toString());
console.log('state dict:', Object.keys(net.stateDict()).join(', '));

mkdirSync(OUT, { recursive: true });
const weights = join(OUT, 'custom-module.safetensors');
io.saveSafetensors(weights, net.stateDict());
const x = torch.randn([5, 4]);
const y = torch.noGrad(() => net.forward(x));
io.saveSafetensors(join(OUT, 'custom-module-io.safetensors'), { x, y });
console.log(`wrote ${weights}`);

const PY = `
import json, struct, sys, torch, torch.nn as nn
def load(path):
    buf = open(path, 'rb').read(); n = struct.unpack('<Q', buf[:8])[0]; h = json.loads(buf[8:8 + n])
    return {k: torch.frombuffer(bytearray(buf[8 + n + e['data_offsets'][0]:8 + n + e['data_offsets'][1]]), dtype=torch.float32).reshape(e['shape'])
            for k, e in h.items() if k != '__metadata__'}
class Standardize(nn.Module):
    def __init__(self):
        super().__init__(); self.register_buffer('runningMean', torch.zeros(4)); self.register_buffer('runningVar', torch.ones(4))
    def forward(self, x): return (x - self.runningMean) / (self.runningVar + 1e-5).sqrt()
class ResidualNet(nn.Module):
    def __init__(self):
        super().__init__(); self.norm = Standardize(); self.fc1 = nn.Linear(4, 16); self.fc2 = nn.Linear(16, 4); self.gain = nn.Parameter(torch.full((4,), 0.5))
    def forward(self, x):
        h = self.norm(x); return h + self.fc2(self.fc1(h).relu()) * self.gain
net = ResidualNet().eval()
net.load_state_dict(load(sys.argv[1]), strict=True)
io = load(sys.argv[2])
print(json.dumps({'maxAbsDiff': (net(io['x']) - io['y']).abs().max().item()}))
`;
const py = spawnSync('/usr/bin/python3', ['-c', PY, weights, join(OUT, 'custom-module-io.safetensors')], { encoding: 'utf8' });
let maxAbsDiff: number | null = null;
if (py.status === 0) {
  maxAbsDiff = (JSON.parse(py.stdout) as { maxAbsDiff: number }).maxAbsDiff;
  console.log(`PyTorch loaded it with load_state_dict(strict=True); max |difference| of the outputs: ${maxAbsDiff.toExponential(2)}`);
} else {
  console.log(`(PyTorch half skipped: ${py.stderr.trim().split('\n').pop()})`);
}
console.log(JSON.stringify({ example: 'custom-module', keys: Object.keys(net.stateDict()), maxAbsDiff }));
writeFileSync(join(OUT, 'custom-module.json'), JSON.stringify({ maxAbsDiff }));
net.dispose();
