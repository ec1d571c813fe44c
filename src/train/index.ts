/**
 * genlab train: the Trainer every model family reuses, run folders, checkpoints, deterministic
 * batches and seeds, and the by-name entry points used by the CLI (trainRun, openRun).
 */
export { DEFAULT_TRAIN_CONFIG, resolveTrainConfig, learningRate, scheduledLearningRate, resumeLrAnchor, type LrAnchor, type TrainConfig } from './config.ts';
export { deriveSeed } from './seed.ts';
export { StepBatches } from './batches.ts';
export { RunDir, stepName, type RunConfig, type MetricsRecord } from './run.ts';
export {
  NamedOptimizer,
  ModulesEMA,
  createOptimizer,
  clipGradNorm,
  type TrainOptimizer,
  type NamedParams,
} from './optim.ts';
export {
  saveTrainingCheckpoint,
  loadTrainingCheckpoint,
  loadModules,
  type CheckpointContents,
  type CheckpointState,
} from './checkpoint.ts';
export { Trainer, namedParameters, type TrainerOptions, type TrainResult, type TrainStatus, type StepEvent } from './trainer.ts';
export { loadData, dataNames, dataInfo, dataKind, type LoadedData, type LoadDataOptions } from './data.ts';
export { writeSamplePictures, writeLossCurve, type SamplePictureOptions } from './pictures.ts';
export { trainRun, openRun, buildModel, freeRunName, type TrainRunOptions, type OpenedRun } from './session.ts';
export { evaluateRun, type EvalResult } from './evaluate.ts';
export * as distributed from './distributed/index.ts';
