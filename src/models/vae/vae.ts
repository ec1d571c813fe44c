/**
 * The Gaussian-latent VAE (Kingma & Welling 2014) and its importance-weighted bound (IWAE, Burda et
 * al. 2016). Encoder, decoder and prior are separate parts: the encoder gives q(z|x) = N(μ, σ²)
 * from [μ, log σ²]; the prior is N(0, I); the decoder gives the likelihood's parameters.
 *
 * - elbo: E_q[log p(x|z)] − β KL(q(z|x) || p(z)), the KL in closed form; terms per example.
 * - iwae: log (1/k) Σ_i p(x, z_i)/q(z_i|x), z_i ~ q: a lower bound on log p(x) that tightens with k
 *   (k = 1 is the ELBO with a Monte-Carlo KL); batched over k in chunks.
 * - importanceNll: −log p(x) estimated by the IWAE bound with k ≥ 1000, with its standard error
 *   over the examples.
 */
import { torch, type Tensor } from '../../tensor/index.ts';
import type { Module } from '../../nn/index.ts';
import { DiagonalNormal, StandardNormal, klDivergence } from '../../distributions/index.ts';
import type { Likelihood } from './likelihoods.ts';

export type Net = Module & { forward(x: Tensor): Tensor };

/** Per-example ELBO terms ([N] each). */
export interface ElboTerms {
  /** −E_q[log p(x|z)] (one draw). */
  recon: Tensor;
  /** KL(q(z|x) || p(z)). */
  kl: Tensor;
  /** −(recon + kl): the ELBO. */
  elbo: Tensor;
}

export class GaussianVAE {
  readonly prior: StandardNormal;
  constructor(
    readonly encoder: Net,
    readonly decoder: Net,
    readonly likelihood: Likelihood,
    readonly latent: number,
  ) {
    this.prior = new StandardNormal([latent]);
  }

  /** q(z|x). */
  posterior(x: Tensor): DiagonalNormal {
    const h = this.encoder.forward(x);
    if (h.size(1) !== 2 * this.latent) throw new RangeError(`GaussianVAE: the encoder gives ${h.size(1)} features, expected 2 x latent = ${2 * this.latent}`);
    // exp of a clamped log-variance is > 0: no per-step validation sync (a NaN shows in the loss).
    return DiagonalNormal.fromLogVar(h.narrow(1, 0, this.latent), h.narrow(1, this.latent, this.latent).clamp(-12, 12), { validate: false });
  }

  /** Decoder parameters of latents z [N, latent]. */
  decode(z: Tensor): Tensor {
    return this.decoder.forward(z);
  }

  /** ELBO terms with one reparameterized draw and the closed-form KL. */
  elbo(x: Tensor): ElboTerms {
    const q = this.posterior(x);
    const z = q.rsample();
    const recon = this.likelihood.logProb(this.decode(z), x).neg();
    const kl = klDivergence(q, this.prior);
    return { recon, kl, elbo: recon.add(kl).neg() };
  }

  /**
   * log (1/k) Σ_i w_i per example [N], w_i = p(x|z_i) p(z_i) / q(z_i|x). Draws are made `chunk` at a
   * time (the decoder sees chunk·N latents at once). Differentiable (IWAE training).
   */
  iwae(x: Tensor, k: number, options: { chunk?: number } = {}): Tensor {
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`IWAE: k (importance samples) must be an integer >= 1, got ${k}`);
    const q = this.posterior(x);
    const N = x.size(0);
    const chunk = Math.max(1, Math.min(k, options.chunk ?? k));
    const parts: Tensor[] = [];
    for (let done = 0; done < k; done += chunk) {
      const m = Math.min(chunk, k - done);
      parts.push(
        torch.scope(() => {
          const z = q.rsample([m]); // [m, N, L]
          const flatZ = z.reshape([m * N, this.latent]);
          const xs = x.unsqueeze(0).expand([m, ...x.shape]).reshape([m * N, ...x.shape.slice(1)]);
          const logPx = this.likelihood.logProb(this.decode(flatZ), xs).reshape([m, N]);
          return logPx.add(this.prior.logProb(z)).sub(q.logProb(z)); // [m, N]
        }),
      );
    }
    const logW = parts.length === 1 ? parts[0]! : torch.cat(parts, 0);
    return logW.logsumexp(0).sub(Math.log(k));
  }

  /**
   * Importance-sampled test NLL: mean over examples of −IWAE_k(x) (nats), with the standard error
   * of that mean; examples in batches of `batch`, draws in chunks of `chunk`.
   */
  importanceNll(x: Tensor, options: { k?: number; batch?: number; chunk?: number } = {}): { nll: number; se: number; k: number; n: number } {
    const k = options.k ?? 1000;
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`importance-sampled NLL: k must be an integer >= 1, got ${k}`);
    const batch = options.batch ?? 100;
    const chunk = options.chunk ?? 100;
    const vals: number[] = [];
    torch.noGrad(() => {
      for (let i = 0; i < x.size(0); i += batch) {
        torch.scope(() => {
          const xb = x.narrow(0, i, Math.min(batch, x.size(0) - i));
          vals.push(...this.iwae(xb, k, { chunk }).neg().toFlatArray());
        });
      }
    });
    const n = vals.length;
    const mean = vals.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, n - 1));
    return { nll: mean, se: sd / Math.sqrt(n), k, n };
  }

  /** n samples x ~ p(x|z), z ~ p(z); `mean` returns the decoder's mean picture instead of a draw. */
  sample(n: number, options: { temperature?: number; mean?: boolean } = {}): Tensor {
    const z = this.prior.sample([n]).mul(options.temperature ?? 1);
    const params = this.decode(z);
    return options.mean ? this.likelihood.mean(params) : this.likelihood.sample(params);
  }

  /** The mean reconstruction of x (through the posterior mean). */
  reconstruct(x: Tensor): Tensor {
    return this.likelihood.mean(this.decode(this.posterior(x).loc));
  }
}
