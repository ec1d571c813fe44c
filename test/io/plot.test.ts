import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { torch } from '../../src/tensor/index.ts';
import {
  Canvas,
  colormap,
  decodePng,
  densityHeatmap,
  formatTick,
  lineChart,
  logTicks,
  luminance,
  niceTicks,
  renderHeatmap,
  renderLineChart,
  renderScatter,
  scatterPlot,
  sideBySide,
  viridis,
} from '../../src/io/index.ts';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'genlab-plot-'));
const near = (a: readonly number[], b: readonly number[], tol = 2): boolean => b.every((v, i) => Math.abs(a[i]! - v) <= tol);

/** Pixels of a canvas whose color is within tol of c. */
function find(c: Canvas, col: readonly number[], tol = 2): [number, number][] {
  const out: [number, number][] = [];
  for (let y = 0; y < c.height; y++) for (let x = 0; x < c.width; x++) if (near(c.get(x, y), col, tol)) out.push([x, y]);
  return out;
}

test('ticks: nice steps, log decades, labels', () => {
  assert.deepEqual(niceTicks(0, 1, 5).map((v) => +v.toFixed(9)), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(-3, 3, 5), [-3, -2, -1, 0, 1, 2, 3]);
  assert.deepEqual(niceTicks(0, 1000, 4), [0, 200, 400, 600, 800, 1000]);
  assert.deepEqual(niceTicks(0.5, 0.5), [0.5]);
  assert.deepEqual(logTicks(1e-4, 10), [1e-4, 1e-3, 0.01, 0.1, 1, 10]);
  assert.deepEqual(logTicks(0.03, 2.5), [0.05, 0.1, 0.2, 0.5, 1, 2]);
  assert.equal(formatTick(0.6000000000000001, 0.2), '0.6');
  assert.equal(formatTick(1e-4), '1e-4');
  assert.equal(formatTick(250000), '2.5e5');
  assert.equal(formatTick(-2), '-2');
});

test('viridis: endpoints, and luminance strictly increasing (perceptual, monotonic)', () => {
  assert.deepEqual(viridis(0), [0x44, 0x01, 0x54]);
  assert.deepEqual(viridis(1), [0xfd, 0xe7, 0x25]);
  assert.deepEqual(viridis(-1), viridis(0));
  assert.deepEqual(viridis(NaN), viridis(0));
  let prev = -1;
  for (let i = 0; i <= 64; i++) {
    const l = luminance(viridis(i / 64));
    assert.ok(l > prev, `luminance not increasing at ${i}/64`);
    prev = l;
  }
  // At 8-bit resolution only rounding-sized dips are allowed.
  prev = -1;
  for (let i = 0; i <= 255; i++) {
    const l = luminance(viridis(i / 255));
    assert.ok(l > prev - 5e-4, `luminance drops at ${i}/255`);
    prev = l;
  }
  assert.ok(luminance(colormap('magma')(0.9)) > luminance(colormap('magma')(0.1)));
  assert.throws(() => colormap('jet' as 'viridis'), /unknown colormap/);
});

test('densityHeatmap: grid values map monotonically left to right; a Gaussian peaks where it should', () => {
  const dir = tmp();
  torch.scope(() => {
    // A grid whose value increases with the column: luminance must increase across the plot.
    const grid = torch.arange(50, { dtype: 'float32' }).view([1, 50]).expand([10, 50]).contiguous();
    const c = renderHeatmap(grid, { size: [300, 200], axes: false, colorbar: false });
    let prev = -1;
    for (let x = 0; x < c.width; x += 6) {
      const l = luminance(c.get(x, 100).slice(0, 3) as [number, number, number]);
      assert.ok(l >= prev, `x=${x}`);
      prev = l;
    }
    assert.deepEqual(c.get(0, 50).slice(0, 3), [...viridis(0)]);
    assert.deepEqual(c.get(299, 50).slice(0, 3), [...viridis(1)]);
    // Log density of N((1, -1), 0.3^2 I): the brightest pixel is at data (1, -1).
    const logp = (xy: ReturnType<typeof torch.zeros>) => xy.sub(torch.tensor([1, -1])).pow(2).sum(-1).div(-2 * 0.09);
    const h = densityHeatmap(join(dir, 'h.png'), logp, { bounds: [-3, 3, -3, 3], resolution: 60, size: 300, axes: false, colorbar: false });
    const top = find(h, viridis(1), 0);
    assert.ok(top.length > 0);
    const mx = top.reduce((a, p) => a + p[0], 0) / top.length, my = top.reduce((a, p) => a + p[1], 0) / top.length;
    assert.ok(Math.abs(mx - 200) < 6 && Math.abs(my - 200) < 6, `peak at ${mx}, ${my}`);
    const png = decodePng(readFileSync(join(dir, 'h.png')));
    assert.deepEqual([png.width, png.height], [300, 300]);
    assert.throws(() => renderHeatmap(() => torch.zeros([3])), /must return/);
  });
});

