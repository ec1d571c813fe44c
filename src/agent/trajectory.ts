/**
 * A run's record on disk: `trajectory.json`, one `step-NNN.png` per step (the screenshot the model saw, with
 * the step's actions drawn on it), and an `index.html` to look through it. Rewritten after every step, so an
 * interrupted run still leaves a readable trajectory.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Action } from './actions.ts';
import type { OperatorEvent } from './operators/operator.ts';
import { annotatePng } from './annotate.ts';

export type AgentStatus = 'running' | 'finished' | 'call_user' | 'max_steps' | 'aborted' | 'error';
export type AgentErrorKind = 'parse' | 'model' | 'screenshot' | 'environment' | 'execute' | 'unsupported_action' | 'internal';

export interface AgentError {
  kind: AgentErrorKind;
  message: string;
  /** For model errors: timeout, unreachable, http, bad_response. */
  detail?: string;
}

export interface ActionRecord {
  action: Action;
  /** e.g. "click (412, 230)" in operator units (CSS pixels for a browser). */
  description: string;
  /** Where the operator acted, in its units. */
  executed?: { x: number; y: number }[];
  note?: string;
  /** New tabs, dialogs, downloads, file choosers, size changes seen while the action ran. */
  events?: OperatorEvent[];
  error?: string;
}

export interface StepRecord {
  index: number;
  startedAt: string;
  durationMs?: number;
  /** File name of the step image inside the trajectory folder. */
  screenshot?: string;
  image?: { width: number; height: number; scale: number };
  /** The model's coordinate space for this screenshot. */
  modelSpace?: { kind: 'relative'; factors: [number, number] } | { kind: 'absolute'; width: number; height: number };
  raw?: string;
  think?: string;
  reflection?: string;
  thought?: string;
  actions: ActionRecord[];
  modelAttempts?: number;
  error?: AgentError;
}

export interface TrajectoryRecord {
  format: 'genlab-agent-trajectory';
  version: 1;
  instruction: string;
  model: string;
  modelVersion: string;
  coordinateMode: string;
  operator: string;
  prompt: string;
  status: AgentStatus;
  error?: AgentError;
  finalAnswer?: string;
  startedAt: string;
  endedAt?: string;
  steps: StepRecord[];
}

export class TrajectoryWriter {
  constructor(readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  static stepFile(index: number): string {
    return `step-${String(index).padStart(3, '0')}.png`;
  }

  /** Writes the step image: the screenshot as is, or with markers for `actions`. Returns the file name. */
  async saveStepImage(index: number, png: Uint8Array, actions?: readonly Action[]): Promise<string> {
    const name = TrajectoryWriter.stepFile(index);
    const bytes = actions && actions.length > 0 ? annotatePng(png, actions) : png;
    await writeAtomic(join(this.dir, name), bytes);
    return name;
  }

  async write(record: TrajectoryRecord): Promise<void> {
    await writeAtomic(join(this.dir, 'trajectory.json'), JSON.stringify(record, null, 2) + '\n');
    await writeAtomic(join(this.dir, 'index.html'), renderHtml(record));
  }
}

async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const EVENT_LABEL: Record<OperatorEvent['kind'], string> = {
  new_tab: 'new tab',
  tab_closed: 'tab closed',
  dialog: 'dialog',
  download: 'download',
  file_chooser: 'file chooser',
  resize: 'size change',
};

/** A self-contained page listing the steps (no scripts, no network). */
export function renderHtml(r: TrajectoryRecord): string {
  const steps = r.steps
    .map((s) => {
      const acts = s.actions
        .map(
          (a) =>
            `<li><code>${esc(a.description)}</code>${a.note ? ` — ${esc(a.note)}` : ''}${a.error ? ` <b class="err">${esc(a.error)}</b>` : ''}${
              a.events && a.events.length > 0
                ? `<ul class="events">${a.events.map((e) => `<li class="ev ev-${esc(e.kind)}"><b>${esc(EVENT_LABEL[e.kind] ?? e.kind)}</b> ${esc(e.message)}</li>`).join('')}</ul>`
                : ''
            }</li>`,
        )
        .join('');
      return `<section id="step-${s.index}">
<h2>Step ${s.index}</h2>
${s.screenshot ? `<a href="${esc(s.screenshot)}"><img src="${esc(s.screenshot)}" alt="step ${s.index} screenshot" loading="lazy"></a>` : ''}
<div class="text">
${s.think ? `<p><b>Think</b></p><pre>${esc(s.think)}</pre>` : ''}
${s.reflection ? `<p><b>Reflection</b> ${esc(s.reflection)}</p>` : ''}
${s.thought ? `<p><b>Thought</b> ${esc(s.thought)}</p>` : ''}
${acts ? `<ul>${acts}</ul>` : ''}
${s.error ? `<p class="err"><b>${esc(s.error.kind)} error</b> ${esc(s.error.message)}</p>` : ''}
${s.raw !== undefined ? `<details><summary>model text</summary><pre>${esc(s.raw)}</pre></details>` : ''}
</div>
</section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>genlab agent — ${esc(r.instruction.slice(0, 80))}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;max-width:1400px;color:#222}
section{display:flex;gap:16px;border-top:1px solid #ddd;padding:12px 0;flex-wrap:wrap}
section h2{width:100%;margin:0;font-size:16px}
img{max-width:720px;width:100%;border:1px solid #ccc}
.text{flex:1;min-width:280px}
pre{white-space:pre-wrap;background:#f6f6f6;padding:8px}
.err{color:#b00020}
.status{font-weight:bold}
.events{margin:4px 0;padding-left:18px}
.ev b{display:inline-block;min-width:84px;padding:0 6px;border-radius:3px;background:#eef;color:#224;font-weight:600}
.ev-dialog b{background:#fff1d6}.ev-download b{background:#e3f6e3}.ev-new_tab b,.ev-tab_closed b{background:#e6eefc}.ev-file_chooser b{background:#f3e6fc}.ev-resize b{background:#eee}
</style></head><body>
<h1>${esc(r.instruction)}</h1>
<p class="status">Status: ${esc(r.status)}${r.error ? ` — <span class="err">${esc(r.error.kind)}: ${esc(r.error.message)}</span>` : ''}</p>
${r.finalAnswer ? `<p><b>Answer</b> ${esc(r.finalAnswer)}</p>` : ''}
<p>Model ${esc(r.model)} (UI-TARS ${esc(r.modelVersion)}, ${esc(r.coordinateMode)}), operator ${esc(r.operator)}, ${r.steps.length} step(s), started ${esc(r.startedAt)}${r.endedAt ? `, ended ${esc(r.endedAt)}` : ''}.</p>
<details><summary>prompt</summary><pre>${esc(r.prompt)}</pre></details>
${steps}
</body></html>
`;
}
