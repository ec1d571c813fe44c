/**
 * A computer operator for an X11 display: screenshots of the root window and input through the XTEST extension,
 * over one in-process X protocol connection (see x11-display.ts; the choice of backend is measured in
 * docs/agent.md and bench/agent.ts).
 *
 * Positions arrive normalized (fractions of the screenshot); a fraction times the screenshot's size in screen
 * pixels (`width / scale`) is the root-window pixel. The mouse travels along human-like curved paths
 * (mouse-path.ts). Text is typed as key events when every character is on the keyboard mapping; otherwise it is
 * put on the CLIPBOARD and PRIMARY selections (xclip) and pasted with Shift+Insert, which GTK/Chromium
 * (CLIPBOARD) and xterm (PRIMARY) both understand, as the UI-TARS desktop app pastes text it cannot type.
 */
import { spawn } from 'node:child_process';
import { directionVector as dirVec, type Action } from '../actions.ts';
import { sleep } from '../model-client.ts';
import { encodePng } from '../png.ts';
import { humanPath, mulberry32 } from './mouse-path.ts';
import { OperatorClosedError, UnsupportedActionError, type ExecuteResult, type Operator, type Screenshot } from './operator.ts';
import { MOD, X11Display, X11Error } from './x11-display.ts';
import { charKeysym, findKeycode, keysymOf, spareKeycode, type KeyStroke } from './x11-keys.ts';

export interface ComputerOperatorOptions {
  /** X display, e.g. ":99". Default: $DISPLAY. */
  display?: string;
  /** Connection timeout, ms. Default 5000. */
  connectTimeoutMs?: number;
  /** Duration of `wait()`, ms. Default 5000 (what the prompt promises the model). */
  waitMs?: number;
  /** Pause after each action before the next screenshot, ms. Default 300. */
  settleMs?: number;
  /** Time for a pointer move across 1000 px, ms (shorter moves take less, at least a third of it). Default 250. */
  moveMsPer1000px?: number;
  /** Wheel clicks per scroll action. Default 5. */
  scrollClicks?: number;
  /** Hold time of long_press, ms. Default 800. */
  longPressMs?: number;
  /** Delay between typed characters, ms. Default 0 (events are flushed in order). */
  typeDelayMs?: number;
  /** 'auto' (default): key events when every character is on the keymap, else the clipboard; or force one way. */
  typeMode?: 'auto' | 'keys' | 'clipboard';
  /** Keys that paste the clipboard. Default ['shift', 'insert']. */
  pasteKeys?: string[];
  /** Screenshot downscale: 1 (default) sends screen pixels; 2 halves each side (scale 0.5), etc. */
  downscale?: number;
  /** zlib level of screenshot PNGs. Default 1 (fast; the model server decodes them either way). */
  pngLevel?: number;
  /** Seed of the pointer paths' randomness. Default 1. */
  seed?: number;
  /** Fixed pointer path: false moves in one jump (no intermediate motion events). Default true. */
  humanMoves?: boolean;
  /**
   * A hotkey that stops the run from the keyboard, grabbed on the root window (e.g. ['ctrl','alt','shift','escape']);
   * `stopSignal` aborts when it is pressed. Default: none.
   */
  stopKeys?: string[];
  /** xclip executable for non-ASCII text. Default 'xclip'. */
  xclip?: string;
}

export class ComputerOperator implements Operator {
  readonly name = 'computer';
  readonly template = 'computer' as const;
  /** Aborts when the stop hotkey is pressed (or the operator is closed). */
  readonly stopSignal: AbortSignal;
  private readonly stopCtl = new AbortController();
  private readonly random: () => number;
  private readonly held = new Set<number>(); // keycodes held down
  private readonly heldButtons = new Set<number>();
  private readonly bound = new Map<number, number>(); // keysym -> spare keycode bound to it
  private ungrabStop: (() => void) | undefined;
  private closed = false;

