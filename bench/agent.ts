/**
 * `npx tsx bench/agent.ts [--steps N]`: screenshot-to-action latency of one agent step, by phase, for both
 * operators on the same test page at 1280x800 (the browser: headless Chromium through Playwright; the computer:
 * headful Chromium on Xvfb through X11), plus the capture and encode cost of a 2560x1440 screen and the cost of
 * one input event in each X11 backend that was considered (x11 XTEST in process, xdotool per event, nut-js when
 * GENLAB_NUTJS_DIR names a node_modules holding @computer-use/nut-js). Phases:
 *   capture  the pixels (computer: GetImage of the root window; browser: Page.screenshot, which returns a PNG, so
 *            its capture includes Chromium's own encoding and its encode column is empty)
 *   encode   RGBA -> PNG (genlab's encoder, zlib level 1)
 *   parse    the model text -> typed actions (parsePrediction, smart_resize space)
 *   act      executing the click (computer: with and without the human-like path), settle time excluded
 * Wall-clock medians of N steps on a shared 2-core machine: read them as orders of magnitude and ratios.
 * Writes its section of bench/RESULTS.md (between the agent-latency markers), keeping the rest.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrowserOperator, ComputerOperator, coordinateSpaceFor, encodePng, parsePrediction, X11Display } from '../src/agent/index.ts';
import { startSite } from '../test/agent/site.ts';
import { startChromium, startXvfb, waitFor } from '../test/agent/xserver.ts';

const argv = process.argv.slice(2);
const STEPS = Number(argv[argv.indexOf('--steps') + 1] ?? '') || 15;
const CHROMIUM = process.env.GENLAB_CHROMIUM ?? '/usr/bin/chromium';
const now = () => performance.now();
const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const p90 = (a: number[]) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(a.length * 0.9))]!;
const fmt = (a: number[]) => (a.length ? `${med(a).toFixed(2)} (p90 ${p90(a).toFixed(2)})` : '—');
const ANSWER = "Thought: Press the Count button.\nAction: click(start_box='<|box_start|>(75,102)<|box_end|>')";

interface Phases {
  capture: number[];
  encode: number[];
  parse: number[];
  act: number[];
  actJump: number[];
}
const phases = (): Phases => ({ capture: [], encode: [], parse: [], act: [], actJump: [] });

async function computerSteps(width: number, height: number, steps: number, full: boolean): Promise<Phases> {
  const p = phases();
  const xs = await startXvfb(width, height);
  const site = await startSite();
  const chromium = startChromium(xs.display, CHROMIUM, site.url, width, height);
  let op: ComputerOperator | undefined;
  let jump: ComputerOperator | undefined;
  try {
    await waitFor(() => {
      const r = site.latest();
      return r && r.vw >= width - 2 ? r : undefined;
    }, 60000, 'Chromium on Xvfb');
    op = await ComputerOperator.connect({ display: xs.display, settleMs: 0 });
    jump = await ComputerOperator.connect({ display: xs.display, settleMs: 0, humanMoves: false });
    for (let i = 0; i < steps; i++) {
      let t = now();
      const raw = await op.display.capture();
      p.capture.push(now() - t);
      t = now();
      const png = encodePng(raw, { level: 1, filter: 2 });
      p.encode.push(now() - t);
      if (!full) continue;
      const shot = { png, width: raw.width, height: raw.height, scale: 1 };
      t = now();
      const parsed = parsePrediction(ANSWER, { space: coordinateSpaceFor('smart-resize', shot.width, shot.height) });
      p.parse.push(now() - t);
      // Alternate the pointer's start so each move has some distance to go.
      await jump.execute({ type: 'hover', target: { x: 0.8, y: 0.8, box: [0.8, 0.8, 0.8, 0.8], model: [], raw: '' }, source: '' }, shot);
      t = now();
      await op.execute(parsed.actions[0]!, shot);
      p.act.push(now() - t);
      await jump.execute({ type: 'hover', target: { x: 0.8, y: 0.8, box: [0.8, 0.8, 0.8, 0.8], model: [], raw: '' }, source: '' }, shot);
      t = now();
      await jump.execute(parsed.actions[0]!, shot);
      p.actJump.push(now() - t);
    }
  } finally {
    await op?.close();
    await jump?.close();
    await chromium.close();
    await site.close();
    await xs.close();
  }
  return p;
}

async function browserSteps(steps: number): Promise<Phases> {
  const p = phases();
  const site = await startSite();
  const op = await BrowserOperator.launch({ url: site.url, width: 1280, height: 800, executablePath: CHROMIUM, settleMs: 0 });
  try {
    for (let i = 0; i < steps; i++) {
      let t = now();
      const shot = await op.screenshot();
      p.capture.push(now() - t);
      t = now();
      const parsed = parsePrediction(ANSWER, { space: coordinateSpaceFor('smart-resize', shot.width, shot.height) });
      p.parse.push(now() - t);
      t = now();
      await op.execute(parsed.actions[0]!, shot);
      p.act.push(now() - t);
    }
  } finally {
    await op.close();
    await site.close();
  }
  return p;
}

/** One pointer motion event, made visible to the server (a round trip), per backend. */
async function backends(n: number): Promise<{ name: string; ms: number[] }[]> {
  const xs = await startXvfb(1280, 800);
  const out: { name: string; ms: number[] }[] = [];
  try {
    const d = await X11Display.connect(xs.display);
    const a: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = now();
      d.motion(100 + i, 100);
      await d.sync();
      a.push(now() - t);
    }
    d.close();
    out.push({ name: 'x11 (npm, pure JS): XTEST FakeInput + round trip', ms: a });
    const b: number[] = [];
    for (let i = 0; i < Math.min(n, 30); i++) {
      const t = now();
      execFileSync('xdotool', ['mousemove', String(200 + i), '100'], { env: { ...process.env, DISPLAY: xs.display } });
      b.push(now() - t);
    }
    out.push({ name: 'xdotool (a process per event)', ms: b });
    const dir = process.env.GENLAB_NUTJS_DIR;
    if (dir && existsSync(join(dir, '@computer-use', 'nut-js'))) {
      // libnut opens $DISPLAY once, when it is loaded.
      process.env.DISPLAY = xs.display;
      const nut = createRequire(join(dir, 'x.js'))('@computer-use/nut-js') as {
        mouse: { config: { autoDelayMs: number; mouseSpeed: number }; setPosition(p: unknown): Promise<void> };
        screen: { grab(): Promise<unknown> };
        Point: new (x: number, y: number) => unknown;
      };
      nut.mouse.config.autoDelayMs = 0;
      const c: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = now();
        await nut.mouse.setPosition(new nut.Point(300 + i, 200));
        c.push(now() - t);
      }
      out.push({ name: '@computer-use/nut-js (libnut, native): setPosition', ms: c });
      const g: number[] = [];
      for (let i = 0; i < 10; i++) {
        const t = now();
        await nut.screen.grab();
        g.push(now() - t);
      }
      out.push({ name: '@computer-use/nut-js: screen.grab 1280x800 (raw)', ms: g });
    }
  } finally {
    await xs.close();
  }
  return out;
}

