/**
 * `genlab train <model> --data <set>`: trains a registered model family in a run folder
 * (runs/<name>/: config.json, metrics.jsonl, checkpoints/, samples/, loss.png), with a progress bar
 * on stderr. Ctrl-C saves a checkpoint and exits cleanly (resume with --resume --name <run>).
 */
import type { Command } from '../command.ts';
import { UsageError } from '../args.ts';
import { ProgressBar, formatLoss } from '../progress.ts';
import { getModel, hasModel, modelNames } from '../../models/index.ts';
import { DEFAULT_TRAIN_CONFIG, dataNames, trainRun, type TrainConfig, type TrainResult } from '../../train/index.ts';
import { checkRunName } from '../../train/run.ts';
import { parseKeyValues } from './shared.ts';

/** Exit codes of `genlab train`. */
export const TRAIN_EXIT = { completed: 0, error: 1, nan: 3, aborted: 130 } as const;

/** Splits `--config` entries into family-config and training-setting overrides. */
export function splitOverrides(model: string, entries: Record<string, string>): { modelConfig: Record<string, unknown>; train: Record<string, unknown> } {
  const family = getModel(model);
  const modelConfig: Record<string, unknown> = {};
  const train: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(entries)) {
    if (k in family.defaultConfig) modelConfig[k] = v;
    else if (k in DEFAULT_TRAIN_CONFIG) train[k] = coerce(k, v, (DEFAULT_TRAIN_CONFIG as unknown as Record<string, unknown>)[k]);
    else {
      const keys = [...Object.keys(family.defaultConfig), ...Object.keys(DEFAULT_TRAIN_CONFIG)];
      throw new UsageError(`unknown --config key '${k}' for ${model}; keys: ${keys.join(', ')}`);
    }
  }
  return { modelConfig, train };
}

/** --config entries with --resume and no model: training settings only (the model is the run's). */
function trainOverrides(entries: Record<string, string>): Record<string, unknown> {
  const train: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(entries)) {
    if (!(k in DEFAULT_TRAIN_CONFIG)) throw new UsageError(`--config ${k}: with --resume only training settings change; settings: ${Object.keys(DEFAULT_TRAIN_CONFIG).join(', ')}`);
    train[k] = coerce(k, v, (DEFAULT_TRAIN_CONFIG as unknown as Record<string, unknown>)[k]);
  }
  return train;
}

function coerce(key: string, raw: string, def: unknown): unknown {
  if (typeof def === 'string') return raw;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new UsageError(`--config ${key} takes ${Array.isArray(def) ? 'a JSON array' : typeof def}, got '${raw}'`);
  }
  return v;
}

export interface ProgressHooks {
  onStep: NonNullable<Parameters<typeof trainRun>[0]['onStep']>;
  log: (m: string) => void;
  done: () => void;
}

/** A progress bar wired to trainRun's callbacks. */
export function progressHooks(label: string): ProgressHooks {
  let bar: ProgressBar | null = null;
  return {
    onStep: (e) => {
      bar ??= new ProgressBar({ total: e.total, label, start: e.step - 1 });
      const fields: Record<string, number> = {};
      if (e.record) for (const [k, v] of Object.entries(e.record)) if (!['step', 'lr', 'itPerSec', 'time', 'gradNorm'].includes(k)) fields[k] = v;
      bar.update(e.step, fields);
    },
    log: (m) => (bar ? bar.log(m) : process.stderr.write(`${m}\n`)),
    done: () => bar?.done(),
  };
}

/** The signals a training run answers by saving a checkpoint and exiting (Ctrl-C, kill, systemd, Docker, CI, a closed terminal). */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];
const SIGNAL_NUMBER: Record<StopSignal, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

/**
 * Runs trainRun with SIGINT, SIGTERM and SIGHUP wired to an AbortSignal: the first one saves a
 * checkpoint after the current step and returns (status 'aborted', `signal` set); a second one exits at once.
 */
