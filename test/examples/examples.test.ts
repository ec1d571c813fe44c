/**
 * Every program in examples/ runs (tiny: GENLAB_EXAMPLE_STEPS) and does what it says: the VAE's and
 * the flow's losses fall, the training loop classifies held-out points, PyTorch loads the custom
 * module's safetensors with equal outputs, the agent finishes its task on the local page.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const CHROMIUM = process.env.GENLAB_CHROMIUM ?? '/usr/bin/chromium';

function runExample(name: string, steps: number, out: string): Record<string, unknown> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join('examples', `${name}.ts`)], {
    cwd: root,
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, GENLAB_EXAMPLE_STEPS: String(steps), GENLAB_EXAMPLE_OUT: out, OMP_NUM_THREADS: '1' },
  });
  assert.equal(r.status, 0, `examples/${name}.ts failed:\n${r.stdout}\n${r.stderr}`);
  const last = r.stdout.trim().split('\n').pop()!;
  return JSON.parse(last) as Record<string, unknown>;
}

let out = '';
test.before(() => {
  out = mkdtempSync(join(tmpdir(), 'genlab-examples-'));
});
test.after(() => rmSync(out, { recursive: true, force: true }));

test('every example has a test here', () => {
  const names = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort();
  assert.deepEqual(names, ['agent-local-page', 'custom-module', 'flow', 'train-loop', 'vae']);
});

test('examples/vae.ts: the VAE loss falls; samples and reconstructions are written', { timeout: 300_000 }, () => {
  const r = runExample('vae', 60, out);
  assert.ok((r.lastLoss as number) < (r.firstLoss as number) * 0.7, `loss ${r.firstLoss} -> ${r.lastLoss}`);
  assert.ok(existsSync(join(out, 'vae-samples.png')) && existsSync(join(out, 'vae-reconstructions.png')));
});

test('examples/custom-module.ts: PyTorch loads the state dict (strict) and computes the same outputs', { timeout: 120_000 }, () => {
  const r = runExample('custom-module', 0, out);
  assert.deepEqual(r.keys, ['gain', 'norm.runningMean', 'norm.runningVar', 'fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
  if (spawnSync('/usr/bin/python3', ['-c', 'import torch']).status === 0) assert.ok((r.maxAbsDiff as number) < 1e-5, `max diff ${r.maxAbsDiff}`);
});

test('examples/train-loop.ts: DataLoader + schedule + clipping train a classifier', { timeout: 120_000 }, () => {
  const r = runExample('train-loop', 300, out);
  assert.equal(r.steps, 300);
  assert.ok((r.accuracy as number) > 0.85, `held-out accuracy ${r.accuracy}`);
  assert.ok(existsSync(join(out, 'train-loop.safetensors')));
});

test('examples/flow.ts: the flow NLL falls; samples and density pictures are written', { timeout: 120_000 }, () => {
  const r = runExample('flow', 300, out);
  assert.ok((r.lastNll as number) < (r.firstNll as number) - 0.5, `NLL ${r.firstNll} -> ${r.lastNll}`);
  assert.ok((r.heldOutNll as number) < (r.firstNll as number) - 0.5, `held-out NLL ${r.heldOutNll} (first ${r.firstNll})`);
  assert.ok(existsSync(join(out, 'flow-samples.png')) && existsSync(join(out, 'flow-density.png')));
});

test('examples/agent-local-page.ts: the agent presses Start and types the name on a local page', { skip: existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}`, timeout: 120_000 }, () => {
  const r = runExample('agent-local-page', 0, out);
  assert.equal(r.status, 'finished');
  assert.equal(r.title, 'hello Ada');
  assert.ok(existsSync(join(out, 'agent')));
});
