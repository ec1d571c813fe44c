// genlab native core: tensor handles, memory accounting, data in and out, RNG, threads, devices.
// Operators are called generically through ATen's dispatcher (ops.cc); autograd lives in autograd.cc.
#include "common.h"

#include <ATen/Parallel.h>
#include <ATen/core/Generator.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/api/include/torch/version.h>

#include <cstdlib>
#include <cstring>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <mutex>
#include <sstream>
#include <unordered_set>

namespace genlab {


EnvState* state(napi_env env) {
  EnvState* st = nullptr;
  napi_get_instance_data(env, reinterpret_cast<void**>(&st));
  return st;
}

napi_value wrapTensor(napi_env env, EnvState* st, at::Tensor t) {
  uint32_t index;
  if (!st->freeSlots.empty()) {
    index = st->freeSlots.back();
    st->freeSlots.pop_back();
  } else {
    if (st->slots.size() > static_cast<size_t>(kSlotMask)) throw std::runtime_error("too many live tensors (16M); dispose some");
    index = static_cast<uint32_t>(st->slots.size());
    st->slots.emplace_back();
  }
  Slot& slot = st->slots[index];
  slot.t = std::move(t);
  slot.live = true;
  st->live++;
  napi_value out;
  napi_create_double(env, static_cast<double>((static_cast<int64_t>(slot.gen) << kSlotBits) | index), &out);
  return out;
}

napi_value wrapTensor(napi_env env, at::Tensor t) { return wrapTensor(env, state(env), std::move(t)); }

Slot* slotOfHandle(EnvState* st, double d) {
  if (!(d >= 0) || d > 9007199254740991.0) return nullptr;
  auto h = static_cast<int64_t>(d);
  if (static_cast<double>(h) != d) return nullptr;
  size_t index = static_cast<size_t>(h & kSlotMask);
  if (index >= st->slots.size()) return nullptr;
  Slot& slot = st->slots[index];
  if (slot.gen != static_cast<uint32_t>(h >> kSlotBits)) return nullptr;
  return &slot;
}

Slot* slotOf(napi_env env, EnvState* st, napi_value v) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) return nullptr;
  return slotOfHandle(st, d);
}

const at::Tensor& unwrapTensor(napi_env env, napi_value v, const char* what) {
  Slot* slot = slotOf(env, state(env), v);
  if (!slot || !slot->live) throw std::invalid_argument(std::string(what) + ": expected a live Tensor (it may have been disposed)");
  return slot->t;
}

void releaseSlot(EnvState* st, int64_t handle) {
  Slot* slot = slotOfHandle(st, static_cast<double>(handle));
  if (!slot || !slot->live) return;
  slot->t.reset();
  slot->live = false;
  slot->gen = (slot->gen + 1) & 0x1fffffff;
  st->live--;
  st->freeSlots.push_back(static_cast<uint32_t>(handle & kSlotMask));
}

const char* dtypeName(at::ScalarType s) {
  switch (s) {
    case at::kFloat: return "float32";
    case at::kDouble: return "float64";
    case at::kHalf: return "float16";
    case at::kBFloat16: return "bfloat16";
    case at::kInt: return "int32";
    case at::kLong: return "int64";
    case at::kShort: return "int16";
    case at::kChar: return "int8";
    case at::kByte: return "uint8";
    case at::kBool: return "bool";
    case at::kComplexFloat: return "complex64";
    case at::kComplexDouble: return "complex128";
    default: return c10::toString(s);
  }
}

std::string describeTensor(const at::Tensor& t) {
  if (!t.defined()) return "undefined";
  std::ostringstream o;
  o << dtypeName(t.scalar_type()) << "[";
  auto sz = t.sizes();
  for (size_t i = 0; i < sz.size(); i++) o << (i ? ", " : "") << sz[i];
  o << "]";
  if (!t.device().is_cpu()) o << "@" << t.device().str();
  return o.str();
}

void throwJs(napi_env env, const std::string& message) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return;
  napi_throw_error(env, nullptr, message.c_str());
}

// ---- handle lifetime and memory accounting -------------------------------------------------

static Napi::Value Dispose(const Napi::CallbackInfo& info) {
  EnvState* st = state(info.Env());
  for (size_t i = 0; i < info.Length(); i++) {
    double d;
    if (napi_get_value_double(info.Env(), info[i], &d) == napi_ok && d >= 0) releaseSlot(st, static_cast<int64_t>(d));
  }
  return info.Env().Undefined();
}

