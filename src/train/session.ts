/**
 * Runs by name: `trainRun` makes (or resumes) a run folder, builds the model from the registry,
 * loads the data and drives a Trainer; `openRun` rebuilds a trained model from its folder for
 * sampling and evaluation. The CLI's train/sample/eval/demo commands are thin layers over these.
 */
import { existsSync, statSync } from 'node:fs';
import { readSafetensorsHeader } from '../io/safetensors.ts';
import { resolve } from 'node:path';
import { torch, type Tensor } from '../tensor/index.ts';
import { getModel, resolveConfig, type ModelConfig, type ModelInstance } from '../models/registry.ts';
import { resolveTrainConfig, type TrainConfig } from './config.ts';
import { dataInfo, loadData, type LoadedData } from './data.ts';
import { RunDir, type RunConfig } from './run.ts';
import { deriveSeed } from './seed.ts';
import { Trainer, type StepEvent, type TrainResult } from './trainer.ts';
import { loadModules, loadTrainingCheckpoint } from './checkpoint.ts';
import type { ProcessGroup } from './distributed/process-group.ts';
import type { DataParallelOptions } from './distributed/data-parallel.ts';
import { broadcastBytes, verifySame } from './distributed/sync.ts';

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
  /**
   * Train data-parallel over this group: every rank calls trainRun with the same options; rank 0
   * owns the run folder (the other ranks need not see it: config and checkpoint come from rank 0).
   */
  group?: ProcessGroup;
  distributed?: DataParallelOptions;
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

/** The data's tensors on a device (the same object on 'cpu'). */
function onDevice(d: LoadedData, device: string): LoadedData {
  if (device === 'cpu') return d;
  const to = (t: Tensor | undefined) => (t ? t.to(device) : t);
  return { ...d, train: to(d.train)!, test: to(d.test)!, trainLabels: to(d.trainLabels), testLabels: to(d.testLabels) };
}

/**
 * Builds a run's model with the run's init seed (the same weights every time before training), on
 * `device` (default the run's). The weights are made on the CPU and then moved, so a run starts from
 * the same weights on every device.
 */
export function buildModel(config: RunConfig, device: string = config.train.device ?? 'cpu'): ModelInstance {
  const family = getModel(config.model);
  torch.manualSeed(deriveSeed(config.train.seed, 'init'));
  const model = torch.scope(() => family.create(config.modelConfig, config.data));
  if (device !== 'cpu') for (const m of Object.values(model.modules)) m.to(device);
  return model;
}

/** Settings a resume may change: they steer logging, pictures and checkpoints, not the optimization. */
// What a resume can honour: how long and how often, where, and the settings that only shape the step
// size or the gradient from now on (how a diverged run continues with a lower learning rate).
const RESUME_CHANGEABLE = new Set<keyof TrainConfig>(['steps', 'logEvery', 'sampleEvery', 'ckptEvery', 'keepCheckpoints', 'sampleCount', 'device', 'lr', 'clipGrad', 'warmup', 'schedule', 'minLrRatio']);

/**
 * Checks what a resume asks to change against the run's config.json. Returns the new config and one
 * line per change; refuses (throws, naming the settings and both values) what it cannot honour: a
 * different model config or optimization setting (lr, batch, seed, ...), or --steps at or below the
 * step the run has reached.
 */
export function planResume(config: RunConfig, o: Pick<TrainRunOptions, 'train' | 'modelConfig'>, reachedStep: number, where: string): { config: RunConfig; changes: string[] } {
  const refused: string[] = [];
  const changes: string[] = [];
  const train = { ...config.train } as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(o.train ?? {})) {
    if (v === undefined) continue;
    const old = train[k];
    if (JSON.stringify(old) === JSON.stringify(v)) continue;
    if (!RESUME_CHANGEABLE.has(k as keyof TrainConfig)) refused.push(`${k} ${JSON.stringify(v)} (the run has ${JSON.stringify(old)})`);
    else {
      train[k] = v;
      changes.push(`${k} ${JSON.stringify(old)} -> ${JSON.stringify(v)}`);
    }
  }
  for (const [k, v] of Object.entries(o.modelConfig ?? {})) {
    const old = (config.modelConfig as Record<string, unknown>)[k];
    if (String(old) !== String(v) && JSON.stringify(old) !== JSON.stringify(v)) refused.push(`model config ${k}=${JSON.stringify(v)} (the run has ${JSON.stringify(old)})`);
  }
  if (refused.length) {
    throw new Error(
      `cannot resume ${where} with ${refused.join(', ')}: a resumed run keeps the settings it was trained with ` +
        `(only ${[...RESUME_CHANGEABLE].join(', ')} may change). Start a new run (another --name) to train with different settings.`,
    );
  }
  const steps = train.steps as number;
  if (steps <= reachedStep) {
    throw new Error(
      steps === reachedStep && o.train?.steps === undefined
        ? `${where} is already trained to step ${reachedStep} of ${steps}; pass --steps above ${reachedStep} to train it further`
        : `cannot resume ${where} with steps ${steps}: its newest checkpoint is at step ${reachedStep}; --steps must be above ${reachedStep}`,
    );
  }
  if (o.train?.steps !== undefined && o.train.steps !== config.train.steps && config.train.schedule !== 'constant') {
    changes.push(`(the ${config.train.schedule} learning-rate schedule continues from the lr reached at step ${reachedStep} and now ends at step ${steps}; it does not rise again)`);
  }
  return { config: { ...config, train: resolveTrainConfig(train) }, changes };
}

