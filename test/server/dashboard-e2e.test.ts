/**
 * The dashboard end to end in headless Chromium (Debian's chromium through playwright-core): the run
 * list shows runs this test trained; a curve gains points while a run trains in another process; the
 * compare page overlays two runs; the run page's actions (sample, evaluate, trash) work; the agent page
 * steps through a trajectory; the playground trains a 2D flow in the server's worker and its picture
 * changes. Screenshots of every page are kept in out/test-artifacts/dashboard (or $GENLAB_ARTIFACTS).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM_ARGS, TrajectoryWriter, type Action, type TrajectoryRecord } from '../../src/agent/index.ts';
import { Canvas, color } from '../../src/io/canvas.ts';
import { encodePng } from '../../src/io/png.ts';
import { trainRun } from '../../src/train/index.ts';
import '../../src/models/index.ts';
import { startDashboard, type Dashboard } from '../../src/server/index.ts';
import { CHROMIUM, NO_CHROMIUM } from '../agent/helpers.ts';
import { until } from './helpers.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const ARTIFACTS = process.env.GENLAB_ARTIFACTS ?? join(repo, 'out', 'test-artifacts', 'dashboard');

/** A 3-step trajectory written by the agent's own TrajectoryWriter, with synthetic screenshots. */
async function writeTrajectory(dir: string): Promise<void> {
  const w = new TrajectoryWriter(dir);
  await w.init();
  const colors = ['#dbeafe', '#dcfce7', '#fee2e2'];
  const thoughts = ['I click the Start button.', 'Now I type the name.', 'Everything is done.'];
  const steps: TrajectoryRecord['steps'] = [];
  for (let i = 0; i < 3; i++) {
    const c = new Canvas(400, 250, color(colors[i]!));
    c.text(20, 20, `page at step ${i + 1}`, color('#000000'), { scale: 2 });
    const png = encodePng(c.toImage());
    const target = { x: 0.25 + 0.2 * i, y: 0.5, box: [0.25 + 0.2 * i, 0.5, 0.25 + 0.2 * i, 0.5] as [number, number, number, number], model: [0, 0], raw: '(0,0)' };
    const actions: Action[] = i < 2 ? [{ type: 'click', target, source: 'click(...)' } as Action] : [];
    const shot = await w.saveStepImage(i, png, actions);
    steps.push({
      index: i,
      startedAt: new Date().toISOString(),
      screenshot: shot,
      image: { width: 400, height: 250, scale: 1 },
      thought: thoughts[i],
      actions: i < 2 ? [{ action: actions[0]!, description: `click (${100 + 80 * i}, 125)`, executed: [{ x: 100 + 80 * i, y: 125 }] }] : [{ action: { type: 'finished', content: 'done', source: 'finished()' } as Action, description: 'finished: done' }],
    });
  }
  await w.write({
    format: 'genlab-agent-trajectory',
    version: 1,
    instruction: 'Open the form and send it',
    model: 'ui-tars-oracle',
    modelVersion: '1.5',
    coordinateMode: 'relative',
    operator: 'browser',
    prompt: '(prompt)',
    status: 'finished',
    finalAnswer: 'done',
    startedAt: new Date().toISOString(),
    endedAt: new Date().toISOString(),
    steps,
  });
}

