/**
 * The memory format of CPU convolutions. libtorch 1.13 runs float32 2-d convolutions through oneDNN
 * (mkldnn_convolution); given NCHW tensors it reorders input, output and gradients to its own layouts
 * on every call, given channels_last (NHWC) tensors it works on them in place. Measured on this CPU
 (forward + backward of the Glow coupling net's convolutions, batch 64, 1 thread): 3x3 64->8 12.5 -> 7.3 ms,
 * 1x1 64->64 7.1 -> 4.3 ms, 3x3 4->64 7.2 -> 4.2 ms. So torch.conv2d hands oneDNN channels_last input and
 * weight (a copy when they are not: once per chain of convolutions, since the output of a channels_last
 * convolution is channels_last and elementwise ops keep the layout; see convOperands for when) unless `torch.backends.convChannelsLast = false` (or
 * GENLAB_CONV_CHANNELS_LAST=0). Results equal NCHW's up to float rounding (another summation order).
 */
import { Tensor } from './tensor.ts';

export const backends = {
  /** Run CPU float32 conv2d in channels_last (default true; GENLAB_CONV_CHANNELS_LAST=0 turns it off). */
  convChannelsLast: process.env.GENLAB_CONV_CHANNELS_LAST !== '0',
  /** Run CPU float32 convTranspose2d as oneDNN convolution gradients (default true; GENLAB_CONV_TRANSPOSE_ONEDNN=0 turns it off; see conv-transpose.ts). */
  convTransposeOneDnn: process.env.GENLAB_CONV_TRANSPOSE_ONEDNN !== '0',
};

const CL = { memoryFormat: 'channels_last' as const };

/** The stride argument of a torch.conv2d call (positional, or in a trailing options object); 1 when absent. */
function strideOf(args: unknown[]): unknown {
  if (args[3] !== undefined && (typeof args[3] === 'number' || Array.isArray(args[3]))) return args[3];
  for (let i = 2; i < args.length; i++) {
    const a = args[i];
    if (a !== null && typeof a === 'object' && !(a instanceof Tensor) && 'stride' in a) return (a as { stride?: unknown }).stride ?? 1;
  }
  return 1;
}
const isOne = (s: unknown) => s === 1 || (Array.isArray(s) && s.every((v) => v === 1));

/**
 * The (input, weight) torch.conv2d passes to libtorch: channels_last when the policy applies. A
 * channels_last input keeps its layout (as in PyTorch). An NCHW input starts a channels_last chain only
 * at a stride-1 convolution with more than one input channel whose input or output channels are not a
 * multiple of 16 (the few-channel convolutions of flow couplings: 4 -> 64, 64 -> 8), where oneDNN's
 * blocked NCHW path pads and reorders most. Not at a one-channel image's first convolution: measured, the
 * engine bench's conv net (1 -> 32 -> 64, max-pool, flatten) got 7% slower with a chain from there. Measured (bench/RESULTS.md): the Glow step 14% faster; the UNet (16/32/64 channels, a group norm
 * after every convolution) and the VAE/VQ-VAE nets unchanged with this rule, while starting chains everywhere
 * made the UNet's sampling step 18% slower (layout copies around every group norm) and a strided
 * convolution feeding a flatten leaves the backward pass with gradients in the other layout (relu's
 * backward on mixed layouts is 30x slower in libtorch 1.13).
 */
export function convOperands(args: unknown[]): void {
  const [input, weight] = args;
  if (!backends.convChannelsLast || !(input instanceof Tensor) || !(weight instanceof Tensor)) return;
  if (input.dim() !== 4 || weight.dim() !== 4 || input.dtype !== 'float32' || weight.dtype !== 'float32' || input.device !== 'cpu') return;
  // channels_last as libtorch reads it (suggest_memory_format): a tensor dense in both layouts (one channel,
  // or 1x1 pixels) counts as NCHW
  const inputCL = input.isContiguous('channels_last') && !input.isContiguous();
  if (!inputCL) {
    if (!isOne(strideOf(args))) return;
    const [cout, cinPerGroup] = weight.shape as [number, number];
    if (cinPerGroup === 1 || (cout % 16 === 0 && cinPerGroup % 16 === 0)) return;
  }
  if (!inputCL) args[0] = input.contiguous(CL);
  if (!weight.isContiguous('channels_last')) args[1] = weight.contiguous(CL);
}

/** Wraps torch.conv2d (installed by ops.ts). */
export function withConvLayout(conv2d: (...args: unknown[]) => unknown): (...args: unknown[]) => unknown {
  const f = function (...args: unknown[]) {
    convOperands(args);
    return conv2d(...args);
  };
  Object.defineProperty(f, 'name', { value: 'conv2d' });
  return f;
}

type Op = (...args: unknown[]) => unknown;

/**
 * Wraps an operator that libtorch 1.13 runs slower on a channels_last first argument than on NCHW, so
 * that such an input (the end of a chain of channels_last convolutions) is handed over as NCHW (a copy,
 * far cheaper than the strided kernel):
 * - torch.convTranspose2d: no oneDNN transposed convolution in 1.13 (slow_conv_transpose2d, im2col + GEMM);
 * - torch.groupNorm: no channels_last CPU kernel (measured 17x slower on a channels_last [32, 32, 14, 14]).
 */
export function withNchwInput(name: string, op: Op): Op {
  const f = function (...args: unknown[]) {
    const x = args[0];
    if (backends.convChannelsLast && x instanceof Tensor && x.dim() === 4 && x.device === 'cpu' && !x.isContiguous() && x.isContiguous('channels_last')) args[0] = x.contiguous();
    return op(...args);
  };
  Object.defineProperty(f, 'name', { value: name });
  return f;
}
