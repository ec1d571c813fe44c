#!/usr/bin/env node
// `npm install` step: find (or, as root on Debian/Ubuntu, install) libtorch, then build the native addon.
//   node scripts/setup.mjs [--force]
import { existsSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { findLibtorch, libtorchVersion, missingMessage } from './libtorch.mjs';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const nativeDir = join(root, 'native');
const addon = join(nativeDir, 'build', 'Release', 'genlab.node');
const force = process.argv.includes('--force');

function log(msg) {
  console.error(`[genlab setup] ${msg}`);
}

if (process.env.GENLAB_SKIP_NATIVE === '1') {
  log('GENLAB_SKIP_NATIVE=1: not building the native addon');
  process.exit(0);
}

let info = findLibtorch();
if (!info) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = existsSync('/usr/bin/apt-get');
  if (isRoot && hasApt) {
    log('libtorch not found; installing Debian package libtorch-dev (apt-get, as root)...');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    let r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'libtorch-dev', 'libopenblas0-pthread'], { stdio: 'inherit', env });
    if (r.status !== 0) {
      spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
      r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'libtorch-dev', 'libopenblas0-pthread'], { stdio: 'inherit', env });
    }
    info = findLibtorch();
  }
  if (!info) {
    console.error(missingMessage);
    process.exit(1);
  }
}
log(`libtorch ${libtorchVersion(info)} (${info.source}: ${info.lib}${info.cuda ? ', CUDA' : ''})`);

function newestSource() {
  let t = statSync(join(nativeDir, 'binding.gyp')).mtimeMs;
  for (const f of readdirSync(join(nativeDir, 'src'))) t = Math.max(t, statSync(join(nativeDir, 'src', f)).mtimeMs);
  return t;
}
if (!force && existsSync(addon) && statSync(addon).mtimeMs > newestSource()) {
  log(`native addon up to date: ${addon}`);
  process.exit(0);
}

const require = createRequire(import.meta.url);
const gyp = require.resolve('node-gyp/bin/node-gyp.js');
// An existing build is updated in place (incremental, and the old addon stays loadable meanwhile);
// --force or a first build configures from scratch.
const configured = existsSync(join(nativeDir, 'build', 'config.gypi')) && existsSync(join(nativeDir, 'build', 'Makefile'));
const args = [gyp, configured && !force ? 'build' : 'rebuild', `--jobs=${process.env.GENLAB_BUILD_JOBS ?? 'max'}`];
const nodedir = process.env.npm_config_nodedir || (existsSync('/usr/include/node/node_api.h') ? '/usr' : '');
if (nodedir) args.push(`--nodedir=${nodedir}`);
log('building the native addon (a minute or two)...');
const r = spawnSync(process.execPath, args, { cwd: nativeDir, stdio: 'inherit' });
if (r.status !== 0) {
  console.error('[genlab setup] the native build failed; see the compiler output above.');
  process.exit(r.status ?? 1);
}
log(`built ${addon}`);
