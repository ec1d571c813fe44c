/**
 * Numbers and pictures of VQ autoencoders and their code transformers on Fashion-MNIST, scored in
 * the feature space of genlab's classifier (src/metrics/classifier.ts: the Fréchet distance "FD"
 * of its 128 penultimate features, comparable only with itself):
 *
 *   node --import tsx scripts/vqgan-eval.ts recon [--n 10000] [--pictures docs/img] label=<run folder | recon.f32> ...
 *     test L1, MSE, reconstruction FD (reconstructions of the first n test images vs those images),
 *     codes used and perplexity, for vqgan/vqvae runs or reconstructions written by the PyTorch twin
 *     (bench/reference/vqgan_stage1.py, float32 [n, 1, 28, 28]); with --pictures, a side-by-side
 *     picture of the reconstructions (vqgan-fmnist-recon.png), the codebook usage and the
 *     adversarial terms of the last run (vqgan-fmnist-codebook-<label>.png, vqgan-fmnist-gan.png);
 *     label=@train scores n training images instead (the FD of real images: the metric's floor).
 *   node --import tsx scripts/vqgan-eval.ts samples <vqgan-transformer run> [--n 2000] [--topk 0,64,16,4] [--pictures docs/img] [--tag fmnist]
 *     sample FD (n samples vs the first n test images) at each top-k; with --pictures, the grids
 *     (vqgan-<tag>-samples-topk.png) and a sample beside its code grid (vqgan-<tag>-codegrid.png).
 * Prints one JSON line per entry and a markdown table.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { torch, type Tensor } from '../src/tensor/index.ts';
import { openRun, loadData, type OpenedRun } from '../src/train/index.ts';
import { imageGrid } from '../src/io/image.ts';
import { composeSideBySide, renderLineChart } from '../src/io/plot.ts';
import { loadFeatureClassifier, classifierFeatures } from '../src/metrics/classifier.ts';
import { frechetDistance } from '../src/metrics/features.ts';
import { codebookHistogram, codebookOverTraining, codeGridPicture } from '../src/models/vq/pictures.ts';
import type { VQVAEParts, VQGANTransformerInstance } from '../src/models/vq/index.ts';
import '../src/models/index.ts';

const argv = process.argv.slice(2);
const mode = argv[0];
const flag = (k: string): string | undefined => {
  const i = argv.indexOf(`--${k}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const positional = argv.slice(1).filter((a, i, all) => !a.startsWith('--') && !(i > 0 && all[i - 1]!.startsWith('--')));
if (mode !== 'recon' && mode !== 'samples') {
  console.error('usage: scripts/vqgan-eval.ts recon [--n N] [--pictures dir] label=<run|recon.f32> ... | samples <run> [--n N] [--topk 0,64,16,4] [--pictures dir] [--tag t]');
  process.exit(2);
}
const pictures = flag('pictures');
if (pictures) mkdirSync(pictures, { recursive: true });
const net = loadFeatureClassifier();
const data = await loadData('fashion-mnist', { seed: 0, testOnly: true });
const rows: Record<string, number | string>[] = [];

// label=@train scores the first n training images as if they were reconstructions (the FD's floor)
const trainData = positional.some((p) => p.endsWith('=@train')) ? (await loadData('fashion-mnist', { seed: 0 })).train : null;
const fd = (real: Tensor, x: Tensor): number => torch.noGrad(() => torch.scope(() => frechetDistance(real, classifierFeatures(net, x))));

if (mode === 'recon') {
  const n = Number(flag('n') ?? 10000);
  const test = data.test.narrow(0, 0, Math.min(n, data.test.size(0))).contiguous().keep();
  const real = torch.noGrad(() => classifierFeatures(net, test)).keep();
  // each panel a column of the same 8 test images, 2 wide, 3× size, so rows compare across runs
  const panel = (x: Tensor) => imageGrid(x.narrow(0, 0, 8), { nrow: 2, scale: 3 });
  const grids = [panel(test)];
  const labels = ['test inputs'];
  let lastRun: OpenedRun | null = null;
  for (const spec of positional) {
    const [label, path] = [spec.slice(0, spec.indexOf('=')), spec.slice(spec.indexOf('=') + 1)];
    if (!label || !path) throw new Error(`vqgan-eval: '${spec}' is not label=<run folder | recon.f32>`);
    const t0 = performance.now();
    const row: Record<string, number | string> = { label, source: path };
    torch.noGrad(() =>
      torch.scope(() => {
        let r: Tensor;
        if (path === '@train') {
          // the scale of the FD: the first n training images against the test images
          r = trainData!.narrow(0, 0, test.size(0));
        } else if (path.endsWith('.f32')) {
          const buf = readFileSync(path);
          const want = test.numel();
          if (buf.length < want * 4) throw new Error(`vqgan-eval: ${path} has ${buf.length / 4} floats, the first ${test.size(0)} test images need ${want}`);
          r = torch.tensor(new Float32Array(buf.buffer, buf.byteOffset, want)).reshape(test.shape);
        } else {
          const o = openRun(path);
          if (lastRun) lastRun.dispose();
          lastRun = o;
          const vq = (o.model as unknown as { vq?: VQVAEParts }).vq;
          if (!vq) throw new Error(`vqgan-eval: ${path} is a '${o.config.model}' run, not a vqgan or vqvae`);
          const K = vq.quantizer.codebookSize;
          const parts: Tensor[] = [];
          const counts = torch.zeros([K]);
          for (let i = 0; i < test.size(0); i += 500) {
            const idx = vq.encodeIndices(test.narrow(0, i, Math.min(500, test.size(0) - i)));
            counts.add_(idx.reshape([-1]).bincount(null, K).to('float32'));
            parts.push(vq.decodeIndices(idx));
          }
          r = torch.cat(parts, 0);
          const p = counts.div(counts.sum());
          row.codesUsed = counts.gt(0).sum().item();
          row.perplexity = p.mul(p.clampMin(1e-12).log()).sum().neg().exp().item();
          row.steps = o.config.train.steps;
          if (pictures) {
            const hist = codebookHistogram(counts.toFlatArray());
            codebookOverTraining(o.run.readMetrics() as never, K, hist).savePng(join(pictures, `vqgan-fmnist-codebook-${label}.png`));
          }
        }
        row.l1 = r.sub(test).abs().mean().item();
        row.mse = r.sub(test).square().mean().item();
        row.reconFD = fd(real, r);
        if (path !== '@train') {
          grids.push(panel(r));
          labels.push(label);
        }
      }),
    );
    row.evalSeconds = (performance.now() - t0) / 1000;
    rows.push(row);
    console.log(JSON.stringify(row));
  }
  if (pictures) {
    composeSideBySide(grids, { labels, gap: 12 }).savePng(join(pictures, 'vqgan-fmnist-recon.png'));
    const o = lastRun as OpenedRun | null;
    const recs = (o?.run.readMetrics() ?? []) as unknown as Record<string, number>[];
    const adv = recs.filter((r) => r['d.loss'] !== undefined);
    if (adv.length) {
      const series = ['d_weight', 'g_adv', 'd.loss', 'd.logits_real', 'd.logits_fake'].map((k) => ({ name: k, x: adv.map((r) => r.step!), values: adv.map((r) => r[k]!) }));
      renderLineChart(series, { title: `adversarial terms after discStart (${o!.config.modelConfig.discStart})`, xLabel: 'step', size: [640, 320] }).savePng(join(pictures, 'vqgan-fmnist-gan.png'));
    }
  }
  (lastRun as OpenedRun | null)?.dispose();
  console.log('\n| run | test L1 | test MSE | recon FD | codes used | perplexity |\n|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.label} | ${(r.l1 as number).toFixed(4)} | ${(r.mse as number).toFixed(5)} | ${(r.reconFD as number).toFixed(3)} | ${r.codesUsed ?? '—'} | ${typeof r.perplexity === 'number' ? r.perplexity.toFixed(1) : '—'} |`);
} else {
  const runPath = positional[0];
  if (!runPath) throw new Error('vqgan-eval samples: name a vqgan-transformer run');
  const n = Number(flag('n') ?? 2000);
  const tag = flag('tag') ?? 'fmnist';
  const topks = (flag('topk') ?? '0,64,16,4').split(',').map(Number);
  const test = data.test.narrow(0, 0, Math.min(n, data.test.size(0))).contiguous().keep();
  const real = torch.noGrad(() => classifierFeatures(net, test)).keep();
  const o = openRun(runPath);
  const m = o.model as unknown as VQGANTransformerInstance;
  const grids: ReturnType<typeof imageGrid>[] = [];
  const labels: string[] = [];
  for (const topK of topks) {
    const t0 = performance.now();
    const row = torch.noGrad(() =>
      torch.scope(() => {
        const x = m.sample(n, { topK, generator: new torch.Generator({ seed: 11 }) });
        if (pictures) {
          grids.push(imageGrid(x.narrow(0, 0, 48), { nrow: 8, scale: 2 }));
          labels.push(topK ? `top-k ${topK}` : 'no top-k');
        }
        return { label: topK ? `top-k ${topK}` : 'no top-k', topK, n, sampleFD: fd(real, x) };
      }),
    );
    const out = { ...row, seconds: (performance.now() - t0) / 1000 };
    rows.push(out);
    console.log(JSON.stringify(out));
  }
  if (pictures) {
    composeSideBySide(grids, { labels, gap: 12 }).savePng(join(pictures, `vqgan-${tag}-samples-topk.png`));
    torch.noGrad(() =>
      torch.scope(() => {
        const [h, w] = m.grid;
        const codes = m.transformer.sample(1, { topK: 16, generator: new torch.Generator({ seed: 3 }) });
        const img = m.base.vq.decodeIndices(codes.reshape([1, h, w]));
        const flat = codes.reshape([h, w]).toFlatArray();
        const grid = Array.from({ length: h }, (_, i) => flat.slice(i * w, (i + 1) * w));
        codeGridPicture(imageGrid(img, { padding: 0, scale: 4 }), grid, m.base.vq.quantizer.codebookSize).savePng(join(pictures, `vqgan-${tag}-codegrid.png`));
      }),
    );
  }
  // tokens/s of the transformer alone (no decoding), with and without the key/value cache: CPU time
  // of this process, the same generator seed, so both draw the same tokens
  const speed: Record<string, number> = {};
  for (const cache of [true, false]) {
    torch.noGrad(() =>
      torch.scope(() => {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const codes = m.transformer.sample(64, { topK: 16, cache, generator: new torch.Generator({ seed: 5 }) });
        const cpu = process.cpuUsage(c0);
        const tokens = codes.numel();
        speed[cache ? 'cached' : 'uncached'] = tokens / ((cpu.user + cpu.system) / 1e6);
        console.log(JSON.stringify({ cache, tokens, cpuSeconds: (cpu.user + cpu.system) / 1e6, wallSeconds: (performance.now() - t0) / 1000, tokensPerCpuSecond: speed[cache ? 'cached' : 'uncached'] }));
      }),
    );
  }
  o.dispose();
  console.log(`\ntokens per CPU second (64 samples of ${m.grid[0] * m.grid[1]} codes, top-k 16): cached ${speed.cached!.toFixed(0)}, uncached ${speed.uncached!.toFixed(0)} (${(speed.cached! / speed.uncached!).toFixed(2)}x)`);
  console.log('\n| sampling | sample FD |\n|---|---|');
  for (const r of rows) console.log(`| ${r.label} | ${(r.sampleFD as number).toFixed(3)} |`);
}
net.dispose();
