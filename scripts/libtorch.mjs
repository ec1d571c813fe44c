#!/usr/bin/env node
// Finds libtorch for the native build. Order: $LIBTORCH (an unpacked libtorch 1.13–2.x, CPU or CUDA),
// then the system libtorch (Debian/Ubuntu `libtorch-dev`). Used by native/binding.gyp and scripts/setup.mjs.
//   node scripts/libtorch.mjs            -> JSON description (or exit 1 with what to do)
//   node scripts/libtorch.mjs --include  -> include dirs, one per line
//   node scripts/libtorch.mjs --libs     -> linker flags
//   node scripts/libtorch.mjs --defines  -> preprocessor defines
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function findLibtorch(env = process.env) {
  if (env.LIBTORCH) {
    const root = env.LIBTORCH;
    const inc = join(root, 'include');
    const lib = join(root, 'lib');
    if (!existsSync(join(inc, 'ATen', 'ATen.h')) || !existsSync(lib)) {
      throw new Error(`LIBTORCH=${root} is not an unpacked libtorch: expected ${join(inc, 'ATen', 'ATen.h')} and ${lib}/`);
    }
    let abi = null;
    const cfg = join(root, 'share', 'cmake', 'Torch', 'TorchConfig.cmake');
    if (existsSync(cfg)) {
      const m = /_GLIBCXX_USE_CXX11_ABI=(\d)/.exec(readFileSync(cfg, 'utf8'));
      if (m) abi = m[1];
    }
    const cuda = existsSync(join(lib, 'libtorch_cuda.so'));
    return { source: 'LIBTORCH', root, include: [inc, join(inc, 'torch', 'csrc', 'api', 'include')], lib, abi, cuda };
  }
  const triplets = ['x86_64-linux-gnu', 'aarch64-linux-gnu', 'powerpc64le-linux-gnu', 's390x-linux-gnu', 'riscv64-linux-gnu'];
  if (existsSync('/usr/include/ATen/ATen.h')) {
    for (const t of triplets) {
      const lib = `/usr/lib/${t}`;
      if (existsSync(join(lib, 'libtorch.so')) && existsSync(join(lib, 'libtorch_cpu.so'))) {
        const cuda = existsSync(join(lib, 'libtorch_cuda.so'));
        return { source: 'system', root: '/usr', include: ['/usr/include', '/usr/include/torch/csrc/api/include'], lib, abi: null, cuda };
      }
    }
  }
  return null;
}

/**
 * Whether c10d's Gloo process group can be compiled: its headers include gloo's (Debian: libgloo-dev;
 * libtorch's own zips ship them). Without them the addon builds without `distributed`.
 */
export function hasGloo(info) {
  return info.include.some((d) => existsSync(join(d, 'gloo', 'algorithm.h')) && existsSync(join(d, 'torch', 'csrc', 'distributed', 'c10d', 'ProcessGroupGloo.hpp')));
}

export function libtorchVersion(info) {
  const h = info.include.map((d) => join(d, 'torch', 'version.h')).find(existsSync);
  if (!h) return 'unknown';
  const text = readFileSync(h, 'utf8');
  const [a, b, c] = ['MAJOR', 'MINOR', 'PATCH'].map((k) => new RegExp(`TORCH_VERSION_${k}\\s+(\\d+)`).exec(text)?.[1]);
  return a !== undefined ? `${a}.${b}.${c}` : 'unknown';
}

export const missingMessage = `genlab needs libtorch (1.13 to 2.x) and none was found.
  - Debian/Ubuntu: sudo apt-get install --no-install-recommends libtorch-dev
    (npm install does this by itself when run as root on Debian/Ubuntu)
  - elsewhere: unpack a libtorch zip (CPU or CUDA) and set LIBTORCH=/path/to/libtorch, then npm install again.`;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const info = findLibtorch();
  const mode = process.argv[2];
  if (!info) {
    console.error(missingMessage);
    process.exit(1);
  }
  if (mode === '--include') console.log(info.include.join('\n'));
  else if (mode === '--libs') {
    const flags = [`-L${info.lib}`, `-Wl,-rpath,${info.lib}`, '-Wl,--no-as-needed', '-ltorch', '-ltorch_cpu', '-lc10'];
    if (info.cuda) flags.push('-ltorch_cuda', '-lc10_cuda');
    flags.push('-Wl,--as-needed');
    console.log(flags.join(' '));
  } else if (mode === '--defines') {
    const defs = info.abi !== null ? [`_GLIBCXX_USE_CXX11_ABI=${info.abi}`] : [];
    if (hasGloo(info)) defs.push('USE_C10D_GLOO');
    console.log(defs.join(' '));
  } else console.log(JSON.stringify({ ...info, version: libtorchVersion(info) }, null, 2));
}
