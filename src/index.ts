/** genlab: deep generative models in TypeScript on a native libtorch core. */
export * from './tensor/index.ts';
export * as nn from './nn/index.ts';
export * as optim from './optim/index.ts';
export * as distributions from './distributions/index.ts';
export * as data from './data/index.ts';
export * as io from './io/index.ts';
export * as metrics from './metrics/index.ts';
export * as ode from './ode/index.ts';
export * as train from './train/index.ts';
export * as models from './models/index.ts';
export * as flows from './models/flows/index.ts';
export * as agent from './agent/index.ts';