/** Checks a device name and that this libtorch can use it (a CUDA device needs a CUDA build and a GPU). */
export function checkTrainDevice(device: string): string {
  if (!/^(cpu|cuda(:\d+)?)$/.test(device)) throw new Error(`device ${JSON.stringify(device)} is not a device: use 'cpu', 'cuda' or 'cuda:N'`);
  if (device.startsWith('cuda')) {
    const n = torch.cuda.deviceCount();
    if (n === 0) {
      throw new Error(`device ${JSON.stringify(device)} is not available: this libtorch (${torch.buildInfo().torchVersion}) was built without CUDA or sees no GPU (torch.cuda.isAvailable() is false); train with --device cpu`);
    }
    const index = device === 'cuda' ? 0 : Number(device.slice(5));
    if (index >= n) throw new Error(`device ${JSON.stringify(device)} does not exist: ${n} CUDA device(s) visible`);
  }
  return device;
}

/** A new run's config from the options (the family's defaults under the overrides). */
function newRunConfig(o: TrainRunOptions): RunConfig {
  const family = getModel(o.model);
  const modelConfig: ModelConfig = resolveConfig(family, o.modelConfig);
  const train = resolveTrainConfig(family.trainDefaults, o.train);
  const info = dataInfo(o.data);
  if (!family.dataKinds.includes(info.kind)) {
    throw new Error(`model '${family.name}' handles ${family.dataKinds.join('/')} data; '${o.data}' is ${info.kind}`);
  }
  return { version: 1, model: family.name, modelConfig, data: info, train, createdAt: new Date().toISOString() };
}

/**
 * A rank > 0's run and config: rank 0's (broadcast), checked against this rank's own options for a
 * new run, so ranks started with different settings fail at once naming the difference.
 */
async function followRank0(o: TrainRunOptions, group: ProcessGroup, root: string, mine: { name: string; config: RunConfig } | null): Promise<{ run: RunDir; config: RunConfig }> {
  const bytes = await broadcastBytes(group, mine && group.rank === 0 ? new TextEncoder().encode(JSON.stringify(mine)) : null);
  const theirs = JSON.parse(new TextDecoder().decode(bytes!)) as { name: string; config: RunConfig };
  const comparable = (c: RunConfig | undefined): unknown => (c ? { ...c, createdAt: undefined } : null);
  const own = group.rank === 0 ? null : o.resume ? { model: o.model || theirs.config.model, data: o.data || theirs.config.data.name } : comparable(newRunConfig(o));
  const ref = o.resume ? { model: theirs.config.model, data: theirs.config.data.name } : comparable(theirs.config);
  await verifySame(group, 'run config', group.rank === 0 ? ref : own);
  return { run: RunDir.at(root, theirs.name), config: theirs.config };
}

