/**
 * VQGAN, stage 1 of "Taming Transformers" (Esser et al. 2021): the VQ-VAE's encoder, quantizer and
 * decoder trained with L1 + perceptual reconstruction, the codebook/commitment terms, and a PatchGAN
 * adversarial term weighted adaptively:
 *
 *   L_G = ‖x − x̂‖₁ + w_p·d_p(x, x̂) + L_codebook + β L_commit + λ·w_d·L_adv(D(x̂)),
 *   λ = ‖∇_{G_L} L_rec‖ / (‖∇_{G_L} L_adv‖ + 1e-4) (clamped, detached), G_L the decoder's last layer,
 *   L_D = hinge or non-saturating loss on D(x) and D(sg(x̂)),
 *
 * with D and L_adv switched on after `discStart` steps. The two losses train two optimizers in one
 * step through the trainer's optimizer groups ('g' then 'd'), so checkpoints hold both Adam states
 * and resume is exact. Logged: recon (L1), perceptual, codebook, commit, perplexity, usage, g_adv,
 * d_weight, and d.loss, d.logits_real, d.logits_fake.
 *
 * d_p is FeaturePerceptualLoss (genlab's own Fashion-MNIST classifier features; not LPIPS: see
 * perceptual.ts). Images enter D in [−1, 1].
 */
import { torch, type Tensor } from '../../tensor/index.ts';
import { registerModel, type Batch, type DataInfo, type LossTerms, type ModelInstance } from '../registry.ts';
import { buildVQVAE, type VQVAEConfig, type VQVAEParts } from './models.ts';
import { PatchDiscriminator } from './discriminator.ts';
import { FeaturePerceptualLoss } from './perceptual.ts';
import { adaptiveWeight, discriminatorLoss, generatorLoss, type GanLossKind } from './gan-losses.ts';
import type { ConvTranspose2d } from '../../nn/index.ts';

export interface VQGANConfig extends VQVAEConfig {
  /** PatchGAN: channels of its first convolution, stride-2 layers, normalization. */
  discChannels: number;
  discLayers: number;
  discNorm: string;
  /** 'hinge' or 'vanilla' (non-saturating). */
  ganLoss: string;
  /** Steps before the discriminator and the adversarial term are switched on. */
  discStart: number;
  /** w_d, the adversarial term's weight on top of the adaptive λ. */
  discWeight: number;
  /** Use the adaptive λ (false: λ = 1). */
  adaptive: boolean;
  /** Upper clamp of λ. */
  dWeightMax: number;
  /** w_p, the perceptual term's weight (0 = off). */
  perceptualWeight: number;
  /** Feature layers of the perceptual term: 1 (conv1) or 2 (conv1 and conv2; see perceptual.ts). */
  perceptualLayers: number;
  /** Optional safetensors file of LPIPS-style linear weights for the perceptual features. */
  perceptualWeights: string;
  /** Learning-rate multiple of the discriminator's optimizer. */
  discLrScale: number;
}

export type VQGANInstance = ModelInstance & { vq: VQVAEParts; discriminator: PatchDiscriminator };

