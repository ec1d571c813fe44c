/**
 * Pictures of a VQ-VAE: the codebook usage histogram (codes' counts on held-out images, sorted) and
 * the codebook's perplexity and usage over training (from metrics.jsonl).
 */
import { Canvas, BLACK, GRAY, WHITE, PALETTE } from '../../io/canvas.ts';
import { renderLineChart, composeSideBySide } from '../../io/plot.ts';

/** Bars of code counts, most used first; the title says how many codes are used. */
export function codebookHistogram(counts: number[], options: { title?: string; size?: [number, number] } = {}): Canvas {
  const [w, h] = options.size ?? [640, 320];
  const c = new Canvas(w, h, WHITE);
  const sorted = [...counts].sort((a, b) => b - a);
  const total = sorted.reduce((a, b) => a + b, 0) || 1;
  const used = sorted.filter((v) => v > 0).length;
  const p = sorted.map((v) => v / total);
  const perplexity = Math.exp(-p.reduce((s, x) => s + (x > 0 ? x * Math.log(x) : 0), 0));
  const left = 40, right = 10, top = 28, bottom = 24;
  const plotW = w - left - right;
  const plotH = h - top - bottom;
  const max = sorted[0] || 1;
  const bw = plotW / sorted.length;
  sorted.forEach((v, i) => {
    const bh = Math.round((v / max) * plotH);
    if (bh > 0) c.rect(Math.round(left + i * bw), top + plotH - bh, Math.max(1, Math.floor(bw - (bw > 3 ? 1 : 0))), bh, PALETTE[0]!);
  });
  c.strokeRect(left, top, plotW, plotH, GRAY);
  c.text(w / 2, 8, options.title ?? `codebook usage: ${used}/${counts.length} codes used, perplexity ${perplexity.toFixed(1)}`, BLACK, { align: 'center' });
  c.text(left - 4, top, String(max), BLACK, { align: 'right' });
  c.text(left - 4, top + plotH - 7, '0', BLACK, { align: 'right' });
  c.text(left + plotW / 2, h - 14, 'codes, most used first', BLACK, { align: 'center' });
  return c;
}

/** Perplexity and codes used (usage x K) per logged step, side by side with the histogram. */
export function codebookOverTraining(records: { step: number; perplexity?: number; usage?: number }[], codebookSize: number, histogram: Canvas): Canvas {
  const rs = records.filter((r) => r.perplexity !== undefined);
  const chart = renderLineChart(
    [
      { name: 'perplexity (batch)', x: rs.map((r) => r.step), values: rs.map((r) => r.perplexity!) },
      { name: 'codes used (batch)', x: rs.map((r) => r.step), values: rs.map((r) => (r.usage ?? 0) * codebookSize) },
    ],
    { title: 'codebook over training', xLabel: 'step', size: [histogram.width, histogram.height] },
  );
  return composeSideBySide([histogram, chart], { gap: 12 });
}

/**
 * A sample beside its code grid: the decoded image (upscaled) and an h×w grid of cells, one per
 * code, coloured by code index (a fixed hue per index) and labelled with it.
 */
export function codeGridPicture(image: Canvas, codes: number[][], codebookSize: number, options: { cell?: number; title?: string } = {}): Canvas {
  const cell = options.cell ?? 26;
  const h = codes.length, w = codes[0]?.length ?? 0;
  const gridW = w * cell, gridH = h * cell;
  const img = image.upscale(Math.max(1, Math.floor(gridH / image.height)));
  const top = 20;
  const c = new Canvas(img.width + 16 + gridW + 8, Math.max(img.height, gridH) + top + 8, WHITE);
  c.text(c.width / 2, 4, options.title ?? `sample and its ${h}x${w} code grid (${codebookSize} codes)`, BLACK, { align: 'center' });
  c.draw(img, 4, top);
  const x0 = img.width + 12;
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      const k = codes[i]![j]!;
      const hue = (k * 137.508) % 360; // golden-angle hues: neighbours in index get distant colours
      const col = hsl(hue, 0.55, 0.72);
      c.rect(x0 + j * cell, top + i * cell, cell - 1, cell - 1, col);
      c.text(x0 + j * cell + cell / 2, top + i * cell + cell / 2, String(k), BLACK, { align: 'center', baseline: 'middle' });
    }
  }
  return c;
}

function hsl(h: number, s: number, l: number): [number, number, number] {
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}