  private constructor(
    readonly display: X11Display,
    private readonly o: ComputerOperatorOptions,
  ) {
    this.stopSignal = this.stopCtl.signal;
    this.random = mulberry32(o.seed ?? 1);
  }

  /**
   * Connects to the X display. Rejects with a message that names the display when none is given or none answers.
   */
  static async connect(options: ComputerOperatorOptions = {}): Promise<ComputerOperator> {
    const name = options.display ?? process.env.DISPLAY;
    if (!name) throw new X11Error('no X display: pass a display (e.g. --display :99) or set DISPLAY');
    const d = options.downscale ?? 1;
    if (!(Number.isInteger(d) && d >= 1 && d <= 8)) throw new RangeError(`downscale must be an integer in [1, 8], got ${d}`);
    const display = await X11Display.connect(name, options.connectTimeoutMs ?? 5000);
    const op = new ComputerOperator(display, options);
    try {
      if (options.stopKeys && options.stopKeys.length > 0) await op.grabStopKeys(options.stopKeys);
    } catch (e) {
      display.close();
      throw e;
    }
    return op;
  }

  private async grabStopKeys(keys: string[]): Promise<void> {
    let mods = 0;
    let main: number | undefined;
    const modMask: Record<number, number> = { 0xffe3: MOD.control, 0xffe1: MOD.shift, 0xffe9: MOD.mod1, 0xffeb: MOD.mod4 };
    for (const k of keys) {
      const sym = keysymOf(k);
      if (modMask[sym] !== undefined) mods |= modMask[sym]!;
      else if (main === undefined) main = sym;
      else throw new UnsupportedActionError(`stop hotkey ${keys.join('+')}: only one non-modifier key allowed`);
    }
    if (main === undefined) throw new UnsupportedActionError(`stop hotkey ${keys.join('+')} needs a non-modifier key`);
    const stroke = await this.stroke(main);
    this.ungrabStop = this.display.grabKey(stroke.keycode, mods, () => this.stopCtl.abort(new Error(`stop hotkey ${keys.join('+')} pressed`)));
    await this.display.sync();
  }

  async screenshot(): Promise<Screenshot> {
    const raw = await this.guard(() => this.display.capture());
    const k = this.o.downscale ?? 1;
    const img = k === 1 ? raw : boxDownscale(raw, k);
    const png = encodePng(img, { level: this.o.pngLevel ?? 1, filter: 2 });
    return { png, width: img.width, height: img.height, scale: img.width / raw.width };
  }

