/**
 * A curve panel over uPlot: one or more series (x = step) with drag-to-zoom (double-click resets),
 * a log y scale, and TensorBoard-style smoothing (a debiased exponential moving average drawn over the
 * faint raw curve). Series of different runs may have different steps: uPlot.join aligns them.
 */
import uPlot from 'uplot';
import { h } from './dom.ts';

export interface SeriesData {
  label: string;
  color: string;
  x: number[];
  y: number[];
}

export interface CurveOptions {
  log?: boolean;
  smoothing?: number;
  height?: number;
}

/** Every live chart, for tests and the console. */
export const charts: Curve[] = [];
(window as unknown as { __genlab: unknown }).__genlab = { charts };

/** Smoothed values of a series, extended in place as points arrive (recomputed when the factor changes). */
interface SmoothCache {
  a: number;
  out: (number | null)[];
  m: number;
  w: number;
}

function smooth(y: number[], a: number, cache?: SmoothCache): (number | null)[] {
  if (a <= 0) return y.map((v) => (Number.isFinite(v) ? v : null));
  const fresh = !cache || cache.a !== a || cache.out.length > y.length;
  const out: (number | null)[] = fresh ? new Array(y.length) : cache!.out;
  let m = fresh ? 0 : cache!.m;
  let w = fresh ? 0 : cache!.w;
  const from = fresh ? 0 : cache!.out.length;
  for (let i = from; i < y.length; i++) {
    const v = y[i]!;
    if (!Number.isFinite(v)) {
      out[i] = null;
      continue;
    }
    m = a * m + (1 - a) * v;
    w = a * w + (1 - a);
    out[i] = m / w;
  }
  if (cache) Object.assign(cache, { a, out, m, w });
  return out;
}

/** Tick labels with enough digits to tell neighbours apart (uPlot's default repeats 0.05 for an lr decay). */
function fmtTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}

export class Curve {
  readonly el: HTMLElement;
  private plotEl: HTMLElement;
  private u: uPlot | null = null;
  series: SeriesData[] = [];
  private opts: Required<CurveOptions>;
  private frame = 0;
  private shape = '';

  constructor(
    parent: HTMLElement,
    readonly title: string,
    opts: CurveOptions = {},
  ) {
    this.opts = { log: opts.log ?? false, smoothing: opts.smoothing ?? 0, height: opts.height ?? 220 };
    this.plotEl = h('div', { class: 'plot' });
    this.el = h('div', { class: 'curve', 'data-term': title }, h('div', { class: 'curve-title' }, title), this.plotEl);
    parent.append(this.el);
    charts.push(this);
    // Curves scrolled out of view skip live redraws and catch up when they come back.
    this.observer = new IntersectionObserver((entries) => {
      this.visible = entries.some((e) => e.isIntersecting);
      if (this.visible && this.dirty) this.schedule();
    });
    this.observer.observe(this.el);
  }

  private observer: IntersectionObserver;
  private visible = true;
  private dirty = false;

  /** Raw points over all series. */
  get points(): number {
    return this.series.reduce((n, s) => n + s.x.length, 0);
  }

  /** What uPlot shows now: points drawn and the right end of the visible x range. */
  get drawn(): { points: number; xMax: number | null; ms: number } {
    return { points: this.u ? this.u.data[0].length : 0, xMax: this.u?.scales.x.max ?? null, ms: this.drawMs };
  }

  /** How long the last redraw took (ms). */
  private drawMs = 0;

  private smoothCache: SmoothCache[] = [];

  setSeries(series: SeriesData[]): void {
    this.series = series;
    this.smoothCache = [];
    this.schedule();
  }

  append(label: string, x: number[], y: number[]): void {
    const s = this.series.find((q) => q.label === label);
    if (!s) return;
    s.x.push(...x);
    s.y.push(...y);
    this.schedule();
  }

  setLog(log: boolean): void {
    if (log === this.opts.log) return;
    this.opts.log = log;
    this.shape = '';
    this.schedule();
  }

  setSmoothing(a: number): void {
    this.opts.smoothing = a;
    this.schedule();
  }

