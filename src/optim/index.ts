/** genlab's optimizers, learning-rate schedules, gradient clipping and EMA (PyTorch's torch.optim). */
export { Optimizer, type ParamGroup, type ParamGroupInput, type Params, type ParamState, type OptimizerStateDict } from './optimizer.ts';
export { SGD, type SGDOptions } from './sgd.ts';
export { Adam, AdamW, type AdamOptions } from './adam.ts';
export { constantLR, linearWarmup, cosineDecay, stepDecay, LRScheduler, type LRSchedule } from './schedule.ts';
export { clipGradNorm_ } from './clip.ts';
export { EMA, type EMAOptions, type EMAStateDict } from './ema.ts';
