/**
 * The probability-distribution interface (after torch.distributions): `sample` (no gradient),
 * `rsample` (reparameterized: gradients flow to the parameters), `logProb`, `entropy`, `mean`.
 *
 * Memory: a distribution holds references to its parameter tensors; it does not keep or dispose
 * them. Every tensor its methods return is made in the caller's scope.
 */
import { torch, type Tensor, type Generator } from '../tensor/index.ts';

/** Options of the random methods. */
export interface SampleOptions {
  /** Random generator (default: the global one, seeded by torch.manualSeed). */
  generator?: Generator;
}

export interface Distribution {
  /** Shape of independent, non-identical parameters (e.g. a batch of Gaussians). */
  readonly batchShape: number[];
  /** Shape of one draw (e.g. [d] for a diagonal Gaussian over vectors, [] for scalars). */
  readonly eventShape: number[];
  /** True when rsample() gives reparameterized (differentiable) draws. */
  readonly hasRsample: boolean;
  /** The mean, shape batchShape + eventShape (NaN where undefined, as PyTorch). */
  readonly mean: Tensor;
  /** Draws of shape sampleShape + batchShape + eventShape, without gradient. */
  sample(sampleShape?: number[], options?: SampleOptions): Tensor;
  /** Reparameterized draws (gradients flow to the parameters); throws where not possible. */
  rsample(sampleShape?: number[], options?: SampleOptions): Tensor;
  /** Log density (or mass) of x, summed over the event dimensions: shape x.shape minus eventShape. */
  logProb(x: Tensor): Tensor;
  /** Entropy in nats, shape batchShape. */
  entropy(): Tensor;
}

/** Where a parameter must lie: > 0 ('positive'), [0, 1] ('unit'), >= 0 ('nonnegative'), not NaN ('notNaN'). */
export type Support = 'positive' | 'unit' | 'nonnegative' | 'notNaN';

const SUPPORT_TEXT: Record<Support, string> = { positive: 'must be > 0', unit: 'must lie in [0, 1]', nonnegative: 'must be >= 0', notNaN: 'must not be NaN' };

/**
 * Checks that every element of a distribution's parameter lies in its support (PyTorch's
 * validate_args): throws a RangeError naming the distribution, the parameter, the first bad value
 * and its index, so a negative scale or a probability of 1.3 fails where it is made instead of as a
 * NaN log-density steps later. One reduction and one `.item()` (a device sync on a GPU).
 */
export function checkSupport(who: string, what: string, value: Tensor | number, support: Support): void {
  const ok = (v: number) => (support === 'positive' ? v > 0 : support === 'unit' ? v >= 0 && v <= 1 : support === 'nonnegative' ? v >= 0 : !Number.isNaN(v));
  if (typeof value === 'number') {
    if (!ok(value)) throw new RangeError(`${who}: ${what} ${SUPPORT_TEXT[support]}, got ${value}`);
    return;
  }
  const bad = torch.noGrad(() =>
    torch.scope(() => {
      const d = value.detach().flatten();
      const out = support === 'positive' ? d.gt(0).logicalNot() : support === 'unit' ? d.ge(0).logicalAnd(d.le(1)).logicalNot() : support === 'nonnegative' ? d.ge(0).logicalNot() : d.isnan();
      if (!out.any().item()) return null;
      const i = out.to('int32').argmax().item();
      return { index: i, value: d.select(0, i).item(), n: d.numel() };
    }),
  );
  if (bad) throw new RangeError(`${who}: ${what} ${SUPPORT_TEXT[support]}, got ${bad.value} at index ${bad.index} of ${bad.n} (shape [${value.shape.join(', ')}])`);
}

/** A number becomes a 0-d float32 tensor (in the current scope); a tensor passes through. */
export function asTensor(x: Tensor | number, like?: Tensor): Tensor {
  if (typeof x !== 'number') return x;
  return torch.tensor(x, { dtype: like && like.dtype.startsWith('float') ? like.dtype : 'float32' });
}

/** NumPy broadcasting of two shapes; throws on a mismatch. */
export function broadcastShapes(...shapes: number[][]): number[] {
  const n = Math.max(0, ...shapes.map((s) => s.length));
  const out: number[] = new Array(n).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const k = n - s.length + i;
      const a = out[k]!;
      const b = s[i]!;
      if (a === 1) out[k] = b;
      else if (b !== 1 && b !== a) throw new RangeError(`shapes [${shapes.map((x) => x.join(', ')).join('] and [')}] do not broadcast`);
    }
  }
  return out;
}

