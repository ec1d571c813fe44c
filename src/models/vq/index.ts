/** Vector-quantized models: the VectorQuantizer bottleneck, VQ-VAE and its autoregressive prior. */
export { VectorQuantizer, type VectorQuantizerOptions, type QuantizeResult } from './quantizer.ts';
