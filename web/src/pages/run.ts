/**
 * One run: every logged term as a curve (live), the sample pictures over steps on a slider, the
 * config, evaluation results, checkpoints to download, and the actions (sample, evaluate, trash).
 */
import { ApiError, get, post, runFile, runPath, subscribe } from '../api.ts';
import { Curve, curveControls } from '../chart.ts';
import { clear, fmtNum, h, statusBadge, warningBox } from '../dom.ts';
import type { MetricsColumns, RunDetail, RunSummary } from '../types.ts';

/** Terms not drawn as curves. */
const SKIP = new Set(['step', 'time', 'nonFinite']);

export function runPage(root: HTMLElement, name: string): () => void {
  const head = h('div', { class: 'page-head' });
  const actionsEl = h('div', { class: 'actions' });
  const notice = h('div', { class: 'notice', id: 'action-result' });
  const warnEl = h('div');
  const chartsEl = h('div', { class: 'charts', id: 'charts' });
  const samplesEl = h('section', { class: 'samples' });
  const extraEl = h('section');
  const evalEl = h('section');
  const ckptEl = h('section');
  const configEl = h('section');
  const curves = new Map<string, Curve>();
  const opts = { log: false, smoothing: 0.6 };
  let detail: RunDetail | null = null;
  let columns: MetricsColumns | null = null;
  let sampleIndex = -1;
  const live: string[] = [];

  root.append(
    head,
    actionsEl,
    notice,
    warnEl,
    h('h2', {}, 'Curves'),
    curveControls(curves, opts),
    chartsEl,
    samplesEl,
    extraEl,
    evalEl,
    ckptEl,
    configEl,
  );

  const curveFor = (term: string): Curve => {
    let c = curves.get(term);
    if (!c) {
      c = new Curve(chartsEl, term, opts);
      c.setSeries([{ label: term, color: term === 'loss' ? '#1f77b4' : '#ff7f0e', x: [], y: [] }]);
      curves.set(term, c);
    }
    return c;
  };

  type Row = Record<string, number | null>;
  const buffered: Row[] = [];
  /** Appends streamed rows newer than what each curve holds (the stream and the first fetch overlap). */
  const addRows = (rows: Row[]) => {
    for (const r of rows) {
      for (const [k, v] of Object.entries(r)) {
        if (SKIP.has(k)) continue;
        const c = curveFor(k);
        const xs = c.series[0]!.x;
        if (xs.length && (r.step as number) <= xs[xs.length - 1]!) continue;
        c.append(k, [r.step as number], [v === null ? NaN : v]);
      }
    }
  };

  const loadMetrics = async () => {
    columns = null;
    columns = await get<MetricsColumns>(runPath(name, '/metrics'));
    for (const c of curves.values()) c.destroy();
    curves.clear();
    const terms = Object.keys(columns.terms).filter((t) => !SKIP.has(t));
    terms.sort((a, b) => (a === 'loss' ? -1 : b === 'loss' ? 1 : 0));
    for (const t of terms) {
      const c = curveFor(t);
      c.append(t, columns.step.slice(), columns.terms[t]!.map((v) => (v === null ? NaN : v)));
    }
    addRows(buffered.splice(0));
    root.dataset.loaded = '1';
  };

  const renderHead = (s: RunSummary) => {
    clear(head);
    head.append(
      h('h1', {}, s.name),
      statusBadge(s.status),
      h('span', { class: 'muted', id: 'run-step' }, ` ${s.model ?? '?'} on ${s.data ?? '?'} · step ${s.step}${s.totalSteps ? ` / ${s.totalSteps}` : ''} · loss ${s.status === 'nan' ? 'NaN' : fmtNum(s.loss)}`),
    );
  };

  const act = async (label: string, fn: () => Promise<unknown>) => {
    notice.textContent = `${label}…`;
    notice.className = 'notice busy';
    try {
      const r = await fn();
      notice.className = 'notice ok';
      return r;
    } catch (e) {
      notice.className = 'notice err';
      notice.textContent = `${label} failed: ${(e as ApiError).message}`;
      return null;
    }
  };

  const renderActions = () => {
    clear(actionsEl);
    const confirmBox = h('span', { class: 'confirm', id: 'trash-confirm', hidden: true });
    actionsEl.append(
      h('button', {
        id: 'action-sample',
        onclick: async () => {
          const r = (await act('sampling', () => post(runPath(name, '/sample'), {}))) as { pictures?: string[]; step?: number } | null;
          if (r) notice.textContent = `sampled at step ${r.step}: ${r.pictures?.join(', ')}`;
          await refreshDetail();
        },
      }, 'Sample'),
      h('button', {
        id: 'action-eval',
        onclick: async () => {
          const r = (await act('evaluating', () => post(runPath(name, '/eval'), {}))) as { metrics?: Record<string, number> } | null;
          if (r) notice.textContent = `evaluated: ${Object.entries(r.metrics ?? {}).map(([k, v]) => `${k} ${fmtNum(v)}`).join(', ')}`;
          await refreshDetail();
        },
      }, 'Evaluate'),
      h('button', {
        id: 'action-trash',
        class: 'danger',
        onclick: () => {
          confirmBox.hidden = false;
        },
      }, 'Move to trash…'),
      confirmBox,
    );
    confirmBox.append(
      `Move ${name} to ${'runs/.trash'}? `,
      h('button', {
        id: 'trash-yes',
        class: 'danger',
        onclick: async () => {
          const r = await act('moving to trash', () => post(runPath(name, '/trash'), { confirm: name }));
          if (r) location.hash = '#/';
        },
      }, 'Yes, move it'),
      h('button', { onclick: () => (confirmBox.hidden = true) }, 'Cancel'),
    );
  };

  const renderSamples = () => {
    clear(samplesEl);
    const steps = detail?.samples ?? [];
    samplesEl.append(h('h2', {}, `Samples (${steps.length} steps)`));
    if (!steps.length) {
      samplesEl.append(h('p', { class: 'muted' }, 'No sample pictures yet.'));
      return;
    }
    const atEnd = sampleIndex < 0 || sampleIndex >= steps.length - 1;
    if (atEnd) sampleIndex = steps.length - 1;
    const pics = h('div', { class: 'pics' });
    const label = h('span', { class: 'mono', id: 'sample-step' });
    const show = () => {
      const s = steps[sampleIndex]!;
      label.textContent = `step ${s.step}`;
      clear(pics);
      for (const rel of [s.image, s.density]) {
        if (!rel) continue;
        const img = h('img', { src: runFile(name, rel), alt: rel, class: 'sample' }) as HTMLImageElement;
        img.onerror = () => img.replaceWith(h('div', { class: 'warning' }, `⚠ ${rel} could not be shown (half-written?)`));
        pics.append(img);
      }
    };
    const slider = h('input', {
      type: 'range',
      id: 'sample-slider',
      min: 0,
      max: steps.length - 1,
      step: 1,
      value: sampleIndex,
      oninput: (e: Event) => {
        sampleIndex = Number((e.target as HTMLInputElement).value);
        show();
      },
    });
    samplesEl.append(h('div', { class: 'controls' }, slider, label), pics);
    show();
  };

  const renderRest = () => {
    if (!detail) return;
    clear(extraEl);
    if (detail.extraPictures.length) {
      extraEl.append(
        h('h2', {}, 'Other pictures'),
        h('div', { class: 'pics' }, ...detail.extraPictures.map((p) => h('figure', {}, h('img', { src: runFile(name, p), class: 'sample', alt: p }), h('figcaption', {}, p)))),
      );
    }
    clear(evalEl);
    evalEl.append(h('h2', {}, 'Evaluations'));
    if (!detail.evals.length) evalEl.append(h('p', { class: 'muted' }, 'None yet: press Evaluate (or run genlab eval).'));
    else {
      const keys = [...new Set(detail.evals.flatMap((e) => Object.keys(e.metrics ?? {})))];
      evalEl.append(
        h(
          'table',
          { class: 'evals', id: 'evals' },
          h('thead', {}, h('tr', {}, h('th', {}, 'when'), h('th', {}, 'step'), ...keys.map((k) => h('th', {}, k)))),
          h('tbody', {}, ...detail.evals.map((e) => h('tr', {}, h('td', {}, (e.at ?? '').replace('T', ' ').slice(0, 19)), h('td', {}, String(e.step ?? '')), ...keys.map((k) => h('td', { class: 'num' }, fmtNum(e.metrics?.[k])))))),
        ),
      );
    }
    clear(ckptEl);
    ckptEl.append(
      h('h2', {}, 'Checkpoints'),
      detail.checkpoints.length
        ? h('ul', { id: 'checkpoints' }, ...detail.checkpoints.map((c) => h('li', {}, h('a', { href: runFile(name, c.file, true), download: '' }, c.file), ` (${(c.bytes / 1024).toFixed(1)} KiB)`)))
        : h('p', { class: 'muted' }, 'None yet.'),
    );
    clear(configEl);
    configEl.append(h('h2', {}, 'Config'), detail.configError ? h('p', { class: 'warning' }, detail.configError) : h('pre', { id: 'config' }, JSON.stringify(detail.config, null, 2)));
    clear(warnEl);
    const w = [...detail.warnings, ...live];
    if (w.length) warnEl.append(warningBox(w));
  };

  const refreshDetail = async () => {
    try {
      detail = await get<RunDetail>(runPath(name));
    } catch (e) {
      clear(head);
      head.append(h('h1', {}, name), h('p', { class: 'warning' }, (e as Error).message));
      return;
    }
    renderHead(detail.summary);
    renderSamples();
    renderRest();
  };

  renderActions();
  let lost = false;
  const close = subscribe(
    { runs: [name] },
    {
      metrics: (e: { rows: Row[] }) => {
        if (!columns) buffered.push(...e.rows);
        else addRows(e.rows);
      },
      reset: () => void loadMetrics(),
      summary: (s: RunSummary) => {
        if (detail) detail.summary = s;
        renderHead(s);
      },
      files: (d: RunDetail) => {
        detail = d;
        renderSamples();
        renderRest();
      },
      warning: (e: { message: string }) => {
        live.push(e.message);
        renderRest();
      },
      removed: () => {
        clear(head);
        head.append(h('h1', {}, name), h('p', { class: 'warning' }, 'This run was removed.'));
      },
    },
    (open) => {
      // After a dropped stream reconnects, lines written meanwhile were not streamed: read them again.
      if (!open) lost = true;
      else if (lost) {
        lost = false;
        void refreshDetail().then(loadMetrics);
      }
    },
  );
  void refreshDetail().then(loadMetrics);
  const onResize = () => curves.forEach((c) => c.resize());
  window.addEventListener('resize', onResize);
  return () => {
    close();
    window.removeEventListener('resize', onResize);
    for (const c of curves.values()) c.destroy();
  };
}
