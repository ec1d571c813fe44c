import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildMessages, chatCompletionsUrl, historyText, ModelError, OpenAIChatClient } from '../../src/agent/index.ts';
import { deadPort, startModelServer } from './helpers.ts';

const user = [{ role: 'user' as const, content: 'hi' }];

test('model client: endpoint URL forms', () => {
  assert.equal(chatCompletionsUrl('http://127.0.0.1:8000/v1'), 'http://127.0.0.1:8000/v1/chat/completions');
  assert.equal(chatCompletionsUrl('http://127.0.0.1:8000/v1/'), 'http://127.0.0.1:8000/v1/chat/completions');
  assert.equal(chatCompletionsUrl('http://h/v1/chat/completions'), 'http://h/v1/chat/completions');
  assert.throws(() => chatCompletionsUrl('127.0.0.1:8000'), /http\(s\) URL/);
});

test('model client: request body, bearer key, answer and usage', async () => {
  const srv = await startModelServer(() => ({ text: "Thought: ok\nAction: wait()" }));
  try {
    const c = new OpenAIChatClient({ endpoint: srv.url, model: 'ui-tars-1.5-7b', apiKey: 'sk-test', maxTokens: 321, extraBody: { seed: 7 } });
    const r = await c.complete(user);
    assert.equal(r.text, 'Thought: ok\nAction: wait()');
    assert.equal(r.attempts, 1);
    assert.deepEqual(r.usage, { promptTokens: 10, completionTokens: 5, totalTokens: 15 });
    const { body, headers } = srv.requests[0]!;
    assert.equal(headers.authorization, 'Bearer sk-test');
    assert.equal(body.model, 'ui-tars-1.5-7b');
    assert.equal(body.max_tokens, 321);
    assert.equal(body.temperature, 0);
    assert.equal(body.stream, false);
    assert.equal(body.seed, 7);
    assert.deepEqual(body.messages, user);
  } finally {
    await srv.close();
  }
});

test('model client: the key comes from GENLAB_AGENT_API_KEY, then OPENAI_API_KEY', async () => {
  const srv = await startModelServer(() => ({ text: 'Action: wait()' }));
  const saved = { g: process.env.GENLAB_AGENT_API_KEY, o: process.env.OPENAI_API_KEY };
  try {
    delete process.env.GENLAB_AGENT_API_KEY;
    process.env.OPENAI_API_KEY = 'sk-openai';
    await new OpenAIChatClient({ endpoint: srv.url, model: 'm' }).complete(user);
    process.env.GENLAB_AGENT_API_KEY = 'sk-genlab';
    await new OpenAIChatClient({ endpoint: srv.url, model: 'm' }).complete(user);
    assert.equal(srv.requests[0]!.headers.authorization, 'Bearer sk-openai');
    assert.equal(srv.requests[1]!.headers.authorization, 'Bearer sk-genlab');
  } finally {
    if (saved.g === undefined) delete process.env.GENLAB_AGENT_API_KEY;
    else process.env.GENLAB_AGENT_API_KEY = saved.g;
    if (saved.o === undefined) delete process.env.OPENAI_API_KEY;
    else process.env.OPENAI_API_KEY = saved.o;
    await srv.close();
  }
});

test('model client: retries 503 / 429 / dropped connections with exponential backoff', async () => {
  const replies = [
    { status: 503, body: 'overloaded' },
    { status: 429, body: 'slow down', headers: { 'retry-after': '0' } },
    { destroy: true as const },
    { text: 'Action: wait()' },
  ];
  const srv = await startModelServer((_r, i) => replies[i]!);
  const delays: number[] = [];
  try {
    const c = new OpenAIChatClient({
      endpoint: srv.url,
      model: 'm',
      backoffMs: 4,
      maxRetries: 3,
      random: () => 0,
      onRetry: (_e, _a, d) => delays.push(d),
    });
    const r = await c.complete(user);
    assert.equal(r.attempts, 4);
    assert.deepEqual(delays, [4, 8, 16]);
  } finally {
    await srv.close();
  }
});

test('model client: gives up after maxRetries with the last error', async () => {
  const srv = await startModelServer(() => ({ status: 502, body: 'bad gateway' }));
  try {
    const c = new OpenAIChatClient({ endpoint: srv.url, model: 'm', backoffMs: 1, maxRetries: 2 });
    await assert.rejects(c.complete(user), (e: unknown) => {
      assert.ok(e instanceof ModelError);
      assert.equal(e.kind, 'http');
      assert.equal(e.status, 502);
      assert.equal(e.attempts, 3);
      assert.match(e.message, /HTTP 502: bad gateway/);
      return true;
    });
    assert.equal(srv.requests.length, 3);
  } finally {
    await srv.close();
  }
});

