/**
 * Pictures of a run, drawn with io's writers: image samples as a grid; 2D samples as a scatter plot
 * (model samples over the data in gray) plus, when the model has logProb, a density heat map; and
 * the loss curve from metrics.jsonl.
 */
import { torch, type Tensor } from '../tensor/index.ts';
import { saveImageGrid } from '../io/image.ts';
import { scatterPlot, densityHeatmap, renderLineChart, type Bounds, type Series } from '../io/plot.ts';
import { Canvas, PALETTE, WHITE } from '../io/canvas.ts';
import type { DataInfo, ModelInstance, SampleOptions } from '../models/registry.ts';
import type { MetricsRecord, RunDir } from './run.ts';

export interface SamplePictureOptions {
  run: RunDir;
  step: number;
  model: ModelInstance;
  data: DataInfo;
  /** Samples to draw (image grids use at most 64). */
  count: number;
  /** Data to draw next to the samples (2D). */
  reference?: Tensor;
  /** Options for model.sample. */
  sampleOptions?: SampleOptions;
  /** Output paths (default: the run's samples/step-XXXXXXX.png and -density.png). */
  path?: string;
  densityPath?: string;
}

/** Square bounds around 2D points: the 0.5%-99.5% range of both coordinates, padded by 10%. */
export function boundsOf(points: Tensor): Bounds {
  return torch.noGrad(() =>
    torch.scope(() => {
      const p = points.detach().to('float32');
      const sorted = p.sort(0)[0];
      const n = p.size(0);
      const lo = sorted.select(0, Math.floor(0.005 * (n - 1))).toFlatArray();
      const hi = sorted.select(0, Math.ceil(0.995 * (n - 1))).toFlatArray();
      const cx = (lo[0]! + hi[0]!) / 2;
      const cy = (lo[1]! + hi[1]!) / 2;
      let half = Math.max(hi[0]! - lo[0]!, hi[1]! - lo[1]!) * 0.55;
      if (!(half > 0) || !Number.isFinite(half)) half = 4;
      return [cx - half, cx + half, cy - half, cy + half] as Bounds;
    }),
  );
}

/**
 * Draws samples and writes the pictures of a step; returns their paths. Runs without grad; the
 * caller seeds the RNG.
 */
export function writeSamplePictures(o: SamplePictureOptions): string[] {
  const paths: string[] = [];
  torch.noGrad(() =>
    torch.scope(() => {
      if (o.data.kind === 'image') {
        const n = Math.min(64, o.count);
        const x = o.model.sample(n, o.sampleOptions);
        const path = o.path ?? o.run.samplePath(o.step);
        saveImageGrid(path, x.detach().to('float32').cpu(), { nrow: 8, range: o.data.range ?? [0, 1], scale: 2 });
        paths.push(path);
        return;
      }
      const x = o.model.sample(o.count, o.sampleOptions).detach().to('float32').cpu();
      const ref = o.reference ? o.reference.narrow(0, 0, Math.min(o.reference.size(0), 2000)) : null;
      const bounds = boundsOf(ref ?? x);
      const path = o.path ?? o.run.samplePath(o.step);
      const sets = [
        ...(ref ? [{ points: ref, color: '#b0b0b0', label: 'data', alpha: 0.5 }] : []),
        { points: x, color: '#1f77b4', label: 'samples', alpha: 0.6 },
      ];
      scatterPlot(path, sets, { bounds, title: `${o.data.name}: samples at step ${o.step}` });
      paths.push(path);
      if (o.model.logProb) {
        const dpath = o.densityPath ?? o.run.samplePath(o.step, '-density');
        densityHeatmap(dpath, (xy: Tensor) => o.model.logProb!(xy), { bounds, resolution: 96, title: `model density at step ${o.step}` });
        paths.push(dpath);
      }
    }),
  );
  return paths;
}

/**
 * The curves of loss.png from metrics records: the loss and its terms (a term equal to the loss at
 * every step, e.g. nll when the loss is the NLL, is drawn once), and apart from them the `monitors`
 * (diagnostics on other scales: perplexity, usage, temperature), each its own series.
 */
export function lossCurveSeries(recs: readonly MetricsRecord[], monitors: readonly string[] = []): { losses: Series[]; monitors: Series[] } {
  const skip = new Set(['step', 'lr', 'itPerSec', 'time', 'gradNorm', 'nonFinite']);
  const last = recs[recs.length - 1] ?? {};
  const names = Object.keys(last).filter((k) => !skip.has(k) && (k === 'loss' || recs.some((r) => r[k] !== r.loss)));
  const series = (k: string): Series => ({ name: k, x: recs.map((r) => r.step!), values: recs.map((r) => (Number.isFinite(r[k]) ? r[k]! : NaN)) });
  const isMonitor = new Set(monitors);
  return { losses: names.filter((k) => !isMonitor.has(k)).map(series), monitors: names.filter((k) => isMonitor.has(k) && k !== 'loss').map(series) };
}

/**
 * Writes loss.png from metrics.jsonl: the loss and its named terms on one chart and, below it, each
 * of the model's `monitors` on a chart of its own (so a perplexity of 30 does not flatten losses of
 * 0.02). Returns its path, or null when there is nothing to draw.
 */
export function writeLossCurve(run: RunDir, path = run.lossCurvePath, options: { monitors?: readonly string[] } = {}): string | null {
  const recs = run.readMetrics().filter((r) => Number.isFinite(r.loss));
  if (recs.length < 2) return null;
  const { losses, monitors } = lossCurveSeries(recs, options.monitors);
  const vals = losses.flatMap((s) => s.values.filter(Number.isFinite));
  const lo = Math.min(...vals);
  const hi = Math.max(...vals);
  const logY = lo > 0 && hi / lo > 20; // log scale only when the curve spans decades
  const main = renderLineChart(losses, { title: `${run.name}: training loss`, xLabel: 'step', logY });
  if (monitors.length === 0) {
    main.savePng(path);
    return path;
  }
  const gap = 8;
  const w = Math.floor((main.width - gap * (monitors.length - 1)) / monitors.length);
  const panels = monitors.map((s, i) => renderLineChart([{ ...s, color: PALETTE[(losses.length + i) % PALETTE.length] }], { title: s.name, xLabel: 'step', size: [w, 240] }));
  const out = new Canvas(main.width, main.height + gap + 240, WHITE);
  out.draw(main, 0, 0);
  panels.forEach((c, i) => out.draw(c, i * (w + gap), main.height + gap));
  out.savePng(path);
  return path;
}