  private schedule(): void {
    if (this.u && !this.visible) {
      this.dirty = true;
      return;
    }
    this.dirty = false;
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      const t = performance.now();
      this.draw();
      this.drawMs = performance.now() - t;
    });
  }

  private data(): uPlot.AlignedData {
    const log = this.opts.log;
    const fix = (v: number | null) => (v === null || !Number.isFinite(v) || (log && v <= 0) ? null : v);
    const tables: uPlot.AlignedData[] = this.series.map((s, i) => {
      const cache = (this.smoothCache[i] ??= { a: -1, out: [], m: 0, w: 0 });
      const sm = smooth(s.y, this.opts.smoothing, cache).slice();
      return [s.x.slice(), s.y.map(fix), sm.map(fix)] as unknown as uPlot.AlignedData;
    });
    if (tables.length === 1) return tables[0]!;
    if (tables.length === 0) return [[]];
    return uPlot.join(tables);
  }

  private draw(): void {
    const shape = `${this.series.map((s) => s.label).join('|')}#${this.opts.log}`;
    const width = Math.max(240, this.plotEl.clientWidth || this.el.clientWidth || 480);
    if (!this.u && this.points === 0) return; // uPlot is built with the first points
    const data = this.data();
    if (this.u && shape === this.shape) {
      // Keep the user's zoom: rescale only when the x scale still shows everything drawn so far.
      const xs = this.u.scales.x;
      const old = this.u.data[0];
      const zoomed = xs.min != null && xs.max != null && old.length > 1 && (xs.min > (old[0] as number) || xs.max < (old[old.length - 1] as number));
      this.u.setData(data, !zoomed);
      return;
    }
    this.u?.destroy();
    this.shape = shape;
    const series: uPlot.Series[] = [{ label: 'step' }];
    for (const s of this.series) {
      series.push({ label: `${s.label} (raw)`, stroke: `${s.color}44`, width: 1, show: true, points: { show: false } });
      series.push({ label: s.label, stroke: s.color, width: 1.6, points: { show: false } });
    }
    this.u = new uPlot(
      {
        width,
        height: this.opts.height,
        series,
        scales: { x: { time: false }, y: { distr: this.opts.log ? 3 : 1 } },
        axes: [{}, { size: 64, values: (_u, splits) => splits.map((v) => (v == null ? '' : fmtTick(v))) }],
        legend: { live: true },
        cursor: { drag: { x: true, y: false } },
      },
      data,
      this.plotEl,
    );
  }

  resize(): void {
    if (this.u) this.u.setSize({ width: Math.max(240, this.plotEl.clientWidth), height: this.opts.height });
  }

  destroy(): void {
    cancelAnimationFrame(this.frame);
    this.observer.disconnect();
    this.u?.destroy();
    this.u = null;
    const i = charts.indexOf(this);
    if (i >= 0) charts.splice(i, 1);
    this.el.remove();
  }
}

/**
 * The log-scale checkbox and smoothing slider shared by the charts of a page: changes go to every curve in
 * `curves` and into `opts` (which the page uses for curves it makes later).
 */
export function curveControls(curves: Map<string, Curve>, opts: { log: boolean; smoothing: number }): HTMLElement {
  const initial = { ...opts };
  const onChange = (o: { log: boolean; smoothing: number }) => {
    Object.assign(opts, o);
    for (const c of curves.values()) {
      c.setLog(o.log);
      c.setSmoothing(o.smoothing);
    }
  };
  const log = h('input', { type: 'checkbox', id: 'log-scale', checked: initial.log }) as HTMLInputElement;
  const sm = h('input', { type: 'range', id: 'smoothing', min: 0, max: 0.99, step: 0.01, value: initial.smoothing }) as HTMLInputElement;
  const val = h('span', { class: 'mono' }, initial.smoothing.toFixed(2));
  const fire = () => {
    val.textContent = Number(sm.value).toFixed(2);
    onChange({ log: log.checked, smoothing: Number(sm.value) });
  };
  log.addEventListener('change', fire);
  sm.addEventListener('input', fire);
  return h('div', { class: 'controls' }, h('label', {}, log, ' log scale'), h('label', {}, 'smoothing ', sm, ' ', val), h('span', { class: 'hint' }, 'drag to zoom, double-click to reset'));
}