/** Trains a model on a data set in a run folder; resumes when asked. */
export async function trainRun(o: TrainRunOptions): Promise<TrainResult & { run: RunDir; config: RunConfig }> {
  const root = o.out ?? 'runs';
  const log = o.log ?? (() => {});
  let run: RunDir;
  let config: RunConfig;
  if (o.group && o.group.rank !== 0) {
    ({ run, config } = await followRank0(o, o.group, root, null));
  } else if (o.resume) {
    if (o.name === undefined) throw new Error('--resume needs --name <run> (the run folder to continue)');
    run = RunDir.at(root, o.name);
    if (!run.exists()) throw new Error(`cannot resume: ${run.dir} has no config.json`);
    config = run.readConfig();
    if (o.model && o.model !== config.model) throw new Error(`cannot resume: ${run.dir} trains '${config.model}', not '${o.model}'`);
    if (o.data && o.data !== config.data.name) throw new Error(`cannot resume: ${run.dir} uses data '${config.data.name}', not '${o.data}'`);
    const latest = run.latestIntactCheckpoint((m) => log(`warning: ${m}`));
    const reached = latest ? loadCheckpointStep(latest) : 0;
    const plan = planResume(config, o, reached, run.dir);
    checkTrainDevice(plan.config.train.device);
    if (plan.changes.length) {
      for (const c of plan.changes) log(`resume: ${c}`);
      config = plan.config;
      run.writeConfig(config);
    }
  } else {
    config = newRunConfig(o);
    checkTrainDevice(config.train.device);
    const name = o.name ?? freeRunName(root, `${o.model}-${o.data}`);
    run = RunDir.at(root, name);
    if (run.exists()) throw new Error(`run ${run.dir} already exists; pass --resume to continue it or another --name`);
    run.create();
    run.writeConfig(config);
  }
  if (o.group && o.group.rank === 0) await followRank0(o, o.group, root, { name: run.name, config });
  if (!o.group || o.group.rank === 0) run.create();

  const device = config.train.device;
  const data = keepData(await torch.scope(async () => onDevice(await loadData(config.data.name, { seed: config.train.seed, trainSize: config.train.trainSize }), device)));
  const model = buildModel(config, device);
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
    group: o.group,
    distributed: o.distributed,
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

/** The step recorded in a checkpoint's metadata (reads only the header). */
function loadCheckpointStep(path: string): number {
  const step = Number(readSafetensorsHeader(path).metadata?.step);
  if (!Number.isSafeInteger(step) || step < 0) throw new Error(`${path}: bad step ${JSON.stringify(readSafetensorsHeader(path).metadata?.step)} in the checkpoint metadata`);
  return step;
}

/**
 * A --checkpoint argument: a file name or step inside the run's checkpoints folder
 * ('step-0000050.safetensors', '50'), or a path to an existing file.
 */
function checkpointArg(run: RunDir, arg: string): string {
  if (/^\d+$/.test(arg)) {
    const p = run.checkpointPath(Number(arg));
    if (!existsSync(p)) throw new Error(`run ${run.dir} has no checkpoint for step ${arg} (steps: ${run.checkpointSteps().join(', ') || 'none'})`);
    return p;
  }
  const inRun = resolve(run.checkpointsDir, arg);
  const p = !arg.includes('/') && !arg.includes('\\') && existsSync(inRun) ? inRun : resolve(arg);
  if (!existsSync(p)) throw new Error(`checkpoint ${JSON.stringify(arg)} not found (looked at ${p}${p !== inRun ? ` and ${inRun}` : ''})`);
  if (!statSync(p).isFile()) throw new Error(`checkpoint ${p} is not a file`);
  return p;
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
export function openRun(pathOrName: string, options: { root?: string; checkpoint?: string; ema?: boolean; device?: string; warn?: (message: string) => void } = {}): OpenedRun {
  if (typeof pathOrName !== 'string' || pathOrName.trim() === '') throw new Error(`give a run folder or name, got ${JSON.stringify(pathOrName)}`);
  const candidates = [pathOrName, resolve(options.root ?? 'runs', pathOrName)];
  const dir = candidates.find((c) => existsSync(resolve(c, 'config.json')));
  if (!dir) throw new Error(`no run at ${candidates.map((c) => resolve(c)).join(' or ')} (a run folder has config.json)`);
  const run = new RunDir(dir);
  const config = run.readConfig();
  const checkpoint = options.checkpoint !== undefined ? checkpointArg(run, options.checkpoint) : run.latestIntactCheckpoint(options.warn);
  if (!checkpoint) {
    throw new Error(run.checkpointSteps().length ? `run ${run.dir} has no intact checkpoint (every file in ${run.checkpointsDir} is damaged)` : `run ${run.dir} has no checkpoint yet`);
  }
  // Sampling and evaluation run where the run trained when that device is here, else on the CPU.
  const device = options.device ?? (config.train.device?.startsWith('cuda') && torch.cuda.isAvailable() ? config.train.device : 'cpu');
  const model = buildModel(config, checkTrainDevice(device));
  let ema = false;
  let step = 0;
  try {
    torch.scope(() => {
      const c = loadTrainingCheckpoint(checkpoint, device);
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
