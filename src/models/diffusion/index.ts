/**
 * Diffusion and flow matching in one framework (EDM): schedules, prediction types,
 * preconditionings, losses, samplers, sigma schedules, guidance, likelihood, rectified flow.
 */
export * from './schedules.ts';
export * from './prediction.ts';
export * from './preconditioning.ts';
export * from './sigmas.ts';
export * from './samplers/index.ts';
export * from './closed-form.ts';
export * from './likelihood.ts';
export * from './ot.ts';