test('scatterPlot: dots land at their data coordinates; points outside bounds are clipped', () => {
  const dir = tmp();
  torch.scope(() => {
    const pts = torch.tensor([[0, 0], [1, 1], [5, 5]]);
    const c = scatterPlot(join(dir, 's.png'), [{ points: pts, color: '#ff0000', alpha: 1, radius: 3 }], { bounds: [-1, 2, -1, 2], size: 300, axes: false });
    // Without axes the plot area is the whole canvas: x -> (x+1)/3*300, y flipped.
    assert.deepEqual(c.get(100, 200), [255, 0, 0, 255]);
    assert.deepEqual(c.get(200, 100), [255, 0, 0, 255]);
    assert.deepEqual(c.get(150, 150), [255, 255, 255, 255]);
    const red = find(c, [255, 0, 0]);
    assert.ok(red.length > 20 && red.length < 80, `${red.length} red pixels (two dots of radius 3)`);
    const png = decodePng(readFileSync(join(dir, 's.png')));
    assert.deepEqual([png.width, png.height, png.channels], [300, 300, 3]);
    // Several sets, auto bounds, axes and a legend.
    const many = renderScatter([{ points: torch.randn([100, 2]), label: 'data' }, { points: [[0, 0], [1, 2]], label: 'model' }], { size: [400, 300], title: 'samples' });
    assert.deepEqual([many.width, many.height], [400, 300]);
    assert.throws(() => renderScatter(torch.zeros([3, 3])), /\[N, 2\]/);
  });
});

test('lineChart: writes a valid PNG of the requested size with the curves drawn', () => {
  const dir = tmp();
  const values = Array.from({ length: 100 }, (_, i) => 10 * Math.exp(-i / 20) + 0.1);
  const c = lineChart(join(dir, 'l.png'), [
    { name: 'loss', values, color: '#0000ff' },
    { name: 'with gaps', values: values.map((v, i) => (i % 10 === 5 ? NaN : i % 7 === 0 ? -1 : v * 2)), color: '#00ff00' },
  ], { logY: true, title: 'Loss', xLabel: 'step', size: [500, 320] });
  const png = decodePng(readFileSync(join(dir, 'l.png')));
  assert.deepEqual([png.width, png.height], [500, 320]);
  assert.deepEqual(png.data.length, 500 * 320 * png.channels);
  const blue = find(c, [0, 0, 255], 10);
  assert.ok(blue.length > 200, `blue pixels: ${blue.length}`);
  // Decreasing curve: higher (smaller y) on the left; x ranges avoid the legend in the top-right corner.
  const meanY = (x0: number, x1: number): number => {
    const ps = blue.filter((p) => p[0] >= x0 && p[0] < x1);
    return ps.reduce((a, p) => a + p[1], 0) / ps.length;
  };
  assert.ok(meanY(40, 100) < meanY(200, 260) && meanY(200, 260) < meanY(300, 360), 'blue curve decreasing');
  assert.ok(find(c, [0, 255, 0], 10).length > 100, 'green curve drawn');
  // Numeric labels are drawn (dark text pixels left of the plot area).
  assert.ok(find(c, [60, 60, 60], 0).some((p) => p[0] < 30), 'y tick labels drawn');
  // Degenerate input still renders.
  assert.deepEqual([renderLineChart([{ name: 'x', values: [] }]).width, renderLineChart([{ name: 'c', values: [3, 3, 3] }]).height], [640, 400]);
  assert.throws(() => renderLineChart([{ name: 'x', values: [1, 2], x: [1] }]), /2 values but 1 x/);
});

test('sideBySide: composes canvases and PNG files', () => {
  const dir = tmp();
  const a = new Canvas(30, 20, [255, 0, 0]);
  const b = new Canvas(10, 40, [0, 0, 255]);
  a.savePng(join(dir, 'a.png'));
  const c = sideBySide(join(dir, 'ab.png'), [join(dir, 'a.png'), b], { gap: 5 });
  assert.deepEqual([c.width, c.height], [45, 40]);
  assert.deepEqual(c.get(0, 0), [255, 0, 0, 255]);
  assert.deepEqual(c.get(29, 19), [255, 0, 0, 255]);
  assert.deepEqual(c.get(0, 30), [255, 255, 255, 255]);
  assert.deepEqual(c.get(35, 39), [0, 0, 255, 255]);
  const png = decodePng(readFileSync(join(dir, 'ab.png')));
  assert.deepEqual([png.width, png.height], [45, 40]);
});
