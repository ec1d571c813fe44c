#!/usr/bin/env node
// `npm install` step: find (or, as root on Debian/Ubuntu, install) libtorch and the C++ toolchain, then build
// the native addon.
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

// What the build needs from the system: libtorch, and node-gyp's toolchain (a C++ compiler, make, python3).
function onPath(cmd) {
  return (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, cmd)));
}
let info = findLibtorch();
const need = [];
if (!info) need.push('libtorch-dev', 'libopenblas0-pthread');
if (!process.env.CXX && !onPath('g++') && !onPath('c++')) need.push('g++');
if (!onPath('make')) need.push('make');
if (!process.env.PYTHON && !process.env.npm_config_python && !onPath('python3')) need.push('python3');
if (need.length > 0) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = existsSync('/usr/bin/apt-get');
  if (isRoot && hasApt) {
    log(`installing Debian packages: ${need.join(' ')} (apt-get, as root)...`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const install = () => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...need], { stdio: 'inherit', env });
    // a fresh machine (or container) may have no package lists yet; stale lists fail the install: update, retry
    const hasLists = existsSync('/var/lib/apt/lists') && readdirSync('/var/lib/apt/lists').some((f) => f.endsWith('_Packages'));
    let r = hasLists ? install() : { status: 1 };
    if (r.status !== 0) {
      spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
      r = install();
    }
    if (r.status !== 0) log(`apt-get install ${need.join(' ')} failed`);
    info = findLibtorch();
  } else if (info) {
    console.error(`[genlab setup] building the native addon needs ${need.join(', ')}; install them first, e.g.
  sudo apt-get install --no-install-recommends ${need.join(' ')}`);
    process.exit(1);
  }
  if (!info) {
    console.error(missingMessage);
    if (need.length > 2) console.error(`  The build also needs: ${need.slice(2).join(' ')}.`);
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
// A binding.gyp newer than the generated Makefile (new sources or defines) needs a fresh configure.
const makefile = join(nativeDir, 'build', 'Makefile');
const configured =
  existsSync(join(nativeDir, 'build', 'config.gypi')) && existsSync(makefile) && statSync(makefile).mtimeMs > statSync(join(nativeDir, 'binding.gyp')).mtimeMs;
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