  async execute(action: Action, shot: Screenshot, signal?: AbortSignal): Promise<ExecuteResult> {
    this.assertOpen();
    const sig = signal ? AbortSignal.any([signal, this.stopSignal]) : this.stopSignal;
    const screen = await this.guard(() => this.display.size());
    // The model pointed into the screenshot it saw: map through that image's size in screen pixels.
    const w = shot.width / shot.scale;
    const h = shot.height / shot.scale;
    const at = (p: { x: number; y: number }) => ({
      x: clamp(Math.round(p.x * w), 0, screen.width - 1),
      y: clamp(Math.round(p.y * h), 0, screen.height - 1),
    });
    const result: ExecuteResult = {};
    if (screen.width !== Math.round(w) || screen.height !== Math.round(h)) {
      result.events = [
        {
          kind: 'resize',
          message: `the screen is ${screen.width}x${screen.height} now; the screenshot showed ${Math.round(w)}x${Math.round(h)}`,
          detail: { width: screen.width, height: screen.height, shotWidth: Math.round(w), shotHeight: Math.round(h) },
        },
      ];
    }
    await this.guard(async () => {
      switch (action.type) {
        case 'click':
        case 'left_double':
        case 'right_single':
        case 'hover':
        case 'long_press': {
          const p = at(action.target);
          result.points = [p];
          await this.moveTo(p, sig);
          if (action.type === 'click') await this.click(1, sig);
          else if (action.type === 'left_double') {
            await this.click(1, sig);
            await this.pause(60, sig);
            await this.click(1, sig);
          } else if (action.type === 'right_single') await this.click(3, sig);
          else if (action.type === 'long_press') {
            this.press(1, true);
            await this.pause(this.o.longPressMs ?? 800, sig);
            this.press(1, false);
          }
          break;
        }
        case 'drag':
        case 'swipe': {
          const s = at(action.start);
          let e: { x: number; y: number };
          if (action.type === 'drag' || action.end) e = at(action.type === 'drag' ? action.end : action.end!);
          else {
            const d = dirVec(action.direction!);
            e = at({ x: action.start.x + d.x * 0.3, y: action.start.y + d.y * 0.3 });
          }
          result.points = [s, e];
          await this.moveTo(s, sig);
          this.press(1, true);
          await this.display.sync();
          await this.pause(80, sig);
          // A few pixels first, so that toolkits see a drag start before the long move.
          const nudge = { x: s.x + Math.sign(e.x - s.x) * 6, y: s.y + Math.sign(e.y - s.y) * 6 };
          await this.moveTo(nudge, sig, false);
          await this.pause(80, sig);
          await this.moveTo(e, sig);
          await this.pause(120, sig);
          await this.moveTo({ x: e.x + 1, y: e.y }, sig, false);
          await this.moveTo(e, sig, false);
          await this.pause(80, sig);
          this.press(1, false);
          break;
        }
        case 'scroll': {
          if (action.target) {
            const p = at(action.target);
            result.points = [p];
            await this.moveTo(p, sig);
          }
          const button = { up: 4, down: 5, left: 6, right: 7 }[action.direction];
          for (let i = 0; i < (this.o.scrollClicks ?? 5); i++) {
            await this.click(button, sig);
            await this.pause(15, sig);
          }
          break;
        }
        case 'hotkey': {
          const strokes = await Promise.all(action.keys.map((k) => this.stroke(keysymOf(k))));
          const codes: number[] = [];
          for (const s of strokes) {
            if (s.shift && !codes.includes(await this.shiftKeycode())) codes.push(await this.shiftKeycode());
            codes.push(s.keycode);
          }
          for (const c of codes) {
            this.key(c, true);
            await this.pause(10, sig);
          }
          for (const c of [...codes].reverse()) this.key(c, false);
          break;
        }
        case 'key_down':
          this.key((await this.stroke(keysymOf(action.key))).keycode, true);
          break;
        case 'key_up':
          this.key((await this.stroke(keysymOf(action.key))).keycode, false);
          break;
        case 'type': {
          const how = await this.typeText(action.text, sig);
          if (action.submit) {
            const enter = await this.stroke(0xff0d);
            this.key(enter.keycode, true);
            this.key(enter.keycode, false);
          }
          if (how === 'clipboard') result.note = 'typed through the clipboard (Shift+Insert)';
          break;
        }
        case 'wait':
          await this.pause(this.o.waitMs ?? 5000, sig);
          break;
        case 'finished':
        case 'call_user':
          break;
        case 'navigate':
        case 'navigate_back':
        case 'press_home':
        case 'press_back':
        case 'open_app':
          throw new UnsupportedActionError(`the computer operator cannot perform ${action.type} (not in the computer action space)`);
        default: {
          const never: never = action;
          throw new UnsupportedActionError(`unknown action ${(never as Action).type}`);
        }
      }
      await this.display.sync();
      await this.pause(this.o.settleMs ?? 300, sig);
    });
    return result;
  }

