/**
 * The registered diffusion families: each is a choice of preconditioning, loss, noise schedule and
 * default sampler over the same parts (EDM's unification). Rectified flow, reflow and distillation
 * are in rectified.ts.
 */
import { registerModel, type DataInfo } from '../registry.ts';
import { createDiffusionModel, type DiffusionConfig } from './model.ts';

/** Network and sampling defaults shared by every family. */
export const COMMON_CONFIG = {
  rho: 7,
  timeSampling: 'uniform',
  width: 128,
  depth: 3,
  channels: 32,
  channelMult: [1, 2, 2],
  numResBlocks: 1,
  attnResolutions: [] as number[],
  channelsLast: true, // measured faster for the UNet (bench/RESULTS.md, Diffusion UNet)
  classCond: true,
  pUncond: 0.1,
  guidance: 1,
};

export const DIFFUSION_TRAIN_DEFAULTS = { lr: 2e-3, steps: 3000, batch: 256, ema: 0.995, warmup: 100 };

interface FamilySpec {
  name: string;
  description: string;
  parts: Pick<DiffusionConfig, 'preconditioning' | 'loss' | 'schedule' | 'sampler' | 'steps' | 'sigmas'>;
  defaultData: string;
}

const SPECS: FamilySpec[] = [
  { name: 'ddpm', description: 'DDPM (Ho et al. 2020): ε-prediction on the discrete linear-β schedule, simple loss, ancestral sampling', parts: { preconditioning: 'ddpm', loss: 'ddpm', schedule: 'vp', sampler: 'ddpm', steps: 100, sigmas: 'uniform' }, defaultData: 'moons' },
  { name: 'vp', description: 'VP score SDE (Song et al. 2021) with EDM\'s VP preconditioning and loss; Heun on Karras sigmas', parts: { preconditioning: 'vp', loss: 'vp', schedule: 'vp', sampler: 'heun', steps: 18, sigmas: 'karras' }, defaultData: 'moons' },
  { name: 've', description: 'VE score matching (Song & Ermon 2019/2021): σ from 0.02 to 100, VE preconditioning; Heun on Karras sigmas', parts: { preconditioning: 've', loss: 've', schedule: 've', sampler: 'heun', steps: 18, sigmas: 'karras' }, defaultData: 'moons' },
  { name: 'edm', description: 'EDM (Karras et al. 2022): preconditioned denoiser, log-normal σ, Heun with 18 steps on Karras sigmas', parts: { preconditioning: 'edm', loss: 'edm', schedule: 'edm', sampler: 'heun', steps: 18, sigmas: 'karras' }, defaultData: 'moons' },
  { name: 'fm', description: 'Flow matching (Lipman et al. 2023): x_t = (1-t) x_0 + t ε, velocity loss (uniform or logit-normal t); Euler', parts: { preconditioning: 'flow', loss: 'fm', schedule: 'flow', sampler: 'euler', steps: 32, sigmas: 'uniform' }, defaultData: 'moons' },
  { name: 'cfm', description: 'OT conditional flow matching (Tong et al. 2023): minibatch exact OT pairing (Hungarian); Euler', parts: { preconditioning: 'flow', loss: 'cfm', schedule: 'flow', sampler: 'euler', steps: 32, sigmas: 'uniform' }, defaultData: 'moons' },
];

export const diffusionFamilies = SPECS.map((s) =>
  registerModel<DiffusionConfig>({
    name: s.name,
    description: s.description,
    dataKinds: ['2d', 'image'],
    defaultConfig: { ...s.parts, ...COMMON_CONFIG },
    trainDefaults: DIFFUSION_TRAIN_DEFAULTS,
    defaultData: s.defaultData,
    create: (c: DiffusionConfig, data: DataInfo) => createDiffusionModel(c, data),
  }),
);