/** Sums x over its last k dimensions (an event of k dimensions); x itself when k = 0. */
export function sumRightmost(x: Tensor, k: number): Tensor {
  return k === 0 ? x : x.sum(Array.from({ length: k }, (_, i) => -1 - i));
}

/** Noise of shape `shape` from the standard normal, in the dtype of `like`. */
export function standardNormalNoise(shape: number[], like: Tensor, options: SampleOptions = {}): Tensor {
  const dtype = like.dtype;
  return options.generator ? torch.randn(shape, { generator: options.generator, dtype }) : torch.randn(shape, { dtype });
}

/** Uniform noise in [0, 1) of shape `shape`, in the dtype of `like` (float32 by default). */
export function uniformNoise(shape: number[], dtype: Tensor['dtype'] = 'float32', options: SampleOptions = {}): Tensor {
  return options.generator ? torch.rand(shape, { generator: options.generator, dtype }) : torch.rand(shape, { dtype });
}

/** Uniform noise in (tiny, 1 - eps): safe inside log(-log u). */
export function openUniformNoise(shape: number[], dtype: Tensor['dtype'] = 'float32', options: SampleOptions = {}): Tensor {
  const eps = dtype === 'float64' ? 1e-15 : 1e-7;
  return uniformNoise(shape, dtype, options).clamp(eps, 1 - eps);
}

/** Standard Gumbel noise -log(-log u). */
export function gumbelNoise(shape: number[], dtype: Tensor['dtype'] = 'float32', options: SampleOptions = {}): Tensor {
  return openUniformNoise(shape, dtype, options).log().neg().log().neg();
}

export const LOG_2PI = Math.log(2 * Math.PI);
/** Euler–Mascheroni constant (the mean of a standard Gumbel). */
export const EULER_GAMMA = 0.5772156649015329;

/**
 * Elementwise location-scale families (Normal, Logistic, Gumbel): loc and scale broadcast into
 * batchShape, events are scalars, and sample() is rsample() without gradient. A number loc takes the
 * dtype and device of a tensor scale.
 */
export abstract class LocScaleDistribution implements Distribution {
  readonly loc: Tensor;
  readonly scale: Tensor;
  readonly batchShape: number[];
  readonly eventShape: number[] = [];
  readonly hasRsample = true;

  /** `validate` (default true): a scale that is not > 0 everywhere, or a NaN loc, is an error. */
  constructor(loc: Tensor | number, scale: Tensor | number, options: { validate?: boolean } = {}) {
    if (options.validate !== false) {
      checkSupport(this.constructor.name, 'scale', scale, 'positive');
      checkSupport(this.constructor.name, 'loc', loc, 'notNaN');
    }
    this.loc = typeof loc === 'number' && typeof scale !== 'number' ? asTensor(loc, scale) : asTensor(loc);
    this.scale = asTensor(scale, this.loc);
    this.batchShape = broadcastShapes(this.loc.shape, this.scale.shape);
  }
  abstract get mean(): Tensor;
  abstract rsample(sampleShape?: number[], options?: SampleOptions): Tensor;
  abstract logProb(x: Tensor): Tensor;
  abstract entropy(): Tensor;
  sample(sampleShape: number[] = [], options: SampleOptions = {}): Tensor {
    return torch.noGrad(() => this.rsample(sampleShape, options));
  }
}

/**
 * Parameter-free standard distributions over tensors of shape eventShape (StandardNormal,
 * StandardLogistic): batchShape = [], mean 0, logProb summed over the event. They hold no tensors, so
 * one instance can live as long as a model without being kept.
 */
export abstract class StandardEventDistribution implements Distribution {
  readonly batchShape: number[] = [];
  readonly eventShape: number[];
  readonly hasRsample = true;
  readonly dtype: Tensor['dtype'];

  constructor(eventShape: number[] | number = [], options: { dtype?: Tensor['dtype'] } = {}) {
    this.eventShape = typeof eventShape === 'number' ? [eventShape] : [...eventShape];
    this.dtype = options.dtype ?? 'float32';
  }
  /** Number of elements in one event. */
  get eventSize(): number {
    return this.eventShape.reduce((a, b) => a * b, 1);
  }
  get mean(): Tensor {
    return torch.zeros(this.eventShape, { dtype: this.dtype });
  }
  abstract rsample(sampleShape?: number[], options?: SampleOptions): Tensor;
  abstract logProb(x: Tensor): Tensor;
  abstract entropy(): Tensor;
  sample(sampleShape: number[] = [], options: SampleOptions = {}): Tensor {
    return torch.noGrad(() => this.rsample(sampleShape, options));
  }
}
