/**
 * File requests stay inside the runs folder whatever form the escape takes; the token guards every API
 * request when the server is not on loopback (or when one is set); loopback refuses foreign Host and
 * Origin headers; trash needs a confirmation naming the run and moves, never deletes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDashboard, type Dashboard } from '../../src/server/index.ts';
import { decodeRelative, confine, PathError } from '../../src/server/safe-path.ts';
import { fakeRun, rawGet } from './helpers.ts';

const SECRET = 'TOP-SECRET-9f2c';

describe('file requests are confined to the runs folder', () => {
  let base: string;
  let runs: string;
  let d: Dashboard;
  before(async () => {
    base = mkdtempSync(join(tmpdir(), 'genlab-safety-'));
    runs = join(base, 'runs');
    mkdirSync(runs);
    writeFileSync(join(base, 'secret.txt'), SECRET);
    mkdirSync(join(base, 'outside'));
    writeFileSync(join(base, 'outside', 'config.json'), SECRET);
    const dir = fakeRun(runs, 'r1', { steps: 3 });
    writeFileSync(join(dir, 'note.txt'), 'inside');
    symlinkSync(join(base, 'secret.txt'), join(dir, 'link-out.txt'));
    symlinkSync(join(dir, 'note.txt'), join(dir, 'link-in.txt'));
    symlinkSync(join(base, 'outside'), join(runs, 'dir-out'));
    d = await startDashboard({ runs, port: 0, agentRuns: join(base, 'agent') });
  });
  after(async () => {
    await d?.close();
    rmSync(base, { recursive: true, force: true });
  });

  test('a plain file inside is served', async () => {
    const r = await rawGet(d.url, '/api/files/r1/note.txt');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'inside');
    assert.equal((await rawGet(d.url, '/api/files/r1/link-in.txt')).body, 'inside', 'a symlink that stays inside is fine');
  });

  const forms: [string, string, number][] = [
    ['dot-dot', '/api/files/r1/../../secret.txt', 403],
    ['dot-dot at the start', '/api/files/../secret.txt', 403],
    ['encoded dot-dot', '/api/files/r1/%2e%2e/%2e%2e/secret.txt', 403],
    ['encoded slash', '/api/files/r1%2f..%2f..%2fsecret.txt', 403],
    ['upper-case encoding', '/api/files/r1/%2E%2E%2F%2E%2E%2Fsecret.txt', 403],
    ['double-encoded dot-dot', '/api/files/r1/%252e%252e/%252e%252e/secret.txt', 400],
    ['double-encoded slash', '/api/files/r1%252f..%252f..%252fsecret.txt', 400],
    ['absolute path', '/api/files/%2fetc%2fpasswd', 400],
    ['absolute path (double slash)', '/api/files//etc/passwd', 400],
    ['backslash', '/api/files/r1/..%5c..%5csecret.txt', 400],
    ['NUL byte', '/api/files/r1/note.txt%00.png', 400],
    ['NUL byte before dot-dot', '/api/files/r1/%00/../../secret.txt', 400],
    ['malformed encoding', '/api/files/r1/%e0%a4%a', 400],
    ['symlinked file pointing out', '/api/files/r1/link-out.txt', 403],
    ['symlinked folder pointing out', '/api/files/dir-out/config.json', 403],
  ];
  for (const [name, path, status] of forms) {
    test(`refused: ${name}`, async () => {
      const r = await rawGet(d.url, path);
      assert.equal(r.status, status, `${path} -> ${r.status} ${r.body}`);
      assert.ok(!r.body.includes(SECRET), 'the secret leaked');
      assert.match(JSON.parse(r.body).error as string, /\S/);
    });
  }

  test('agent files are confined the same way', async () => {
    const r = await rawGet(d.url, '/api/agent-files/0/r1/..%2f..%2fsecret.txt');
    assert.equal(r.status, 403);
    assert.equal((await rawGet(d.url, '/api/agent-files/7/x')).status, 404);
  });

  test('decodeRelative and confine, directly', () => {
    assert.equal(decodeRelative('a/b%20c.png'), 'a/b c.png');
    assert.throws(() => decodeRelative('a/%2e%2e/b'), (e: unknown) => e instanceof PathError && e.status === 403);
    assert.throws(() => confine(runs, 'r1/missing.txt'), (e: unknown) => e instanceof PathError && e.status === 404);
    assert.throws(() => confine(runs, 'r1'), (e: unknown) => e instanceof PathError && e.status === 404, 'a folder is not a file');
  });

  test('trash: needs the confirmation, refuses odd names, moves the folder into runs/.trash', async () => {
    const post = (name: string, body: unknown) =>
      fetch(new URL(`/api/runs/${name}/trash`, d.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    fakeRun(runs, 'doomed', { steps: 2 });
    d.index.scanRoot();
    let r = await post('doomed', {});
    assert.equal(r.status, 400);
    assert.match(((await r.json()) as { error: string }).error, /confirm/);
    r = await post('..', { confirm: '..' });
    assert.ok(r.status >= 400);
    r = await post('%2e%2e', { confirm: '..' });
    assert.ok(r.status >= 400);
    r = await post('nope', { confirm: 'nope' });
    assert.equal(r.status, 404);
    r = await post('doomed', { confirm: 'doomed' });
    assert.equal(r.status, 200);
    assert.ok(!existsSync(join(runs, 'doomed')));
    assert.ok(readdirSync(join(runs, '.trash')).some((n) => n.startsWith('doomed-')));
    assert.ok(existsSync(join(base, 'secret.txt')));
  });
});

describe('the token', () => {
  let base: string;
  before(() => {
    base = mkdtempSync(join(tmpdir(), 'genlab-token-'));
    fakeRun(join(base, 'runs'), 'r1', { steps: 2 });
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  test('a non-loopback host gets a generated token, required on every API request', async () => {
    const d = await startDashboard({ runs: join(base, 'runs'), host: '0.0.0.0', port: 0 });
    try {
      assert.ok(d.token && d.token.length >= 20, 'a token was generated');
      assert.ok(d.url.endsWith(`?token=${d.token}`), 'the printed URL carries it');
      const origin = new URL(d.url).origin;
      for (const p of ['/api/runs', '/api/files/r1/config.json', '/api/runs/r1/metrics', '/api/events?list=1', '/api/agent', '/api/playground']) {
        const r = await rawGet(origin, p);
        assert.equal(r.status, 401, `${p} without a token`);
        assert.match(r.body, /token/);
      }
      assert.equal((await rawGet(origin, '/api/runs?token=wrong')).status, 401);
      assert.equal((await rawGet(origin, '/api/runs', { 'x-genlab-token': `${d.token}x` })).status, 401);
      assert.equal((await rawGet(origin, `/api/runs?token=${d.token}`)).status, 200);
      const r = await rawGet(origin, '/api/files/r1/config.json', { 'x-genlab-token': d.token! });
      assert.equal(r.status, 200);
      assert.match(r.body, /gaussian/);
      assert.equal((await rawGet(origin, '/')).status, 200, 'the static page itself holds no data');
    } finally {
      await d.close();
    }
  });

  test('a token set on loopback is required too', async () => {
    const d = await startDashboard({ runs: join(base, 'runs'), port: 0, token: 's3cret-token' });
    try {
      const origin = new URL(d.url).origin;
      assert.equal((await rawGet(origin, '/api/runs')).status, 401);
      assert.equal((await rawGet(origin, '/api/runs?token=s3cret-token')).status, 200);
    } finally {
      await d.close();
    }
  });

  test('loopback without a token: foreign Host (DNS rebinding) and cross-origin requests are refused', async () => {
    const d = await startDashboard({ runs: join(base, 'runs'), port: 0 });
    try {
      assert.equal(d.token, null);
      assert.ok(d.url.startsWith('http://127.0.0.1:'), 'binds loopback by default');
      assert.equal((await rawGet(d.url, '/api/runs')).status, 200);
      assert.equal((await rawGet(d.url, '/api/runs', { host: 'evil.example:80' })).status, 403);
      assert.equal((await rawGet(d.url, '/api/runs', { origin: 'http://evil.example' })).status, 403);
      const port = new URL(d.url).port;
      assert.equal((await rawGet(d.url, '/api/runs', { origin: `http://127.0.0.1:${port}` })).status, 200);
    } finally {
      await d.close();
    }
  });
});
