/**
 * The flow families registered with the CLI: nice, realnvp, glow, nsf, planar (2D sets; nice,
 * realnvp and glow also on images). Each builds a Flow; the loss is the negative log-likelihood.
 *
 * 2D: loss = NLL in nats per example. Images (pixels in [0, 1], or [-1, 1] when the data says so):
 * uniform dequantization to [0, 256), LogitTransform (its log-det counted), then the flow; the loss is
 * bits/dim = NLL / (D ln 2) of the discrete data (a variational bound, Theis et al. 2016).
 */
import { torch, type Tensor } from '../../tensor/index.ts';
import { registerModel, type DataInfo, type LossTerms, type ModelConfig, type ModelInstance, type SampleOptions } from '../registry.ts';
import { Flow } from './flow.ts';
import { StandardNormal, StandardLogistic } from './base.ts';
import type { Bijector } from './bijector.ts';
import { MLP, ConvNet } from './nets.ts';
import { alternatingMask, channelMask, checkerboardMask, halfMask } from './masks.ts';
import { AdditiveCoupling } from './bijectors/additive-coupling.ts';
import { DiagonalScaling } from './bijectors/diagonal-scaling.ts';
import { AffineCoupling } from './bijectors/affine-coupling.ts';
import { ActNorm } from './bijectors/actnorm.ts';
import { InvertibleConv1x1LU } from './bijectors/invertible-conv-lu.ts';
import { Reverse } from './bijectors/permutation.ts';
import { Squeeze } from './bijectors/squeeze.ts';
import { MultiScale } from './bijectors/multiscale.ts';
import { Planar } from './bijectors/planar.ts';
import { LogitTransform, uniformDequantize } from './bijectors/logit.ts';
import { SplineCoupling } from './bijectors/spline-coupling.ts';
import { Flatten } from './bijectors/flatten.ts';
import { CNF } from './bijectors/cnf.ts';
import { oneHot } from '../../nn/functional.ts';

const LN2 = Math.log(2);

/** Config shared by the flow families (each family uses the keys it needs). */
export interface FlowConfig extends ModelConfig {
  /** Number of coupling layers / flow steps (per level for multi-scale image flows). */
  layers: number;
  /** Hidden width of the conditioner MLP (2D) or channels of the conv net (images). */
  hidden: number;
  /** Hidden layers of the conditioner MLP (2D). */
  depth: number;
}

/** Config of the multi-scale image flows (RealNVP, Glow): 2D data use FlowConfig's keys, images these. */
export interface ImageFlowConfig extends FlowConfig {
  /** Multi-scale levels (each: squeeze, couplings; half the channels factored out between levels). */
  levels: number;
  /** Couplings per scale (RealNVP: per mask type) or flow steps per level (Glow). */
  imageLayers: number;
  /** Channels of the couplings' 3x3-1x1-3x3 conv nets. */
  imageHidden: number;
}

/** Image keys of a config, with the pre-`imageLayers` fallbacks so that older run folders still open. */
function imageKeys(c: Partial<ImageFlowConfig> & FlowConfig, fallbackLayers: number, fallbackHidden: number) {
  return {
    levels: c.levels ?? 2,
    imageLayers: c.imageLayers ?? fallbackLayers,
    imageHidden: c.imageHidden ?? fallbackHidden,
  };
}

const dimOf = (data: DataInfo) => data.shape.reduce((a, b) => a * b, 1);

export interface FlowInstanceOptions {
  /** A class-conditional flow: its context is the one-hot label (classes of them). */
  classes?: number;
}

/**
 * Wraps a Flow as a ModelInstance, with the image preprocessing when the data are images. A
 * class-conditional flow trains on log p(x | y); its logProb and evaluate give the marginal
 * log p(x) = logsumexp_y log p(x | y) - log K under uniform classes; sample takes `labels`
 * (an array of class indices, or a Tensor), drawing uniform classes when none are given.
 */
