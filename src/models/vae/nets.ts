/**
 * Encoders and decoders of the VAE family. An encoder maps images [N, C, H, W] to a flat vector
 * [N, out] (the posterior's parameters); a decoder maps a flat latent [N, in] to the likelihood's
 * parameters [N, F·C, H, W]. MLP and convolutional versions; each is one Module.
 */
import type { Tensor } from '../../tensor/index.ts';
import { Module, Sequential, Linear, Conv2d, ConvTranspose2d, ReLU, Flatten } from '../../nn/index.ts';

export type NetKind = 'mlp' | 'conv';

/** x [N, C, H, W] -> MLP -> [N, out]. */
export class MLPEncoder extends Module {
  readonly net: Sequential;
  constructor(inShape: number[], out: number, hidden: number[]) {
    super();
    const D = inShape.reduce((a, b) => a * b, 1);
    this.net = this.registerModule('net', new Sequential(new Flatten()));
    let d = D;
    for (const h of hidden) {
      this.net.append(new Linear(d, h)).append(new ReLU());
      d = h;
    }
    this.net.append(new Linear(d, out));
  }
  forward(x: Tensor): Tensor {
    return this.net.forward(x);
  }
}

/** z [N, in] -> MLP -> [N, F·C, H, W]. */
export class MLPDecoder extends Module {
  readonly net: Sequential;
  constructor(inFeatures: number, readonly outShape: number[], hidden: number[]) {
    super();
    const D = outShape.reduce((a, b) => a * b, 1);
    this.net = this.registerModule('net', new Sequential());
    let d = inFeatures;
    for (const h of hidden) {
      this.net.append(new Linear(d, h)).append(new ReLU());
      d = h;
    }
    this.net.append(new Linear(d, D));
  }
  forward(z: Tensor): Tensor {
    return this.net.forward(z).reshape([z.size(0), ...this.outShape]);
  }
}

function checkDivisible(shape: number[], what: string): void {
  const [, H, W] = shape;
  if (H! % 4 || W! % 4) throw new RangeError(`${what}: image height and width must be multiples of 4 (two stride-2 convolutions), got ${H}x${W}`);
}

/** Two stride-2 4x4 convolutions (C -> ch -> 2ch), then a Linear to [N, out]. */
export class ConvEncoder extends Module {
  readonly convs: Sequential;
  readonly head: Linear;
  constructor(inShape: number[], out: number, channels: number) {
    super();
    checkDivisible(inShape, 'ConvEncoder');
    const [C, H, W] = inShape as [number, number, number];
    this.convs = this.registerModule(
      'convs',
      new Sequential(new Conv2d(C, channels, 4, { stride: 2, padding: 1 }), new ReLU(), new Conv2d(channels, 2 * channels, 4, { stride: 2, padding: 1 }), new ReLU(), new Flatten()),
    );
    this.head = this.registerModule('head', new Linear(2 * channels * (H / 4) * (W / 4), out));
  }
  forward(x: Tensor): Tensor {
    return this.head.forward(this.convs.forward(x));
  }
}

/** A Linear to [2ch, H/4, W/4], then two stride-2 transposed convolutions to [F·C, H, W]. */
export class ConvDecoder extends Module {
  readonly fc: Linear;
  readonly deconvs: Sequential;
  private readonly grid: [number, number, number];
  constructor(inFeatures: number, outShape: number[], channels: number) {
    super();
    checkDivisible(outShape, 'ConvDecoder');
    const [C, H, W] = outShape as [number, number, number];
    this.grid = [2 * channels, H / 4, W / 4];
    this.fc = this.registerModule('fc', new Linear(inFeatures, this.grid[0] * this.grid[1] * this.grid[2]));
    this.deconvs = this.registerModule(
      'deconvs',
      new Sequential(new ReLU(), new ConvTranspose2d(2 * channels, channels, 4, { stride: 2, padding: 1 }), new ReLU(), new ConvTranspose2d(channels, C, 4, { stride: 2, padding: 1 })),
    );
  }
  forward(z: Tensor): Tensor {
    return this.deconvs.forward(this.fc.forward(z).reshape([z.size(0), ...this.grid]));
  }
}

/** An encoder of the kind asked for. */
export function makeEncoder(kind: string, inShape: number[], out: number, hidden: number, channels: number): Module & { forward(x: Tensor): Tensor } {
  if (kind === 'mlp') return new MLPEncoder(inShape, out, [hidden, hidden]);
  if (kind === 'conv') return new ConvEncoder(inShape, out, channels);
  throw new RangeError(`unknown network '${kind}'; networks: mlp, conv`);
}

/** A decoder of the kind asked for. */
export function makeDecoder(kind: string, inFeatures: number, outShape: number[], hidden: number, channels: number): Module & { forward(z: Tensor): Tensor } {
  if (kind === 'mlp') return new MLPDecoder(inFeatures, outShape, [hidden, hidden]);
  if (kind === 'conv') return new ConvDecoder(inFeatures, outShape, channels);
  throw new RangeError(`unknown network '${kind}'; networks: mlp, conv`);
}
