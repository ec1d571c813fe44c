/**
 * A diffusion / flow model as a registry ModelInstance, assembled from the parts: a raw network
 * (TimeMLP for 2D, UNet for images), a preconditioning, a loss and the default sampler. Images are
 * mapped to [-1, 1] inside (σ_data = 0.5 is EDM's value for that range) and back on sampling.
 */
import { torch, type Tensor, type Generator } from '../../tensor/index.ts';
import { getDataset } from '../../data/registry.ts';
import { moduleParameters, type DataInfo, type ModelConfig, type ModelInstance, type SampleOptions } from '../registry.ts';
import { getPreconditioning, Preconditioned, type Denoiser, type PreconditioningName } from './preconditioning.ts';
import { getSchedule, type Schedule } from './schedules.ts';
import { getLoss, type LossOptions } from './losses.ts';
import { makeSigmas } from './sigmas.ts';
import { getSampler, perSampleNoise, type NoiseSampler, type SamplerCallback } from './samplers/index.ts';
import { guidedDenoiser } from './guidance.ts';
import { imageLogLikelihood, odeLogLikelihood } from './likelihood.ts';
import { NOISE_EMBED_SCALE, TimeMLP, UNetDenoiserNet } from './nets.ts';
import type { SolveStats } from '../../ode/index.ts';

/** Config of every diffusion family (each family's defaults pick the parts). */
export interface DiffusionConfig extends ModelConfig {
  preconditioning: string;
  loss: string;
  /** Noise schedule: σ range of the sigma schedules, and t for 'uniform' sigmas. */
  schedule: string;
  /** Default sampler, steps and sigma schedule of `sample`. */
  sampler: string;
  steps: number;
  sigmas: string;
  rho: number;
  /** fm/cfm/rectified: 'uniform' or 'logit-normal' t. */
  timeSampling: string;
  /** 2D network: residual MLP width and blocks. */
  width: number;
  depth: number;
  /** Image network: UNet base channels, multipliers, ResBlocks per level, attention resolutions. */
  channels: number;
  channelMult: number[];
  numResBlocks: number;
  attnResolutions: number[];
  channelsLast: boolean;
  /** Class-conditional (images with labels), with label dropout pUncond for classifier-free guidance. */
  classCond: boolean;
  pUncond: number;
  /** Default guidance scale (1 = conditional, no guidance). */
  guidance: number;
}

export interface DiffusionSampleOptions extends SampleOptions {
  sampler?: string;
  sigmas?: string | number[];
  guidance?: number;
  /** Class labels of the samples [n] (default: 0, 1, ..., numClasses-1 repeated). */
  labels?: number[];
  /** One seed per sample (a sample then does not depend on n). */
  seeds?: number[];
  callback?: SamplerCallback;
  /** Extra options for the sampler (eta, sChurn, ...). */
  samplerOptions?: Record<string, unknown>;
  onStats?: (s: SolveStats) => void;
}

/** What a built diffusion model exposes beyond ModelInstance (pictures, reflow, tests). */
export interface DiffusionInstance extends ModelInstance {
  pre: Preconditioned;
  schedule: Schedule;
  config: DiffusionConfig;
  data: DataInfo;
  numClasses: number;
  sample(n: number, options?: DiffusionSampleOptions): Tensor;
  /** The denoiser used by `sample` (guided when asked), in the model's internal space. */
  denoiser(options?: DiffusionSampleOptions, n?: number): Denoiser;
  /** Sigmas of `sample` for these options. */
  sigmas(options?: DiffusionSampleOptions): number[];
  /** Initial noise x_T = σ_max ε [n, ...shape] and the noise sampler used after it. */
  initialNoise(n: number, sigmaMax: number, options?: DiffusionSampleOptions): { x: Tensor; noise?: NoiseSampler };
  /** Data <-> the model's internal space ([-1, 1] for images). */
  toModel(x: Tensor): Tensor;
  fromModel(x: Tensor): Tensor;
}

/** Relative and absolute tolerance of the PF-ODE solve of image likelihoods. */
export const IMAGE_LIKELIHOOD_TOL = 1e-3;

const dimOf = (d: DataInfo) => d.shape.reduce((a, b) => a * b, 1);

export function buildNet(c: DiffusionConfig, data: DataInfo, numClasses: number) {
  const scale = NOISE_EMBED_SCALE[c.preconditioning as PreconditioningName] ?? 1;
  if (data.kind === 'image') {
    const [C, H] = data.shape as [number, number, number];
    return new UNetDenoiserNet(
      { inChannels: C, imageSize: H, channels: c.channels, channelMult: c.channelMult, numResBlocks: c.numResBlocks, attnResolutions: c.attnResolutions, numClasses },
      scale,
      c.channelsLast,
    );
  }
  return new TimeMLP({ dim: dimOf(data), width: c.width, depth: c.depth, numClasses, noiseScale: scale });
}

function numClassesOf(c: DiffusionConfig, data: DataInfo): number {
  if (!c.classCond || data.kind !== 'image') return 0;
  try {
    const d = getDataset(data.name);
    return d.kind === 'image' ? d.numClasses : 0;
  } catch {
    return 0;
  }
}

/** Builds the instance (class count read from the data set); `loss` may be replaced by a family (reflow, distillation). */
export function createDiffusionModel(c: DiffusionConfig, data: DataInfo): DiffusionInstance {
  const numClasses = numClassesOf(c, data);
  const net = buildNet(c, data, numClasses);
  return wrap(c, data, new Preconditioned(net, getPreconditioning(c.preconditioning)), numClasses);
}

