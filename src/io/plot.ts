/**
 * Plots for generative-model work, drawn on a Canvas and saved as PNG: scatter plots of 2-D
 * samples, density heat maps (viridis), line charts of loss curves (linear or log y), side-by-side
 * panels. Axes have "nice" ticks labelled with the built-in bitmap font.
 */
import { readFileSync } from 'node:fs';
import { torch, Tensor } from '../tensor/index.ts';
import { Canvas, PALETTE, WHITE, BLACK, color as parseColor, type Color } from './canvas.ts';
import { colormap, type ColormapName } from './colormap.ts';
import { FONT, textWidth } from './font.ts';
import { decodePng, type RawImage } from './png.ts';

/** [xmin, xmax, ymin, ymax] in data coordinates. */
export type Bounds = readonly [number, number, number, number];

const AXIS: Color = [60, 60, 60];
const GRID: Color = [232, 232, 232];

// ---------------------------------------------------------------------------------------------
// ticks

/** About `count` round tick values covering [lo, hi] (steps of 1, 2 or 5 times a power of ten). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  // The step of 1, 2, 5 or 10 times mag closest to raw (in ratio).
  let step = mag;
  for (const m of [2, 5, 10]) if (Math.abs(Math.log(m * mag / raw)) < Math.abs(Math.log(step / raw))) step = m * mag;
  const out: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) out.push(Math.abs(k * step) < step * 1e-9 ? 0 : Number((k * step).toPrecision(12)));
  return out;
}

/** Tick values for a log axis over [lo, hi] (lo > 0): powers of ten, with 2 and 5 when few. */
export function logTicks(lo: number, hi: number): number[] {
  if (!(lo > 0) || !(hi > 0)) return [];
  const a = Math.floor(Math.log10(lo)), b = Math.ceil(Math.log10(hi));
  const out: number[] = [];
  const mults = b - a <= 3 ? [1, 2, 5] : [1];
  const every = Math.max(1, Math.ceil((b - a + 1) / 8));
  for (let e = a; e <= b; e++) {
    if ((e - a) % every !== 0) continue;
    for (const m of mults) {
      const v = Number((m * 10 ** e).toPrecision(12));
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
    }
  }
  return out;
}

/** A short label for a tick value: fixed decimals for ordinary magnitudes, `1e-4` style otherwise. */
export function formatTick(v: number, step = 0): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) {
    const e = Math.floor(Math.log10(a));
    const m = v / 10 ** e;
    const ms = Math.abs(Math.round(m) - m) < 1e-6 ? String(Math.round(m)) : m.toFixed(1);
    return `${ms}e${e}`;
  }
  const decimals = step > 0 ? Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9))) : Math.max(0, Math.min(6, 3 - Math.floor(Math.log10(a))));
  return Number(v.toFixed(decimals)).toString();
}

// ---------------------------------------------------------------------------------------------
// axes frame

interface Frame {
  canvas: Canvas;
  /** Plot area in pixels. */
  left: number;
  top: number;
  width: number;
  height: number;
  /** Data -> pixel. */
  px: (x: number) => number;
  py: (y: number) => number;
}

interface FrameOptions {
  width: number;
  height: number;
  bounds: Bounds;
  title?: string;
  xLabel?: string;
  yLabel?: string;
  logY?: boolean;
  axes?: boolean;
  grid?: boolean;
  /** Extra right margin (colorbars). */
  rightExtra?: number;
  background?: Color;
}

function yTickLabels(bounds: Bounds, logY: boolean): { v: number; s: string }[] {
  const [, , y0, y1] = bounds;
  if (logY) return logTicks(y0, y1).map((v) => ({ v, s: formatTick(v) }));
  const t = niceTicks(y0, y1, 5);
  const step = t.length > 1 ? t[1]! - t[0]! : 0;
  return t.map((v) => ({ v, s: formatTick(v, step) }));
}

