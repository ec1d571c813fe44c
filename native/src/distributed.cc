// Distributed: libtorch's c10d engine. A process group (Gloo) made from a TCP store, its collectives
// as Promises, and c10d's own DDP Reducer (bucketed gradient all-reduce launched by autograd hooks
// while backward runs).
//
// Nothing here blocks Node's event loop except the Reducer's wait at the end of backward (backward is
// synchronous compute anyway): rendezvous and every collective's wait run on a libuv worker thread
// (Napi::AsyncWorker) and settle a Promise on the main thread. Collectives are submitted on the main
// thread (Gloo queues them to its own threads at once), so their order is the order of the JS calls,
// the same on every rank.
//
// After any failure (a timeout, a peer gone) the group is marked broken: later calls fail at once
// with the first error, and the finalizer leaks the group instead of joining threads that may be
// stuck in a dead connection until Gloo's timeout.
#include "common.h"

#ifdef USE_C10D_GLOO
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/reducer.hpp>
#endif

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>

namespace genlab {

#ifdef USE_C10D_GLOO

constexpr uint64_t kGroupMagic = 0x67656e6c61625047ULL;    // "genlabPG"
constexpr uint64_t kReducerMagic = 0x67656e6c61625244ULL;  // "genlabRD"

struct GroupBox {
  uint64_t magic = kGroupMagic;
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
  int rank = 0;
  int size = 1;
  std::chrono::milliseconds timeout{0};
  std::mutex mu;
  std::string broken;  // the first failure; empty while healthy
  std::atomic<int> inFlight{0};

  void markBroken(const std::string& why) {
    std::lock_guard<std::mutex> lock(mu);
    if (broken.empty()) broken = why;
  }
  std::string brokenWhy() {
    std::lock_guard<std::mutex> lock(mu);
    return broken;
  }
};

struct ReducerBox {
  uint64_t magic = kReducerMagic;
  std::shared_ptr<GroupBox> group;
  std::unique_ptr<c10d::Reducer> reducer;
};

// JS holds a shared_ptr<GroupBox> behind an External (workers in flight hold copies).
using GroupRef = std::shared_ptr<GroupBox>;

static void finalizeGroup(node_api_basic_env, void* data, void*) {
  auto* ref = static_cast<GroupRef*>(data);
  GroupRef g = *ref;
  delete ref;
  if (g && (!g->brokenWhy().empty() || g->inFlight.load() > 0)) {
    // Joining Gloo's threads could wait for a dead peer until the timeout: leak instead.
    new GroupRef(g);
  }
}

static GroupRef unwrapGroup(napi_env env, napi_value v) {
  napi_valuetype type;
  napi_typeof(env, v, &type);
  void* data = nullptr;
  if (type == napi_external) napi_get_value_external(env, v, &data);
  auto* ref = static_cast<GroupRef*>(data);
  if (!ref || !*ref || (*ref)->magic != kGroupMagic) throw std::invalid_argument("expected a ProcessGroup");
  if (!(*ref)->pg) throw std::invalid_argument("the process group was destroyed");
  return *ref;
}

static std::string errorText(std::exception_ptr p) {
  try {
    std::rethrow_exception(p);
  } catch (const c10::Error& e) {
    return e.what_without_backtrace();
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown error";
  }
}

// ---- creating a group: TCP store rendezvous + Gloo full mesh, on a worker thread ----------------

class NewGroupWorker : public Napi::AsyncWorker {
 public:
  NewGroupWorker(Napi::Env env, std::string host, int port, int rank, int size, int timeoutMs, std::string localAddr,
                 std::string iface, std::string prefix)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), host_(std::move(host)), port_(port), rank_(rank),
        size_(size), timeoutMs_(timeoutMs), localAddr_(std::move(localAddr)), iface_(std::move(iface)), prefix_(std::move(prefix)) {}

  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    auto timeout = std::chrono::milliseconds(timeoutMs_);
    std::string stage = "TCP store";
    try {
      c10d::TCPStoreOptions so;
      so.port = static_cast<uint16_t>(port_);
      so.isServer = rank_ == 0;
      so.numWorkers = static_cast<size_t>(size_);
      so.waitWorkers = false;  // its wait gives up silently; the count below fails with a message
      so.timeout = timeout;
      auto start = std::chrono::steady_clock::now();
      c10::intrusive_ptr<c10d::Store> store = c10::make_intrusive<c10d::TCPStore>(host_, so);
      store = c10::make_intrusive<c10d::PrefixStore>(prefix_, store);
      // every rank must agree on the world size (rank 0's is the reference) ...
      stage = "world size check";
      const std::string sizeText = std::to_string(size_);
      if (rank_ == 0) store->set("world_size", std::vector<uint8_t>(sizeText.begin(), sizeText.end()));
      auto ref = store->get("world_size");
      std::string refText(ref.begin(), ref.end());
      if (refText != sizeText) {
        throw std::runtime_error("WORLD_SIZE mismatch: rank " + std::to_string(rank_) + " has WORLD_SIZE=" + sizeText + " but rank 0 has WORLD_SIZE=" + refText);
      }
      // ... and all of them must arrive within the timeout
      stage = "rank count";
      int64_t joined = store->add("joined", 1);
      while (joined < size_) {
        if (std::chrono::steady_clock::now() - start > timeout) {
          throw std::runtime_error("only " + std::to_string(joined) + " of WORLD_SIZE=" + std::to_string(size_) + " ranks joined within " +
                                   std::to_string(timeout.count()) + " ms");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        joined = store->add("joined", 0);
      }
      stage = "Gloo rendezvous";
      auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
      if (!iface_.empty()) opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(iface_));
      else if (!localAddr_.empty()) opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(localAddr_));
      else opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      opts->threads = 2;
      auto pg = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank_, size_, opts);
      group_ = std::make_shared<GroupBox>();
      group_->store = store;
      group_->pg = pg;
      group_->rank = rank_;
      group_->size = size_;
      group_->timeout = timeout;
    } catch (...) {
      SetError(stage + ": " + errorText(std::current_exception()));
    }
  }

  void OnOK() override {
    napi_value ext;
    napi_create_external(Env(), new GroupRef(group_), finalizeGroup, nullptr, &ext);
    deferred_.Resolve(Napi::Value(Env(), ext));
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::string host_;
  int port_, rank_, size_, timeoutMs_;
  std::string localAddr_, iface_, prefix_;
  GroupRef group_;
};

