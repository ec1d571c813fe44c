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

/** Evaluates an opened run on its data set's held-out split. */
export async function evaluateRun(opened: OpenedRun, options: { n?: number; seed?: number } = {}): Promise<EvalResult> {
  const { config, model } = opened;
  const seed = options.seed ?? config.train.seed;
  const metrics: Record<string, number> = {};
  let n = 0;
  await torch.scope(async () => {
    const data = await loadData(config.data.name, { seed, testSize: options.n ?? 2000, testOnly: true });
    const test = options.n ? data.test.narrow(0, 0, Math.min(options.n, data.test.size(0))) : data.test;
    n = test.size(0);
    const dims = config.data.shape.reduce((a, b) => a * b, 1);
    if (model.logProb) {
      // Seeded: models whose logProb draws noise (dequantization of images) give the same number
      // on every eval of the same run.
      torch.manualSeed(deriveSeed(seed, 'eval', 2));
      const nll = testNll(model, test);
      metrics.testNll = nll;
      metrics.bitsPerDim = bitsPerDim(nll, dims);
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
  });
  return { run: opened.run.dir, model: config.model, data: config.data.name, step: opened.step, ema: opened.ema, n, metrics };
}
