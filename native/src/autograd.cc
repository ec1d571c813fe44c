// Autograd entry points: backward, grad (with create_graph for higher order), .grad, leaf facts.
#include "common.h"

#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/variable.h>

namespace genlab {

static std::vector<at::Tensor> tensorList(napi_env env, napi_value v, const char* what, bool allowNull) {
  std::vector<at::Tensor> out;
  bool isArr = false;
  napi_is_array(env, v, &isArr);
  if (!isArr) throw std::invalid_argument(std::string(what) + ": expected an array of Tensors");
  uint32_t n = 0;
  napi_get_array_length(env, v, &n);
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    napi_get_element(env, v, i, &e);
    napi_valuetype t;
    napi_typeof(env, e, &t);
    if (allowNull && (t == napi_null || t == napi_undefined)) out.emplace_back();
    else out.push_back(unwrapTensor(env, e, what));
  }
  return out;
}

static bool isMissing(const Napi::Value& v) { return v.IsUndefined() || v.IsNull(); }

// backward(tensors[], grads[]|null, retainGraph: bool, createGraph: bool, inputs[]|null)
static Napi::Value Backward(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  napi_env env = info.Env();
  auto tensors = tensorList(env, info[0], "backward: tensors", false);
  std::vector<at::Tensor> grads;
  if (!isMissing(info[1])) grads = tensorList(env, info[1], "backward: gradient", true);
  for (size_t i = 0; i < tensors.size(); i++) {
    if (!tensors[i].requires_grad()) {
      throw std::invalid_argument("backward: tensor " + std::to_string(i) + " (" + describeTensor(tensors[i]) +
                                  ") does not require grad and has no grad_fn");
    }
    bool hasGrad = i < grads.size() && grads[i].defined();
    if (!hasGrad && tensors[i].numel() != 1) {
      throw std::invalid_argument("backward: a gradient is needed for the non-scalar output " + describeTensor(tensors[i]) +
                                  " (pass its gradient, a tensor of the same shape: y.backward(gradient), y.backward({ gradient }) or torch.autograd.backward([y], [gradient]))");
    }
  }
  bool retain = info[2].IsBoolean() && info[2].As<Napi::Boolean>().Value();
  bool create = info[3].IsBoolean() && info[3].As<Napi::Boolean>().Value();
  std::vector<at::Tensor> inputs;
  if (info.Length() > 4 && !isMissing(info[4])) inputs = tensorList(env, info[4], "backward: inputs", false);
  torch::autograd::backward(tensors, grads, retain || create, create, inputs);
  return info.Env().Undefined();
  GENLAB_CATCH(info.Env())
}

// grad(outputs[], inputs[], gradOutputs[]|null, retainGraph: bool|null, createGraph: bool, allowUnused: bool)
static Napi::Value Grad(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  napi_env env = info.Env();
  auto outputs = tensorList(env, info[0], "autograd.grad: outputs", false);
  auto inputs = tensorList(env, info[1], "autograd.grad: inputs", false);
  std::vector<at::Tensor> gradOutputs;
  if (!isMissing(info[2])) gradOutputs = tensorList(env, info[2], "autograd.grad: gradOutputs", true);
  bool create = info[4].IsBoolean() && info[4].As<Napi::Boolean>().Value();
  c10::optional<bool> retain;
  if (info[3].IsBoolean()) retain = info[3].As<Napi::Boolean>().Value();
  bool allowUnused = info[5].IsBoolean() && info[5].As<Napi::Boolean>().Value();
  for (size_t i = 0; i < inputs.size(); i++) {
    if (!inputs[i].requires_grad()) {
      throw std::invalid_argument("autograd.grad: input " + std::to_string(i) + " (" + describeTensor(inputs[i]) + ") does not require grad");
    }
  }
  for (size_t i = 0; i < outputs.size(); i++) {
    bool hasGrad = i < gradOutputs.size() && gradOutputs[i].defined();
    if (!hasGrad && outputs[i].numel() != 1) {
      throw std::invalid_argument("autograd.grad: output " + std::to_string(i) + " (" + describeTensor(outputs[i]) +
                                  ") is not a scalar; pass gradOutputs");
    }
  }
  auto res = torch::autograd::grad(outputs, inputs, gradOutputs, retain, create, allowUnused);
  Napi::Array arr = Napi::Array::New(env, res.size());
  for (size_t i = 0; i < res.size(); i++) {
    if (res[i].defined()) arr.Set(i, Napi::Value(env, wrapTensor(env, res[i])));
    else arr.Set(i, Napi::Env(env).Null());
  }
  return arr;
  GENLAB_CATCH(info.Env())
}

