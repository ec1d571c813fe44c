/**
 * The memory format of CPU convolutions. libtorch 1.13 runs float32 2-d convolutions through oneDNN
 * (mkldnn_convolution); given NCHW tensors it reorders input, output and gradients to its own layouts
 * on every call, given channels_last (NHWC) tensors it works on them in place. Measured on this CPU
 * (bench/RESULTS.md, "Convolution layout"): forward + backward 25-45% faster for the 3x3 and 1x1 convs
 * of the flow, VAE and UNet nets. So torch.conv2d hands oneDNN channels_last input and weight (a copy
 * when they are not: once per net, since the output of a channels_last convolution is channels_last and
 * elementwise ops keep the layout) unless `torch.backends.convChannelsLast = false` (or
 * GENLAB_CONV_CHANNELS_LAST=0). Results equal NCHW's up to float rounding (another summation order).
 */
import { Tensor } from './tensor.ts';

export const backends = {
  /** Run CPU float32 conv2d in channels_last (default true; GENLAB_CONV_CHANNELS_LAST=0 turns it off). */
  convChannelsLast: process.env.GENLAB_CONV_CHANNELS_LAST !== '0',
};

const CL = { memoryFormat: 'channels_last' as const };

/** The layout torch.conv2d passes to libtorch for (input, weight): channels_last when the policy applies. */
export function convOperands(input: unknown, weight: unknown): [unknown, unknown] {
  if (!backends.convChannelsLast || !(input instanceof Tensor) || !(weight instanceof Tensor)) return [input, weight];
  if (input.dim() !== 4 || weight.dim() !== 4 || input.dtype !== 'float32' || weight.dtype !== 'float32' || input.device !== 'cpu') return [input, weight];
  return [input.isContiguous('channels_last') ? input : input.contiguous(CL), weight.isContiguous('channels_last') ? weight : weight.contiguous(CL)];
}

/** Wraps torch.conv2d (installed by ops.ts). */
export function withConvLayout(conv2d: (...args: unknown[]) => unknown): (...args: unknown[]) => unknown {
  const f = function (...args: unknown[]) {
    const [x, w] = convOperands(args[0], args[1]);
    args[0] = x;
    args[1] = w;
    return conv2d(...args);
  };
  Object.defineProperty(f, 'name', { value: 'conv2d' });
  return f;
}
