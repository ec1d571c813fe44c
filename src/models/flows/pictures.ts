/**
 * Pictures of flows: base samples moving through the layers (Flow.inverseAll) or along a CNF's ODE
 * (CNF.trajectory) as an animated GIF and a frame strip; image samples at several temperatures side
 * by side; a 2D model's density next to the data. Used by `genlab sample <run> --trajectory` /
 * `--temperatures` and by make-pictures.ts (the pictures in docs/img).
 */
import { torch, type Tensor } from '../../tensor/index.ts';
import type { Canvas } from '../../io/canvas.ts';
import { imageGrid } from '../../io/image.ts';
import { composeSideBySide, renderHeatmap, renderScatter, type Bounds } from '../../io/plot.ts';
import { saveGif } from '../../io/gif.ts';
import type { ModelInstance } from '../registry.ts';
import { Flow } from './flow.ts';
import { CNF } from './bijectors/cnf.ts';

/** The Flow inside a model instance built by a flow family (modules.flow), or null. */
export function flowOf(model: ModelInstance): Flow | null {
  const f = model.modules.flow;
  return f instanceof Flow ? f : null;
}

export interface TrajectoryOptions {
  /** Points to follow (default 1000). */
  n?: number;
  temperature?: number;
  /** Frames along a CNF's ODE (default 16); layer flows give one frame per bijector. */
  frames?: number;
}

/**
 * Base samples z ~ N(0, T²I) and their images through the flow, from noise to data: after each
 * inverse bijector (a flow of K bijectors gives K + 1 frames), or, for a flow that is a single CNF,
 * at `frames + 1` times along its ODE. Every frame is [n, D]. Labels name the frames.
 */
export function flowTrajectory(flow: Flow, options: TrajectoryOptions = {}): { frames: Tensor[]; labels: string[] } {
  const n = options.n ?? 1000;
  return torch.noGrad(() => {
    const z = flow.base.sample(n, { temperature: options.temperature ?? 1 });
    const only = flow.bijectors.length === 1 ? flow.bijectors[0] : null;
    if (only instanceof CNF) {
      const k = options.frames ?? 16;
      const frames = only.trajectory(z, k);
      const T = only.options.T;
      return { frames, labels: frames.map((_, i) => `t=${(T - (T * i) / k).toFixed(2)}`) };
    }
    const frames = flow.inverseAll(z);
    const K = flow.bijectors.length;
    const labels = frames.map((_, i) => (i === 0 ? 'z (noise)' : i === K ? 'x (data)' : `layer ${K - i + 1}`));
    return { frames, labels };
  });
}

/** Square bounds covering every frame (their 1%-99% ranges, padded). */
export function trajectoryBounds(frames: Tensor[]): Bounds {
  let lo = Infinity;
  let hi = -Infinity;
  torch.noGrad(() =>
    torch.scope(() => {
      for (const f of frames) {
        const s = f.detach().flatten().sort()[0];
        const m = s.size(0);
        lo = Math.min(lo, s.select(0, Math.floor(0.01 * (m - 1))).item());
        hi = Math.max(hi, s.select(0, Math.ceil(0.99 * (m - 1))).item());
      }
    }),
  );
  const c = (lo + hi) / 2;
  const h = ((hi - lo) / 2) * 1.15 || 3;
  return [c - h, c + h, c - h, c + h];
}

/** One scatter canvas per frame (same bounds, so the motion is visible). */
export function renderTrajectory(frames: Tensor[], labels: string[], options: { bounds?: Bounds; size?: number } = {}): Canvas[] {
  const bounds = options.bounds ?? trajectoryBounds(frames);
  return frames.map((f, i) =>
    renderScatter([{ points: f.detach().to('float32'), color: '#1f77b4', alpha: 0.5, radius: 1.2 }], { bounds, size: options.size ?? 256, title: labels[i], axes: false }),
  );
}

/**
 * Writes the trajectory as an animated GIF (each frame held `delayMs`, the last one longer) and,
 * when `stripPath` is given, a PNG strip of at most `maxStrip` evenly chosen frames. Returns the paths.
 */
export function writeTrajectory(
  frames: Tensor[],
  labels: string[],
  gifPath: string,
  options: { stripPath?: string; size?: number; stripSize?: number; delayMs?: number; maxStrip?: number; bounds?: Bounds } = {},
): string[] {
  const bounds = options.bounds ?? trajectoryBounds(frames);
  const canvases = renderTrajectory(frames, labels, { bounds, size: options.size ?? 256 });
  // Hold the first and last frames a little: repeat them.
  const seq = [canvases[0]!, canvases[0]!, ...canvases, canvases[canvases.length - 1]!, canvases[canvases.length - 1]!, canvases[canvases.length - 1]!];
  saveGif(gifPath, seq, { delayMs: options.delayMs ?? 250 });
  const paths = [gifPath];
  if (options.stripPath) {
    const k = Math.min(frames.length, options.maxStrip ?? 8);
    const pick = Array.from({ length: k }, (_, i) => Math.round((i * (frames.length - 1)) / Math.max(1, k - 1)));
    const small = renderTrajectory(pick.map((i) => frames[i]!), pick.map((i) => labels[i]!), { bounds, size: options.stripSize ?? 160 });
    composeSideBySide(small, { gap: 4 }).savePng(options.stripPath);
    paths.push(options.stripPath);
  }
  return paths;
}

/**
 * Image samples at each temperature (Glow's reduced-temperature sampling), as grids side by side
 * with captions "T = ...". The caller seeds the RNG; every grid uses the same base noise draw order.
 */
export function temperatureGrids(model: ModelInstance, temperatures: number[], options: { n?: number; nrow?: number; range?: readonly [number, number]; scale?: number; seed?: number } = {}): Canvas {
  const n = options.n ?? 36;
  const grids = temperatures.map((t) =>
    torch.noGrad(() =>
      torch.scope(() => {
        if (options.seed !== undefined) torch.manualSeed(options.seed);
        const x = model.sample(n, { temperature: t }).detach().to('float32');
        return imageGrid(x, { nrow: options.nrow ?? Math.ceil(Math.sqrt(n)), range: options.range ?? [0, 1], scale: options.scale ?? 2 });
      }),
    ),
  );
  return composeSideBySide(grids, { gap: 10, labels: temperatures.map((t) => `T = ${t}`) });
}

/** A 2D model's density (heat map) next to the data and the model's samples (scatter), one canvas. */
export function densityPanels(model: ModelInstance, data: Tensor, options: { n?: number; bounds?: Bounds; size?: number; title?: string } = {}): Canvas {
  const size = options.size ?? 256;
  return torch.noGrad(() =>
    torch.scope(() => {
      const ref = data.narrow(0, 0, Math.min(data.size(0), options.n ?? 2000));
      const bounds = options.bounds ?? trajectoryBounds([ref]);
      const samples = model.sample(options.n ?? 2000).detach().to('float32');
      const panels = [
        renderScatter([{ points: ref, color: '#555555', alpha: 0.5, radius: 1.2 }], { bounds, size, title: 'data', axes: false }),
        renderHeatmap((xy: Tensor) => model.logProb!(xy), { bounds, size, resolution: 96, title: options.title ?? 'model density', axes: false, colorbar: false }),
        renderScatter([{ points: samples, color: '#1f77b4', alpha: 0.5, radius: 1.2 }], { bounds, size, title: 'samples', axes: false }),
      ];
      return composeSideBySide(panels, { gap: 6 });
    }),
  );
}