static int intOption(Napi::Object o, const char* key, int def) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Int32Value() : def;
}
static std::string strOption(Napi::Object o, const char* key) {
  Napi::Value v = o.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
}

// distNewGroup({ host, port, rank, worldSize, timeoutMs, localAddr?, iface?, prefix? }) -> Promise<ProcessGroup>
static Napi::Value NewGroup(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  Napi::Object o = info[0].As<Napi::Object>();
  std::string host = strOption(o, "host");
  int port = intOption(o, "port", -1), rank = intOption(o, "rank", -1), size = intOption(o, "worldSize", -1);
  int timeoutMs = intOption(o, "timeoutMs", 300000);
  if (host.empty()) throw std::invalid_argument("distributed: host (MASTER_ADDR) is empty");
  if (port < 1 || port > 65535) throw std::invalid_argument("distributed: port (MASTER_PORT) must be 1..65535, got " + std::to_string(port));
  if (size < 1) throw std::invalid_argument("distributed: worldSize (WORLD_SIZE) must be >= 1, got " + std::to_string(size));
  if (rank < 0 || rank >= size) {
    throw std::invalid_argument("distributed: rank (RANK) must be in 0.." + std::to_string(size - 1) + " for world size " + std::to_string(size) +
                                ", got " + std::to_string(rank));
  }
  if (timeoutMs < 1) throw std::invalid_argument("distributed: timeoutMs must be >= 1, got " + std::to_string(timeoutMs));
  std::string prefix = strOption(o, "prefix");
  auto* w = new NewGroupWorker(info.Env(), host, port, rank, size, timeoutMs, strOption(o, "localAddr"), strOption(o, "iface"),
                               prefix.empty() ? "genlab" : prefix);
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
  GENLAB_CATCH(info.Env())
}

// ---- collectives ---------------------------------------------------------------------------

