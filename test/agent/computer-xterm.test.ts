/**
 * The computer operator on a second X application: an xterm running `cat > file` receives typed ASCII text
 * (key events), a line with non-ASCII text (through the clipboard / PRIMARY selection and Shift+Insert), and
 * hotkeys (Ctrl+U erases the line, Ctrl+D ends the input). Also: the stop hotkey aborts a run, and a missing
 * display is refused with a message that names it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ComputerOperator, findKeycode, OpenAIChatClient, runAgent, X11Display } from '../../src/agent/index.ts';
import { startModelServer } from './helpers.ts';
import { NO_XCLIP, NO_XTERM, NO_XVFB, startApp, startXvfb, waitFor } from './xserver.ts';

const LINE2 = 'Grüße ✓ 你好';

/** Presses and releases keysyms together, from a second X client (a user at the keyboard). */
async function pressKeys(display: string, keysyms: number[]): Promise<void> {
  const d = await X11Display.connect(display);
  try {
    const map = await d.keyboardMapping();
    const codes = keysyms.map((k) => findKeycode(map, d.minKeycode, k)!.keycode);
    for (const c of codes) d.key(c, true);
    for (const c of [...codes].reverse()) d.key(c, false);
    await d.sync();
  } finally {
    d.close();
  }
}

describe('computer operator on xterm', { skip: NO_XVFB || NO_XTERM || NO_XCLIP }, () => {
  test('an xterm receives typed text, pasted non-ASCII text and hotkeys', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'genlab-xterm-'));
    const out = join(dir, 'out.txt');
    const xs = await startXvfb(800, 600);
    let op: ComputerOperator | undefined;
    let srv: { close(): Promise<void> } | undefined;
    const xterm = startApp(xs.display, '/usr/bin/xterm', ['-u8', '-geometry', '80x24+0+0', '-e', 'sh', '-c', `cat > '${out}'`], { LC_ALL: 'C.UTF-8' });
    try {
      await waitFor(() => (existsSync(out) ? true : undefined), 20000, 'xterm to start cat');
      op = await ComputerOperator.connect({ display: xs.display, settleMs: 200, moveMsPer1000px: 100 });
      const answers = [
        "Thought: Focus the terminal.\nAction: click(start_box='<|box_start|>(200,150)<|box_end|>')",
        "Thought: Type something wrong.\nAction: type(content='wrong words')",
        "Thought: Erase the line.\nAction: hotkey(key='ctrl u')",
        "Thought: Type the first line.\nAction: type(content='hello from genlab\\n')",
        `Thought: Type the second line.\nAction: type(content='${LINE2}\\n')`,
        "Thought: End the input.\nAction: hotkey(key='ctrl d')",
        "Thought: Done.\nAction: finished(content='typed')",
      ];
      const model = await startModelServer((_req, i) => ({ text: answers[i]! }));
      srv = model;
      const r = await runAgent({
        instruction: 'Type two lines into the terminal.',
        operator: op,
        model: new OpenAIChatClient({ endpoint: model.url, model: 'scripted', maxRetries: 0 }),
        outDir: join(dir, 'traj'),
      });
      assert.equal(r.status, 'finished', `${r.error?.kind}: ${r.error?.message}`);
      assert.equal(r.steps[4]!.actions[0]!.note, 'typed through the clipboard (Shift+Insert)');
      assert.equal(r.steps[3]!.actions[0]!.note, undefined, 'ASCII goes through key events');
      // cat exits on Ctrl+D, and xterm with it.
      await waitFor(() => (xterm.proc.exitCode !== null ? true : undefined), 10000, 'cat to end on Ctrl+D');
      assert.equal(readFileSync(out, 'utf8'), `hello from genlab\n${LINE2}\n`);
    } finally {
      await srv?.close();
      await op?.close();
      await xterm.close();
      await xs.close();
      if (process.env.GENLAB_AGENT_KEEP) console.log(`# kept ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the stop hotkey aborts a run; held keys are released on close', async () => {
    const xs = await startXvfb(640, 480);
    let op: ComputerOperator | undefined;
    let srv: { close(): Promise<void> } | undefined;
    try {
      op = await ComputerOperator.connect({ display: xs.display, settleMs: 10, stopKeys: ['ctrl', 'alt', 'shift', 'escape'] });
      const display = xs.display;
      const model = await startModelServer(async (_req, i) => {
        // The user presses the stop hotkey while the model thinks about step 2.
        if (i === 1) await pressKeys(display, [0xffe3, 0xffe9, 0xffe1, 0xff1b]);
        return { text: "Thought: hold F5\nAction: press(key='f5')", delayMs: i === 1 ? 300 : 0 };
      });
      srv = model;
      const r = await runAgent({
        instruction: 'x',
        operator: op,
        model: new OpenAIChatClient({ endpoint: model.url, model: 'scripted', maxRetries: 0 }),
        signal: op.stopSignal,
        maxSteps: 10,
      });
      assert.equal(r.status, 'aborted');
      assert.ok(r.steps.length <= 2, `stopped after ${r.steps.length} steps`);
      assert.match(String((op.stopSignal.reason as Error).message), /stop hotkey ctrl\+alt\+shift\+escape/);
      const d = await X11Display.connect(display);
      try {
        const f5 = findKeycode(await d.keyboardMapping(), d.minKeycode, 0xffc2)!.keycode;
        assert.ok((await d.pressedKeycodes()).includes(f5), 'press(key=f5) holds F5 down');
        await op.close();
        assert.deepEqual(await d.pressedKeycodes(), [], 'close() released it');
      } finally {
        d.close();
      }
    } finally {
      await srv?.close();
      await op?.close();
      await xs.close();
    }
  });
});

describe('computer operator: screenshot scale and size', { skip: NO_XVFB }, () => {
  test('a downscaled screenshot maps back to screen pixels; a screenshot of another size is mapped through its own size and recorded', async () => {
    const xs = await startXvfb(800, 600);
    let op: ComputerOperator | undefined;
    try {
      op = await ComputerOperator.connect({ display: xs.display, settleMs: 0, humanMoves: false, downscale: 2 });
      const shot = await op.screenshot();
      assert.deepEqual([shot.width, shot.height, shot.scale], [400, 300, 0.5]);
      const hover = (x: number, y: number) => ({ type: 'hover' as const, target: { x, y, box: [x, y, x, y] as [number, number, number, number], model: [], raw: '' }, source: '' });
      const r1 = await op.execute(hover(0.25, 0.75), shot);
      assert.deepEqual(r1.points, [{ x: 200, y: 450 }]);
      assert.deepEqual(await op.display.pointer(), { x: 200, y: 450 });
      assert.equal(r1.events, undefined);
      // A 640x480 screenshot (the screen was smaller when it was taken): the fraction is of that picture.
      const r2 = await op.execute(hover(0.5, 0.5), { png: shot.png, width: 640, height: 480, scale: 1 });
      assert.deepEqual(r2.points, [{ x: 320, y: 240 }]);
      assert.equal(r2.events![0]!.kind, 'resize');
      assert.equal(r2.events![0]!.message, 'the screen is 800x600 now; the screenshot showed 640x480');
    } finally {
      await op?.close();
      await xs.close();
    }
  });
});

describe('computer operator refuses to start without an X server', () => {
  test('no display named, and a display nobody serves', async () => {
    const saved = process.env.DISPLAY;
    delete process.env.DISPLAY;
    try {
      await assert.rejects(ComputerOperator.connect({}), /no X display: pass a display \(e\.g\. --display :99\) or set DISPLAY/);
    } finally {
      if (saved !== undefined) process.env.DISPLAY = saved;
    }
    await assert.rejects(ComputerOperator.connect({ display: ':987', connectTimeoutMs: 2000 }), /X display :987/);
    await assert.rejects(ComputerOperator.connect({ display: 'nonsense' }), /'nonsense' is not an X display name/);
  });
});
