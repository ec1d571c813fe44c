/**
 * Pictures of a trained latent-variable run (vae, iwae, gumbel-vae, vqvae, vqvae-prior):
 *   node --import tsx scripts/latent-pictures.ts <run> [--docs <prefix>]
 * writes into <run>/samples/: recon.png (inputs beside reconstructions), samples.png, and per family
 * traversals.png / latent-map.png (2-latent VAE) / codebook.png (VQ-VAE usage histogram and its
 * perplexity over training). With --docs, copies them to docs/img/<prefix>-<name>.png.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { torch, type Tensor } from '../src/tensor/index.ts';
import { openRun, loadData, deriveSeed } from '../src/train/index.ts';
import { imageGrid } from '../src/io/image.ts';
import { reconstructionPicture, traversalPicture, latentMapPicture } from '../src/models/vae/pictures.ts';
import { codebookHistogram, codebookOverTraining } from '../src/models/vq/pictures.ts';
import type { GaussianVAE, CategoricalVAE } from '../src/models/vae/index.ts';
import type { VQVAEParts } from '../src/models/vq/index.ts';
import '../src/models/index.ts';

const args = process.argv.slice(2);
const runArg = args[0];
if (!runArg) {
  console.error('usage: scripts/latent-pictures.ts <run> [--docs <prefix>]');
  process.exit(2);
}
const di = args.indexOf('--docs');
const docsPrefix = di >= 0 ? args[di + 1] : undefined;

const opened = openRun(runArg);
const written: string[] = [];
try {
  const { config, model, run } = opened;
  const data = await torch.scope(async () => {
    const d = await loadData(config.data.name, { seed: config.train.seed, testOnly: true });
    return { x: d.test.narrow(0, 0, Math.min(2000, d.test.size(0))).clone().keep(), y: d.testLabels?.narrow(0, 0, Math.min(2000, d.test.size(0))).clone().keep() };
  });
  const out = (name: string) => join(run.samplesDir, name);
  mkdirSync(run.samplesDir, { recursive: true });
  const range = (config.data.range ?? [0, 1]) as [number, number];
  torch.manualSeed(deriveSeed(config.train.seed, 'pictures'));
  torch.noGrad(() => torch.scope(() => {
    const inputs = data.x.narrow(0, 0, 32);
    const m = model as unknown as { vae?: GaussianVAE | CategoricalVAE; vq?: VQVAEParts; base?: { vq: VQVAEParts } };
    const save = (name: string, c: { savePng(p: string): void }) => {
      c.savePng(out(name));
      written.push(out(name));
    };
    const binarize = (x: Tensor) => ((config.modelConfig as { binarize?: boolean }).binarize ? torch.bernoulli(x, { generator: new torch.Generator({ seed: 12345 }) }) : x);
    if (m.vae) {
      save('recon.png', reconstructionPicture(binarize(inputs), (x) => m.vae!.reconstruct(x), { range }));
      if ('latent' in m.vae) {
        const vae = m.vae as GaussianVAE;
        save('traversals.png', traversalPicture(vae, binarize(data.x.narrow(0, 0, 500))).canvas);
        if (vae.latent === 2) save('latent-map.png', latentMapPicture(vae, binarize(data.x), data.y));
      }
    } else if (m.vq) {
      const vq = m.vq;
      save('recon.png', reconstructionPicture(inputs, (x) => vq.decodeIndices(vq.encodeIndices(x)), { range }));
      const idx = vq.encodeIndices(data.x);
      const counts = idx.reshape([-1]).bincount(null, vq.quantizer.codebookSize).toFlatArray();
      const hist = codebookHistogram(counts);
      save('codebook.png', codebookOverTraining(run.readMetrics() as never, vq.quantizer.codebookSize, hist));
    }
    const samples = model.sample(64);
    save('samples.png', imageGrid(samples.detach().to('float32').cpu(), { nrow: 8, range, scale: 2 }));
  }));
  data.x.dispose();
  data.y?.dispose();
} finally {
  opened.dispose();
}
for (const p of written) console.log(p);
if (docsPrefix) {
  for (const p of written) {
    const name = p.split('/').pop()!;
    const dst = join('docs/img', `${docsPrefix}-${name}`);
    copyFileSync(p, dst);
    console.log(`  -> ${dst}`);
  }
}