export function flowInstance(flow: Flow, data: DataInfo, options: FlowInstanceOptions = {}): ModelInstance {
  const K = options.classes;
  const D = dimOf(data);
  const image = data.kind === 'image';
  const lo = data.range?.[0] ?? 0;
  const hi = data.range?.[1] ?? 1;
  const to01 = (x: Tensor) => (lo === 0 && hi === 1 ? x : x.sub(lo).div(hi - lo));
  const from01 = (x: Tensor) => (lo === 0 && hi === 1 ? x : x.mul(hi - lo).add(lo));
  /** Flow input: dequantized pixels in [0, 256) for images, the points for 2D. */
  const input = (x: Tensor) => (image ? uniformDequantize(to01(x)) : x);
  const dtypeOf = () => flow.parameters()[0]?.dtype ?? 'float32';
  const context = (labels: Tensor) => oneHot(labels.to({ dtype: 'int64' }), K!, dtypeOf() === 'float64' ? 'float64' : 'float32');
  /** log p(x) of the flow, marginalized over classes when it is class-conditional. */
  const logMarginal = (z: Tensor): Tensor => {
    if (!K) return flow.logProb(z);
    const n = z.size(0);
    const per = Array.from({ length: K }, (_, k) => flow.logProb(z, context(torch.full([n], k, { dtype: 'int64', device: z.device }))));
    return torch.stack(per, 1).logsumexp(1).sub(Math.log(K));
  };
  const modules = { flow };
  const inst: ModelInstance = {
    modules,
    loss(batch): LossTerms {
      if (K && !batch.y) throw new Error(`a class-conditional flow (${K} classes) needs labelled data; data '${data.name}' has no labels`);
      const nll = flow.logProb(input(batch.x), K ? context(batch.y!) : undefined).mean().neg();
      if (!image) return { loss: nll, nll };
      const bpd = nll.div(D * LN2);
      return { loss: bpd, nll, bpd };
    },
    sample(n: number, options: SampleOptions = {}) {
      return torch.noGrad(() => {
        let ctx: Tensor | undefined;
        if (K) {
          const given = options.labels as Tensor | number[] | undefined;
          const labels = (given === undefined ? torch.randint(K, [n]) : given instanceof torch.Tensor ? given : torch.tensor(given, { dtype: 'int64' })).to(flow.device());
          if (labels.numel() !== n) throw new RangeError(`sample: ${labels.numel()} labels for ${n} samples`);
          ctx = context(labels);
        }
        const x = flow.sample(n, { temperature: options.temperature ?? 1, context: ctx });
        if (!image) return x;
        return from01(x.div(256).clamp(0, 1)).reshape([n, ...data.shape]);
      });
    },
    /** 2D: log density in nats. Images: log density of the dequantized pixels in [0, 256)^D (one noise draw). */
    logProb(x: Tensor) {
      return logMarginal(input(x));
    },
    evaluate(test: Tensor, options: { batchSize?: number } = {}): Record<string, number> {
      const bs = options.batchSize ?? 500;
      let total = 0;
      torch.noGrad(() => {
        for (let i = 0; i < test.size(0); i += bs) {
          total += torch.scope(() => logMarginal(input(test.narrow(0, i, Math.min(bs, test.size(0) - i)))).sum().neg().item());
        }
      });
      const nll = total / test.size(0);
      return image ? { nll, bpd: nll / (D * LN2) } : { nll };
    },
    parameters: () => flow.parameters(),
    dispose: () => flow.dispose(),
  };
  return inst;
}

const mlp = (d: number, out: number, c: FlowConfig) => new MLP(d, out, { hidden: new Array(c.depth).fill(c.hidden), activation: 'relu' });

/** Image flows: LogitTransform first, then the family's body over [C, H, W]. */
function imageFlow(data: DataInfo, body: Bijector[]): Flow {
  return new Flow(new StandardNormal([dimOf(data)]), [new LogitTransform(0.05), ...body]);
}

/** NICE's config: the 2D keys, and for images the paper's MNIST network (4 couplings of 5 x 1000 ReLU MLPs). */
export interface NiceConfig extends FlowConfig {
  imageLayers: number;
  imageHidden: number;
  imageDepth: number;
  /** 'logistic' (NICE's prior on images), 'normal', or 'auto': logistic for images, normal for 2D. */
  prior: string;
}