function makeFrame(o: FrameOptions): Frame {
  const canvas = new Canvas(o.width, o.height, o.background ?? WHITE);
  const axes = o.axes ?? true;
  const logY = o.logY ?? false;
  const [x0, x1, y0, y1] = o.bounds;
  const yl = axes ? yTickLabels(o.bounds, logY) : [];
  const labelW = Math.max(0, ...yl.map((t) => textWidth(t.s)));
  const left = axes ? labelW + 10 + (o.yLabel ? 12 : 0) : 0;
  const top = o.title ? 22 : axes ? 8 : 0;
  const bottom = axes ? 20 + (o.xLabel ? 12 : 0) : 0;
  const right = (axes ? 12 : 0) + (o.rightExtra ?? 0);
  const width = Math.max(8, o.width - left - right);
  const height = Math.max(8, o.height - top - bottom);
  const ly = (v: number): number => (logY ? Math.log10(v) : v);
  const px = (x: number): number => left + ((x - x0) / (x1 - x0)) * width;
  const py = (y: number): number => top + height - ((ly(y) - ly(y0)) / (ly(y1) - ly(y0))) * height;
  const f: Frame = { canvas, left, top, width, height, px, py };
  if (o.title) canvas.text(o.width / 2, 6, o.title, BLACK, { align: 'center' });
  if (axes) {
    const xt = niceTicks(x0, x1, Math.max(3, Math.floor(width / 80)));
    const xstep = xt.length > 1 ? xt[1]! - xt[0]! : 0;
    for (const v of xt) {
      const x = Math.round(px(v));
      if (o.grid ?? true) canvas.rect(x, top, 1, height, GRID);
      canvas.rect(x, top + height, 1, 4, AXIS);
      canvas.text(x, top + height + 7, formatTick(v, xstep), AXIS, { align: 'center' });
    }
    for (const t of yl) {
      const y = Math.round(py(t.v));
      if (o.grid ?? true) canvas.rect(left, y, width, 1, GRID);
      canvas.rect(left - 4, y, 4, 1, AXIS);
      canvas.text(left - 6, y, t.s, AXIS, { align: 'right', baseline: 'middle' });
    }
    if (o.xLabel) canvas.text(left + width / 2, o.height - 9, o.xLabel, AXIS, { align: 'center' });
    if (o.yLabel) canvas.textVertical(5, top + height / 2, o.yLabel, AXIS);
  }
  return f;
}

function drawBox(f: Frame): void {
  f.canvas.strokeRect(f.left - 1, f.top - 1, f.width + 2, f.height + 2, AXIS);
}

function drawLegend(f: Frame, items: { label: string; color: Color }[]): void {
  const shown = items.filter((i) => i.label);
  if (shown.length === 0) return;
  const w = Math.max(...shown.map((i) => textWidth(i.label))) + 22;
  const h = shown.length * FONT.lineHeight + 6;
  const x = f.left + f.width - w - 6, y = f.top + 6;
  f.canvas.rect(x, y, w, h, [255, 255, 255, 220]);
  f.canvas.strokeRect(x, y, w, h, [200, 200, 200]);
  shown.forEach((it, i) => {
    const cy = y + 4 + i * FONT.lineHeight;
    f.canvas.rect(x + 5, cy + 2, 10, 4, it.color);
    f.canvas.text(x + 18, cy, it.label, AXIS);
  });
}

/** Runs fn with a frame whose drawing is clipped to the plot area. */
function clipped(f: Frame, draw: (c: Canvas) => void): void {
  const layer = new Canvas(f.canvas.width, f.canvas.height, [0, 0, 0, 0]);
  draw(layer);
  for (let y = 0; y < layer.height; y++) {
    for (let x = 0; x < layer.width; x++) {
      if (x < f.left || x >= f.left + f.width || y < f.top || y >= f.top + f.height) {
        layer.data[(y * layer.width + x) * 4 + 3] = 0;
      }
    }
  }
  f.canvas.draw(layer, 0, 0);
}

// ---------------------------------------------------------------------------------------------
// data from tensors

