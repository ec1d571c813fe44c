/**
 * A real X server for tests: Xvfb on a free display (picked by the server itself, -displayfd), and programs
 * (headful Chromium, xterm) started on it. Everything is killed by close(), including process groups.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NO_XVFB = existsSync('/usr/bin/Xvfb') ? false : 'Xvfb not found (apt-get install xvfb)';
export const NO_XTERM = existsSync('/usr/bin/xterm') ? false : 'xterm not found (apt-get install xterm)';
export const NO_XCLIP = existsSync('/usr/bin/xclip') ? false : 'xclip not found (apt-get install xclip)';

export interface XServer {
  display: string;
  close(): Promise<void>;
}

function stop(p: ChildProcess, group: boolean): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      try {
        if (group) process.kill(-p.pid!, 'SIGKILL');
        else p.kill('SIGKILL');
      } catch {
        // gone
      }
    }, 2000);
    p.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    try {
      if (group) process.kill(-p.pid!, 'SIGTERM');
      else p.kill('SIGTERM');
    } catch {
      clearTimeout(t);
      resolve();
    }
  });
}

/** Starts Xvfb with one screen of width x height x 24. */
export async function startXvfb(width: number, height: number): Promise<XServer> {
  const p = spawn('/usr/bin/Xvfb', ['-displayfd', '3', '-screen', '0', `${width}x${height}x24`, '-nolisten', 'tcp', '-noreset'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  let err = '';
  p.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const display = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`Xvfb did not start in 10 s: ${err}`)), 10000);
    (p.stdio[3] as NodeJS.ReadableStream).on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(`:${out.trim()}`);
      }
    });
    p.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb exited with ${code}: ${err}`));
    });
  }).catch(async (e) => {
    await stop(p, false);
    throw e;
  });
  return { display, close: () => stop(p, false) };
}

export interface App {
  proc: ChildProcess;
  close(): Promise<void>;
}

/** Starts a program on `display` in its own process group. */
export function startApp(display: string, cmd: string, args: string[], env: Record<string, string> = {}): App {
  const p = spawn(cmd, args, { env: { ...process.env, DISPLAY: display, ...env }, stdio: 'ignore', detached: true });
  p.on('error', () => {});
  return { proc: p, close: () => stop(p, true) };
}

/** Headful Chromium, full screen (kiosk, no window manager needed), at `url`. */
export function startChromium(display: string, chromium: string, url: string, width: number, height: number): App {
  const profile = mkdtempSync(join(tmpdir(), 'genlab-chromium-'));
  const app = startApp(display, chromium, [
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-quic',
    '--disable-smooth-scrolling',
    '--disable-features=Translate,MediaRouter',
    '--force-device-scale-factor=1',
    '--password-store=basic',
    `--user-data-dir=${profile}`,
    '--kiosk',
    '--window-position=0,0',
    `--window-size=${width},${height}`,
    url,
  ]);
  return {
    proc: app.proc,
    close: async () => {
      await app.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` until it returns a value (not undefined) or `ms` pass. */
export async function waitFor<T>(fn: () => T | undefined | Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
