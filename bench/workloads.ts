/**
 * genlab side of the engine benchmark: the same workloads as bench/reference/engine.py.
 * Each returns ms per iteration (tiny_op_us: microseconds per op), the median of `reps` runs.
 */
import { torch, type Tensor } from '../src/index.ts';
import { Sequential, Linear, ReLU, Conv2d, MaxPool2d, Flatten } from '../src/nn/index.ts';
import * as F from '../src/nn/functional.ts';
import { Adam, SGD } from '../src/optim/index.ts';

function timeit(step: () => void, iters: number, reps: number): number {
  for (let i = 0; i < Math.max(3, Math.floor(iters / 10)); i++) step();
  const runs: number[] = [];
  for (let r = 0; r < Math.max(1, reps); r++) {
    // CPU time of the process (user + system), as the reference measures: robust to other load.
    const t0 = process.cpuUsage();
    for (let i = 0; i < iters; i++) step();
    const d = process.cpuUsage(t0);
    runs.push((d.user + d.system) / 1e3 / iters);
  }
  runs.sort((a, b) => a - b);
  return runs[Math.floor(runs.length / 2)]!;
}

const mlp = () => new Sequential(new Linear(2, 256), new ReLU(), new Linear(256, 256), new ReLU(), new Linear(256, 2));

function mlpStep(opt: 'adam' | 'sgd', reps: number): number {
  const model = mlp();
  const o = opt === 'adam' ? new Adam(model.parameters(), { lr: 1e-3 }) : new SGD(model.parameters(), { lr: 1e-3 });
  const x = torch.randn([512, 2]).keep();
  const y = torch.randn([512, 2]).keep();
  const ms = timeit(() => torch.scope(() => {
    o.zeroGrad();
    const loss = (model.forward(x) as Tensor).sub(y).pow(2).mean();
    loss.backward();
    o.step();
  }), 200, reps);
  model.dispose();
  o.dispose();
  torch.dispose([x, y]);
  return ms;
}

function convStep(reps: number): number {
  const model = new Sequential(
    new Conv2d(1, 32, 3, { padding: 1 }), new ReLU(), new MaxPool2d(2),
    new Conv2d(32, 64, 3, { padding: 1 }), new ReLU(), new MaxPool2d(2),
    new Flatten(), new Linear(64 * 7 * 7, 128), new ReLU(), new Linear(128, 10));
  const o = new Adam(model.parameters(), { lr: 1e-3 });
  const x = torch.randn([128, 1, 28, 28]).keep();
  const y = torch.randint(0, 10, [128]).keep();
  const ms = timeit(() => torch.scope(() => {
    o.zeroGrad();
    const loss = F.crossEntropy(model.forward(x) as Tensor, y);
    loss.backward();
    o.step();
  }), 20, reps);
  model.dispose();
  o.dispose();
  torch.dispose([x, y]);
  return ms;
}

function tinyOps(reps: number): number {
  const a = torch.randn([16]).keep();
  const b = torch.randn([16]).keep();
  const ms = timeit(() => torch.scope(() => {
    for (let i = 0; i < 10; i++) {
      let c = a.add(b);
      c = c.mul(2);
      c = c.sub(a);
      c = c.exp();
      c = c.mul(b);
      c = torch.tanh(c);
      c = c.sum();
      a.add_(b);
      a.sub_(b);
      c = a.matmul(b);
    }
  }), 2000, reps);
  torch.dispose([a, b]);
  return (ms * 1000) / 100;
}

export const workloads: Record<string, { describe: string; run: (reps: number) => number }> = {
  mlp_adam: { describe: 'MLP 2-256-256-2, batch 512, Adam step (ms)', run: (r) => mlpStep('adam', r) },
  mlp_sgd: { describe: 'MLP 2-256-256-2, batch 512, SGD step (ms)', run: (r) => mlpStep('sgd', r) },
  conv_adam: { describe: 'conv net on 1x28x28, batch 128, Adam step (ms)', run: convStep },
  tiny_op_us: { describe: 'tiny-op loop, 16 elements (us per op)', run: tinyOps },
};
