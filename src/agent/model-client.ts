/**
 * An OpenAI-compatible chat-completions client for UI-TARS endpoints (vLLM, SGLang, TGI, hosted APIs), with
 * images as data URLs, a per-request timeout, retries of transient failures with exponential backoff, and
 * the message layout of the reference SDK.
 */

export type ChatContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | ChatContentPart[];
}

export interface Completion {
  text: string;
  /** Attempts it took (1 = no retry). */
  attempts: number;
  usage?: { promptTokens?: number; completionTokens?: number; totalTokens?: number };
}

/** Anything that turns messages into model text. The agent loop only needs this. */
export interface ModelClient {
  readonly name: string;
  complete(messages: ChatMessage[], options?: { signal?: AbortSignal }): Promise<Completion>;
}

export type ModelErrorKind = 'timeout' | 'unreachable' | 'http' | 'bad_response' | 'aborted';

export class ModelError extends Error {
  override name = 'ModelError';
  constructor(
    message: string,
    readonly kind: ModelErrorKind,
    readonly options: {
      status?: number;
      retryable?: boolean;
      attempts?: number;
      body?: string;
      retryAfterMs?: number;
      cause?: unknown;
    } = {},
  ) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
  }
  get status(): number | undefined {
    return this.options.status;
  }
  get retryable(): boolean {
    return this.options.retryable ?? false;
  }
  get attempts(): number {
    return this.options.attempts ?? 1;
  }
}

export interface OpenAIClientOptions {
  /** Base URL (e.g. http://127.0.0.1:8000/v1) or the full .../chat/completions URL. */
  endpoint: string;
  model: string;
  /** Defaults to GENLAB_AGENT_API_KEY, then OPENAI_API_KEY. */
  apiKey?: string;
  /** Per attempt, milliseconds. Default 120000. */
  timeoutMs?: number;
  /** Retries after the first attempt for timeouts, connection errors, 408/409/425/429 and 5xx. Default 3. */
  maxRetries?: number;
  /** First backoff delay in ms, doubled each retry (with up to 25% jitter), capped by maxBackoffMs. Default 1000. */
  backoffMs?: number;
  maxBackoffMs?: number;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  headers?: Record<string, string>;
  /** Extra fields merged into the request body (e.g. { frequency_penalty: 1 }). */
  extraBody?: Record<string, unknown>;
  /** Random source for the jitter (tests pass a fixed one). */
  random?: () => number;
  /** Called before each retry. */
  onRetry?: (error: ModelError, attempt: number, delayMs: number) => void;
  fetch?: typeof fetch;
}

/** `…/v1` -> `…/v1/chat/completions`; a URL that already ends in /chat/completions is kept. */
export function chatCompletionsUrl(endpoint: string): string {
  const u = endpoint.trim().replace(/\/+$/, '');
  if (!/^https?:\/\//i.test(u)) throw new Error(`model endpoint must be an http(s) URL, got '${endpoint}'`);
  return /\/chat\/completions$/.test(u) ? u : `${u}/chat/completions`;
}

export function apiKeyFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.GENLAB_AGENT_API_KEY || env.OPENAI_API_KEY || undefined;
}

const RETRYABLE_STATUS = new Set([408, 409, 425, 429, 500, 502, 503, 504]);

export class OpenAIChatClient implements ModelClient {
  readonly name: string;
  readonly url: string;
  private readonly o: OpenAIClientOptions;
  private readonly apiKey: string | undefined;

  constructor(options: OpenAIClientOptions) {
    this.o = options;
    this.url = chatCompletionsUrl(options.endpoint);
    this.name = options.model;
    this.apiKey = options.apiKey ?? apiKeyFromEnv();
    if (!options.model) throw new Error('OpenAIChatClient: model name is required');
  }

  async complete(messages: ChatMessage[], options: { signal?: AbortSignal } = {}): Promise<Completion> {
    const maxRetries = this.o.maxRetries ?? 3;
    const base = this.o.backoffMs ?? 1000;
    const cap = this.o.maxBackoffMs ?? 30000;
    const random = this.o.random ?? Math.random;
    for (let attempt = 1; ; attempt++) {
      try {
        const r = await this.attempt(messages, options.signal);
        return { ...r, attempts: attempt };
      } catch (e) {
        const err = e instanceof ModelError ? e : new ModelError(String((e as Error)?.message ?? e), 'bad_response', { cause: e });
        err.options.attempts = attempt;
        if (!err.retryable || attempt > maxRetries || options.signal?.aborted) throw err;
        let delay = Math.min(cap, base * 2 ** (attempt - 1));
        delay = delay * (1 + 0.25 * random());
        // A server's Retry-After is honoured up to the backoff cap.
        if (err.options.retryAfterMs !== undefined) delay = Math.min(cap, Math.max(delay, err.options.retryAfterMs));
        this.o.onRetry?.(err, attempt, delay);
        await sleep(delay, options.signal).catch(() => {
          throw new ModelError('model request aborted', 'aborted', { attempts: attempt });
        });
      }
    }
  }

