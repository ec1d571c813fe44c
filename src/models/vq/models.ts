/**
 * VQ-VAE (van den Oord et al. 2017) and its PixelCNN prior, registered with the CLI:
 * - `vqvae`: residual conv encoder -> VectorQuantizer -> residual conv decoder; loss = MSE
 *   reconstruction + codebook + β commitment, with the codebook's perplexity and usage logged every
 *   step. Its own `sample` decodes codes drawn independently from the codebook's running usage (a
 *   unigram prior: a sanity picture, not a generative model; train `vqvae-prior` for that).
 * - `vqvae-prior`: a gated PixelCNN over the codes of a finished `vqvae` run (config `vqvae`: the run
 *   folder or name). Training encodes each batch with the frozen VQ-VAE; `sample` draws a code grid
 *   in raster order and decodes it, so `genlab sample` on the prior run generates images.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { torch, type Tensor } from '../../tensor/index.ts';
import { registerModel, type DataInfo, type LossTerms, type ModelConfig, type ModelInstance, type SampleOptions } from '../registry.ts';
import { openRun, type OpenedRun } from '../../train/session.ts';
import { VectorQuantizer } from './quantizer.ts';
import { VQEncoder, VQDecoder } from './nets.ts';
import { GatedPixelCNN } from './pixelcnn.ts';

export interface VQVAEConfig extends ModelConfig {
  hidden: number;
  resHidden: number;
  resBlocks: number;
  codebookSize: number;
  codeDim: number;
  /** β of the commitment term. */
  beta: number;
  ema: boolean;
  decay: number;
  kmeansInit: boolean;
  /**
   * Codes whose running (EMA) count of vectors per batch falls below this restart at encoder outputs.
   * 1, not a tiny value: the count decays by `decay` per unused step, so 0.01 would wait hundreds of
   * steps (Fashion-MNIST, 500 steps: 14 of 128 codes used at 0.01, all 128 at 1).
   */
  deadCodeThreshold: number;
  cosine: boolean;
}

/** The parts of a VQ-VAE, for the prior and for pictures. */
export interface VQVAEParts {
  encoder: VQEncoder;
  quantizer: VectorQuantizer;
  decoder: VQDecoder;
  /** Grid of codes of one image [h, w]. */
  grid: [number, number];
  to01: (x: Tensor) => Tensor;
  from01: (x: Tensor) => Tensor;
  /** Code indices [N, h, w] of images (no update). */
  encodeIndices(x: Tensor): Tensor;
  /** Images of code indices [N, h, w]. */
  decodeIndices(idx: Tensor): Tensor;
}

export type VQVAEInstance = ModelInstance & { vq: VQVAEParts };

function rangeMaps(data: DataInfo) {
  const [lo, hi] = data.range ?? [0, 1];
  return lo === 0 && hi === 1
    ? { to01: (x: Tensor) => x, from01: (x: Tensor) => x }
    : { to01: (x: Tensor) => x.sub(lo).div(hi - lo), from01: (x: Tensor) => x.mul(hi - lo).add(lo) };
}