/**
 * NICE: additive couplings with alternating masks, then a diagonal scaling. Images are flattened
 * and use the image keys (the paper's MNIST model by default: 4 couplings, 5 hidden layers of 1000,
 * a standard logistic prior); 2D data use layers / hidden / depth.
 */
export function buildNice(c: FlowConfig & Partial<NiceConfig>, data: DataInfo): ModelInstance {
  const D = dimOf(data);
  const image = data.kind === 'image';
  const prior = c.prior ?? 'auto';
  if (!['auto', 'normal', 'logistic'].includes(prior)) throw new RangeError(`nice: prior must be 'auto', 'normal' or 'logistic', got ${JSON.stringify(prior)}`);
  const logistic = prior === 'logistic' || (prior === 'auto' && image);
  const net: FlowConfig = image ? { layers: c.imageLayers ?? 4, hidden: c.imageHidden ?? 1000, depth: c.imageDepth ?? 5 } : c;
  const body: Bijector[] = [];
  if (image) body.push(new Flatten(data.shape));
  for (let i = 0; i < net.layers; i++) {
    body.push(new AdditiveCoupling(alternatingMask(D, (i % 2) as 0 | 1), mlp(D, D, net)));
  }
  body.push(new DiagonalScaling([D]));
  const base = logistic ? new StandardLogistic([D]) : new StandardNormal([D]);
  if (!image) return flowInstance(new Flow(base, body), data);
  return flowInstance(new Flow(base, [new LogitTransform(0.05), ...body]), data);
}

/**
 * RealNVP: affine couplings (tanh scale). 2D: `layers` couplings with alternating masks. Images:
 * `levels` scales, each `imageLayers` checkerboard couplings, a squeeze, `imageLayers` channel
 * couplings; half the channels factored out after every scale but the last.
 */
export function buildRealNVP(c: FlowConfig & Partial<ImageFlowConfig>, data: DataInfo): ModelInstance {
  const D = dimOf(data);
  if (data.kind !== 'image') {
    const body: Bijector[] = [];
    for (let i = 0; i < c.layers; i++) body.push(new AffineCoupling(alternatingMask(D, (i % 2) as 0 | 1), mlp(D, 2 * D, c)));
    return flowInstance(new Flow(new StandardNormal([D]), body), data);
  }
  const ic = imageKeys(c, Math.min(c.layers, 3), Math.min(c.hidden, 32));
  const [C, H, W] = data.shape as [number, number, number];
  const levels: Bijector[][] = [];
  let shape = [C, H, W];
  for (let l = 0; l < ic.levels; l++) {
    const level: Bijector[] = [];
    const [c0, h0, w0] = shape as [number, number, number];
    for (let i = 0; i < ic.imageLayers; i++) level.push(new AffineCoupling(checkerboardMask(c0, h0, w0, (i % 2) as 0 | 1), new ConvNet(c0, 2 * c0, { hidden: ic.imageHidden })));
    level.push(new Squeeze());
    const [c1, h1, w1] = [c0 * 4, h0 / 2, w0 / 2];
    for (let i = 0; i < ic.imageLayers; i++) level.push(new AffineCoupling(channelMask(c1, h1, w1, (i % 2) as 0 | 1), new ConvNet(c1, 2 * c1, { hidden: ic.imageHidden })));
    levels.push(level);
    shape = [c1 - Math.floor(c1 / 2), h1, w1];
  }
  const flow = imageFlow(data, [new MultiScale(levels, [C, H, W])]);
  return flowInstance(flow, data);
}

/**
 * Glow steps: actnorm, LU 1x1 conv, affine coupling with sigmoid scale. 2D: `layers` steps with MLP
 * couplings. Images: `levels` levels, each a squeeze and `imageLayers` steps with conv-net couplings
 * of `imageHidden` channels; half the channels factored out after every level but the last.
 */
