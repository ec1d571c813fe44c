#!/usr/bin/env node
// Bundles the dashboard's pages (web/src) into the static files the package ships (web/dist):
// app.js (uPlot included: no CDN), app.css and index.html. `--check` rebuilds into memory and fails when
// web/dist is out of date.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const src = join(root, 'web', 'src');
const dist = join(root, 'web', 'dist');
const check = process.argv.includes('--check');

const r = await build({
  entryPoints: { app: join(src, 'main.ts') },
  bundle: true,
  format: 'esm',
  target: 'es2020',
  minify: true,
  legalComments: 'none',
  write: false,
  outdir: dist,
  logLevel: 'warning',
});
const files = new Map(r.outputFiles.map((f) => [f.path, Buffer.from(f.contents)]));
files.set(join(dist, 'index.html'), readFileSync(join(src, 'index.html')));
let stale = [];
for (const [path, bytes] of files) {
  const same = existsSync(path) && Buffer.compare(readFileSync(path), bytes) === 0;
  if (same) continue;
  if (check) stale.push(path);
  else {
    mkdirSync(dist, { recursive: true });
    writeFileSync(path, bytes);
  }
}
if (check && stale.length) {
  console.error(`web/dist is out of date (${stale.map((p) => p.slice(root.length + 1)).join(', ')}): run npm run build:web`);
  process.exit(1);
}
console.log(check ? 'web/dist is up to date' : `built ${[...files.keys()].map((p) => p.slice(root.length + 1)).join(', ')}`);
