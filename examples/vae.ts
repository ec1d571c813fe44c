/**
 * A VAE written from scratch with nn and optim (Kingma & Welling 2014) on MNIST: an MLP encoder to
 * (mu, log sigma^2), the reparameterization z = mu + sigma * eps, an MLP decoder to Bernoulli logits;
 * loss = BCE(x | z) + KL(q(z|x) || N(0, I)), summed over pixels and latents, averaged over the batch.
 * Writes samples and reconstructions to out/examples/vae-*.png.
 *
 *   npx tsx examples/vae.ts          (GENLAB_EXAMPLE_STEPS=N for fewer steps)
 * In your own project: import { torch, nn, optim, data, io } from 'genlab'.
 */
import { torch, nn, optim, data, io, type Tensor } from '../src/index.ts';

const STEPS = Number(process.env.GENLAB_EXAMPLE_STEPS ?? 2000);
const OUT = process.env.GENLAB_EXAMPLE_OUT ?? 'out/examples';

class VAE extends nn.Module {
  encoder = new nn.Sequential(new nn.Linear(784, 400), new nn.ReLU());
  mu = new nn.Linear(400, 20);
  logVar = new nn.Linear(400, 20);
  decoder = new nn.Sequential(new nn.Linear(20, 400), new nn.ReLU(), new nn.Linear(400, 784));

  forward(x: Tensor): { logits: Tensor; mu: Tensor; logVar: Tensor } {
    const h = this.encoder.forward(x);
    const mu = this.mu.forward(h);
    const logVar = this.logVar.forward(h);
    const z = mu.add(logVar.mul(0.5).exp().mul(torch.randnLike(mu)));
    return { logits: this.decoder.forward(z), mu, logVar };
  }
}

function loss(model: VAE, x: Tensor): { loss: Tensor; recon: Tensor; kl: Tensor } {
  const { logits, mu, logVar } = model.forward(x);
  const b = x.size(0);
  const recon = nn.F.binaryCrossEntropyWithLogits(logits, x, { reduction: 'sum' }).div(b);
  const kl = logVar.exp().add(mu.square()).sub(1).sub(logVar).sum().mul(0.5).div(b);
  return { loss: recon.add(kl), recon, kl };
}

torch.manualSeed(0);
const mnist = data.loadMnist('train');
const x = torch.scope(() => data.scalePixels(mnist.images, '01').reshape([-1, 784]).keep());
const loader = new data.DataLoader(x, { batchSize: 128, shuffle: true, dropLast: true });
const model = new VAE();
const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
console.log(model.toString());

let step = 0;
let first = NaN, last = NaN;
while (step < STEPS) {
  for (const batch of loader) {
    const terms = torch.scope(() => {
      opt.zeroGrad();
      const t = loss(model, batch);
      t.loss.backward();
      opt.step();
      return { loss: t.loss.item(), recon: t.recon.item(), kl: t.kl.item() };
    });
    if (step === 0) first = terms.loss;
    last = terms.loss;
    step += 1;
    if (step % 200 === 0 || step === STEPS) console.log(`step ${step}: loss ${terms.loss.toFixed(1)} (recon ${terms.recon.toFixed(1)}, kl ${terms.kl.toFixed(1)})`);
    if (step >= STEPS) break;
  }
}

torch.noGrad(() =>
  torch.scope(() => {
    model.eval();
    const samples = model.decoder.forward(torch.randn([64, 20])).sigmoid().reshape([64, 1, 28, 28]);
    io.saveImageGrid(`${OUT}/vae-samples.png`, samples, { nrow: 8 });
    const inputs = x.narrow(0, 0, 8);
    const recon = model.forward(inputs).logits.sigmoid();
    io.saveImageGrid(`${OUT}/vae-reconstructions.png`, torch.cat([inputs, recon]).reshape([16, 1, 28, 28]), { nrow: 8 });
  }),
);
console.log(JSON.stringify({ example: 'vae', steps: STEPS, firstLoss: first, lastLoss: last }));
model.dispose();
opt.dispose();
x.dispose();
mnist.dispose();
