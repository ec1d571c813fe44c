/** Compare: the curves of chosen runs overlaid, one panel per term, live. */
import { get, runPath, subscribe } from '../api.ts';
import { Curve, curveControls } from '../chart.ts';
import { PALETTE, clear, h } from '../dom.ts';
import type { MetricsColumns, RunSummary } from '../types.ts';

const SKIP = new Set(['step', 'time', 'nonFinite']);

export function comparePage(root: HTMLElement, chosen: string[]): () => void {
  const picker = h('div', { class: 'picker', id: 'compare-picker' });
  const chartsEl = h('div', { class: 'charts', id: 'charts' });
  const legend = h('div', { class: 'legend', id: 'compare-legend' });
  const curves = new Map<string, Curve>();
  const opts = { log: false, smoothing: 0.6 };
  let closeStream = () => undefined as void;
  root.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Compare runs')),
    picker,
    curveControls(curves, opts),
    legend,
    chartsEl,
  );

  const load = async (names: string[]) => {
    closeStream();
    for (const c of curves.values()) c.destroy();
    curves.clear();
    clear(legend);
    const color = (i: number) => PALETTE[i % PALETTE.length]!;
    names.forEach((n, i) => legend.append(h('span', { class: 'chip', style: `border-color:${color(i)}` }, h('b', { style: `color:${color(i)}` }, '■ '), n)));
    const all = await Promise.all(names.map((n) => get<MetricsColumns>(runPath(n, '/metrics')).catch(() => ({ step: [], terms: {} }) as MetricsColumns)));
    const terms = [...new Set(all.flatMap((m) => Object.keys(m.terms)))].filter((t) => !SKIP.has(t));
    terms.sort((a, b) => (a === 'loss' ? -1 : b === 'loss' ? 1 : a.localeCompare(b)));
    for (const t of terms) {
      const c = new Curve(chartsEl, t, opts);
      c.setSeries(
        names.map((n, i) => ({ label: n, color: color(i), x: all[i]!.step.slice(), y: (all[i]!.terms[t] ?? all[i]!.step.map(() => NaN)).map((v) => (v === null ? NaN : v)) })),
      );
      curves.set(t, c);
    }
    root.dataset.loaded = names.join(',');
    closeStream = subscribe(
      { runs: names },
      {
        metrics: (e: { run: string; rows: Record<string, number | null>[] }) => {
          for (const [t, c] of curves) {
            const s = c.series.find((q) => q.label === e.run);
            if (!s) continue;
            const rows = e.rows.filter((r) => !s.x.length || (r.step as number) > s.x[s.x.length - 1]!);
            c.append(e.run, rows.map((r) => r.step as number), rows.map((r) => (typeof r[t] === 'number' ? (r[t] as number) : NaN)));
          }
        },
      },
    );
  };

  void get<{ runs: RunSummary[] }>('/api/runs').then(({ runs }) => {
    const set = new Set(chosen.filter((c) => runs.some((r) => r.name === c)));
    for (const r of runs) {
      picker.append(
        h(
          'label',
          { class: 'pick' },
          h('input', {
            type: 'checkbox',
            value: r.name,
            checked: set.has(r.name),
            onchange: (e: Event) => {
              const el = e.target as HTMLInputElement;
              if (el.checked) set.add(r.name);
              else set.delete(r.name);
              history.replaceState(null, '', `#/compare/${[...set].map(encodeURIComponent).join(',')}`);
              void load([...set]);
            },
          }),
          ` ${r.name}`,
        ),
      );
    }
    void load([...set]);
  });

  return () => {
    closeStream();
    for (const c of curves.values()) c.destroy();
  };
}
