/**
 * The VQ-VAE's residual convolutional encoder and decoder (van den Oord et al. 2017, section 4.1):
 * two stride-2 4x4 convolutions down, a 3x3 convolution, residual blocks (ReLU, 3x3, ReLU, 1x1), and
 * a 1x1 projection to the codebook dim; the decoder mirrors it with transposed convolutions.
 */
import type { Tensor } from '../../tensor/index.ts';
import { Module, Sequential, ModuleList, Conv2d, ConvTranspose2d, ReLU } from '../../nn/index.ts';

/** x + conv1x1(relu(conv3x3(relu(x)))). */
export class ResidualBlock extends Module {
  readonly conv1: Conv2d;
  readonly conv2: Conv2d;
  constructor(channels: number, hidden: number) {
    super();
    this.conv1 = this.registerModule('conv1', new Conv2d(channels, hidden, 3, { padding: 1 }));
    this.conv2 = this.registerModule('conv2', new Conv2d(hidden, channels, 1));
  }
  forward(x: Tensor): Tensor {
    return x.add(this.conv2.forward(this.conv1.forward(x.relu()).relu()));
  }
}

/** Residual blocks followed by a ReLU. */
export class ResidualStack extends Module {
  readonly blocks: ModuleList<ResidualBlock>;
  constructor(channels: number, hidden: number, n: number) {
    super();
    this.blocks = this.registerModule('blocks', new ModuleList(Array.from({ length: n }, () => new ResidualBlock(channels, hidden))));
  }
  forward(x: Tensor): Tensor {
    for (const b of this.blocks) x = b.forward(x);
    return x.relu();
  }
}

export interface VQNetConfig {
  /** Channels of the convolutions. */
  hidden: number;
  /** Hidden channels inside a residual block. */
  resHidden: number;
  /** Residual blocks. */
  resBlocks: number;
}

/** [N, C, H, W] -> [N, codeDim, H/4, W/4]. */
export class VQEncoder extends Module {
  readonly down: Sequential;
  readonly res: ResidualStack;
  readonly proj: Conv2d;
  constructor(inChannels: number, codeDim: number, c: VQNetConfig) {
    super();
    this.down = this.registerModule(
      'down',
      new Sequential(
        new Conv2d(inChannels, c.hidden / 2, 4, { stride: 2, padding: 1 }),
        new ReLU(),
        new Conv2d(c.hidden / 2, c.hidden, 4, { stride: 2, padding: 1 }),
        new ReLU(),
        new Conv2d(c.hidden, c.hidden, 3, { padding: 1 }),
      ),
    );
    this.res = this.registerModule('res', new ResidualStack(c.hidden, c.resHidden, c.resBlocks));
    this.proj = this.registerModule('proj', new Conv2d(c.hidden, codeDim, 1));
  }
  forward(x: Tensor): Tensor {
    return this.proj.forward(this.res.forward(this.down.forward(x)));
  }
}

/** [N, codeDim, h, w] -> [N, C, 4h, 4w]. */
export class VQDecoder extends Module {
  readonly inp: Conv2d;
  readonly res: ResidualStack;
  readonly up: Sequential;
  constructor(codeDim: number, outChannels: number, c: VQNetConfig) {
    super();
    this.inp = this.registerModule('inp', new Conv2d(codeDim, c.hidden, 3, { padding: 1 }));
    this.res = this.registerModule('res', new ResidualStack(c.hidden, c.resHidden, c.resBlocks));
    this.up = this.registerModule(
      'up',
      new Sequential(
        new ConvTranspose2d(c.hidden, c.hidden / 2, 4, { stride: 2, padding: 1 }),
        new ReLU(),
        new ConvTranspose2d(c.hidden / 2, outChannels, 4, { stride: 2, padding: 1 }),
      ),
    );
  }
  forward(z: Tensor): Tensor {
    return this.up.forward(this.res.forward(this.inp.forward(z)));
  }
}