export function buildVQVAE(c: VQVAEConfig, data: DataInfo): VQVAEInstance {
  if (data.kind !== 'image' || data.shape.length !== 3) throw new Error(`vqvae models images [C, H, W]; '${data.name}' is ${data.kind} data`);
  const [C, H, W] = data.shape as [number, number, number];
  if (H % 4 || W % 4) throw new RangeError(`vqvae: image height and width must be multiples of 4, got ${H}x${W}`);
  if (!Number.isInteger(c.hidden) || c.hidden < 2 || c.hidden % 2) throw new RangeError(`vqvae: hidden must be an even integer >= 2, got ${c.hidden}`);
  const net = { hidden: c.hidden, resHidden: c.resHidden, resBlocks: c.resBlocks };
  const encoder = new VQEncoder(C, c.codeDim, net);
  const quantizer = new VectorQuantizer({
    codebookSize: c.codebookSize,
    dim: c.codeDim,
    commitmentWeight: c.beta,
    ema: c.ema,
    decay: c.decay,
    kmeansInit: c.kmeansInit,
    deadCodeThreshold: c.deadCodeThreshold,
    cosine: c.cosine,
  });
  const decoder = new VQDecoder(c.codeDim, C, net);
  const { to01, from01 } = rangeMaps(data);
  const vq: VQVAEParts = {
    encoder,
    quantizer,
    decoder,
    grid: [H / 4, W / 4],
    to01,
    from01,
    encodeIndices: (x) => torch.noGrad(() => quantizer.codesToIndices(encoder.forward(to01(x)))),
    decodeIndices: (idx) => from01(decoder.forward(quantizer.indicesToCodes(idx)).clamp(0, 1)),
  };
  const modules = { encoder, quantizer, decoder };
  return {
    vq,
    modules,
    monitors: ['perplexity', 'usage'],
    loss(batch): LossTerms {
      const x = to01(batch.x);
      const q = quantizer.forward(encoder.forward(x));
      const xr = decoder.forward(q.quantized);
      const recon = xr.sub(x).square().mean();
      return { loss: recon.add(q.loss), recon, codebook: q.codebook, commit: q.commit, perplexity: q.perplexity, usage: q.usage };
    },
    sample(n: number) {
      return torch.noGrad(() => {
        const p = quantizer.clusterSize.clampMin(1e-6);
        const idx = p.div(p.sum()).multinomial(n * vq.grid[0] * vq.grid[1], true).reshape([n, ...vq.grid]);
        return vq.decodeIndices(idx);
      });
    },
    evaluate(test: Tensor, options: { batchSize?: number } = {}): Record<string, number> {
      return torch.noGrad(() => {
        const bs = options.batchSize ?? 500;
        let se = 0;
        const counts = torch.zeros([c.codebookSize]).keep();
        try {
          for (let i = 0; i < test.size(0); i += bs) {
            torch.scope(() => {
              const x = to01(test.narrow(0, i, Math.min(bs, test.size(0) - i)));
              const idx = quantizer.codesToIndices(encoder.forward(x));
              const xr = decoder.forward(quantizer.indicesToCodes(idx));
              se += xr.sub(x).square().sum().item();
              counts.add_(idx.reshape([-1]).bincount(null, c.codebookSize).to('float32'));
            });
          }
          const p = counts.div(counts.sum());
          const perplexity = p.mul(p.clampMin(1e-12).log()).sum().neg().exp().item();
          const usage = counts.gt(0).to('float32').mean().item();
          return { reconMse: se / test.numel(), perplexity, codesUsed: usage * c.codebookSize, usage };
        } finally {
          counts.dispose();
        }
      });
    },
    parameters: () => [...encoder.parameters(), ...quantizer.parameters(), ...decoder.parameters()],
    dispose: () => {
      encoder.dispose();
      quantizer.dispose();
      decoder.dispose();
    },
  };
}

export const vqvaeFamily = registerModel<VQVAEConfig>({
  name: 'vqvae',
  description: 'VQ-VAE (van den Oord et al. 2017): residual conv enc/dec, VectorQuantizer (EMA, β commitment, k-means init, dead-code restart, cosine); sample with vqvae-prior',
  dataKinds: ['image'],
  defaultConfig: { hidden: 64, resHidden: 32, resBlocks: 2, codebookSize: 128, codeDim: 16, beta: 0.25, ema: true, decay: 0.99, kmeansInit: true, deadCodeThreshold: 1, cosine: false },
  trainDefaults: { lr: 2e-3, steps: 2000, batch: 64, logEvery: 50 },
  defaultData: 'fashion-mnist',
  create: (c, data) => buildVQVAE(c, data),
});

export interface VQPriorConfig extends ModelConfig {
  /** The finished vqvae run this prior models (a folder, or a name under ./runs). */
  vqvae: string;
  channels: number;
  layers: number;
  kernel: number;
}

