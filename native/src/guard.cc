// Garbage-collection guards for tensors that no scope owns (ARCHITECTURE.md, "Memory").
//
// A JS Tensor outside any scope holds a guard: a small external object whose finalizer runs during
// V8's garbage collection itself (the addon is built as an experimental Node-API module, whose
// "basic" finalizers run synchronously in GC), so that a synchronous training loop that never
// yields to the event loop still gets its dead tensors back; a FinalizationRegistry callback would
// wait for the loop to end. The finalizer only queues the handle and raises a flag in a JS-visible
// Int32Array. The queue is drained (the tensors freed) at the next turn of the event loop
// (node_api_post_finalizer, as a FinalizationRegistry would), or at once when JS makes a tensor and
// the queue holds many tensors or bytes (a synchronous loop) -- a point where no handle of a dead
// tensor is still in flight. A guard also reports its tensor's bytes to V8
// (napi_adjust_external_memory), so that V8 collects as often as native memory asks, not only as
// often as the small JS objects ask. Stale handles are harmless: a handle names a slot generation.
#include "common.h"

#include <algorithm>
#include <climits>

namespace genlab {

namespace {

struct Guard {
  EnvState* st;
  int64_t handle;
  int64_t bytes;
};

// Per-thread queue of handles whose JS tensors were collected (filled during GC, drained from JS).
struct GcQueue {
  std::vector<std::pair<int64_t, int64_t>> dead;  // (handle, bytes reported)
  int64_t bytes = 0;                               // their reported bytes
  int32_t* flag = nullptr;                         // JS Int32Array [pending count, pending KiB]
  napi_ref flagRef = nullptr;
};

GcQueue& queueOf(EnvState* st) {
  static thread_local GcQueue q;  // one JS thread per OS thread
  (void)st;
  return q;
}

int64_t drain(napi_env env, EnvState* st);

// Runs at the next turn of the event loop (node_api_post_finalizer), with JS allowed again.
void drainPosted(napi_env env, void* data, void*) { drain(env, static_cast<EnvState*>(data)); }

void finalizeGuard(node_api_basic_env env, void* data, void*) {
  auto* g = static_cast<Guard*>(data);
  GcQueue& q = queueOf(g->st);
  if (q.dead.empty()) node_api_post_finalizer(env, drainPosted, g->st, nullptr);
  q.dead.emplace_back(g->handle, g->bytes);
  q.bytes += g->bytes;
  if (q.flag) {
    q.flag[0] = static_cast<int32_t>(q.dead.size());
    q.flag[1] = static_cast<int32_t>(std::min<int64_t>(q.bytes >> 10, INT32_MAX));
  }
  delete g;
}

int64_t ownBytes(const at::Tensor& t) {
  if (!t.defined() || !t.has_storage() || t.is_view()) return 0;
  return static_cast<int64_t>(t.storage().nbytes());
}

// guard(handle) -> external: frees the tensor (at the next drain) once the external is collected.
Napi::Value GuardTensor(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  napi_env env = info.Env();
  EnvState* st = state(env);
  Slot* slot = slotOf(env, st, info[0]);
  if (!slot || !slot->live) throw std::invalid_argument("guard: expected a live Tensor");
  double d;
  napi_get_value_double(env, info[0], &d);
  auto* g = new Guard{st, static_cast<int64_t>(d), ownBytes(slot->t)};
  napi_value ext;
  if (napi_create_external(env, g, finalizeGuard, nullptr, &ext) != napi_ok) {
    delete g;
    throw std::runtime_error("guard: napi_create_external failed");
  }
  if (g->bytes) {
    int64_t total;
    napi_adjust_external_memory(env, g->bytes, &total);
  }
  return Napi::Value(env, ext);
  GENLAB_CATCH(info.Env())
}

// Releases the handles queued by collected guards; returns how many.
int64_t drain(napi_env env, EnvState* st) {
  GcQueue& q = queueOf(st);
  std::vector<std::pair<int64_t, int64_t>> dead;
  dead.swap(q.dead);
  q.bytes = 0;
  if (q.flag) q.flag[0] = q.flag[1] = 0;
  int64_t bytes = 0;
  for (auto& [h, b] : dead) {
    releaseSlot(st, h);
    bytes += b;
  }
  if (bytes) {
    int64_t total;
    napi_adjust_external_memory(env, -bytes, &total);
  }
  return static_cast<int64_t>(dead.size());
}

// drainCollected() -> number of tensors freed.
Napi::Value DrainCollected(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(drain(info.Env(), state(info.Env()))));
}

// setCollectedFlag(int32Array): where finalizers count queued handles, for JS to poll cheaply.
Napi::Value SetCollectedFlag(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  napi_env env = info.Env();
  GcQueue& q = queueOf(state(env));
  napi_typedarray_type type;
  size_t length;
  void* data;
  napi_value ab;
  size_t offset;
  if (napi_get_typedarray_info(env, info[0], &type, &length, &data, &ab, &offset) != napi_ok || type != napi_int32_array || length < 2) {
    throw std::invalid_argument("setCollectedFlag: expected an Int32Array");
  }
  if (q.flagRef) napi_delete_reference(env, q.flagRef);
  napi_create_reference(env, info[0], 1, &q.flagRef);
  q.flag = static_cast<int32_t*>(data);
  q.flag[0] = static_cast<int32_t>(q.dead.size());
  q.flag[1] = static_cast<int32_t>(std::min<int64_t>(q.bytes >> 10, INT32_MAX));
  return info.Env().Undefined();
  GENLAB_CATCH(info.Env())
}

}  // namespace

void initGuards(Napi::Env env, Napi::Object exports) {
  exports.Set("guard", Napi::Function::New(env, GuardTensor));
  exports.Set("drainCollected", Napi::Function::New(env, DrainCollected));
  exports.Set("setCollectedFlag", Napi::Function::New(env, SetCollectedFlag));
}

}  // namespace genlab
