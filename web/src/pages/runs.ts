/** The run list: family, data, step, last loss and status of every run, updated live. */
import { get, subscribe } from '../api.ts';
import { clear, fmtAgo, fmtNum, h, statusBadge, warningBox } from '../dom.ts';
import type { RunSummary } from '../types.ts';

export function runsPage(root: HTMLElement): () => void {
  const rows = new Map<string, RunSummary>();
  const warnings: string[] = [];
  const selected = new Set<string>();
  const table = h('tbody');
  const warnEl = h('div');
  const empty = h('p', { class: 'muted' }, 'No runs yet. Train one (genlab train nice --data moons) or start one in the playground.');
  const compareBtn = h('button', { id: 'compare-selected', disabled: true, onclick: () => (location.hash = `#/compare/${[...selected].map(encodeURIComponent).join(',')}`) }, 'Compare selected');
  root.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Runs'), compareBtn),
    warnEl,
    h(
      'table',
      { class: 'runs', id: 'runs-table' },
      h('thead', {}, h('tr', {}, ...['', 'run', 'family', 'data', 'step', 'last loss', 'status', 'updated'].map((t) => h('th', {}, t)))),
      table,
    ),
    empty,
  );

  const render = () => {
    clear(table);
    const list = [...rows.values()].sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? '') || a.name.localeCompare(b.name));
    empty.style.display = list.length ? 'none' : '';
    for (const r of list) {
      const box = h('input', {
        type: 'checkbox',
        checked: selected.has(r.name),
        onchange: (e: Event) => {
          if ((e.target as HTMLInputElement).checked) selected.add(r.name);
          else selected.delete(r.name);
          compareBtn.disabled = selected.size < 2;
        },
      });
      table.append(
        h(
          'tr',
          { 'data-run': r.name },
          h('td', {}, box),
          h('td', {}, h('a', { href: `#/run/${encodeURIComponent(r.name)}` }, r.name)),
          h('td', {}, r.model ?? '?'),
          h('td', {}, r.data ?? '?'),
          h('td', { class: 'num step' }, `${r.step}${r.totalSteps ? ` / ${r.totalSteps}` : ''}`),
          h('td', { class: 'num loss' }, r.status === 'nan' ? 'NaN' : fmtNum(r.loss)),
          h('td', {}, statusBadge(r.status), r.warnings ? h('span', { class: 'warn-count', title: 'warnings' }, ` ⚠${r.warnings}`) : null),
          h('td', { class: 'muted' }, fmtAgo(r.updatedAt)),
        ),
      );
    }
    clear(warnEl);
    if (warnings.length) warnEl.append(warningBox(warnings));
  };

  let pending = 0;
  const later = () => {
    if (!pending) pending = window.setTimeout(() => ((pending = 0), render()), 100);
  };
  const close = subscribe(
    { list: true },
    {
      runs: (list: RunSummary[]) => {
        rows.clear();
        for (const r of list) rows.set(r.name, r);
        render();
      },
      summary: (r: RunSummary) => {
        rows.set(r.name, r);
        later();
      },
      removed: (e: { run: string }) => {
        rows.delete(e.run);
        later();
      },
      warning: (e: { run: string; message: string }) => {
        warnings.push(`${e.run}: ${e.message}`);
        later();
      },
    },
  );
  void get<{ runs: RunSummary[] }>('/api/runs').then((d) => {
    if (rows.size === 0) for (const r of d.runs) rows.set(r.name, r);
    render();
  });
  const ticker = window.setInterval(render, 10_000);
  return () => {
    close();
    clearInterval(ticker);
    clearTimeout(pending);
  };
}