/** Glow's image options: Glow's learned priors or RealNVP's standard normal, affine or additive coupling, class-conditional top prior. */
export interface GlowConfig extends ImageFlowConfig {
  priors: string;
  coupling: string;
  classConditional: boolean;
}

export function buildGlow(c: FlowConfig & Partial<GlowConfig>, data: DataInfo): ModelInstance {
  const D = dimOf(data);
  if (data.kind !== 'image') {
    const body: Bijector[] = [];
    for (let i = 0; i < c.layers; i++) {
      body.push(new ActNorm(D), new InvertibleConv1x1LU(D, { seed: i }), new AffineCoupling(halfMask(D, 0), mlp(D, 2 * D, c), { scale: 'sigmoid' }));
    }
    return flowInstance(new Flow(new StandardNormal([D]), body), data);
  }
  const ic = imageKeys(c, c.layers, Math.min(c.hidden, 32));
  const priors = c.priors ?? 'standard';
  const coupling = c.coupling ?? 'affine';
  if (coupling !== 'affine' && coupling !== 'additive') throw new RangeError(`glow: coupling must be 'affine' or 'additive', got ${JSON.stringify(coupling)}`);
  const classes = c.classConditional ? (data.classes ?? 10) : undefined;
  const [C, H, W] = data.shape as [number, number, number];
  const levels: Bijector[][] = [];
  let shape = [C, H, W];
  for (let l = 0; l < ic.levels; l++) {
    const [c0, h0, w0] = shape as [number, number, number];
    const [c1, h1, w1] = [c0 * 4, h0 / 2, w0 / 2];
    const level: Bijector[] = [new Squeeze()];
    for (let i = 0; i < ic.imageLayers; i++) {
      const mask = channelMask(c1, h1, w1, 0);
      const step =
        coupling === 'additive'
          ? new AdditiveCoupling(mask, new ConvNet(c1, c1, { hidden: ic.imageHidden }))
          : new AffineCoupling(mask, new ConvNet(c1, 2 * c1, { hidden: ic.imageHidden }), { scale: 'sigmoid' });
      level.push(new ActNorm(c1), new InvertibleConv1x1LU(c1, { seed: 100 * l + i }), step);
    }
    levels.push(level);
    shape = [c1 - Math.floor(c1 / 2), h1, w1];
  }
  const flow = imageFlow(data, [new MultiScale(levels, [C, H, W], { priors: priors as 'standard' | 'learned', classes })]);
  return flowInstance(flow, data, { classes });
}

/** Neural spline flow (RQ-C): spline couplings with reversals in between. */
export function buildNsf(c: FlowConfig & { bins: number; bound: number }, data: DataInfo): ModelInstance {
  const D = dimOf(data);
  const body: Bijector[] = [];
  const P = SplineCoupling.paramsPerDim(c.bins);
  for (let i = 0; i < c.layers; i++) {
    body.push(new SplineCoupling(halfMask(D, 0), mlp(D, D * P, c), { bins: c.bins, bound: c.bound }));
    if (i + 1 < c.layers) body.push(new Reverse(D));
  }
  return flowInstance(new Flow(new StandardNormal([D]), body), data);
}

/** Planar flow for density estimation: data -> noise through K planar maps (sampling by bisection). */
export function buildPlanar(c: FlowConfig, data: DataInfo): ModelInstance {
  const D = dimOf(data);
  const body: Bijector[] = [new ActNorm(D)];
  for (let i = 0; i < c.layers; i++) body.push(new Planar(D, { initScale: 0.5 }));
  return flowInstance(new Flow(new StandardNormal([D]), body), data);
}


const twoD = { lr: 1e-3, steps: 3000, batch: 256 };
const img = { lr: 1e-3, steps: 1000, batch: 64 };

export const niceFamily = registerModel<NiceConfig>({
  name: 'nice',
  description: 'NICE (Dinh et al. 2015): additive couplings + diagonal scaling; images: the paper MNIST model (imageLayers 4 x imageDepth 5 x imageHidden 1000, logistic prior)',
  dataKinds: ['2d', 'image'],
  defaultConfig: { layers: 4, hidden: 64, depth: 2, imageLayers: 4, imageHidden: 1000, imageDepth: 5, prior: 'auto' },
  trainDefaults: twoD,
  defaultData: 'moons',
  create: (c, data) => buildNice(c, data),
});

