/**
 * `npx tsx bench/dashboard.ts [--runs 20] [--steps 10000] [--latency 30]`: the dashboard under load.
 * Writes `runs` run folders of `steps` metrics lines each (7 terms per line, as the trainer logs them),
 * starts `genlab serve` on them in its own process, drives Debian's Chromium (playwright-core) and measures:
 * - run list ready: the page's performance.now() (ms since navigation start) when all rows are shown;
 * - one run page ready: ... when every curve of the run has all its points drawn by uPlot (cold: the server
 *   reads that metrics file for the first time; warm: it is held);
 * - the server's resident memory (VmRSS of its process) after start, after the list, after one run page
 *   and after every run's metrics were asked for once;
 * - curve-update latency: a line appended to metrics.jsonl (wall clock before the write) until the page
 *   draws the new point (wall clock in the page, checked every animation frame), same machine clock;
 * - and, in-process, the server's cost per appended line: following the file by offset (JsonlTail.poll)
 *   against re-reading and parsing the whole file (RunDir.readMetrics), interleaved.
 * Results go to the "Dashboard" section of bench/RESULTS.md. The machine is shared: numbers are noisy.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS } from '../src/agent/index.ts';
import { JsonlTail } from '../src/server/tail.ts';
import { RunDir } from '../src/train/run.ts';

const argv = process.argv.slice(2);
const flag = (n: string, d: number) => {
  const i = argv.indexOf(`--${n}`);
  return i >= 0 ? Number(argv[i + 1]) : d;
};
const RUNS = flag('runs', 20);
const STEPS = flag('steps', 10_000);
const LATENCY_N = flag('latency', 30);
const repo = join(fileURLToPath(import.meta.url), '..', '..');
const PAGE_RUN = `run-${String(Math.min(7, RUNS - 1)).padStart(2, '0')}`;
const chromiumPath = process.env.GENLAB_CHROMIUM ?? '/usr/bin/chromium';

const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const pct = (a: number[], p: number) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(p * a.length))]!;

function line(step: number, rand: () => number): string {
  const loss = 3 * Math.exp(-step / 3000) + 0.5 + 0.05 * rand();
  return JSON.stringify({ step, loss, nll: loss * 0.9, kl: loss * 0.1, lr: 1e-3 * (0.5 + 0.5 * Math.cos((Math.PI * step) / STEPS)), gradNorm: 1 + rand(), itPerSec: 120 + 10 * rand(), time: step / 120 });
}

function writeRuns(root: string): void {
  let seed = 1;
  const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  for (let r = 0; r < RUNS; r++) {
    const name = `run-${String(r).padStart(2, '0')}`;
    const dir = join(root, name);
    mkdirSync(join(dir, 'samples'), { recursive: true });
    mkdirSync(join(dir, 'checkpoints'), { recursive: true });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ version: 1, model: 'vae', modelConfig: {}, data: { name: 'mnist', kind: 'image', shape: [1, 28, 28] }, train: { steps: STEPS + 1000, seed: 0, ckptEvery: 0 }, createdAt: new Date(Date.now() - r * 1000).toISOString() }));
    const lines: string[] = [];
    for (let s = 1; s <= STEPS; s++) lines.push(line(s, rand));
    writeFileSync(join(dir, 'metrics.jsonl'), `${lines.join('\n')}\n`);
  }
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function readyTime(page: Page, url: string, check: string): Promise<number> {
  await page.goto('about:blank');
  await page.goto(url);
  // A string, not a function: tsx's transform would add helpers the page does not have.
  return page.evaluate(
    `new Promise((resolve, reject) => { const t0 = performance.now(); const tick = () => ((${check}) ? resolve(performance.now()) : performance.now() - t0 > 60000 ? reject(new Error('not ready after 60 s: ' + document.body.innerText.slice(0, 300))) : requestAnimationFrame(tick)); tick(); })`,
  ) as Promise<number>;
}

/** The server's work per appended line: offset-following vs re-reading the whole file. */
function followVsReread(path: string): { follow: number; reread: number } {
  const tail = new JsonlTail(path);
  tail.poll();
  const dir = new RunDir(join(path, '..'));
  let step = STEPS + 5000;
  const rand = Math.random;
  const f: number[] = [];
  const w: number[] = [];
  for (let rep = 0; rep < 5; rep++) {
    let t = performance.now();
    for (let i = 0; i < 20; i++) {
      appendFileSync(path, `${line(++step, rand)}\n`);
      tail.poll();
    }
    f.push((performance.now() - t) / 20);
    t = performance.now();
    for (let i = 0; i < 20; i++) {
      appendFileSync(path, `${line(++step, rand)}\n`);
      dir.readMetrics();
    }
    w.push((performance.now() - t) / 20);
  }
  return { follow: Math.min(...f), reread: Math.min(...w) };
}

