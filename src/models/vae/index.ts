/** Latent-variable models: Gaussian VAE / IWAE and the categorical (Gumbel-softmax) VAE. Importing registers vae, iwae, gumbel-vae. */
export { GaussianVAE, type ElboTerms, type Net } from './vae.ts';
export { CategoricalVAE, CATEGORICAL_ESTIMATORS, type CategoricalEstimator } from './categorical-vae.ts';
export { likelihoodByName, bernoulliLikelihood, gaussianLikelihood, logisticLikelihood, LIKELIHOODS, type Likelihood, type LikelihoodName } from './likelihoods.ts';
export { MLPEncoder, MLPDecoder, ConvEncoder, ConvDecoder, makeEncoder, makeDecoder } from './nets.ts';
export { vaeFamily, iwaeFamily, gumbelVaeFamily, buildGaussianVAE, buildCategoricalVAE, type VAEConfig, type GumbelVAEConfig } from './models.ts';
