/**
 * One connection to an X server, over the pure-JavaScript X protocol client `x11` (npm): no native addon, no
 * subprocess per event. Gives what the computer operator needs as promises: the root window's size and pixels
 * (GetImage), input events through the XTEST extension, the keyboard mapping, and key grabs on the root.
 */
import { createRequire } from 'node:module';

// The subset of the `x11` client used here (the package ships no types).
interface XClient {
  GetImage(format: number, drawable: number, x: number, y: number, w: number, h: number, planeMask: number, cb: (err: Error | null, img: { depth: number; data: Buffer }) => void): void;
  GetGeometry(drawable: number, cb: (err: Error | null, g: { width: number; height: number }) => void): void;
  GetInputFocus(cb: (err: Error | null, f: unknown) => void): void;
  QueryPointer(wid: number, cb: (err: Error | null, p: { rootX: number; rootY: number }) => void): void;
  QueryKeymap(cb: (err: Error | null, keys: Buffer) => void): void;
  GetKeyboardMapping(first: number, count: number, cb: (err: Error | null, rows: number[][]) => void): void;
  ChangeKeyboardMapping(first: number, perKeycode: number, keysyms: number[]): void;
  GrabKey(wid: number, ownerEvents: number, modifiers: number, key: number, pointerMode: number, keybMode: number): void;
  UngrabKey(wid: number, key: number, modifiers: number): void;
  require(ext: string, cb: (err: Error | null, ext: XTest) => void): void;
  on(ev: 'event', cb: (e: { name?: string; type: number; keycode: number; buttons?: number; state?: number }) => void): void;
  on(ev: 'error' | 'end' | 'close', cb: (e?: unknown) => void): void;
  terminate(): void;
  close?(cb?: () => void): void;
}

interface XTest {
  FakeInput(type: number, detail: number, time: number, wid: number, x: number, y: number): void;
  KeyPress: number;
  KeyRelease: number;
  ButtonPress: number;
  ButtonRelease: number;
  MotionNotify: number;
}

interface XDisplayInfo {
  client: XClient;
  min_keycode: number;
  max_keycode: number;
  screen: { root: number; pixel_width: number; pixel_height: number; root_depth: number }[];
}

interface X11Module {
  createClient(options: { display: string; disableBigRequests?: boolean }, cb: (err: Error | undefined, d: XDisplayInfo) => void): XClient;
}