describe('dashboard in headless Chromium', { skip: NO_CHROMIUM }, () => {
  let base: string;
  let runs: string;
  let d: Dashboard;
  let browser: Browser;
  let page: Page;
  let child: ChildProcess | null = null;
  const errors: string[] = [];

  const shot = async (name: string) => {
    const path = join(ARTIFACTS, `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    return path;
  };
  const chartPoints = (term: string) =>
    page.evaluate((t) => {
      const c = (window as unknown as { __genlab: { charts: { title: string; points: number; drawn: { points: number; xMax: number | null }; series: { label: string; x: number[] }[] }[] } }).__genlab.charts.find((x) => x.title === t);
      return c ? { points: c.points, drawn: c.drawn, series: c.series.map((s) => [s.label, s.x.length] as [string, number]) } : null;
    }, term);

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    base = mkdtempSync(join(tmpdir(), 'genlab-dash-e2e-'));
    runs = join(base, 'runs');
    for (const [name, lr] of [['gauss-a', 0.05], ['gauss-b', 0.01]] as const) {
      await trainRun({ model: 'gaussian', data: 'moons', out: runs, name, train: { steps: 200, lr, logEvery: 5, sampleEvery: 100, sampleCount: 500 } });
    }
    await writeTrajectory(join(base, 'agent', 'task-1'));
    d = await startDashboard({ runs, agentRuns: join(base, 'agent'), port: 0, frameMs: 250 });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => errors.push(e.message));
  });

  after(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await browser?.close();
    await d?.close();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  test('the run list shows the runs the test trained', async () => {
    await page.goto(d.url);
    await page.waitForSelector('tr[data-run="gauss-b"]');
    const row = page.locator('tr[data-run="gauss-a"]');
    assert.match(await row.innerText(), /gaussian\s+moons\s+200 \/ 200/);
    assert.equal(await row.locator('[data-status]').getAttribute('data-status'), 'finished');
    await shot('runs');
    assert.deepEqual(errors, []);
  });

  test('a curve gains points while a run trains in another process', async () => {
    child = spawn(process.execPath, [join(repo, 'bin', 'genlab.mjs'), 'train', 'gaussian', '--data', 'moons', '--steps', '40000', '--log-every', '20', '--out', runs, '--name', 'live', '--no-pictures', '-q'], {
      cwd: base,
      stdio: 'ignore',
    });
    await until(async () => (await fetch(new URL('/api/runs/live/metrics', d.url))).ok && (((await (await fetch(new URL('/api/runs/live/metrics', d.url))).json()) as { step: number[] }).step.length > 0), 60_000, 'the live run');
    // The run list updates live too: the row's step moves without a reload.
    await page.goto(d.url);
    const stepCell = page.locator('tr[data-run="live"] td.step');
    await stepCell.waitFor();
    const listStep = Number((await stepCell.innerText()).split(' / ')[0]);
    await page.waitForFunction((s) => Number(document.querySelector('tr[data-run="live"] td.step')?.textContent?.split(' / ')[0]) > s, listStep, { timeout: 30_000 });
    assert.equal(await page.locator('tr[data-run="live"] [data-status]').getAttribute('data-status'), 'running');
    await page.goto(`${d.url}#/run/live`);
    await page.waitForSelector('[data-term="loss"] canvas');
    await page.waitForFunction(() => (window as unknown as { __genlab: { charts: { title: string; drawn: { points: number } }[] } }).__genlab.charts.find((x) => x.title === 'loss')?.drawn.points);
    const first = (await chartPoints('loss'))!.drawn;
    // What uPlot draws (not just what the page holds) gains points, and the x range follows them.
    await page.waitForFunction((n) => {
      const c = (window as unknown as { __genlab: { charts: { title: string; drawn: { points: number } }[] } }).__genlab.charts.find((x) => x.title === 'loss');
      return c && c.drawn.points >= n + 5;
    }, first.points, { timeout: 60_000 });
    const later = (await chartPoints('loss'))!;
    assert.ok(later.drawn.points >= first.points + 5, `${first.points} -> ${later.drawn.points}`);
    assert.ok(later.drawn.points <= later.points, `drawn ${later.drawn.points} of ${later.points}`);
    assert.ok(later.drawn.xMax! > first.xMax!, `the x range grew: ${first.xMax} -> ${later.drawn.xMax}`);
    assert.equal(await page.locator('.page-head [data-status]').getAttribute('data-status'), 'running');
    await shot('run-live');
    child.kill('SIGINT'); // saves a checkpoint and exits
    await new Promise((r) => child!.once('exit', r));
    await page.waitForFunction(() => document.querySelector('.page-head [data-status]')?.getAttribute('data-status') === 'interrupted', null, { timeout: 20_000 });
  });

  test('the compare page overlays two runs', async () => {
    await page.goto(`${d.url}#/compare/gauss-a,gauss-b`);
    await page.waitForSelector('[data-term="loss"] canvas');
    const loss = (await chartPoints('loss'))!;
    assert.deepEqual(loss.series, [
      ['gauss-a', 40],
      ['gauss-b', 40],
    ]);
    assert.ok(await page.locator('[data-term="nll"]').count());
    await shot('compare');
  });

  test('the run page: every term, the samples slider, config; sample, evaluate and trash', async () => {
    await page.goto(`${d.url}#/run/gauss-a`);
    await page.waitForSelector('#sample-slider');
    assert.equal(await page.locator('#sample-slider').getAttribute('max'), '1');
    assert.equal(await page.textContent('#sample-step'), 'step 200');
    await page.locator('#sample-slider').fill('0');
    assert.equal(await page.textContent('#sample-step'), 'step 100');
    for (const t of ['loss', 'nll', 'lr', 'gradNorm', 'itPerSec']) assert.ok(await page.locator(`[data-term="${t}"]`).count(), `a curve for ${t}`);
    assert.match((await page.textContent('#config'))!, /"model": "gaussian"/);
    await page.click('#log-scale');
    await page.click('#action-sample');
    await page.waitForFunction(() => /sampled at step 200/.test(document.querySelector('#action-result')?.textContent ?? ''), null, { timeout: 60_000 });
    assert.ok(existsSync(join(runs, 'gauss-a', 'samples', 'sample-200-seed0.png')));
    await page.click('#action-eval');
    await page.waitForSelector('#evals td', { timeout: 60_000 });
    assert.match((await page.textContent('#evals'))!, /testNll/);
    const evals = readFileSync(join(runs, 'gauss-a', 'eval.jsonl'), 'utf8').trim().split('\n');
    assert.equal(evals.length, 1);
    assert.ok(Number.isFinite((JSON.parse(evals[0]!) as { metrics: { testNll: number } }).metrics.testNll));
    const dl = await page.locator('#checkpoints a').first().getAttribute('href');
    const r = await fetch(new URL(dl!, d.url));
    assert.equal(r.headers.get('content-disposition'), 'attachment; filename="step-0000200.safetensors"');
    assert.deepEqual(Buffer.from(await r.arrayBuffer()), readFileSync(join(runs, 'gauss-a', 'checkpoints', 'step-0000200.safetensors')));
    await shot('run');

    await page.goto(`${d.url}#/run/live`);
    await page.waitForSelector('#action-trash');
    await page.click('#action-trash');
    assert.ok(await page.locator('#trash-confirm').isVisible(), 'asks first');
    assert.ok(existsSync(join(runs, 'live')), 'nothing moved before the confirmation');
    await page.click('#trash-yes');
    await page.waitForSelector('tr[data-run="gauss-a"]');
    assert.equal(await page.locator('tr[data-run="live"]').count(), 0);
    assert.ok(!existsSync(join(runs, 'live')));
    assert.ok(existsSync(join(runs, '.trash')));
  });

  test('the agent page steps through a trajectory', async () => {
    await page.goto(`${d.url}#/agent`);
    await page.waitForSelector('#agent-counter');
    assert.equal(await page.textContent('#agent-counter'), 'step 1 / 3');
    assert.match((await page.textContent('#agent-thought'))!, /Start button/);
    assert.equal(await page.locator('.marker').count(), 1);
    const left1 = await page.locator('.marker').evaluate((e) => (e as HTMLElement).style.left);
    assert.equal(left1, '25%');
    await page.waitForFunction(() => (document.querySelector('#agent-shot') as HTMLImageElement | null)?.naturalWidth === 400);
    await shot('agent');
    await page.click('#agent-next');
    assert.equal(await page.textContent('#agent-counter'), 'step 2 / 3');
    assert.match((await page.textContent('#agent-thought'))!, /type the name/);
    assert.match((await page.textContent('#agent-actions'))!, /click \(180, 125\)/);
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.textContent('#agent-counter'), 'step 3 / 3');
    assert.equal(await page.locator('.marker').count(), 0);
  });

  test('with a token, the pages work from the printed URL (fetch, events, pictures carry it)', async () => {
    const td = await startDashboard({ runs, agentRuns: join(base, 'agent'), port: 0, token: 'e2e-token-123' });
    try {
      assert.ok(td.url.endsWith('?token=e2e-token-123'));
      await page.goto(td.url);
      await page.waitForSelector('tr[data-run="gauss-a"]');
      await page.click('tr[data-run="gauss-a"] a');
      await page.waitForFunction(() => Array.from(document.querySelectorAll('img.sample')).some((i) => (i as HTMLImageElement).naturalWidth > 0), null, { timeout: 20_000 });
      await page.waitForSelector('[data-term="loss"] canvas');
      const origin = new URL(td.url).origin;
      const page2 = await browser.newPage();
      await page2.goto(`${origin}/#/run/gauss-a`); // no token: the page shows the refusal, no data
      await page2.waitForFunction(() => /token is required/.test(document.body.innerText), null, { timeout: 10_000 });
      await page2.close();
    } finally {
      await td.close();
    }
  });

  test('the playground trains a 2D flow in the server and the picture changes', async () => {
    await page.goto(`${d.url}#/play`);
    await page.waitForSelector('#play-model option[value="realnvp"]', { state: 'attached' });
    await page.selectOption('#play-model', 'realnvp');
    await page.selectOption('#play-data', 'moons');
    await page.fill('#play-steps', '400');
    await page.click('#play-start');
    const step = () => page.evaluate(() => Number((document.querySelector('#play-canvas') as HTMLCanvasElement).dataset.step || -1));
    await page.waitForFunction(() => Number((document.querySelector('#play-canvas') as HTMLCanvasElement).dataset.step) >= 0 && (document.querySelector('#play-canvas') as HTMLCanvasElement).dataset.step !== '', null, { timeout: 60_000 });
    const s1 = await step();
    const pic1 = await page.evaluate(() => (document.querySelector('#play-canvas') as HTMLCanvasElement).toDataURL());
    await shot('playground-start');
    await page.waitForFunction((s) => Number((document.querySelector('#play-canvas') as HTMLCanvasElement).dataset.step) >= s + 100, s1, { timeout: 90_000 });
    const pic2 = await page.evaluate(() => (document.querySelector('#play-canvas') as HTMLCanvasElement).toDataURL());
    assert.notEqual(pic1, pic2, 'the picture changed');
    await page.waitForFunction(() => document.querySelector('#play-status')?.getAttribute('data-running') === 'false', null, { timeout: 120_000 });
    assert.match((await page.textContent('#play-status'))!, /play-realnvp-moons: completed/);
    assert.equal(await step(), 400);
    await page.waitForFunction(() => {
      const c = (window as unknown as { __genlab: { charts: { title: string; drawn: { xMax: number | null } }[] } }).__genlab.charts.find((x) => x.title.endsWith(': loss'));
      return c && (c.drawn.xMax ?? 0) >= 400;
    }, null, { timeout: 10_000 });
    await shot('playground');
    const cfg = JSON.parse(readFileSync(join(runs, 'play-realnvp-moons', 'config.json'), 'utf8')) as { model: string; data: { name: string } };
    assert.equal(cfg.model, 'realnvp');
    assert.equal(cfg.data.name, 'moons');
    assert.ok(existsSync(join(runs, 'play-realnvp-moons', 'checkpoints', 'step-0000400.safetensors')));
    const list = (await (await fetch(new URL('/api/runs', d.url))).json()) as { runs: { name: string; status: string; step: number }[] };
    assert.deepEqual(
      list.runs.filter((r) => r.name.startsWith('play-')).map((r) => [r.name, r.status, r.step]),
      [['play-realnvp-moons', 'finished', 400]],
    );
    assert.deepEqual(errors, [], 'no page errors');
  });
});
