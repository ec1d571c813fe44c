/**
 * Training losses, each with its own σ (or t) sampling and weighting (EDM, Karras et al. 2022,
 * Table 1 and training/loss.py; Ho et al. 2020; Lipman et al. 2023; Tong et al. 2023):
 * - edm:  ln σ ~ N(P_mean, P_std²), λ(σ) = (σ² + σ_d²)/(σ σ_d)², loss λ |D(x_0 + σ ε, σ) - x_0|²
 * - vp:   t ~ U(ε_t, 1), σ = σ_VP(t), λ = 1/σ²
 * - ve:   σ = σ_min (σ_max/σ_min)^u, u ~ U(0, 1), λ = 1/σ²
 * - ddpm: j ~ U{0..T-1}, σ = σ_j, loss |F - ε|² (the "simple" loss; F is the ε-prediction)
 * - fm:   t ~ U(0, 1) or logit-normal, x_t = (1 - t) x_0 + t ε, loss |F(x_t, t) - (ε - x_0)|²
 * - cfm:  fm with the noise of the minibatch re-paired to the data by exact OT (ot.ts)
 * The loss is the mean over the batch and the example's elements.
 */
import { torch, type Tensor } from '../../tensor/index.ts';
import { FlowPreconditioning, DDPMPreconditioning, perExample, type Preconditioned } from './preconditioning.ts';
import { VPLinearSchedule } from './schedules.ts';
import { otPairNoise } from './ot.ts';

export type LossName = 'edm' | 'vp' | 've' | 'ddpm' | 'fm' | 'cfm';
export const LOSS_NAMES: LossName[] = ['edm', 'vp', 've', 'ddpm', 'fm', 'cfm'];

export interface LossOptions {
  pMean?: number;
  pStd?: number;
  sigmaData?: number;
  /** fm/cfm: 'uniform' or 'logit-normal' t. */
  timeSampling?: 'uniform' | 'logit-normal';
  /** logit-normal location and scale. */
  tMean?: number;
  tStd?: number;
}

/** Per-example σ-weighted denoising error. */
function weighted(pre: Preconditioned, x0: Tensor, sigma: Tensor, weight: Tensor, labels: Tensor | null): Tensor {
  const r = x0.dim();
  const n = torch.randnLike(x0).mul(perExample(sigma, r));
  const D = pre.denoise(x0.add(n), sigma, labels);
  return D.sub(x0).square().mul(perExample(weight, r)).mean();
}

export function edmLoss(pre: Preconditioned, x0: Tensor, labels: Tensor | null, o: LossOptions = {}): Tensor {
  const sd = o.sigmaData ?? 0.5;
  const sigma = torch.randn([x0.size(0)], { dtype: x0.dtype }).mul(o.pStd ?? 1.2).add(o.pMean ?? -1.2).exp();
  const weight = sigma.square().add(sd * sd).div(sigma.mul(sd).square());
  return weighted(pre, x0, sigma, weight, labels);
}

export function vpLoss(pre: Preconditioned, x0: Tensor, labels: Tensor | null, _o: LossOptions = {}, epsT = 1e-5): Tensor {
  const sch = new VPLinearSchedule();
  const t = torch.rand([x0.size(0)], { dtype: x0.dtype }).mul(1 - epsT).add(epsT);
  const sigma = t.square().mul(0.5 * sch.betaD).add(t.mul(sch.betaMin)).expm1().sqrt();
  return weighted(pre, x0, sigma, sigma.square().reciprocal(), labels);
}

export function veLoss(pre: Preconditioned, x0: Tensor, labels: Tensor | null, _o: LossOptions = {}, sigmaMin = 0.02, sigmaMax = 100): Tensor {
  const u = torch.rand([x0.size(0)], { dtype: x0.dtype });
  const sigma = u.mul(Math.log(sigmaMax / sigmaMin)).exp().mul(sigmaMin);
  return weighted(pre, x0, sigma, sigma.square().reciprocal(), labels);
}

export function ddpmLoss(pre: Preconditioned, x0: Tensor, labels: Tensor | null): Tensor {
  if (!(pre.pre instanceof DDPMPreconditioning)) throw new Error(`the ddpm loss needs the ddpm preconditioning, got '${pre.pre.name}'`);
  const T = pre.pre.T;
  const j = torch.randint(0, T, [x0.size(0)]);
  const table = torch.tensor(pre.pre.sigmas, { dtype: x0.dtype });
  const sigma = table.indexSelect(0, j);
  const eps = torch.randnLike(x0);
  const { F } = pre.raw(x0.add(eps.mul(perExample(sigma, x0.dim()))), sigma, labels);
  return F.sub(eps).square().mean();
}

/** Flow-matching times: uniform, or logit-normal sigmoid(N(tMean, tStd²)) (Esser et al. 2024). */
export function sampleTimes(n: number, o: LossOptions, dtype: Tensor['dtype']): Tensor {
  if ((o.timeSampling ?? 'uniform') === 'uniform') return torch.rand([n], { dtype });
  if (o.timeSampling !== 'logit-normal') throw new Error(`unknown timeSampling '${o.timeSampling}'; use uniform or logit-normal`);
  return torch.randn([n], { dtype }).mul(o.tStd ?? 1).add(o.tMean ?? 0).sigmoid();
}

/** |F(x_t, t) - (ε - x_0)|² for given (x_0, ε) pairs and times. */
export function flowMatchingError(pre: Preconditioned, x0: Tensor, eps: Tensor, t: Tensor, labels: Tensor | null): Tensor {
  if (!(pre.pre instanceof FlowPreconditioning)) throw new Error(`flow-matching losses need the flow preconditioning, got '${pre.pre.name}'`);
  const tt = perExample(t, x0.dim());
  const xt = x0.mul(tt.neg().add(1)).add(eps.mul(tt));
  const F = pre.net.forward(xt, pre.pre.noiseOfTime(t), labels);
  return F.sub(eps.sub(x0)).square().mean();
}

export function fmLoss(pre: Preconditioned, x0: Tensor, labels: Tensor | null, o: LossOptions = {}): Tensor {
  return flowMatchingError(pre, x0, torch.randnLike(x0), sampleTimes(x0.size(0), o, x0.dtype), labels);
}

export function cfmLoss(pre: Preconditioned, x0: Tensor, labels: Tensor | null, o: LossOptions = {}): Tensor {
  const { noise } = otPairNoise(x0, torch.randnLike(x0));
  return flowMatchingError(pre, x0, noise, sampleTimes(x0.size(0), o, x0.dtype), labels);
}

export type LossFn = (pre: Preconditioned, x0: Tensor, labels: Tensor | null, o?: LossOptions) => Tensor;

export const LOSSES: Record<LossName, LossFn> = { edm: edmLoss, vp: vpLoss, ve: veLoss, ddpm: ddpmLoss, fm: fmLoss, cfm: cfmLoss };

export function getLoss(name: string): LossFn {
  const l = LOSSES[name as LossName];
  if (!l) throw new Error(`unknown diffusion loss '${name}'; losses: ${LOSS_NAMES.join(', ')}`);
  return l;
}