/** Points [N, 2] (Tensor or number pairs) as a flat Float64Array [x0, y0, x1, y1, ...]. */
function pointsOf(p: Tensor | readonly (readonly number[])[], what: string): Float64Array {
  if (p instanceof Tensor) {
    if (p.dim() !== 2 || p.size(1) !== 2) throw new RangeError(`${what}: points must be [N, 2], got [${p.shape.join(', ')}]`);
    return torch.scope(() => torch.noGrad(() => p.detach().to('cpu').to('float64').contiguous().toTypedArray() as Float64Array));
  }
  const out = new Float64Array(p.length * 2);
  p.forEach((q, i) => {
    out[2 * i] = q[0]!;
    out[2 * i + 1] = q[1]!;
  });
  return out;
}

function autoBounds(sets: Float64Array[], margin = 0.05): Bounds {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const s of sets) {
    for (let i = 0; i < s.length; i += 2) {
      const x = s[i]!, y = s[i + 1]!;
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      x0 = Math.min(x0, x); x1 = Math.max(x1, x);
      y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
  }
  if (!Number.isFinite(x0)) return [-1, 1, -1, 1];
  const pad = (a: number, b: number): [number, number] => {
    const d = b - a || Math.abs(a) || 1;
    return [a - d * margin, b + d * margin];
  };
  return [...pad(x0, x1), ...pad(y0, y1)] as unknown as Bounds;
}

function checkBounds(b: Bounds, what: string): Bounds {
  if (b.length !== 4 || !b.every(Number.isFinite) || !(b[1] > b[0]) || !(b[3] > b[2])) throw new RangeError(`${what}: bounds must be [xmin, xmax, ymin, ymax] with max > min, got [${b.join(', ')}]`);
  return b;
}

const sizeOf = (s: number | readonly [number, number] | undefined, def: [number, number]): [number, number] =>
  s === undefined ? def : typeof s === 'number' ? [s, s] : [s[0], s[1]];

// ---------------------------------------------------------------------------------------------
// scatter

/** One set of points in a scatter plot. */
export interface ScatterSet {
  points: Tensor | readonly (readonly number[])[];
  color?: Color | string;
  label?: string;
  /** Dot radius in pixels (default 1.5). */
  radius?: number;
  /** Dot opacity in [0, 1] (default 0.7). */
  alpha?: number;
}

export interface ScatterOptions {
  /** Data bounds (default: fitted to the points with a 5% margin). */
  bounds?: Bounds;
  /** Canvas size in pixels, a number for a square (default 512). */
  size?: number | readonly [number, number];
  title?: string;
  /** Draw ticks, labels and a frame (default true). */
  axes?: boolean;
  radius?: number;
  alpha?: number;
}

/** Renders 2-D points ([N, 2] tensor, or several colored sets) as a scatter plot. */
export function renderScatter(points: Tensor | ScatterSet[], options: ScatterOptions = {}): Canvas {
  const sets: ScatterSet[] = points instanceof Tensor ? [{ points }] : points;
  const data = sets.map((s, i) => pointsOf(s.points, `scatterPlot set ${i}`));
  const bounds = checkBounds(options.bounds ?? autoBounds(data), 'scatterPlot');
  const [w, h] = sizeOf(options.size, [512, 512]);
  const f = makeFrame({ width: w, height: h, bounds, title: options.title, axes: options.axes });
  clipped(f, (c) => {
    sets.forEach((s, i) => {
      const col = parseColor(s.color ?? PALETTE[i % PALETTE.length]!);
      const a = s.alpha ?? options.alpha ?? 0.7;
      const rgba: Color = [col[0], col[1], col[2], Math.round((col[3] ?? 255) * a)];
      const r = s.radius ?? options.radius ?? 1.5;
      const d = data[i]!;
      for (let k = 0; k < d.length; k += 2) c.dot(f.px(d[k]!), f.py(d[k + 1]!), r, rgba);
    });
  });
  if (options.axes ?? true) drawBox(f);
  drawLegend(f, sets.map((s, i) => ({ label: s.label ?? '', color: parseColor(s.color ?? PALETTE[i % PALETTE.length]!) })));
  return f.canvas;
}