  private async attempt(messages: ChatMessage[], signal: AbortSignal | undefined): Promise<Omit<Completion, 'attempts'>> {
    if (signal?.aborted) throw new ModelError('model request aborted', 'aborted');
    const timeoutMs = this.o.timeoutMs ?? 120000;
    const ctl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctl.abort();
    }, timeoutMs);
    const onAbort = () => ctl.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const body = {
      model: this.o.model,
      messages,
      stream: false,
      max_tokens: this.o.maxTokens ?? 1000,
      temperature: this.o.temperature ?? 0,
      top_p: this.o.topP ?? 0.7,
      ...this.o.extraBody,
    };
    const headers: Record<string, string> = { 'content-type': 'application/json', ...this.o.headers };
    if (this.apiKey && !Object.keys(headers).some((k) => k.toLowerCase() === 'authorization')) {
      headers.authorization = `Bearer ${this.apiKey}`;
    }
    const fetchFn = this.o.fetch ?? fetch;
    try {
      let res: Response;
      try {
        res = await fetchFn(this.url, { method: 'POST', headers, body: JSON.stringify(body), signal: ctl.signal });
      } catch (e) {
        throw this.transportError(e, timedOut, signal, timeoutMs);
      }
      let textBody: string;
      try {
        textBody = await res.text();
      } catch (e) {
        throw this.transportError(e, timedOut, signal, timeoutMs);
      }
      if (!res.ok) {
        const err = new ModelError(`model endpoint ${this.url} answered HTTP ${res.status}: ${clip(textBody, 300)}`, 'http', {
          status: res.status,
          retryable: RETRYABLE_STATUS.has(res.status),
          body: textBody,
        });
        const ra = res.headers.get('retry-after');
        if (ra && /^\d+(\.\d+)?$/.test(ra.trim())) err.options.retryAfterMs = Number(ra) * 1000;
        throw err;
      }
      let json: unknown;
      try {
        json = JSON.parse(textBody);
      } catch {
        throw new ModelError(`model endpoint returned non-JSON: ${clip(textBody, 200)}`, 'bad_response', { body: textBody });
      }
      const choice = (json as { choices?: { message?: { content?: unknown } }[] }).choices?.[0];
      const content = choice?.message?.content;
      const text = typeof content === 'string' ? content : Array.isArray(content) ? content.map((p) => (p as { text?: string })?.text ?? '').join('') : undefined;
      if (typeof text !== 'string') {
        throw new ModelError(`model response has no choices[0].message.content: ${clip(textBody, 200)}`, 'bad_response', { body: textBody });
      }
      if (text.trim() === '') {
        // Reference agents retry an empty answer; treat it as transient.
        throw new ModelError('model returned an empty answer', 'bad_response', { retryable: true, body: textBody });
      }
      const u = (json as { usage?: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number } }).usage;
      const out: Omit<Completion, 'attempts'> = { text };
      if (u) out.usage = { promptTokens: u.prompt_tokens, completionTokens: u.completion_tokens, totalTokens: u.total_tokens };
      return out;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private transportError(e: unknown, timedOut: boolean, signal: AbortSignal | undefined, timeoutMs: number): ModelError {
    if (timedOut) return new ModelError(`model endpoint ${this.url} did not answer within ${timeoutMs} ms`, 'timeout', { retryable: true, cause: e });
    if (signal?.aborted) return new ModelError('model request aborted', 'aborted', { cause: e });
    const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
    const detail = cause?.code ?? cause?.message ?? (e as Error)?.message ?? String(e);
    return new ModelError(`cannot reach model endpoint ${this.url}: ${detail}`, 'unreachable', { retryable: true, cause: e });
  }
}

/** One past turn of the agent: the screenshot it saw and what the model answered. */
export interface HistoryTurn {
  /** PNG bytes or base64. */
  screenshot: Uint8Array | string;
  /** The model's answer for that screenshot (undefined for the current turn). */
  response?: string;
}

export interface MessageLayoutOptions {
  /** The user prompt (instruction filled in). */
  prompt: string;
  turns: readonly HistoryTurn[];
  /** How many of the most recent screenshots to send. Default 5, as the reference. */
  maxImages?: number;
  /** An optional system message before the prompt (OSWorld's UI-TARS agent sends "You are a helpful assistant."). */
  system?: string;
  imageMime?: string;
}

/**
 * The reference SDK's layout: [system], user prompt, then per turn a user image message and the assistant's
 * answer; only the last `maxImages` images are kept (older turns keep their assistant text).
 */
export function buildMessages(o: MessageLayoutOptions): ChatMessage[] {
  const maxImages = o.maxImages ?? 5;
  const mime = o.imageMime ?? 'image/png';
  const msgs: ChatMessage[] = [];
  if (o.system) msgs.push({ role: 'system', content: o.system });
  msgs.push({ role: 'user', content: o.prompt });
  const firstImage = Math.max(0, o.turns.length - maxImages);
  o.turns.forEach((t, i) => {
    if (i >= firstImage) {
      const b64 = typeof t.screenshot === 'string' ? t.screenshot : Buffer.from(t.screenshot).toString('base64');
      msgs.push({ role: 'user', content: [{ type: 'image_url', image_url: { url: `data:${mime};base64,${b64}` } }] });
    }
    if (t.response !== undefined) msgs.push({ role: 'assistant', content: historyText(t.response) });
  });
  return msgs;
}

/**
 * What of an answer goes back into the history: the reference drops the `Reflection:` part; genlab also
 * drops a `<think>` block (reasoning traces are not fed back).
 */
export function historyText(response: string): string {
  return response
    .replace(/^\s*<(think[\w-]*)>[\s\S]*?<\/\1\s*>/, '')
    .replace(/Reflection:[\s\S]*?(?=Action_Summary:|Action[:：]|$)/g, '')
    .trim();
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('aborted'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
