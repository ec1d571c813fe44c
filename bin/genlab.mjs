#!/usr/bin/env node
// Entry point of the `genlab` command: runs the compiled CLI (dist/cli/main.js). In a development
// checkout whose src/ is newer than dist/ (edited since the last `npm run build`), it runs the
// TypeScript sources through tsx instead, so the command never runs stale code.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const compiled = join(root, 'dist', 'cli', 'main.js');
const stamp = join(root, 'dist', '.build-stamp');
const src = join(root, 'src');

function newerThan(dir, t) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    if (s.isDirectory() ? newerThan(p, t) : s.mtimeMs > t) return true;
  }
  return false;
}

// A published install has dist/ and no src/; a checkout has src/ (and dist/ after `npm install`).
const stale = existsSync(src) && (!existsSync(compiled) || !existsSync(stamp) || newerThan(src, statSync(stamp).mtimeMs));
let main;
if (!stale) {
  ({ main } = await import(compiled));
} else {
  try {
    const { register } = await import('tsx/esm/api');
    register();
  } catch {
    console.error(`genlab: ${existsSync(compiled) ? 'dist/ is older than src/' : 'dist/ is not built'} and tsx is not installed; run 'npm run build' in ${root}`);
    process.exit(1);
  }
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
