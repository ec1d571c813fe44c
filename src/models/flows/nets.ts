/**
 * Small conditioner networks for couplings (self-contained so flows do not wait on nn/): an MLP for
 * vectors and a 3x3-1x1-3x3 conv net for images (Glow's coupling NN). Both can zero-initialise
 * their last layer, so that a coupling starts as the identity (Glow, sec. 3.3).
 */
import { torch, type Tensor, type DType } from '../../tensor/index.ts';
import { Module } from '../../nn/module.ts';

export type Activation = 'relu' | 'tanh' | 'elu' | 'silu';

function act(x: Tensor, a: Activation): Tensor {
  switch (a) {
    case 'relu': return x.relu();
    case 'tanh': return x.tanh();
    case 'elu': return x.elu();
    case 'silu': return x.silu();
  }
}

/** PyTorch's default Linear/Conv init: U(-1/sqrt(fanIn), 1/sqrt(fanIn)) for weight and bias. */
function uniformInit(shape: number[], fanIn: number, dtype: DType): Tensor {
  const k = 1 / Math.sqrt(fanIn);
  return torch.rand(shape, { dtype }).mul(2 * k).sub(k);
}

export interface MLPOptions {
  /** Width of each hidden layer. */
  hidden: number[];
  activation?: Activation;
  /** Zero the last layer's weight and bias (the coupling starts as the identity). Default true. */
  zeroInit?: boolean;
  /** Size of a context vector concatenated to the input. */
  contextDim?: number;
  dtype?: DType;
}

/** A multilayer perceptron conditioner: in -> hidden... -> out. */
export class MLP extends Module {
  private readonly layers: { w: Tensor; b: Tensor }[] = [];
  readonly activation: Activation;

  constructor(readonly inFeatures: number, readonly outFeatures: number, options: MLPOptions) {
    super();
    const dtype = options.dtype ?? 'float32';
    this.activation = options.activation ?? 'relu';
    const sizes = [inFeatures + (options.contextDim ?? 0), ...options.hidden, outFeatures];
    for (let i = 0; i + 1 < sizes.length; i++) {
      const last = i + 2 === sizes.length;
      const zero = last && (options.zeroInit ?? true);
      const w = zero ? torch.zeros([sizes[i + 1]!, sizes[i]!], { dtype }) : uniformInit([sizes[i + 1]!, sizes[i]!], sizes[i]!, dtype);
      const b = zero ? torch.zeros([sizes[i + 1]!], { dtype }) : uniformInit([sizes[i + 1]!], sizes[i]!, dtype);
      this.layers.push({ w: this.registerParameter(`w${i}`, w), b: this.registerParameter(`b${i}`, b) });
    }
  }

  forward(x: Tensor, context?: Tensor): Tensor {
    let h = context ? torch.cat([x, context], 1) : x;
    this.layers.forEach(({ w, b }, i) => {
      h = torch.linear(h, w, b);
      if (i + 1 < this.layers.length) h = act(h, this.activation);
    });
    return h;
  }
}

export interface ConvNetOptions {
  hidden: number;
  activation?: Activation;
  zeroInit?: boolean;
  dtype?: DType;
}

/** Glow's coupling network: conv3x3 -> act -> conv1x1 -> act -> conv3x3 (zero-initialised). */
export class ConvNet extends Module {
  private readonly convs: { w: Tensor; b: Tensor; pad: number }[] = [];
  readonly activation: Activation;

  constructor(readonly inChannels: number, readonly outChannels: number, options: ConvNetOptions) {
    super();
    const dtype = options.dtype ?? 'float32';
    this.activation = options.activation ?? 'relu';
    const h = options.hidden;
    const spec: [number, number, number][] = [[inChannels, h, 3], [h, h, 1], [h, outChannels, 3]];
    spec.forEach(([ci, co, k], i) => {
      const zero = i === 2 && (options.zeroInit ?? true);
      const fan = ci * k * k;
      const w = zero ? torch.zeros([co, ci, k, k], { dtype }) : uniformInit([co, ci, k, k], fan, dtype);
      const b = zero ? torch.zeros([co], { dtype }) : uniformInit([co], fan, dtype);
      this.convs.push({ w: this.registerParameter(`w${i}`, w), b: this.registerParameter(`b${i}`, b), pad: (k - 1) / 2 });
    });
  }

  forward(x: Tensor): Tensor {
    let h = x;
    this.convs.forEach(({ w, b, pad }, i) => {
      h = torch.conv2d(h, w, b, 1, pad);
      if (i + 1 < this.convs.length) h = act(h, this.activation);
    });
    return h;
  }
}
