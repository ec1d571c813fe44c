/**
 * The 2D playground: pick a registered family and a 2D data set (both lists come from the server's
 * registries; the form for the family's config is built from its default config), train in the
 * server's worker thread and watch the density, the samples and the paths from noise to data move.
 * The page draws whatever the frames carry: it has no per-family code.
 */
import { get, post, subscribe } from '../api.ts';
import { Curve } from '../chart.ts';
import { clear, fmtNum, h } from '../dom.ts';
import type { PlayChoices, PlayState, View2D } from '../types.ts';

type Choices = PlayChoices;
type State = PlayState;

const VIRIDIS = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

function viridis(t: number): [number, number, number] {
  const x = Math.max(0, Math.min(1, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i]!;
  const b = VIRIDIS[i + 1]!;
  return [a[0]! + (b[0]! - a[0]!) * f, a[1]! + (b[1]! - a[1]!) * f, a[2]! + (b[2]! - a[2]!) * f];
}

export function playgroundPage(root: HTMLElement): () => void {
  const SIZE = 520;
  const canvas = h('canvas', { id: 'play-canvas', width: SIZE, height: SIZE }) as HTMLCanvasElement;
  const ctx = canvas.getContext('2d')!;
  const form = h('form', { class: 'play-form', id: 'play-form', onsubmit: (e: Event) => e.preventDefault() });
  const configEl = h('div', { class: 'config-fields' });
  const status = h('div', { class: 'mono', id: 'play-status' }, 'idle');
  const errEl = h('div', { class: 'notice' });
  const runLink = h('div');
  const lossEl = h('div', { class: 'charts' });
  const show = { density: true, data: true, samples: true, paths: true };
  let state: State | null = null;
  let choices: Choices | null = null;
  let closeRun = () => undefined as void;
  let lossCurve: Curve | null = null;
  let following: string | null = null;

  const modelSel = h('select', { id: 'play-model', onchange: () => renderConfig() }) as HTMLSelectElement;
  const dataSel = h('select', { id: 'play-data' }) as HTMLSelectElement;
  const steps = h('input', { type: 'number', id: 'play-steps', min: 1, max: 200000, value: 1500 }) as HTMLInputElement;
  const lr = h('input', { type: 'number', id: 'play-lr', step: 'any', value: '' }) as HTMLInputElement;
  const startBtn = h('button', { id: 'play-start', type: 'button', onclick: () => void start() }, 'Train');
  const stopBtn = h('button', { id: 'play-stop', type: 'button', disabled: true, onclick: () => void post('/api/playground/stop') }, 'Stop');
  const toggles = h(
    'div',
    { class: 'controls' },
    ...(['density', 'data', 'samples', 'paths'] as const).map((k) =>
      h('label', {}, h('input', { type: 'checkbox', checked: show[k], onchange: (e: Event) => ((show[k] = (e.target as HTMLInputElement).checked), draw()) }), ` ${k}`),
    ),
  );

  form.append(
    h('label', {}, 'family ', modelSel),
    h('label', {}, 'data ', dataSel),
    h('label', {}, 'steps ', steps),
    h('label', {}, 'lr ', lr),
    configEl,
    h('div', { class: 'controls' }, startBtn, stopBtn),
  );
  root.append(
    h('div', { class: 'page-head' }, h('h1', {}, '2D playground')),
    h('div', { class: 'play' }, h('div', {}, form, status, errEl, runLink, lossEl), h('div', {}, canvas, toggles, h('div', { class: 'muted', id: 'play-legend' }))),
  );

  const renderConfig = () => {
    clear(configEl);
    const m = choices?.models.find((x) => x.name === modelSel.value);
    if (!m) return;
    lr.value = String(m.trainDefaults.lr ?? '');
    configEl.append(h('div', { class: 'muted' }, m.description));
    for (const [k, v] of Object.entries(m.defaultConfig)) {
      const input =
        typeof v === 'boolean'
          ? h('input', { type: 'checkbox', checked: v, 'data-key': k, 'data-kind': 'bool' })
          : h('input', { type: typeof v === 'number' ? 'number' : 'text', step: 'any', value: typeof v === 'object' ? JSON.stringify(v) : String(v), 'data-key': k, 'data-kind': typeof v === 'number' ? 'number' : typeof v === 'object' ? 'json' : 'string' });
      configEl.append(h('label', {}, `${k} `, input));
    }
  };

  const start = async () => {
    errEl.textContent = '';
    const config: Record<string, unknown> = {};
    for (const el of Array.from(configEl.querySelectorAll<HTMLInputElement>('input[data-key]'))) {
      const k = el.dataset.key!;
      const kind = el.dataset.kind;
      config[k] = kind === 'bool' ? el.checked : kind === 'number' ? Number(el.value) : kind === 'json' ? JSON.parse(el.value) : el.value;
    }
    try {
      await post('/api/playground', { model: modelSel.value, data: dataSel.value, steps: Number(steps.value), ...(lr.value ? { lr: Number(lr.value) } : {}), config });
    } catch (e) {
      errEl.className = 'notice err';
      errEl.textContent = (e as Error).message;
    }
  };

  const toPx = (x: number, y: number, b: number[]): [number, number] => [((x - b[0]!) / (b[1]! - b[0]!)) * SIZE, ((b[3]! - y) / (b[3]! - b[2]!)) * SIZE];

  const draw = () => {
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, SIZE, SIZE);
    const v = state?.view;
    const b = v?.bounds ?? state?.bounds;
    if (!b) return;
    if (show.density && v?.density) {
      const g = v.density.grid;
      const lp = v.density.logp.map((x) => (x === null || !Number.isFinite(x) ? -Infinity : x));
      const max = Math.max(...lp);
      const off = document.createElement('canvas');
      off.width = g;
      off.height = g;
      const octx = off.getContext('2d')!;
      const img = octx.createImageData(g, g);
      for (let i = 0; i < g * g; i++) {
        const [r, gg, bb] = viridis(Math.exp(lp[i]! - max));
        img.data[i * 4] = r;
        img.data[i * 4 + 1] = gg;
        img.data[i * 4 + 2] = bb;
        img.data[i * 4 + 3] = 255;
      }
      octx.putImageData(img, 0, 0);
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(off, 0, 0, SIZE, SIZE);
    }
    const dots = (flat: (number | null)[], color: string, r: number) => {
      ctx.fillStyle = color;
      for (let i = 0; i + 1 < flat.length; i += 2) {
        if (flat[i] === null || flat[i + 1] === null) continue;
        const [px, py] = toPx(flat[i]!, flat[i + 1]!, b);
        ctx.fillRect(px - r / 2, py - r / 2, r, r);
      }
    };
    if (show.data && state?.points) dots(state.points, show.density && v?.density ? 'rgba(255,255,255,0.35)' : 'rgba(120,120,120,0.35)', 2);
    if (show.paths && v?.trajectory) {
      const fr = v.trajectory.frames;
      const n = (fr[0]?.length ?? 0) / 2;
      ctx.lineWidth = 1;
      for (let k = 0; k + 1 < fr.length; k++) {
        const t = k / Math.max(1, fr.length - 2);
        ctx.strokeStyle = `rgba(${Math.round(230 * t + 20)},${Math.round(80 + 60 * (1 - t))},${Math.round(230 * (1 - t) + 20)},0.35)`;
        ctx.beginPath();
        for (let j = 0; j < n; j++) {
          const a = fr[k]!;
          const c = fr[k + 1]!;
          if ([a[2 * j], a[2 * j + 1], c[2 * j], c[2 * j + 1]].some((q) => q === null || !Number.isFinite(q as number))) continue;
          const [x0, y0] = toPx(a[2 * j]!, a[2 * j + 1]!, b);
          const [x1, y1] = toPx(c[2 * j]!, c[2 * j + 1]!, b);
          ctx.moveTo(x0, y0);
          ctx.lineTo(x1, y1);
        }
        ctx.stroke();
      }
    }
    if (show.samples && v) dots(v.samples, '#ff7f0e', 2.5);
    if (v) {
      const text = `step ${v.step} / ${v.total}   loss ${fmtNum(v.loss)}`;
      ctx.font = '13px system-ui, sans-serif';
      ctx.fillStyle = 'rgba(255,255,255,0.85)';
      ctx.fillRect(4, 4, ctx.measureText(text).width + 10, 20);
      ctx.fillStyle = '#000';
      ctx.fillText(text, 9, 18);
    }
    canvas.dataset.step = String(v?.step ?? '');
  };

  const follow = (run: string | null) => {
    if (run === following) return;
    following = run;
    closeRun();
    lossCurve?.destroy();
    lossCurve = null;
    if (!run) return;
    lossCurve = new Curve(lossEl, `${run}: loss`, { smoothing: 0.6, height: 160 });
    lossCurve.setSeries([{ label: 'loss', color: '#1f77b4', x: [], y: [] }]);
    closeRun = subscribe(
      { runs: [run] },
      {
        metrics: (e: { rows: Record<string, number | null>[] }) =>
          lossCurve?.append('loss', e.rows.map((r) => r.step as number), e.rows.map((r) => (typeof r.loss === 'number' ? r.loss : NaN))),
      },
    );
  };

  const renderState = () => {
    const s = state;
    if (!s) return;
    startBtn.disabled = s.running;
    stopBtn.disabled = !s.running;
    const v = s.view;
    status.textContent = s.running
      ? `training ${s.model} on ${s.data}: step ${v?.step ?? 0} / ${v?.total ?? '?'}, loss ${fmtNum(v?.loss)}`
      : s.run
        ? `${s.run}: ${String(s.result?.status ?? (s.error ? 'failed' : 'done'))}${s.result?.message ? ` — ${String(s.result.message)}` : ''}`
        : 'idle';
    status.dataset.running = String(s.running);
    if (s.error) {
      errEl.className = 'notice err';
      errEl.textContent = s.error;
    }
    clear(runLink);
    if (s.run) runLink.append(h('a', { href: `#/run/${encodeURIComponent(s.run)}`, id: 'play-run-link' }, `run folder: ${s.run}`));
    const legend = document.getElementById('play-legend');
    if (legend) legend.textContent = v ? `samples (orange)${v.density ? ', model density (viridis)' : ''}${v.trajectory ? `, paths noise → data (${v.trajectory.labels.length} frames)` : ''}, data (gray)` : '';
    follow(s.run);
  };

  const close = subscribe(
    { playground: true },
    {
      state: (s: State) => {
        state = s;
        renderState();
        draw();
      },
      data: (d: { points: number[]; bounds: number[] }) => {
        if (state) {
          state.points = d.points;
          state.bounds = d.bounds;
        }
        draw();
      },
      frame: (f: { view: View2D }) => {
        if (state) state.view = f.view;
        renderState();
        draw();
      },
    },
  );

  void get<Choices>('/api/registry').then((c) => {
    choices = c;
    for (const m of c.models) modelSel.append(h('option', { value: m.name }, m.name));
    for (const d of c.data) dataSel.append(h('option', { value: d }, d));
    if (c.models.some((m) => m.name === 'realnvp')) modelSel.value = 'realnvp';
    if (c.data.includes('moons')) dataSel.value = 'moons';
    renderConfig();
  });
  draw();

  return () => {
    close();
    closeRun();
    lossCurve?.destroy();
  };
}
