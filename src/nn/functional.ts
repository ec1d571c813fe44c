/**
 * torch.nn.functional under PyTorch's names (camelCase): stateless layers, activations and losses.
 * `import { F } from '.../nn/index.ts'` then `F.mseLoss(x, y)`. Each makes its tensors in the
 * caller's scope.
 */
import { torch, type Tensor, type Generator } from '../tensor/index.ts';

export type Reduction = 'none' | 'mean' | 'sum';
const REDUCTION: Record<Reduction, number> = { none: 0, mean: 1, sum: 2 };
function reductionCode(r: Reduction | undefined, fn: string): number {
  const c = REDUCTION[r ?? 'mean'];
  if (c === undefined) throw new TypeError(`F.${fn}: reduction must be 'none', 'mean' or 'sum', got ${JSON.stringify(r)}`);
  return c;
}
function reduce(x: Tensor, r: Reduction | undefined, fn: string): Tensor {
  const c = reductionCode(r, fn);
  return c === 0 ? x : c === 1 ? x.mean() : x.sum();
}

// ---- layers ----

/** y = x W^T + b. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return torch.linear(x, weight, bias ?? null);
}

export interface Conv2dOptions {
  stride?: number | number[];
  padding?: number | number[] | 'same' | 'valid';
  dilation?: number | number[];
  groups?: number;
}
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, o: Conv2dOptions = {}): Tensor {
  const padding = o.padding ?? 0;
  if (typeof padding === 'string') return torch.conv2d(x, weight, bias ?? null, o.stride ?? 1, padding, o.dilation ?? 1, o.groups ?? 1);
  return torch.conv2d(x, weight, bias ?? null, o.stride ?? 1, padding, o.dilation ?? 1, o.groups ?? 1);
}
export interface ConvTranspose2dOptions {
  stride?: number | number[];
  padding?: number | number[];
  outputPadding?: number | number[];
  groups?: number;
  dilation?: number | number[];
}
export function convTranspose2d(x: Tensor, weight: Tensor, bias?: Tensor | null, o: ConvTranspose2dOptions = {}): Tensor {
  return torch.convTranspose2d(x, weight, bias ?? null, o.stride ?? 1, o.padding ?? 0, o.outputPadding ?? 0, o.groups ?? 1, o.dilation ?? 1);
}
export function embedding(indices: Tensor, weight: Tensor, options: { paddingIdx?: number } = {}): Tensor {
  return torch.embedding(weight, indices, options.paddingIdx ?? -1);
}
export function layerNorm(x: Tensor, normalizedShape: number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  return torch.layerNorm(x, normalizedShape, weight ?? null, bias ?? null, eps);
}
export function groupNorm(x: Tensor, numGroups: number, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  return torch.groupNorm(x, numGroups, weight ?? null, bias ?? null, eps);
}
export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  training?: boolean;
  momentum?: number;
  eps?: number;
}
/** Batch norm; in training, runningMean/runningVar (if given) are updated in place. */
export function batchNorm(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, o: BatchNormOptions = {}): Tensor {
  return torch.batchNorm(x, o.weight ?? null, o.bias ?? null, runningMean, runningVar, o.training ?? false, o.momentum ?? 0.1, o.eps ?? 1e-5, false);
}
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  if (p < 0 || p > 1) throw new RangeError(`F.dropout: p must be in [0, 1], got ${p}`);
  if (!training || p === 0) return x;
  return torch.dropout(x, p, true);
}
export function maxPool2d(x: Tensor, kernelSize: number | number[], stride?: number | number[], padding: number | number[] = 0): Tensor {
  return torch.maxPool2d(x, kernelSize, stride ?? kernelSize, padding);
}
export function avgPool2d(x: Tensor, kernelSize: number | number[], stride?: number | number[], padding: number | number[] = 0): Tensor {
  return torch.avgPool2d(x, kernelSize, stride ?? kernelSize, padding);
}
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | number[]): Tensor {
  return torch.adaptiveAvgPool2d(x, outputSize);
}

/** Padding: pad lists (left, right, top, bottom, ...) from the last dimension, as PyTorch. */
export function pad(x: Tensor, padding: number[], mode: 'constant' | 'reflect' | 'replicate' | 'circular' = 'constant', value = 0): Tensor {
  return torch.pad(x, padding, mode, mode === 'constant' ? value : null);
}

