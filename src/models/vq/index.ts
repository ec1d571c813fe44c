/** Vector-quantized models: the VectorQuantizer bottleneck, VQ-VAE and its gated PixelCNN prior, VQGAN (stage 1) and its transformer (stage 2). Importing registers vqvae, vqvae-prior, vqgan, vqgan-transformer. */
export { VectorQuantizer, type VectorQuantizerOptions, type QuantizeResult } from './quantizer.ts';
export { VQEncoder, VQDecoder, ResidualBlock, ResidualStack, type VQNetConfig } from './nets.ts';
export { GatedPixelCNN, GatedLayer, MaskedConv2d, type GatedPixelCNNConfig } from './pixelcnn.ts';
export { vqvaeFamily, vqPriorFamily, buildVQVAE, buildVQPrior, openVQVAERun, type VQVAEConfig, type VQPriorConfig, type VQVAEParts, type VQVAEInstance } from './models.ts';
export { PatchDiscriminator, type PatchDiscriminatorConfig } from './discriminator.ts';
export { hingeDLoss, vanillaDLoss, discriminatorLoss, generatorLoss, adaptiveWeight, adoptWeight, type GanLossKind } from './gan-losses.ts';
export { FeaturePerceptualLoss, loadLinearWeights, type PerceptualLossOptions } from './perceptual.ts';
export { vqganFamily, buildVQGAN, type VQGANConfig, type VQGANInstance } from './vqgan.ts';
export { CodeTransformer, TransformerBlock, filterLogits, sampleFromLogits, type CodeTransformerConfig, type SampleCodesOptions, type KVCache } from './transformer.ts';
export { vqganTransformerFamily, buildVQGANTransformer, type VQGANTransformerConfig, type VQGANTransformerInstance } from './vqgan-transformer.ts';