test('model client: a 400 is not retried; a non-JSON body is a bad response', async () => {
  const srv = await startModelServer((_r, i) => (i === 0 ? { status: 400, body: '{"error":"max_tokens too large"}' } : { status: 200, body: '<html>' }));
  try {
    const c = new OpenAIChatClient({ endpoint: srv.url, model: 'm', backoffMs: 1, maxRetries: 3 });
    await assert.rejects(c.complete(user), (e: unknown) => e instanceof ModelError && e.kind === 'http' && e.status === 400 && e.attempts === 1);
    await assert.rejects(c.complete(user), (e: unknown) => e instanceof ModelError && e.kind === 'bad_response' && /non-JSON/.test(e.message));
    assert.equal(srv.requests.length, 2);
  } finally {
    await srv.close();
  }
});

test('model client: timeout per attempt, retried, then a timeout error', async () => {
  const srv = await startModelServer(() => ({ hang: true }));
  try {
    const c = new OpenAIChatClient({ endpoint: srv.url, model: 'm', timeoutMs: 150, backoffMs: 1, maxRetries: 1 });
    await assert.rejects(c.complete(user), (e: unknown) => {
      assert.ok(e instanceof ModelError);
      assert.equal(e.kind, 'timeout');
      assert.equal(e.attempts, 2);
      assert.match(e.message, /did not answer within 150 ms/);
      return true;
    });
  } finally {
    await srv.close();
  }
});

test('model client: unreachable endpoint', async () => {
  const port = await deadPort();
  const c = new OpenAIChatClient({ endpoint: `http://127.0.0.1:${port}/v1`, model: 'm', backoffMs: 1, maxRetries: 1 });
  await assert.rejects(c.complete(user), (e: unknown) => {
    assert.ok(e instanceof ModelError);
    assert.equal(e.kind, 'unreachable');
    assert.match(e.message, /cannot reach model endpoint .*ECONNREFUSED/);
    return true;
  });
});

test('model client: an abort ends a hanging request at once and is not retried', async () => {
  const srv = await startModelServer(() => ({ hang: true }));
  try {
    const c = new OpenAIChatClient({ endpoint: srv.url, model: 'm', timeoutMs: 60000, maxRetries: 5 });
    const ctl = new AbortController();
    const p = c.complete(user, { signal: ctl.signal });
    setTimeout(() => ctl.abort(), 50);
    await assert.rejects(p, (e: unknown) => e instanceof ModelError && e.kind === 'aborted');
    assert.equal(srv.requests.length, 1);
  } finally {
    await srv.close();
  }
});

test('message layout: prompt, then image/answer pairs, only the last 5 images', () => {
  const turns = Array.from({ length: 7 }, (_, i) => ({ screenshot: Buffer.from([i]), ...(i < 6 ? { response: `Thought: t${i}\nAction: wait()` } : {}) }));
  const msgs = buildMessages({ prompt: 'PROMPT', turns, system: 'You are a helpful assistant.' });
  const shape = msgs.map((m) => (typeof m.content === 'string' ? `${m.role}:${m.content.split('\n')[0]}` : `${m.role}:image:${Buffer.from(m.content[0]!.type === 'image_url' ? m.content[0]!.image_url.url.split(',')[1]! : '', 'base64')[0]}`));
  assert.deepEqual(shape, [
    'system:You are a helpful assistant.',
    'user:PROMPT',
    'assistant:Thought: t0',
    'assistant:Thought: t1',
    'user:image:2',
    'assistant:Thought: t2',
    'user:image:3',
    'assistant:Thought: t3',
    'user:image:4',
    'assistant:Thought: t4',
    'user:image:5',
    'assistant:Thought: t5',
    'user:image:6',
  ]);
  assert.match((msgs[4]!.content as { image_url: { url: string } }[])[0]!.image_url.url, /^data:image\/png;base64,/);
  assert.equal(buildMessages({ prompt: 'P', turns, maxImages: 1 }).filter((m) => Array.isArray(m.content)).length, 1);
});

test('history text drops <think> and Reflection, keeps the summary and action', () => {
  assert.equal(historyText('<think>long</think>\nThought: a\nAction: wait()'), 'Thought: a\nAction: wait()');
  assert.equal(historyText('Reflection: r\nAction_Summary: s\nAction: wait()'), 'Action_Summary: s\nAction: wait()');
});
