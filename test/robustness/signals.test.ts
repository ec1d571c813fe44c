/**
 * Every signal a run can get: `genlab train` in a real child process, killed with SIGINT, SIGTERM or
 * SIGHUP mid-run, saves a checkpoint at the step it reached and exits 128 + the signal's number; a
 * resume continues from there with metrics.jsonl neither repeating nor missing steps. A second signal
 * exits at once. Nothing is lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunDir, checkpointProblem } from '../../src/train/run.ts';

const bin = join(fileURLToPath(import.meta.url), '..', '..', '..', 'bin', 'genlab.mjs');
const root = mkdtempSync(join(tmpdir(), 'genlab-robust-signals-'));
const SIGNUM = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;

/** Runs genlab; `kill` sends signals once metrics.jsonl has `afterLines` lines. Resolves with the exit code and stderr. */
function genlab(args: string[], kill?: { signals: NodeJS.Signals[]; metrics: string; afterLines: number; gapMs?: number }): Promise<{ code: number | null; signal: NodeJS.Signals | null; err: string; out: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OMP_NUM_THREADS: '1' } });
    let err = '';
    let out = '';
    child.stderr.on('data', (d) => (err += String(d)));
    child.stdout.on('data', (d) => (out += String(d)));
    const safety = setTimeout(() => child.kill('SIGKILL'), 90_000);
    let poll: NodeJS.Timeout | undefined;
    if (kill) {
      poll = setInterval(() => {
        const n = existsSync(kill.metrics) ? readFileSync(kill.metrics, 'utf8').split('\n').filter(Boolean).length : 0;
        if (n >= kill.afterLines) {
          clearInterval(poll);
          kill.signals.forEach((s, i) => setTimeout(() => child.kill(s), i * (kill.gapMs ?? 0)));
        }
      }, 20);
    }
    child.on('exit', (code, signal) => {
      clearTimeout(safety);
      if (poll) clearInterval(poll);
      resolveRun({ code, signal, err, out });
    });
  });
}

const trainArgs = (name: string, steps: number) => ['train', 'gaussian', '--data', 'moons', '--steps', String(steps), '--log-every', '1', '--out', root, '--name', name, '-q', '--no-pictures'];

for (const sig of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) {
  test(`${sig} mid-run saves a checkpoint and exits ${128 + SIGNUM[sig]}; --resume continues without repeating steps`, async () => {
    const name = `run-${sig}`;
    const run = new RunDir(join(root, name));
    const r = await genlab(trainArgs(name, 200_000), { signals: [sig], metrics: run.metricsPath, afterLines: 5 });
    assert.equal(r.signal, null, `killed by ${r.signal} instead of exiting: ${r.err}`);
    assert.equal(r.code, 128 + SIGNUM[sig], r.err);
    assert.match(r.err, new RegExp(`${sig}: saving a checkpoint`));
    assert.match(r.err, /interrupted at step \d+\/200000; saved .*step-\d+\.safetensors; continue with --resume/);
    const steps = run.checkpointSteps();
    assert.equal(steps.length, 1, `checkpoints: ${steps}`);
    const at = steps[0]!;
    assert.ok(at >= 5, `checkpoint at step ${at}`);
    assert.equal(checkpointProblem(run.checkpointPath(at)), null);
    assert.deepEqual(readdirSync(run.checkpointsDir).filter((f) => f.startsWith('.')), [], 'a temporary file was left behind');
    const logged = run.readMetrics().map((m) => m.step);
    assert.equal(logged[logged.length - 1], at, 'the checkpoint is not at the last logged step');

    const resumed = await genlab(['train', '--resume', '--name', name, '--out', root, '--steps', String(at + 5), '-q', '--no-pictures']);
    assert.equal(resumed.code, 0, resumed.err);
    assert.match(resumed.err, new RegExp(`resumed ${name} from .*step-0*${at}\\.safetensors`));
    const all = run.readMetrics().map((m) => m.step);
    assert.deepEqual(all, Array.from({ length: at + 5 }, (_, i) => i + 1), 'metrics.jsonl repeats or misses steps');
  });
}

test('a second signal exits at once with 128 + its number', async () => {
  const run = new RunDir(join(root, 'twice'));
  const r = await genlab(trainArgs('twice', 200_000), { signals: ['SIGTERM', 'SIGTERM'], metrics: run.metricsPath, afterLines: 3, gapMs: 0 });
  assert.equal(r.code, 143, r.err);
  assert.equal(r.signal, null);
});

test('resuming a run killed before its first checkpoint (SIGKILL) restarts it and its metrics', async () => {
  const run = new RunDir(join(root, 'killed'));
  const r = await genlab(trainArgs('killed', 200_000), { signals: ['SIGKILL'], metrics: run.metricsPath, afterLines: 5 });
  assert.equal(r.signal, 'SIGKILL');
  assert.deepEqual(run.checkpointSteps(), []);
  assert.ok(run.readMetrics().length >= 5);
  const resumed = await genlab(['train', '--resume', '--name', 'killed', '--out', root, '--steps', '8', '-q', '--no-pictures']);
  assert.equal(resumed.code, 0, resumed.err);
  assert.match(resumed.err, /no intact checkpoint .*starting killed from step 0 \(metrics\.jsonl restarted\)/);
  assert.deepEqual(run.readMetrics().map((m) => m.step), [1, 2, 3, 4, 5, 6, 7, 8]);
});

test.after(() => rmSync(root, { recursive: true, force: true }));