const base = mkdtempSync(join(tmpdir(), 'genlab-bench-dash-'));
const root = join(base, 'runs');
console.log(`writing ${RUNS} runs x ${STEPS} steps ...`);
writeRuns(root);
const server = spawn(process.execPath, [join(repo, 'bin', 'genlab.mjs'), 'serve', '--runs', root, '--port', '0', '--agent-runs', join(base, 'agent')], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise<string>((resolve, reject) => {
  let out = '';
  server.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
    const m = /genlab dashboard: (http:\/\/\S+)/.exec(out);
    if (m) resolve(m[1]!);
  });
  server.once('exit', (code) => reject(new Error(`genlab serve exited (${code})`)));
});
const mem: Record<string, number> = { start: rssMiB(server.pid!) };
const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS });
const results: Record<string, unknown> = {};
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const listCheck = `document.querySelectorAll('#runs-table tbody tr').length === ${RUNS}`;
  const list: number[] = [];
  for (let i = 0; i < 5; i++) list.push(await readyTime(page, url, listCheck));
  mem.afterList = rssMiB(server.pid!);
  const runCheck = `(() => { const c = window.__genlab && window.__genlab.charts; return c && c.length >= 6 && c.every((x) => x.drawn.points === ${STEPS}); })()`;
  const runCold = await readyTime(page, `${url}#/run/${PAGE_RUN}`, runCheck);
  mem.afterRunPage = rssMiB(server.pid!);
  const runWarm: number[] = [];
  for (let i = 0; i < 4; i++) runWarm.push(await readyTime(page, `${url}#/run/${PAGE_RUN}`, runCheck));

  // Latency: the page notes (wall clock) each time the loss curve draws one more point.
  await page.evaluate(`(() => {
    const loss = () => window.__genlab.charts.find((c) => c.title === 'loss');
    window.__seen = [];
    window.__arrived = [];
    const es = new EventSource('/api/events?run=${PAGE_RUN}');
    es.addEventListener('metrics', () => window.__arrived.push(Date.now()));
    window.__last = loss().drawn.points;
    const tick = () => {
      const n = loss()?.drawn.points ?? 0;
      if (n > window.__last) {
        window.__seen.push(Date.now());
        window.__last = n;
      }
      requestAnimationFrame(tick);
    };
    tick();
  })()`);
  const metrics = join(root, PAGE_RUN, 'metrics.jsonl');
  await page.waitForFunction(`document.readyState === 'complete'`);
  await new Promise((r) => setTimeout(r, 500)); // the second stream connects
  const lat: number[] = [];
  const arrive: number[] = [];
  const drawMs: number[] = [];
  let step = STEPS;
  for (let i = 0; i < LATENCY_N; i++) {
    const before = (await page.evaluate(() => (window as unknown as { __seen: number[] }).__seen.length)) as number;
    const t0 = Date.now();
    appendFileSync(metrics, `${line(++step, Math.random)}\n`);
    await page.waitForFunction((n) => (window as unknown as { __seen: number[] }).__seen.length > n, before, { polling: 5, timeout: 10_000 });
    const seen = (await page.evaluate(() => (window as unknown as { __seen: number[] }).__seen)) as number[];
    lat.push(seen[seen.length - 1]! - t0);
    drawMs.push((await page.evaluate(() => (window as unknown as { __genlab: { charts: { drawn: { ms: number } }[] } }).__genlab.charts.reduce((a, c) => a + c.drawn.ms, 0))) as number);
    const arrived = (await page.evaluate(() => (window as unknown as { __arrived: number[] }).__arrived)) as number[];
    if (arrived.length) arrive.push(arrived[arrived.length - 1]! - t0);
    await new Promise((r) => setTimeout(r, 100 + Math.random() * 100));
  }
  // Every run's metrics asked for once: the most the server holds.
  for (let r = 0; r < RUNS; r++) await (await fetch(new URL(`/api/runs/run-${String(r).padStart(2, '0')}/metrics`, url))).arrayBuffer();
  mem.allRunsLoaded = rssMiB(server.pid!);
  const fr = followVsReread(join(root, 'run-00', 'metrics.jsonl'));
  Object.assign(results, { list, runCold, runWarm, lat, arrive, drawMs, mem, fr });
} finally {
  await browser.close();
  server.kill('SIGINT');
  await new Promise((r) => server.once('exit', r));
  rmSync(base, { recursive: true, force: true });
}

