/**
 * Training checkpoints: model weights, optimizer state, EMA weights, the step, the config and any
 * extra JSON state in ONE safetensors file, written atomically. Tensor names are prefixed `model.`,
 * `optim.` and `ema.`; everything that is not a tensor is JSON in the file's `__metadata__`, so the
 * file also opens with `safetensors.torch.load_file` in PyTorch.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '../tensor/index.ts';
import { loadSafetensors, readSafetensorsHeader, saveSafetensors, type LoadOptions } from './safetensors.ts';
import { TEMP_PREFIX } from './atomic.ts';

/** A module's state dict: parameter and buffer names to tensors. */
export type StateDict = Record<string, Tensor>;

/** Optimizer state: its tensors (moments, ...) and everything else as JSON-able data. */
export interface OptimizerState {
  tensors: Record<string, Tensor>;
  state: unknown;
}

/** What a checkpoint holds. `config` and `extra` must be JSON-able (non-finite numbers are kept). */
export interface Checkpoint {
  model: StateDict;
  optimizer?: OptimizerState;
  ema?: StateDict;
  step: number;
  config: unknown;
  extra?: unknown;
}

const KIND = 'checkpoint';
const VERSION = '1';
const PREFIX = { model: 'model.', optimizer: 'optim.', ema: 'ema.' } as const;
const NUM_TAG = '__genlab_number__';

/** JSON with NaN/Infinity preserved (tagged), so e.g. `bestLoss: Infinity` survives a round trip. */
function toJson(value: unknown, what: string): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? { [NUM_TAG]: String(v) } : v));
  } catch (e) {
    throw new TypeError(`saveCheckpoint: ${what} is not JSON-able (${(e as Error).message})`);
  }
  if (s === undefined) throw new TypeError(`saveCheckpoint: ${what} is not JSON-able (got ${typeof value})`);
  return s;
}

function fromJson(text: string, what: string, path: string): unknown {
  try {
    return JSON.parse(text, (_k, v: unknown) => {
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        const keys = Object.keys(v);
        if (keys.length === 1 && keys[0] === NUM_TAG) return Number((v as Record<string, string>)[NUM_TAG]);
      }
      return v;
    });
  } catch (e) {
    throw new Error(`loadCheckpoint: ${path}: ${what} in the metadata is not valid JSON (${(e as Error).message})`);
  }
}

function checkStep(step: unknown, what: string): number {
  if (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 0) throw new TypeError(`${what}: step must be a non-negative integer, got ${String(step)}`);
  return step;
}

/**
 * Saves a checkpoint to `path` (one safetensors file, written atomically: a crash mid-save leaves the
 * previous file). Tensors may live on any device; they are copied to the file as they are.
 */
export function saveCheckpoint(path: string, ckpt: Checkpoint): void {
  const what = `saveCheckpoint(${path})`;
  checkStep(ckpt.step, what);
  const tensors: Record<string, Tensor> = {};
  const parts: string[] = [];
  const add = (part: keyof typeof PREFIX, dict: Record<string, Tensor> | undefined): void => {
    if (dict === undefined) return;
    if (typeof dict !== 'object' || dict === null) throw new TypeError(`${what}: ${part} must be an object of name -> Tensor`);
    parts.push(part);
    for (const k of Object.keys(dict)) {
      Object.defineProperty(tensors, PREFIX[part] + k, { value: dict[k], enumerable: true, writable: true, configurable: true });
    }
  };
  if (!ckpt.model || typeof ckpt.model !== 'object') throw new TypeError(`${what}: model state dict is required`);
  add('model', ckpt.model);
  add('optimizer', ckpt.optimizer?.tensors ?? (ckpt.optimizer ? {} : undefined));
  add('ema', ckpt.ema);
  const metadata: Record<string, string> = {
    format: 'pt',
    'genlab.kind': KIND,
    'genlab.version': VERSION,
    parts: JSON.stringify(parts),
    step: String(ckpt.step),
    config: toJson(ckpt.config ?? null, 'config'),
  };
  if (ckpt.optimizer) metadata['optim.state'] = toJson(ckpt.optimizer.state ?? null, 'optimizer.state');
  if (ckpt.extra !== undefined) metadata.extra = toJson(ckpt.extra, 'extra');
  saveSafetensors(path, tensors, metadata);
}

