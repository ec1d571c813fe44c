/**
 * The browser operator around the page: a link that opens a new tab (the operator follows it, and returns when
 * the tab closes), alert / confirm / prompt dialogs (answered and recorded), a download (saved and recorded), a
 * file chooser (answered with the offered file), and a page whose size changes between screenshot and action.
 * The page records what it saw in sessionStorage; the trajectory JSON and HTML must show every event.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserOperator, OpenAIChatClient, runAgent, type TrajectoryRecord } from '../../src/agent/index.ts';
import { CHROMIUM, NO_CHROMIUM, startModelServer, type ChatRequest } from './helpers.ts';
import { formatTarget } from './scenario.ts';
import { startSite } from './site.ts';

const STATE = `window.readState = () => JSON.parse(sessionStorage.getItem('ev') || '{}');
window.update = (f) => { const s = readState(); f(s); sessionStorage.setItem('ev', JSON.stringify(s)); };`;

const GAPS = `<!doctype html><html><head><meta charset="utf-8"><title>Events</title>
<style>body{margin:0;font:16px sans-serif} .b{position:absolute;width:140px;height:40px}</style></head><body>
<a class="b" id="newtab" href="/tab2" target="_blank" style="left:20px;top:20px">New tab</a>
<button class="b" id="alert" style="left:20px;top:80px" onclick="alert('Saved!'); update(s => s.alerted = true)">Alert</button>
<button class="b" id="confirm" style="left:180px;top:80px" onclick="update(s => s.confirmed = confirm('Delete it?'))">Confirm</button>
<button class="b" id="prompt" style="left:340px;top:80px" onclick="update(s => s.prompted = prompt('Your name?', 'nobody'))">Prompt</button>
<a class="b" id="dl" href="/report.csv" download="report.csv" style="left:20px;top:140px">Download</a>
<input class="b" id="file" type="file" style="left:180px;top:140px;width:260px" onchange="update(s => s.file = this.files[0] && this.files[0].name)">
<button class="b" id="late" style="left:20px;top:400px" onclick="update(s => s.late = (s.late || 0) + 1)">Late</button>
<script>${STATE}</script></body></html>`;

const TAB2 = `<!doctype html><html><head><meta charset="utf-8"><title>Tab 2</title></head><body style="margin:0">
<button id="close" style="position:absolute;left:100px;top:100px;width:160px;height:50px" onclick="localStorage.setItem('tab2', 'seen'); window.close()">Close tab</button>
</body></html>`;

describe('browser operator: tabs, dialogs, downloads, file choosers, size changes', { skip: NO_CHROMIUM }, () => {
  test('each is handled and recorded in the trajectory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'genlab-agent-events-'));
    const upload = join(dir, 'notes.txt');
    writeFileSync(upload, 'hello');
    const site = await startSite({ '/gaps': GAPS, '/tab2': TAB2 });
    const csv = 'a,b\n1,2\n';
    const op = await BrowserOperator.launch({
      url: `${site.url}/gaps`,
      width: 800,
      height: 600,
      executablePath: CHROMIUM,
      settleMs: 400,
      promptText: 'Ada',
      downloadsDir: join(dir, 'downloads'),
      files: [upload],
    });
    const at = async (req: ChatRequest, sel: string) => {
      const r = await op.page.evaluate((s) => {
        const b = document.querySelector(s)!.getBoundingClientRect();
        return { l: b.left, t: b.top, w: b.width, h: b.height, vw: innerWidth, vh: innerHeight };
      }, sel);
      return formatTarget({ x0: r.l / r.vw, y0: r.t / r.vh, x1: (r.l + r.w) / r.vw, y1: (r.t + r.h) / r.vh }, req, '1.5', 'box15');
    };
    const steps: ((q: ChatRequest) => Promise<string>)[] = [
      async (q) => `Thought: Open the link.\nAction: click(start_box=${await at(q, '#newtab')})`,
      async (q) => `Thought: Close this tab.\nAction: click(start_box=${await at(q, '#close')})`,
      async (q) => `Thought: Alert.\nAction: click(start_box=${await at(q, '#alert')})`,
      async (q) => `Thought: Confirm.\nAction: click(start_box=${await at(q, '#confirm')})`,
      async (q) => `Thought: Prompt.\nAction: click(start_box=${await at(q, '#prompt')})`,
      async (q) => `Thought: Download.\nAction: click(start_box=${await at(q, '#dl')})`,
      async (q) => `Thought: Upload.\nAction: click(start_box=${await at(q, '#file')})`,
      async (q) => {
        // Point at #late in this screenshot, then the window shrinks before the action runs.
        const t = await at(q, '#late');
        await op.page.setViewportSize({ width: 700, height: 500 });
        return `Thought: Late button.\nAction: click(start_box=${t})`;
      },
      async () => "Thought: Done.\nAction: finished(content='ok')",
    ];
    const srv = await startModelServer(async (req, i) => ({ text: await steps[i]!(req) }));
    try {
      const r = await runAgent({
        instruction: 'Use every control.',
        operator: op,
        model: new OpenAIChatClient({ endpoint: srv.url, model: 'm', maxRetries: 0 }),
        outDir: join(dir, 'traj'),
      });
      assert.equal(r.status, 'finished', `${r.error?.kind}: ${r.error?.message}`);
      const ev = (i: number) => r.steps[i]!.actions[0]!.events ?? [];

      assert.equal(ev(0)[0]!.kind, 'new_tab');
      assert.match(ev(0)[0]!.message, /a new tab opened http:\/\/127\.0\.0\.1:\d+\/tab2; now acting on it/);
      assert.equal(ev(1)[0]!.kind, 'tab_closed');
      assert.equal(new URL(op.page.url()).pathname, '/gaps');
      assert.equal(await op.page.evaluate(() => localStorage.getItem('tab2')), 'seen', 'the click landed in the new tab');

      assert.deepEqual(ev(2).map((e) => e.message), ['alert("Saved!") accepted']);
      assert.deepEqual(ev(3).map((e) => e.message), ['confirm("Delete it?") accepted']);
      assert.deepEqual(ev(4).map((e) => e.message), ['prompt("Your name?") answered "Ada"']);
      const dl = ev(5)[0]!;
      assert.equal(dl.kind, 'download');
      assert.equal(readFileSync(dl.detail!.path as string, 'utf8'), csv);
      assert.equal(dl.detail!.bytes, csv.length);
      assert.equal(ev(6)[0]!.kind, 'file_chooser');
      assert.equal(ev(6)[0]!.message, 'chose notes.txt');
      assert.equal(ev(7)[0]!.kind, 'resize');
      assert.match(ev(7)[0]!.message, /the page is 700x500 now; the screenshot showed 800x600/);

      const s = (await op.page.evaluate(() => (window as unknown as { readState(): unknown }).readState())) as Record<string, unknown>;
      assert.deepEqual(s, { alerted: true, confirmed: true, prompted: 'Ada', file: 'notes.txt', late: 1 });

      const json = JSON.parse(readFileSync(join(dir, 'traj', 'trajectory.json'), 'utf8')) as TrajectoryRecord;
      assert.equal(json.steps[3]!.actions[0]!.events![0]!.detail!.type, 'confirm');
      const html = readFileSync(join(dir, 'traj', 'index.html'), 'utf8');
      for (const label of ['new tab', 'tab closed', 'dialog', 'download', 'file chooser', 'size change']) assert.ok(html.includes(`<b>${label}</b>`), label);
      assert.ok(html.includes('confirm(&quot;Delete it?&quot;) accepted'));
    } finally {
      await srv.close();
      await op.close();
      await site.close();
      if (process.env.GENLAB_AGENT_KEEP) console.log(`# kept ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
    }
  });
});
