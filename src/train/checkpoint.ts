/**
 * Training checkpoints, in io's checkpoint format (one safetensors file, written atomically):
 *
 * - `model.<module>.<name>`  every module's state dict (parameters and persistent buffers),
 * - `ema.<module>.<name>`    the EMA weights (when the run has EMA),
 * - `optim.<module>.<name>.<slot>`  the optimizer state (Adam's exp_avg / exp_avg_sq, ...),
 *
 * with the step, the run's config.json, the optimizer's JSON state, the seed and the learning-rate
 * plan's resume anchor (config.ts, LrAnchor) in the metadata.
 * Because the data order and the per-step noise are functions of (seed, step), that is everything
 * a resumed run needs to continue exactly where the checkpoint was taken. The `model.*` tensors load
 * into PyTorch with `safetensors.torch.load_file` and a prefix strip.
 */
import { torch, type Tensor } from '../tensor/index.ts';
import { loadCheckpoint, saveCheckpoint } from '../io/checkpoint.ts';
import type { Module } from '../nn/index.ts';
import type { RunConfig } from './run.ts';
import type { LrAnchor } from './config.ts';

/** What a checkpoint holds, as read back. Tensors are owned by the scope that loaded them. */
export interface CheckpointContents {
  step: number;
  seed: number;
  config: RunConfig | null;
  /** Module name -> its state dict. */
  model: Record<string, Record<string, Tensor>>;
  /** `<module>.<param>` -> EMA weight. */
  ema: Record<string, Tensor> | null;
  /** The EMA's JSON state (update counts). */
  emaMeta: Record<string, unknown>;
  optim: { tensors: Record<string, Tensor>; meta: Record<string, unknown> } | null;
  /** Where a resume re-anchored the learning-rate plan (null: the run's first plan). */
  lrAnchor: LrAnchor | null;
}

/** What to write. */
export interface CheckpointState {
  step: number;
  seed: number;
  config: RunConfig;
  modules: Record<string, Module>;
  ema?: Record<string, Tensor> | null;
  emaMeta?: Record<string, unknown>;
  optim?: { tensors: Record<string, Tensor>; meta: Record<string, unknown> } | null;
  lrAnchor?: LrAnchor | null;
}

/** Writes a checkpoint atomically (a crash leaves the previous file or the new one). */
export function saveTrainingCheckpoint(path: string, s: CheckpointState): void {
  const model: Record<string, Tensor> = {};
  for (const [mname, m] of Object.entries(s.modules)) {
    for (const [k, t] of Object.entries(m.stateDict())) model[`${mname}.${k}`] = t;
  }
  torch.noGrad(() =>
    saveCheckpoint(path, {
      model,
      ema: s.ema ?? undefined,
      optimizer: s.optim ? { tensors: s.optim.tensors, state: s.optim.meta } : undefined,
      step: s.step,
      config: s.config,
      extra: { seed: s.seed, ema: s.emaMeta ?? null, lrAnchor: s.lrAnchor ?? null },
    }),
  );
}

/** Reads a checkpoint written by saveTrainingCheckpoint, its tensors on `device` (default CPU). */
export function loadTrainingCheckpoint(path: string, device?: string): CheckpointContents {
  const c = loadCheckpoint(path, device && device !== 'cpu' ? { device } : {});
  const model: Record<string, Record<string, Tensor>> = {};
  for (const [k, t] of Object.entries(c.model)) {
    const dot = k.indexOf('.');
    (model[k.slice(0, dot)] ??= {})[k.slice(dot + 1)] = t;
  }
  const extra = (c.extra ?? {}) as { seed?: number; ema?: Record<string, unknown> | null; lrAnchor?: LrAnchor | null };
  const config = (c.config ?? null) as RunConfig | null;
  return {
    step: c.step,
    seed: extra.seed ?? config?.train.seed ?? 0,
    config,
    model,
    ema: c.ema ?? null,
    emaMeta: extra.ema ?? {},
    optim: c.optimizer ? { tensors: c.optimizer.tensors, meta: (c.optimizer.state ?? {}) as Record<string, unknown> } : null,
    lrAnchor: extra.lrAnchor ?? null,
  };
}

/** Copies a checkpoint's module weights into modules (strict: every key must match). */
export function loadModules(modules: Record<string, Module>, weights: Record<string, Record<string, Tensor>>): void {
  for (const [name, m] of Object.entries(modules)) {
    const sd = weights[name];
    if (!sd) throw new Error(`checkpoint has no weights for module '${name}' (it has: ${Object.keys(weights).join(', ') || 'none'})`);
    m.loadStateDict(sd);
  }
}
