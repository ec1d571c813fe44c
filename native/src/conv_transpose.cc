// genlab::conv_transpose2d_onednn: a CPU float32 2-d transposed convolution computed as oneDNN
// convolution gradients, registered with the dispatcher (so the profiler records it and JS calls it
// like any operator; src/tensor/conv-transpose.ts decides when).
//
// libtorch 1.13 has no oneDNN transposed convolution: aten::conv_transpose2d runs
// slow_conv_transpose2d (im2col + GEMM) forward and backward. A transposed convolution is the input
// gradient of the ordinary convolution with the same weight, stride, padding, dilation and groups,
// which libtorch runs through oneDNN's backward-data kernel:
//   y      = convolution_backward(grad_output = x, input shaped like y, w, mask [1,0,0])[0] (+ bias)
//   grad_x = conv2d(grad_y, w, stride, padding, dilation, groups)            (oneDNN forward)
//   grad_w = convolution_backward(grad_output = x, input = grad_y, w, mask [0,1,0])[1]
//   grad_b = grad_y summed over N, H, W
// The backward is built from differentiable operators, so double backward works. With fewer than
// `onednn_forward_min` output channels per group the forward stays ATen's (oneDNN's data gradient
// into few channels is slower than im2col + GEMM: 0.42 -> 2.5 ms at 32 -> 1 on 14x14, batch 64).
#include "common.h"

#include <torch/csrc/autograd/custom_function.h>
#include <torch/library.h>

namespace genlab {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

std::vector<int64_t> outSize(const at::Tensor& x, const at::Tensor& w, at::IntArrayRef stride, at::IntArrayRef padding,
                             at::IntArrayRef outputPadding, int64_t groups, at::IntArrayRef dilation) {
  std::vector<int64_t> s{x.size(0), w.size(1) * groups};
  for (int i = 0; i < 2; i++) s.push_back((x.size(2 + i) - 1) * stride[i] - 2 * padding[i] + dilation[i] * (w.size(2 + i) - 1) + outputPadding[i] + 1);
  return s;
}

struct ConvTranspose2dOneDnn : torch::autograd::Function<ConvTranspose2dOneDnn> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b,
                            std::vector<int64_t> stride, std::vector<int64_t> padding, std::vector<int64_t> outputPadding, int64_t groups,
                            std::vector<int64_t> dilation, int64_t onednnForwardMin) {
    ctx->save_for_backward({x, w});
    ctx->saved_data["stride"] = stride;
    ctx->saved_data["padding"] = padding;
    ctx->saved_data["dilation"] = dilation;
    ctx->saved_data["groups"] = groups;
    ctx->saved_data["bias"] = b.has_value() && b->defined();
    if (w.size(1) < onednnForwardMin) return at::conv_transpose2d(x, w, b, stride, padding, outputPadding, groups, dilation);
    const at::Tensor like = at::empty(outSize(x, w, stride, padding, outputPadding, groups, dilation), x.options());
    at::Tensor y = std::get<0>(at::convolution_backward(x, like, w, c10::nullopt, stride, padding, dilation, false, {0, 0}, groups, {true, false, false}));
    if (b.has_value() && b->defined()) y.add_(b->view({1, -1, 1, 1}));
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor& x = saved[0];
    const at::Tensor& w = saved[1];
    const auto stride = ctx->saved_data["stride"].toIntVector();
    const auto padding = ctx->saved_data["padding"].toIntVector();
    const auto dilation = ctx->saved_data["dilation"].toIntVector();
    const int64_t groups = ctx->saved_data["groups"].toInt();
    const bool hasBias = ctx->saved_data["bias"].toBool();
    at::Tensor gy = grads[0].contiguous();
    at::Tensor gx, gw, gb;
    if (ctx->needs_input_grad(0)) gx = at::conv2d(gy, w, {}, stride, padding, dilation, groups);
    if (ctx->needs_input_grad(1))
      gw = std::get<1>(at::convolution_backward(x, gy, w, c10::nullopt, stride, padding, dilation, false, {0, 0}, groups, {false, true, false}));
    if (hasBias && ctx->needs_input_grad(2)) gb = gy.sum({0, 2, 3});
    return {gx, gw, gb, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

at::Tensor convTranspose2dOneDnn(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b, at::IntArrayRef stride,
                                 at::IntArrayRef padding, at::IntArrayRef outputPadding, int64_t groups, at::IntArrayRef dilation,
                                 int64_t onednnForwardMin) {
  TORCH_CHECK(x.dim() == 4 && w.dim() == 4 && x.device().is_cpu() && x.scalar_type() == at::kFloat && w.scalar_type() == at::kFloat,
              "genlab::conv_transpose2d_onednn: expected 4-d CPU float32 input and weight, got ", x.sizes(), " ", x.scalar_type(), " and ",
              w.sizes(), " ", w.scalar_type());
  TORCH_CHECK(stride.size() == 2 && padding.size() == 2 && outputPadding.size() == 2 && dilation.size() == 2,
              "genlab::conv_transpose2d_onednn: stride, padding, output_padding and dilation need 2 values each");
  return ConvTranspose2dOneDnn::apply(x, w, b, stride.vec(), padding.vec(), outputPadding.vec(), groups, dilation.vec(), onednnForwardMin);
}

}  // namespace

}  // namespace genlab

TORCH_LIBRARY(genlab, m) {
  m.def("conv_transpose2d_onednn(Tensor input, Tensor weight, Tensor? bias, int[2] stride, int[2] padding, int[2] output_padding, int groups, "
        "int[2] dilation, int onednn_forward_min) -> Tensor",
        &genlab::convTranspose2dOneDnn);
}
