/**
 * Exact log-likelihood through the probability-flow ODE (Song et al. 2021, sec. D.2): in u = ln σ,
 * dx/du = x - D(x, e^u) =: f, and d log p/du = -div f, so
 *
 *     log p_{σmin}(x) = log p_{σmax}(x(u_max)) + ∫_{u_min}^{u_max} div_x (x - D) du,
 *
 * integrated with src/ode's adaptive Dormand–Prince. The divergence is exact (d backward passes,
 * for 2D) or Hutchinson's estimate with one fixed probe per solve (images). The prior at σ_max is
 * N(0, σ_max² I) unless given.
 */
import { torch, type Tensor } from '../../tensor/index.ts';
import { addDequantizationNoise } from '../../data/dequantize.ts';
import { solveDopri5, type SolveStats, type State } from '../../ode/index.ts';
import type { Denoiser } from './preconditioning.ts';

const LOG_2PI = Math.log(2 * Math.PI);

export interface LikelihoodOptions {
  sigmaMin?: number;
  sigmaMax?: number;
  divergence?: 'exact' | 'hutchinson';
  /** Hutchinson probe: 'rademacher' (default) or 'gaussian'. */
  probe?: 'rademacher' | 'gaussian';
  rtol?: number;
  atol?: number;
  /** log p at σ_max of the transported points ([n, ...] -> [n]); default N(0, σ_max² I). */
  prior?: (z: Tensor) => Tensor;
  generator?: import('../../tensor/index.ts').Generator;
}

export interface LikelihoodResult {
  /** log p_{σmin}(x) per example, nats: [n]. */
  logp: Tensor;
  /** The points at σ_max. */
  z: Tensor;
  stats: SolveStats;
}

/** log-likelihood of x (in σ-space, i.e. data at noise level σ_min) under the model's PF-ODE. */
export function odeLogLikelihood(denoise: Denoiser, x: Tensor, o: LikelihoodOptions = {}): LikelihoodResult {
  const sigmaMin = o.sigmaMin ?? 0.002;
  const sigmaMax = o.sigmaMax ?? 80;
  if (!(sigmaMin > 0 && sigmaMax > sigmaMin)) throw new RangeError(`odeLogLikelihood: need 0 < sigmaMin < sigmaMax, got ${sigmaMin}, ${sigmaMax}`);
  const mode = o.divergence ?? (x.dim() === 2 && x.size(1) <= 8 ? 'exact' : 'hutchinson');
  const n = x.size(0);
  const D = x.numel() / n;
  return torch.noGrad(() =>
    torch.scope(() => {
      let probe: Tensor | null = null;
      if (mode === 'hutchinson') {
        const g = o.generator ?? null;
        probe = o.probe === 'gaussian'
          ? torch.randn(x.shape, { dtype: x.dtype, generator: g })
          : torch.randint(0, 2, x.shape, { generator: g }).to(x.dtype).mul(2).sub(1);
      }
      const f = (u: number, [y]: State): State =>
        torch.enableGrad(() => {
          const yy = y!.detach().requiresGrad_();
          const v = yy.sub(denoise(yy, Math.exp(u)));
          let div: Tensor;
          if (probe) {
            const [g] = torch.autograd.grad(v, yy, { gradOutputs: probe });
            div = g!.mul(probe).reshape([n, -1]).sum(1);
          } else {
            const vf = v.reshape([n, -1]);
            const parts: Tensor[] = [];
            for (let i = 0; i < D; i++) {
              const [g] = torch.autograd.grad(vf.select(1, i).sum(), yy, { retainGraph: i + 1 < D });
              parts.push(g!.reshape([n, -1]).select(1, i));
            }
            div = torch.stack(parts, 1).sum(1);
          }
          return [v.detach(), div.detach()];
        });
      const r = solveDopri5(f, [x, torch.zeros([n], { dtype: x.dtype })], Math.log(sigmaMin), Math.log(sigmaMax), { rtol: o.rtol ?? 1e-5, atol: o.atol ?? 1e-5 });
      const z = r.y[0]!;
      const prior = o.prior ? o.prior(z) : z.reshape([n, -1]).square().sum(1).mul(-0.5 / sigmaMax ** 2).sub(D * (Math.log(sigmaMax) + 0.5 * LOG_2PI));
      return { logp: prior.add(r.y[1]!), z, stats: r.stats };
    }),
  );
}

export interface ImageLikelihoodOptions extends LikelihoodOptions {
  /** The data's pixel range (default [0, 1]); 256 levels, pixel k at lo + k (hi - lo) / 255. */
  range?: [number, number];
}

/**
 * Uniform dequantization of images to the model's [-1, 1] space: pixel level k becomes
 * y = 2 (k + u - 1/2) / 255 - 1, u ~ U(0, 1), so each level's bin (width 2/255) is centred on the
 * value y_k = 2k/255 - 1 the model was trained on. Draws from `generator` (or the global one).
 */
export function dequantizeImages(x: Tensor, range: [number, number] = [0, 1], generator?: import('../../tensor/index.ts').Generator): Tensor {
  const [lo, hi] = range;
  const k = x.sub(lo).mul(255 / (hi - lo)).round().clamp(0, 255);
  return addDequantizationNoise(k, generator).sub(0.5).mul(2 / 255).sub(1);
}

/**
 * log-likelihood of images (nats per image) in pixel units, i.e. the log-probability bound of the
 * discrete pixels with uniform dequantization: log p_y(y) + D ln(2/255) for y = dequantizeImages(x),
 * log p_y through the PF-ODE with Hutchinson's divergence (one probe per solve). Bits per dimension
 * are -logp / (D ln 2). The dequantization noise is drawn before the probe, from the same generator.
 */
export function imageLogLikelihood(denoise: Denoiser, x: Tensor, o: ImageLikelihoodOptions = {}): LikelihoodResult {
  return torch.scope(() => {
    const y = dequantizeImages(x, o.range, o.generator);
    const D = x.numel() / x.size(0);
    const r = odeLogLikelihood(denoise, y, { divergence: 'hutchinson', ...o });
    return { logp: r.logp.add(D * Math.log(2 / 255)), z: r.z, stats: r.stats };
  });
}
