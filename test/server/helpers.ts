/** Shared by the dashboard tests: run folders written like the trainer writes them, and raw HTTP. */
import { mkdirSync, writeFileSync, appendFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';

/** A run folder with config.json and `steps` metrics lines (no training). */
export function fakeRun(root: string, name: string, o: { steps?: number; total?: number; model?: string; data?: string; lossAt?: (s: number) => number } = {}): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'checkpoints'), { recursive: true });
  mkdirSync(join(dir, 'samples'), { recursive: true });
  const total = o.total ?? 1000;
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({ version: 1, model: o.model ?? 'gaussian', modelConfig: {}, data: { name: o.data ?? 'moons', kind: '2d', shape: [2] }, train: { steps: total, seed: 0 }, createdAt: new Date().toISOString() }),
  );
  const n = o.steps ?? 0;
  const f = o.lossAt ?? ((s: number) => 2 + 1 / s);
  let text = '';
  for (let s = 1; s <= n; s++) text += `${JSON.stringify({ step: s * 10, loss: f(s * 10), nll: f(s * 10), lr: 1e-3, itPerSec: 100, time: s / 10 })}\n`;
  if (text) appendFileSync(join(dir, 'metrics.jsonl'), text);
  return dir;
}

/** A GET with the path sent exactly as given (no normalization), returning status and body. */
export function rawGet(base: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Polls until fn returns a truthy value (or throws after timeoutMs). */
export async function until<T>(fn: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Reads a server-sent event stream: its raw text so far, and each event (name, parsed data) as it comes. */
export async function openEvents(url: URL | string, onEvent: (event: string, data: unknown) => void = () => undefined): Promise<{ text: string; close(): Promise<void> }> {
  const ctl = new AbortController();
  const res = await fetch(url, { signal: ctl.signal });
  const reader = res.body!.getReader();
  const out = { text: '', close: async () => undefined as void };
  const pump = (async () => {
    const dec = new TextDecoder();
    let buf = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const chunk = dec.decode(value);
        out.text += chunk;
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (ev && data !== undefined) onEvent(ev, JSON.parse(data));
        }
      }
    } catch {
      /* closed */
    }
  })();
  out.close = async () => {
    ctl.abort();
    await pump;
  };
  return out;
}
