/**
 * Rectified flow (Liu, Gong & Liu 2022): 1-rectified flow is flow matching with uniform t; reflow
 * trains a new flow on (noise, sample) pairs drawn from a teacher's ODE, which straightens the
 * paths (2-rectified flow); distillation trains the one-step map noise -> sample on such pairs.
 * Both are runs that name their teacher run in the config (`teacher`, `stage`): the pairs are drawn
 * once (seeded) and cached in the teacher's folder; the student starts from the teacher's weights.
 *
 * Straightness (Liu et al. eq. 5): S = ∫_0^1 E |(X_1 - X_0) - dX_t/dt|² dt, 0 for straight paths,
 * estimated from a sampled trajectory by finite differences.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { torch, type Tensor } from '../../tensor/index.ts';
import { loadSafetensors, saveSafetensors } from '../../io/safetensors.ts';
import { openRun } from '../../train/session.ts';
import { registerModel, type DataInfo, type LossTerms } from '../registry.ts';
import { createDiffusionModel, type DiffusionConfig, type DiffusionInstance } from './model.ts';
import { COMMON_CONFIG, DIFFUSION_TRAIN_DEFAULTS } from './families.ts';
import { flowMatchingError } from './losses.ts';
import { uniformTimeSigmas } from './sigmas.ts';
import { getSampler } from './samplers/index.ts';

/** Families whose runs can teach reflow/distillation (flow-matching velocity models). */
export const FLOW_TEACHERS = ['rectified', 'fm', 'cfm'];

export interface RectifiedConfig extends DiffusionConfig {
  /** Teacher run folder (or name under runs/); empty for 1-rectified flow. */
  teacher: string;
  /** 'reflow' (k+1-rectified flow) or 'distill' (one-step), with a teacher. */
  stage: string;
  /** (noise, sample) pairs drawn from the teacher. */
  pairs: number;
  /** Teacher sampler and steps for the pairs. */
  teacherSampler: string;
  teacherSteps: number;
  /** Seed of the pairs' noise. */
  pairSeed: number;
}

/**
 * Frames x_t of the model's Euler ODE from t = tMax (noise) to t = 0, in the data's space
 * (x_t = x / (1 + σ) for the flow schedule). Returns frames [steps + 1] and their times.
 */
export function flowTrajectory(model: DiffusionInstance, n: number, steps: number, options: { seed?: number; sampler?: string } = {}): { frames: Tensor[]; times: number[] } {
  const sigmas = uniformTimeSigmas(steps, model.schedule);
  const frames: Tensor[] = [];
  const times: number[] = [];
  const toT = (s: number) => s / (1 + s);
  const g = new torch.Generator({ seed: options.seed ?? 0 });
  const out = torch.noGrad(() => {
    const x = torch.randn([n, ...model.data.shape], { generator: g }).mul(sigmas[0]!);
    return getSampler(options.sampler ?? 'euler')(model.pre.denoiser(null), x, sigmas, {
      callback: (xi: Tensor, _i: number, s: number) => {
        frames.push(torch.scope(() => model.fromModel(xi.div(1 + s))).keep());
        times.push(toT(s));
      },
    });
  });
  frames.push(model.fromModel(out).keep());
  times.push(0);
  return { frames, times };
}

/** Straightness of a trajectory (frames at decreasing times, first = noise end, last = data end). */
export function straightness(frames: Tensor[], times: number[]): number {
  return torch.noGrad(() =>
    torch.scope(() => {
      const first = frames[0]!;
      const last = frames[frames.length - 1]!;
      const span = times[0]! - times[times.length - 1]!;
      const chord = first.sub(last).div(span); // (X_1 - X_0) per unit t
      let s = 0;
      for (let i = 0; i + 1 < frames.length; i++) {
        const dt = times[i]! - times[i + 1]!;
        const v = frames[i]!.sub(frames[i + 1]!).div(dt);
        s += v.sub(chord).square().reshape([first.size(0), -1]).sum(1).mean().item() * dt;
      }
      return s / span;
    }),
  );
}

/** (noise z, sample x) pairs from a model's ODE: z is the unit noise, x its sample. */
export function drawPairs(model: DiffusionInstance, n: number, o: { sampler: string; steps: number; seed: number; batch?: number }): { z: Tensor; x: Tensor } {
  const sigmas = uniformTimeSigmas(o.steps, model.schedule);
  const g = new torch.Generator({ seed: o.seed });
  const zs: Tensor[] = [];
  const xs: Tensor[] = [];
  const bs = o.batch ?? 1000;
  torch.noGrad(() => {
    for (let i = 0; i < n; i += bs) {
      const m = Math.min(bs, n - i);
      torch.scope(() => {
        const z = torch.randn([m, ...model.data.shape], { generator: g });
        const x = getSampler(o.sampler)(model.pre.denoiser(null), z.mul(sigmas[0]!), sigmas);
        zs.push(z.keep());
        xs.push(x.keep());
      });
    }
  });
  const out = torch.scope(() => ({ z: torch.cat(zs, 0), x: torch.cat(xs, 0) }));
  [...zs, ...xs].forEach((t) => t.dispose());
  return out;
}