  /** Releases whatever is still held (keys from key_down, buttons), unbinds spare keycodes, drops the grab, disconnects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.display.lost) {
      try {
        this.releaseAll();
        this.ungrabStop?.();
        for (const code of this.bound.values()) await this.display.setKeysyms(code, [0, 0]);
        await this.display.sync();
      } catch {
        // the server is going away
      }
    }
    this.display.close();
    if (!this.stopCtl.signal.aborted) this.stopCtl.abort(new Error('operator closed'));
  }

  // -------------------------------------------------------------------------------------------------------

  private releaseAll(): void {
    for (const b of this.heldButtons) this.display.button(b, false);
    for (const k of this.held) this.display.key(k, false);
    this.heldButtons.clear();
    this.held.clear();
  }

  private press(button: number, down: boolean): void {
    this.display.button(button, down);
    if (down) this.heldButtons.add(button);
    else this.heldButtons.delete(button);
  }

  private async click(button: number, sig: AbortSignal): Promise<void> {
    this.press(button, true);
    await this.display.sync();
    await this.pause(20, sig);
    this.press(button, false);
    await this.display.sync();
  }

  private key(keycode: number, down: boolean): void {
    this.display.key(keycode, down);
    if (down) this.held.add(keycode);
    else this.held.delete(keycode);
  }

  private async moveTo(p: { x: number; y: number }, sig: AbortSignal, human = this.o.humanMoves ?? true): Promise<void> {
    const from = await this.display.pointer();
    if (!human) {
      this.display.motion(p.x, p.y);
      await this.display.sync();
      return;
    }
    const path = humanPath(from, p, this.random);
    const dist = Math.hypot(p.x - from.x, p.y - from.y);
    const per1000 = this.o.moveMsPer1000px ?? 250;
    const total = Math.max(per1000 / 3, (dist / 1000) * per1000);
    const dt = total / path.length;
    for (const q of path) {
      if (sig.aborted) throw abortError(sig);
      this.display.motion(q.x, q.y);
      await sleep(dt, sig);
    }
    await this.display.sync();
  }

  private async pause(ms: number, sig: AbortSignal): Promise<void> {
    if (sig.aborted) throw abortError(sig);
    if (ms > 0) await sleep(ms, sig);
  }

  private async shiftKeycode(): Promise<number> {
    return (await this.stroke(0xffe1)).keycode;
  }

  /** The keycode (and Shift) for a keysym; binds a spare keycode when the keymap has none. */
  private async stroke(keysym: number): Promise<KeyStroke> {
    const map = await this.display.keyboardMapping();
    const found = findKeycode(map, this.display.minKeycode, keysym);
    if (found) return found;
    const code = spareKeycode(map, this.display.minKeycode);
    if (code === undefined) throw new UnsupportedActionError(`no keycode for keysym 0x${keysym.toString(16)} and no free keycode to bind it to`);
    await this.display.setKeysyms(code, [keysym, keysym]);
    this.bound.set(keysym, code);
    await sleep(20); // clients reload the mapping on MappingNotify
    return { keycode: code, shift: false };
  }

  /** Types `text`; returns how. */
  private async typeText(text: string, sig: AbortSignal): Promise<'keys' | 'clipboard' | 'none'> {
    if (text === '') return 'none';
    const mode = this.o.typeMode ?? 'auto';
    const map = await this.display.keyboardMapping();
    const chars = [...text];
    const strokes = chars.map((c) => findKeycode(map, this.display.minKeycode, charKeysym(c)));
    const typeable = strokes.every((s) => s !== undefined);
    if (mode === 'keys' || (mode === 'auto' && typeable)) {
      const shift = await this.shiftKeycode();
      for (let i = 0; i < chars.length; i++) {
        if (sig.aborted) throw abortError(sig);
        const s = strokes[i] ?? (await this.stroke(charKeysym(chars[i]!)));
        if (s.shift) this.key(shift, true);
        this.key(s.keycode, true);
        this.key(s.keycode, false);
        if (s.shift) this.key(shift, false);
        if (this.o.typeDelayMs) await sleep(this.o.typeDelayMs, sig);
        else if (i % 32 === 31) await this.display.sync();
      }
      await this.display.sync();
      return 'keys';
    }
    await this.setSelections(text);
    const paste = await Promise.all((this.o.pasteKeys ?? ['shift', 'insert']).map((k) => this.stroke(keysymOf(k))));
    for (const s of paste) this.key(s.keycode, true);
    for (const s of [...paste].reverse()) this.key(s.keycode, false);
    await this.display.sync();
    await this.pause(150, sig); // the target asks the selection owner (xclip) for the text
    return 'clipboard';
  }

