/**
 * Server-sent events: each browser tab holds one stream (`GET /api/events`) and says what it follows:
 * `list=1` for run-list rows, `run=<name>` (repeatable) for one run's appended metrics and files,
 * `playground=1` for the playground's frames. Events are JSON; a comment line every 15 s keeps proxies
 * and idle sockets from closing the stream.
 */
import type { ServerResponse } from 'node:http';

export interface Subscription {
  list: boolean;
  runs: Set<string>;
  playground: boolean;
}

interface Client {
  res: ServerResponse;
  sub: Subscription;
}

export type Topic = { kind: 'list' } | { kind: 'run'; run: string } | { kind: 'playground' };

export class EventHub {
  private clients = new Set<Client>();
  private heartbeat: NodeJS.Timeout;

  constructor() {
    this.heartbeat = setInterval(() => {
      for (const c of this.clients) c.res.write(': ping\n\n');
    }, 15_000);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /** Takes over a response as an event stream. */
  attach(res: ServerResponse, sub: Subscription, first: { event: string; data: unknown }[] = []): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 1000\n\n');
    const c: Client = { res, sub };
    this.clients.add(c);
    for (const e of first) this.write(c, e.event, e.data);
    const drop = () => this.clients.delete(c);
    res.on('close', drop);
    res.on('error', drop);
  }

  private write(c: Client, event: string, data: unknown): void {
    c.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** Sends to every client following the topic. */
  send(topic: Topic, event: string, data: unknown): void {
    let payload: string | null = null;
    for (const c of this.clients) {
      const wants =
        topic.kind === 'list' ? c.sub.list : topic.kind === 'run' ? c.sub.runs.has(topic.run) : c.sub.playground;
      if (!wants) continue;
      payload ??= `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
      c.res.write(payload);
    }
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const c of this.clients) c.res.end();
    this.clients.clear();
  }
}
