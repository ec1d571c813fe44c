/**
 * Parameter initializations (PyTorch's torch.nn.init): each fills a tensor in place, without
 * autograd, and returns it. Same formulas (fans, gains) as PyTorch.
 */
import { torch, type Tensor, type Generator } from '../tensor/index.ts';

export type Nonlinearity = 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';
export type FanMode = 'fan_in' | 'fan_out';
interface RandomOptions {
  generator?: Generator;
}

/** The recommended gain of a nonlinearity (torch.nn.init.calculate_gain). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear': case 'conv1d': case 'conv2d': case 'conv3d': case 'sigmoid': return 1;
    case 'tanh': return 5 / 3;
    case 'relu': return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu': return 3 / 4;
  }
}

/** [fanIn, fanOut] of a weight: dims 1 and 0 times the receptive field (PyTorch's rule). */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  const s = t.shape;
  if (s.length < 2) throw new RangeError(`init: fan in and fan out need a tensor with at least 2 dimensions, got [${s.join(', ')}]`);
  let receptive = 1;
  for (let i = 2; i < s.length; i++) receptive *= s[i]!;
  return [s[1]! * receptive, s[0]! * receptive];
}

const fill = (t: Tensor, f: () => void): Tensor => {
  torch.noGrad(f);
  return t;
};

export function uniform_(t: Tensor, a = 0, b = 1, options: RandomOptions = {}): Tensor {
  return fill(t, () => t.uniform_(a, b, { generator: options.generator ?? null }));
}
export function normal_(t: Tensor, mean = 0, std = 1, options: RandomOptions = {}): Tensor {
  return fill(t, () => t.normal_(mean, std, { generator: options.generator ?? null }));
}
export function constant_(t: Tensor, value: number): Tensor {
  return fill(t, () => t.fill_(value));
}
export function zeros_(t: Tensor): Tensor {
  return fill(t, () => t.zero_());
}
export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}
/** Normal(mean, std) truncated to [a, b] (PyTorch's inverse-CDF method). */
export function truncNormal_(t: Tensor, mean = 0, std = 1, a = -2, b = 2, options: RandomOptions = {}): Tensor {
  const cdf = (x: number) => (1 + erf(x / Math.SQRT2)) / 2;
  const l = cdf((a - mean) / std), u = cdf((b - mean) / std);
  return fill(t, () => {
    t.uniform_(2 * l - 1, 2 * u - 1, { generator: options.generator ?? null });
    t.erfinv_();
    t.mul_(std * Math.SQRT2);
    t.add_(mean);
    t.clamp_(a, b);
  });
}
export function xavierUniform_(t: Tensor, gain = 1, options: RandomOptions = {}): Tensor {
  const [fi, fo] = calculateFanInAndFanOut(t);
  const a = gain * Math.sqrt(6 / (fi + fo));
  return uniform_(t, -a, a, options);
}
export function xavierNormal_(t: Tensor, gain = 1, options: RandomOptions = {}): Tensor {
  const [fi, fo] = calculateFanInAndFanOut(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fi + fo)), options);
}

export interface KaimingOptions extends RandomOptions {
  /** Negative slope of the rectifier after this layer (leaky_relu); default 0. */
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
}
function kaimingStd(t: Tensor, o: KaimingOptions): number {
  const [fi, fo] = calculateFanInAndFanOut(t);
  const fan = (o.mode ?? 'fan_in') === 'fan_in' ? fi : fo;
  return calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0) / Math.sqrt(fan);
}
/** He uniform: U(-b, b), b = gain * sqrt(3 / fan). PyTorch's Linear/Conv default is a = sqrt(5). */
export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, options);
  return uniform_(t, -bound, bound, options);
}
export function kaimingNormal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  return normal_(t, 0, kaimingStd(t, options), options);
}
/** (Semi-)orthogonal matrix via QR of a Gaussian matrix, as PyTorch's orthogonal_. */
export function orthogonal_(t: Tensor, gain = 1, options: RandomOptions = {}): Tensor {
  const rows = t.shape[0]!;
  const cols = t.numel() / rows;
  return fill(t, () =>
    torch.scope(() => {
      let flat = torch.randn([rows, cols], { generator: options.generator ?? null });
      if (rows < cols) flat = flat.t();
      const [q, r] = torch.linalg.qr(flat);
      const d = r.diagonal().sign();
      let qq = q.mul(d);
      if (rows < cols) qq = qq.t();
      t.view([rows, cols]).copy_(qq.mul(gain));
    }),
  );
}

/** The error function (for truncNormal_ bounds). */
function erf(x: number): number {
  // erf via the complementary error function's Chebyshev fit (Numerical Recipes erfc), |err| < 1.2e-7.
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1 - r : r - 1;
}