export async function trainWithSignals(options: Parameters<typeof trainRun>[0]): Promise<Awaited<ReturnType<typeof trainRun>> & { signal?: StopSignal }> {
  const ac = new AbortController();
  let received: StopSignal | undefined;
  const handlers = STOP_SIGNALS.map((sig) => {
    const h = (): void => {
      if (received === undefined) {
        received = sig;
        process.stderr.write(`\n${sig}: saving a checkpoint after this step (send it again to quit now)\n`);
        ac.abort();
      } else process.exit(128 + SIGNAL_NUMBER[sig]);
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  try {
    const r = await trainRun({ ...options, signal: options.signal ?? ac.signal });
    return received ? { ...r, signal: received } : r;
  } finally {
    for (const [sig, h] of handlers) process.off(sig, h);
  }
}

/** The exit code for a training result (128 + the signal's number when a signal stopped it, as shells report). */
export function exitCodeOf(r: TrainResult & { signal?: StopSignal }): number {
  if (r.status === 'aborted' && r.signal) return 128 + SIGNAL_NUMBER[r.signal];
  return r.status === 'completed' ? TRAIN_EXIT.completed : r.status === 'nan' ? TRAIN_EXIT.nan : r.status === 'aborted' ? TRAIN_EXIT.aborted : TRAIN_EXIT.error;
}

export const trainCommand: Command = {
  name: 'train',
  summary: 'Train a model family on a data set (writes runs/<name>/)',
  usage: '<model> --data <set> [flags]',
  flags: {
    data: { type: 'string', choices: dataNames(), help: 'data set' },
    steps: { type: 'int', help: `optimizer steps (default: the family's, else ${DEFAULT_TRAIN_CONFIG.steps})` },
    batch: { type: 'int', help: `examples per step (default: the family's, else ${DEFAULT_TRAIN_CONFIG.batch})` },
    lr: { type: 'float', help: `peak learning rate (default: the family's, else ${DEFAULT_TRAIN_CONFIG.lr})` },
    seed: { type: 'int', help: 'seed of init, data order and noise (default 0)' },
    optimizer: { type: 'string', choices: ['adam', 'adamw', 'sgd'], help: 'optimizer (default adam)' },
    warmup: { type: 'int', help: 'learning-rate warm-up steps (default 0)' },
    schedule: { type: 'string', choices: ['cosine', 'constant', 'linear'], help: 'learning-rate decay (default cosine)' },
    'clip-grad': { type: 'float', help: 'clip the gradient norm to this (0 = off)' },
    ema: { type: 'float', help: 'EMA decay of the weights (0 = off)' },
    out: { type: 'string', default: 'runs', help: 'folder of runs' },
    name: { type: 'string', help: 'run name (default <model>-<data>)' },
    resume: { type: 'bool', help: 'continue the run --name from its newest intact checkpoint (--steps may extend it; other training settings must match the run)' },
    'log-every': { type: 'int', help: `log every N steps (default ${DEFAULT_TRAIN_CONFIG.logEvery})` },
    'sample-every': { type: 'int', help: 'write sample pictures every N steps (default: at the end)' },
    'ckpt-every': { type: 'int', help: 'write a checkpoint every N steps (default: at the end)' },
    device: { type: 'string', help: "device: cpu, cuda or cuda:N (default cpu; cuda needs a CUDA build of libtorch)" },
    config: { type: 'string', help: 'family config or training setting overrides: key=value[,key=value...]' },
    'no-pictures': { type: 'bool', help: 'skip sample pictures and the loss curve' },
    quiet: { type: 'bool', alias: 'q', help: 'no progress bar' },
  },
  async run(positional, flags): Promise<number> {
    const resume = Boolean(flags.resume);
    const model = positional[0];
    if (positional.length > 1) throw new UsageError(`unexpected argument '${positional[1]}'; usage: genlab train <model> --data <set>`);
    if (!model && !resume) throw new UsageError(`give a model: genlab train <model> --data <set>; models: ${modelNames().join(', ')}`);
    if (model && !hasModel(model)) throw new UsageError(`unknown model '${model}'; models: ${modelNames().join(', ')}`);
    const data = flags.data as string | undefined;
    if (!data && !resume) throw new UsageError(`--data is required; data sets: ${dataNames().join(', ')}`);
    if (resume && flags.name === undefined) throw new UsageError('--resume needs --name <run>');
    if (String(flags.out).trim() === '') throw new UsageError(`--out must name a folder, got ''`);
    if (flags.name !== undefined) {
      try {
        checkRunName(flags.name, '--name');
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    }

    const kv = parseKeyValues(flags.config ? [String(flags.config)] : []);
    const { modelConfig, train: trainKv } = model ? splitOverrides(model, kv) : { modelConfig: {}, train: trainOverrides(kv) };
    const train: Partial<TrainConfig> = { ...(trainKv as Partial<TrainConfig>) };
    const set = <K extends keyof TrainConfig>(k: K, flag: string): void => {
      if (flags[flag] !== undefined) train[k] = flags[flag] as TrainConfig[K];
    };
    set('steps', 'steps');
    set('batch', 'batch');
    set('lr', 'lr');
    set('seed', 'seed');
    set('optimizer', 'optimizer');
    set('warmup', 'warmup');
    set('schedule', 'schedule');
    set('clipGrad', 'clip-grad');
    set('ema', 'ema');
    set('logEvery', 'log-every');
    set('sampleEvery', 'sample-every');
    set('ckptEvery', 'ckpt-every');
    set('device', 'device');

    const hooks = flags.quiet ? null : progressHooks(model ?? String(flags.name));
    const r = await trainWithSignals({
      model: model ?? '',
      data: data ?? '',
      out: flags.out as string,
      name: flags.name as string | undefined,
      resume,
      train,
      modelConfig,
      pictures: !flags['no-pictures'],
      onStep: hooks?.onStep,
      log: hooks?.log ?? ((m) => process.stderr.write(`${m}\n`)),
    });
    hooks?.done();
    if (r.status === 'completed') {
      console.log(r.message);
      console.log(`run folder: ${r.run.dir}`);
      for (const p of r.pictures) console.log(`  ${p}`);
      if (Number.isFinite(r.loss)) console.log(`final loss ${formatLoss(r.loss)}`);
    }
    // Otherwise (NaN stop, interrupt) the trainer has already said what happened on stderr.
    return exitCodeOf(r);
  },
};