export interface InterpolateOptions {
  size?: number | number[];
  scaleFactor?: number | number[];
  mode?: 'nearest' | 'bilinear' | 'bicubic';
  alignCorners?: boolean;
}
/** Resizes a [N, C, H, W] batch (nearest, bilinear or bicubic). */
export function interpolate(x: Tensor, o: InterpolateOptions): Tensor {
  if (x.dim() !== 4) throw new RangeError(`F.interpolate: expects a 4-d [N, C, H, W] tensor, got ${x.dim()}-d`);
  if ((o.size === undefined) === (o.scaleFactor === undefined)) throw new TypeError('F.interpolate: give exactly one of size and scaleFactor');
  const size = o.size === undefined ? null : typeof o.size === 'number' ? [o.size, o.size] : o.size;
  const scale = o.scaleFactor === undefined ? null : typeof o.scaleFactor === 'number' ? [o.scaleFactor, o.scaleFactor] : o.scaleFactor;
  const mode = o.mode ?? 'nearest';
  if (mode === 'nearest') {
    if (o.alignCorners !== undefined) throw new TypeError("F.interpolate: alignCorners only applies to 'bilinear' and 'bicubic'");
    return torch.upsampleNearest2d(x, size, scale);
  }
  const ac = o.alignCorners ?? false;
  if (mode === 'bilinear') return torch.upsampleBilinear2d(x, size, ac, scale);
  if (mode === 'bicubic') return torch.upsampleBicubic2d(x, size, ac, scale);
  throw new TypeError(`F.interpolate: unknown mode ${JSON.stringify(mode)}`);
}

// ---- activations ----