/** Saves a scatter plot of 2-D points as a PNG; returns the canvas. */
export function scatterPlot(path: string, points: Tensor | ScatterSet[], options: ScatterOptions = {}): Canvas {
  const c = renderScatter(points, options);
  c.savePng(path);
  return c;
}

// ---------------------------------------------------------------------------------------------
// density heat map

export interface HeatmapOptions {
  /** Data bounds [xmin, xmax, ymin, ymax] (default [-3, 3, -3, 3]). */
  bounds?: Bounds;
  /** Grid points per side where a function is evaluated (default 128). */
  resolution?: number;
  /** Canvas size (default 512). */
  size?: number | readonly [number, number];
  title?: string;
  axes?: boolean;
  colormap?: ColormapName;
  /**
   * For a log-density function: false (default) shows the density exp(logp); true shows logp,
   * clipped below at max - logRange. For a grid: true shows log(values).
   */
  log?: boolean;
  /** Range of the log scale shown (default 10 nats). */
  logRange?: number;
  /** Draw a colorbar on the right (default true). */
  colorbar?: boolean;
  /** Grid row 0 is the top ('upper', default, as images) or the bottom ('lower'). Grids only. */
  origin?: 'upper' | 'lower';
}

/**
 * Evaluates a log-density function on a res x res grid over bounds: `fn` gets points [res*res, 2]
 * (row-major, row 0 at the top = ymax) and returns [res*res] (or [res*res, 1]) log densities.
 * Returns the values as a Float64Array, row 0 at the top.
 */
export function evalOnGrid(fn: (xy: Tensor) => Tensor, bounds: Bounds, res: number): Float64Array {
  const [x0, x1, y0, y1] = bounds;
  const xy = new Float32Array(res * res * 2);
  for (let i = 0; i < res; i++) {
    const y = y1 - ((i + 0.5) / res) * (y1 - y0);
    for (let j = 0; j < res; j++) {
      const x = x0 + ((j + 0.5) / res) * (x1 - x0);
      xy[2 * (i * res + j)] = x;
      xy[2 * (i * res + j) + 1] = y;
    }
  }
  return torch.scope(() =>
    torch.noGrad(() => {
      const out = fn(torch.fromTypedArray(xy, [res * res, 2]));
      if (!(out instanceof Tensor) || out.numel() !== res * res) throw new RangeError(`densityHeatmap: the function must return ${res * res} values, got ${out instanceof Tensor ? `[${out.shape.join(', ')}]` : typeof out}`);
      return out.detach().to('cpu').to('float64').reshape([-1]).toTypedArray() as Float64Array;
    }),
  );
}

/**
 * Renders a density heat map with a perceptual colormap (viridis): from a log-density function
 * (evaluated on a grid, see evalOnGrid) or from a grid tensor [rows, cols] of values.
 */