const r = results as { list: number[]; runCold: number; runWarm: number[]; lat: number[]; arrive: number[]; drawMs: number[]; mem: Record<string, number>; fr: { follow: number; reread: number } };
const f1 = (x: number) => x.toFixed(1);
const f3 = (x: number) => x.toFixed(3);
const cpu = cpus()[0]?.model ?? 'unknown CPU';
const section = `## Dashboard

Written by \`npx tsx bench/dashboard.ts\` on ${new Date().toISOString().slice(0, 10)}: ${RUNS} runs x ${STEPS} logged steps
(7 terms a line), \`genlab serve\` in its own process, Debian's Chromium headless through playwright-core, on this
machine (${cpu}, ${cpus().length} cores, shared with other work: times are noisy). Ready times are the page's
performance.now() since navigation start when the condition first holds (checked every animation frame).

| measure | value |
|---|---|
| run list ready (${RUNS} rows), first load | ${f1(r.list[0]!)} ms |
| run list ready, median of the next ${r.list.length - 1} | ${f1(median(r.list.slice(1)))} ms |
| one run page ready (every curve drawn with all ${STEPS} points), cold server | ${f1(r.runCold)} ms |
| one run page ready, warm server, median of ${r.runWarm.length} | ${f1(median(r.runWarm))} ms |
| curve update, write to metrics.jsonl -> point drawn, median of ${r.lat.length} | ${f1(median(r.lat))} ms |
| curve update, p90 / max | ${f1(pct(r.lat, 0.9))} / ${f1(Math.max(...r.lat))} ms |
| of which write -> event received by the page (a second event stream), median | ${f1(median(r.arrive))} ms |
| of which redrawing the run's curves (uPlot setData, all charts), median | ${f1(median(r.drawMs))} ms |
| server memory (VmRSS) at start | ${f1(r.mem.start!)} MiB |
| server memory after the run list | ${f1(r.mem.afterList!)} MiB |
| server memory after one run page | ${f1(r.mem.afterRunPage!)} MiB |
| server memory after every run's metrics were loaded once | ${f1(r.mem.allRunsLoaded!)} MiB |
| server work per appended line: follow by offset | ${f3(r.fr.follow)} ms |
| server work per appended line: re-read the whole file | ${f3(r.fr.reread)} ms |
| follow / re-read | ${(r.fr.follow / r.fr.reread).toFixed(4)} |

The server's memory at start includes libtorch (~160 MiB): the \`genlab\` CLI imports every command when it starts;
the dashboard itself loads the model layers only for the playground and the actions (started as a library,
\`startDashboard\` holds ~100 MiB before that). The rest of the update latency after the event arrives is the
browser's: the next animation frame, uPlot's redraw and painting six 20,000-point charts in software.

<!-- end of dashboard -->
`;
console.log(section);
const resultsPath = join(repo, 'bench', 'RESULTS.md');
const old = existsSync(resultsPath) ? readFileSync(resultsPath, 'utf8') : '';
const start = old.indexOf('## Dashboard\n');
const end = old.indexOf('<!-- end of dashboard -->');
const next = start >= 0 && end > start ? old.slice(0, start) + section + old.slice(end + '<!-- end of dashboard -->\n'.length) : `${old.trimEnd()}\n\n${section}`;
writeFileSync(resultsPath, next);
console.log(`wrote ${resultsPath}`);
