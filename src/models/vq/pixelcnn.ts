/**
 * A gated PixelCNN (van den Oord et al. 2016, "Conditional Image Generation with PixelCNN Decoders")
 * over a grid of discrete codes: the autoregressive prior p(c) = Π_{i,j} p(c_ij | c_<ij) of a VQ-VAE.
 *
 * Two stacks remove the blind spot of plain masked convolutions:
 * - the vertical stack convolves with a k x k kernel masked to the rows at and above the centre; it
 *   reaches the horizontal stack only shifted down one row, so position (i, j) reads rows < i;
 * - the horizontal stack convolves along the row with a 1 x k kernel masked to the columns left of
 *   the centre (type 'A', the first layer, which must not see the pixel itself) or left and at the
 *   centre (type 'B', later layers, whose input at (i, j) already excludes the pixel).
 * Each layer gates: tanh(a) ⊙ σ(b). The horizontal stack is residual after the first layer.
 */
import { torch, type Tensor } from '../../tensor/index.ts';
import { Module, ModuleList, Conv2d, F } from '../../nn/index.ts';

/** A Conv2d whose kernel is multiplied by a fixed 0/1 mask (a buffer) in every forward. */
export class MaskedConv2d extends Module {
  readonly conv: Conv2d;
  readonly mask: Tensor;
  constructor(inCh: number, outCh: number, kernel: [number, number], padding: [number, number], mask: number[][]) {
    super();
    this.conv = this.registerModule('conv', new Conv2d(inCh, outCh, kernel, { padding }));
    const m = torch.scope(() => torch.tensor(mask).reshape([1, 1, kernel[0], kernel[1]]));
    this.mask = this.registerBuffer('mask', m, { persistent: false });
  }
  forward(x: Tensor): Tensor {
    return F.conv2d(x, this.conv.weight.mul(this.mask), this.conv.bias, { padding: this.conv.config.padding as [number, number] });
  }
}

const gate = (x: Tensor) => {
  const c = x.size(1) / 2;
  return x.narrow(1, 0, c).tanh().mul(x.narrow(1, c, c).sigmoid());
};

/** Shifts a [N, C, H, W] map down one row (row 0 becomes zeros). */
function shiftDown(x: Tensor): Tensor {
  const H = x.size(2);
  return F.pad(x, [0, 0, 1, 0]).narrow(2, 0, H);
}

/** One gated layer with a vertical and a horizontal stack. */
export class GatedLayer extends Module {
  readonly vConv: MaskedConv2d;
  readonly hConv: MaskedConv2d;
  readonly v2h: Conv2d;
  readonly hOut: Conv2d;
  constructor(readonly channels: number, readonly kernel: number, readonly type: 'A' | 'B') {
    super();
    const c = Math.floor(kernel / 2);
    const vMask = Array.from({ length: kernel }, (_, r) => Array.from({ length: kernel }, () => (r <= c ? 1 : 0)));
    const hMask = [Array.from({ length: kernel }, (_, q) => (type === 'A' ? q < c : q <= c) ? 1 : 0)];
    this.vConv = this.registerModule('v_conv', new MaskedConv2d(channels, 2 * channels, [kernel, kernel], [c, c], vMask));
    this.hConv = this.registerModule('h_conv', new MaskedConv2d(channels, 2 * channels, [1, kernel], [0, c], hMask));
    this.v2h = this.registerModule('v2h', new Conv2d(2 * channels, 2 * channels, 1));
    this.hOut = this.registerModule('h_out', new Conv2d(channels, channels, 1));
  }
  forward(v: Tensor, h: Tensor): { v: Tensor; h: Tensor } {
    const vc = this.vConv.forward(v);
    const hc = this.hConv.forward(h).add(this.v2h.forward(shiftDown(vc)));
    const hOut = this.hOut.forward(gate(hc));
    return { v: gate(vc), h: this.type === 'A' ? hOut : h.add(hOut) };
  }
}

export interface GatedPixelCNNConfig {
  /** Number of code values K. */
  numCodes: number;
  channels: number;
  layers: number;
  /** Odd kernel size. */
  kernel: number;
}

/** Logits [N, K, H, W] of p(c_ij | c_<ij) for codes [N, H, W]. */
export class GatedPixelCNN extends Module {
  readonly embed: Conv2d;
  readonly layers: ModuleList<GatedLayer>;
  readonly head1: Conv2d;
  readonly head2: Conv2d;
  constructor(readonly config: GatedPixelCNNConfig) {
    super();
    const { numCodes, channels, layers, kernel } = config;
    if (!Number.isInteger(kernel) || kernel < 3 || kernel % 2 === 0) throw new RangeError(`GatedPixelCNN: kernel must be an odd integer >= 3, got ${kernel}`);
    if (!Number.isInteger(layers) || layers < 1) throw new RangeError(`GatedPixelCNN: layers must be an integer >= 1, got ${layers}`);
    // A 1x1 convolution of the one-hot codes: an embedding that also takes soft inputs (gradient tests).
    this.embed = this.registerModule('embed', new Conv2d(numCodes, channels, 1, { bias: false }));
    this.layers = this.registerModule('layers', new ModuleList(Array.from({ length: layers }, (_, i) => new GatedLayer(channels, kernel, i === 0 ? 'A' : 'B'))));
    this.head1 = this.registerModule('head1', new Conv2d(channels, channels, 1));
    this.head2 = this.registerModule('head2', new Conv2d(channels, numCodes, 1));
  }
  /** Logits from one-hot (or soft) codes [N, K, H, W]. */
  forwardOneHot(x: Tensor): Tensor {
    const e = this.embed.forward(x);
    let s = { v: e, h: e };
    for (const l of this.layers) s = l.forward(s.v, s.h);
    return this.head2.forward(this.head1.forward(s.h.relu()).relu());
  }
  /** Logits from int64 codes [N, H, W]. */
  forward(codes: Tensor): Tensor {
    const K = this.config.numCodes;
    return this.forwardOneHot(codes.oneHot(K).to('float32').permute([0, 3, 1, 2]));
  }
  /** Mean negative log-likelihood per code (nats) of codes [N, H, W]. */
  nll(codes: Tensor): Tensor {
    return F.crossEntropy(this.forward(codes), codes);
  }
  /** n grids of codes [n, H, W], one position at a time in raster order; logits divided by temperature. */
  sample(n: number, H: number, W: number, options: { temperature?: number } = {}): Tensor {
    const tau = options.temperature ?? 1;
    if (!(tau > 0)) throw new RangeError(`GatedPixelCNN.sample: temperature must be > 0, got ${tau}`);
    return torch.noGrad(() => {
      const codes = torch.zeros([n, H, W], { dtype: 'int64' });
      for (let i = 0; i < H; i++) {
        for (let j = 0; j < W; j++) {
          torch.scope(() => {
            const logits = this.forward(codes).select(3, j).select(2, i); // [n, K]
            const c = logits.div(tau).softmax(-1).multinomial(1).squeeze(1);
            codes.select(2, j).select(1, i).copy_(c);
          });
        }
      }
      return codes;
    });
  }
}
