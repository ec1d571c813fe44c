/** The agent page: trajectories found under the runs and agent folders, stepped through one at a time. */
import { apiUrl, get } from '../api.ts';
import { clear, h } from '../dom.ts';

interface TrajectoryEntry {
  id: string;
  root: number;
  path: string;
  instruction: string;
  status: string;
  steps: number;
  startedAt: string;
}

interface Step {
  index: number;
  screenshot?: string;
  image?: { width: number; height: number; scale: number };
  think?: string;
  reflection?: string;
  thought?: string;
  raw?: string;
  actions: { description: string; executed?: { x: number; y: number }[]; note?: string; error?: string }[];
  error?: { kind: string; message: string };
}

interface Trajectory {
  instruction: string;
  model: string;
  status: string;
  finalAnswer?: string;
  error?: { kind: string; message: string };
  steps: Step[];
}

const filePath = (e: TrajectoryEntry, name: string) => `/api/agent-files/${e.root}/${[...e.path.split('/').filter(Boolean), name].map(encodeURIComponent).join('/')}`;
const fileUrl = (e: TrajectoryEntry, name: string) => apiUrl(filePath(e, name));

export function agentPage(root: HTMLElement, id: string | null): () => void {
  const listEl = h('div', { class: 'agent-list' });
  const viewEl = h('div', { class: 'agent-view', id: 'agent-view' });
  root.append(h('div', { class: 'page-head' }, h('h1', {}, 'Agent trajectories')), h('div', { class: 'agent' }, listEl, viewEl));
  let onKey: ((e: KeyboardEvent) => void) | null = null;

  const show = async (entry: TrajectoryEntry) => {
    clear(viewEl);
    const t = await get<Trajectory>(filePath(entry, 'trajectory.json'));
    let i = 0;
    const stepEl = h('div', { class: 'agent-step', id: 'agent-step' });
    const counter = h('span', { class: 'mono', id: 'agent-counter' });
    const slider = h('input', { type: 'range', id: 'agent-slider', min: 0, max: Math.max(0, t.steps.length - 1), value: 0, oninput: (e: Event) => go(Number((e.target as HTMLInputElement).value)) }) as HTMLInputElement;
    const go = (k: number) => {
      i = Math.max(0, Math.min(t.steps.length - 1, k));
      slider.value = String(i);
      render();
    };
    const render = () => {
      clear(stepEl);
      const s = t.steps[i];
      counter.textContent = t.steps.length ? `step ${i + 1} / ${t.steps.length}` : 'no steps';
      if (!s) return;
      const shot = h('div', { class: 'shot' });
      if (s.screenshot) {
        shot.append(h('img', { src: fileUrl(entry, s.screenshot), alt: `step ${s.index} screenshot`, id: 'agent-shot' }));
        if (s.image) {
          for (const a of s.actions) {
            for (const p of a.executed ?? []) {
              const left = ((p.x * s.image.scale) / s.image.width) * 100;
              const top = ((p.y * s.image.scale) / s.image.height) * 100;
              shot.append(h('div', { class: 'marker', style: `left:${left}%;top:${top}%`, title: a.description }));
            }
          }
        }
      }
      stepEl.append(
        shot,
        h(
          'div',
          { class: 'step-text' },
          h('h3', {}, `Step ${i + 1}`),
          s.think ? h('div', {}, h('b', {}, 'Think '), h('pre', {}, s.think)) : null,
          s.reflection ? h('p', {}, h('b', {}, 'Reflection '), s.reflection) : null,
          h('p', { id: 'agent-thought' }, h('b', {}, 'Thought '), s.thought ?? '—'),
          h('ul', { id: 'agent-actions' }, ...s.actions.map((a) => h('li', {}, h('code', {}, a.description), a.note ? ` — ${a.note}` : '', a.error ? h('b', { class: 'err' }, ` ${a.error}`) : ''))),
          s.error ? h('p', { class: 'warning' }, `${s.error.kind} error: ${s.error.message}`) : null,
          s.raw !== undefined ? h('details', {}, h('summary', {}, 'model text'), h('pre', {}, s.raw)) : null,
        ),
      );
    };
    viewEl.append(
      h('h2', {}, t.instruction),
      h('p', { class: 'muted' }, `model ${t.model} · status ${t.status}${t.finalAnswer ? ` · answer: ${t.finalAnswer}` : ''}${t.error ? ` · ${t.error.kind}: ${t.error.message}` : ''}`),
      h('div', { class: 'controls' }, h('button', { id: 'agent-prev', onclick: () => go(i - 1) }, '◀ prev'), slider, h('button', { id: 'agent-next', onclick: () => go(i + 1) }, 'next ▶'), counter),
      stepEl,
    );
    if (onKey) window.removeEventListener('keydown', onKey);
    onKey = (e) => {
      if (e.key === 'ArrowRight') go(i + 1);
      if (e.key === 'ArrowLeft') go(i - 1);
    };
    window.addEventListener('keydown', onKey);
    render();
  };

  void get<{ trajectories: TrajectoryEntry[]; roots: string[] }>('/api/agent').then(({ trajectories, roots }) => {
    if (!trajectories.length) {
      listEl.append(h('p', { class: 'muted' }, `No trajectories in ${roots.join(' or ')}. Record one with genlab agent.`));
      return;
    }
    const ul = h('ul', { id: 'agent-trajectories' });
    for (const e of trajectories) {
      ul.append(
        h('li', {}, h('a', { href: `#/agent/${encodeURIComponent(e.id)}` }, e.instruction.slice(0, 80) || e.path), h('div', { class: 'muted' }, `${e.status} · ${e.steps} steps · ${e.path}`)),
      );
    }
    listEl.append(ul);
    const chosen = trajectories.find((e) => e.id === id) ?? (id === null ? trajectories[0] : undefined);
    if (chosen) void show(chosen);
  });

  return () => {
    if (onKey) window.removeEventListener('keydown', onKey);
  };
}
