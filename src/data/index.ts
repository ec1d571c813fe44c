/** Data sets (2-D toys, MNIST, Fashion-MNIST), the IDX reader, pixel transforms and the DataLoader. */
export { type Toy2D, toy2d, moons, circles, eightGaussians, checkerboard, swissroll, pinwheel, twoSpirals } from './toy2d.ts';
export { type IdxData, type IdxArray, parseIdx, readIdx, readIdxTensor } from './idx.ts';
export {
  type ImageSet, type Split, type PixelRange, loadMnist, loadFashionMnist, mnistDigitsDir, parseMnistDigitFile,
  fashionMnistDir, FASHION_MNIST_CLASSES, FASHION_MNIST_DIR, scalePixels, toPixels, binarize, dequantize,
} from './images.ts';
export { DataLoader, type DataLoaderOptions, type Batchable } from './loader.ts';
export { datasets, getDataset, type DatasetInfo, type Dataset2D, type DatasetImage } from './registry.ts';
export { loadShapes, renderShapes, SHAPE_CLASSES } from './shapes.ts';
