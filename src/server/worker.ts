/**
 * The dashboard's worker thread: one job per worker, so training and sampling never block the server's
 * event loop. Jobs: `train` (the playground: trainRun into a normal run folder, posting a View2D of the
 * model every `frameMs`; a 'stop' message aborts it, which saves a checkpoint), `sample` (a picture
 * from a run's newest checkpoint, as `genlab sample` draws it) and `eval` (as `genlab eval`, appended to
 * the run's eval.jsonl). Messages to the parent: { type: 'frame' | 'log' | 'done' | 'error', ... }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { torch } from '../tensor/index.ts';
import '../models/index.ts';
import { trainRun, openRun, evaluateRun, writeSamplePictures, deriveSeed, loadData, type Trainer } from '../train/index.ts';
import { boundsOf } from '../train/pictures.ts';
import { view2d } from './views2d.ts';

export type Job =
  | { kind: 'train'; model: string; data: string; out: string; name: string; train: Record<string, unknown>; modelConfig: Record<string, unknown>; frameMs: number; threads?: number }
  | { kind: 'sample'; run: string; n: number; seed: number }
  | { kind: 'eval'; run: string; n?: number };

const post = (m: Record<string, unknown>) => parentPort!.postMessage(m);

async function train(job: Extract<Job, { kind: 'train' }>): Promise<void> {
  const abort = new AbortController();
  parentPort!.on('message', (m: { type?: string }) => {
    if (m?.type === 'stop') abort.abort();
  });
  let trainer: Trainer | null = null;
  const test = await torch.scope(async () => (await loadData(job.data, { seed: 0, testSize: 1000, testOnly: true })).test.keep());
  const bounds = boundsOf(test);
  post({ type: 'data', bounds, points: test.toFlatArray().map((v) => Math.round(v * 1000) / 1000) });
  test.dispose();
  let lastFrame = 0;
  let lastLoss: number | null = null;
  const frame = (step: number, total: number) => {
    if (!trainer) return;
    const t = trainer;
    try {
      const v = t.withEvalWeights(() => view2d(t.model, { step, total, loss: lastLoss, bounds }));
      post({ type: 'frame', view: v });
    } catch (e) {
      // A picture that cannot be drawn must not end the training.
      post({ type: 'log', message: `no picture at step ${step}: ${(e as Error)?.message ?? String(e)}` });
    }
  };
  const result = await trainRun({
    model: job.model,
    data: job.data,
    out: job.out,
    name: job.name,
    train: job.train,
    modelConfig: job.modelConfig,
    signal: abort.signal,
    pictures: true,
    onTrainer: (t) => {
      trainer = t;
      frame(0, t.train.steps);
      lastFrame = performance.now();
    },
    onStep: (e) => {
      if (e.record) lastLoss = Number.isFinite(e.record.loss) ? e.record.loss : null;
      const now = performance.now();
      if (now - lastFrame >= job.frameMs || e.step === e.total) {
        frame(e.step, e.total);
        lastFrame = performance.now();
      }
    },
    log: (message) => post({ type: 'log', message }),
  });
  // (No frame here: trainRun has freed the model by now.)
  post({ type: 'done', result: { status: result.status, step: result.step, loss: result.loss, message: result.message, run: result.run.name } });
}

async function sample(job: Extract<Job, { kind: 'sample' }>): Promise<void> {
  const opened = openRun(job.run);
  try {
    torch.manualSeed(deriveSeed(job.seed, 'sample', opened.step));
    const out = join(opened.run.samplesDir, `sample-${opened.step}-seed${job.seed}.png`);
    const paths = writeSamplePictures({
      run: opened.run,
      step: opened.step,
      model: opened.model,
      data: opened.config.data,
      count: job.n,
      path: out,
      densityPath: out.replace(/\.png$/, '-density.png'),
    });
    post({ type: 'done', result: { step: opened.step, ema: opened.ema, pictures: paths.map((p) => `samples/${p.split(/[\\/]/).pop()}`) } });
  } finally {
    opened.dispose();
  }
}

async function evaluate(job: Extract<Job, { kind: 'eval' }>): Promise<void> {
  const opened = openRun(job.run);
  try {
    const r = await evaluateRun(opened, { n: job.n });
    const rec = { at: new Date().toISOString(), step: r.step, ema: r.ema, n: r.n, metrics: r.metrics };
    appendFileSync(join(opened.run.dir, 'eval.jsonl'), `${JSON.stringify(rec)}\n`);
    post({ type: 'done', result: rec });
  } finally {
    opened.dispose();
  }
}

const job = workerData as Job & { threads?: number };
try {
  if (job.threads) torch.setNumThreads(job.threads);
  if (job.kind === 'train') await train(job);
  else if (job.kind === 'sample') await sample(job);
  else await evaluate(job);
} catch (e) {
  post({ type: 'error', message: (e as Error)?.message ?? String(e) });
}
