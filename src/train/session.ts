/**
 * Runs by name: `trainRun` makes (or resumes) a run folder, builds the model from the registry,
 * loads the data and drives a Trainer; `openRun` rebuilds a trained model from its folder for
 * sampling and evaluation. The CLI's train/sample/eval/demo commands are thin layers over these.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { torch, type Tensor } from '../tensor/index.ts';
import { getModel, resolveConfig, type ModelConfig, type ModelInstance } from '../models/registry.ts';
import { resolveTrainConfig, type TrainConfig } from './config.ts';
import { dataInfo, loadData, type LoadedData } from './data.ts';
import { RunDir, type RunConfig } from './run.ts';
import { deriveSeed } from './seed.ts';
import { Trainer, type StepEvent, type TrainResult } from './trainer.ts';
import { loadModules, loadTrainingCheckpoint } from './checkpoint.ts';

export interface TrainRunOptions {
  /** Model family name. */
  model: string;
  /** Data set name. */
  data: string;
  /** Folder that holds runs (default 'runs'). */
  out?: string;
  /** Run name (default `<model>-<data>`, with -2, -3, ... appended when taken). */
  name?: string;
  /** Continue the named run from its newest checkpoint (its config.json wins over other options, except steps). */
  resume?: boolean;
  /** Training settings over the family's and the trainer's defaults. */
  train?: Partial<TrainConfig>;
  /** Family config overrides (values may be strings from the command line). */
  modelConfig?: Record<string, unknown>;
  signal?: AbortSignal;
  onStep?: (e: StepEvent) => void;
  log?: (message: string) => void;
  pictures?: boolean;
  /** Test hook (see TrainerOptions.stopAfter). */
  stopAfter?: number;
  /** Called with the Trainer before it starts (live views of the model, e.g. the dashboard's playground). */
  onTrainer?: (trainer: Trainer) => void;
}

/** A free run folder name under root: base, base-2, base-3, ... */
export function freeRunName(root: string, base: string): string {
  if (!existsSync(resolve(root, base))) return base;
  for (let i = 2; ; i++) if (!existsSync(resolve(root, `${base}-${i}`))) return `${base}-${i}`;
}

/** Keeps every tensor of loaded data (it outlives the scope that loaded it). */
function keepData(d: LoadedData): LoadedData {
  d.train.keep();
  d.test.keep();
  d.trainLabels?.keep();
  d.testLabels?.keep();
  return d;
}

function disposeData(d: LoadedData): void {
  for (const t of [d.train, d.test, d.trainLabels, d.testLabels]) t?.dispose();
}

/** Builds a run's model with the run's init seed (the same weights every time before training). */
export function buildModel(config: RunConfig): ModelInstance {
  const family = getModel(config.model);
  torch.manualSeed(deriveSeed(config.train.seed, 'init'));
  return torch.scope(() => family.create(config.modelConfig, config.data));
}

/** Trains a model on a data set in a run folder; resumes when asked. */
export async function trainRun(o: TrainRunOptions): Promise<TrainResult & { run: RunDir; config: RunConfig }> {
  const root = o.out ?? 'runs';
  let run: RunDir;
  let config: RunConfig;
  if (o.resume) {
    if (!o.name) throw new Error('--resume needs --name <run> (the run folder to continue)');
    run = RunDir.at(root, o.name);
    if (!run.exists()) throw new Error(`cannot resume: ${run.dir} has no config.json`);
    config = run.readConfig();
    if (o.model && o.model !== config.model) throw new Error(`cannot resume: ${run.dir} trains '${config.model}', not '${o.model}'`);
    if (o.data && o.data !== config.data.name) throw new Error(`cannot resume: ${run.dir} uses data '${config.data.name}', not '${o.data}'`);
    if (o.train?.steps !== undefined && o.train.steps !== config.train.steps) {
      config.train = resolveTrainConfig(config.train, { steps: o.train.steps });
      run.writeConfig(config);
    }
  } else {
    const family = getModel(o.model);
    const modelConfig: ModelConfig = resolveConfig(family, o.modelConfig);
    const train = resolveTrainConfig(family.trainDefaults, o.train);
    const name = o.name ?? freeRunName(root, `${o.model}-${o.data}`);
    run = RunDir.at(root, name);
    if (run.exists()) throw new Error(`run ${run.dir} already exists; pass --resume to continue it or another --name`);
    const info = dataInfo(o.data);
    if (!family.dataKinds.includes(info.kind)) {
      throw new Error(`model '${family.name}' handles ${family.dataKinds.join('/')} data; '${o.data}' is ${info.kind}`);
    }
    config = { version: 1, model: family.name, modelConfig, data: info, train, createdAt: new Date().toISOString() };
    run.create();
    run.writeConfig(config);
  }
  run.create();

  const data = keepData(await torch.scope(() => loadData(config.data.name, { seed: config.train.seed, trainSize: config.train.trainSize })));
  const model = buildModel(config);
  const trainer = new Trainer({
    run,
    config,
    model,
    data: data.train,
    labels: data.trainLabels,
    reference: data.test,
    signal: o.signal,
    onStep: o.onStep,
    log: o.log,
    pictures: o.pictures,
    stopAfter: o.stopAfter,
  });
  o.onTrainer?.(trainer);
  try {
    const result = await trainer.fit({ resume: o.resume });
    return { ...result, run, config };
  } finally {
    trainer.dispose();
    model.dispose?.();
    disposeData(data);
  }
}

/** A trained model rebuilt from its run folder. */
export interface OpenedRun {
  run: RunDir;
  config: RunConfig;
  model: ModelInstance;
  /** Step of the loaded checkpoint. */
  step: number;
  checkpoint: string;
  /** True when the EMA weights were loaded into the model. */
  ema: boolean;
  dispose(): void;
}

/**
 * Opens a run (a folder path, or a name under `root`) and loads its newest checkpoint (or `checkpoint`),
 * with the EMA weights when the checkpoint has them (unless `ema: false`).
 */
export function openRun(pathOrName: string, options: { root?: string; checkpoint?: string; ema?: boolean } = {}): OpenedRun {
  const candidates = [pathOrName, resolve(options.root ?? 'runs', pathOrName)];
  const dir = candidates.find((c) => existsSync(resolve(c, 'config.json')));
  if (!dir) throw new Error(`no run at ${candidates.map((c) => resolve(c)).join(' or ')} (a run folder has config.json)`);
  const run = new RunDir(dir);
  const config = run.readConfig();
  const checkpoint = options.checkpoint ?? run.latestCheckpoint();
  if (!checkpoint) throw new Error(`run ${run.dir} has no checkpoint yet`);
  const model = buildModel(config);
  let ema = false;
  let step = 0;
  try {
    torch.scope(() => {
      const c = loadTrainingCheckpoint(checkpoint);
      step = c.step;
      loadModules(model.modules, c.model);
      if (c.ema && options.ema !== false) {
        const weights: Record<string, Record<string, Tensor>> = {};
        for (const [k, t] of Object.entries(c.ema)) {
          const dot = k.indexOf('.');
          (weights[k.slice(0, dot)] ??= {})[k.slice(dot + 1)] = t;
        }
        for (const [mname, m] of Object.entries(model.modules)) {
          if (weights[mname]) m.loadStateDict(weights[mname]!, { strict: false });
        }
        ema = true;
      }
    });
  } catch (e) {
    model.dispose?.();
    throw e;
  }
  for (const m of Object.values(model.modules)) m.eval();
  return { run, config, model, step, checkpoint, ema, dispose: () => model.dispose?.() };
}