export function renderHeatmap(source: ((xy: Tensor) => Tensor) | Tensor, options: HeatmapOptions = {}): Canvas {
  const bounds = checkBounds(options.bounds ?? [-3, 3, -3, 3], 'densityHeatmap');
  let rows: number, cols: number, vals: Float64Array;
  const isFn = typeof source === 'function';
  if (isFn) {
    const res = options.resolution ?? 128;
    if (!Number.isInteger(res) || res < 2) throw new RangeError(`densityHeatmap: resolution must be an integer >= 2, got ${res}`);
    rows = cols = res;
    vals = evalOnGrid(source, bounds, res);
  } else {
    if (source.dim() !== 2) throw new RangeError(`densityHeatmap: a grid must be [rows, cols], got [${source.shape.join(', ')}]`);
    [rows, cols] = source.shape as [number, number];
    vals = torch.scope(() => source.detach().to('cpu').to('float64').contiguous().toTypedArray() as Float64Array);
    if (options.origin === 'lower') {
      const flipped = new Float64Array(vals.length);
      for (let i = 0; i < rows; i++) flipped.set(vals.subarray((rows - 1 - i) * cols, (rows - i) * cols), i * cols);
      vals = flipped;
    }
  }
  // Values to [0, 1].
  const log = options.log ?? false;
  let disp: Float64Array;
  let lo = Infinity, hi = -Infinity;
  for (const v of vals) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (isFn && !log) {
    disp = vals.map((v) => Math.exp(v - hi)); // density / max density
    lo = 0; hi = 1;
    for (const v of disp) if (Number.isFinite(v)) hi = Math.max(hi, v);
  } else if (isFn || !log) {
    disp = vals;
    if (isFn) lo = Math.max(lo, hi - (options.logRange ?? 10));
  } else {
    disp = vals.map((v) => (v > 0 ? Math.log(v) : -Infinity));
    lo = Infinity; hi = -Infinity;
    for (const v of disp) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    lo = Math.max(lo, hi - (options.logRange ?? 10));
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) { lo = 0; hi = 1; }
  const span = hi - lo || 1;
  const cmap = colormap(options.colormap ?? 'viridis');
  const [w, h] = sizeOf(options.size, [512, 512]);
  const bar = options.colorbar ?? true;
  const barLabels = [hi, (hi + lo) / 2, lo].map((v) => formatTick(v));
  const barW = bar ? 26 + Math.max(...barLabels.map((s) => textWidth(s))) : 0;
  const f = makeFrame({ width: w, height: h, bounds, title: options.title, axes: options.axes, grid: false, rightExtra: barW });
  for (let y = 0; y < f.height; y++) {
    const i = Math.min(rows - 1, Math.floor(((y + 0.5) / f.height) * rows));
    for (let x = 0; x < f.width; x++) {
      const j = Math.min(cols - 1, Math.floor(((x + 0.5) / f.width) * cols));
      const v = disp[i * cols + j]!;
      f.canvas.set(f.left + x, f.top + y, cmap(Number.isNaN(v) ? 0 : (v - lo) / span));
    }
  }
  if (options.axes ?? true) drawBox(f);
  if (bar) {
    const bx = f.left + f.width + 12 + (options.axes ?? true ? 0 : 0);
    for (let y = 0; y < f.height; y++) f.canvas.rect(bx, f.top + y, 10, 1, cmap(1 - (y + 0.5) / f.height));
    f.canvas.strokeRect(bx - 1, f.top - 1, 12, f.height + 2, AXIS);
    barLabels.forEach((s, k) => f.canvas.text(bx + 14, f.top + (k * f.height) / 2, s, AXIS, { baseline: k === 0 ? 'top' : k === 1 ? 'middle' : 'bottom' }));
  }
  return f.canvas;
}

/** Saves a density heat map as a PNG; returns the canvas. */
export function densityHeatmap(path: string, source: ((xy: Tensor) => Tensor) | Tensor, options: HeatmapOptions = {}): Canvas {
  const c = renderHeatmap(source, options);
  c.savePng(path);
  return c;
}

// ---------------------------------------------------------------------------------------------
// line chart

/** One curve: values at x = 0, 1, 2, ... unless `x` is given. */
export interface Series {
  name: string;
  values: readonly number[];
  x?: readonly number[];
  color?: Color | string;
}

export interface LineChartOptions {
  logY?: boolean;
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Canvas size (default [640, 400]). */
  size?: number | readonly [number, number];
  /** Line width in pixels (default 1.5). */
  lineWidth?: number;
  /** Fixed y range [ymin, ymax] (default: fitted). */
  yRange?: readonly [number, number];
}

