/**
 * Glow's activation normalization (Kingma & Dhariwal 2018): y = (x + loc) * exp(logScale) per channel
 * (dim 1), log|det| = (H*W) * sum(logScale). Data-dependent init: the first forward pass in training
 * sets loc and logScale so that that batch's outputs have zero mean and unit variance per channel.
 */
import { torch, type Tensor } from '../../../tensor/index.ts';
import { Bijector, type BijectorOptions } from '../bijector.ts';

export class ActNorm extends Bijector {
  readonly loc: Tensor;
  readonly logScale: Tensor;
  /** 0 until the first forward pass has set the parameters from data (a buffer, so checkpoints keep it). */
  private readonly initFlag: Tensor;

  constructor(readonly channels: number, options: BijectorOptions & { dataInit?: boolean } = {}) {
    super();
    const dtype = options.dtype ?? 'float32';
    this.loc = this.param('loc', torch.zeros([channels], { dtype }));
    this.logScale = this.param('logScale', torch.zeros([channels], { dtype }));
    this.initFlag = this.buffer('initFlag', torch.tensor(options.dataInit ?? true ? 0 : 1));
  }

  /** Set once the flag reads 1, so that forward does not read the buffer (a device sync on CUDA) every call. */
  private initSeen = false;

  /** False until the data-dependent init ran (or a loaded state dict says it did). */
  get initialized(): boolean {
    if (!this.initSeen) this.initSeen = this.initFlag.item() !== 0;
    return this.initSeen;
  }

  private view(p: Tensor, x: Tensor): Tensor {
    const shape = [1, this.channels, ...new Array(x.dim() - 2).fill(1)];
    return p.view(shape);
  }

  /** Sets loc = -mean, logScale = -log(std) per channel from a batch. */
  initialize(x: Tensor): void {
    torch.noGrad(() =>
      torch.scope(() => {
        const dims = [0, ...Array.from({ length: x.dim() - 2 }, (_, i) => i + 2)];
        const mean = x.mean(dims);
        const std = x.std(dims, { correction: 0 }).add(1e-6);
        this.loc.copy_(mean.neg());
        this.logScale.copy_(std.log().neg());
        this.initFlag.fill_(1);
      }),
    );
  }

  private spatial(x: Tensor): number {
    return x.shape.slice(2).reduce((a, b) => a * b, 1);
  }

  forward(x: Tensor) {
    if (!this.initialized) this.initialize(x);
    const y = x.add(this.view(this.loc, x)).mul(this.view(this.logScale, x).exp());
    const logDet = this.logScale.sum().mul(this.spatial(x)).expand([x.size(0)]);
    return { y, logDet };
  }

  inverse(y: Tensor) {
    const x = y.mul(this.view(this.logScale, y).neg().exp()).sub(this.view(this.loc, y));
    const logDet = this.logScale.sum().mul(-this.spatial(y)).expand([y.size(0)]);
    return { x, logDet };
  }
}
