/**
 * Basic layers with PyTorch's parameter names, shapes and default initializations.
 */
import { torch, type Tensor, type DType } from '../tensor/index.ts';
import { Module } from './module.ts';
import * as init from './init.ts';
import * as F from './functional.ts';

export interface FactoryOptions {
  dtype?: DType;
  device?: string;
}
const empty = (shape: number[], o: FactoryOptions): Tensor =>
  torch.empty(shape, { dtype: o.dtype ?? 'float32', device: o.device ?? 'cpu' });
const pair = (x: number | number[]): [number, number] => (typeof x === 'number' ? [x, x] : [x[0]!, x[1] ?? x[0]!]);

/** PyTorch's default for Linear/Conv: weight kaiming_uniform(a=sqrt(5)), bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
function resetLinearLike(weight: Tensor, bias: Tensor | null): void {
  init.kaimingUniform_(weight, { a: Math.sqrt(5) });
  if (bias) {
    const [fanIn] = init.calculateFanInAndFanOut(weight);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    init.uniform_(bias, -bound, bound);
  }
}

/** y = x W^T + b; weight [out, in]. */
export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;
  constructor(readonly inFeatures: number, readonly outFeatures: number, options: FactoryOptions & { bias?: boolean } = {}) {
    super();
    this.weight = this.registerParameter('weight', empty([outFeatures, inFeatures], options));
    this.bias = this.registerParameter('bias', options.bias === false ? null : empty([outFeatures], options));
    this.resetParameters();
  }
  resetParameters(): void {
    resetLinearLike(this.weight, this.bias);
  }
  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }
  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

export interface Conv2dConfig extends FactoryOptions, F.Conv2dOptions {
  bias?: boolean;
}

/** 2-d convolution over [N, C, H, W]; weight [out, in/groups, kh, kw]. */
export class Conv2d extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly kernelSize: [number, number];
  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: number | number[], readonly config: Conv2dConfig = {}) {
    super();
    const g = config.groups ?? 1;
    if (inChannels % g || outChannels % g) throw new RangeError(`Conv2d: channels (${inChannels}, ${outChannels}) must be divisible by groups ${g}`);
    this.kernelSize = pair(kernelSize);
    this.weight = this.registerParameter('weight', empty([outChannels, inChannels / g, ...this.kernelSize], config));
    this.bias = this.registerParameter('bias', config.bias === false ? null : empty([outChannels], config));
    this.resetParameters();
  }
  resetParameters(): void {
    resetLinearLike(this.weight, this.bias);
  }
  forward(x: Tensor): Tensor {
    return F.conv2d(x, this.weight, this.bias, this.config);
  }
  override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernelSize=[${this.kernelSize}], stride=${this.config.stride ?? 1}, padding=${this.config.padding ?? 0}`;
  }
}

export interface ConvTranspose2dConfig extends FactoryOptions, F.ConvTranspose2dOptions {
  bias?: boolean;
}

/** Transposed 2-d convolution; weight [in, out/groups, kh, kw] (fan in from dim 1, as PyTorch). */
export class ConvTranspose2d extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly kernelSize: [number, number];
  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: number | number[], readonly config: ConvTranspose2dConfig = {}) {
    super();
    const g = config.groups ?? 1;
    if (inChannels % g || outChannels % g) throw new RangeError(`ConvTranspose2d: channels (${inChannels}, ${outChannels}) must be divisible by groups ${g}`);
    this.kernelSize = pair(kernelSize);
    this.weight = this.registerParameter('weight', empty([inChannels, outChannels / g, ...this.kernelSize], config));
    this.bias = this.registerParameter('bias', config.bias === false ? null : empty([outChannels], config));
    this.resetParameters();
  }
  resetParameters(): void {
    resetLinearLike(this.weight, this.bias);
  }
  forward(x: Tensor): Tensor {
    return F.convTranspose2d(x, this.weight, this.bias, this.config);
  }
  override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernelSize=[${this.kernelSize}], stride=${this.config.stride ?? 1}`;
  }
}

