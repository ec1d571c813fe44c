/** genlab: deep generative models in TypeScript on a native libtorch core. */
export * from './tensor/index.ts';
