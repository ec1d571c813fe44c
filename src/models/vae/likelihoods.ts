/**
 * Decoder likelihoods p(x | z) of images in [0, 1]. A decoder outputs `paramsPerChannel · C`
 * channels of [N, ·, H, W]; `logProb(params, x)` is summed over every dimension but the first
 * (nats per example), `mean` is the picture a decoder "means", `sample` a draw.
 *
 * - bernoulli: logits; x in {0, 1} (fractional x gives the continuous cross-entropy, not a likelihood).
 * - gaussian: mean and log-scale per pixel (a density over R^D; NLL in nats can be negative).
 * - logistic: discretized logistic over 256 levels (PixelCNN++'s single-component case): mass of
 *   the bin [x − 1/255, x + 1/255] of 2x − 1 in [−1, 1], the edge bins open to ±∞.
 */
import { torch, type Tensor } from '../../tensor/index.ts';

export type LikelihoodName = 'bernoulli' | 'gaussian' | 'logistic';
export const LIKELIHOODS: readonly LikelihoodName[] = ['bernoulli', 'gaussian', 'logistic'];

export interface Likelihood {
  readonly name: LikelihoodName;
  /** Decoder channels per data channel. */
  readonly paramsPerChannel: number;
  /** log p(x | params) summed per example: [N]. */
  logProb(params: Tensor, x: Tensor): Tensor;
  /** The mean picture, in [0, 1]. */
  mean(params: Tensor): Tensor;
  /** One draw, in [0, 1]. */
  sample(params: Tensor): Tensor;
}

const perExample = (t: Tensor) => t.reshape([t.size(0), -1]).sum(1);
const LOG_2PI = Math.log(2 * Math.PI);
const MIN_LOG_SCALE = -7;

function splitTwo(params: Tensor): [Tensor, Tensor] {
  const c = params.size(1) / 2;
  return [params.narrow(1, 0, c), params.narrow(1, c, c).clampMin(MIN_LOG_SCALE)];
}

export const bernoulliLikelihood: Likelihood = {
  name: 'bernoulli',
  paramsPerChannel: 1,
  logProb: (logits, x) => perExample(torch.binaryCrossEntropyWithLogits(logits, x, null, null, 0).neg()),
  mean: (logits) => logits.sigmoid(),
  sample: (logits) => torch.bernoulli(logits.sigmoid()),
};

export const gaussianLikelihood: Likelihood = {
  name: 'gaussian',
  paramsPerChannel: 2,
  logProb(params, x) {
    const [mu, logS] = splitTwo(params);
    const z = x.sub(mu).mul(logS.neg().exp());
    return perExample(z.square().mul(-0.5).sub(logS).sub(0.5 * LOG_2PI));
  },
  mean: (params) => splitTwo(params)[0].clamp(0, 1),
  sample(params) {
    const [mu, logS] = splitTwo(params);
    return mu.add(torch.randnLike(mu).mul(logS.exp())).clamp(0, 1);
  },
};

export const logisticLikelihood: Likelihood = {
  name: 'logistic',
  paramsPerChannel: 2,
  logProb(params, x) {
    const [mu, logS] = splitTwo(params);
    const xs = x.mul(2).sub(1); // [-1, 1]
    const invS = logS.neg().exp();
    const centered = xs.sub(mu);
    const plusIn = centered.add(1 / 255).mul(invS);
    const minIn = centered.sub(1 / 255).mul(invS);
    const cdfPlus = plusIn.sigmoid();
    const cdfMin = minIn.sigmoid();
    const logCdfPlus = plusIn.sub(plusIn.softplus()); // log σ(plus), for the bottom bin
    const logOneMinusCdfMin = minIn.softplus().neg(); // log(1 − σ(min)), for the top bin
    const cdfDelta = cdfPlus.sub(cdfMin);
    // Middle bins: log(cdfDelta), or the density times the bin width where the difference underflows.
    const midIn = centered.mul(invS);
    const logPdfMid = midIn.sub(logS).sub(midIn.softplus().mul(2));
    const logMid = torch.where(cdfDelta.gt(1e-5), cdfDelta.clampMin(1e-12).log(), logPdfMid.sub(Math.log(127.5)));
    const lp = torch.where(xs.lt(-0.999), logCdfPlus, torch.where(xs.gt(0.999), logOneMinusCdfMin, logMid));
    return perExample(lp);
  },
  mean: (params) => splitTwo(params)[0].add(1).div(2).clamp(0, 1),
  sample(params) {
    const [mu, logS] = splitTwo(params);
    const u = torch.rand(mu.shape).clamp(1e-5, 1 - 1e-5);
    const x = mu.add(u.log().sub(u.neg().log1p()).mul(logS.exp()));
    return x.clamp(-1, 1).add(1).div(2).mul(255).round().div(255);
  },
};

/** The likelihood of that name, or an error listing the names. */
export function likelihoodByName(name: string): Likelihood {
  switch (name) {
    case 'bernoulli': return bernoulliLikelihood;
    case 'gaussian': return gaussianLikelihood;
    case 'logistic': return logisticLikelihood;
    default: throw new RangeError(`unknown likelihood '${name}'; likelihoods: ${LIKELIHOODS.join(', ')}`);
  }
}