// Disposes every handle of a JS array (the end of a scope) in one call.
static Napi::Value DisposeArray(const Napi::CallbackInfo& info) {
  EnvState* st = state(info.Env());
  napi_env env = info.Env();
  napi_value arr = info[0];
  uint32_t n = 0;
  napi_get_array_length(env, arr, &n);
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    napi_get_element(env, arr, i, &v);
    double d;
    if (napi_get_value_double(env, v, &d) == napi_ok && d >= 0) releaseSlot(st, static_cast<int64_t>(d));
  }
  return info.Env().Undefined();
}

// { tensors, bytes }: live handles of this thread and the bytes of their distinct storages.
static Napi::Value Memory(const Napi::CallbackInfo& info) {
  EnvState* st = state(info.Env());
  std::unordered_set<const void*> seen;
  double bytes = 0;
  for (const Slot& s : st->slots) {
    if (!s.live || !s.t.defined() || !s.t.has_storage()) continue;
    const void* key = s.t.storage().unsafeGetStorageImpl();
    if (seen.insert(key).second) bytes += static_cast<double>(s.t.storage().nbytes());
  }
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("tensors", Napi::Number::New(info.Env(), static_cast<double>(st->live)));
  o.Set("bytes", Napi::Number::New(info.Env(), bytes));
  return o;
}

// ---- metadata -----------------------------------------------------------------------------

static Napi::Value Shape(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  const at::Tensor& t = unwrapTensor(info.Env(), info[0], "shape");
  auto sz = t.sizes();
  napi_value arr;
  napi_create_array_with_length(info.Env(), sz.size(), &arr);
  for (size_t i = 0; i < sz.size(); i++) {
    napi_value n;
    napi_create_double(info.Env(), static_cast<double>(sz[i]), &n);
    napi_set_element(info.Env(), arr, i, n);
  }
  return Napi::Value(info.Env(), arr);
  GENLAB_CATCH(info.Env())
}

static Napi::Value Strides(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  const at::Tensor& t = unwrapTensor(info.Env(), info[0], "stride");
  auto sz = t.strides();
  Napi::Array arr = Napi::Array::New(info.Env(), sz.size());
  for (size_t i = 0; i < sz.size(); i++) arr.Set(i, Napi::Number::New(info.Env(), static_cast<double>(sz[i])));
  return arr;
  GENLAB_CATCH(info.Env())
}

static Napi::Value Dim(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  return Napi::Number::New(info.Env(), static_cast<double>(unwrapTensor(info.Env(), info[0], "dim").dim()));
  GENLAB_CATCH(info.Env())
}

static Napi::Value Numel(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  return Napi::Number::New(info.Env(), static_cast<double>(unwrapTensor(info.Env(), info[0], "numel").numel()));
  GENLAB_CATCH(info.Env())
}

// dtype as the integer code of c10::ScalarType.
static Napi::Value Dtype(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  return Napi::Number::New(info.Env(), static_cast<int>(unwrapTensor(info.Env(), info[0], "dtype").scalar_type()));
  GENLAB_CATCH(info.Env())
}

static Napi::Value DeviceOf(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  return Napi::String::New(info.Env(), unwrapTensor(info.Env(), info[0], "device").device().str());
  GENLAB_CATCH(info.Env())
}

static Napi::Value IsContiguous(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  // isContiguous(h, channelsLast?: boolean): contiguous in the given memory format (default contiguous_format)
  const at::Tensor& t = unwrapTensor(info.Env(), info[0], "isContiguous");
  bool cl = info.Length() > 1 && info[1].IsBoolean() && info[1].As<Napi::Boolean>().Value();
  if (!cl) return Napi::Boolean::New(info.Env(), t.is_contiguous());
  if (t.dim() != 4) return Napi::Boolean::New(info.Env(), false);
  return Napi::Boolean::New(info.Env(), t.is_contiguous(at::MemoryFormat::ChannelsLast));
  GENLAB_CATCH(info.Env())
}

// ---- data in and out ------------------------------------------------------------------------


