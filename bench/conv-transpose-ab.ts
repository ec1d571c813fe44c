/**
 * `npx tsx bench/conv-transpose-ab.ts [--rounds R] [--iters N]`: A/B of torch.backends.convTransposeOneDnn
 * in one process, interleaved: (1) forward + backward of each transposed convolution of the conv VAE /
 * VQ-VAE decoders (batch 64) alone, and (2) one training step of the conv VAE and of the VQ-VAE (the
 * bench/latent.ts workloads; run bench/latent.ts once first, it writes their weights). CPU ms, 1 thread,
 * smallest over rounds. (3) With --vqgan, also one VQGAN stage-1 step (bench/vqgan.ts's, perceptual weight 0).
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { torch, type Tensor } from '../src/tensor/index.ts';
import { getModel } from '../src/models/index.ts';
import { loadSafetensors } from '../src/io/safetensors.ts';
import { loadData } from '../src/train/data.ts';
import { Adam } from '../src/optim/index.ts';
import { buildVQGAN, vqganFamily, type VQGANConfig } from '../src/models/vq/index.ts';
import { namedParameters } from '../src/train/trainer.ts';
import { createGroupedOptimizer } from '../src/train/optim.ts';
import { resolveTrainConfig } from '../src/train/config.ts';
import { flag } from './args.ts';

const rounds = Number(flag('rounds', '5'));
const iters = Number(flag('iters', '10'));
torch.setNumThreads(1);
const dir = join(tmpdir(), 'genlab-bench-latent');

function cpuMs(n: number, f: () => void): number {
  f();
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) f();
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1e3 / n;
}

function ab(name: string, n: number, f: () => void): void {
  const best = { on: Infinity, off: Infinity };
  for (let r = 0; r < rounds; r++) {
    for (const mode of ['off', 'on'] as const) {
      torch.backends.convTransposeOneDnn = mode === 'on';
      best[mode] = Math.min(best[mode], cpuMs(n, f));
    }
  }
  torch.backends.convTransposeOneDnn = true;
  console.log(`| ${name} | ${best.off.toFixed(2)} | ${best.on.toFixed(2)} | ${(best.on / best.off).toFixed(2)} |`);
}

console.log('| what (CPU ms) | ATen | oneDNN | ratio |\n|---|---|---|---|');
torch.manualSeed(0);
for (const [cin, cout, hw] of [[64, 32, 7], [32, 1, 14]] as const) {
  const x = torch.randn([64, cin, hw, hw]).keep();
  const w = torch.randn([cin, cout, 4, 4]).mul(0.05).requiresGrad_().keep();
  const b = torch.zeros([cout]).requiresGrad_().keep();
  const xg = x.detach().requiresGrad_().keep();
  ab(`convT 4x4 s2 ${cin}->${cout} on ${hw}x${hw}, forward (no grad)`, 20, () => torch.scope(() => void torch.noGrad(() => torch.convTranspose2d(x, w, b, 2, 1))));
  ab(`convT 4x4 s2 ${cin}->${cout} on ${hw}x${hw}, forward + backward (x, w, b)`, 10, () =>
    torch.scope(() => {
      torch.convTranspose2d(xg, w, b, 2, 1).sum().backward();
      xg.grad = null; w.grad = null; b.grad = null;
    }),
  );
}

for (const [name, model, set] of [['bench-conv-vae', 'vae', 'binarized-mnist'], ['bench-vqvae', 'vqvae', 'mnist']] as const) {
  const meta = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as { modelConfig: Record<string, unknown>; shape: number[]; stepSeeds: number[] };
  const info = { name: set, kind: 'image' as const, shape: meta.shape, range: [0, 1] as [number, number] };
  const m = torch.scope(() => getModel(model).create(meta.modelConfig, info));
  const init = loadSafetensors(join(dir, `${name}-init.safetensors`));
  for (const [mn, mod] of Object.entries(m.modules)) {
    const sd: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(init.tensors)) if (k.startsWith(`${mn}.`)) sd[k.slice(mn.length + 1)] = t;
    mod.loadStateDict(sd, { strict: false });
  }
  const data = await loadData(set, { seed: 0 });
  const x = data.train.narrow(0, 0, 64).clone().keep();
  const opt = new Adam(m.parameters(), { lr: 1e-3 });
  let s = 0;
  ab(`${name} training step`, iters, () =>
    torch.scope(() => {
      torch.manualSeed(meta.stepSeeds[s++ % meta.stepSeeds.length]!);
      const loss = m.loss({ x }, s).loss;
      opt.zeroGrad();
      loss.backward();
      opt.step();
    }),
  );
}

if (process.argv.includes('--vqgan')) {
  torch.manualSeed(0);
  const c = { ...vqganFamily.defaultConfig, deadCodeThreshold: 2, discStart: 0, perceptualWeight: 0 } as VQGANConfig;
  const m = buildVQGAN(c, { name: 'shapes', kind: 'image', shape: [3, 32, 32], range: [0, 1] });
  const opt = createGroupedOptimizer(namedParameters(m), m.groups!, resolveTrainConfig({ lr: 1e-4, betas: [0.5, 0.9] }));
  const x = torch.rand([32, 3, 32, 32]).keep();
  let s = 0;
  ab('VQGAN stage-1 step (L1 + GAN), batch 32', Math.max(2, iters >> 1), () =>
    torch.scope(() => {
      const shared: Record<string, unknown> = {};
      s++;
      for (const g of opt.groups) {
        const terms = m.groupLoss!(g.name, { x }, s, shared);
        if (!terms) continue;
        opt.zeroGrad();
        terms.loss.backward();
        g.optimizer.step();
      }
    }),
  );
}
