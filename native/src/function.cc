// Custom autograd functions with a JavaScript backward (PyTorch's torch.autograd.Function).
//
// JS computes the outputs without recording a graph, then calls customFunction(id, inputs, outputs):
// a JsFunctionBackward node is created whose next edges are the inputs' gradient edges, and each
// output gets the node as its grad_fn. When the engine reaches the node it calls the one JS
// dispatcher registered for this thread with (id, gradient handles) and takes back one gradient
// (or null) per input. The engine runs CPU nodes on the thread that called backward, which is the
// JS thread here; a node reached on any other thread (a device thread of a CUDA backward) is an
// error naming the function, never a call into JS from the wrong thread.
#include "common.h"

#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/csrc/autograd/variable.h>

#include <mutex>
#include <thread>
#include <unordered_map>

namespace genlab {

namespace {

struct Dispatcher {
  napi_env env = nullptr;
  napi_ref fn = nullptr;
  std::thread::id thread;
};

// One dispatcher per JS thread (main thread and each worker).
thread_local Dispatcher tlsDispatcher;

// Ids of destroyed nodes (the graph holding them is gone, so a backward can no longer reach them): JS
// drains this list (customFunctionReleased) and drops their saved state. Guarded: a node may be freed on
// any thread.
std::mutex deadMutex;
std::unordered_map<napi_env, std::vector<double>> deadIds;

std::string pendingMessage(napi_env env) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) return "the JS dispatcher failed";
  napi_value exc;
  napi_get_and_clear_last_exception(env, &exc);
  napi_value msg;
  napi_valuetype t;
  napi_typeof(env, exc, &t);
  if (t == napi_object) {
    napi_value m;
    if (napi_get_named_property(env, exc, "message", &m) == napi_ok) exc = m;
  }
  if (napi_coerce_to_string(env, exc, &msg) != napi_ok) return "an exception that is not a string";
  size_t len = 0;
  napi_get_value_string_utf8(env, msg, nullptr, 0, &len);
  std::string s(len, '\0');
  napi_get_value_string_utf8(env, msg, s.data(), len + 1, &len);
  return s;
}

struct JsFunctionBackward : torch::autograd::Node {
  double id = 0;
  std::string fnName;
  napi_env env = nullptr;

  std::string name() const override { return fnName + "Backward"; }

  torch::autograd::variable_list apply(torch::autograd::variable_list&& grads) override {
    Dispatcher& d = tlsDispatcher;
    if (d.env != env || d.fn == nullptr || std::this_thread::get_id() != d.thread) {
      throw std::runtime_error("autograd.Function " + fnName +
                               ": backward was reached off the JavaScript thread that made it (custom functions run on CPU tensors "
                               "and in the thread that calls backward)");
    }
    if (torch::autograd::GradMode::is_enabled()) {
      throw std::runtime_error("autograd.Function " + fnName +
                               ": backward with createGraph is not supported (its backward is not itself differentiated)");
    }
    // Materialize gradients of outputs that received none (an output not used by the loss).
    for (size_t i = 0; i < grads.size(); i++) {
      if (!grads[i].defined()) grads[i] = input_metadata(i).zeros_like();
    }
    napi_handle_scope hs;
    napi_open_handle_scope(env, &hs);
    EnvState* st = state(env);
    napi_value args[2];
    napi_create_double(env, id, &args[0]);
    napi_create_array_with_length(env, grads.size(), &args[1]);
    for (size_t i = 0; i < grads.size(); i++) napi_set_element(env, args[1], i, wrapTensor(env, st, grads[i]));
    napi_value fn, undef, result;
    napi_get_reference_value(env, d.fn, &fn);
    napi_get_undefined(env, &undef);
    napi_status s = napi_call_function(env, undef, fn, 2, args, &result);
    if (s != napi_ok) {
      std::string msg = pendingMessage(env);
      napi_close_handle_scope(env, hs);
      throw std::runtime_error("autograd.Function " + fnName + " backward: " + msg);
    }
    torch::autograd::variable_list out(num_outputs());
    uint32_t n = 0;
    napi_get_array_length(env, result, &n);
    if (n != num_outputs()) {
      napi_close_handle_scope(env, hs);
      throw std::runtime_error("autograd.Function " + fnName + " backward returned " + std::to_string(n) + " gradients for " +
                               std::to_string(num_outputs()) + " inputs");
    }
    for (uint32_t i = 0; i < n; i++) {
      napi_value e;
      napi_get_element(env, result, i, &e);
      napi_valuetype t;
      napi_typeof(env, e, &t);
      if (t == napi_null || t == napi_undefined) continue;
      Slot* slot = slotOf(env, st, e);
      if (!slot) {
        napi_close_handle_scope(env, hs);
        throw std::runtime_error("autograd.Function " + fnName + " backward: gradient " + std::to_string(i) + " is not a live Tensor");
      }
      out[i] = slot->t;
    }
    napi_close_handle_scope(env, hs);
    return out;
  }