/**
 * Opens the stage-1 run a later stage names (config key `key`), with clear errors: no such run, a run
 * of another family (`models` lists the accepted ones), or trained on other data.
 */
export function openVQVAERun(ref: string, data: DataInfo, options: { who?: string; key?: string; models?: string[] } = {}): OpenedRun & { model: VQVAEInstance } {
  const who = options.who ?? 'vqvae-prior';
  const key = options.key ?? 'vqvae';
  const models = options.models ?? ['vqvae'];
  if (!ref) throw new Error(`${who}: set the VQ-VAE run it models (model ${models.join(' or ')}), e.g. --config ${key}=runs/${models[0]}-${data.name}`);
  const candidates = [ref, resolve('runs', ref)];
  if (!candidates.some((p) => existsSync(resolve(p, 'config.json')))) throw new Error(`${who}: no run at ${candidates.map((p) => resolve(p)).join(' or ')} (config ${key}=${ref})`);
  const opened = openRun(ref);
  if (!models.includes(opened.config.model) || !('vq' in opened.model)) {
    opened.dispose();
    throw new Error(`${who}: run ${opened.run.dir} is a '${opened.config.model}' run, not a VQ-VAE (model ${models.map((m) => `'${m}'`).join(' or ')})`);
  }
  if (opened.config.data.name !== data.name) {
    opened.dispose();
    throw new Error(`${who}: the ${opened.config.model} run ${opened.run.dir} was trained on '${opened.config.data.name}', this model's data is '${data.name}'`);
  }
  return opened as OpenedRun & { model: VQVAEInstance };
}

export function buildVQPrior(c: VQPriorConfig, data: DataInfo): ModelInstance & { prior: GatedPixelCNN; base: VQVAEInstance } {
  const opened = openVQVAERun(c.vqvae, data);
  const base = opened.model;
  const vq = base.vq;
  let prior: GatedPixelCNN;
  try {
    prior = new GatedPixelCNN({ numCodes: vq.quantizer.codebookSize, channels: c.channels, layers: c.layers, kernel: c.kernel });
  } catch (e) {
    opened.dispose();
    throw e;
  }
  const [h, w] = vq.grid;
  return {
    prior,
    base,
    modules: { prior },
    loss(batch): LossTerms {
      const codes = vq.encodeIndices(batch.x);
      const nll = prior.nll(codes);
      return { loss: nll, bitsPerCode: nll.div(Math.LN2).detach() };
    },
    sample(n: number, options: SampleOptions = {}) {
      return torch.noGrad(() => vq.decodeIndices(prior.sample(n, h, w, { temperature: options.temperature ?? 1 })));
    },
    evaluate(test: Tensor, options: { batchSize?: number } = {}): Record<string, number> {
      return torch.noGrad(() => {
        const bs = options.batchSize ?? 500;
        let total = 0;
        for (let i = 0; i < test.size(0); i += bs) {
          total += torch.scope(() => {
            const xb = test.narrow(0, i, Math.min(bs, test.size(0) - i));
            return prior.nll(vq.encodeIndices(xb)).item() * xb.size(0);
          });
        }
        const perCode = total / test.size(0);
        return { codeNll: perCode, codeNllPerImage: perCode * h * w, bitsPerCode: perCode / Math.LN2 };
      });
    },
    parameters: () => prior.parameters(),
    dispose: () => {
      prior.dispose();
      opened.dispose();
    },
  };
}

export const vqPriorFamily = registerModel<VQPriorConfig>({
  name: 'vqvae-prior',
  description: 'Gated PixelCNN prior over the codes of a finished vqvae run (config vqvae=<run>); genlab sample generates images',
  dataKinds: ['image'],
  defaultConfig: { vqvae: '', channels: 64, layers: 8, kernel: 3 },
  trainDefaults: { lr: 1e-3, steps: 2000, batch: 64, logEvery: 50 },
  defaultData: 'fashion-mnist',
  create: (c, data) => buildVQPrior(c, data),
});
