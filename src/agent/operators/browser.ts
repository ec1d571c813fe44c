/**
 * A browser operator on Playwright (playwright-core, any Chromium; no browser download).
 *
 * Actions arrive with normalized positions (fractions of the screenshot). The screenshot is taken at device
 * resolution (CSS size x devicePixelRatio), so a fraction times the CSS viewport size is the CSS pixel that
 * Playwright's mouse expects, whatever the device pixel ratio; no division by the DPR is left to get wrong.
 */
import { mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Browser, BrowserContext, Dialog, Download, FileChooser, Page } from 'playwright-core';
import { directionVector as dirVec, type Action } from '../actions.ts';
import { pngSize } from '../png.ts';
import { sleep } from '../model-client.ts';
import { OperatorClosedError, UnsupportedActionError, type ExecuteResult, type Operator, type OperatorEvent, type Screenshot } from './operator.ts';

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/** The Chromium flags genlab launches with (headless, no GPU, no background traffic). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface BrowserOperatorOptions {
  /** Duration of `wait()`, ms. Default 5000 (what the prompt promises the model). */
  waitMs?: number;
  /** Pixels (CSS) per scroll action. Default 500. */
  scrollAmount?: number;
  /** Pause after each action before the next screenshot, ms. Default 500. */
  settleMs?: number;
  /** Delay between typed characters, ms. Default 0. */
  typeDelayMs?: number;
  /** Hold time of long_press, ms. Default 800. */
  longPressMs?: number;
  /** Timeout for navigations and load waits, ms. Default 30000. */
  navigationTimeoutMs?: number;
  /** 'device' (default): screenshots at devicePixelRatio; 'css': one image pixel per CSS pixel. */
  screenshotScale?: 'device' | 'css';
  /** JavaScript dialogs (alert / confirm / prompt / beforeunload): 'accept' (default) or 'dismiss'. */
  dialogs?: 'accept' | 'dismiss';
  /** Text entered into prompt() dialogs when accepting. Default: the prompt's default value. */
  promptText?: string;
  /** Where downloads are saved. Default: a new genlab-downloads-* folder in the system temp folder. */
  downloadsDir?: string;
  /** Files given to a page's file chooser (<input type=file>); without them the chooser is answered with none. */
  files?: string[];
}

export interface LaunchOptions extends BrowserOperatorOptions {
  url?: string;
  executablePath?: string;
  /** Viewport in CSS pixels. Default 1280 x 800. */
  width?: number;
  height?: number;
  /** Device pixel ratio. Default 1. */
  deviceScaleFactor?: number;
  /** Extra Chromium flags. */
  args?: string[];
}

export class BrowserOperator implements Operator {
  readonly name = 'browser';
  readonly template = 'browser' as const;
  private readonly o: BrowserOperatorOptions;
  private owned: { browser: Browser; context: BrowserContext } | undefined;
  private closed = false;
  private active: Page;
  /** Pages the operator left for a new tab, most recent last (it returns to them when that tab closes). */
  private readonly previous: Page[] = [];
  private pending: OperatorEvent[] = [];
  /** Event handlers still at work (a download being saved, a dialog or file chooser being answered). */
  private inflight: Promise<void>[] = [];
  private downloadsDir: string | undefined;
  private readonly watchedContexts = new WeakSet<BrowserContext>();

  constructor(page: Page, options: BrowserOperatorOptions = {}) {
    this.o = options;
    this.active = page;
    this.watch(page);
  }

  /** The page the operator acts on: it follows links that open a new tab or window, and returns when one closes. */
  get page(): Page {
    return this.active;
  }