  /** Puts `text` on CLIPBOARD and PRIMARY; xclip stays behind as the selection owner until someone else takes it. */
  private async setSelections(text: string): Promise<void> {
    for (const sel of ['clipboard', 'primary']) {
      await new Promise<void>((resolve, reject) => {
        const p = spawn(this.o.xclip ?? 'xclip', ['-selection', sel, '-i'], {
          env: { ...process.env, DISPLAY: this.display.name },
          stdio: ['pipe', 'ignore', 'ignore'],
        });
        p.on('error', (e) =>
          reject(new UnsupportedActionError(`typing text that is not on the keyboard needs xclip (apt-get install xclip): ${e.message}`)),
        );
        p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`xclip -selection ${sel} exited with ${code}`))));
        p.stdin.end(text, 'utf8');
      });
      // xclip's parent exits as soon as it has forked; its child's claim on the selection reaches the X server
      // only when that child first runs, which on a loaded machine can be after our paste keys (the paste then
      // gets the old owner's text or nothing). Read the selection back until the new owner answers.
      await this.awaitSelection(sel, text);
    }
  }

  private async awaitSelection(sel: string, text: string, timeoutMs = 5000): Promise<void> {
    const t0 = Date.now();
    let got = '';
    for (;;) {
      got = await new Promise<string>((resolve) => {
        const p = spawn(this.o.xclip ?? 'xclip', ['-selection', sel, '-o'], {
          env: { ...process.env, DISPLAY: this.display.name },
          stdio: ['ignore', 'pipe', 'ignore'],
        });
        const chunks: Buffer[] = [];
        p.stdout.on('data', (b: Buffer) => chunks.push(b));
        p.on('error', () => resolve(''));
        p.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
      });
      if (got === text) return;
      if (Date.now() - t0 > timeoutMs) {
        throw new Error(`xclip -selection ${sel}: the selection did not hold the typed text within ${timeoutMs} ms (it reads ${JSON.stringify(got.slice(0, 40))})`);
      }
      await sleep(20);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new OperatorClosedError('the computer operator has been closed');
    if (this.display.lost) throw new OperatorClosedError(`X display ${this.display.name} is gone: ${this.display.lost}`);
  }

  /** X connection losses become OperatorClosedError; an abort releases held keys and buttons. */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    this.assertOpen();
    try {
      return await fn();
    } catch (e) {
      if (this.display.lost && this.display.lost !== 'closed') throw new OperatorClosedError(`X display ${this.display.name} is gone: ${this.display.lost}`);
      if (!this.display.lost) {
        try {
          this.releaseAll();
          await this.display.sync();
        } catch {
          // nothing more to do
        }
      }
      if (e instanceof X11Error) throw new OperatorClosedError(e.message);
      throw e;
    }
  }
}

function abortError(sig: AbortSignal): Error {
  const r = sig.reason as unknown;
  return r instanceof Error ? r : new Error('aborted');
}

/** Averages k x k blocks (sides rounded down). */
export function boxDownscale(img: { width: number; height: number; data: Uint8Array }, k: number): { width: number; height: number; data: Uint8Array } {
  const w = Math.floor(img.width / k);
  const h = Math.floor(img.height / k);
  const out = new Uint8Array(w * h * 4);
  const n = k * k;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let dy = 0; dy < k; dy++) {
        let i = ((y * k + dy) * img.width + x * k) * 4;
        for (let dx = 0; dx < k; dx++, i += 4) {
          r += img.data[i]!;
          g += img.data[i + 1]!;
          b += img.data[i + 2]!;
        }
      }
      const o = (y * w + x) * 4;
      out[o] = Math.round(r / n);
      out[o + 1] = Math.round(g / n);
      out[o + 2] = Math.round(b / n);
      out[o + 3] = 255;
    }
  }
  return { width: w, height: h, data: out };
}


function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

