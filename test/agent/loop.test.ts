import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  encodePng,
  ModelError,
  OpenAIChatClient,
  OperatorClosedError,
  runAgent,
  decodePng,
  type Action,
  type ChatMessage,
  type ModelClient,
  type Operator,
  type Screenshot,
  type TrajectoryRecord,
} from '../../src/agent/index.ts';
import { deadPort, startModelServer } from './helpers.ts';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'genlab-agent-loop-'));
}

function whitePng(w: number, h: number): Buffer {
  return encodePng({ width: w, height: h, data: new Uint8Array(w * h * 4).fill(255) });
}

/** An in-memory operator: a white screen of the given size; records what it is asked to do. */
class FakeOperator implements Operator {
  readonly name = 'fake';
  readonly template = 'browser' as const;
  executed: Action[] = [];
  screenshots = 0;
  failScreenshots = 0;
  closedAfter = Infinity;
  private readonly png: Buffer;
  constructor(
    readonly width = 320,
    readonly height = 200,
    readonly scale = 1,
  ) {
    this.png = whitePng(width, height);
  }
  async screenshot(): Promise<Screenshot> {
    this.screenshots++;
    if (this.failScreenshots > 0) {
      this.failScreenshots--;
      throw new Error('compositor busy');
    }
    return { png: this.png, width: this.width, height: this.height, scale: this.scale };
  }
  async execute(a: Action): Promise<{ points?: { x: number; y: number }[] }> {
    if (this.executed.length >= this.closedAfter) throw new OperatorClosedError('the browser page has been closed');
    this.executed.push(a);
    if (a.type === 'press_home') throw new (await import('../../src/agent/index.ts')).UnsupportedActionError('no home in a browser');
    return 'target' in a && a.target ? { points: [{ x: a.target.x * (this.width / this.scale), y: a.target.y * (this.height / this.scale) }] } : {};
  }
}

/** A model that answers from a list (the last answer repeats) and records the messages. */
class ScriptedModel implements ModelClient {
  readonly name = 'scripted';
  calls: ChatMessage[][] = [];
  constructor(private readonly answers: (string | ((signal?: AbortSignal) => Promise<string>))[]) {}
  async complete(messages: ChatMessage[], o: { signal?: AbortSignal } = {}) {
    this.calls.push(messages);
    const a = this.answers[Math.min(this.calls.length - 1, this.answers.length - 1)]!;
    return { text: typeof a === 'string' ? a : await a(o.signal), attempts: 1 };
  }
}

function readRecord(dir: string): TrajectoryRecord {
  return JSON.parse(readFileSync(join(dir, 'trajectory.json'), 'utf8')) as TrajectoryRecord;
}

