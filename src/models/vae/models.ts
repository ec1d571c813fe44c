/**
 * The VAE families registered with the CLI:
 * - `vae`: Gaussian latents, ELBO (β-VAE with beta ≠ 1); MLP or conv nets; Bernoulli, Gaussian or
 *   discretized-logistic likelihood. `latent: 2` is the 2D-latent demo (latent map pictures).
 * - `iwae`: the same model trained on the importance-weighted bound with k samples.
 * - `gumbel-vae`: 20 x 10 categorical latents with Gumbel-softmax, ST Gumbel-softmax or score-function
 *   gradients (Jang et al. 2016).
 * Every one reports on held-out data (`genlab eval`): the importance-sampled NLL (k = evalK ≥ 1000 by
 * default) with its standard error for vae/iwae, the −ELBO and its terms for all.
 */
import { torch, type Tensor } from '../../tensor/index.ts';
import { registerModel, type DataInfo, type LossTerms, type ModelConfig, type ModelInstance, type SampleOptions } from '../registry.ts';
import { gumbelTemperature } from '../../distributions/index.ts';
import { likelihoodByName } from './likelihoods.ts';
import { makeDecoder, makeEncoder, MLPEncoder, MLPDecoder } from './nets.ts';
import { GaussianVAE } from './vae.ts';
import { CategoricalVAE, CATEGORICAL_ESTIMATORS, type CategoricalEstimator } from './categorical-vae.ts';

export interface VAEConfig extends ModelConfig {
  /** 'mlp' or 'conv'. */
  net: string;
  latent: number;
  /** Hidden width of the MLPs (two layers). */
  hidden: number;
  /** Channels of the conv nets (first layer; the second has twice as many). */
  channels: number;
  /** 'bernoulli', 'gaussian' or 'logistic'. */
  likelihood: string;
  /** Weight of the KL term (β-VAE; 1 = the ELBO). */
  beta: number;
  /** Importance samples of the training bound (1 = ELBO; > 1 = IWAE). */
  k: number;
  /** Importance samples of the held-out NLL. */
  evalK: number;
  /** Held-out examples of the importance-sampled NLL (0 = all). */
  evalExamples: number;
  /** Dynamic binarization of the training images (each step draws x ~ Bernoulli(pixels)). */
  binarize: boolean;
}

const DEFAULT_VAE: VAEConfig = { net: 'mlp', latent: 20, hidden: 400, channels: 32, likelihood: 'bernoulli', beta: 1, k: 1, evalK: 1000, evalExamples: 1000, binarize: false };

