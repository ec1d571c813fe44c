/**
 * A normalizing flow built, trained and sampled through the API: RealNVP (affine couplings with
 * alternating masks and MLP conditioners) on two moons, by maximum likelihood,
 *   log p(x) = log N(f(x); 0, I) + log |det df/dx|,
 * then samples x = f^-1(z) and a density picture (out/examples/flow-*.png).
 *
 *   npx tsx examples/flow.ts          (GENLAB_EXAMPLE_STEPS=N for fewer steps)
 */
import { torch, optim, data, io, flows } from '../src/index.ts';

const STEPS = Number(process.env.GENLAB_EXAMPLE_STEPS ?? 2000);
const OUT = process.env.GENLAB_EXAMPLE_OUT ?? 'out/examples';
const D = 2;

torch.manualSeed(0);
const layers = Array.from({ length: 6 }, (_, i) =>
  new flows.AffineCoupling(flows.alternatingMask(D, (i % 2) as 0 | 1), new flows.MLP(D, 2 * D, { hidden: [64, 64] })));
const flow = new flows.Flow(new flows.StandardNormal([D]), layers);
const opt = new optim.Adam(flow.parameters(), { lr: 2e-3 });
const g = new torch.Generator({ seed: 1 });

let first = NaN, last = NaN;
for (let step = 1; step <= STEPS; step++) {
  const nll = torch.scope(() => {
    opt.zeroGrad();
    const x = data.moons.sample(256, g);
    const loss = flow.logProb(x).mean().neg();
    loss.backward();
    opt.step();
    return loss.item();
  });
  if (step === 1) first = nll;
  last = nll;
  if (step % 250 === 0 || step === STEPS) console.log(`step ${step}: NLL ${nll.toFixed(3)} nats`);
}

const heldOut = torch.noGrad(() => torch.scope(() => flow.logProb(data.moons.sample(4000, g)).mean().neg().item()));
torch.noGrad(() =>
  torch.scope(() => {
    const samples = flow.sample(2000);
    const ref = data.moons.sample(2000, g);
    io.scatterPlot(`${OUT}/flow-samples.png`, [
      { points: ref, color: '#999999', label: 'data' },
      { points: samples, color: '#d62728', label: 'flow samples' },
    ], { title: 'RealNVP on two moons' });
    io.densityHeatmap(`${OUT}/flow-density.png`, (xy) => flow.logProb(xy), { bounds: [-4, 4, -2.5, 2.5], title: 'learned density' });
  }),
);
console.log(`held-out NLL ${heldOut.toFixed(3)} nats`);
console.log(JSON.stringify({ example: 'flow', steps: STEPS, firstNll: first, lastNll: last, heldOutNll: heldOut }));
flow.dispose();
opt.dispose();
