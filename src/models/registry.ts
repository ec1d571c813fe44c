/**
 * The model-family registry. Every family (the example `gaussian`, flows, VAEs, diffusion, ...)
 * registers itself once, at import time, with a name, a description, the kinds of data it handles,
 * a default config and a factory. The CLI (`genlab list/train/sample/eval`) and the Trainer work
 * through this interface only: no switch statement per model.
 *
 * A family's config is a plain JSON object (numbers, strings, booleans, arrays): it is stored in
 * the run's config.json and is all that is needed, with the data info, to rebuild the model.
 */
import type { Tensor, Generator } from '../tensor/index.ts';
import type { Module } from '../nn/index.ts';

/** The kinds of data a family can model. */
export type DataKind = '2d' | 'image';

/** What a model needs to know about its data to build itself. */
export interface DataInfo {
  /** The data set's name (e.g. 'moons', 'mnist'). */
  name: string;
  kind: DataKind;
  /** Shape of one example: [2] for 2D points, [C, H, W] for images. */
  shape: number[];
  /** Value range of the (preprocessed) data, when known, e.g. [-1, 1] for images. */
  range?: [number, number];
  /** Number of label classes, when the data set is labelled (e.g. 10 for MNIST). */
  classes?: number;
}

/** A JSON-serializable family config. */
export type ModelConfig = Record<string, unknown>;

/** A training batch: the examples (and labels when the data set has them). */
export interface Batch {
  x: Tensor;
  y?: Tensor;
}

/** The loss of one step: `loss` is minimized; every other entry is a named term shown in logs. */
export type LossTerms = { loss: Tensor } & Record<string, Tensor>;

/** Options of `sample`. Families read what they understand and ignore the rest. */
export interface SampleOptions {
  /** Scales the base noise (1 = the model's distribution). */
  temperature?: number;
  /** Sampler steps (diffusion, autoregressive models). */
  steps?: number;
  /** Random generator (default: the global one). */
  generator?: Generator;
  /** Use the EMA weights when the trainer has them loaded (the default at sampling time). */
  [option: string]: unknown;
}

/**
 * One optimizer of a family that trains several (adversarial families: a generator and a
 * discriminator). Its parameters are those of the named modules; every trainable parameter of the
 * model must belong to exactly one group.
 */
export interface ParamGroupSpec {
  /** Short name: it prefixes the group's logged terms (`d.loss`) and its checkpoint state. */
  name: string;
  /** Keys of `ModelInstance.modules` whose parameters this optimizer updates. */
  modules: string[];
  /** Learning rate as a multiple of the run's lr (default 1). */
  lrScale?: number;
  /** Adam's betas for this group (default: the run's). */
  betas?: [number, number];
  /**
   * Whether the trainer's EMA (train setting `ema`) averages this group's modules (default true).
   * A GAN's discriminator sets false: its average is never used, and averaging it costs a copy.
   */
  ema?: boolean;
}

/**
 * A built model. Its tensors belong to its modules (kept); `loss`, `sample` and `logProb` make
 * tensors in the caller's scope.
 */
export interface ModelInstance {
  /** Named modules: the trainer checkpoints, optimizes and EMA-averages them. */
  modules: Record<string, Module>;
  /** The training loss of one batch at a step (the step lets schedules inside the loss vary). */
  loss(batch: Batch, step: number): LossTerms;
  /**
   * Names of logged terms that are diagnostics, not losses (a codebook's perplexity and usage, a
   * temperature): the loss curve draws each in a panel of its own instead of on the losses' axes.
   */
  monitors?: readonly string[];
  /**
   * Several optimizers in one step (optional; e.g. generator then discriminator). When set, each
   * step calls `groupLoss` once per group, in this order, and after each call backpropagates that
   * loss and steps that group's optimizer alone (every gradient is cleared before each backward).
   * Checkpoints hold every group's optimizer state; resume stays exact.
   */
  groups?: ParamGroupSpec[];
  /**
   * The loss of one group at a step. `shared` is one object per step, passed to every group in
   * order, so a later group can reuse an earlier group's forward pass (e.g. the reconstruction,
   * detached, for the discriminator). Terms are logged as `<group>.<term>` except for the first
   * group, whose terms keep their names (its `loss` is the run's `loss`). Returning null skips the
   * group at this step (no backward, no update: e.g. a discriminator before it is switched on).
   */
  groupLoss?(group: string, batch: Batch, step: number, shared: Record<string, unknown>): LossTerms | null;
  /** n samples, shape [n, ...dataInfo.shape], in data space. */
  sample(n: number, options?: SampleOptions): Tensor;
  /** Log density (nats) of each example: shape [n]. Enables NLL evaluation and density plots. */
  logProb?(x: Tensor): Tensor;
  /**
   * Held-out examples `genlab eval` scores with logProb by default when it is expensive (e.g. a
   * PF-ODE solve per batch); absent: the whole held-out split. `--nll-n` overrides it.
   */
  logProbExamples?: number;
  /**
   * Family-specific evaluation on held-out data (e.g. ELBO terms, codebook usage); numbers are
   * added to `genlab eval`'s table. Its `nll` / `bpd`, when the model also has logProb, are the
   * same quantity as testNll / bitsPerDim and are reported once (as those).
   */
  evaluate?(data: Tensor, options?: { batchSize?: number }): Record<string, number>;
  /**
   * One-time setup the trainer runs before its first step (after a resume's restore), outside the
   * per-step seeding: work that may draw from or reseed the global RNG (opening a teacher run,
   * drawing its pairs) must happen here, not inside the first loss, or that step's random draws
   * would depend on it (and a resumed run would not continue exactly).
   */
  beforeTraining?(): void;
  /** All trainable parameters (of every module, each once). */
  parameters(): Tensor[];
  /** Frees everything the model holds (its modules' dispose by default). */
  dispose?(): void;
}