// Waits for a submitted work on a worker thread; resolves with the output tensors (if any).
class WaitWorker : public Napi::AsyncWorker {
 public:
  WaitWorker(Napi::Env env, GroupRef g, c10::intrusive_ptr<c10d::Work> work, std::chrono::milliseconds timeout, std::string what,
             std::vector<at::Tensor> outputs)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), g_(std::move(g)), work_(std::move(work)), timeout_(timeout),
        what_(std::move(what)), outputs_(std::move(outputs)) {
    g_->inFlight++;
  }
  ~WaitWorker() override { g_->inFlight--; }

  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      if (!work_->wait(timeout_)) throw std::runtime_error("did not complete");
    } catch (...) {
      std::string msg = errorText(std::current_exception());
      std::string full = what_ + " failed on rank " + std::to_string(g_->rank) + " of " + std::to_string(g_->size) + " (timeout " +
                         std::to_string(timeout_.count()) + " ms): " + msg;
      g_->markBroken(full);
      SetError(full);
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (outputs_.empty()) {
      deferred_.Resolve(env.Undefined());
      return;
    }
    Napi::Array arr = Napi::Array::New(env, outputs_.size());
    for (size_t i = 0; i < outputs_.size(); i++) arr.Set(i, Napi::Value(env, wrapTensor(env, outputs_[i])));
    deferred_.Resolve(arr);
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  GroupRef g_;
  c10::intrusive_ptr<c10d::Work> work_;
  std::chrono::milliseconds timeout_;
  std::string what_;
  std::vector<at::Tensor> outputs_;
};

static c10d::ReduceOp reduceOp(const std::string& name) {
  if (name == "sum") return c10d::ReduceOp::SUM;
  if (name == "product") return c10d::ReduceOp::PRODUCT;
  if (name == "min") return c10d::ReduceOp::MIN;
  if (name == "max") return c10d::ReduceOp::MAX;
  throw std::invalid_argument("distributed: unknown reduce op '" + name + "' (sum, product, min, max)");
}

static at::Tensor commTensor(napi_env env, napi_value v, const std::string& what) {
  const at::Tensor& t = unwrapTensor(env, v, what.c_str());
  if (!t.device().is_cpu()) throw std::invalid_argument(what + ": the Gloo backend needs CPU tensors, got " + describeTensor(t));
  if (!t.is_contiguous()) throw std::invalid_argument(what + ": needs a contiguous tensor (call .contiguous() first), got " + describeTensor(t));
  if (t.requires_grad() && t.is_leaf()) {
    throw std::invalid_argument(what + ": the tensor " + describeTensor(t) + " requires grad; pass it detached (in-place collectives write into it)");
  }
  return t;
}

// distCollective(group, kind, tensors[], { op, root, timeoutMs }) -> Promise<Tensor handles[] | undefined>
//   allreduce: in place over tensors[0]; broadcast: in place from root; allgather: returns worldSize
//   new tensors like tensors[0]; barrier: no tensors.
static Napi::Value Collective(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  napi_env env = info.Env();
  GroupRef g = unwrapGroup(env, info[0]);
  std::string kind = info[1].As<Napi::String>().Utf8Value();
  Napi::Object o = info.Length() > 3 && info[3].IsObject() ? info[3].As<Napi::Object>() : Napi::Object::New(env);
  std::string why = g->brokenWhy();
  if (!why.empty()) throw std::runtime_error(kind + ": the process group failed earlier: " + why);
  int timeoutMs = intOption(o, "timeoutMs", static_cast<int>(g->timeout.count()));
  if (timeoutMs < 1) throw std::invalid_argument(kind + ": timeoutMs must be >= 1, got " + std::to_string(timeoutMs));
  auto timeout = std::chrono::milliseconds(timeoutMs);
  std::vector<at::Tensor> tensors;
  if (info[2].IsArray()) {
    Napi::Array a = info[2].As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) tensors.push_back(commTensor(env, a.Get(i), kind));
  }
  std::vector<at::Tensor> outputs;
  c10::intrusive_ptr<c10d::Work> work;
  if (kind == "barrier") {
    c10d::BarrierOptions bo;
    bo.timeout = timeout;
    work = g->pg->barrier(bo);
  } else {
    if (tensors.size() != 1) throw std::invalid_argument(kind + ": expected exactly one tensor, got " + std::to_string(tensors.size()));
    if (kind == "allreduce") {
      c10d::AllreduceOptions ao;
      ao.reduceOp = reduceOp(o.Has("op") && o.Get("op").IsString() ? o.Get("op").As<Napi::String>().Utf8Value() : "sum");
      ao.timeout = timeout;
      work = g->pg->allreduce(tensors, ao);
    } else if (kind == "broadcast") {
      int root = intOption(o, "root", 0);
      if (root < 0 || root >= g->size) {
        throw std::invalid_argument("broadcast: root must be in 0.." + std::to_string(g->size - 1) + ", got " + std::to_string(root));
      }
      c10d::BroadcastOptions bo;
      bo.rootRank = root;
      bo.timeout = timeout;
      work = g->pg->broadcast(tensors, bo);
    } else if (kind == "allgather") {
      std::vector<std::vector<at::Tensor>> outs(1);
      for (int r = 0; r < g->size; r++) outs[0].push_back(at::empty_like(tensors[0]));
      outputs = outs[0];
      c10d::AllgatherOptions ao;
      ao.timeout = timeout;
      work = g->pg->allgather(outs, tensors, ao);
    } else {
      throw std::invalid_argument("distributed: unknown collective '" + kind + "' (allreduce, broadcast, allgather, barrier)");
    }
  }
  auto* w = new WaitWorker(env, g, work, timeout, kind, outputs);
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
  GENLAB_CATCH(info.Env())
}

