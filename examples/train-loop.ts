/**
 * A plain training loop: a DataLoader over a 2-D data set (two-moons points, labelled by the side of
 * a sine curve they fall on), an MLP
 * classifier, AdamW, a warm-up + cosine learning-rate schedule (LRScheduler), gradient clipping, a
 * held-out accuracy per epoch and a checkpoint of model + optimizer + schedule in one safetensors
 * file. Each step is one torch.scope.
 *
 *   npx tsx examples/train-loop.ts        (GENLAB_EXAMPLE_STEPS=N caps the steps)
 */
import { torch, nn, optim, data, io, type Tensor } from '../src/index.ts';

const MAX_STEPS = Number(process.env.GENLAB_EXAMPLE_STEPS ?? 1000);
const OUT = process.env.GENLAB_EXAMPLE_OUT ?? 'out/examples';

torch.manualSeed(0);
const g = new torch.Generator({ seed: 0 });
/** Two-moons points with a class: 1 above the curve x1 = sin(2 x0), 0 below (integer labels). */
function labelled(n: number): { x: Tensor; y: Tensor } {
  const x = data.moons.sample(n, g);
  const y = x.select(1, 1).gt(x.select(1, 0).mul(2).sin()).long();
  return { x, y };
}
const train = torch.scope(() => {
  const t = labelled(4096);
  return { x: t.x.keep(), y: t.y.keep() };
});
const test = torch.scope(() => {
  const t = labelled(1024);
  return { x: t.x.keep(), y: t.y.keep() };
});

const loader = new data.DataLoader({ x: train.x, y: train.y }, { batchSize: 128, shuffle: true, seed: 1 });
const epochs = Math.ceil(MAX_STEPS / loader.numBatches);
const model = new nn.Sequential(new nn.Linear(2, 64), new nn.SiLU(), new nn.Linear(64, 64), new nn.SiLU(), new nn.Linear(64, 2));
const opt = new optim.AdamW(model.parameters(), { lr: 3e-3, weightDecay: 1e-4 });
const totalSteps = Math.min(MAX_STEPS, epochs * loader.numBatches);
const sched = new optim.LRScheduler(opt, optim.cosineDecay({ totalSteps, warmupSteps: Math.min(50, totalSteps >> 2) }));
console.log(`${loader.numBatches} batches per epoch (len(loader)), ${epochs} epoch(s), ${totalSteps} steps`);

let step = 0;
let accuracy = 0;
for (let epoch = 0; epoch < epochs && step < totalSteps; epoch++) {
  let sum = 0, n = 0;
  for (const batch of loader) {
    sum += torch.scope(() => {
      opt.zeroGrad();
      const l = nn.F.crossEntropy(model.forward(batch.x), batch.y);
      l.backward();
      optim.clipGradNorm_(model.parameters(), 1.0);
      opt.step();
      sched.step();
      return l.item();
    });
    n += 1;
    if (++step >= totalSteps) break;
  }
  accuracy = torch.noGrad(() => torch.scope(() => model.forward(test.x).argmax(1).eq(test.y).float().mean().item()));
  console.log(`epoch ${epoch + 1}: loss ${(sum / n).toFixed(4)}, lr ${sched.lastLr[0]!.toExponential(2)}, held-out accuracy ${(accuracy * 100).toFixed(1)}%`);
}

io.saveSafetensors(`${OUT}/train-loop.safetensors`, model.stateDict(), { step: String(step), schedule: JSON.stringify(sched.stateDict()) });
console.log(JSON.stringify({ example: 'train-loop', steps: step, accuracy }));
for (const t of [train.x, train.y, test.x, test.y]) t.dispose();
model.dispose();
opt.dispose();
