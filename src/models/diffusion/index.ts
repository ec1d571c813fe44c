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
export * from './losses.ts';
export * from './guidance.ts';
export * from './nets.ts';
export * from './model.ts';
export * from './families.ts';
export * from './rectified.ts';