function wrap(c: DiffusionConfig, data: DataInfo, pre: Preconditioned, numClasses: number): DiffusionInstance {
  const schedule = getSchedule(c.schedule);
  const lossFn = getLoss(c.loss);
  const lossOptions: LossOptions = { timeSampling: c.timeSampling as LossOptions['timeSampling'] };
  const image = data.kind === 'image';
  const [lo, hi] = data.range ?? [0, 1];
  const toModel = (x: Tensor) => (image ? x.sub(lo).mul(2 / (hi - lo)).sub(1) : x);
  const fromModel = (x: Tensor) => (image ? x.add(1).mul((hi - lo) / 2).add(lo).clamp(lo, hi) : x);
  const modules = { net: pre.net };
  const inst: DiffusionInstance = {
    modules,
    pre,
    schedule,
    config: c,
    data,
    numClasses,
    toModel,
    fromModel,
    loss(batch) {
      let labels: Tensor | null = null;
      if (numClasses > 0) {
        if (!batch.y) throw new Error(`model built class-conditional (classCond) but the batch of '${data.name}' has no labels`);
        labels = batch.y.to('int64').maskedFill(torch.rand([batch.y.size(0)]).lt(c.pUncond), numClasses);
      }
      const loss = lossFn(pre, toModel(batch.x), labels, lossOptions);
      return { loss };
    },
    sigmas(options = {}) {
      if (Array.isArray(options.sigmas)) return options.sigmas;
      const steps = options.steps ?? c.steps;
      if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps must be an integer >= 1, got ${steps}`);
      const sig = makeSigmas((options.sigmas as string | undefined) ?? c.sigmas, steps, schedule, { rho: c.rho });
      return sig;
    },
    denoiser(options = {}, n = 1) {
      const g = options.guidance ?? (numClasses > 0 ? c.guidance : undefined);
      if (g !== undefined && numClasses === 0 && g !== 1) {
        throw new Error(`guidance scale ${g} needs a class-conditional model; this ${c.preconditioning}/${c.loss} model on '${data.name}' was built without classes (classCond=${c.classCond}${data.kind === '2d' ? ', 2D data have no labels' : ''})`);
      }
      if (numClasses === 0) return pre.denoiser(null);
      const ls = options.labels ?? Array.from({ length: n }, (_, i) => i % numClasses);
      if (ls.length !== n) throw new RangeError(`labels: ${ls.length} labels for ${n} samples`);
      const bad = ls.find((l) => !Number.isInteger(l) || l < 0 || l >= numClasses);
      if (bad !== undefined) throw new RangeError(`labels must be integers in [0, ${numClasses - 1}], got ${bad}`);
      const labels = torch.tensor(ls, { dtype: 'int64' });
      return guidedDenoiser(pre, labels, numClasses, g ?? 1);
    },
    initialNoise(n, sigmaMax, options = {}) {
      const shape = [n, ...data.shape];
      if (options.seeds) {
        if (options.seeds.length !== n) throw new RangeError(`seeds: ${options.seeds.length} seeds for ${n} samples`);
        const noise = perSampleNoise(options.seeds);
        return { x: noise(torch.zeros(shape), 0, 0).mul(sigmaMax), noise };
      }
      const gen = options.generator as Generator | undefined;
      return { x: torch.randn(shape, { generator: gen ?? null }).mul(sigmaMax) };
    },
    sample(n: number, options: DiffusionSampleOptions = {}) {
      const name = options.sampler ?? c.sampler;
      const sampler = getSampler(name);
      const sigmas = inst.sigmas(options);
      return torch.noGrad(() =>
        torch.scope(() => {
          const denoise = inst.denoiser(options, n);
          const { x, noise } = inst.initialNoise(n, sigmas[0]!, options);
          const out = sampler(denoise, x, sigmas, {
            ...(options.samplerOptions ?? {}),
            ...(noise ? { noise } : {}),
            ...(options.generator ? { generator: options.generator } : {}),
            ...(options.callback ? { callback: options.callback } : {}),
            ...(options.onStats ? { onStats: options.onStats } : {}),
          });
          return fromModel(out);
        }),
      );
    },
    parameters: () => moduleParameters(modules),
    dispose: () => pre.net.dispose(),
  };
  if (data.kind === '2d') {
    inst.logProb = (x: Tensor) =>
      odeLogLikelihood(pre.denoiser(null), x, { sigmaMin: Math.max(schedule.sigmaMin, 2e-3), sigmaMax: schedule.sigmaMax, divergence: 'exact', rtol: 1e-4, atol: 1e-4 }).logp;
  } else if (image) {
    // Pixel-unit log-likelihood (dequantized, Hutchinson PF-ODE; unconditional: the null class).
    // A solve per batch costs hundreds of forward+backward passes: eval uses a few examples by default.
    inst.logProb = (x: Tensor) =>
      imageLogLikelihood(pre.denoiser(null), x, { range: data.range ?? [0, 1], sigmaMin: Math.max(schedule.sigmaMin, 2e-3), sigmaMax: schedule.sigmaMax, rtol: IMAGE_LIKELIHOOD_TOL, atol: IMAGE_LIKELIHOOD_TOL }).logp;
    inst.logProbExamples = 64;
  }
  return inst;
}

