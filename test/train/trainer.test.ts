import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { torch } from '../../src/tensor/index.ts';
import '../../src/models/index.ts';
import { unregisterModel, moduleParameters } from '../../src/models/registry.ts';
import { registerGaussianFamily, registerNoisyGaussian, NOISY_GAUSSIAN } from './noisy-gaussian.ts';
import { trainRun, openRun, RunDir, loadTrainingCheckpoint, learningRate, resolveTrainConfig, deriveSeed, StepBatches } from '../../src/train/index.ts';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'genlab-train-'));

test('learning rate: warm-up then cosine to minLrRatio', () => {
  const c = resolveTrainConfig({ lr: 1, warmup: 10, steps: 110, schedule: 'cosine', minLrRatio: 0.1 });
  assert.equal(learningRate(c, 0), 0.1);
  assert.equal(learningRate(c, 9), 1);
  assert.ok(Math.abs(learningRate(c, 10) - 1) < 1e-12);
  assert.ok(Math.abs(learningRate(c, 109) - 0.1) < 1e-12);
  assert.ok(learningRate(c, 60) < 1 && learningRate(c, 60) > 0.1);
});

test('deriveSeed: distinct per stream and index, stable', () => {
  assert.equal(deriveSeed(3, 'step', 7), deriveSeed(3, 'step', 7));
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) seen.add(deriveSeed(0, 'step', i));
  assert.equal(seen.size, 1000);
  assert.notEqual(deriveSeed(0, 'step', 1), deriveSeed(0, 'data', 1));
  assert.ok(Number.isSafeInteger(deriveSeed(2 ** 40, 'data', 2 ** 40)));
});

test('StepBatches: batch of step s is a pure function of (seed, s), epochs are permutations', () => {
  torch.scope(() => {
    const data = torch.arange(10, { dtype: 'float32' }).unsqueeze(1);
    const a = new StepBatches(data, 3, 5);
    const b = new StepBatches(data, 3, 5);
    const seen: number[] = [];
    for (let s = 0; s < 3; s++) seen.push(...a.batch(s).x.toFlatArray());
    assert.equal(new Set(seen).size, 9); // one epoch: no repeats
    assert.deepEqual(b.batch(7).x.toFlatArray(), a.batch(7).x.toFlatArray());
    assert.deepEqual(b.batch(1).x.toFlatArray(), a.batch(1).x.toFlatArray()); // backwards too
    a.dispose();
    b.dispose();
  });
});

test('run folder after a short train: config, metrics, checkpoints', async () => {
  const out = tmp();
  const r = await trainRun({ model: 'gaussian', data: 'moons', out, name: 'g', train: { steps: 20, batch: 64, logEvery: 5, ckptEvery: 10, sampleEvery: 10, sampleCount: 200, trainSize: 500, seed: 1, ema: 0.9 } });
  assert.equal(r.status, 'completed');
  assert.equal(r.step, 20);
  const run = new RunDir(join(out, 'g'));
  const cfg = JSON.parse(readFileSync(run.configPath, 'utf8'));
  assert.equal(cfg.model, 'gaussian');
  assert.equal(cfg.data.name, 'moons');
  assert.deepEqual(cfg.data.shape, [2]);
  assert.equal(cfg.train.steps, 20);
  assert.equal(cfg.train.seed, 1);
  const lines = readFileSync(run.metricsPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.step), [5, 10, 15, 20]);
  for (const l of lines) {
    for (const k of ['loss', 'nll', 'lr', 'itPerSec', 'time', 'gradNorm']) assert.equal(typeof l[k], 'number', k);
  }
  assert.deepEqual(readdirSync(run.checkpointsDir).sort(), ['step-0000010.safetensors', 'step-0000020.safetensors']);
  assert.deepEqual(readdirSync(run.samplesDir).sort(), ['step-0000010-density.png', 'step-0000010.png', 'step-0000020-density.png', 'step-0000020.png']);
  assert.ok(existsSync(run.lossCurvePath));
  assert.ok(r.pictures.includes(run.lossCurvePath));
  const png = readFileSync(run.samplePath(20));
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  torch.scope(() => {
    const c = loadTrainingCheckpoint(run.checkpointPath(20));
    assert.equal(c.step, 20);
    assert.equal(c.seed, 1);
    assert.equal(c.config?.model, 'gaussian');
    assert.deepEqual(Object.keys(c.model), ['gaussian']);
    assert.ok(c.ema && 'gaussian.loc' in c.ema);
    assert.ok(c.optim && 'gaussian.loc.exp_avg' in c.optim.tensors);
  });
  rmSync(out, { recursive: true, force: true });
});

function finalParams(dir: string): number[] {
  const o = openRun(dir, { ema: false });
  try {
    return moduleParameters(o.model.modules).flatMap((p) => p.toFlatArray());
  } finally {
    o.dispose();
  }
}