/** A lookup table of numEmbeddings vectors (int64 indices -> [..., dim]); init N(0, 1), paddingIdx row zero. */
export class Embedding extends Module {
  weight: Tensor;
  /** The padding row (normalized to 0..numEmbeddings-1), or undefined. */
  readonly paddingIdx: number | undefined;
  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, readonly options: FactoryOptions & { paddingIdx?: number } = {}) {
    super();
    const p = options.paddingIdx;
    if (p !== undefined && (p >= numEmbeddings || p < -numEmbeddings)) throw new RangeError(`Embedding: paddingIdx ${p} out of range for ${numEmbeddings} embeddings`);
    this.paddingIdx = p === undefined ? undefined : p < 0 ? p + numEmbeddings : p;
    this.weight = this.registerParameter('weight', empty([numEmbeddings, embeddingDim], options));
    this.resetParameters();
  }
  resetParameters(): void {
    init.normal_(this.weight);
    const p = this.paddingIdx;
    if (p !== undefined) torch.noGrad(() => this.weight.select(0, p).zero_());
  }
  forward(indices: Tensor): Tensor {
    return F.embedding(indices, this.weight, { paddingIdx: this.paddingIdx });
  }
  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}`;
  }
}

/** Zeroes elements with probability p in training (scaling the rest by 1/(1-p)); identity in eval. */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (p < 0 || p > 1) throw new RangeError(`Dropout: p must be in [0, 1], got ${p}`);
  }
  forward(x: Tensor): Tensor {
    return F.dropout(x, this.p, this.training);
  }
  override extraRepr(): string {
    return `p=${this.p}`;
  }
}

/** Returns its input. */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}
/** max(x, 0). */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return x.relu();
  }
}
/** x * sigmoid(x) (swish). */
export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return x.silu();
  }
}
/** Gaussian error linear unit; approximate 'tanh' for the tanh form. */
export class GELU extends Module {
  constructor(readonly approximate: 'none' | 'tanh' = 'none') {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.gelu(x, this.approximate);
  }
}
/** Hyperbolic tangent. */
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
}
/** Logistic sigmoid. */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return x.sigmoid();
  }
}
/** max(x, 0) + negativeSlope * min(x, 0). */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.leakyRelu(this.negativeSlope);
  }
}
/** log(1 + exp(beta x)) / beta. */
export class Softplus extends Module {
  constructor(readonly beta = 1, readonly threshold = 20) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.softplus(this.beta, this.threshold);
  }
}
/** x for x > 0, alpha (exp(x) - 1) otherwise. */
export class ELU extends Module {
  constructor(readonly alpha = 1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.elu(this.alpha);
  }
}
/** Flattens dims startDim..endDim (default: all but the batch dimension). */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
}
/** 2-d max pooling (stride defaults to the kernel size). */
export class MaxPool2d extends Module {
  constructor(readonly kernelSize: number | number[], readonly stride?: number | number[], readonly padding: number | number[] = 0) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.maxPool2d(x, this.kernelSize, this.stride, this.padding);
  }
}
/** 2-d average pooling (stride defaults to the kernel size). */
export class AvgPool2d extends Module {
  constructor(readonly kernelSize: number | number[], readonly stride?: number | number[], readonly padding: number | number[] = 0) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.avgPool2d(x, this.kernelSize, this.stride, this.padding);
  }
}

export type ActivationName = 'relu' | 'silu' | 'gelu' | 'tanh' | 'sigmoid' | 'leaky_relu' | 'softplus' | 'elu' | 'identity';
/** An activation module by name. */
export function activation(name: ActivationName): Module & { forward(x: Tensor): Tensor } {
  switch (name) {
    case 'relu': return new ReLU();
    case 'silu': return new SiLU();
    case 'gelu': return new GELU();
    case 'tanh': return new Tanh();
    case 'sigmoid': return new Sigmoid();
    case 'leaky_relu': return new LeakyReLU();
    case 'softplus': return new Softplus();
    case 'elu': return new ELU();
    case 'identity': return new Identity();
    default: throw new TypeError(`activation: unknown name ${JSON.stringify(name)}`);
  }
}
