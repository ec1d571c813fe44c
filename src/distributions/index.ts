/** Probability distributions, KL divergences and gradient estimators (after torch.distributions). */
export { type Distribution, type SampleOptions, type Support, broadcastShapes, gumbelNoise, checkSupport } from './distribution.ts';
export { Normal, DiagonalNormal, StandardNormal } from './normal.ts';
export { Bernoulli, probsToLogits, type BernoulliParams } from './bernoulli.ts';
export { Categorical, type CategoricalParams } from './categorical.ts';
export { Gumbel, RelaxedOneHotCategorical, straightThrough, gumbelSoftmax, gumbelTemperature, type RelaxedParams, type TemperatureSchedule } from './gumbel.ts';
export { Logistic, StandardLogistic } from './logistic.ts';
export { klDivergence } from './kl.ts';
export { reparamGradient, scoreFunctionGradient, type EstimatorOptions, type ScoreFunctionOptions } from './estimators.ts';
