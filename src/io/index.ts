/** genlab io: safetensors, checkpoints, PNG/GIF images, sample grids and plots. */
export * from './atomic.ts';
export * from './safetensors.ts';
export * from './checkpoint.ts';