export const realnvpFamily = registerModel<ImageFlowConfig>({
  name: 'realnvp',
  description: 'RealNVP (Dinh et al. 2017): affine couplings; images: multi-scale checkerboard/channel couplings (levels, imageLayers, imageHidden)',
  dataKinds: ['2d', 'image'],
  defaultConfig: { layers: 6, hidden: 64, depth: 2, levels: 2, imageLayers: 2, imageHidden: 32 },
  trainDefaults: twoD,
  defaultData: 'moons',
  create: (c, data) => buildRealNVP(c, data),
});

export const glowFamily = registerModel<GlowConfig>({
  name: 'glow',
  description: "Glow (Kingma & Dhariwal 2018): actnorm, LU 1x1 conv, affine coupling; images: levels x imageLayers steps, imageHidden channels, learned split/top priors (priors=standard for RealNVP's), coupling=additive, classConditional",
  dataKinds: ['2d', 'image'],
  defaultConfig: { layers: 4, hidden: 64, depth: 2, levels: 2, imageLayers: 4, imageHidden: 64, priors: 'learned', coupling: 'affine', classConditional: false },
  trainDefaults: twoD,
  defaultData: '8gaussians',
  create: (c, data) => buildGlow(c, data),
});

export const nsfFamily = registerModel<FlowConfig & { bins: number; bound: number }>({
  name: 'nsf',
  description: 'Neural spline flow (Durkan et al. 2019): rational-quadratic spline couplings, linear tails',
  dataKinds: ['2d'],
  defaultConfig: { layers: 4, hidden: 64, depth: 2, bins: 8, bound: 4 },
  trainDefaults: twoD,
  defaultData: 'checkerboard',
  create: (c, data) => buildNsf(c, data),
});

export const planarFamily = registerModel<FlowConfig>({
  name: 'planar',
  description: 'Planar flows (Rezende & Mohamed 2015) for density estimation (data -> noise)',
  dataKinds: ['2d'],
  defaultConfig: { layers: 32, hidden: 0, depth: 0 },
  trainDefaults: { ...twoD, lr: 5e-3 },
  defaultData: '8gaussians',
  create: (c, data) => buildPlanar(c, data),
});

/** Continuous flow (FFJORD-style) on 2D data: one CNF bijector, Hutchinson trace in training. */
type CnfConfig = FlowConfig & { divergence: string; method: string; steps: number; rtol: number; gradient?: string };

export function buildCnf(c: CnfConfig, data: DataInfo): ModelInstance {
  const D = dimOf(data);
  const cnf = new CNF(D, undefined, {
    hidden: new Array(c.depth).fill(c.hidden),
    divergence: c.divergence === 'hutchinson' ? 'hutchinson' : 'exact',
    method: c.method as 'dopri5' | 'rk4' | 'euler' | 'midpoint',
    steps: c.steps,
    rtol: c.rtol,
    atol: c.rtol,
    gradient: (c.gradient ?? 'backprop') as 'backprop' | 'adjoint',
  });
  return flowInstance(new Flow(new StandardNormal([D]), [cnf]), data);
}

export const cnfFamily = registerModel<CnfConfig>({
  name: 'cnf',
  description: 'Continuous normalizing flow (FFJORD): neural ODE, exact or Hutchinson trace, gradients by backprop through RK4/Dormand-Prince or the adjoint ODE (gradient=adjoint)',
  dataKinds: ['2d'],
  defaultConfig: { layers: 1, hidden: 64, depth: 2, divergence: 'exact', method: 'rk4', steps: 8, rtol: 1e-4, gradient: 'backprop' },
  trainDefaults: { lr: 3e-3, steps: 1000, batch: 256 },
  defaultData: 'moons',
  create: (c, data) => buildCnf(c, data),
});
