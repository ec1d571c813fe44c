/**
 * CPU float32 transposed convolution through oneDNN. libtorch 1.13 has no oneDNN transposed
 * convolution: aten::conv_transpose2d runs slow_conv_transpose2d (im2col + GEMM) forward and
 * backward. A transposed convolution is the input gradient of the ordinary convolution with the same
 * weight, stride, padding, dilation and groups, which libtorch runs through oneDNN; the native
 * operator genlab::conv_transpose2d_onednn (native/src/conv_transpose.cc, a C++ autograd function)
 * computes it so: y = convolution_backward(grad_output = x, input shaped like y, w)[0] (+ bias),
 * grad_x = conv2d(grad_y, w) (oneDNN forward), grad_w = convolution_backward(grad_output = x,
 * input = grad_y, w)[1], grad_b = grad_y summed over N, H, W (differentiable: double backward works).
 *
 * Measured (1 thread, batch 64, bench/conv-transpose-ab.ts): 4x4 stride-2 64 -> 32 on 7x7 (conv VAE /
 * VQ-VAE decoders), forward 4.0 -> 2.1 ms, forward + backward 13.9 -> 7.0 ms; 32 -> 1 on 14x14 1.8 -> 1.2 ms. oneDNN's data gradient into
 * few channels is slower than im2col + GEMM (32 -> 1 on 14x14: forward 0.42 -> 2.5 ms), so with fewer
 * than ONEDNN_FORWARD_MIN_OUT_CHANNELS output channels per group the forward stays ATen's and only the
 * backward is oneDNN's. Results equal ATen's up to float rounding (another summation order), not bitwise.
 * `torch.backends.convTransposeOneDnn = false` (or GENLAB_CONV_TRANSPOSE_ONEDNN=0) turns it off.
 */
import { Tensor } from './tensor.ts';
import { nativeOp } from './ops.ts';
import { backends } from './conv-layout.ts';

type Op = (...args: unknown[]) => unknown;
type Pair = [number, number];

/** Output channels per group below which the forward stays ATen's (see the header). */
export const ONEDNN_FORWARD_MIN_OUT_CHANNELS = 16;

interface Params {
  x: Tensor;
  w: Tensor;
  b: Tensor | null;
  stride: Pair;
  padding: Pair;
  outputPadding: Pair;
  groups: number;
  dilation: Pair;
}

const POSITIONAL = ['bias', 'stride', 'padding', 'outputPadding', 'groups', 'dilation'] as const;
const isPlainObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Tensor);

function pair(v: unknown, dflt: number): Pair | null {
  if (v === undefined) return [dflt, dflt];
  if (typeof v === 'number' && Number.isInteger(v)) return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((e) => typeof e === 'number' && Number.isInteger(e))) return [v[0], v[1]];
  if (Array.isArray(v) && v.length === 1 && Number.isInteger(v[0])) return [v[0], v[0]];
  return null;
}

/** The call's arguments when it is one this path takes; null hands the call to ATen unchanged (which also reports bad input). */
function eligible(args: unknown[]): Params | null {
  const [x, w] = args;
  if (!(x instanceof Tensor) || !(w instanceof Tensor)) return null;
  if (x.device !== 'cpu' || w.device !== 'cpu' || x.dtype !== 'float32' || w.dtype !== 'float32' || x.dim() !== 4 || w.dim() !== 4) return null;
  const named: Record<string, unknown> = {};
  for (let i = 2; i < args.length; i++) {
    const a = args[i];
    if (isPlainObject(a) && i === args.length - 1) {
      for (const [k, v] of Object.entries(a as object)) {
        if (!(POSITIONAL as readonly string[]).includes(k)) return null;
        named[k] = v;
      }
    } else {
      const k = POSITIONAL[i - 2];
      if (k === undefined) return null;
      named[k] = a;
    }
  }
  const b = named.bias ?? null;
  if (b !== null && !(b instanceof Tensor && b.device === 'cpu' && b.dtype === 'float32' && b.dim() === 1)) return null;
  const stride = pair(named.stride, 1), padding = pair(named.padding, 0), outputPadding = pair(named.outputPadding, 0), dilation = pair(named.dilation, 1);
  const groups = named.groups ?? 1;
  if (!stride || !padding || !outputPadding || !dilation || typeof groups !== 'number' || !Number.isInteger(groups) || groups < 1) return null;
  // leave every check and error message on odd values to ATen
  const [cin, coutG, kh, kw] = w.shape as [number, number, number, number];
  if (x.size(1) !== cin || cin % groups || (b && b.size(0) !== coutG * groups)) return null;
  if (stride.some((s) => s < 1) || dilation.some((d) => d < 1) || padding.some((p) => p < 0) || outputPadding.some((p, i) => p < 0 || (p >= stride[i]! && p >= dilation[i]!))) return null;
  // oneDNN cannot build a dilated weight gradient whose input has output-padding rows in the same dimension
  if (outputPadding.some((p, i) => p > 0 && dilation[i]! > 1)) return null;
  const out = outShape(x, [kh, kw], stride, padding, outputPadding, dilation);
  if (out.some((s) => s < 1) || x.numel() === 0) return null;
  return { x, w, b: b as Tensor | null, stride, padding, outputPadding, groups, dilation };
}

function outShape(x: Tensor, k: Pair, s: Pair, p: Pair, op: Pair, d: Pair): Pair {
  return [0, 1].map((i) => (x.size(2 + i) - 1) * s[i]! - 2 * p[i]! + d[i]! * (k[i]! - 1) + op[i]! + 1) as Pair;
}

let op: ((...args: unknown[]) => unknown) | undefined;

/** Wraps torch.convTranspose2d (installed by ops.ts). */
export function withOneDnnTranspose(atenOp: Op): Op {
  const f = function (...args: unknown[]) {
    const q = backends.convTransposeOneDnn ? eligible(args) : null;
    if (!q) return atenOp(...args);
    op ??= nativeOp('genlab::conv_transpose2d_onednn');
    return op(q.x, q.w, q.b, q.stride, q.padding, q.outputPadding, q.groups, q.dilation, ONEDNN_FORWARD_MIN_OUT_CHANNELS);
  };
  Object.defineProperty(f, 'name', { value: 'convTranspose2d' });
  return f;
}
