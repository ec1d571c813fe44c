/**
 * The 2D playground: trains one registered family on one 2D data set at a time in a worker thread,
 * into a normal run folder (`play-<model>-<data>[-N]`), and passes the worker's frames (samples,
 * density, trajectories) to the pages. Which families and data sets qualify comes from the registries.
 * The model and training layers (and libtorch with them) load on first use: a server that only shows
 * runs never loads them.
 */

/** The registries and the training helpers, loaded once when first needed. */
async function layers() {
  const [models, train] = await Promise.all([import('../models/index.ts'), import('../train/index.ts')]);
  return { ...models, ...train };
}
import { startJob, type JobMessage, type RunningJob } from './jobs.ts';
import type { View2D } from './views2d.ts';

export interface PlaygroundRequest {
  model: string;
  data: string;
  steps?: number;
  lr?: number;
  batch?: number;
  seed?: number;
  /** Family config overrides (keys of its defaultConfig). */
  config?: Record<string, unknown>;
}

export interface PlaygroundState {
  running: boolean;
  run: string | null;
  model: string | null;
  data: string | null;
  /** The held-out data points drawn under the samples (flat [x, y, ...]) and the picture's bounds. */
  points: number[] | null;
  bounds: number[] | null;
  view: View2D | null;
  log: string[];
  result: Record<string, unknown> | null;
  error: string | null;
}

export class BadRequest extends Error {}

/** The families that train on 2D data, and the 2D data sets. */
export async function playgroundChoices(): Promise<{ models: { name: string; description: string; defaultConfig: Record<string, unknown>; trainDefaults: Record<string, unknown> }[]; data: string[] }> {
  const { listModels, resolveTrainConfig, dataNames, dataKind } = await layers();
  return {
    models: listModels()
      .filter((f) => f.dataKinds.includes('2d'))
      .map((f) => ({ name: f.name, description: f.description, defaultConfig: f.defaultConfig, trainDefaults: resolveTrainConfig(f.trainDefaults) as unknown as Record<string, unknown> })),
    data: dataNames().filter((d) => dataKind(d) === '2d'),
  };
}

export class Playground {
  private job: RunningJob | null = null;
  state: PlaygroundState = { running: false, run: null, model: null, data: null, points: null, bounds: null, view: null, log: [], result: null, error: null };

  constructor(
    private readonly root: string,
    private readonly emit: (event: string, data: unknown) => void,
    private readonly options: { frameMs?: number; threads?: number; onRunChange?: (run: string) => void } = {},
  ) {}

  get activeRun(): string | null {
    return this.state.running ? this.state.run : null;
  }

  async start(req: PlaygroundRequest): Promise<{ run: string }> {
    if (this.job || this.starting) throw new BadRequest(`the playground is already training ${this.state.run}; stop it first`);
    this.starting = true;
    try {
      return await this.launch(req);
    } finally {
      this.starting = false;
    }
  }

  private starting = false;

  private async launch(req: PlaygroundRequest): Promise<{ run: string }> {
    const { getModel, hasModel, resolveConfig, dataKind, freeRunName, resolveTrainConfig } = await layers();
    if (typeof req?.model !== 'string' || !hasModel(req.model)) throw new BadRequest(`unknown model '${String(req?.model)}'`);
    const family = getModel(req.model);
    if (!family.dataKinds.includes('2d')) throw new BadRequest(`model '${req.model}' does not train on 2D data`);
    if (typeof req.data !== 'string' || dataKind(req.data) !== '2d') throw new BadRequest(`'${String(req.data)}' is not a 2D data set; 2D sets: ${(await playgroundChoices()).data.join(', ')}`);
    const train: Record<string, unknown> = {};
    const num = (k: 'steps' | 'lr' | 'batch' | 'seed', lo: number, hi: number, int: boolean) => {
      const v = req[k];
      if (v === undefined || v === null) return;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (int && !Number.isInteger(v))) throw new BadRequest(`'${k}' must be ${int ? 'an integer' : 'a number'} in [${lo}, ${hi}], got ${JSON.stringify(v)}`);
      train[k] = v;
    };
    num('steps', 1, 200_000, true);
    num('lr', 1e-6, 1, false);
    num('batch', 1, 8192, true);
    num('seed', 0, 2 ** 31 - 1, true);
    let modelConfig: Record<string, unknown>;
    try {
      modelConfig = resolveConfig(family, req.config ?? {});
      resolveTrainConfig(family.trainDefaults, train);
    } catch (e) {
      throw new BadRequest((e as Error).message);
    }
    const steps = (train.steps as number | undefined) ?? resolveTrainConfig(family.trainDefaults).steps;
    Object.assign(train, { logEvery: Math.max(1, Math.min(10, Math.floor(steps / 100))), sampleEvery: Math.max(1, Math.floor(steps / 8)), sampleCount: 1000 });
    const name = freeRunName(this.root, `play-${req.model}-${req.data}`);
    this.state = { running: true, run: name, model: req.model, data: req.data, points: null, bounds: null, view: null, log: [], result: null, error: null };
    this.emit('state', this.publicState());
    const job = startJob(
      { kind: 'train', model: req.model, data: req.data, out: this.root, name, train, modelConfig, frameMs: this.options.frameMs ?? 400, threads: this.options.threads ?? 1 },
      (m) => this.onMessage(m),
    );
    this.job = job;
    job.done
      .then((result) => {
        this.state.result = result;
      })
      .catch((e: Error) => {
        this.state.error = e.message;
      })
      .finally(() => {
        this.job = null;
        this.state.running = false;
        this.emit('state', this.publicState());
        this.options.onRunChange?.(name);
      });
    return { run: name };
  }

  private onMessage(m: JobMessage): void {
    if (m.type === 'data') {
      this.state.points = m.points as number[];
      this.state.bounds = m.bounds as number[];
      this.emit('data', { run: this.state.run, points: m.points, bounds: m.bounds });
    } else if (m.type === 'frame') {
      this.state.view = m.view as View2D;
      this.emit('frame', { run: this.state.run, view: m.view });
    } else if (m.type === 'log') {
      this.state.log.push(String(m.message));
      this.emit('log', { run: this.state.run, message: m.message });
    }
  }

  /** Asks the training to stop; it saves a checkpoint and the run stays as a normal folder. */
  stop(): boolean {
    if (!this.job) return false;
    this.job.stop();
    return true;
  }

  publicState(): PlaygroundState {
    return this.state;
  }

  async close(): Promise<void> {
    if (this.job) {
      this.job.stop();
      await Promise.race([this.job.done.catch(() => undefined), new Promise((r) => setTimeout(r, 5000))]);
      await this.job?.kill();
    }
  }
}
