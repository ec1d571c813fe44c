#!/usr/bin/env node
// Builds the published JavaScript: tsc -p tsconfig.build.json (ESM .js + .d.ts into dist/, `.ts`
// import specifiers rewritten to `.js` by rewriteRelativeImportExtensions), then rewrites the same
// specifiers in the .d.ts files (tsc leaves them as written) and copies the data files src/ reads
// at run time (classifier weights). Skips the work when dist/ is newer than every source file.
//   node scripts/build.mjs [--force]
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const src = join(root, 'src');
const dist = join(root, 'dist');
const stamp = join(dist, '.build-stamp');
const force = process.argv.includes('--force');

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

const sources = walk(src);
const inputs = [...sources, join(root, 'tsconfig.json'), join(root, 'tsconfig.build.json')];
if (!force && existsSync(stamp)) {
  const built = statSync(stamp).mtimeMs;
  if (inputs.every((f) => statSync(f).mtimeMs <= built)) {
    console.error('[genlab build] dist/ is up to date');
    process.exit(0);
  }
}

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  console.error('[genlab build] typescript is not installed: run `npm install` in a checkout (it is a devDependency)');
  process.exit(1);
}
rmSync(dist, { recursive: true, force: true });
console.error('[genlab build] tsc -p tsconfig.build.json ...');
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  console.error('[genlab build] tsc failed (see above)');
  process.exit(r.status ?? 1);
}

// Relative '.ts' specifiers in declaration files -> '.js' (what the emitted JavaScript imports).
const spec = /((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]*?)\.ts(['"])/g;
let rewritten = 0;
for (const f of walk(dist)) {
  if (!f.endsWith('.d.ts')) continue;
  const text = readFileSync(f, 'utf8');
  const out = text.replace(spec, (_, a, p, b) => `${a}${p}.js${b}`);
  if (out !== text) {
    writeFileSync(f, out);
    rewritten += 1;
  }
}

// Data files read at run time, next to the modules that read them.
let copied = 0;
for (const f of sources) {
  if (f.endsWith('.ts')) continue;
  cpSync(f, join(dist, relative(src, f)));
  copied += 1;
}
writeFileSync(stamp, `${new Date().toISOString()}\n`);
console.error(`[genlab build] dist/ written (${rewritten} declaration files rewritten, ${copied} data files copied)`);