  private watch(page: Page): void {
    const ctx = page.context();
    if (!this.watchedContexts.has(ctx)) {
      this.watchedContexts.add(ctx);
      ctx.on('page', (p) => {
        this.watch(p);
        if (p === this.active) return;
        this.previous.push(this.active);
        this.active = p;
        const ev: OperatorEvent = { kind: 'new_tab', message: 'a new tab opened; now acting on it', detail: { url: p.url() } };
        this.pending.push(ev);
        // The URL is about:blank until the new page commits; name it once it has loaded.
        p.waitForLoadState('load', { timeout: this.o.navigationTimeoutMs ?? 30000 })
          .then(() => {
            ev.detail = { url: p.url() };
            ev.message = `a new tab opened ${p.url()}; now acting on it`;
          })
          .catch(() => {});
      });
    }
    page.on('dialog', (d) => this.inflight.push(this.onDialog(d)));
    page.on('download', (d) => this.inflight.push(this.onDownload(d)));
    page.on('filechooser', (f) => this.inflight.push(this.onFileChooser(f)));
    page.on('close', () => {
      if (page !== this.active) return;
      while (this.previous.length > 0 && this.previous[this.previous.length - 1]!.isClosed()) this.previous.pop();
      const back = this.previous.pop();
      if (!back) return;
      this.active = back;
      this.pending.push({ kind: 'tab_closed', message: `the tab closed; back to ${back.url()}`, detail: { url: back.url() } });
    });
  }

  private async onDialog(d: Dialog): Promise<void> {
    const type = d.type();
    const text = d.message();
    const accept = (this.o.dialogs ?? 'accept') === 'accept';
    const detail: OperatorEvent['detail'] = { type, message: text, accepted: accept };
    let how = accept ? 'accepted' : 'dismissed';
    try {
      if (accept) {
        if (type === 'prompt') {
          const value = this.o.promptText ?? d.defaultValue();
          detail.value = value;
          how = `answered ${JSON.stringify(value)}`;
          await d.accept(value);
        } else await d.accept();
      } else await d.dismiss();
    } catch (e) {
      how = `could not be answered: ${firstLine((e as Error).message)}`;
    }
    this.pending.push({ kind: 'dialog', message: `${type}(${JSON.stringify(text)}) ${how}`, detail });
  }

  private async onDownload(d: Download): Promise<void> {
    const suggested = basename(d.suggestedFilename()) || 'download';
    try {
      if (!this.downloadsDir) {
        if (this.o.downloadsDir) mkdirSync(this.o.downloadsDir, { recursive: true });
        this.downloadsDir = this.o.downloadsDir ?? mkdtempSync(join(tmpdir(), 'genlab-downloads-'));
      }
      let path = join(this.downloadsDir, suggested);
      for (let i = 1; existsQuiet(path); i++) path = join(this.downloadsDir, suggested.replace(/(\.[^.]*)?$/, `-${i}$1`));
      await d.saveAs(path);
      const bytes = statSync(path).size;
      this.pending.push({ kind: 'download', message: `saved ${suggested} (${bytes} bytes) to ${path}`, detail: { url: d.url(), file: suggested, path, bytes } });
    } catch (e) {
      this.pending.push({ kind: 'download', message: `${suggested} failed: ${firstLine((e as Error).message)}`, detail: { url: d.url(), file: suggested, failed: true } });
    }
  }

  private async onFileChooser(f: FileChooser): Promise<void> {
    const offered = this.o.files ?? [];
    const files = f.isMultiple() ? offered : offered.slice(0, 1);
    try {
      await f.setFiles(files);
      this.pending.push({
        kind: 'file_chooser',
        message: files.length > 0 ? `chose ${files.map((x) => basename(x)).join(', ')}` : 'answered with no file (no files offered to the operator)',
        detail: { multiple: f.isMultiple(), files },
      });
    } catch (e) {
      this.pending.push({ kind: 'file_chooser', message: `could not answer: ${firstLine((e as Error).message)}`, detail: { multiple: f.isMultiple(), files: [] } });
    }
  }

  /** Events seen since the last call, once their handlers are done (downloads saved: up to timeoutMs). */
  private async drainEvents(timeoutMs: number): Promise<OperatorEvent[]> {
    if (this.inflight.length > 0) {
      const all = Promise.allSettled(this.inflight);
      this.inflight = [];
      await Promise.race([all, sleep(timeoutMs)]);
    }
    const out = this.pending;
    this.pending = [];
    return out;
  }

  /** Launches Chromium with genlab's flags, opens a page at `url`; close() closes the browser. */
  static async launch(options: LaunchOptions = {}): Promise<BrowserOperator> {
    const { chromium } = await importPlaywright();
    const browser = await chromium.launch({
      executablePath: options.executablePath ?? process.env.GENLAB_CHROMIUM ?? DEFAULT_CHROMIUM,
      headless: true,
      args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
    });
    try {
      const context = await browser.newContext({
        acceptDownloads: true,
        viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
        deviceScaleFactor: options.deviceScaleFactor ?? 1,
      });
      const page = await context.newPage();
      if (options.url) await page.goto(options.url, { waitUntil: 'load', timeout: options.navigationTimeoutMs ?? 30000 });
      const op = new BrowserOperator(page, options);
      op.owned = { browser, context };
      return op;
    } catch (e) {
      await browser.close().catch(() => {});
      throw e;
    }
  }

