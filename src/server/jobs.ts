/**
 * Runs a dashboard job (training, sampling, evaluation) in its own worker thread (server/worker: the
 * compiled .js in the package, the .ts through tsx in a checkout). The server's event loop stays free to serve pages and
 * events while libtorch works.
 */
import { Worker } from 'node:worker_threads';
import type { Job } from './worker.ts';

export type { Job };

export interface JobMessage {
  type: 'frame' | 'data' | 'log' | 'done' | 'error';
  [k: string]: unknown;
}

export interface RunningJob {
  worker: Worker;
  /** Resolves with the 'done' message's result; rejects with the job's error. */
  done: Promise<Record<string, unknown>>;
  /** Asks a training job to stop (it saves a checkpoint first). */
  stop(): void;
  /** Ends the thread at once. */
  kill(): Promise<void>;
}

/** This module's own form: the compiled package (dist/*.js) or the TypeScript sources run through tsx. */
const fromSources = import.meta.url.endsWith('.ts');
const workerUrl = new URL(fromSources ? './worker.ts' : './worker.js', import.meta.url);

function spawnWorker(job: Job): Worker {
  if (!fromSources) return new Worker(workerUrl, { workerData: job });
  // A worker thread does not inherit the parent's module hooks: it registers tsx itself.
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(workerUrl.href)}); })`;
  return new Worker(boot, { eval: true, workerData: job });
}

export function startJob(job: Job, onMessage: (m: JobMessage) => void = () => undefined): RunningJob {
  const worker = spawnWorker(job);
  const done = new Promise<Record<string, unknown>>((resolve, reject) => {
    let settled = false;
    worker.on('message', (m: JobMessage) => {
      onMessage(m);
      if (m.type === 'done' && !settled) {
        settled = true;
        resolve((m.result ?? {}) as Record<string, unknown>);
      } else if (m.type === 'error' && !settled) {
        settled = true;
        reject(new Error(String(m.message)));
      }
    });
    worker.on('error', (e) => {
      if (!settled) {
        settled = true;
        reject(e);
      }
    });
    worker.on('exit', (code) => {
      if (!settled) {
        settled = true;
        reject(new Error(`the ${job.kind} worker exited (code ${code}) before finishing`));
      }
    });
  });
  done.catch(() => undefined);
  done.finally(() => void worker.terminate()).catch(() => undefined);
  return {
    worker,
    done,
    stop: () => worker.postMessage({ type: 'stop' }),
    kill: async () => {
      await worker.terminate();
    },
  };
}
