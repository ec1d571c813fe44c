/**
 * End to end on a real X server: Xvfb started here, headful Chromium full screen on it showing the agent test
 * site, driven only through X11 input events (XTEST) by the computer operator with the scripted oracle model.
 * Nothing talks to Chromium over CDP: the oracle locates elements from the layout the page reports about itself
 * to the site server, and the checks read the state the page reports. The same page checks as the browser
 * end-to-end test pass at 1280x800 and 2560x1440.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ComputerOperator, decodePng, OpenAIChatClient, runAgent, type TrajectoryRecord } from '../../src/agent/index.ts';
import { CHROMIUM, NO_CHROMIUM, startModelServer } from './helpers.ts';
import { checkPageState, FINAL_ANSWER, scenario, type Locate } from './scenario.ts';
import { startSite, type Site } from './site.ts';
import { NO_XVFB, startChromium, startXvfb, waitFor } from './xserver.ts';

/** An element's box as fractions of the screen, from the page's own report (viewport origin = window origin in kiosk mode). */
function locateOnScreen(site: Site, width: number, height: number): Locate {
  return async (_req, selector) => {
    const id = selector.replace(/^#/, '');
    // A report made after this request came in (so after its screenshot) that has the element.
    const since = Date.now();
    const r = await waitFor(() => {
      const x = site.latest();
      return x && x.at > since && x.boxes[id] ? x : undefined;
    }, 10000, `a layout report with ${selector}`);
    const [l, t, w, h] = r.boxes[id]!;
    if (t < 0 || t + h > r.vh || l < 0 || l + w > r.vw) throw new Error(`${selector} is not inside the viewport`);
    const x = r.screenX + l;
    const y = r.screenY + t;
    return { x0: x / width, y0: y / height, x1: (x + w) / width, y1: (y + h) / height };
  };
}

const SIZES = [
  { width: 1280, height: 800 },
  { width: 2560, height: 1440 },
];

describe('computer operator end to end (Xvfb + headful Chromium, X11 input only)', { skip: NO_XVFB || NO_CHROMIUM }, () => {
  for (const { width, height } of SIZES) {
    test(`${width}x${height}: the agent completes the page through X11 events`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'genlab-computer-e2e-'));
      const xs = await startXvfb(width, height);
      let site: Site | undefined;
      let chromium: { close(): Promise<void> } | undefined;
      let op: ComputerOperator | undefined;
      let srv: { close(): Promise<void> } | undefined;
      try {
        site = await startSite();
        chromium = startChromium(xs.display, CHROMIUM, site.url, width, height);
        // The page is up and full screen once it reports a viewport as large as the screen (less the 1 px kiosk edge).
        await waitFor(() => {
          const r = site!.latest();
          return r && r.path === '/' && r.vw >= width - 2 && r.vh >= height - 2 ? r : undefined;
        }, 30000, 'Chromium to show the test page full screen');
        // Chromium on X11 scrolls 120 px per wheel click: 4 clicks bring item 20 into the list's view (the browser test scrolls 500 px).
        op = await ComputerOperator.connect({ display: xs.display, settleMs: 250, waitMs: 10, moveMsPer1000px: 120, scrollClicks: 4 });
        const steps = scenario(locateOnScreen(site, width, height), '1.5', 'alt_left');
        const model = await startModelServer(async (req, i) => ({ text: await steps[i]!(req) }));
        srv = model;
        const r = await runAgent({
          instruction: 'Fill in the form, use every control, then confirm on the next page.',
          operator: op,
          model: new OpenAIChatClient({ endpoint: model.url, model: 'ui-tars-oracle', timeoutMs: 20000, maxRetries: 0 }),
          version: '1.5',
          outDir: dir,
          maxSteps: 20,
        });
        assert.equal(r.status, 'finished', `${r.error?.kind}: ${r.error?.message}`);
        assert.equal(r.finalAnswer, FINAL_ANSWER);
        assert.equal(r.steps.length, steps.length);

        // What the page saw, as it reported it (after going back it is on '/' again).
        const last = await waitFor(() => {
          const x = site!.latest();
          return x && x.path === '/' && x.state.confirmed ? x : undefined;
        }, 5000, 'the first page to report after going back');
        checkPageState(last.state);
        assert.deepEqual(last.state.origin, [0, 0], 'the viewport sits at the screen origin');

        // Trajectory: screen-sized images, scale 1, the red marker where the first click went.
        const rec = JSON.parse(readFileSync(join(dir, 'trajectory.json'), 'utf8')) as TrajectoryRecord;
        assert.equal(rec.operator, 'computer');
        assert.deepEqual(rec.steps[0]!.image, { width, height, scale: 1 });
        const img = decodePng(readFileSync(join(dir, 'step-001.png')));
        assert.equal(img.width, width);
        const p = rec.steps[0]!.actions[0]!.executed![0]!;
        assert.ok(p.x > 20 && p.x < 240 && p.y > 20 && p.y < 56, `click at ${p.x},${p.y} lies inside #name`);
        const i = (p.y * img.width + p.x) * 4;
        assert.deepEqual([...img.data.subarray(i, i + 3)], [235, 20, 60], 'red marker at the click point');
      } finally {
        await srv?.close();
        await op?.close();
        await chromium?.close();
        await site?.close();
        await xs.close();
        if (process.env.GENLAB_AGENT_KEEP) console.log(`# kept trajectory in ${dir}`);
        else rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
