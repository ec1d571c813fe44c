/** genlab's neural-network modules (PyTorch's torch.nn, camelCase). */
export { Module, Sequential, ModuleList, ParameterList, Parameter, Buffer, type ParameterConstructor, type BufferConstructor, type ParameterTensor, type BufferTensor, type StateDict, type TensorModule, type LoadStateDictOptions, type LoadStateDictResult } from './module.ts';
export {
  Linear, Conv2d, ConvTranspose2d, Embedding, Dropout, Identity, ReLU, SiLU, GELU, Tanh, Sigmoid, LeakyReLU, Softplus, ELU,
  Flatten, MaxPool2d, AvgPool2d, activation, type ActivationName, type FactoryOptions, type Conv2dConfig, type ConvTranspose2dConfig,
} from './layers.ts';
export { GroupNorm, LayerNorm, BatchNorm2d, type BatchNormConfig } from './norm.ts';
export { MultiheadSelfAttention, type MultiheadSelfAttentionConfig } from './attention.ts';
export { SinusoidalEmbedding, FourierFeatures, scalarEmbedding, type ScalarEmbeddingKind } from './embedding.ts';
export { ResBlock, AttentionBlock, Downsample, Upsample, UNetLayer, UNet, groupsFor, type ResBlockConfig, type UNetConfig } from './unet.ts';
export { MLP, type MLPConfig } from './mlp.ts';
export * as init from './init.ts';
export * as F from './functional.ts';
export * as functional from './functional.ts';
