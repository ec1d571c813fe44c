// Shared declarations of the genlab native core: the tensor handle and the per-thread state.
#pragma once

// An experimental Node-API module: its "basic" finalizers run during garbage collection itself, which
// guard.cc needs (a synchronous loop never lets deferred finalizers run).
#ifndef NAPI_EXPERIMENTAL
#define NAPI_EXPERIMENTAL
#endif
#include <napi.h>

#include <ATen/ATen.h>

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace genlab {

// The payload of a tensor handle. JavaScript holds it through a Napi::External tagged with
// kTensorTag. `dispose` releases the tensor at once; the finalizer is the safety net.
constexpr uint64_t kGeneratorMagic = 0x67656e6c61624742ULL;  // "genlabGB"

// Tensor handles are plain JS numbers: a slot index in this thread's table plus the slot's
// generation, so that a disposed or stale handle is recognized (an error, never a crash) and no
// JS object is made per tensor by the native side. `dispose` releases the tensor at once; the JS
// layer registers a finalizer (FinalizationRegistry) for tensors that no scope owns.
constexpr int kSlotBits = 24;
constexpr int64_t kSlotMask = (int64_t{1} << kSlotBits) - 1;

struct Slot {
  at::Tensor t;
  uint32_t gen = 0;
  bool live = false;
};

// Per-JS-thread (main thread or worker) state, stored as the addon's instance data.
struct EnvState {
  std::deque<Slot> slots;  // a deque: references stay valid while it grows
  std::vector<uint32_t> freeSlots;
  int64_t live = 0;
  std::vector<c10::IValue> stack;  // the boxed call stack, reused
};

EnvState* state(napi_env env);

struct GeneratorBox {
  uint64_t magic = kGeneratorMagic;
  at::Generator g;
};

// Wraps a tensor into a new handle (a JS number).
napi_value wrapTensor(napi_env env, at::Tensor t);
napi_value wrapTensor(napi_env env, EnvState* st, at::Tensor t);
// The slot behind a handle, or nullptr when `v` is not a number that names a slot of this thread.
Slot* slotOf(napi_env env, EnvState* st, napi_value v);
Slot* slotOfHandle(EnvState* st, double handle);
// The live tensor behind a handle; throws std::invalid_argument naming `what` otherwise.
const at::Tensor& unwrapTensor(napi_env env, napi_value v, const char* what);
void releaseSlot(EnvState* st, int64_t handle);

at::Generator& unwrapGenerator(napi_env env, napi_value v);
std::string describeTensor(const at::Tensor& t);
const char* dtypeName(at::ScalarType s);

// Throws a JS Error for the current C++ exception. Use in catch blocks.
void throwJs(napi_env env, const std::string& message);

// Wraps the body of a Napi::Value callback: libtorch and argument errors become JS errors.
#define GENLAB_TRY try {
#define GENLAB_CATCH(env)                     \
  }                                           \
  catch (const c10::Error& e) {               \
    throwJs(env, e.what_without_backtrace()); \
    return Napi::Value();                     \
  }                                           \
  catch (const std::exception& e) {           \
    throwJs(env, e.what());                   \
    return Napi::Value();                     \
  }

void initOps(Napi::Env env, Napi::Object exports);
void initAutograd(Napi::Env env, Napi::Object exports);
void initGuards(Napi::Env env, Napi::Object exports);
void initFunction(Napi::Env env, Napi::Object exports);
void initDistributed(Napi::Env env, Napi::Object exports);
void initProfiler(Napi::Env env, Napi::Object exports);

}  // namespace genlab