export const relu = (x: Tensor): Tensor => x.relu();
export const silu = (x: Tensor): Tensor => x.silu();
export const sigmoid = (x: Tensor): Tensor => x.sigmoid();
export const tanh = (x: Tensor): Tensor => x.tanh();
/** GELU; approximate 'tanh' for the tanh approximation. */
export const gelu = (x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor => x.gelu({ approximate });
export const leakyRelu = (x: Tensor, negativeSlope = 0.01): Tensor => x.leakyRelu(negativeSlope);
export const elu = (x: Tensor, alpha = 1): Tensor => x.elu(alpha);
/** softplus(x) = log(1 + exp(beta x)) / beta, linear above threshold. */
export const softplus = (x: Tensor, beta = 1, threshold = 20): Tensor => x.softplus(beta, threshold);
export const logSigmoid = (x: Tensor): Tensor => x.logSigmoid();
export const mish = (x: Tensor): Tensor => x.mish();
export const softmax = (x: Tensor, dim = -1): Tensor => x.softmax(dim);
export const logSoftmax = (x: Tensor, dim = -1): Tensor => x.logSoftmax(dim);

/** L2-normalizes along dim: x / max(||x||_p, eps). */
export function normalize(x: Tensor, p = 2, dim = 1, eps = 1e-12): Tensor {
  return x.div(torch.linalg.vectorNorm(x, p, dim, true).clampMin(eps));
}

/** One-hot float32 encoding of int64 class indices: [...] -> [..., numClasses]. */
export function oneHot(indices: Tensor, numClasses = -1, dtype: 'float32' | 'float64' | 'int64' = 'float32'): Tensor {
  const h = torch.oneHot(indices, numClasses);
  return dtype === 'int64' ? h : h.to(dtype);
}

export interface GumbelSoftmaxOptions {
  tau?: number;
  /** One-hot samples in the forward pass with the soft sample's gradient (straight-through). */
  hard?: boolean;
  dim?: number;
  generator?: Generator;
}
/** A relaxed one-hot sample: softmax((logits + Gumbel noise) / tau); hard gives straight-through one-hots. */
export function gumbelSoftmax(logits: Tensor, o: GumbelSoftmaxOptions = {}): Tensor {
  const tau = o.tau ?? 1;
  const dim = o.dim ?? -1;
  const e = torch.noGrad(() => torch.emptyLike(logits).exponential_(1, { generator: o.generator ?? null }).log().neg());
  const ySoft = logits.add(e).div(tau).softmax(dim);
  if (!o.hard) return ySoft;
  const [, index] = ySoft.max(dim, true);
  const yHard = torch.zerosLike(logits).scatter_(dim, index, 1.0);
  return yHard.sub(ySoft.detach()).add(ySoft);
}

// ---- losses ----

export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  return torch.mseLoss(input, target, reductionCode(reduction, 'mseLoss'));
}
export function l1Loss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  return torch.l1Loss(input, target, reductionCode(reduction, 'l1Loss'));
}
export function huberLoss(input: Tensor, target: Tensor, delta = 1, reduction: Reduction = 'mean'): Tensor {
  return torch.huberLoss(input, target, reductionCode(reduction, 'huberLoss'), delta);
}
export interface CrossEntropyOptions {
  weight?: Tensor | null;
  ignoreIndex?: number;
  reduction?: Reduction;
  labelSmoothing?: number;
}
/** Cross entropy of logits [N, C, ...] against int64 class indices [N, ...] or class probabilities [N, C, ...]. */
export function crossEntropy(logits: Tensor, target: Tensor, o: CrossEntropyOptions = {}): Tensor {
  return torch.crossEntropyLoss(logits, target, o.weight ?? null, reductionCode(o.reduction, 'crossEntropy'), o.ignoreIndex ?? -100, o.labelSmoothing ?? 0);
}
export function nllLoss(logProbs: Tensor, target: Tensor, o: Omit<CrossEntropyOptions, 'labelSmoothing'> = {}): Tensor {
  return torch.nllLoss(logProbs, target, o.weight ?? null, reductionCode(o.reduction, 'nllLoss'), o.ignoreIndex ?? -100);
}
export function binaryCrossEntropy(probs: Tensor, target: Tensor, o: { weight?: Tensor | null; reduction?: Reduction } = {}): Tensor {
  return torch.binaryCrossEntropy(probs, target, o.weight ?? null, reductionCode(o.reduction, 'binaryCrossEntropy'));
}
/** Numerically stable BCE on logits. */
export function binaryCrossEntropyWithLogits(logits: Tensor, target: Tensor, o: { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction } = {}): Tensor {
  return torch.binaryCrossEntropyWithLogits(logits, target, o.weight ?? null, o.posWeight ?? null, reductionCode(o.reduction, 'binaryCrossEntropyWithLogits'));
}
/** KL(target || input) with input as log-probabilities (PyTorch's kl_div; 'batchmean' divides by N). */
export function klDiv(input: Tensor, target: Tensor, reduction: Reduction | 'batchmean' = 'mean', logTarget = false): Tensor {
  if (reduction === 'batchmean') return torch.klDiv(input, target, 2, { logTarget }).div(input.size(0));
  return torch.klDiv(input, target, reductionCode(reduction, 'klDiv'), { logTarget });
}
/** Gaussian negative log-likelihood 0.5 (log var + (x - mu)^2 / var), without the constant (PyTorch's default). */
export function gaussianNllLoss(input: Tensor, target: Tensor, variance: Tensor, o: { eps?: number; full?: boolean; reduction?: Reduction } = {}): Tensor {
  const v = variance.clampMin(o.eps ?? 1e-6);
  let l = v.log().add(input.sub(target).square().div(v)).mul(0.5);
  if (o.full) l = l.add(0.5 * Math.log(2 * Math.PI));
  return reduce(l, o.reduction, 'gaussianNllLoss');
}

// ---- attention ----

/**
 * softmax(q k^T / sqrt(d) + mask) v over the last two dimensions. mask: boolean (true = attend)
 * or additive float, broadcastable to [..., Lq, Lk].
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, o: { mask?: Tensor | null; dropoutP?: number; training?: boolean; scale?: number } = {}): Tensor {
  const scale = o.scale ?? 1 / Math.sqrt(q.size(-1));
  let s = q.matmul(k.transpose(-2, -1)).mul(scale);
  if (o.mask) s = o.mask.dtype === 'bool' ? s.maskedFill(o.mask.logicalNot(), -Infinity) : s.add(o.mask);
  let a = s.softmax(-1);
  if (o.dropoutP) a = dropout(a, o.dropoutP, o.training ?? true);
  return a.matmul(v);
}