function checkImage(data: DataInfo, family: string): number[] {
  if (data.kind !== 'image' || data.shape.length !== 3) throw new Error(`${family} models images [C, H, W]; '${data.name}' is ${data.kind} data`);
  return data.shape;
}
const positiveInt = (v: number, what: string) => {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${what} must be an integer >= 1, got ${v}`);
};

/** Range of the data to [0, 1] and back. */
function rangeMaps(data: DataInfo): { to01: (x: Tensor) => Tensor; from01: (x: Tensor) => Tensor } {
  const [lo, hi] = data.range ?? [0, 1];
  if (lo === 0 && hi === 1) return { to01: (x) => x, from01: (x) => x };
  return { to01: (x) => x.sub(lo).div(hi - lo), from01: (x) => x.mul(hi - lo).add(lo) };
}

/** Fixed binarization of held-out images (seeded), so evaluation numbers repeat. */
function fixedBinarize(x: Tensor): Tensor {
  return torch.bernoulli(x, { generator: new torch.Generator({ seed: 12345 }) });
}

export function buildGaussianVAE(c: VAEConfig, data: DataInfo, family = 'vae'): ModelInstance & { vae: GaussianVAE } {
  const shape = checkImage(data, family);
  positiveInt(c.latent, `${family}: latent`);
  positiveInt(c.k, `${family}: k (importance samples)`);
  positiveInt(c.evalK, `${family}: evalK (importance samples of the test NLL)`);
  if (!(c.beta >= 0)) throw new RangeError(`${family}: beta must be >= 0, got ${c.beta}`);
  const lik = likelihoodByName(c.likelihood);
  const [C, H, W] = shape as [number, number, number];
  const encoder = makeEncoder(c.net, shape, 2 * c.latent, c.hidden, c.channels);
  const decoder = makeDecoder(c.net, c.latent, [lik.paramsPerChannel * C, H, W], c.hidden, c.channels);
  const vae = new GaussianVAE(encoder, decoder, lik, c.latent);
  const { to01, from01 } = rangeMaps(data);
  const prep = (x: Tensor, train: boolean) => {
    const x01 = to01(x);
    if (!c.binarize) return x01;
    return train ? torch.bernoulli(x01) : fixedBinarize(x01);
  };
  const modules = { encoder, decoder };
  return {
    vae,
    modules,
    loss(batch): LossTerms {
      const x = prep(batch.x, true);
      if (c.k === 1) {
        const t = vae.elbo(x);
        const recon = t.recon.mean();
        const kl = t.kl.mean();
        return { loss: recon.add(kl.mul(c.beta)), recon, kl, negElbo: recon.add(kl) };
      }
      const bound = vae.iwae(x, c.k).mean();
      return { loss: bound.neg(), negIwae: bound.neg() };
    },
    sample(n: number, options: SampleOptions = {}) {
      return torch.noGrad(() => from01(vae.sample(n, { temperature: options.temperature, mean: options.mean !== false })));
    },
    evaluate(test: Tensor, options: { batchSize?: number } = {}): Record<string, number> {
      return torch.noGrad(() => {
        torch.manualSeed(0);
        const x = prep(test, false);
        const bs = options.batchSize ?? 500;
        let recon = 0;
        let kl = 0;
        for (let i = 0; i < x.size(0); i += bs) {
          torch.scope(() => {
            const t = vae.elbo(x.narrow(0, i, Math.min(bs, x.size(0) - i)));
            recon += t.recon.sum().item();
            kl += t.kl.sum().item();
          });
        }
        const n = x.size(0);
        const m = c.evalExamples > 0 ? Math.min(c.evalExamples, n) : n;
        const is = vae.importanceNll(x.narrow(0, 0, m), { k: c.evalK, batch: c.net === 'conv' ? 20 : 50, chunk: c.net === 'conv' ? 100 : 200 });
        return { negElbo: (recon + kl) / n, recon: recon / n, kl: kl / n, isNll: is.nll, isNllSE: is.se, isK: is.k, isExamples: is.n };
      });
    },
    parameters: () => [...encoder.parameters(), ...decoder.parameters()],
    dispose: () => {
      encoder.dispose();
      decoder.dispose();
    },
  };
}

export const vaeFamily = registerModel<VAEConfig>({
  name: 'vae',
  description: 'VAE (Kingma & Welling 2014): Gaussian latents, ELBO (beta for β-VAE); mlp/conv nets; bernoulli/gaussian/logistic likelihood; eval: importance-sampled NLL (evalK)',
  dataKinds: ['image'],
  defaultConfig: DEFAULT_VAE,
  trainDefaults: { lr: 1e-3, steps: 3000, batch: 128, logEvery: 50 },
  defaultData: 'binarized-mnist',
  create: (c, data) => buildGaussianVAE(c, data, 'vae'),
});

export const iwaeFamily = registerModel<VAEConfig>({
  name: 'iwae',
  description: 'IWAE (Burda et al. 2016): the VAE trained on the importance-weighted bound with k samples',
  dataKinds: ['image'],
  defaultConfig: { ...DEFAULT_VAE, k: 5 },
  trainDefaults: { lr: 1e-3, steps: 3000, batch: 128, logEvery: 50 },
  defaultData: 'binarized-mnist',
  create: (c, data) => buildGaussianVAE(c, data, 'iwae'),
});

export interface GumbelVAEConfig extends ModelConfig {
  groups: number;
  classes: number;
  /** 'gumbel', 'st-gumbel' or 'score'. */
  estimator: string;
  /** Encoder hidden widths (decoder mirrored). */
  hidden: number[];
  likelihood: string;
  /** Temperature schedule τ = max(tauMin, tau0 · exp(−tauRate · t)), t updated every tauEvery steps. */
  tau0: number;
  tauMin: number;
  tauRate: number;
  tauEvery: number;
  binarize: boolean;
}

export function buildCategoricalVAE(c: GumbelVAEConfig, data: DataInfo): ModelInstance & { vae: CategoricalVAE } {
  const shape = checkImage(data, 'gumbel-vae');
  positiveInt(c.groups, 'gumbel-vae: groups');
  positiveInt(c.classes, 'gumbel-vae: classes');
  if (!(CATEGORICAL_ESTIMATORS as readonly string[]).includes(c.estimator)) {
    throw new RangeError(`gumbel-vae: unknown estimator '${c.estimator}'; estimators: ${CATEGORICAL_ESTIMATORS.join(', ')}`);
  }
  if (!(c.tau0 > 0)) throw new RangeError(`gumbel-vae: temperature tau0 must be > 0, got ${c.tau0}`);
  if (!(c.tauMin > 0)) throw new RangeError(`gumbel-vae: temperature tauMin must be > 0, got ${c.tauMin}`);
  const lik = likelihoodByName(c.likelihood);
  const [C, H, W] = shape as [number, number, number];
  const latent = c.groups * c.classes;
  const encoder = new MLPEncoder(shape, latent, c.hidden);
  const decoder = new MLPDecoder(latent, [lik.paramsPerChannel * C, H, W], [...c.hidden].reverse());
  const vae = new CategoricalVAE(encoder, decoder, lik, c.groups, c.classes);
  const { to01, from01 } = rangeMaps(data);
  const prep = (x: Tensor, train: boolean) => (c.binarize ? (train ? torch.bernoulli(to01(x)) : fixedBinarize(to01(x))) : to01(x));
  const tau = (step: number) => gumbelTemperature(step, { initial: c.tau0, min: c.tauMin, rate: c.tauRate, every: c.tauEvery });
  const modules = { encoder, decoder };
  return {
    vae,
    modules,
    monitors: ['temperature'],
    loss(batch, step): LossTerms {
      const t = tau(step);
      const r = vae.loss(prep(batch.x, true), c.estimator as CategoricalEstimator, t);
      return { ...r, negElbo: r.recon.add(r.kl).detach(), temperature: torch.tensor(t) };
    },
    sample(n: number, options: SampleOptions = {}) {
      return torch.noGrad(() => from01(vae.sample(n, { mean: options.mean !== false })));
    },
    evaluate(test: Tensor, options: { batchSize?: number } = {}): Record<string, number> {
      return torch.noGrad(() => {
        torch.manualSeed(0);
        const x = prep(test, false);
        const bs = options.batchSize ?? 500;
        const vals: number[] = [];
        let recon = 0;
        let kl = 0;
        for (let i = 0; i < x.size(0); i += bs) {
          torch.scope(() => {
            const t = vae.discreteElbo(x.narrow(0, i, Math.min(bs, x.size(0) - i)));
            vals.push(...t.negElbo.toFlatArray());
            recon += t.recon.sum().item();
            kl += t.kl.sum().item();
          });
        }
        const n = vals.length;
        const mean = vals.reduce((a, b) => a + b, 0) / n;
        const sd = Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, n - 1));
        return { negElbo: mean, negElboSE: sd / Math.sqrt(n), recon: recon / n, kl: kl / n };
      });
    },
    parameters: () => [...encoder.parameters(), ...decoder.parameters()],
    dispose: () => {
      encoder.dispose();
      decoder.dispose();
    },
  };
}

export const gumbelVaeFamily = registerModel<GumbelVAEConfig>({
  name: 'gumbel-vae',
  description: 'Categorical VAE (Jang et al. 2016): groups x classes one-hot latents; estimator gumbel / st-gumbel / score; annealed temperature',
  dataKinds: ['image'],
  defaultConfig: { groups: 20, classes: 10, estimator: 'gumbel', hidden: [512, 256], likelihood: 'bernoulli', tau0: 1, tauMin: 0.5, tauRate: 1e-4, tauEvery: 500, binarize: false },
  trainDefaults: { lr: 1e-3, steps: 3000, batch: 100, logEvery: 50 },
  defaultData: 'binarized-mnist',
  create: (c, data) => buildCategoricalVAE(c, data),
});