static Napi::Value GroupInfo(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  GroupRef g = unwrapGroup(info.Env(), info[0]);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("rank", g->rank);
  o.Set("worldSize", g->size);
  o.Set("backend", "gloo");
  o.Set("timeoutMs", static_cast<double>(g->timeout.count()));
  std::string why = g->brokenWhy();
  if (why.empty()) o.Set("broken", info.Env().Null());
  else o.Set("broken", why);
  return o;
  GENLAB_CATCH(info.Env())
}

// Releases the group now. A broken group (or one with work in flight) is leaked, not joined.
static Napi::Value DestroyGroup(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  napi_env env = info.Env();
  void* data = nullptr;
  napi_get_value_external(env, info[0], &data);
  auto* ref = static_cast<GroupRef*>(data);
  if (!ref || !*ref || (*ref)->magic != kGroupMagic) throw std::invalid_argument("expected a ProcessGroup");
  GroupRef g = *ref;
  if (!g->brokenWhy().empty() || g->inFlight.load() > 0) {
    new GroupRef(g);  // leak: see finalizeGroup
    g->pg.release();
    g->store.release();
  } else {
    g->pg.reset();
    g->store.reset();
  }
  return info.Env().Undefined();
  GENLAB_CATCH(info.Env())
}

// ---- c10d's DDP Reducer ----------------------------------------------------------------------

static void finalizeReducer(node_api_basic_env, void* data, void*) {
  auto* box = static_cast<ReducerBox*>(data);
  if (box->group && !box->group->brokenWhy().empty()) {
    box->reducer.release();  // its destructor may wait on dead work
  }
  try {
    delete box;
  } catch (...) {
  }
}

static ReducerBox* unwrapReducer(napi_env env, napi_value v) {
  napi_valuetype type;
  napi_typeof(env, v, &type);
  void* data = nullptr;
  if (type == napi_external) napi_get_value_external(env, v, &data);
  auto* box = static_cast<ReducerBox*>(data);
  if (!box || box->magic != kReducerMagic) throw std::invalid_argument("expected a gradient Reducer");
  if (!box->reducer) throw std::invalid_argument("the gradient Reducer was destroyed");
  return box;
}

