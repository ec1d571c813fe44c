/**
 * Evaluation of a trained run against held-out data: test NLL (nats per example, and bits per
 * dimension) where the model has logProb; for 2D data, sample-based distances between model samples
 * and held-out points (src/metrics: unbiased squared MMD with a sum of RBF kernels, sliced
 * Wasserstein-2); plus anything the family's own
 * `evaluate` reports.
 */
import { torch, type Tensor } from '../tensor/index.ts';
import type { ModelInstance } from '../models/registry.ts';
import { loadData } from './data.ts';
import { deriveSeed } from './seed.ts';
import type { OpenedRun } from './session.ts';
import { mmdRbf, slicedWasserstein, testNll as metricNll, bitsPerDim } from '../metrics/index.ts';
import { loadFeatureClassifier, classifierFeatures } from '../metrics/classifier.ts';
import { frechetDistance } from '../metrics/features.ts';

/** Numbers of one evaluation, by name (e.g. testNll, bitsPerDim, mmd, slicedWasserstein). */
export interface EvalResult {
  run: string;
  model: string;
  data: string;
  step: number;
  ema: boolean;
  /** Held-out examples used. */
  n: number;
  metrics: Record<string, number>;
}

/** Mean negative log-likelihood (nats per example) of x under the model, in batches. */
export function testNll(model: ModelInstance, x: Tensor, batchSize = 1000): number {
  if (!model.logProb) throw new Error('the model has no logProb');
  return torch.noGrad(() => metricNll((b) => model.logProb!(b), x, batchSize));
}

export interface EvaluateOptions {
  /** Held-out examples (default: 2000 for 2D, the test split for images). */
  n?: number;
  seed?: number;
  /** Images: samples drawn for the Fréchet distance (default 1000; 0 skips it). */
  fdSamples?: number;
  /** Images: sampling temperatures for the Fréchet distance (default [1]); each gives a metric `fd@T`. */
  temperatures?: number[];
  /** Held-out examples for the NLL (default: the model's logProbExamples, else all `n`; 0 skips it). */
  nllN?: number;
  /** Extra options for the model's sample() in the Fréchet distance (diffusion: sampler, steps, guidance). */
  sampleOptions?: Record<string, unknown>;
}

/**
 * Fréchet distance between the classifier features (src/metrics/classifier.ts) of model samples and
 * of held-out images, one number per temperature, each from `count` samples drawn in batches.
 */
export function sampleFrechetDistances(model: ModelInstance, test: Tensor, options: { count: number; temperatures: number[]; seed: number; range?: [number, number]; sampleOptions?: Record<string, unknown> }): Record<string, number> {
  const out: Record<string, number> = {};
  const net = loadFeatureClassifier();
  const [lo, hi] = options.range ?? [0, 1];
  const to01 = (x: Tensor) => (lo === 0 && hi === 1 ? x : x.sub(lo).div(hi - lo));
  try {
    torch.noGrad(() =>
      torch.scope(() => {
        const real = classifierFeatures(net, to01(test.cpu()));
        for (const T of options.temperatures) {
          torch.scope(() => {
            torch.manualSeed(deriveSeed(options.seed, 'fd', Math.round(T * 1000)));
            const parts: Tensor[] = [];
            let nonFinite = 0;
            for (let i = 0; i < options.count; i += 250) {
              const b = Math.min(250, options.count - i);
              parts.push(
                torch.scope(() => {
                  const x = to01(model.sample(b, { ...options.sampleOptions, temperature: T }).cpu());
                  // A sample with NaN or infinite pixels (a flow's inverse can overflow at high temperature)
                  // is scored as the black-and-white image its finite pixels clamp to, and counted.
                  nonFinite += x.isfinite().logicalNot().flatten(1).any(1).sum().item();
                  return classifierFeatures(net, x.nanToNum(0, 1, 0).clamp(0, 1));
                }),
              );
            }
            const key = options.temperatures.length === 1 && T === 1 ? 'fd' : `fd@T${T}`;
            out[key] = frechetDistance(torch.cat(parts, 0), real);
            if (nonFinite > 0) out[`nonFinite${key.slice(2)}`] = nonFinite / options.count;
          });
        }
      }),
    );
  } finally {
    net.dispose();
  }
  return out;
}

/** Evaluates an opened run on its data set's held-out split. */
export async function evaluateRun(opened: OpenedRun, options: EvaluateOptions = {}): Promise<EvalResult> {
  const { config, model } = opened;
  const seed = options.seed ?? config.train.seed;
  const metrics: Record<string, number> = {};
  let n = 0;
  await torch.scope(async () => {
    const data = await loadData(config.data.name, { seed, testSize: options.n ?? 2000, testOnly: true });
    // Held-out data go where the model is (a CUDA run evaluates on its GPU).
    const device = model.parameters()[0]?.device ?? 'cpu';
    const held = options.n ? data.test.narrow(0, 0, Math.min(options.n, data.test.size(0))) : data.test;
    const test = device === 'cpu' ? held : held.to(device);
    n = test.size(0);
    const dims = config.data.shape.reduce((a, b) => a * b, 1);
    const nllN = Math.min(options.nllN ?? model.logProbExamples ?? n, n);
    if (model.logProb && nllN > 0) {
      // Seeded: models whose logProb draws noise (dequantization of images) give the same number
      // on every eval of the same run.
      torch.manualSeed(deriveSeed(seed, 'eval', 2));
      const nll = testNll(model, nllN < n ? test.narrow(0, 0, nllN) : test);
      metrics.testNll = nll;
      metrics.bitsPerDim = bitsPerDim(nll, dims);
      if (nllN < n) metrics.nllExamples = nllN;
    }
    if (config.data.kind === '2d') {
      torch.manualSeed(deriveSeed(seed, 'eval'));
      const samples = torch.noGrad(() => model.sample(n));
      metrics.mmd = torch.noGrad(() => mmdRbf(samples, test).item());
      const g = new torch.Generator({ seed: deriveSeed(seed, 'eval', 1) });
      metrics.slicedWasserstein = torch.noGrad(() => slicedWasserstein(samples, test, 256, g).item());
      if (data.logDensity) {
        // The data's own NLL on the same points: a floor for testNll.
        metrics.dataNll = torch.noGrad(() => data.logDensity!(test).mean().neg().item());
      }
    }
    if (model.evaluate) {
      const extra = torch.noGrad(() => model.evaluate!(test));
      // A family's own nll/bpd is the quantity testNll/bitsPerDim already report: print one NLL,
      // not two from two noise draws.
      if (model.logProb) {
        delete extra.nll;
        delete extra.bpd;
      }
      Object.assign(metrics, extra);
    }
    const shape = config.data.shape;
    const fdSamples = options.fdSamples ?? 1000;
    if (config.data.kind === 'image' && shape.length === 3 && shape[0] === 1 && shape[1] === 28 && shape[2] === 28 && fdSamples > 0) {
      Object.assign(metrics, sampleFrechetDistances(model, test, { count: fdSamples, temperatures: options.temperatures ?? [1], seed, range: config.data.range, ...(options.sampleOptions ? { sampleOptions: options.sampleOptions } : {}) }));
    }
  });
  return { run: opened.run.dir, model: config.model, data: config.data.name, step: opened.step, ema: opened.ema, n, metrics };
}
