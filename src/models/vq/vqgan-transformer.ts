/**
 * `vqgan-transformer`: stage 2 of VQGAN. A CodeTransformer over the flattened code grid of a
 * finished stage-1 run (config `vqgan`: a run folder or a name under ./runs; a `vqgan` or `vqvae`
 * run). Training encodes each batch with the frozen stage-1 encoder and quantizer and minimizes the
 * codes' cross-entropy with pkeep input corruption; `sample` draws codes (temperature, top-k, top-p,
 * KV cache) and decodes them with the stage-1 decoder, so `genlab sample` on this run generates images.
 */
import { torch, type Tensor } from '../../tensor/index.ts';
import { registerModel, type DataInfo, type LossTerms, type ModelConfig, type ModelInstance, type SampleOptions } from '../registry.ts';
import { getDataset } from '../../data/index.ts';
import { openVQVAERun, type VQVAEInstance } from './models.ts';
import { CodeTransformer } from './transformer.ts';

export interface VQGANTransformerConfig extends ModelConfig {
  /** The finished stage-1 run (a `vqgan` or `vqvae` run). */
  vqgan: string;
  dim: number;
  heads: number;
  layers: number;
  dropout: number;
  /** Probability of keeping each input code in training (the rest become random codes). */
  pkeep: number;
  /** Condition on the data set's class through the start token. */
  classCond: boolean;
  /** Sampling defaults (the sample options override them): 0 = no top-k; 1 = no top-p. */
  topK: number;
  topP: number;
}

export type VQGANTransformerInstance = ModelInstance & { transformer: CodeTransformer; base: VQVAEInstance; grid: [number, number] };

export function buildVQGANTransformer(c: VQGANTransformerConfig, data: DataInfo): VQGANTransformerInstance {
  if (!(c.pkeep > 0 && c.pkeep <= 1)) throw new RangeError(`vqgan-transformer: pkeep must be in (0, 1], got ${c.pkeep}`);
  const opened = openVQVAERun(c.vqgan, data, { who: 'vqgan-transformer', key: 'vqgan', models: ['vqgan', 'vqvae'] });
  const base = opened.model;
  const vq = base.vq;
  for (const m of Object.values(base.modules)) m.eval();
  const [h, w] = vq.grid;
  const numClasses = c.classCond ? (getDataset(data.name) as { numClasses?: number }).numClasses ?? 0 : 0;
  if (c.classCond && numClasses < 1) {
    opened.dispose();
    throw new Error(`vqgan-transformer: classCond needs a labelled data set; '${data.name}' has no classes`);
  }
  let transformer: CodeTransformer;
  try {
    transformer = new CodeTransformer({ vocabSize: vq.quantizer.codebookSize, blockSize: h * w, dim: c.dim, heads: c.heads, layers: c.layers, numClasses, dropout: c.dropout });
  } catch (e) {
    opened.dispose();
    throw e;
  }
  const codesOf = (x: Tensor): Tensor => vq.encodeIndices(x).reshape([x.size(0), h * w]);
  const classesFor = (n: number, options: SampleOptions): Tensor | undefined => {
    if (!numClasses) return undefined;
    if (options.classes) return options.classes as Tensor;
    return torch.arange(n, { dtype: 'int64' }).remainder(numClasses);
  };
  return {
    transformer,
    base,
    grid: [h, w],
    modules: { transformer },
    loss(batch): LossTerms {
      const codes = codesOf(batch.x);
      const nll = transformer.nll(codes, { pkeep: c.pkeep, classes: numClasses ? batch.y : undefined });
      return { loss: nll, bitsPerCode: nll.div(Math.LN2).detach() };
    },
    sample(n: number, options: SampleOptions = {}) {
      return torch.noGrad(() => {
        const codes = transformer.sample(n, {
          temperature: options.temperature ?? 1,
          topK: (options.topK as number | undefined) ?? c.topK,
          topP: (options.topP as number | undefined) ?? c.topP,
          cache: (options.cache as boolean | undefined) ?? true,
          classes: classesFor(n, options),
          ...(options.generator ? { generator: options.generator } : {}),
        });
        return vq.decodeIndices(codes.reshape([n, h, w]));
      });
    },
    evaluate(test: Tensor, options: { batchSize?: number } = {}): Record<string, number> {
      return torch.noGrad(() => {
        const bs = options.batchSize ?? 250;
        let total = 0;
        for (let i = 0; i < test.size(0); i += bs) {
          total += torch.scope(() => {
            const xb = test.narrow(0, i, Math.min(bs, test.size(0) - i));
            return transformer.nll(codesOf(xb)).item() * xb.size(0);
          });
        }
        const perCode = total / test.size(0);
        return { codeNll: perCode, codeNllPerImage: perCode * h * w, bitsPerCode: perCode / Math.LN2 };
      });
    },
    parameters: () => transformer.parameters(),
    dispose: () => {
      transformer.dispose();
      opened.dispose();
    },
  };
}

export const vqganTransformerFamily = registerModel<VQGANTransformerConfig>({
  name: 'vqgan-transformer',
  description: 'VQGAN stage 2: decoder-only transformer (causal attention, learned positions, optional class token, pkeep) over a vqgan run\'s codes (config vqgan=<run>); top-k/top-p, KV cache',
  dataKinds: ['image'],
  defaultConfig: { vqgan: '', dim: 128, heads: 4, layers: 4, dropout: 0, pkeep: 0.9, classCond: false, topK: 0, topP: 1 },
  trainDefaults: { lr: 5e-4, betas: [0.9, 0.95], steps: 2000, batch: 64, logEvery: 50, warmup: 100 },
  defaultData: 'shapes',
  create: (c, data) => buildVQGANTransformer(c, data),
});