// fromBuffer(typedArray, shape: number[], dtypeCode) -> handle. Copies the data.
static Napi::Value FromBuffer(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  Napi::Env env = info.Env();
  Napi::TypedArray ta = info[0].As<Napi::TypedArray>();
  Napi::Array shapeArr = info[1].As<Napi::Array>();
  auto dtype = static_cast<at::ScalarType>(info[2].As<Napi::Number>().Int32Value());
  std::vector<int64_t> shape(shapeArr.Length());
  int64_t numel = 1;
  for (uint32_t i = 0; i < shapeArr.Length(); i++) {
    shape[i] = static_cast<int64_t>(shapeArr.Get(i).As<Napi::Number>().DoubleValue());
    numel *= shape[i];
  }
  size_t need = static_cast<size_t>(numel) * c10::elementSize(dtype);
  if (ta.ByteLength() != need) {
    throw std::invalid_argument("fromBuffer: data has " + std::to_string(ta.ByteLength()) + " bytes but shape and dtype " +
                                dtypeName(dtype) + " need " + std::to_string(need));
  }
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(dtype));
  if (need) {
    auto* src = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
    std::memcpy(t.data_ptr(), src, need);
  }
  return Napi::Value(env, wrapTensor(env, std::move(t)));
  GENLAB_CATCH(info.Env())
}

// toBuffer(handle) -> ArrayBuffer with the tensor's elements, contiguous, row-major, on the CPU.
static Napi::Value ToBuffer(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  Napi::Env env = info.Env();
  at::Tensor t = unwrapTensor(env, info[0], "toBuffer");
  {
    at::NoGradGuard ng;
    t = t.detach();
    if (!t.device().is_cpu()) t = t.to(at::kCPU);
    if (t.scalar_type() == at::kHalf || t.scalar_type() == at::kBFloat16) t = t.to(at::kFloat);
    t = t.contiguous();
  }
  size_t n = t.numel() * t.element_size();
  Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(env, n);
  if (n) std::memcpy(buf.Data(), t.data_ptr(), n);
  return buf;
  GENLAB_CATCH(info.Env())
}

// ---- RNG, threads, devices, build info ------------------------------------------------------

static Napi::Value ManualSeed(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  uint64_t seed = static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value());
  at::manual_seed(seed);
  return info.Env().Undefined();
  GENLAB_CATCH(info.Env())
}

static void finalizeGenerator(node_api_basic_env, void* data, void*) { delete static_cast<GeneratorBox*>(data); }

static Napi::Value NewGenerator(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  napi_env env = info.Env();
  std::string device = info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "cpu";
  at::Device dev(device);
  at::Generator g;
  if (dev.is_cpu()) {
    g = at::make_generator<at::CPUGeneratorImpl>();
  } else if (dev.is_cuda()) {
    // Context::defaultGenerator exists in libtorch 1.13 and 2.x (the CUDA hooks' accessor was renamed in 2.5).
    g = at::globalContext().defaultGenerator(at::Device(at::kCUDA, dev.has_index() ? dev.index() : 0)).clone();
  } else {
    throw std::invalid_argument("Generator: unsupported device " + device);
  }
  if (info.Length() > 0 && info[0].IsNumber()) {
    std::lock_guard<std::mutex> lock(g.mutex());
    g.set_current_seed(static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value()));
  }
  auto* p = new GeneratorBox();
  p->g = std::move(g);
  napi_value ext;
  napi_create_external(env, p, finalizeGenerator, nullptr, &ext);
  return Napi::Value(env, ext);
  GENLAB_CATCH(info.Env())
}

at::Generator& unwrapGenerator(napi_env env, napi_value v) {
  napi_valuetype type;
  napi_typeof(env, v, &type);
  void* data = nullptr;
  if (type == napi_external) napi_get_value_external(env, v, &data);
  auto* box = static_cast<GeneratorBox*>(data);
  if (!box || box->magic != kGeneratorMagic) throw std::invalid_argument("expected a Generator");
  return box->g;
}

static Napi::Value GeneratorSeed(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  at::Generator& g = unwrapGenerator(info.Env(), info[0]);
  std::lock_guard<std::mutex> lock(g.mutex());
  if (info.Length() > 1 && info[1].IsNumber()) {
    g.set_current_seed(static_cast<uint64_t>(info[1].As<Napi::Number>().Int64Value()));
  }
  return Napi::Number::New(info.Env(), static_cast<double>(g.current_seed()));
  GENLAB_CATCH(info.Env())
}

static Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  int n = info[0].As<Napi::Number>().Int32Value();
  if (n < 1) throw std::invalid_argument("setNumThreads: need n >= 1, got " + std::to_string(n));
  at::set_num_threads(n);
  return info.Env().Undefined();
  GENLAB_CATCH(info.Env())
}

static Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), at::get_num_threads());
}

static Napi::Value CudaDeviceCount(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  int n = at::detail::getCUDAHooks().hasCUDA() ? at::detail::getCUDAHooks().getNumGPUs() : 0;
  return Napi::Number::New(info.Env(), n);
  GENLAB_CATCH(info.Env())
}

static Napi::Value SetGradEnabled(const Napi::CallbackInfo& info) {
  c10::GradMode::set_enabled(info[0].As<Napi::Boolean>().Value());
  return info.Env().Undefined();
}

static Napi::Value IsGradEnabled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), c10::GradMode::is_enabled());
}

// Runs fn() under c10::InferenceMode (synchronous callbacks only).
static Napi::Value WithInferenceMode(const Napi::CallbackInfo& info) {
  c10::InferenceMode guard(true);
  return info[0].As<Napi::Function>().Call({});
}

static Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("torchVersion", Napi::String::New(env, std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." + std::to_string(TORCH_VERSION_PATCH)));
  o.Set("cuda", Napi::Boolean::New(env, at::detail::getCUDAHooks().hasCUDA()));
  o.Set("parallelInfo", Napi::String::New(env, at::get_parallel_info()));
  o.Set("config", Napi::String::New(env, at::show_config()));
  return o;
}

// glibc returns freed blocks above its mmap threshold (128 KiB at first) to the kernel at once, so
// every large activation is page-faulted in again; it raises that threshold by itself only in
// processes that never called mallopt, which Node's does not qualify as. Setting the values glibc
// would reach on its own in a Python process (32 MiB, trim at 64 MiB) made a Glow step 1.4x and
// a 3x3 conv with a 3 MB output 2.6x faster. GENLAB_MALLOC_TUNING=0 leaves malloc alone.
static void tuneMalloc() {
#ifdef __GLIBC__
  static bool done = false;
  if (done) return;
  done = true;
  const char* opt = std::getenv("GENLAB_MALLOC_TUNING");
  if (opt && std::string(opt) == "0") return;
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") || std::getenv("MALLOC_TRIM_THRESHOLD_")) return;  // the user chose
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
#endif
}

void installCpuAllocator();

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  tuneMalloc();
  installCpuAllocator();
  env.SetInstanceData<EnvState>(new EnvState());

  exports.Set("dispose", Napi::Function::New(env, Dispose));
  exports.Set("disposeArray", Napi::Function::New(env, DisposeArray));
  exports.Set("memory", Napi::Function::New(env, Memory));
  exports.Set("shape", Napi::Function::New(env, Shape));
  exports.Set("strides", Napi::Function::New(env, Strides));
  exports.Set("dim", Napi::Function::New(env, Dim));
  exports.Set("numel", Napi::Function::New(env, Numel));
  exports.Set("dtype", Napi::Function::New(env, Dtype));
  exports.Set("device", Napi::Function::New(env, DeviceOf));
  exports.Set("isContiguous", Napi::Function::New(env, IsContiguous));
  exports.Set("fromBuffer", Napi::Function::New(env, FromBuffer));
  exports.Set("toBuffer", Napi::Function::New(env, ToBuffer));
  exports.Set("manualSeed", Napi::Function::New(env, ManualSeed));
  exports.Set("newGenerator", Napi::Function::New(env, NewGenerator));
  exports.Set("generatorSeed", Napi::Function::New(env, GeneratorSeed));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads));
  exports.Set("getNumThreads", Napi::Function::New(env, GetNumThreads));
  exports.Set("cudaDeviceCount", Napi::Function::New(env, CudaDeviceCount));
  exports.Set("setGradEnabled", Napi::Function::New(env, SetGradEnabled));
  exports.Set("isGradEnabled", Napi::Function::New(env, IsGradEnabled));
  exports.Set("withInferenceMode", Napi::Function::New(env, WithInferenceMode));
  exports.Set("buildInfo", Napi::Function::New(env, BuildInfo));
  initOps(env, exports);
  initAutograd(env, exports);
  initGuards(env, exports);
  initFunction(env, exports);
  initDistributed(env, exports);
  initProfiler(env, exports);
  return exports;
}

}  // namespace genlab

static Napi::Object InitGenlab(Napi::Env env, Napi::Object exports) { return genlab::Init(env, exports); }
NODE_API_MODULE(genlab, InitGenlab)