  /** CSS viewport size. */
  async viewport(): Promise<{ width: number; height: number }> {
    const v = this.page.viewportSize();
    if (v) return v;
    return this.guard(() => this.page.evaluate(() => ({ width: window.innerWidth, height: window.innerHeight })));
  }

  async screenshot(): Promise<Screenshot> {
    this.assertOpen();
    const png = await this.guard(() =>
      this.page.screenshot({ type: 'png', scale: this.o.screenshotScale ?? 'device', caret: 'hide', timeout: 30000 }),
    );
    const { width, height } = pngSize(png);
    const css = await this.viewport();
    return { png, width, height, scale: width / css.width };
  }

  async execute(action: Action, shot: Screenshot, signal?: AbortSignal): Promise<ExecuteResult> {
    this.assertOpen();
    const page = this.page;
    const now = await this.viewport();
    // The model pointed into the screenshot it saw: map through that image's size in CSS pixels, even when the
    // page has changed size since (a resized window, another tab).
    const width = shot.width / shot.scale;
    const height = shot.height / shot.scale;
    if (Math.abs(now.width - width) > 0.5 || Math.abs(now.height - height) > 0.5) {
      this.pending.push({
        kind: 'resize',
        message: `the page is ${now.width}x${now.height} now; the screenshot showed ${Math.round(width)}x${Math.round(height)}`,
        detail: { width: now.width, height: now.height, shotWidth: Math.round(width), shotHeight: Math.round(height) },
      });
    }
    const at = (p: { x: number; y: number }) => ({
      x: clamp(p.x * width, 0, width - 0.5),
      y: clamp(p.y * height, 0, height - 0.5),
    });
    const navTimeout = this.o.navigationTimeoutMs ?? 30000;
    const result: ExecuteResult = {};
    await this.guard(async () => {
      switch (action.type) {
        case 'click':
        case 'left_double':
        case 'right_single':
        case 'hover': {
          const p = at(action.target);
          result.points = [p];
          await page.mouse.move(p.x, p.y);
          if (action.type === 'click') await page.mouse.click(p.x, p.y);
          else if (action.type === 'left_double') await page.mouse.dblclick(p.x, p.y);
          else if (action.type === 'right_single') await page.mouse.click(p.x, p.y, { button: 'right' });
          break;
        }
        case 'long_press': {
          const p = at(action.target);
          result.points = [p];
          await page.mouse.move(p.x, p.y);
          await page.mouse.down();
          await sleep(this.o.longPressMs ?? 800, signal).catch(() => {});
          await page.mouse.up();
          break;
        }
        case 'drag':
        case 'swipe': {
          const s = at(action.start);
          let e: { x: number; y: number };
          if (action.type === 'drag') e = at(action.end);
          else if (action.end) e = at(action.end);
          else {
            const d = dirVec(action.direction!);
            e = { x: clamp(s.x + d.x * width * 0.3, 0, width - 0.5), y: clamp(s.y + d.y * height * 0.3, 0, height - 0.5) };
          }
          result.points = [s, e];
          await page.mouse.move(s.x, s.y);
          await page.mouse.down();
          await page.mouse.move(s.x + (e.x - s.x) * 0.1, s.y + (e.y - s.y) * 0.1, { steps: 2 });
          await page.mouse.move(e.x, e.y, { steps: 12 });
          await page.mouse.up();
          break;
        }
        case 'scroll': {
          const amount = this.o.scrollAmount ?? 500;
          if (action.target) {
            const p = at(action.target);
            result.points = [p];
            await page.mouse.move(p.x, p.y);
          }
          const d = dirVec(action.direction);
          await page.mouse.wheel(d.x * amount, d.y * amount);
          break;
        }
        case 'hotkey': {
          const keys = action.keys.map(playwrightKey);
          for (const k of keys) await page.keyboard.down(k);
          for (const k of [...keys].reverse()) await page.keyboard.up(k);
          break;
        }
        case 'key_down':
          await page.keyboard.down(playwrightKey(action.key));
          break;
        case 'key_up':
          await page.keyboard.up(playwrightKey(action.key));
          break;
        case 'type':
          if (action.text) await page.keyboard.type(action.text, { delay: this.o.typeDelayMs ?? 0 });
          if (action.submit) await page.keyboard.press('Enter');
          break;
        case 'wait':
          await sleep(this.o.waitMs ?? 5000, signal).catch(() => {});
          break;
        case 'navigate': {
          const url = /^[a-z][a-z0-9+.-]*:/i.test(action.url) ? action.url : `https://${action.url}`;
          await page.goto(url, { waitUntil: 'load', timeout: navTimeout });
          result.note = `navigated to ${page.url()}`;
          break;
        }
        case 'navigate_back':
        case 'press_back':
          await page.goBack({ waitUntil: 'load', timeout: navTimeout });
          result.note = `back to ${page.url()}`;
          break;
        case 'finished':
        case 'call_user':
          break;
        case 'press_home':
        case 'open_app':
          throw new UnsupportedActionError(`the browser operator cannot perform ${action.type}`);
        default: {
          const never: never = action;
          throw new UnsupportedActionError(`unknown action ${(never as Action).type}`);
        }
      }
      // Let the page react (and a navigation start) before the next screenshot.
      await sleep(this.o.settleMs ?? 500, signal).catch(() => {});
      await this.page.waitForLoadState('load', { timeout: navTimeout }).catch(() => {});
    });
    const events = await this.drainEvents(navTimeout);
    if (events.length > 0) result.events = events;
    return result;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.owned) await this.owned.browser.close().catch(() => {});
  }

  private assertOpen(): void {
    if (this.closed || this.page.isClosed()) throw new OperatorClosedError('the browser page has been closed');
  }

  /** Runs a Playwright call, turning "target closed" failures into OperatorClosedError. */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof UnsupportedActionError || e instanceof OperatorClosedError) throw e;
      const msg = (e as Error)?.message ?? String(e);
      if (this.page.isClosed() || /has been closed|Target closed|browser has disconnected|Browser closed/i.test(msg)) {
        throw new OperatorClosedError(`the browser is gone: ${firstLine(msg)}`);
      }
      throw e;
    }
  }
}

