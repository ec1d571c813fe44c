/**
 * A perceptual loss without downloaded weights. LPIPS (Zhang et al. 2018) compares unit-normalized
 * activations of a pretrained VGG/AlexNet, weighted per channel by linear weights fit to human
 * judgements. genlab ships no ImageNet network, so this loss uses the convolutional features of the
 * network genlab trains itself: the Fashion-MNIST FeatureClassifier of src/metrics (its conv1 and
 * conv2 ReLU maps, 32 and 64 channels). It is NOT LPIPS: its features come from 28×28 grey
 * clothing, its numbers are comparable only with themselves, and it is a texture/edge prior, not a
 * model of human similarity.
 *
 * d(x, y) = Σ_l mean_{h,w} Σ_c w_{l,c} (x̂_{l,c,h,w} − ŷ_{l,c,h,w})², x̂ = features / ‖features‖_c,
 * with w = 1 (uniform) by default, or LPIPS-style linear weights from a safetensors file
 * (`lin0.weight` [1, 32, 1, 1] and `lin1.weight` [1, 64, 1, 1]; LPIPS's `lin<l>.model.1.weight`
 * names are accepted too; negative weights are clamped to 0 as LPIPS does).
 * Inputs are images in [0, 1], any size ≥ 4×4; colour channels are compared one by one through the
 * grey network. The features are frozen; gradients flow to the inputs only.
 */
import { existsSync } from 'node:fs';
import { torch, type Tensor } from '../../tensor/index.ts';
import * as F from '../../nn/functional.ts';
import { loadSafetensors } from '../../io/safetensors.ts';
import { loadFeatureClassifier, FeatureClassifier, CLASSIFIER_WEIGHTS } from '../../metrics/classifier.ts';

export interface PerceptualLossOptions {
  /** The classifier's weights (default: the shipped src/metrics/weights/fmnist-classifier.safetensors). */
  classifierWeights?: string;
  /** A safetensors file with LPIPS-style linear weights per layer (default: uniform weights). */
  linearWeights?: string;
  /**
   * How many of the two feature layers to compare (default 2): 1 = conv1 only (edges and local
   * contrast), 2 = conv1 and conv2. conv2 feeds the classifier's fc1, the feature space of genlab's
   * Fréchet distance, so a loss on it pulls toward what that metric measures; conv1 is further away.
   */
  layers?: number;
}

const CHANNELS = [32, 64];

export class FeaturePerceptualLoss {
  readonly net: FeatureClassifier;
  /** Per-layer channel weights [1, C, 1, 1], kept; null = uniform. */
  readonly lin: (Tensor | null)[];
  /** Feature layers compared (1 or 2). */
  readonly layers: number;
  constructor(options: PerceptualLossOptions = {}) {
    const layers = options.layers ?? 2;
    if (layers !== 1 && layers !== 2) throw new RangeError(`FeaturePerceptualLoss: layers must be 1 (conv1) or 2 (conv1 and conv2), got ${layers}`);
    this.layers = layers;
    this.net = loadFeatureClassifier(options.classifierWeights ?? CLASSIFIER_WEIGHTS);
    for (const p of this.net.parameters()) p.requiresGrad_(false);
    this.lin = options.linearWeights ? loadLinearWeights(options.linearWeights) : CHANNELS.map(() => null);
  }
  /** The two ReLU feature maps of grey images [M, 1, H, W]. */
  private features(x: Tensor): Tensor[] {
    const h1 = this.net.conv1.forward(x).relu();
    if (this.layers === 1) return [h1];
    const h2 = this.net.conv2.forward(F.maxPool2d(h1, 2)).relu();
    return [h1, h2];
  }
  /** Per-image distance [N] between images x and y [N, C, H, W] in [0, 1]. */
  distance(x: Tensor, y: Tensor): Tensor {
    if (x.dim() !== 4 || x.shape.join() !== y.shape.join()) throw new RangeError(`FeaturePerceptualLoss: expected two [N, C, H, W] images of one shape, got [${x.shape}] and [${y.shape}]`);
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const fx = this.features(x.reshape([N * C, 1, H, W]));
    const fy = this.features(y.reshape([N * C, 1, H, W]));
    let d: Tensor | null = null;
    fx.forEach((a, l) => {
      const diff = F.normalize(a, 2, 1, 1e-10).sub(F.normalize(fy[l]!, 2, 1, 1e-10)).square();
      const w = this.lin[l];
      const per = (w ? diff.mul(w) : diff).sum(1).mean([1, 2]).reshape([N, C]).mean(1);
      d = d === null ? per : d.add(per);
    });
    return d!;
  }
  dispose(): void {
    this.net.dispose();
    this.lin.forEach((t) => t?.dispose());
  }
}

/** Reads LPIPS-style linear weights for the classifier's two layers, with errors that name the file. */
export function loadLinearWeights(path: string): Tensor[] {
  if (!existsSync(path)) throw new Error(`perceptual linear weights: no file at ${path}`);
  return torch.scope(() => {
    const t = loadSafetensors(path).tensors;
    return CHANNELS.map((c, l) => {
      const w = t[`lin${l}.weight`] ?? t[`lin${l}.model.1.weight`];
      if (!w) throw new Error(`perceptual linear weights ${path}: no 'lin${l}.weight' (or 'lin${l}.model.1.weight'); keys: ${Object.keys(t).join(', ')}`);
      if (w.numel() !== c) throw new Error(`perceptual linear weights ${path}: lin${l} has ${w.numel()} values [${w.shape}], the feature network's layer ${l} has ${c} channels`);
      return w.to('float32').reshape([1, c, 1, 1]).clampMin(0).detach();
    });
  }).map((t) => t.keep());
}
