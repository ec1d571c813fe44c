/**
 * The example family `gaussian`: one full-covariance Gaussian N(mu, L L^T) over the data, fitted by
 * maximum likelihood with the trainer's optimizer. L is lower triangular with a positive diagonal:
 * the parameter `scaleRaw` holds L's strict lower triangle below its diagonal and log(L_ii) on it, so
 * every value of the parameters is a valid Cholesky factor.
 *
 * It is the smallest model that exercises the whole path (registry, trainer, checkpoints, samples,
 * density plots, NLL evaluation), and its optimum is known in closed form: the data's sample mean
 * and (biased) sample covariance.
 */
import { torch, type Tensor } from '../../tensor/index.ts';
import { Module } from '../../nn/index.ts';
import { registerModel, moduleParameters, type DataInfo, type ModelInstance, type SampleOptions } from '../registry.ts';

const LOG_2PI = Math.log(2 * Math.PI);

/** Config of the gaussian family. */
export interface GaussianConfig extends Record<string, unknown> {
  /** Initial standard deviation of every coordinate (L = initScale * I). */
  initScale: number;
}

/** A full-covariance Gaussian as a module: parameters `loc` [d] and `scaleRaw` [d, d]. */
export class FullCovGaussian extends Module {
  readonly dim: number;
  loc: Tensor;
  scaleRaw: Tensor;

  constructor(dim: number, initScale = 1) {
    super();
    if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`FullCovGaussian: dim must be a positive integer, got ${dim}`);
    if (!(initScale > 0)) throw new RangeError(`FullCovGaussian: initScale must be > 0, got ${initScale}`);
    this.dim = dim;
    this.loc = this.registerParameter('loc', torch.zeros([dim]));
    this.scaleRaw = this.registerParameter('scaleRaw', torch.noGrad(() => torch.eye(dim).mul(Math.log(initScale))));
  }

  /** The Cholesky factor L (lower triangular, positive diagonal), differentiable. */
  scaleTril(): Tensor {
    const raw = this.scaleRaw;
    return raw.tril(-1).add(raw.diagonal().exp().diagEmbed());
  }

  /** The covariance L L^T. */
  covariance(): Tensor {
    const l = this.scaleTril();
    return l.matmul(l.t());
  }

  /** log N(x; loc, L L^T) for x of shape [n, d]: shape [n]. */
  logProb(x: Tensor): Tensor {
    const l = this.scaleTril();
    const diff = x.sub(this.loc).t(); // [d, n]
    const z = torch.linalg.solveTriangular(l, diff, { upper: false }); // L z = x - mu
    const halfLogDet = this.scaleRaw.diagonal().sum();
    return z.square().sum(0).mul(-0.5).sub(halfLogDet).sub(0.5 * this.dim * LOG_2PI);
  }

  forward(x: Tensor): Tensor {
    return this.logProb(x);
  }

  /** n draws loc + temperature * L eps, shape [n, d]. */
  sample(n: number, options: SampleOptions = {}): Tensor {
    const t = options.temperature ?? 1;
    const device = this.loc.device;
    const eps = options.generator ? torch.randn([n, this.dim], { generator: options.generator, device }) : torch.randn([n, this.dim], { device });
    return eps.mul(t).matmul(this.scaleTril().t()).add(this.loc);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/** The `gaussian` family, registered on import. */
export const gaussianFamily = registerModel<GaussianConfig>({
  name: 'gaussian',
  description: 'Full-covariance Gaussian (Cholesky-parameterized) fitted by maximum likelihood: the example family',
  dataKinds: ['2d', 'image'],
  defaultConfig: { initScale: 1 },
  trainDefaults: { lr: 0.05, steps: 500, batch: 256, ema: 0 },
  defaultData: 'moons',
  create(config: GaussianConfig, data: DataInfo): ModelInstance {
    const dim = data.shape.reduce((a, b) => a * b, 1);
    const dist = new FullCovGaussian(dim, config.initScale);
    const modules = { gaussian: dist };
    const image = data.kind === 'image';
    const [lo, hi] = data.range ?? [0, 1];
    const flat = (x: Tensor): Tensor => (x.dim() === 2 ? x : x.reshape([x.size(0), -1]));
    // Images: 8-bit pixels are discrete, and a density on them is unbounded (constant border pixels
    // let the variance go to zero and the NLL to -infinity; the fit then blows up). As for the
    // flows, the Gaussian models uniformly dequantized pixels, (k + u) / 256 in [0, 1), and logProb
    // reports the density on [0, 256)^D, so its NLL and bits/dim compare with the flows'.
    const input = (x: Tensor): Tensor => {
      if (!image) return flat(x);
      const k = flat(x).sub(lo).div(hi - lo).mul(255).round();
      return k.add(torch.randLike(k)).div(256);
    };
    const logProb = (x: Tensor): Tensor => {
      const lp = dist.logProb(input(x));
      return image ? lp.sub(dim * Math.log(256)) : lp;
    };
    return {
      modules,
      loss(batch) {
        const nll = logProb(batch.x).mean().neg();
        return { loss: nll, nll };
      },
      sample(n, options = {}) {
        return torch.noGrad(() => {
          const x = dist.sample(n, options).reshape([n, ...data.shape]);
          return image ? x.clamp(0, 1).mul(hi - lo).add(lo) : x;
        });
      },
      logProb,
      parameters: () => moduleParameters(modules),
      dispose: () => dist.dispose(),
    };
  },
});
