// A caching allocator for small CPU tensor data. A scope frees its tensors together; glibc's per-size
// thread cache keeps only 7 blocks per size, so without this the next ops' aligned allocations take
// malloc's slow path (measured: 0.1 µs per tiny op). Blocks up to kMaxCached bytes are kept on free
// lists per 64-byte size class and reused; larger ones are plain aligned mallocs (glibc's thresholds
// are tuned in addon.cc). Every block carries a 64-byte header naming its class, so one deleter serves
// both kinds and libtorch's raw_allocate/raw_deallocate work.
#include <cstring>
#include "common.h"

#include <c10/core/CPUAllocator.h>

#include <cstdlib>
#include <new>
#include <string>
#include <vector>

namespace genlab {
namespace {

// Out of memory: a std::bad_alloc that says how many bytes were asked for.
class OutOfMemory final : public std::bad_alloc {
 public:
  explicit OutOfMemory(size_t n)
      : msg_("out of memory: the CPU allocator could not allocate " + std::to_string(n) + " bytes (" +
             std::to_string(static_cast<double>(n) / (1024.0 * 1024.0 * 1024.0)) + " GiB)") {}
  const char* what() const noexcept override { return msg_.c_str(); }

 private:
  std::string msg_;
};

constexpr size_t kAlign = 64;
constexpr size_t kMaxCached = 4096;  // bytes
constexpr size_t kClasses = kMaxCached / kAlign;
constexpr size_t kMaxPerClass = 4096;  // blocks kept per class (at most 16 MiB in all)

// Set when this thread's cache is destroyed (thread or process exit): blocks freed after that by
// static destructors go straight back to the system. A bool needs no destructor, so it stays readable.
thread_local bool cacheGone = false;

// Free lists per thread: no lock on the hot path. A block freed on another thread than the one that
// made it joins the freeing thread's lists; a thread's cached blocks are released when it exits.
struct Cache {
  std::vector<void*> free[kClasses + 1];
  ~Cache() {
    cacheGone = true;
    for (auto& list : free) {
      for (void* b : list) std::free(b);
      list.clear();
    }
  }
};

Cache& cache() {
  thread_local Cache c;
  return c;
}

struct Header {
  size_t cls;
  size_t pad[kAlign / sizeof(size_t) - 1];
};
static_assert(sizeof(Header) == kAlign, "header keeps the data 64-byte aligned");

// Frees a block: small ones (cls > 0) back to their free list, large ones (cls == 0) to the system.
void deleteBlock(void* data) {
  if (!data) return;
  Header* h = static_cast<Header*>(data) - 1;
  if (h->cls == 0) {
    std::free(h);
    return;
  }
  if (cacheGone) {
    std::free(h);
    return;
  }
  auto& list = cache().free[h->cls];
  if (list.size() < kMaxPerClass) {
    list.push_back(h);
    return;
  }
  std::free(h);
}

class SmallBlockAllocator final : public c10::Allocator {
 public:
  // libtorch < 2.3 declares allocate() const; later versions drop the const and add a pure copy_data().
  // Both spellings are defined (no `override`), so whichever the installed libtorch declares is overridden.
  c10::DataPtr allocate(size_t n) { return allocateBlock(n); }
  c10::DataPtr allocate(size_t n) const { return allocateBlock(n); }
  void copy_data(void* dest, const void* src, std::size_t count) const {
    if (count > 0) std::memcpy(dest, src, count);
  }

  c10::DataPtr allocateBlock(size_t n) const {
    void* block = nullptr;
    if (n > kMaxCached || cacheGone) {
      if (posix_memalign(&block, kAlign, sizeof(Header) + n) != 0) throw OutOfMemory(n);
      static_cast<Header*>(block)->cls = 0;
      void* data = static_cast<Header*>(block) + 1;
      return {data, data, &deleteBlock, c10::Device(c10::DeviceType::CPU)};
    }
    size_t cls = n == 0 ? 1 : (n + kAlign - 1) / kAlign;
    auto& list = cache().free[cls];
    if (!list.empty()) {
      block = list.back();
      list.pop_back();
    }
    if (!block) {
      if (posix_memalign(&block, kAlign, sizeof(Header) + cls * kAlign) != 0) throw OutOfMemory(cls * kAlign);
      static_cast<Header*>(block)->cls = cls;
    }
    void* data = static_cast<Header*>(block) + 1;
    return {data, data, &deleteBlock, c10::Device(c10::DeviceType::CPU)};
  }

  c10::DeleterFnPtr raw_deleter() const override { return &deleteBlock; }
};

}  // namespace

// Installs the allocator once per process unless GENLAB_CPU_ALLOCATOR=default.
void installCpuAllocator() {
  static bool done = false;
  if (done) return;
  done = true;
  const char* opt = std::getenv("GENLAB_CPU_ALLOCATOR");
  if (opt && std::string(opt) == "default") return;
  static SmallBlockAllocator alloc;
  c10::SetCPUAllocator(&alloc, /*priority=*/1);
}

}  // namespace genlab
