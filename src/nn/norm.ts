/** Normalization layers: GroupNorm, LayerNorm, BatchNorm2d (PyTorch's names, defaults and buffers). */
import { torch, type Tensor } from '../tensor/index.ts';
import { Module } from './module.ts';
import * as F from './functional.ts';
import type { FactoryOptions } from './layers.ts';

const fopts = (o: FactoryOptions) => ({ dtype: o.dtype ?? 'float32', device: o.device ?? 'cpu' }) as const;

/** Normalizes [N, C, ...] over groups of channels; per-channel affine weight (ones) and bias (zeros). */
export class GroupNorm extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  constructor(readonly numGroups: number, readonly numChannels: number, readonly options: FactoryOptions & { eps?: number; affine?: boolean } = {}) {
    super();
    if (numChannels % numGroups) throw new RangeError(`GroupNorm: ${numChannels} channels are not divisible by ${numGroups} groups`);
    const affine = options.affine ?? true;
    this.weight = this.registerParameter('weight', affine ? torch.ones([numChannels], fopts(options)) : null);
    this.bias = this.registerParameter('bias', affine ? torch.zeros([numChannels], fopts(options)) : null);
  }
  forward(x: Tensor): Tensor {
    return F.groupNorm(x, this.numGroups, this.weight, this.bias, this.options.eps ?? 1e-5);
  }
  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}`;
  }
}

/** Normalizes over the trailing normalizedShape dimensions; elementwise affine weight (ones) and bias (zeros). */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  weight: Tensor | null;
  bias: Tensor | null;
  constructor(normalizedShape: number | number[], readonly options: FactoryOptions & { eps?: number; elementwiseAffine?: boolean; bias?: boolean } = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    const affine = options.elementwiseAffine ?? true;
    this.weight = this.registerParameter('weight', affine ? torch.ones(this.normalizedShape, fopts(options)) : null);
    this.bias = this.registerParameter('bias', affine && options.bias !== false ? torch.zeros(this.normalizedShape, fopts(options)) : null);
  }
  forward(x: Tensor): Tensor {
    return F.layerNorm(x, this.normalizedShape, this.weight, this.bias, this.options.eps ?? 1e-5);
  }
  override extraRepr(): string {
    return `[${this.normalizedShape}]`;
  }
}

export interface BatchNormConfig extends FactoryOptions {
  eps?: number;
  /** Running-average factor (default 0.1); null for a cumulative average over all batches. */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
}

/**
 * Batch normalization over [N, C, H, W]. In training it normalizes with batch statistics and
 * updates the buffers running_mean / running_var (unbiased variance) in place, without autograd;
 * in eval it uses them. Buffers and names as PyTorch (running_mean, running_var, num_batches_tracked).
 */
export class BatchNorm2d extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  runningMean: Tensor | null;
  runningVar: Tensor | null;
  numBatchesTracked: Tensor | null;
  constructor(readonly numFeatures: number, readonly config: BatchNormConfig = {}) {
    super();
    const o = fopts(config);
    const affine = config.affine ?? true;
    const track = config.trackRunningStats ?? true;
    this.weight = this.registerParameter('weight', affine ? torch.ones([numFeatures], o) : null);
    this.bias = this.registerParameter('bias', affine ? torch.zeros([numFeatures], o) : null);
    this.runningMean = this.registerBuffer('running_mean', track ? torch.zeros([numFeatures], o) : null);
    this.runningVar = this.registerBuffer('running_var', track ? torch.ones([numFeatures], o) : null);
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', track ? torch.zeros([], { dtype: 'int64', device: o.device }) : null);
  }
  /** Resets running statistics to mean 0, variance 1 and the batch count to 0. */
  resetRunningStats(): void {
    torch.noGrad(() => {
      this.runningMean?.zero_();
      this.runningVar?.fill_(1);
      this.numBatchesTracked?.zero_();
    });
  }
  forward(x: Tensor): Tensor {
    if (x.dim() !== 4) throw new RangeError(`BatchNorm2d: expected a 4-d [N, C, H, W] input, got ${x.dim()}-d`);
    let momentum = this.config.momentum === undefined ? 0.1 : this.config.momentum;
    const useBatchStats = this.training || this.runningMean === null;
    if (this.training && this.numBatchesTracked) {
      torch.noGrad(() => this.numBatchesTracked!.add_(1));
      if (momentum === null) momentum = 1 / this.numBatchesTracked.item();
    }
    const updateStats = this.training && this.runningMean !== null;
    return F.batchNorm(x, updateStats || !this.training ? this.runningMean : null, updateStats || !this.training ? this.runningVar : null, {
      weight: this.weight,
      bias: this.bias,
      training: useBatchStats,
      momentum: momentum ?? 0,
      eps: this.config.eps ?? 1e-5,
    });
  }
  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.config.eps ?? 1e-5}, momentum=${this.config.momentum ?? 0.1}`;
  }
}