const be = await backends(50);
const comp = await computerSteps(1280, 800, STEPS, true);
const comp2k = await computerSteps(2560, 1440, Math.max(5, Math.round(STEPS / 2)), false);
const brow = await browserSteps(STEPS);

const cpu = (() => {
  try {
    return /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
  } catch {
    return 'unknown CPU';
  }
})();
const lines = [
  '<!-- agent latency -->',
  '## Agent: screenshot-to-action latency',
  '',
  `Written by \`npx tsx bench/agent.ts\` on ${new Date().toISOString().slice(0, 10)} (${cpu}, 2 cores shared with other work: wall-clock`,
  `milliseconds, median and 90th percentile of ${STEPS} steps; the same test page, 1280x800, DPR 1). Computer: headful Chromium on Xvfb`,
  'driven through X11 (XTEST); browser: headless Chromium through Playwright. "act" is the click itself, settle time excluded;',
  'the computer operator moves the pointer along a human-like path (this 1090 px move is timed at 270 ms: 250 ms per 1000 px) unless `humanMoves: false`.',
  '',
  '| phase (ms) | computer 1280x800 | computer 2560x1440 | browser 1280x800 |',
  '|---|---|---|---|',
  `| capture | ${fmt(comp.capture)} | ${fmt(comp2k.capture)} | ${fmt(brow.capture)} (PNG from Chromium, encode included) |`,
  `| encode (PNG, zlib level 1) | ${fmt(comp.encode)} | ${fmt(comp2k.encode)} | — |`,
  `| parse | ${fmt(comp.parse)} | — | ${fmt(brow.parse)} |`,
  `| act: click, human-like path | ${fmt(comp.act)} | — | — |`,
  `| act: click, pointer jumps | ${fmt(comp.actJump)} | — | ${fmt(brow.act)} |`,
  '',
  'X11 input backends, one pointer motion (ms, median and 90th percentile):',
  '',
  '| backend | per event |',
  '|---|---|',
  ...be.map((b) => `| ${b.name} | ${fmt(b.ms)} |`),
  '',
  '<!-- end of agent latency -->',
];
const section = lines.join('\n');
const results = join(fileURLToPath(import.meta.url), '..', 'RESULTS.md');
const old = existsSync(results) ? readFileSync(results, 'utf8') : '';
const re = /<!-- agent latency -->[\s\S]*?<!-- end of agent latency -->/;
writeFileSync(results, re.test(old) ? old.replace(re, section) : `${old.trimEnd()}\n\n${section}\n`);
console.log(section);
