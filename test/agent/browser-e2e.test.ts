/**
 * End to end in headless Chromium: the agent loop drives a real page through a local OpenAI-compatible
 * server whose "model" is an oracle. For each request it reads where the target element is on the live page,
 * converts that to the model's coordinate space for the screenshot it was sent (relative 0–1000 for 1.0,
 * smart_resize pixels for 1.5), and answers in UI-TARS format. The page records every effect in
 * sessionStorage, so the assertions check what the page saw, not what the agent believes it did.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import {
  BrowserOperator,
  CHROMIUM_ARGS,
  decodePng,
  OpenAIChatClient,
  pngSize,
  runAgent,
  type ModelVersion,
  type TrajectoryRecord,
} from '../../src/agent/index.ts';
import { CHROMIUM, NO_CHROMIUM, deadPort, lastImage, startModelServer, type ChatRequest } from './helpers.ts';
import { startSite } from './site.ts';
import { checkPageState, FINAL_ANSWER, scenario, type Locate } from './scenario.ts';

interface Config {
  version: ModelVersion;
  width: number;
  height: number;
  dpr: number;
}

const CONFIGS: Config[] = [
  { version: '1.5', width: 1280, height: 800, dpr: 1 },
  { version: '1.5', width: 800, height: 600, dpr: 2 },
  { version: '1.5', width: 1302, height: 720, dpr: 1 }, // smart_resize tie: w_bar 1288 (Python), not 1316
  { version: '1.0', width: 1024, height: 768, dpr: 2 },
];

type Aims = Map<string, { x: number; y: number }>;

/** An element's box as fractions of the screenshot, read from the live page; records where the oracle aimed (its center, CSS px). */
function locateIn(page: Page, aims?: Aims): Locate {
  return async (_req, selector) => {
    const r = await page.evaluate((sel) => {
      const el = document.querySelector(sel);
      if (!el) throw new Error(`no element ${sel}`);
      const b = el.getBoundingClientRect();
      return { l: b.left, t: b.top, w: b.width, h: b.height, vw: window.innerWidth, vh: window.innerHeight };
    }, selector);
    if (r.t < 0 || r.t + r.h > r.vh || r.l < 0 || r.l + r.w > r.vw) throw new Error(`${selector} is not inside the viewport`);
    aims?.set(selector.replace(/^#/, ''), { x: r.l + r.w / 2, y: r.t + r.h / 2 });
    return { x0: r.l / r.vw, y0: r.t / r.vh, x1: (r.l + r.w) / r.vw, y1: (r.t + r.h) / r.vh };
  };
}

describe('browser end to end', { skip: NO_CHROMIUM }, () => {
  let browser: Browser;
  let site: { url: string; close(): Promise<void> };
  before(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    site = await startSite();
  });
  after(async () => {
    await browser?.close();
    await site?.close();
  });

  async function newPage(c: Config): Promise<Page> {
    const ctx = await browser.newContext({ viewport: { width: c.width, height: c.height }, deviceScaleFactor: c.dpr });
    const page = await ctx.newPage();
    await page.goto(site.url, { waitUntil: 'load' });
    return page;
  }

  for (const c of CONFIGS) {
    test(`UI-TARS ${c.version}, ${c.width}x${c.height} at DPR ${c.dpr}: the agent completes the page`, async () => {
      const page = await newPage(c);
      const dir = mkdtempSync(join(tmpdir(), 'genlab-agent-e2e-'));
      const aims: Aims = new Map();
      const steps = scenario(locateIn(page, aims), c.version);
      const srv = await startModelServer(async (req, i) => ({ text: await steps[i]!(req) }));
      try {
        const op = new BrowserOperator(page, { settleMs: 150, waitMs: 10 });
        const model = new OpenAIChatClient({ endpoint: srv.url, model: 'ui-tars-oracle', timeoutMs: 20000, maxRetries: 0 });
        const r = await runAgent({ instruction: 'Fill in the form, use every control, then confirm on the next page.', operator: op, model, version: c.version, outDir: dir, maxSteps: 20 });
        assert.equal(r.status, 'finished', `${r.error?.kind}: ${r.error?.message}`);
        assert.equal(r.finalAnswer, FINAL_ANSWER);
        assert.equal(r.steps.length, steps.length);

        // What the page saw.
        assert.equal(new URL(page.url()).pathname, '/');
        const s = (await page.evaluate(() => (window as unknown as { readState(): unknown }).readState())) as {
          clicks: { id: string | null; button: number; page: string; x: number; y: number }[];
          [k: string]: unknown;
        };
        checkPageState(s);
        // Each click landed where the oracle aimed (the element's center), to within the rounding of model
        // pixels and of the page's recorded (truncated) clientX/Y, measured at most 1 CSS px: a wrong coordinate
        // space (e.g. smart_resize's w_bar off by one factor of 28) moves clicks by several pixels while they
        // still hit their elements.
        let worst = 0;
        for (const k of s.clicks) {
          if (!k.id || k.id === 'drag') continue;
          const aim = aims.get(k.id);
          assert.ok(aim, `no aim for #${k.id}`);
          const off = Math.max(Math.abs(k.x - aim.x), Math.abs(k.y - aim.y));
          worst = Math.max(worst, off);
          assert.ok(off <= 1.6, `#${k.id}: click at (${k.x}, ${k.y}), aimed at (${aim.x.toFixed(2)}, ${aim.y.toFixed(2)})`);
        }
        console.log(`# ${c.version} ${c.width}x${c.height}@${c.dpr}: clicks within ${worst.toFixed(2)} CSS px of where the oracle aimed`);

        // The trajectory: json, images at device resolution with the marker on the clicked element.
        const rec = JSON.parse(readFileSync(join(dir, 'trajectory.json'), 'utf8')) as TrajectoryRecord;
        assert.equal(rec.status, 'finished');
        assert.equal(rec.steps.length, steps.length);
        assert.deepEqual(rec.steps[0]!.image, { width: c.width * c.dpr, height: c.height * c.dpr, scale: c.dpr });
        const img = decodePng(readFileSync(join(dir, 'step-001.png')));
        assert.equal(img.width, c.width * c.dpr);
        const [ex, ey] = rec.steps[0]!.actions[0]!.executed![0] ? [rec.steps[0]!.actions[0]!.executed![0]!.x, rec.steps[0]!.actions[0]!.executed![0]!.y] : [0, 0];
        const i = (Math.round(ey * c.dpr) * img.width + Math.round(ex * c.dpr)) * 4;
        assert.deepEqual([...img.data.subarray(i, i + 3)], [235, 20, 60], 'red marker at the click point');
        // The click point lies inside #name (20..240 x 20..56 CSS px).
        assert.ok(ex > 20 && ex < 240 && ey > 20 && ey < 56, `click at ${ex},${ey}`);
        assert.match(readFileSync(join(dir, 'index.html'), 'utf8'), /Status: finished/);
      } finally {
        await srv.close();
        await page.context().close();
        if (process.env.GENLAB_AGENT_KEEP) console.log(`# kept trajectory in ${dir}`);
        else rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  test('malformed model text, an unreachable endpoint and a timeout end a real-browser run cleanly', async () => {
    const page = await newPage({ version: '1.5', width: 800, height: 600, dpr: 1 });
    const dir = mkdtempSync(join(tmpdir(), 'genlab-agent-e2e-'));
    const op = new BrowserOperator(page, { settleMs: 50 });
    const bad = await startModelServer(() => ({ text: "Thought: click it\nAction: click(start_box='the submit button')" }));
    const hang = await startModelServer(() => ({ hang: true }));
    try {
      const r1 = await runAgent({ instruction: 'x', operator: op, model: new OpenAIChatClient({ endpoint: bad.url, model: 'm', maxRetries: 0 }), outDir: join(dir, 'a') });
      assert.equal(r1.status, 'error');
      assert.equal(r1.error!.kind, 'parse');
      assert.match(r1.error!.message, /'the submit button' is not a point or a box/);
      const port = await deadPort();
      const r2 = await runAgent({ instruction: 'x', operator: op, model: new OpenAIChatClient({ endpoint: `http://127.0.0.1:${port}/v1`, model: 'm', maxRetries: 1, backoffMs: 1 }), outDir: join(dir, 'b') });
      assert.equal(r2.status, 'error');
      assert.equal(r2.error!.detail, 'unreachable');
      const r3 = await runAgent({ instruction: 'x', operator: op, model: new OpenAIChatClient({ endpoint: hang.url, model: 'm', timeoutMs: 150, maxRetries: 0 }), outDir: join(dir, 'c') });
      assert.equal(r3.status, 'error');
      assert.equal(r3.error!.detail, 'timeout');
      for (const sub of ['a', 'b', 'c']) {
        const rec = JSON.parse(readFileSync(join(dir, sub, 'trajectory.json'), 'utf8')) as TrajectoryRecord;
        assert.equal(rec.status, 'error');
        assert.equal(pngSize(readFileSync(join(dir, sub, 'step-001.png'))).width, 800);
      }
    } finally {
      await bad.close();
      await hang.close();
      await page.context().close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a browser closed during the run ends it with an environment error and a saved trajectory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'genlab-agent-e2e-'));
    const op = await BrowserOperator.launch({ url: site.url, width: 640, height: 480, executablePath: CHROMIUM, settleMs: 50 });
    const srv = await startModelServer(async (_req, i) => {
      if (i === 1) await op.page.context().browser()!.close(); // the user closes the browser while the model thinks
      return { text: "Thought: click\nAction: click(start_box='<|box_start|>(100,100)<|box_end|>')" };
    });
    try {
      const r = await runAgent({ instruction: 'x', operator: op, model: new OpenAIChatClient({ endpoint: srv.url, model: 'm', maxRetries: 0 }), outDir: dir });
      assert.equal(r.status, 'error');
      assert.equal(r.error!.kind, 'environment');
      assert.match(r.error!.message, /closed|gone/);
      assert.equal(r.steps.length, 2);
      const rec = JSON.parse(readFileSync(join(dir, 'trajectory.json'), 'utf8')) as TrajectoryRecord;
      assert.equal(rec.status, 'error');
      assert.equal(rec.error!.kind, 'environment');
    } finally {
      await srv.close();
      await op.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
