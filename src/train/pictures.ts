/**
 * Pictures of a run, drawn with io's writers: image samples as a grid; 2D samples as a scatter plot
 * (model samples over the data in gray) plus, when the model has logProb, a density heat map; and
 * the loss curve from metrics.jsonl.
 */
import { torch, type Tensor } from '../tensor/index.ts';
import { saveImageGrid } from '../io/image.ts';
import { scatterPlot, densityHeatmap, lineChart, type Bounds, type Series } from '../io/plot.ts';
import type { DataInfo, ModelInstance, SampleOptions } from '../models/registry.ts';
import type { RunDir } from './run.ts';

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

/** Writes loss.png from metrics.jsonl (loss and named terms); returns its path, or null when empty. */
export function writeLossCurve(run: RunDir, path = run.lossCurvePath): string | null {
  const recs = run.readMetrics().filter((r) => Number.isFinite(r.loss));
  if (recs.length < 2) return null;
  const skip = new Set(['step', 'lr', 'itPerSec', 'time', 'gradNorm', 'nonFinite']);
  // Terms equal to the loss at every step (e.g. nll when the loss is the NLL) are drawn once.
  const names = Object.keys(recs[recs.length - 1]!).filter((k) => !skip.has(k) && (k === 'loss' || recs.some((r) => r[k] !== r.loss)));
  const series: Series[] = names.map((k) => ({
    name: k,
    x: recs.map((r) => r.step),
    values: recs.map((r) => (Number.isFinite(r[k]) ? r[k]! : NaN)),
  }));
  const vals = series.flatMap((s) => s.values.filter(Number.isFinite));
  const lo = Math.min(...vals);
  const hi = Math.max(...vals);
  const logY = lo > 0 && hi / lo > 20; // log scale only when the curve spans decades
  lineChart(path, series, { title: `${run.name}: training loss`, xLabel: 'step', logY });
  return path;
}
