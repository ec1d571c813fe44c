/**
 * Model families. Importing this module registers every family with the registry (each family's
 * module calls registerModel on import); add one line per family here.
 */
export * from './registry.ts';
export { gaussianFamily, FullCovGaussian, type GaussianConfig } from './gaussian/index.ts';
import './flows/index.ts'; // registers nice, realnvp, glow, nsf, planar, cnf
import './diffusion/index.ts'; // registers ddpm, vp, ve, edm, fm, cfm, rectified
import './vae/index.ts'; // registers vae, iwae, gumbel-vae
import './vq/index.ts'; // registers vqvae, vqvae-prior
