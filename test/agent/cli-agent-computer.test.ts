/**
 * `genlab agent --operator computer`: refusal without an X display, a run on Xvfb through the CLI with the same
 * trajectory record and printout as the browser operator, --confirm declining an action, and the
 * ConfirmingOperator wrapper on its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { main } from '../../src/cli/main.ts';
import { ActionDeclinedError, ConfirmingOperator, type Action, type Operator, type TrajectoryRecord } from '../../src/agent/index.ts';
import { capture, startModelServer } from './helpers.ts';
import { NO_XVFB, startXvfb } from './xserver.ts';

test('cli: --operator computer refuses to start without a reachable X display', async () => {
  const saved = process.env.DISPLAY;
  delete process.env.DISPLAY;
  try {
    const r1 = await capture(() => main(['agent', 'do it', '--operator', 'computer', '--model-endpoint', 'http://127.0.0.1:1/v1', '--model', 'm']));
    assert.equal(r1.code, 1);
    assert.match(r1.err, /--operator computer needs an X display: pass --display :N or set DISPLAY/);
    const r2 = await capture(() => main(['agent', 'do it', '--operator', 'computer', '--display', ':977', '--model-endpoint', 'http://127.0.0.1:1/v1', '--model', 'm']));
    assert.equal(r2.code, 1);
    assert.match(r2.err, /X display :977/);
    const r3 = await capture(() => main(['agent', 'do it', '--operator', 'computer', '--url', 'http://x/', '--model-endpoint', 'http://127.0.0.1:1/v1', '--model', 'm']));
    assert.equal(r3.code, 2);
    assert.match(r3.err, /--url is for the browser operator/);
  } finally {
    if (saved !== undefined) process.env.DISPLAY = saved;
  }
});

test('cli: --operator computer runs on an X display; --confirm with a "n" answer stops before acting', { skip: NO_XVFB }, async () => {
  const xs = await startXvfb(800, 600);
  const dir = mkdtempSync(join(tmpdir(), 'genlab-agent-cli-computer-'));
  const srv = await startModelServer((_req, i) =>
    i % 2 === 0 ? { text: "Thought: Click the middle.\nAction: click(start_box='<|box_start|>(400,300)<|box_end|>')" } : { text: "Thought: Done.\nAction: finished(content='clicked')" },
  );
  const stdin = Object.getOwnPropertyDescriptor(process, 'stdin')!;
  try {
    const common = ['--operator', 'computer', '--display', xs.display, '--model-endpoint', srv.url, '--model', 'ui-tars-1.5-7b', '--max-steps', '5'];
    const r = await capture(() => main(['agent', 'Click once', ...common, '--out', join(dir, 'a')]));
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /screen: X display :\d+ \(800x600\); press ctrl\+alt\+shift\+escape to stop/);
    // 800x600 smart-resizes to 812x588: (400, 300) is x = 400/812*800 = 394.1, y = 300/588*600 = 306.1.
    assert.match(r.out, /step  1  click \(394\.1, 306\.1\)  — Click the middle\./);
    assert.match(r.out, /status: finished after 2 steps/);
    const rec = JSON.parse(readFileSync(join(dir, 'a', 'trajectory.json'), 'utf8')) as TrajectoryRecord;
    assert.equal(rec.operator, 'computer');
    assert.deepEqual(rec.steps[0]!.image, { width: 800, height: 600, scale: 1 });
    assert.deepEqual(rec.steps[0]!.actions[0]!.executed, [{ x: 394, y: 306 }]);

    Object.defineProperty(process, 'stdin', { value: Readable.from(['n\n']), configurable: true });
    const d = await capture(() => main(['agent', 'Click once', ...common, '--confirm', '--out', join(dir, 'b')]));
    assert.equal(d.code, 130, d.out + d.err);
    assert.match(d.out, /declined: stopping the run/);
    assert.match(d.out, /status: aborted after 1 step/);
    const recB = JSON.parse(readFileSync(join(dir, 'b', 'trajectory.json'), 'utf8')) as TrajectoryRecord;
    assert.match(recB.steps[0]!.actions[0]!.error!, /declined by the user: click \(394\.1, 306\.1\)/);
    assert.equal(recB.steps[0]!.actions[0]!.executed, undefined);
  } finally {
    Object.defineProperty(process, 'stdin', stdin);
    await srv.close();
    await xs.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ConfirmingOperator performs an action only when the answer is yes', async () => {
  const done: string[] = [];
  const inner: Operator = {
    name: 'fake',
    template: 'computer',
    screenshot: async () => ({ png: Buffer.alloc(1), width: 200, height: 100, scale: 2 }),
    execute: async (a) => {
      done.push(a.type);
      return {};
    },
  };
  const answers = [true, false];
  const asked: string[] = [];
  const op = new ConfirmingOperator(inner, async (d) => {
    asked.push(d);
    return answers.shift()!;
  });
  const shot = await op.screenshot();
  const click: Action = { type: 'click', target: { x: 0.5, y: 0.5, box: [0.5, 0.5, 0.5, 0.5], model: [], raw: '' }, source: '' };
  await op.execute(click, shot);
  await assert.rejects(op.execute({ type: 'hotkey', keys: ['ctrl', 'c'], source: '' }, shot), ActionDeclinedError);
  assert.deepEqual(done, ['click']);
  assert.deepEqual(asked, ['click (50, 25)', 'hotkey ctrl+c']);
});
