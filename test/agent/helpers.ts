/** Local servers for the agent tests: a scripted OpenAI-compatible endpoint and a test web site. 127.0.0.1 only. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';

export const CHROMIUM = process.env.GENLAB_CHROMIUM ?? '/usr/bin/chromium';
export const NO_CHROMIUM = existsSync(CHROMIUM) ? false : `Chromium not found at ${CHROMIUM} (apt-get install chromium)`;

export interface ChatRequest {
  model: string;
  messages: { role: string; content: string | { type: string; text?: string; image_url?: { url: string } }[] }[];
  [k: string]: unknown;
}

export type Reply =
  | { text: string; delayMs?: number }
  | { status: number; body: string; headers?: Record<string, string> }
  | { hang: true }
  | { destroy: true };

export interface ModelServer {
  url: string;
  requests: { body: ChatRequest; headers: IncomingMessage['headers'] }[];
  close(): Promise<void>;
}

export function chatJson(text: string): string {
  return JSON.stringify({
    id: 'chatcmpl-test',
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
  });
}

/** An OpenAI-compatible server answering each request with `script(request, index)`. */
export async function startModelServer(script: (req: ChatRequest, index: number) => Reply | Promise<Reply>): Promise<ModelServer> {
  const requests: ModelServer['requests'] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404).end('not found');
      return;
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatRequest;
    const index = requests.length;
    requests.push({ body, headers: req.headers });
    let reply: Reply;
    try {
      reply = await script(body, index);
    } catch (e) {
      res.writeHead(500).end(String(e));
      return;
    }
    if ('hang' in reply) return; // never answers
    if ('destroy' in reply) {
      req.socket.destroy();
      return;
    }
    if ('status' in reply) {
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers }).end(reply.body);
      return;
    }
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    res.writeHead(200, { 'content-type': 'application/json' }).end(chatJson(reply.text));
  });
  // Keep idle connections longer than the slowest step: with Node's 5 s default, a client reusing a connection at
  // the moment the server drops it gets a socket error (seen on a loaded machine between 2560x1440 steps).
  server.keepAliveTimeout = 120_000;
  const url = await listen(server);
  return { url: `${url}/v1`, requests, close: () => closeServer(server) };
}

export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A port on 127.0.0.1 with nothing listening (bound, then released). */
export async function deadPort(): Promise<number> {
  const s = createServer();
  const url = await listen(s);
  await closeServer(s);
  return Number(new URL(url).port);
}

/** The last image of a chat request, decoded from its data URL. */
export function lastImage(req: ChatRequest): Buffer {
  for (let i = req.messages.length - 1; i >= 0; i--) {
    const c = req.messages[i]!.content;
    if (Array.isArray(c)) {
      const part = c.find((p) => p.type === 'image_url');
      if (part?.image_url) return Buffer.from(part.image_url.url.replace(/^data:image\/\w+;base64,/, ''), 'base64');
    }
  }
  throw new Error('no image in request');
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export async function startHttp(handler: Handler): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(handler);
  const url = await listen(server);
  return { url, close: () => closeServer(server) };
}

/** Runs a CLI entry point with console.log / console.error captured. */
export async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const log = console.log;
  const error = console.error;
  let out = '';
  let err = '';
  console.log = (...a: unknown[]) => void (out += a.join(' ') + '\n');
  console.error = (...a: unknown[]) => void (err += a.join(' ') + '\n');
  try {
    return { code: await fn(), out, err };
  } finally {
    console.log = log;
    console.error = error;
  }
}