  ~JsFunctionBackward() override {
    if (env == nullptr) return;
    std::lock_guard<std::mutex> lock(deadMutex);
    deadIds[env].push_back(id);
  }
};

std::vector<at::Tensor> handles(napi_env env, napi_value v, const char* what) {
  std::vector<at::Tensor> out;
  uint32_t n = 0;
  napi_get_array_length(env, v, &n);
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    napi_get_element(env, v, i, &e);
    out.push_back(unwrapTensor(env, e, what));
  }
  return out;
}

// setCustomFunctionDispatcher(fn): fn(id, gradHandles[]) => (handle | null)[]
Napi::Value SetDispatcher(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  napi_env env = info.Env();
  Dispatcher& d = tlsDispatcher;
  if (d.fn) napi_delete_reference(env, d.fn);
  d.env = env;
  d.thread = std::this_thread::get_id();
  napi_create_reference(env, info[0], 1, &d.fn);
  return info.Env().Undefined();
  GENLAB_CATCH(info.Env())
}

// customFunction(id, name, inputs[], outputs[]) -> output handles[] (new handles; outputs that alias
// an input or are views are cloned first, so the node owns fresh tensors)
Napi::Value CustomFunction(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  napi_env env = info.Env();
  double id = info[0].As<Napi::Number>().DoubleValue();
  std::string name = info[1].As<Napi::String>().Utf8Value();
  auto inputs = handles(env, info[2], "autograd.Function input");
  auto outputs = handles(env, info[3], "autograd.Function output");
  auto node = std::shared_ptr<JsFunctionBackward>(new JsFunctionBackward(), torch::autograd::deleteNode);
  node->id = id;
  node->fnName = name;
  node->env = env;
  node->set_next_edges(torch::autograd::collect_next_edges(at::TensorList(inputs)));
  EnvState* st = state(env);
  Napi::Array arr = Napi::Array::New(env, outputs.size());
  for (size_t i = 0; i < outputs.size(); i++) {
    at::Tensor o = outputs[i];
    bool alias = o.is_view() || o.requires_grad();
    for (const auto& in : inputs) alias = alias || o.is_same(in);
    if (alias) o = o.detach().clone();
    else o = o.detach();
    if (!at::isFloatingType(o.scalar_type()) && !at::isComplexType(o.scalar_type())) {
      throw std::invalid_argument("autograd.Function " + name + ": output " + std::to_string(i) + " (" + describeTensor(o) +
                                  ") is not floating point, so it cannot carry a gradient");
    }
    torch::autograd::create_gradient_edge(o, node);
    arr.Set(i, Napi::Value(env, wrapTensor(env, st, o)));
  }
  return arr;
  GENLAB_CATCH(info.Env())
}

// customFunctionReleased() -> ids of destroyed nodes (their JS state can go)
Napi::Value Released(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  std::vector<double> ids;
  {
    std::lock_guard<std::mutex> lock(deadMutex);
    auto it = deadIds.find(env);
    if (it != deadIds.end()) ids.swap(it->second);
  }
  Napi::Array arr = Napi::Array::New(env, ids.size());
  for (size_t i = 0; i < ids.size(); i++) arr.Set(i, Napi::Number::New(env, ids[i]));
  return arr;
}

}  // namespace

void initFunction(Napi::Env env, Napi::Object exports) {
  exports.Set("setCustomFunctionDispatcher", Napi::Function::New(env, SetDispatcher));
  exports.Set("customFunction", Napi::Function::New(env, CustomFunction));
  exports.Set("customFunctionReleased", Napi::Function::New(env, Released));
}

}  // namespace genlab