/** A model family, as registered. */
export interface ModelFamily<C extends ModelConfig = ModelConfig> {
  name: string;
  /** One line for `genlab list`. */
  description: string;
  dataKinds: DataKind[];
  defaultConfig: C;
  /** Training defaults this family prefers (lr, steps, batch size, ...), overriding the trainer's. */
  trainDefaults?: Record<string, unknown>;
  /** Data set to use when none is given (e.g. in `genlab demo`). */
  defaultData?: string;
  /** Builds a model; `config` is defaultConfig merged with the user's overrides. */
  create(config: C, data: DataInfo): ModelInstance;
}

const families = new Map<string, ModelFamily>();

/** Registers a family. Registering the same name twice is an error (a typo or a double import). */
export function registerModel<C extends ModelConfig>(family: ModelFamily<C>): ModelFamily<C> {
  if (!/^[a-z][a-z0-9-]*$/.test(family.name)) {
    throw new TypeError(`registerModel: family name must be lowercase letters, digits and '-', got '${family.name}'`);
  }
  const existing = families.get(family.name);
  if (existing && existing !== (family as unknown as ModelFamily)) {
    throw new Error(`registerModel: a model family named '${family.name}' is already registered`);
  }
  families.set(family.name, family as unknown as ModelFamily);
  return family;
}

/** The family of that name; throws with the list of known names when there is none. */
export function getModel(name: string): ModelFamily {
  const f = families.get(name);
  if (!f) throw new Error(`unknown model '${name}'; models: ${modelNames().join(', ') || '(none registered)'}`);
  return f;
}

/** True when a family of that name is registered. */
export function hasModel(name: string): boolean {
  return families.has(name);
}

/** Every registered family, in registration order. */
export function listModels(): ModelFamily[] {
  return [...families.values()];
}

/** The names of the registered families. */
export function modelNames(): string[] {
  return [...families.keys()];
}

/** Removes a family (tests only). */
export function unregisterModel(name: string): boolean {
  return families.delete(name);
}

/**
 * Merges user overrides into a family's default config. Override values may be strings from the
 * command line (`--config hidden=128`): they are parsed as JSON when possible and coerced to the
 * type of the default (number, boolean, array). Unknown keys are an error naming the known ones.
 */
export function resolveConfig(family: ModelFamily, overrides: Record<string, unknown> = {}): ModelConfig {
  const out: ModelConfig = structuredClone(family.defaultConfig);
  for (const [key, raw] of Object.entries(overrides)) {
    if (!(key in out)) {
      const known = Object.keys(family.defaultConfig);
      throw new Error(`unknown config key '${key}' for model '${family.name}'; keys: ${known.join(', ') || '(none)'}`);
    }
    out[key] = coerceConfigValue(key, raw, out[key]);
  }
  return out;
}

function coerceConfigValue(key: string, raw: unknown, def: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  let v: unknown = raw;
  try {
    v = JSON.parse(raw);
  } catch {
    v = raw;
  }
  if (typeof def === 'number') {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`config '${key}' takes a number, got '${raw}'`);
    return v;
  }
  if (typeof def === 'boolean') {
    if (typeof v !== 'boolean') throw new Error(`config '${key}' takes true or false, got '${raw}'`);
    return v;
  }
  if (Array.isArray(def)) {
    if (Array.isArray(v)) return v;
    if (typeof raw === 'string') return raw.split(',').map((s) => (Number.isFinite(Number(s)) && s.trim() !== '' ? Number(s) : s));
  }
  if (typeof def === 'string') return raw;
  return v;
}

/** A ModelInstance's parameters from its modules (each tensor once): the default `parameters()`. */
export function moduleParameters(modules: Record<string, Module>): Tensor[] {
  const seen = new Set<Tensor>();
  const out: Tensor[] = [];
  for (const m of Object.values(modules)) {
    for (const p of m.parameters()) {
      if (!seen.has(p)) {
        seen.add(p);
        out.push(p);
      }
    }
  }
  return out;
}
