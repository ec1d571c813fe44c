/** Evaluation metrics: sample distances for 2-D data, likelihood, and feature-space image metrics (FID, precision/recall). */
export { mmdRbf, slicedWasserstein, testNll, bitsPerDim, DEFAULT_BANDWIDTHS } from './twod.ts';
export { featureStats, sqrtmPsd, frechetDistance, frechetDistanceFromStats, precisionRecall } from './features.ts';
export {
  FeatureClassifier, loadFeatureClassifier, classifierFeatures, classifierAccuracy, fid, imagePrecisionRecall, CLASSIFIER_WEIGHTS,
} from './classifier.ts';
