// A per-operator CPU profiler over libtorch's RecordFunction observers: every ATen operator and
// autograd node that runs on this thread between profilerStart and profilerStop is timed, and the
// events are aggregated by name (and, when asked, input shapes) into count, total and self time.
// Self time = total minus the time of the operators it called, as in torch.autograd.profiler's
// key_averages(). The callback is thread-local: the CPU autograd engine runs backward on the
// calling thread, so backward nodes and their kernels are recorded too.
// libtorch is built with NDEBUG; without it RecordFunction::inputs() asserts on ranges that carry no
// inputs (autograd::engine::evaluate_function, unboxed calls), where the release build returns none.
#ifndef NDEBUG
#define NDEBUG
#endif
#include "common.h"

#include <ATen/record_function.h>

#include <chrono>
#include <sstream>
#include <unordered_map>

namespace genlab {

namespace {

using Clock = std::chrono::steady_clock;

struct Frame {
  std::string key;
  Clock::time_point t0;
  int64_t childNs = 0;
};

struct Agg {
  std::string name;
  std::string shapes;
  int64_t count = 0;
  int64_t totalNs = 0;
  int64_t selfNs = 0;
};

struct ProfState {
  bool active = false;
  bool recordShapes = false;
  at::CallbackHandle handle = at::INVALID_CALLBACK_HANDLE;
  std::vector<Frame> stack;
  std::unordered_map<std::string, Agg> agg;
  std::vector<std::string> order;  // keys in first-seen order
  Clock::time_point started;
  int64_t topNs = 0;  // time inside top-level operators
};

thread_local ProfState tls;

std::string shapesOf(const at::RecordFunction& fn) {
  std::ostringstream o;
  o << '[';
  bool first = true;
  for (const auto& v : fn.inputs()) {
    if (!first) o << ", ";
    first = false;
    if (v.isTensor()) {
      const auto& t = v.toTensor();
      o << '[';
      if (t.defined()) {
        for (int64_t d = 0; d < t.dim(); d++) o << (d ? ", " : "") << t.size(d);
      }
      o << ']';
    } else if (v.isTensorList()) {
      o << "[...]";
    } else {
      o << "[]";
    }
  }
  o << ']';
  return o.str();
}

std::unique_ptr<at::ObserverContext> onStart(const at::RecordFunction& fn) {
  ProfState& s = tls;
  if (!s.active) return nullptr;
  Frame f;
  f.key = fn.name();
  if (s.recordShapes) {
    f.key += '\0';
    f.key += shapesOf(fn);
  }
  s.stack.push_back(std::move(f));
  s.stack.back().t0 = Clock::now();
  return nullptr;
}

void onEnd(const at::RecordFunction&, at::ObserverContext*) {
  auto t1 = Clock::now();
  ProfState& s = tls;
  if (!s.active || s.stack.empty()) return;
  Frame f = std::move(s.stack.back());
  s.stack.pop_back();
  int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - f.t0).count();
  if (!s.stack.empty()) s.stack.back().childNs += ns;
  else s.topNs += ns;
  auto it = s.agg.find(f.key);
  if (it == s.agg.end()) {
    Agg a;
    auto z = f.key.find('\0');
    a.name = f.key.substr(0, z);
    if (z != std::string::npos) a.shapes = f.key.substr(z + 1);
    it = s.agg.emplace(f.key, std::move(a)).first;
    s.order.push_back(f.key);
  }
  it->second.count++;
  it->second.totalNs += ns;
  it->second.selfNs += ns - f.childNs;
}

void stopCallback() {
  if (tls.handle != at::INVALID_CALLBACK_HANDLE) {
    at::removeCallback(tls.handle);
    tls.handle = at::INVALID_CALLBACK_HANDLE;
  }
  tls.active = false;
}

}  // namespace

// profilerStart(recordShapes: boolean)
static Napi::Value ProfilerStart(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  if (tls.active) throw std::invalid_argument("torch.profiler: a profile is already running on this thread (profiles do not nest)");
  tls = ProfState();
  tls.recordShapes = info[0].IsBoolean() && info[0].As<Napi::Boolean>().Value();
  at::RecordFunctionCallback cb(onStart, onEnd);
  cb.needsInputs(tls.recordShapes);
  cb.scopes({at::RecordScope::FUNCTION, at::RecordScope::BACKWARD_FUNCTION, at::RecordScope::USER_SCOPE});
  tls.handle = at::addThreadLocalCallback(cb);
  tls.active = true;
  tls.started = Clock::now();
  return info.Env().Undefined();
  GENLAB_CATCH(info.Env())
}

// profilerStop() -> { wallUs, opUs, events: [{ name, shapes, count, totalUs, selfUs }] }
static Napi::Value ProfilerStop(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  Napi::Env env = info.Env();
  if (!tls.active) throw std::invalid_argument("torch.profiler: no profile is running on this thread");
  auto t1 = Clock::now();
  stopCallback();
  Napi::Object out = Napi::Object::New(env);
  out.Set("wallUs", std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - tls.started).count() / 1000.0);
  out.Set("opUs", tls.topNs / 1000.0);
  Napi::Array events = Napi::Array::New(env, tls.order.size());
  uint32_t i = 0;
  for (const auto& k : tls.order) {
    const Agg& a = tls.agg.at(k);
    Napi::Object e = Napi::Object::New(env);
    e.Set("name", a.name);
    e.Set("shapes", a.shapes);
    e.Set("count", static_cast<double>(a.count));
    e.Set("totalUs", a.totalNs / 1000.0);
    e.Set("selfUs", a.selfNs / 1000.0);
    events.Set(i++, e);
  }
  out.Set("events", events);
  tls = ProfState();
  return out;
  GENLAB_CATCH(info.Env())
}

// A user range, shown as its own row (like torch.autograd.profiler.record_function): enter returns
// nothing; exit closes the innermost open range.
struct UserRange {
  std::unique_ptr<at::RecordFunction> rf;
};
thread_local std::vector<UserRange> tlsRanges;

static Napi::Value RangePush(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  std::string name = info[0].As<Napi::String>().Utf8Value();
  UserRange r;
  r.rf = std::make_unique<at::RecordFunction>(at::RecordScope::USER_SCOPE);
  if (r.rf->isActive()) r.rf->before(name, {});
  tlsRanges.push_back(std::move(r));
  return info.Env().Undefined();
  GENLAB_CATCH(info.Env())
}

static Napi::Value RangePop(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  if (tlsRanges.empty()) throw std::invalid_argument("torch.profiler.recordFunction: no open range");
  tlsRanges.pop_back();  // RecordFunction's destructor runs the end callbacks
  return info.Env().Undefined();
  GENLAB_CATCH(info.Env())
}

void initProfiler(Napi::Env env, Napi::Object exports) {
  exports.Set("profilerStart", Napi::Function::New(env, ProfilerStart));
  exports.Set("profilerStop", Napi::Function::New(env, ProfilerStop));
  exports.Set("profilerRangePush", Napi::Function::New(env, RangePush));
  exports.Set("profilerRangePop", Napi::Function::New(env, RangePop));
}

}  // namespace genlab