/**
 * The (noise, sample) pairs of a reflow/distill config: drawn once from the teacher run's ODE
 * (seeded by pairSeed) and cached in the teacher's folder, named by count, sampler, steps, seed and
 * the teacher's step. Kept tensors; the caller disposes them.
 */
export function teacherPairs(c: Pick<RectifiedConfig, 'teacher' | 'pairs' | 'teacherSampler' | 'teacherSteps' | 'pairSeed'>): { z: Tensor; x: Tensor } {
  const t = openRun(c.teacher);
  try {
    const file = join(t.run.dir, `pairs-${c.pairs}-${c.teacherSampler}${c.teacherSteps}-seed${c.pairSeed}-step${t.step}.safetensors`);
    if (existsSync(file)) {
      const l = loadSafetensors(file).tensors;
      return { z: l.z!.keep(), x: l.x!.keep() };
    }
    const p = drawPairs(t.model as DiffusionInstance, c.pairs, { sampler: c.teacherSampler, steps: c.teacherSteps, seed: c.pairSeed });
    saveSafetensors(file, { z: p.z, x: p.x }, { teacher: t.run.dir, step: String(t.step) });
    return { z: p.z.keep(), x: p.x.keep() };
  } finally {
    t.dispose();
  }
}

function checkTeacher(c: RectifiedConfig, data: DataInfo) {
  if (!c.teacher) {
    if (c.stage) throw new Error(`rectified: stage '${c.stage}' needs a teacher run (--config teacher=<run>)`);
    return null;
  }
  if (c.stage !== 'reflow' && c.stage !== 'distill') throw new Error(`rectified: with a teacher, stage must be 'reflow' or 'distill', got '${c.stage}'`);
  const opened = openRun(c.teacher);
  if (!FLOW_TEACHERS.includes(opened.config.model)) {
    opened.dispose();
    throw new Error(`teacher run ${opened.run.dir} is a '${opened.config.model}' model; ${c.stage} needs a flow-matching teacher (${FLOW_TEACHERS.join(', ')})`);
  }
  if (opened.config.data.name !== data.name) {
    opened.dispose();
    throw new Error(`teacher run ${opened.run.dir} was trained on '${opened.config.data.name}', this run uses '${data.name}'`);
  }
  return opened;
}

export function createRectified(c: RectifiedConfig, data: DataInfo): DiffusionInstance {
  const teacherRun = checkTeacher(c, data);
  const model = createDiffusionModel(c, data);
  if (!teacherRun) return model;
  try {
    // The student starts from the teacher's (EMA) weights (Liu et al.).
    torch.scope(() => model.pre.net.loadStateDict(teacherRun.model.modules.net!.stateDict(), { strict: true }));
  } finally {
    teacherRun.dispose();
  }
  let pairs: { z: Tensor; x: Tensor } | null = null;
  const getPairs = () => (pairs ??= teacherPairs(c));
  // Opening the teacher reseeds the global RNG (buildModel): done before the trainer's per-step seeds.
  model.beforeTraining = () => void getPairs();
  const sigmaMax = model.schedule.sigmaMax;
  model.loss = (batch): LossTerms => {
    const p = getPairs();
    const idx = torch.randint(0, p.x.size(0), [batch.x.size(0)]);
    const x0 = p.x.indexSelect(0, idx);
    const z = p.z.indexSelect(0, idx);
    if (c.stage === 'reflow') {
      const t = torch.rand([x0.size(0)]);
      return { loss: flowMatchingError(model.pre, x0, z, t, null) };
    }
    // distill: one Euler step from σ_max is D(σ_max z, σ_max); match the teacher's sample.
    const loss = model.pre.denoise(z.mul(sigmaMax), sigmaMax, null).sub(x0).square().mean();
    return { loss };
  };
  const dispose = model.dispose;
  model.dispose = () => {
    dispose?.();
    pairs?.z.dispose();
    pairs?.x.dispose();
  };
  return model;
}

export const rectifiedFamily = registerModel<RectifiedConfig>({
  name: 'rectified',
  description: 'Rectified flow (Liu et al. 2022): 1-RF; reflow (teacher=<run>, stage=reflow) and one-step distillation (stage=distill)',
  dataKinds: ['2d', 'image'],
  defaultConfig: {
    preconditioning: 'flow',
    loss: 'fm',
    schedule: 'flow',
    sampler: 'euler',
    steps: 32,
    sigmas: 'uniform',
    ...COMMON_CONFIG,
    classCond: false,
    teacher: '',
    stage: '',
    pairs: 20000,
    teacherSampler: 'heun',
    teacherSteps: 32,
    pairSeed: 1234,
  },
  trainDefaults: DIFFUSION_TRAIN_DEFAULTS,
  defaultData: 'moons',
  create: (c, data) => createRectified(c, data),
});
