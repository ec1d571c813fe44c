/** Talking to the genlab server: JSON calls, file URLs and the event stream, all carrying the token when there is one. */

const fromUrl = new URLSearchParams(location.search).get('token');
if (fromUrl) sessionStorage.setItem('genlab-token', fromUrl);
export const token: string | null = fromUrl ?? sessionStorage.getItem('genlab-token');

export function apiUrl(path: string, params: Record<string, string | string[] | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    for (const x of Array.isArray(v) ? v : [v]) q.append(k, x);
  }
  if (token) q.set('token', token);
  const s = q.toString();
  return `${path}${s ? `?${s}` : ''}`;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(apiUrl(path), {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { error: text };
  }
  if (!res.ok) throw new ApiError(res.status, (data as { error?: string })?.error ?? `${res.status} ${res.statusText}`);
  return data as T;
}

export const get = <T>(path: string) => call<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}) => call<T>('POST', path, body);

/** URL of a file of a run (path relative to the run folder). */
export function runFile(run: string, rel: string, download = false): string {
  const p = [run, ...rel.split('/')].map(encodeURIComponent).join('/');
  return apiUrl(`/api/files/${p}`, download ? { download: '1' } : {});
}

export function runPath(run: string, suffix = ''): string {
  return `/api/runs/${encodeURIComponent(run)}${suffix}`;
}

export type Handlers = Record<string, (data: any) => void>;

/** Opens the event stream for the given topics; returns a function that closes it. */
export function subscribe(topics: { list?: boolean; runs?: string[]; playground?: boolean }, handlers: Handlers, onState?: (open: boolean) => void): () => void {
  const es = new EventSource(
    apiUrl('/api/events', { list: topics.list ? '1' : undefined, run: topics.runs ?? [], playground: topics.playground ? '1' : undefined }),
  );
  for (const [event, fn] of Object.entries(handlers)) es.addEventListener(event, (e) => fn(JSON.parse((e as MessageEvent).data)));
  es.onopen = () => onState?.(true);
  es.onerror = () => onState?.(false);
  return () => es.close();
}