export function buildVQGAN(c: VQGANConfig, data: DataInfo): VQGANInstance {
  if (c.ganLoss !== 'hinge' && c.ganLoss !== 'vanilla') throw new RangeError(`vqgan: ganLoss must be 'hinge' or 'vanilla', got '${c.ganLoss}'`);
  if (!['batch', 'group', 'none'].includes(c.discNorm)) throw new RangeError(`vqgan: discNorm must be 'batch', 'group' or 'none', got '${c.discNorm}'`);
  if (!(c.discStart >= 0)) throw new RangeError(`vqgan: discStart must be >= 0, got ${c.discStart}`);
  const base = buildVQVAE(c, data);
  const { encoder, quantizer, decoder, to01 } = base.vq;
  let discriminator: PatchDiscriminator;
  let perceptual: FeaturePerceptualLoss | null = null;
  try {
    discriminator = new PatchDiscriminator({ inChannels: data.shape[0]!, channels: c.discChannels, layers: c.discLayers, norm: c.discNorm as 'batch' });
    if (c.perceptualWeight > 0) perceptual = new FeaturePerceptualLoss({ layers: c.perceptualLayers, ...(c.perceptualWeights ? { linearWeights: c.perceptualWeights } : {}) });
  } catch (e) {
    base.dispose?.();
    throw e;
  }
  const kind = c.ganLoss as GanLossKind;
  const lastLayer = (decoder.up.layers[decoder.up.layers.length - 1] as ConvTranspose2d).weight;
  const toD = (x01: Tensor) => x01.mul(2).sub(1);

  const generator = (batch: Batch, step: number, shared: Record<string, unknown>): LossTerms => {
    const x = to01(batch.x);
    const q = quantizer.forward(encoder.forward(x));
    const xr = decoder.forward(q.quantized);
    const l1 = xr.sub(x).abs().mean();
    const p = perceptual ? perceptual.distance(x, xr).mean() : null;
    const rec = p ? l1.add(p.mul(c.perceptualWeight)) : l1;
    const terms: Record<string, Tensor> = { recon: l1.detach(), codebook: q.codebook, commit: q.commit, perplexity: q.perplexity, usage: q.usage };
    if (p) terms.perceptual = p.detach();
    let loss = rec.add(q.loss);
    const on = step >= c.discStart;
    shared.x = x;
    shared.xr = xr.detach();
    shared.on = on;
    if (on) {
      const gAdv = generatorLoss(kind, discriminator.forward(toD(xr)));
      const lambda = c.adaptive ? adaptiveWeight(rec, gAdv, lastLayer, { max: c.dWeightMax }) : torch.tensor(1);
      const dWeight = lambda.mul(c.discWeight);
      loss = loss.add(gAdv.mul(dWeight));
      terms.g_adv = gAdv.detach();
      terms.d_weight = dWeight;
    }
    return { loss, ...terms };
  };

  const disc = (shared: Record<string, unknown>): LossTerms | null => {
    if (!shared.on) return null;
    const real = discriminator.forward(toD(shared.x as Tensor).detach());
    const fake = discriminator.forward(toD(shared.xr as Tensor));
    return { loss: discriminatorLoss(kind, real, fake), logits_real: real.mean().detach(), logits_fake: fake.mean().detach() };
  };

  return {
    ...base,
    discriminator,
    modules: { encoder, quantizer, decoder, discriminator },
    groups: [
      { name: 'g', modules: ['encoder', 'quantizer', 'decoder'] },
      { name: 'd', modules: ['discriminator'], lrScale: c.discLrScale, ema: false },
    ],
    groupLoss: (group, batch, step, shared) => (group === 'g' ? generator(batch, step, shared) : disc(shared)),
    loss: (batch, step) => generator(batch, step, {}),
    parameters: () => [...base.parameters(), ...discriminator.parameters()],
    dispose: () => {
      base.dispose?.();
      discriminator.dispose();
      perceptual?.dispose();
    },
  };
}

export const vqganFamily = registerModel<VQGANConfig>({
  name: 'vqgan',
  description: 'VQGAN stage 1 (Esser et al. 2021): VQ autoencoder + PatchGAN (hinge/non-saturating), L1 + perceptual (genlab classifier features), adaptive λ, discStart; stage 2: vqgan-transformer',
  dataKinds: ['image'],
  defaultConfig: {
    hidden: 64, resHidden: 32, resBlocks: 2, codebookSize: 128, codeDim: 16, beta: 0.25, ema: true, decay: 0.99, kmeansInit: true, deadCodeThreshold: 0.01, cosine: false,
    discChannels: 32, discLayers: 2, discNorm: 'batch', ganLoss: 'hinge', discStart: 500, discWeight: 0.8, adaptive: true, dWeightMax: 1e4,
    perceptualWeight: 1, perceptualLayers: 2, perceptualWeights: '', discLrScale: 1,
  },
  trainDefaults: { lr: 1e-3, betas: [0.5, 0.9], steps: 2000, batch: 64, logEvery: 50 },
  defaultData: 'shapes',
  create: (c, data) => buildVQGAN(c, data),
});