test('loop: click, type, finished -> finished, actions executed, trajectory on disk', async () => {
  const dir = tmp();
  const op = new FakeOperator(320, 200);
  const model = new ScriptedModel([
    "Thought: Click the field.\nAction: click(start_box='(500,500)')",
    "Thought: Type the name.\nAction: type(content='Ada\\n')",
    "Thought: Done.\nAction: finished(content='typed Ada')",
  ]);
  const seen: number[] = [];
  const r = await runAgent({ instruction: 'Type Ada', operator: op, model, version: '1.0', outDir: dir, onStep: (s) => void seen.push(s.index) });
  assert.equal(r.status, 'finished');
  assert.equal(r.finalAnswer, 'typed Ada');
  assert.equal(r.error, undefined);
  assert.deepEqual(seen, [1, 2, 3]);
  assert.deepEqual(op.executed.map((a) => a.type), ['click', 'type']);
  assert.equal(r.steps[0]!.actions[0]!.description, 'click (160, 100)');
  assert.deepEqual(r.steps[0]!.actions[0]!.executed, [{ x: 160, y: 100 }]);
  // Third request: prompt, image, answer, image, answer, image.
  const roles = model.calls[2]!.map((m) => `${m.role}${Array.isArray(m.content) ? ':image' : ''}`);
  assert.deepEqual(roles, ['user', 'user:image', 'assistant', 'user:image', 'assistant', 'user:image']);
  assert.match(model.calls[0]![0]!.content as string, /## User Instruction\nType Ada/);
  assert.match(model.calls[0]![0]!.content as string, /start_box='\[x1, y1, x2, y2\]'/, 'the 1.0 prompt');
  // Files.
  const rec = readRecord(dir);
  assert.equal(rec.status, 'finished');
  assert.equal(rec.finalAnswer, 'typed Ada');
  assert.equal(rec.steps.length, 3);
  assert.equal(rec.steps[0]!.thought, 'Click the field.');
  assert.equal(rec.steps[0]!.raw, "Thought: Click the field.\nAction: click(start_box='(500,500)')");
  for (const f of ['step-001.png', 'step-002.png', 'step-003.png', 'index.html']) assert.ok(existsSync(join(dir, f)), f);
  const img = decodePng(readFileSync(join(dir, 'step-001.png')));
  const at = (x: number, y: number) => [...img.data.subarray((y * 320 + x) * 4, (y * 320 + x) * 4 + 3)];
  assert.notDeepEqual(at(160, 100), [255, 255, 255], 'a marker at the click point');
  assert.deepEqual(at(5, 5), [255, 255, 255]);
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  assert.match(html, /Status: finished/);
  assert.match(html, /<img src="step-001.png"/);
  assert.match(html, /click \(160, 100\)/);
  rmSync(dir, { recursive: true });
});

test('loop: call_user ends the run with status call_user', async () => {
  const r = await runAgent({ instruction: 'x', operator: new FakeOperator(), model: new ScriptedModel(['Thought: I need a password.\nAction: call_user()']) });
  assert.equal(r.status, 'call_user');
  assert.equal(r.steps.length, 1);
});

test('loop: step limit', async () => {
  const op = new FakeOperator();
  const r = await runAgent({ instruction: 'x', operator: op, model: new ScriptedModel(["Thought: scroll\nAction: scroll(direction='down')"]), maxSteps: 4 });
  assert.equal(r.status, 'max_steps');
  assert.equal(r.steps.length, 4);
  assert.equal(op.executed.length, 4);
});

test('loop: malformed model text ends the run with a parse error and a saved trajectory', async () => {
  const dir = tmp();
  const op = new FakeOperator();
  const text = 'Thought: I will click the blue button.\nAction: click the blue button';
  const r = await runAgent({ instruction: 'x', operator: op, model: new ScriptedModel([text]), outDir: dir });
  assert.equal(r.status, 'error');
  assert.equal(r.error!.kind, 'parse');
  assert.match(r.error!.message, /expected an action call such as click\(\.\.\.\): "click the blue button"/);
  assert.equal(op.executed.length, 0);
  const rec = readRecord(dir);
  assert.equal(rec.status, 'error');
  assert.equal(rec.error!.kind, 'parse');
  assert.equal(rec.steps[0]!.raw, text);
  assert.equal(rec.steps[0]!.error!.kind, 'parse');
  assert.ok(existsSync(join(dir, 'step-001.png')));
  rmSync(dir, { recursive: true });
});

test('loop: parseRetries asks again after an unparsable answer', async () => {
  const model = new ScriptedModel(['Thought: hmm', "Thought: ok\nAction: finished(content='x')"]);
  const r = await runAgent({ instruction: 'x', operator: new FakeOperator(), model, parseRetries: 1 });
  assert.equal(r.status, 'finished');
  assert.equal(model.calls.length, 2);
});

test('loop: an unreachable endpoint ends the run with a model error and a saved trajectory', async () => {
  const dir = tmp();
  const port = await deadPort();
  const model = new OpenAIChatClient({ endpoint: `http://127.0.0.1:${port}/v1`, model: 'ui-tars', maxRetries: 2, backoffMs: 1 });
  const r = await runAgent({ instruction: 'x', operator: new FakeOperator(), model, outDir: dir });
  assert.equal(r.status, 'error');
  assert.equal(r.error!.kind, 'model');
  assert.equal(r.error!.detail, 'unreachable');
  assert.match(r.error!.message, /cannot reach model endpoint/);
  assert.equal(r.steps[0]!.modelAttempts, 3);
  assert.equal(readRecord(dir).error!.detail, 'unreachable');
  assert.ok(existsSync(join(dir, 'step-001.png')));
  rmSync(dir, { recursive: true });
});

test('loop: a model timeout ends the run with a model error', async () => {
  const dir = tmp();
  const srv = await startModelServer(() => ({ hang: true }));
  try {
    const model = new OpenAIChatClient({ endpoint: srv.url, model: 'ui-tars', timeoutMs: 100, maxRetries: 1, backoffMs: 1 });
    const r = await runAgent({ instruction: 'x', operator: new FakeOperator(), model, outDir: dir });
    assert.equal(r.status, 'error');
    assert.equal(r.error!.kind, 'model');
    assert.equal(r.error!.detail, 'timeout');
    assert.equal(srv.requests.length, 2);
    assert.equal(readRecord(dir).status, 'error');
  } finally {
    await srv.close();
    rmSync(dir, { recursive: true });
  }
});

test('loop: transient screenshot failures are retried; repeated ones end the run', async () => {
  const op = new FakeOperator();
  op.failScreenshots = 2;
  const ok = await runAgent({ instruction: 'x', operator: op, model: new ScriptedModel(['Action: finished()']), screenshotRetryDelayMs: 1 });
  assert.equal(ok.status, 'finished');
  const op2 = new FakeOperator();
  op2.failScreenshots = 99;
  const bad = await runAgent({ instruction: 'x', operator: op2, model: new ScriptedModel(['Action: finished()']), screenshotRetryDelayMs: 1, maxScreenshotFailures: 3 });
  assert.equal(bad.status, 'error');
  assert.equal(bad.error!.kind, 'screenshot');
  assert.match(bad.error!.message, /failed 3 times in a row: compositor busy/);
  assert.equal(op2.screenshots, 3);
});

test('loop: a closed environment ends the run with an environment error', async () => {
  const op = new FakeOperator();
  op.closedAfter = 1;
  const r = await runAgent({ instruction: 'x', operator: op, model: new ScriptedModel(["Action: click(start_box='(1,1)')"]) });
  assert.equal(r.status, 'error');
  assert.equal(r.error!.kind, 'environment');
  assert.equal(r.steps.length, 2);
  assert.match(r.steps[1]!.actions[0]!.error!, /closed/);
});

test('loop: an action the operator cannot do ends the run with unsupported_action', async () => {
  const r = await runAgent({ instruction: 'x', operator: new FakeOperator(), model: new ScriptedModel(['Action: press_home()']) });
  assert.equal(r.status, 'error');
  assert.equal(r.error!.kind, 'unsupported_action');
});

test('loop: abort during a model call ends the run as aborted, trajectory saved', async () => {
  const dir = tmp();
  const ctl = new AbortController();
  const model = new ScriptedModel([
    "Action: click(start_box='(1,1)')",
    (signal) =>
      new Promise<string>((_, reject) => {
        signal!.addEventListener('abort', () => reject(new ModelError('model request aborted', 'aborted')));
        setTimeout(() => ctl.abort(), 10);
      }),
  ]);
  const r = await runAgent({ instruction: 'x', operator: new FakeOperator(), model, signal: ctl.signal, outDir: dir });
  assert.equal(r.status, 'aborted');
  assert.equal(r.error, undefined);
  assert.equal(readRecord(dir).status, 'aborted');
  // An already aborted signal: no step at all.
  const r2 = await runAgent({ instruction: 'x', operator: new FakeOperator(), model, signal: AbortSignal.abort() });
  assert.equal(r2.status, 'aborted');
  assert.equal(r2.steps.length, 0);
  rmSync(dir, { recursive: true });
});

test('loop: 1.5 coordinates are mapped through smart_resize of the screenshot (1302x720 -> 1288x728)', async () => {
  const op = new FakeOperator(1302, 720);
  const r = await runAgent({
    instruction: 'x',
    operator: op,
    model: new ScriptedModel(["Action: click(start_box='<|box_start|>(644,364)<|box_end|>')", 'Action: finished()']),
  });
  assert.equal(r.status, 'finished');
  const click = op.executed[0] as Extract<Action, { type: 'click' }>;
  assert.deepEqual([click.target.x, click.target.y], [0.5, 0.5]);
  assert.deepEqual(r.steps[0]!.modelSpace, { kind: 'absolute', width: 1288, height: 728 });
  assert.match(r.record.prompt, /<\|box_start\|>/);
});

test('loop: at a device pixel ratio of 2 the description is in CSS pixels', async () => {
  const op = new FakeOperator(640, 400, 2);
  const r = await runAgent({ instruction: 'x', operator: op, model: new ScriptedModel(["Action: click(start_box='(250,500)')", 'Action: finished()']), version: '1.0' });
  assert.equal(r.steps[0]!.actions[0]!.description, 'click (80, 100)');
});

test('loop: the history keeps the last 5 screenshots', async () => {
  const model = new ScriptedModel(['Action: wait()']);
  await runAgent({ instruction: 'x', operator: new FakeOperator(), model, maxSteps: 8 });
  const last = model.calls[7]!;
  assert.equal(last.filter((m) => Array.isArray(m.content)).length, 5);
  assert.equal(last.filter((m) => m.role === 'assistant').length, 7);
});

test('loop: an unwritable trajectory folder does not stop the run', async () => {
  const dir = tmp();
  const file = join(dir, 'not-a-dir');
  writeFileSync(file, 'x');
  const r = await runAgent({ instruction: 'x', operator: new FakeOperator(), model: new ScriptedModel(['Action: finished()']), outDir: join(file, 'sub') });
  assert.equal(r.status, 'finished');
  assert.match(r.trajectoryError!, /cannot write trajectory/);
  assert.equal(r.trajectoryDir, undefined);
  rmSync(dir, { recursive: true });
});
