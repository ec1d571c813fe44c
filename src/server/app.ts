/**
 * `genlab serve`: the dashboard's HTTP server (fastify). JSON API under /api, a server-sent event
 * stream (/api/events), run files confined to the runs folder (/api/files/<run>/<path>), agent
 * trajectories (/api/agent), the 2D playground and the run actions (sample, eval, trash); the pages
 * are the static bundle in web/dist.
 *
 * Safety: binds 127.0.0.1 unless told otherwise; on any other address every /api request needs the
 * token printed at start (header `x-genlab-token` or `?token=`). On loopback without a token, requests
 * must name a loopback Host (no DNS rebinding), and a cross-origin Origin is refused.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunIndex } from './runs.ts';
import { EventHub, type Subscription } from './events.ts';
import { PathError, checkRunName, confine, decodeRelative } from './safe-path.ts';
import { BadRequest, Playground, playgroundChoices, type PlaygroundRequest } from './playground.ts';
import { startJob } from './jobs.ts';

export interface ServeOptions {
  /** Folder of runs (default 'runs'; created when missing). */
  runs?: string;
  /** Folder of agent trajectories (default 'agent-runs'); runs/ is searched too. */
  agentRuns?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Required on every /api request; generated when the host is not loopback and none is given. */
  token?: string;
  /** Static pages (default: the package's web/dist). */
  webDir?: string;
  /** A run with no write for this long is no longer 'running' (ms). */
  staleMs?: number;
  /** Playground: ms between frames, torch threads of the worker. */
  frameMs?: number;
  threads?: number;
  /** Fastify's logger (default off). */
  logger?: boolean;
}

export interface Dashboard {
  app: FastifyInstance;
  index: RunIndex;
  hub: EventHub;
  playground: Playground;
  url: string;
  token: string | null;
  close(): Promise<void>;
}

export const WEB_DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function sameSecret(a: string, b: string): boolean {
  const h = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(a), h(b));
}

function hostnameOf(hostHeader: string | undefined): string {
  if (!hostHeader) return '';
  if (hostHeader.startsWith('[')) return hostHeader.slice(0, hostHeader.indexOf(']') + 1);
  return hostHeader.split(':')[0]!;
}

/** The raw (still percent-encoded) path after a prefix, without the query. */
function rawTail(req: FastifyRequest, prefix: string): string {
  const url = req.raw.url ?? '';
  const path = url.split('?')[0]!;
  return path.startsWith(prefix) ? path.slice(prefix.length) : '';
}

function sendError(reply: FastifyReply, e: unknown): FastifyReply {
  if (e instanceof PathError) return reply.code(e.status).send({ error: e.message });
  if (e instanceof BadRequest) return reply.code(400).send({ error: e.message });
  return reply.code(500).send({ error: (e as Error)?.message ?? String(e) });
}

const MIME: Record<string, string> = {
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.json': 'application/json; charset=utf-8',
  '.jsonl': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.safetensors': 'application/octet-stream',
};

function mimeOf(path: string): string {
  const m = /\.[a-z]+$/i.exec(path);
  return (m && MIME[m[0].toLowerCase()]) || 'application/octet-stream';
}

/** Sends a file found inside root (PathError otherwise). */
function sendConfined(reply: FastifyReply, root: string, rawRel: string, download: boolean): FastifyReply {
  const rel = decodeRelative(rawRel);
  const real = confine(root, rel);
  const size = statSync(real).size;
  reply.header('content-type', mimeOf(real)).header('content-length', size).header('x-content-type-options', 'nosniff').header('cache-control', 'no-cache');
  if (download) reply.header('content-disposition', `attachment; filename="${basename(real).replace(/[^\w.-]/g, '_')}"`);
  return reply.send(createReadStream(real));
}

/** Agent trajectories (folders with trajectory.json) under the roots, up to two levels deep. */
function findTrajectories(roots: string[]): { id: string; root: number; path: string; instruction: string; status: string; steps: number; startedAt: string }[] {
  const out: ReturnType<typeof findTrajectories> = [];
  const visit = (ri: number, dir: string, rel: string, depth: number) => {
    const tj = join(dir, 'trajectory.json');
    if (existsSync(tj)) {
      try {
        const r = JSON.parse(readFileSync(tj, 'utf8')) as { format?: string; instruction?: string; status?: string; steps?: unknown[]; startedAt?: string };
        if (r.format === 'genlab-agent-trajectory') {
          out.push({ id: `${ri}/${rel}`, root: ri, path: rel, instruction: String(r.instruction ?? ''), status: String(r.status ?? ''), steps: Array.isArray(r.steps) ? r.steps.length : 0, startedAt: String(r.startedAt ?? '') });
        }
      } catch {
        /* being written: next time */
      }
      return;
    }
    if (depth >= 2) return;
    let names: string[] = [];
    try {
      names = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name);
    } catch {
      return;
    }
    for (const n of names) visit(ri, join(dir, n), rel ? `${rel}/${n}` : n, depth + 1);
  };
  roots.forEach((r, i) => visit(i, r, '', 0));
  return out.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}