// distReducer(group, params[], { bucketCapMB, firstBucketCapMB, findUnused, names[] }) -> Reducer.
// Hooks on every parameter's gradient accumulator launch the all-reduce of a bucket as soon as all
// its gradients are ready; at the end of backward, the averaged gradients are in .grad.
static Napi::Value NewReducer(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  napi_env env = info.Env();
  GroupRef g = unwrapGroup(env, info[0]);
  Napi::Array arr = info[1].As<Napi::Array>();
  Napi::Object o = info.Length() > 2 && info[2].IsObject() ? info[2].As<Napi::Object>() : Napi::Object::New(env);
  std::vector<at::Tensor> params;
  std::unordered_map<size_t, std::string> names;
  Napi::Value namesV = o.Get("names");
  for (uint32_t i = 0; i < arr.Length(); i++) {
    const at::Tensor& p = unwrapTensor(env, arr.Get(i), "Reducer: parameter");
    if (!p.requires_grad() || !p.is_leaf()) {
      throw std::invalid_argument("Reducer: parameter " + std::to_string(i) + " (" + describeTensor(p) + ") must be a leaf that requires grad");
    }
    params.push_back(p);
    if (namesV.IsArray()) names[i] = namesV.As<Napi::Array>().Get(i).ToString().Utf8Value();
  }
  if (params.empty()) throw std::invalid_argument("Reducer: no parameters");
  double capMB = o.Get("bucketCapMB").IsNumber() ? o.Get("bucketCapMB").As<Napi::Number>().DoubleValue() : 25.0;
  double firstMB = o.Get("firstBucketCapMB").IsNumber() ? o.Get("firstBucketCapMB").As<Napi::Number>().DoubleValue() : 1.0;
  bool findUnused = o.Get("findUnused").IsBoolean() && o.Get("findUnused").As<Napi::Boolean>().Value();
  auto cap = static_cast<size_t>(capMB * 1024 * 1024), first = static_cast<size_t>(firstMB * 1024 * 1024);
  // DDP's order: buckets follow the reverse parameter order (roughly the order backward produces them).
  std::vector<at::Tensor> reversed(params.rbegin(), params.rend());
  std::vector<int64_t> idx;
  for (size_t i = 0; i < params.size(); i++) idx.push_back(static_cast<int64_t>(params.size() - 1 - i));
  auto assignment = c10d::compute_bucket_assignment_by_size(reversed, {first, cap}, std::vector<bool>(params.size(), false), idx);
  auto& buckets = std::get<0>(assignment);
  auto& limits = std::get<1>(assignment);
  auto* box = new ReducerBox();
  box->group = g;
  try {
    box->reducer = std::make_unique<c10d::Reducer>(params, buckets, limits, g->pg, std::vector<bool>(params.size(), false),
                                                   static_cast<int64_t>(cap), findUnused, false, names, static_cast<int64_t>(first));
  } catch (...) {
    delete box;
    throw;
  }
  napi_value ext;
  napi_create_external(env, box, finalizeReducer, nullptr, &ext);
  Napi::Object out = Napi::Object::New(env);
  out.Set("handle", Napi::Value(env, ext));
  out.Set("buckets", static_cast<double>(buckets.size()));
  return out;
  GENLAB_CATCH(info.Env())
}

// distReducerPrepare(reducer, outputs[]): call after the forward pass, before backward (outputs are
// searched for unused parameters when the reducer was made with findUnused).
static Napi::Value ReducerPrepare(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  napi_env env = info.Env();
  ReducerBox* box = unwrapReducer(env, info[0]);
  std::string why = box->group->brokenWhy();
  if (!why.empty()) throw std::runtime_error("Reducer: the process group failed earlier: " + why);
  std::vector<at::Tensor> outputs;
  if (info.Length() > 1 && info[1].IsArray()) {
    Napi::Array a = info[1].As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) outputs.push_back(unwrapTensor(env, a.Get(i), "Reducer: output"));
  }
  box->reducer->prepare_for_forward();
  box->reducer->prepare_for_backward(outputs);
  return info.Env().Undefined();
  GENLAB_CATCH(info.Env())
}

static Napi::Value ReducerMarkBroken(const Napi::CallbackInfo& info) {
  GENLAB_TRY
  ReducerBox* box = unwrapReducer(info.Env(), info[0]);
  box->group->markBroken(info[1].ToString().Utf8Value());
  return info.Env().Undefined();
  GENLAB_CATCH(info.Env())
}

static Napi::Value DistAvailable(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("gloo", true);
  o.Set("nccl", false);
  return o;
}

void initDistributed(Napi::Env env, Napi::Object exports) {
  exports.Set("distAvailable", Napi::Function::New(env, DistAvailable));
  exports.Set("distNewGroup", Napi::Function::New(env, NewGroup));
  exports.Set("distCollective", Napi::Function::New(env, Collective));
  exports.Set("distGroupInfo", Napi::Function::New(env, GroupInfo));
  exports.Set("distDestroyGroup", Napi::Function::New(env, DestroyGroup));
  exports.Set("distReducer", Napi::Function::New(env, NewReducer));
  exports.Set("distReducerPrepare", Napi::Function::New(env, ReducerPrepare));
  exports.Set("distReducerMarkBroken", Napi::Function::New(env, ReducerMarkBroken));
}

#else  // no c10d Gloo in this libtorch build

static Napi::Value DistAvailable(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("gloo", false);
  o.Set("nccl", false);
  return o;
}

void initDistributed(Napi::Env env, Napi::Object exports) { exports.Set("distAvailable", Napi::Function::New(env, DistAvailable)); }

#endif

}  // namespace genlab