test('resume after a kill reaches the same weights as an uninterrupted run', async () => {
  const out = tmp();
  registerNoisyGaussian();
  try {
    const train = { steps: 40, batch: 32, lr: 0.05, logEvery: 5, ckptEvery: 7, trainSize: 100, seed: 3, ema: 0.8, warmup: 5, clipGrad: 5 };
    const full = await trainRun({ model: NOISY_GAUSSIAN, data: 'moons', out, name: 'full', train, pictures: false });
    assert.equal(full.status, 'completed');
    // A child process trains the same run and is SIGKILLed in the middle of step 17 (0-based): the last
    // checkpoint is step 14, and steps 15-17 (with the metrics line of step 15) are lost work.
    const script = join(out, 'child.mts'); // .mts: an ES module outside the package (top-level await)
    writeFileSync(script, `
      import '${resolve('src/models/index.ts')}';
      import { trainRun } from '${resolve('src/train/index.ts')}';
      import { registerNoisyGaussian, NOISY_GAUSSIAN } from '${resolve('test/train/noisy-gaussian.ts')}';
      registerNoisyGaussian({ blockAtStep: 17 });
      await trainRun({ model: NOISY_GAUSSIAN, data: 'moons', out: ${JSON.stringify(out)}, name: 'part', train: ${JSON.stringify(train)}, pictures: false });
      process.stdout.write('finished\\n');
    `);
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let said = '';
    await new Promise<void>((res, rej) => {
      child.stdout.on('data', (d: Buffer) => {
        said += d.toString();
        if (said.includes('blocked at 17')) res();
      });
      child.on('exit', (code) => rej(new Error(`the training child exited (${code}) before step 17: ${said}`)));
    });
    child.kill('SIGKILL');
    const signal = await new Promise((r) => (child.signalCode !== null ? r(child.signalCode) : child.on('exit', (_c, sig) => r(sig))));
    assert.equal(signal, 'SIGKILL');
    const run = new RunDir(join(out, 'part'));
    assert.deepEqual(run.checkpointSteps(), [7, 14], 'checkpoints the kill left');
    assert.deepEqual(run.readMetrics().map((r) => r.step), [5, 10, 15], 'metrics the kill left');
    const resumed = await trainRun({ model: NOISY_GAUSSIAN, data: 'moons', out, name: 'part', resume: true, pictures: false });
    assert.equal(resumed.status, 'completed');
    assert.equal(resumed.step, 40);
    const a = finalParams(join(out, 'full'));
    const b = finalParams(join(out, 'part'));
    assert.equal(a.length, b.length);
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= 1e-6, `param ${i}: ${a[i]} vs ${b[i]}`);
    // metrics.jsonl of the resumed run has each step once, with the uninterrupted run's losses (but at
    // step 15, whose line averages steps 15 only after the resume, 11-15 in the full run).
    const full_ = new RunDir(join(out, 'full')).readMetrics();
    const part_ = run.readMetrics();
    assert.deepEqual(part_.map((r) => r.step), [5, 10, 15, 20, 25, 30, 35, 40]);
    part_.forEach((r, i) => r.step !== 15 && assert.ok(Math.abs(r.loss - full_[i]!.loss) <= 1e-6, `loss at step ${r.step}: ${r.loss} vs ${full_[i]!.loss}`));
  } finally {
    unregisterModel(NOISY_GAUSSIAN);
    rmSync(out, { recursive: true, force: true });
  }
});

test('NaN loss stops the run and keeps the last good checkpoint', async () => {
  const out = tmp();
  registerGaussianFamily('explodes', 'test family: NaN loss from step 12', (g, x, step) => {
    const nll = g.logProb(x).mean().neg();
    return step >= 12 ? nll.mul(NaN) : nll;
  });
  const logs: string[] = [];
  try {
    const r = await trainRun({ model: 'explodes', data: 'moons', out, name: 'x', train: { steps: 30, batch: 16, ckptEvery: 5, trainSize: 64 }, pictures: false, log: (m) => logs.push(m) });
    assert.equal(r.status, 'nan');
    assert.equal(r.step, 12);
    const run = new RunDir(join(out, 'x'));
    assert.deepEqual(run.checkpointSteps(), [5, 10]);
    assert.equal(r.checkpoint, run.checkpointPath(10));
    assert.match(r.message, /loss became NaN at step 13/);
    assert.match(r.message, /step-0000010\.safetensors/);
    assert.ok(logs.some((l) => l.includes('Last good checkpoint')));
    const params = finalParams(run.dir);
    assert.ok(params.every(Number.isFinite));
  } finally {
    unregisterModel('explodes');
    rmSync(out, { recursive: true, force: true });
  }
});

test('an abort signal saves a checkpoint and stops cleanly', async () => {
  const out = tmp();
  const ac = new AbortController();
  try {
    const r = await trainRun({
      model: 'gaussian', data: 'moons', out, name: 'a', train: { steps: 1000, batch: 16, trainSize: 64 }, pictures: false, signal: ac.signal,
      onStep: (e) => { if (e.step === 9) ac.abort(); },
    });
    assert.equal(r.status, 'aborted');
    assert.equal(r.step, 9);
    assert.deepEqual(new RunDir(join(out, 'a')).checkpointSteps(), [9]);
    assert.match(r.message, /--resume/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('no tensors leak across a training run', async () => {
  const out = tmp();
  const before = torch.memory().tensors;
  await trainRun({ model: 'gaussian', data: 'moons', out, name: 'm', train: { steps: 10, batch: 16, trainSize: 64, ema: 0.5 }, pictures: false });
  assert.equal(torch.memory().tensors, before);
  assert.ok(existsSync(join(out, 'm', 'config.json')));
  rmSync(out, { recursive: true, force: true });
});