export async function startDashboard(o: ServeOptions = {}): Promise<Dashboard> {
  const host = o.host ?? '127.0.0.1';
  const runsDir = resolve(o.runs ?? 'runs');
  mkdirSync(runsDir, { recursive: true });
  const agentRoots = [runsDir, resolve(o.agentRuns ?? 'agent-runs')];
  const token = o.token ?? (isLoopback(host) ? null : randomBytes(18).toString('base64url'));
  const webDir = o.webDir ?? WEB_DIST;
  if (!existsSync(join(webDir, 'index.html'))) throw new Error(`the dashboard's pages are missing: no ${join(webDir, 'index.html')} (build them with 'npm run build:web')`);

  const hub = new EventHub();
  let playground: Playground;
  const index = new RunIndex(runsDir, { staleMs: o.staleMs, isActive: (n) => playground?.activeRun === n });
  playground = new Playground(runsDir, (event, data) => hub.send({ kind: 'playground' }, event, data), {
    frameMs: o.frameMs,
    threads: o.threads,
    onRunChange: (run) => index.touch(run),
  });
  index.on('summary', (s: { name: string }) => {
    hub.send({ kind: 'list' }, 'summary', s);
    hub.send({ kind: 'run', run: s.name }, 'summary', s);
  });
  index.on('removed', (e: { run: string }) => {
    hub.send({ kind: 'list' }, 'removed', e);
    hub.send({ kind: 'run', run: e.run }, 'removed', e);
  });
  index.on('metrics', (e: { run: string; rows: unknown[] }) => hub.send({ kind: 'run', run: e.run }, 'metrics', e));
  index.on('reset', (e: { run: string }) => hub.send({ kind: 'run', run: e.run }, 'reset', e));
  index.on('files', (e: { run: string }) => hub.send({ kind: 'run', run: e.run }, 'files', index.detail(e.run)));
  index.on('warning', (e: { run: string; message: string }) => {
    hub.send({ kind: 'run', run: e.run }, 'warning', e);
    hub.send({ kind: 'list' }, 'warning', e);
  });
  index.start();

  const app = Fastify({ logger: o.logger ?? false, bodyLimit: 1 << 20 });

  app.addHook('onRequest', async (req, reply) => {
    const url = req.raw.url ?? '';
    if (!url.startsWith('/api/')) return;
    if (token) {
      const q = (req.query as Record<string, unknown> | undefined)?.token;
      const given = (req.headers['x-genlab-token'] as string | undefined) ?? (typeof q === 'string' ? q : undefined);
      if (!given || !sameSecret(given, token)) {
        return reply.code(401).send({ error: 'a token is required: open the URL genlab serve printed at start (it ends in ?token=...)' });
      }
    } else {
      const h = hostnameOf(req.headers.host);
      if (!isLoopback(h)) return reply.code(403).send({ error: `this dashboard serves loopback hosts only, not Host '${String(req.headers.host).slice(0, 80)}'` });
    }
    const origin = req.headers.origin;
    if (origin && origin !== 'null') {
      let ok = false;
      try {
        ok = new URL(origin).host === req.headers.host;
      } catch {
        ok = false;
      }
      if (!ok) return reply.code(403).send({ error: `cross-origin request from ${origin.slice(0, 80)} refused` });
    }
  });

  await app.register(fastifyStatic, { root: webDir, prefix: '/', index: ['index.html'], cacheControl: false });

  app.get('/api/health', async () => ({ ok: true, runs: runsDir }));

  app.get('/api/runs', async () => ({ root: runsDir, runs: index.summaries() }));

  app.get<{ Params: { name: string } }>('/api/runs/:name', async (req, reply) => {
    try {
      const d = index.detail(checkRunName(req.params.name));
      if (!d) return reply.code(404).send({ error: `no run '${req.params.name}' in ${runsDir}` });
      return d;
    } catch (e) {
      return sendError(reply, e);
    }
  });

  app.get<{ Params: { name: string } }>('/api/runs/:name/metrics', async (req, reply) => {
    try {
      const m = index.metrics(checkRunName(req.params.name));
      if (!m) return reply.code(404).send({ error: `no run '${req.params.name}'` });
      return m;
    } catch (e) {
      return sendError(reply, e);
    }
  });

  app.get('/api/files/*', async (req, reply) => {
    try {
      const download = (req.query as Record<string, unknown>).download === '1';
      return sendConfined(reply, runsDir, rawTail(req, '/api/files/'), download);
    } catch (e) {
      return sendError(reply, e);
    }
  });

  app.get('/api/agent', async () => ({ roots: agentRoots, trajectories: findTrajectories(agentRoots) }));

  app.get<{ Params: { root: string } }>('/api/agent-files/:root/*', async (req, reply) => {
    try {
      const ri = Number(req.params.root);
      if (!Number.isInteger(ri) || ri < 0 || ri >= agentRoots.length) throw new PathError(404, `no trajectory root '${req.params.root}'`);
      return sendConfined(reply, agentRoots[ri]!, rawTail(req, `/api/agent-files/${req.params.root}/`), false);
    } catch (e) {
      return sendError(reply, e);
    }
  });

  app.get('/api/events', (req, reply) => {
    const q = req.query as Record<string, string | string[] | undefined>;
    const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
    const sub: Subscription = { list: q.list === '1', runs: new Set(list(q.run)), playground: q.playground === '1' };
    reply.hijack();
    const first: { event: string; data: unknown }[] = [];
    if (sub.list) first.push({ event: 'runs', data: index.summaries() });
    if (sub.playground) first.push({ event: 'state', data: playground.publicState() });
    hub.attach(reply.raw, sub, first);
  });

  app.get('/api/registry', async () => playgroundChoices());

  app.get('/api/playground', async () => playground.publicState());

  app.post<{ Body: PlaygroundRequest }>('/api/playground', async (req, reply) => {
    try {
      const r = await playground.start(req.body);
      return r;
    } catch (e) {
      return sendError(reply, e);
    }
  });

  app.post('/api/playground/stop', async () => ({ stopping: playground.stop() }));

  const runJob = async (reply: FastifyReply, name: string, kind: 'sample' | 'eval', body: Record<string, unknown>) => {
    try {
      checkRunName(name);
      const dir = index.dirOf(name);
      if (!dir) throw new PathError(404, `no run '${name}'`);
      if (!index.detail(name)!.checkpoints.length) throw new BadRequest(`run '${name}' has no checkpoint yet`);
      const n = body.n === undefined ? undefined : Number(body.n);
      if (n !== undefined && !(Number.isInteger(n) && n >= 1 && n <= 100_000)) throw new BadRequest(`'n' must be an integer in [1, 100000], got ${JSON.stringify(body.n)}`);
      const seed = body.seed === undefined ? 0 : Number(body.seed);
      if (!(Number.isInteger(seed) && seed >= 0)) throw new BadRequest(`'seed' must be a non-negative integer, got ${JSON.stringify(body.seed)}`);
      const job =
        kind === 'sample'
          ? startJob({ kind: 'sample', run: dir, n: n ?? (index.detail(name)!.config?.data?.kind === 'image' ? 64 : 2000), seed })
          : startJob({ kind: 'eval', run: dir, ...(n ? { n } : {}) });
      const result = await job.done;
      index.touch(name);
      return { run: name, ...result };
    } catch (e) {
      return sendError(reply, e instanceof Error && !(e instanceof PathError) && !(e instanceof BadRequest) ? new BadRequest(e.message) : e);
    }
  };

  app.post<{ Params: { name: string }; Body: Record<string, unknown> | undefined }>('/api/runs/:name/sample', async (req, reply) => runJob(reply, req.params.name, 'sample', req.body ?? {}));
  app.post<{ Params: { name: string }; Body: Record<string, unknown> | undefined }>('/api/runs/:name/eval', async (req, reply) => runJob(reply, req.params.name, 'eval', req.body ?? {}));

  app.post<{ Params: { name: string }; Body: { confirm?: string } | undefined }>('/api/runs/:name/trash', async (req, reply) => {
    try {
      const name = checkRunName(req.params.name);
      const dir = index.dirOf(name);
      if (!dir) throw new PathError(404, `no run '${name}'`);
      if (req.body?.confirm !== name) throw new BadRequest(`to move '${name}' to the trash, send { "confirm": "${name}" }`);
      if (playground.activeRun === name) throw new BadRequest(`'${name}' is training in the playground; stop it first`);
      const trash = join(runsDir, '.trash');
      mkdirSync(trash, { recursive: true });
      const dest = join(trash, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      renameSync(dir, dest);
      index.scanRoot();
      return { run: name, movedTo: dest };
    } catch (e) {
      return sendError(reply, e);
    }
  });

  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ error: `no route ${req.method} ${(req.raw.url ?? '').slice(0, 100)}` });
  });

  await app.listen({ host, port: o.port ?? 8765 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (o.port ?? 8765);
  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  const url = `http://${shownHost}:${port}/${token ? `?token=${token}` : ''}`;
  return {
    app,
    index,
    hub,
    playground,
    url,
    token,
    close: async () => {
      await playground.close();
      index.stop();
      hub.close();
      await app.close();
    },
  };
}
