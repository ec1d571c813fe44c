/** `genlab serve` as a command: prints the URL (with a token off loopback), serves, and stops cleanly on SIGINT. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fakeRun } from './helpers.ts';

const bin = fileURLToPath(new URL('../../bin/genlab.mjs', import.meta.url));

test('genlab serve --host 0.0.0.0 prints a token URL, requires the token, exits 0 on SIGINT', async () => {
  const base = mkdtempSync(join(tmpdir(), 'genlab-serve-'));
  fakeRun(join(base, 'runs'), 'r1', { steps: 4 });
  const p = spawn(process.execPath, [bin, 'serve', '--runs', join(base, 'runs'), '--port', '0', '--host', '0.0.0.0'], { cwd: base, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let out = '';
    p.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      p.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /genlab dashboard: (\S+)/.exec(out);
        if (m && out.includes('Ctrl-C stops the server')) resolve(m[1]!);
      });
      p.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/);
    assert.match(out, /every request needs the token/);
    const u = new URL(url);
    assert.equal((await fetch(new URL('/api/runs', u.origin))).status, 401);
    const r = (await (await fetch(new URL(`/api/runs?token=${u.searchParams.get('token')}`, u.origin))).json()) as { runs: { name: string }[] };
    assert.deepEqual(r.runs.map((x) => x.name), ['r1']);
    p.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => p.once('exit', resolve));
    assert.equal(code, 0, out);
  } finally {
    if (p.exitCode === null) p.kill('SIGKILL');
    rmSync(base, { recursive: true, force: true });
  }
});
