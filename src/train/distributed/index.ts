/**
 * Data-parallel training on libtorch's c10d (Gloo): the process group and its collectives, the
 * DataParallel wrapper the Trainer uses, agreements between ranks, torchrun's variables and the
 * launcher behind `genlab launch` / `genlab train --nproc`.
 */
export { ProcessGroup, routeAddress, type ReduceOp, type CollectiveOptions, type InitOptions } from './process-group.ts';
export { DataParallel, type DataParallelOptions } from './data-parallel.ts';
export { broadcastBytes, verifySame, firstDifference } from './sync.ts';
export { readDistEnv, isDistributedEnv, DEFAULT_MASTER_PORT, DEFAULT_TIMEOUT_S, type DistEnv } from './env.ts';
export { launch, type LaunchOptions, type LaunchResult } from './launch.ts';
