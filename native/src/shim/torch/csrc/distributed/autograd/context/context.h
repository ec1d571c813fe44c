// Stand-in for a header Debian's libtorch-dev does not ship (distributed autograd's context), which
// c10d/reducer.hpp includes only for two names: the context pointer type of its RPC bookkeeping (a
// shared_ptr, whose layout does not depend on the pointee) and the gradient callback type (checked
// by a static_assert). genlab never uses distributed autograd. The include path lists this folder
// after libtorch's own, so a libtorch that ships the real header uses it.
#pragma once

#include <ATen/ATen.h>

#include <functional>
#include <memory>

namespace torch {
namespace distributed {
namespace autograd {

class DistAutogradContext {
 public:
  using GradCallback = std::function<bool(at::Tensor&)>;
};
using ContextPtr = std::shared_ptr<DistAutogradContext>;

}  // namespace autograd
}  // namespace distributed
}  // namespace torch
