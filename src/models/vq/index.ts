/** Vector-quantized models: the VectorQuantizer bottleneck, VQ-VAE and its gated PixelCNN prior. Importing registers vqvae, vqvae-prior. */
export { VectorQuantizer, type VectorQuantizerOptions, type QuantizeResult } from './quantizer.ts';
export { VQEncoder, VQDecoder, ResidualBlock, ResidualStack, type VQNetConfig } from './nets.ts';
export { GatedPixelCNN, GatedLayer, MaskedConv2d, type GatedPixelCNNConfig } from './pixelcnn.ts';
export { vqvaeFamily, vqPriorFamily, buildVQVAE, buildVQPrior, openVQVAERun, type VQVAEConfig, type VQPriorConfig, type VQVAEParts, type VQVAEInstance } from './models.ts';