static Napi::Value GetGrad(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  const at::Tensor& t = unwrapTensor(info.Env(), info[0], "grad");
  const at::Tensor& g = t.grad();
  if (!g.defined()) return info.Env().Null();
  return Napi::Value(info.Env(), wrapTensor(info.Env(), g));
  GENLAB_CATCH(info.Env())
}

static Napi::Value SetGrad(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  const at::Tensor& t = unwrapTensor(info.Env(), info[0], "grad");
  if (isMissing(info[1])) {
    const_cast<at::Tensor&>(t).mutable_grad().reset();
  } else {
    const at::Tensor& g = unwrapTensor(info.Env(), info[1], "grad value");
    if (g.sizes() != t.sizes()) {
      throw std::invalid_argument("setting .grad: shape " + describeTensor(g) + " does not match the tensor " + describeTensor(t));
    }
    const_cast<at::Tensor&>(t).mutable_grad() = g;
  }
  return info.Env().Undefined();
  GENLAB_CATCH(info.Env())
}

static Napi::Value RequiresGrad(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  return Napi::Boolean::New(info.Env(), unwrapTensor(info.Env(), info[0], "requiresGrad").requires_grad());
  GENLAB_CATCH(info.Env())
}

static Napi::Value SetRequiresGrad(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  const at::Tensor& t = unwrapTensor(info.Env(), info[0], "requiresGrad_");
  bool flag = info[1].As<Napi::Boolean>().Value();
  if (!t.is_leaf()) {
    if (flag && t.requires_grad()) return info.Env().Undefined();
    throw std::invalid_argument("requiresGrad_: only leaf tensors can change requires_grad; use detach() to cut a computed tensor from the graph");
  }
  if (flag && !(at::isFloatingType(t.scalar_type()) || at::isComplexType(t.scalar_type()))) {
    throw std::invalid_argument(std::string("requiresGrad_: only floating point tensors can require gradients, got ") +
                                dtypeName(t.scalar_type()));
  }
  const_cast<at::Tensor&>(t).set_requires_grad(flag);
  return info.Env().Undefined();
  GENLAB_CATCH(info.Env())
}

static Napi::Value IsLeaf(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  return Napi::Boolean::New(info.Env(), unwrapTensor(info.Env(), info[0], "isLeaf").is_leaf());
  GENLAB_CATCH(info.Env())
}

static Napi::Value GradFnName(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  const at::Tensor& t = unwrapTensor(info.Env(), info[0], "gradFn");
  auto fn = t.grad_fn();
  if (!fn) return info.Env().Null();
  std::string name = fn->name();
  // a C++ autograd function (torch::autograd::Function<T>, e.g. native/src/conv_transpose.cc) is named
  // "<T>Backward", as PyTorch names a Python one, not "torch::autograd::CppNode<ns::T>"
  const std::string cpp = "torch::autograd::CppNode<";
  if (name.rfind(cpp, 0) == 0 && name.back() == '>') {
    std::string inner = name.substr(cpp.size(), name.size() - cpp.size() - 1);
    const auto colon = inner.rfind("::");
    name = (colon == std::string::npos ? inner : inner.substr(colon + 2)) + "Backward";
  }
  return Napi::String::New(info.Env(), name);
  GENLAB_CATCH(info.Env())
}

static Napi::Value RetainGrad(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  unwrapTensor(info.Env(), info[0], "retainGrad").retain_grad();
  return info.Env().Undefined();
  GENLAB_CATCH(info.Env())
}

void initAutograd(Napi::Env env, Napi::Object exports) {
  exports.Set("backward", Napi::Function::New(env, Backward));
  exports.Set("grad", Napi::Function::New(env, Grad));
  exports.Set("getGrad", Napi::Function::New(env, GetGrad));
  exports.Set("setGrad", Napi::Function::New(env, SetGrad));
  exports.Set("requiresGrad", Napi::Function::New(env, RequiresGrad));
  exports.Set("setRequiresGrad", Napi::Function::New(env, SetRequiresGrad));
  exports.Set("isLeaf", Napi::Function::New(env, IsLeaf));
  exports.Set("gradFnName", Napi::Function::New(env, GradFnName));
  exports.Set("retainGrad", Napi::Function::New(env, RetainGrad));
}

}  // namespace genlab