let x11Module: X11Module | undefined;
/** The `x11` package, loaded on the first connection (so importing genlab's CLI or agent never needs it). */
function x11(): X11Module {
  if (!x11Module) {
    try {
      x11Module = createRequire(import.meta.url)('x11') as X11Module;
    } catch (e) {
      throw new X11Error(`the computer operator needs the npm package 'x11' (npm install x11): ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return x11Module;
}

/** The X server cannot be reached, or the connection to it was lost. */
export class X11Error extends Error {
  override name = 'X11Error';
}

/** X modifier masks. */
export const MOD = { shift: 1, lock: 2, control: 4, mod1: 8, mod2: 16, mod4: 64 } as const;

export class X11Display {
  /** Set when the connection has ended (server gone, or close()). */
  lost: string | undefined;
  private keymap: number[][] | undefined;
  private keyListeners: ((keycode: number, state: number) => void)[] = [];

  private constructor(
    readonly name: string,
    private readonly client: XClient,
    private readonly info: XDisplayInfo,
    private readonly xtest: XTest,
  ) {
    client.on('error', (e) => (this.lost ??= `X connection error: ${(e as Error)?.message ?? e}`));
    client.on('end', () => (this.lost ??= 'the X server closed the connection'));
    client.on('close', () => (this.lost ??= 'the X server closed the connection'));
    client.on('event', (e) => {
      if (e.type === 2) for (const l of this.keyListeners) l(e.keycode, e.buttons ?? 0); // KeyPress (x11 names the state field "buttons")
    });
  }

  /** Connects to `display` (e.g. ":99"); rejects with a clear X11Error when nothing answers within timeoutMs. */
  static async connect(display: string, timeoutMs = 5000): Promise<X11Display> {
    if (!/^[\w.:/-]*:\d+(\.\d+)?$/.test(display)) throw new X11Error(`'${display}' is not an X display name (expected e.g. :99 or host:0)`);
    let client: XClient | undefined;
    const info = await new Promise<XDisplayInfo>((resolve, reject) => {
      const timer = setTimeout(() => reject(new X11Error(`no answer from X display ${display} within ${timeoutMs} ms`)), timeoutMs);
      try {
        client = x11().createClient({ display }, (err, d) => {
          clearTimeout(timer);
          if (err) reject(new X11Error(`cannot reach X display ${display}: ${err.message}`));
          else resolve(d);
        });
        client.on('error', (e) => {
          clearTimeout(timer);
          reject(new X11Error(`cannot reach X display ${display}: ${(e as Error)?.message ?? e}`));
        });
      } catch (e) {
        clearTimeout(timer);
        reject(new X11Error(`cannot reach X display ${display}: ${(e as Error).message}`));
      }
    }).catch((e) => {
      try {
        client?.terminate();
      } catch {
        // already down
      }
      throw e;
    });
    const c = info.client;
    const xtest = await new Promise<XTest>((resolve, reject) =>
      c.require('xtest', (err, ext) => (err ? reject(new X11Error(`X display ${display} lacks the XTEST extension: ${err.message}`)) : resolve(ext))),
    ).catch((e) => {
      c.terminate();
      throw e;
    });
    return new X11Display(display, c, info, xtest);
  }

  get root(): number {
    return this.info.screen[0]!.root;
  }

  private call<T>(fn: (cb: (err: Error | null, v: T) => void) => void): Promise<T> {
    if (this.lost) return Promise.reject(new X11Error(`X display ${this.name} is gone: ${this.lost}`));
    return new Promise<T>((resolve, reject) => {
      fn((err, v) => (err ? reject(new X11Error(`X request failed on ${this.name}: ${err.message ?? err}`)) : resolve(v)));
    });
  }

  private check(): void {
    if (this.lost) throw new X11Error(`X display ${this.name} is gone: ${this.lost}`);
  }

  /** The root window's current size (follows RandR resizes). */
  async size(): Promise<{ width: number; height: number }> {
    const g = await this.call<{ width: number; height: number }>((cb) => this.client.GetGeometry(this.root, cb));
    return { width: g.width, height: g.height };
  }

  /** The root window's pixels as RGBA (alpha 255). Handles 24/32-bit TrueColor screens (32 bits per pixel, BGRX). */
  async capture(): Promise<{ width: number; height: number; data: Uint8Array }> {
    const { width, height } = await this.size();
    const img = await this.call<{ depth: number; data: Buffer }>((cb) => this.client.GetImage(2, this.root, 0, 0, width, height, 0xffffffff, cb));
    const px = width * height;
    if (img.data.length < px * 4) {
      throw new X11Error(`X display ${this.name}: unsupported screen format (depth ${img.depth}, ${img.data.length} bytes for ${width}x${height})`);
    }
    const src = img.data;
    const out = new Uint8Array(px * 4);
    for (let i = 0; i < px * 4; i += 4) {
      out[i] = src[i + 2]!;
      out[i + 1] = src[i + 1]!;
      out[i + 2] = src[i]!;
      out[i + 3] = 255;
    }
    return { width, height, data: out };
  }

  /** Waits until the server has processed every request sent so far (one round trip). */
  async sync(): Promise<void> {
    await this.call((cb) => this.client.GetInputFocus(cb));
  }

  async pointer(): Promise<{ x: number; y: number }> {
    const p = await this.call<{ rootX: number; rootY: number }>((cb) => this.client.QueryPointer(this.root, cb));
    return { x: p.rootX, y: p.rootY };
  }

  /** Keycodes the server currently holds down. */
  async pressedKeycodes(): Promise<number[]> {
    const bits = await this.call<Buffer>((cb) => this.client.QueryKeymap(cb));
    const out: number[] = [];
    for (let i = 0; i < 256; i++) if (bits[i >> 3]! & (1 << (i & 7))) out.push(i);
    return out;
  }

  motion(x: number, y: number): void {
    this.check();
    this.xtest.FakeInput(this.xtest.MotionNotify, 0, 0, this.root, Math.round(x), Math.round(y));
  }

  button(button: number, down: boolean): void {
    this.check();
    this.xtest.FakeInput(down ? this.xtest.ButtonPress : this.xtest.ButtonRelease, button, 0, 0, 0, 0);
  }

  key(keycode: number, down: boolean): void {
    this.check();
    this.xtest.FakeInput(down ? this.xtest.KeyPress : this.xtest.KeyRelease, keycode, 0, 0, 0, 0);
  }

  get minKeycode(): number {
    return this.info.min_keycode;
  }

  /** keysyms per keycode, from min_keycode (cached; refresh after changing it). */
  async keyboardMapping(refresh = false): Promise<number[][]> {
    if (!this.keymap || refresh) {
      const n = this.info.max_keycode - this.info.min_keycode + 1;
      this.keymap = await this.call<number[][]>((cb) => this.client.GetKeyboardMapping(this.info.min_keycode, n, cb));
    }
    return this.keymap;
  }

  /** Binds `keysyms` (one row) to `keycode`. */
  async setKeysyms(keycode: number, keysyms: number[]): Promise<void> {
    this.check();
    this.client.ChangeKeyboardMapping(keycode, keysyms.length, keysyms);
    if (this.keymap) this.keymap[keycode - this.info.min_keycode] = [...keysyms];
    await this.sync();
  }

  /** Grabs keycode+modifiers on the root window (also with Caps Lock / Num Lock on); calls `fn` on each press. */
  grabKey(keycode: number, modifiers: number, fn: () => void): () => void {
    this.check();
    const variants = [0, MOD.lock, MOD.mod2, MOD.lock | MOD.mod2].map((m) => modifiers | m);
    for (const m of variants) this.client.GrabKey(this.root, 1, m, keycode, 1, 1);
    const wanted = modifiers & ~(MOD.lock | MOD.mod2);
    const listener = (k: number, state: number) => {
      if (k === keycode && (state & ~(MOD.lock | MOD.mod2) & 0xff) === wanted) fn();
    };
    this.keyListeners.push(listener);
    return () => {
      this.keyListeners = this.keyListeners.filter((l) => l !== listener);
      if (!this.lost) for (const m of variants) this.client.UngrabKey(this.root, keycode, m);
    };
  }

  close(): void {
    if (this.lost === 'closed') return;
    this.lost = 'closed';
    try {
      this.client.terminate();
    } catch {
      // already gone
    }
  }
}