const KEY_NAMES: Record<string, string> = {
  ctrl: 'Control',
  control: 'Control',
  alt: 'Alt',
  option: 'Alt',
  shift: 'Shift',
  cmd: 'Meta',
  command: 'Meta',
  meta: 'Meta',
  win: 'Meta',
  super: 'Meta',
  enter: 'Enter',
  return: 'Enter',
  esc: 'Escape',
  escape: 'Escape',
  tab: 'Tab',
  space: ' ',
  backspace: 'Backspace',
  delete: 'Delete',
  del: 'Delete',
  insert: 'Insert',
  home: 'Home',
  end: 'End',
  pageup: 'PageUp',
  pagedown: 'PageDown',
  up: 'ArrowUp',
  down: 'ArrowDown',
  left: 'ArrowLeft',
  right: 'ArrowRight',
  arrowup: 'ArrowUp',
  arrowdown: 'ArrowDown',
  arrowleft: 'ArrowLeft',
  arrowright: 'ArrowRight',
  capslock: 'CapsLock',
  plus: '+',
};

/** A UI-TARS key name (lowercase, as the prompt asks) to a Playwright key. */
export function playwrightKey(k: string): string {
  const key = k.trim();
  const named = KEY_NAMES[key.toLowerCase()];
  if (named) return named;
  if (/^f([1-9]|1[0-2])$/i.test(key)) return key.toUpperCase();
  if ([...key].length === 1) return key;
  throw new UnsupportedActionError(`unknown key '${k}'`);
}


function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

function existsQuiet(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0]!;
}

/**
 * playwright-core is an optional peer dependency (only the browser operator needs it): a clear
 * error, naming the install command, when it is missing.
 */
async function importPlaywright(): Promise<typeof import('playwright-core')> {
  try {
    return await import('playwright-core');
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes('playwright-core')) {
      throw new Error("genlab's browser operator needs the optional peer dependency playwright-core: run `npm install playwright-core` in your project");
    }
    throw e;
  }
}