/** Renders curves (loss curves, metrics) with axes, ticks, numeric labels and a legend. */
export function renderLineChart(series: Series[], options: LineChartOptions = {}): Canvas {
  const logY = options.logY ?? false;
  const ok = (v: number): boolean => Number.isFinite(v) && (!logY || v > 0);
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const s of series) {
    if (s.x && s.x.length !== s.values.length) throw new RangeError(`lineChart: series ${JSON.stringify(s.name)} has ${s.values.length} values but ${s.x.length} x`);
    s.values.forEach((v, i) => {
      if (!ok(v)) return;
      const x = s.x ? s.x[i]! : i;
      x0 = Math.min(x0, x); x1 = Math.max(x1, x);
      y0 = Math.min(y0, v); y1 = Math.max(y1, v);
    });
  }
  if (!Number.isFinite(x0)) { x0 = 0; x1 = 1; y0 = logY ? 0.1 : 0; y1 = 1; }
  if (x1 === x0) { x0 -= 0.5; x1 += 0.5; }
  if (options.yRange) [y0, y1] = options.yRange;
  else if (logY) {
    if (y1 === y0) { y0 /= 2; y1 *= 2; }
    const r = Math.log10(y1 / y0) * 0.05;
    y0 /= 10 ** r; y1 *= 10 ** r;
  } else {
    const d = y1 - y0 || Math.abs(y0) || 1;
    y0 -= d * 0.05; y1 += d * 0.05;
  }
  const [w, h] = sizeOf(options.size, [640, 400]);
  const bounds: Bounds = [x0, x1, y0, y1];
  const f = makeFrame({ width: w, height: h, bounds, title: options.title, xLabel: options.xLabel, yLabel: options.yLabel, logY });
  const colors = series.map((s, i) => parseColor(s.color ?? PALETTE[i % PALETTE.length]!));
  clipped(f, (c) => {
    series.forEach((s, k) => {
      let prev: [number, number] | null = null;
      s.values.forEach((v, i) => {
        if (!ok(v)) { prev = null; return; }
        const p: [number, number] = [f.px(s.x ? s.x[i]! : i), f.py(v)];
        if (prev) c.line(prev[0], prev[1], p[0], p[1], colors[k]!, options.lineWidth ?? 1.5);
        else if (s.values.length === 1) c.dot(p[0], p[1], 2, colors[k]!);
        prev = p;
      });
    });
  });
  drawBox(f);
  drawLegend(f, series.map((s, i) => ({ label: s.name, color: colors[i]! })));
  return f.canvas;
}

/** Saves a line chart as a PNG; returns the canvas. */
export function lineChart(path: string, series: Series[], options: LineChartOptions = {}): Canvas {
  const c = renderLineChart(series, options);
  c.savePng(path);
  return c;
}

// ---------------------------------------------------------------------------------------------
// panels

/** A panel: a canvas, a decoded image, or the path of a PNG file. */
export type Panel = Canvas | RawImage | string;

function panelCanvas(p: Panel): Canvas {
  if (p instanceof Canvas) return p;
  if (typeof p === 'string') return Canvas.fromImage(decodePng(readFileSync(p)));
  return Canvas.fromImage(p);
}

/** Composes panels left to right (top-aligned), `gap` pixels apart, with optional captions below. */
export function composeSideBySide(panels: Panel[], options: { gap?: number; background?: Color; labels?: string[] } = {}): Canvas {
  if (panels.length === 0) throw new RangeError('sideBySide: need at least one panel');
  const cs = panels.map(panelCanvas);
  const gap = options.gap ?? 8;
  const labelH = options.labels ? FONT.lineHeight + 6 : 0;
  const width = cs.reduce((a, c) => a + c.width, 0) + gap * (cs.length - 1);
  const height = Math.max(...cs.map((c) => c.height)) + labelH;
  const out = new Canvas(width, height, options.background ?? WHITE);
  let x = 0;
  cs.forEach((c, i) => {
    out.draw(c, x, 0);
    const label = options.labels?.[i];
    if (label) out.text(x + c.width / 2, height - labelH + 4, label, BLACK, { align: 'center' });
    x += c.width + gap;
  });
  return out;
}

/** Saves panels side by side as one PNG; returns the canvas. */
export function sideBySide(path: string, panels: Panel[], options: { gap?: number; background?: Color; labels?: string[] } = {}): Canvas {
  const c = composeSideBySide(panels, options);
  c.savePng(path);
  return c;
}
