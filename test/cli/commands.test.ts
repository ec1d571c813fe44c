import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './run-cli.ts';
import { ProgressBar, formatDuration } from '../../src/cli/progress.ts';


test('genlab list names the families and data sets', async () => {
  const r = await cli(['list']);
  assert.equal(r.code, 0);
  assert.match(r.out, /gaussian\s+Full-covariance Gaussian/);
  assert.match(r.out, /moons\s+2d/);
  const j = await cli(['list', '--json']);
  const obj = JSON.parse(j.out);
  assert.ok(obj.models.some((m: { name: string }) => m.name === 'gaussian'));
  assert.ok(obj.data.some((d: { name: string }) => d.name === '8gaussians'));
});

test('a bad flag or value exits 2 with a one-line message naming allowed values', async () => {
  const bad = await cli(['train', 'gaussian', '--data', 'moons', '--stepz', '5']);
  assert.equal(bad.code, 2);
  assert.equal(bad.err.trim().split('\n').length, 1);
  assert.match(bad.err, /unknown flag --stepz; allowed: .*--steps/);
  const data = await cli(['train', 'gaussian', '--data', 'moon']);
  assert.equal(data.code, 2);
  assert.match(data.err, /--data must be one of .*moons.*8gaussians.*; got 'moon'/);
  const model = await cli(['train', 'gausian', '--data', 'moons']);
  assert.equal(model.code, 2);
  assert.match(model.err, /unknown model 'gausian'; models: .*gaussian/);
  const steps = await cli(['train', 'gaussian', '--data', 'moons', '--steps', 'many']);
  assert.equal(steps.code, 2);
  assert.match(steps.err, /--steps takes an integer/);
  const cfg = await cli(['train', 'gaussian', '--data', 'moons', '--config', 'widht=3']);
  assert.equal(cfg.code, 2);
  assert.match(cfg.err, /unknown --config key 'widht' for gaussian; keys: initScale, steps/);
});

test('--help works for every command', async () => {
  for (const c of ['list', 'train', 'sample', 'eval', 'demo']) {
    const r = await cli([c, '--help']);
    assert.equal(r.code, 0);
    assert.match(r.out, new RegExp(`Usage: genlab ${c}`));
  }
  const top = await cli(['--help']);
  assert.match(top.out, /train .*\n.*sample/);
});

test('train gaussian --data moons --steps 50, then sample and eval --json', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'genlab-cli-'));
  try {
    const t = await cli(['train', 'gaussian', '--data', 'moons', '--steps', '50', '--out', dir, '--name', 'g', '--seed', '2', '--config', 'initScale=2,trainSize=500']);
    assert.equal(t.code, 0, t.err);
    assert.match(t.out, /trained g for 50 steps/);
    const run = join(dir, 'g');
    assert.ok(existsSync(join(run, 'checkpoints', 'step-0000050.safetensors')));
    assert.ok(existsSync(join(run, 'samples', 'step-0000050.png')));
    assert.ok(existsSync(join(run, 'loss.png')));
    const cfg = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
    assert.equal(cfg.modelConfig.initScale, 2);
    assert.equal(cfg.train.trainSize, 500);
    assert.match(t.err, /50\/50/); // progress lines on stderr (plain lines: not a TTY)

    const png = join(dir, 's.png');
    const s = await cli(['sample', run, '--n', '300', '--out', png]);
    assert.equal(s.code, 0, s.err);
    assert.ok(existsSync(png));
    assert.ok(existsSync(join(dir, 's-density.png')));
    const st = join(dir, 's.safetensors');
    const s2 = await cli(['sample', 'g', '--root', dir, '--n', '10', '--out', st]);
    assert.equal(s2.code, 0, s2.err);
    assert.match(s2.out, /wrote 10 samples \[10, 2\]/);

    const e = await cli(['eval', run, '--json', '--n', '500']);
    assert.equal(e.code, 0, e.err);
    const obj = JSON.parse(e.out);
    assert.equal(obj.model, 'gaussian');
    assert.equal(obj.step, 50);
    assert.equal(obj.n, 500);
    for (const k of ['testNll', 'bitsPerDim', 'mmd', 'slicedWasserstein']) assert.equal(typeof obj.metrics[k], 'number', k);
    assert.ok(obj.metrics.testNll > 1 && obj.metrics.testNll < 10);
    const table = await cli(['eval', run, '--n', '200']);
    assert.match(table.out, /testNll\s+\d/);

    const resume = await cli(['train', '--resume', '--name', 'g', '--out', dir, '--steps', '60', '-q']);
    assert.equal(resume.code, 0, resume.err);
    assert.match(resume.err, /resumed g from .*step-0000050/);
    assert.match(resume.out, /trained g for 60 steps/);

    const missing = await cli(['eval', join(dir, 'nope')]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /no run at/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('progress bar: plain lines when not a TTY, with step/total, loss, it/s and ETA', () => {
  const chunks: string[] = [];
  let t = 0;
  const stream = { write: (s: string) => (chunks.push(s), true), isTTY: false } as unknown as NodeJS.WritableStream;
  const bar = new ProgressBar({ total: 100, stream, label: 'train', plainEvery: 50, now: () => t });
  for (let s = 1; s <= 100; s++) {
    t += 10; // 100 it/s
    bar.update(s, { loss: 1 / s });
  }
  bar.done();
  assert.equal(chunks.length, 2);
  assert.match(chunks[0]!, /^train  50% 50\/100  loss 0\.02000  100\.0 it\/s  ETA 1s\n$/);
  assert.ok(!chunks.join('').includes('\r'));
  assert.equal(formatDuration(3725), '1h02m');
  assert.equal(formatDuration(65), '1m05s');
});
