/** genlab io: safetensors, checkpoints, PNG/GIF images, sample grids and plots. */
export * from './atomic.ts';
export * from './safetensors.ts';
export * from './checkpoint.ts';
export * from './png.ts';
export * from './font.ts';
export * from './canvas.ts';
export * from './colormap.ts';
export * from './image.ts';
export * from './plot.ts';
export * from './gif.ts';