/**
 * Loads a checkpoint written by saveCheckpoint. The tensors are new and owned by the current scope
 * (`.keep()` or copy them into parameters). Throws if the file is not a genlab checkpoint.
 */
export function loadCheckpoint(path: string, options: Pick<LoadOptions, 'device'> = {}): Checkpoint {
  const header = readSafetensorsHeader(path);
  const meta = header.metadata;
  if (meta['genlab.kind'] !== KIND) throw new Error(`loadCheckpoint: ${path} is a safetensors file but not a genlab checkpoint (no genlab.kind=checkpoint metadata); use loadSafetensors`);
  if (meta['genlab.version'] !== VERSION) throw new Error(`loadCheckpoint: ${path} has checkpoint version ${meta['genlab.version']}, this genlab reads version ${VERSION}`);
  const parts = fromJson(meta.parts ?? '["model"]', 'parts', path) as string[];
  const step = Number(meta.step);
  if (!Number.isSafeInteger(step) || step < 0) throw new Error(`loadCheckpoint: ${path}: bad step ${JSON.stringify(meta.step)} in the metadata`);
  for (const name of Object.keys(header.entries)) {
    if (!Object.values(PREFIX).some((p) => name.startsWith(p))) throw new Error(`loadCheckpoint: ${path}: tensor ${JSON.stringify(name)} has none of the prefixes model., optim., ema.`);
  }
  const { tensors } = loadSafetensors(path, { device: options.device });
  const take = (part: keyof typeof PREFIX): Record<string, Tensor> => {
    const out: Record<string, Tensor> = {};
    const p = PREFIX[part];
    for (const [k, t] of Object.entries(tensors)) {
      if (k.startsWith(p)) Object.defineProperty(out, k.slice(p.length), { value: t, enumerable: true, writable: true, configurable: true });
    }
    return out;
  };
  const ckpt: Checkpoint = { model: take('model'), step, config: fromJson(meta.config ?? 'null', 'config', path) };
  if (parts.includes('optimizer')) ckpt.optimizer = { tensors: take('optimizer'), state: fromJson(meta['optim.state'] ?? 'null', 'optim.state', path) };
  if (parts.includes('ema')) ckpt.ema = take('ema');
  if (meta.extra !== undefined) ckpt.extra = fromJson(meta.extra, 'extra', path);
  return ckpt;
}

/** The conventional file name for a checkpoint at `step` in `dir`: `dir/step-00001000.safetensors`. */
export function checkpointPath(dir: string, step: number): string {
  checkStep(step, 'checkpointPath');
  return join(dir, `step-${String(step).padStart(8, '0')}.safetensors`);
}

/**
 * The genlab checkpoints in `dir` (by their metadata, whatever their names), sorted by step then by
 * modification time. Unreadable, malformed, temporary and non-checkpoint files are skipped.
 */
export function listCheckpoints(dir: string): { path: string; step: number }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const found: { path: string; step: number; mtime: number }[] = [];
  for (const name of names) {
    if (!name.endsWith('.safetensors') || name.startsWith(TEMP_PREFIX)) continue;
    const path = join(dir, name);
    try {
      const meta = readSafetensorsHeader(path).metadata;
      const step = Number(meta.step);
      if (meta['genlab.kind'] !== KIND || !Number.isSafeInteger(step)) continue;
      found.push({ path, step, mtime: statSync(path).mtimeMs });
    } catch {
      /* not a readable checkpoint */
    }
  }
  found.sort((a, b) => a.step - b.step || a.mtime - b.mtime || (a.path < b.path ? -1 : 1));
  return found.map(({ path, step }) => ({ path, step }));
}

/** The path of the checkpoint with the highest step in `dir`, or null when there is none. */
export function latestCheckpoint(dir: string): string | null {
  const all = listCheckpoints(dir);
  return all.length ? all[all.length - 1]!.path : null;
}
