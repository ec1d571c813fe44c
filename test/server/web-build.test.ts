/** The package ships web/dist (the bundled pages): it must match web/src, and must not reach for the network. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));

test('web/dist is the build of web/src (npm run build:web)', () => {
  const r = spawnSync(process.execPath, ['scripts/build-web.mjs', '--check'], { cwd: repo, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr || r.stdout);
});

test('the pages load nothing from elsewhere (no CDN)', () => {
  for (const f of ['index.html', 'app.js', 'app.css']) {
    const text = readFileSync(`${repo}web/dist/${f}`, 'utf8');
    assert.doesNotMatch(text, /(src|href)=["']?(https?:)?\/\//i, `${f} links to another host`);
    assert.doesNotMatch(text, /@import\s+url\(["']?https?:/i, f);
  }
  assert.match(readFileSync(`${repo}web/dist/app.js`, 'utf8'), /uplot/i, 'uPlot is bundled');
});
