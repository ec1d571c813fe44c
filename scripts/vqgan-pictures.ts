/**
 * Pictures and numbers of a VQGAN (stage 1 + stage 2) on a colour image set:
 *   node --import tsx scripts/vqgan-pictures.ts --stage1 <vqgan run> [--stage2 <vqgan-transformer run>]
 *        [--baseline <vqvae run>] [--out docs/img] [--n 500]
 * Writes <out>/vqgan-recon.png (test inputs, the VQGAN's reconstructions, the baseline's),
 * vqgan-codebook.png (usage histogram + perplexity over training), and with a stage-2 run
 * vqgan-samples-topk.png (grids at several top-k) and vqgan-codegrid.png (a sample beside its codes).
 * Prints a JSON line of numbers: test L1/MSE of each stage-1 run, codebook usage, and the Fréchet
 * distance of reconstructions and samples to test images in the perceptual feature space
 * (genlab's classifier conv features, global-average-pooled per colour channel: comparable only
 * with itself).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { torch, type Tensor } from '../src/tensor/index.ts';
import { openRun, loadData, deriveSeed, type OpenedRun } from '../src/train/index.ts';
import { imageGrid } from '../src/io/image.ts';
import { composeSideBySide, renderLineChart } from '../src/io/plot.ts';
import { frechetDistance } from '../src/metrics/features.ts';
import { codebookHistogram, codebookOverTraining, codeGridPicture } from '../src/models/vq/pictures.ts';
import { FeaturePerceptualLoss, type VQVAEParts, type VQGANTransformerInstance } from '../src/models/vq/index.ts';
import * as F from '../src/nn/functional.ts';
import '../src/models/index.ts';

const args = process.argv.slice(2);
const arg = (k: string) => {
  const i = args.indexOf(`--${k}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const s1Path = arg('stage1');
if (!s1Path) {
  console.error('usage: scripts/vqgan-pictures.ts --stage1 <vqgan run> [--stage2 <run>] [--baseline <vqvae run>] [--out docs/img] [--n 500]');
  process.exit(2);
}
const outDir = arg('out') ?? 'docs/img';
const N = Number(arg('n') ?? 500);
mkdirSync(outDir, { recursive: true });
const written: string[] = [];
const numbers: Record<string, number> = {};

const percept = new FeaturePerceptualLoss();
/** Pooled conv features of images [N, C, H, W] in [0, 1]: [N, C·96]. */
const feats = (x: Tensor): Tensor =>
  torch.noGrad(() => {
    const [n, c, h, w] = x.shape as [number, number, number, number];
    const g = x.reshape([n * c, 1, h, w]);
    const h1 = percept.net.conv1.forward(g).relu();
    const h2 = percept.net.conv2.forward(F.maxPool2d(h1, 2)).relu();
    return torch.cat([h1.mean([2, 3]), h2.mean([2, 3])], 1).reshape([n, c * 96]).to('float64');
  });

const s1 = openRun(s1Path);
const base = arg('baseline') ? openRun(arg('baseline')!) : null;
const s2: OpenedRun | null = arg('stage2') ? openRun(arg('stage2')!) : null;
try {
  const test = await torch.scope(async () => {
    const d = await loadData(s1.config.data.name, { seed: 0, testOnly: true });
    return d.test.narrow(0, 0, Math.min(N, d.test.size(0))).clone().keep();
  });
  const realF = feats(test).keep();
  torch.manualSeed(deriveSeed(0, 'pictures'));
  const reconOf = (o: OpenedRun) => (x: Tensor) => {
    const vq = (o.model as unknown as { vq: VQVAEParts }).vq;
    return vq.decodeIndices(vq.encodeIndices(x));
  };
  torch.noGrad(() =>
    torch.scope(() => {
      const runs: [string, OpenedRun][] = [['vqgan', s1], ...(base ? [['baseline', base] as [string, OpenedRun]] : [])];
      const grids = [imageGrid(test.narrow(0, 0, 32), { nrow: 8, scale: 2 })];
      const labels = ['test inputs'];
      for (const [name, o] of runs) {
        const r = reconOf(o)(test);
        numbers[`${name}.l1`] = r.sub(test).abs().mean().item();
        numbers[`${name}.mse`] = r.sub(test).square().mean().item();
        numbers[`${name}.reconFD`] = frechetDistance(realF, feats(r));
        const idx = (o.model as unknown as { vq: VQVAEParts }).vq.encodeIndices(test);
        const K = (o.model as unknown as { vq: VQVAEParts }).vq.quantizer.codebookSize;
        const counts = idx.reshape([-1]).bincount(null, K).toFlatArray();
        numbers[`${name}.codesUsed`] = counts.filter((v) => v > 0).length;
        grids.push(imageGrid(r.narrow(0, 0, 32), { nrow: 8, scale: 2 }));
        labels.push(`${o.config.model} (${o.config.train.steps} steps)`);
        if (name === 'vqgan') {
          const hist = codebookHistogram(counts);
          const p = join(outDir, 'vqgan-codebook.png');
          codebookOverTraining(s1.run.readMetrics() as never, K, hist).savePng(p);
          written.push(p);
        }
      }
      const recs = s1.run.readMetrics() as unknown as Record<string, number>[];
      const adv = recs.filter((r) => r['d.loss'] !== undefined);
      if (adv.length) {
        const series = ['d_weight', 'g_adv', 'd.loss', 'd.logits_real', 'd.logits_fake'].map((k) => ({ name: k, x: adv.map((r) => r.step!), values: adv.map((r) => r[k]!) }));
        const gp = join(outDir, 'vqgan-gan.png');
        renderLineChart(series, { title: `adversarial terms after discStart (${s1.config.modelConfig.discStart})`, xLabel: 'step', size: [640, 320] }).savePng(gp);
        written.push(gp);
      }
      const p = join(outDir, 'vqgan-recon.png');
      composeSideBySide(grids, { labels, gap: 12 }).savePng(p);
      written.push(p);
    }),
  );
  if (s2) {
    const m = s2.model as unknown as VQGANTransformerInstance;
    const [h, w] = m.grid;
    torch.noGrad(() =>
      torch.scope(() => {
        const grids = [];
        const labels = [];
        for (const topK of [0, 32, 8]) {
          const g = new torch.Generator({ seed: 7 });
          const x = m.sample(Math.min(N, 500), { topK, generator: g });
          numbers[`samples.topK${topK}.FD`] = frechetDistance(realF, feats(x));
          grids.push(imageGrid(x.narrow(0, 0, 32), { nrow: 8, scale: 2 }));
          labels.push(topK ? `top-k ${topK}` : 'no top-k');
        }
        let p = join(outDir, 'vqgan-samples-topk.png');
        composeSideBySide(grids, { labels, gap: 12 }).savePng(p);
        written.push(p);
        const codes = m.transformer.sample(1, { topK: 32, generator: new torch.Generator({ seed: 3 }) });
        const img = m.base.vq.decodeIndices(codes.reshape([1, h, w]));
        const grid = codes.reshape([h, w]).toFlatArray();
        const rows = Array.from({ length: h }, (_, i) => grid.slice(i * w, (i + 1) * w));
        p = join(outDir, 'vqgan-codegrid.png');
        codeGridPicture(imageGrid(img, { padding: 0 }), rows, m.base.vq.quantizer.codebookSize).savePng(p);
        written.push(p);
      }),
    );
  }
  test.dispose();
  realF.dispose();
} finally {
  s1.dispose();
  base?.dispose();
  s2?.dispose();
  percept.dispose();
}
console.log(JSON.stringify(numbers));
for (const p of written) console.log(`wrote ${p}`);
