//===- Emulator.cpp - Running kernels compiled for the host ---------------===//
//
// Part of Ember. A launch runs every thread of every block; blocks are
// spread over up to 4 host threads, each of which runs its blocks one at a
// time. A block gets its shared memory, filled with 0xFF bytes (NaN as
// float32) when it starts, as fresh device memory is, so reading shared
// memory no thread of the block wrote shows up.
//
// Within a block, threads run in an order shuffled with a fixed seed (per
// block index, so the order does not depend on which host thread runs the
// block, and runs are reproducible), which shows up a kernel that relies on
// an order or lacks a barrier:
// - a kernel without barriers runs each thread to its end, one call per
//   thread, one after another, on the host thread's own stack;
// - a kernel with barriers (Kernel::barriers) runs each thread of the block
//   as a fiber (ucontext: makecontext/swapcontext) on its own 64 KiB stack,
//   below a guard page; the stacks are the host thread's for the whole
//   launch. A fiber runs until it reaches a barrier (barrier(), which
//   switches back to the host thread) or its end. Once every thread has
//   reached the barrier, all are released, one after another again, in a
//   freshly shuffled order for each phase between barriers. A thread that
//   ends while others wait at a barrier (a divergent barrier, which hangs
//   or corrupts a block on a GPU) fails the launch with a detail naming the
//   block and thread; the waiting fibers are abandoned, never resumed.
//
// Fiber switches are announced to AddressSanitizer and ThreadSanitizer when
// the runtime is built with them (EMBER_SANITIZE), so that they follow the
// stacks.
//
//===----------------------------------------------------------------------===//

#include "cuda/Emulator.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define EMBER_EMU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EMBER_EMU_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define EMBER_EMU_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define EMBER_EMU_TSAN 1
#endif
#endif
#ifdef EMBER_EMU_ASAN
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef EMBER_EMU_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace ember::rt::cuda::emu {

namespace {

/// The stack of one emulated thread of a kernel with barriers. Host code
/// keeps little on the stack (private attributions are its only arrays).
constexpr size_t kStackBytes = 64 * 1024;

/// The alignment of a block's shared memory (GpuPlan.h promises 16).
constexpr size_t kSharedAlignment = 64;

/// splitmix64: the shuffles' random numbers, the same on every platform.
uint64_t nextRandom(uint64_t &state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/// The seed of every launch's shuffles: fixed, so runs are reproducible.
constexpr uint64_t kShuffleSeed = 0x454d424552ull; // "EMBER"

/// Shuffles `order` in place (Fisher-Yates).
void shuffle(std::vector<uint32_t> &order, uint64_t &random) {
  for (size_t i = order.size(); i > 1; --i)
    std::swap(order[i - 1], order[nextRandom(random) % i]);
}

std::string triple(const uint32_t *v) {
  return "(" + std::to_string(v[0]) + ", " + std::to_string(v[1]) + ", " +
         std::to_string(v[2]) + ")";
}

/// One emulated thread of a kernel with barriers.
struct Fiber {
  enum class State : uint8_t { Ready, Waiting, Done };
  ucontext_t context;
  /// The lowest byte of its stack (kStackBytes).
  char *stack = nullptr;
  uint32_t ids[12] = {};
  State state = State::Ready;
#ifdef EMBER_EMU_ASAN
  void *fakeStack = nullptr;
#endif
#ifdef EMBER_EMU_TSAN
  void *tsanFiber = nullptr;
#endif
};

class BlockRunner;

/// The runner of the block this host thread runs (null between launches).
thread_local BlockRunner *activeRunner = nullptr;

/// One host thread's share of a launch: the shared memory of the block it
/// runs and, for a kernel with barriers, a fiber per thread of a block.
class BlockRunner {
public:
  BlockRunner(const Kernel &kernel, void **params, const unsigned grid[3],
              const unsigned block[3])
      : kernel_(kernel), params_(params),
        threads_(block[0] * block[1] * block[2]) {
    for (int i = 0; i < 3; ++i) {
      base_[6 + i] = grid[i];
      base_[9 + i] = block[i];
    }
  }
  BlockRunner(const BlockRunner &) = delete;
  BlockRunner &operator=(const BlockRunner &) = delete;

  ~BlockRunner() {
#ifdef EMBER_EMU_TSAN
    for (Fiber &f : fibers_)
      if (f.tsanFiber)
        __tsan_destroy_fiber(f.tsanFiber);
#endif
    if (stacks_)
      munmap(stacks_, stacksBytes_);
    std::free(shared_);
  }

  /// Allocates the shared memory and the fibers' stacks; why not, if not.
  std::string init() {
    size_t sharedBytes = std::max<size_t>(kernel_.sharedBytes, 1);
    sharedBytes = (sharedBytes + kSharedAlignment - 1) / kSharedAlignment *
                  kSharedAlignment;
    shared_ = std::aligned_alloc(kSharedAlignment, sharedBytes);
    if (!shared_)
      return "cannot allocate " + std::to_string(sharedBytes) +
             " bytes of shared memory for a block";
    if (!kernel_.barriers)
      return {};
    // One mapping for all stacks, each above a guard page that turns a
    // stack overflow into a fault rather than another thread's stack.
    size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    size_t slot = page + kStackBytes;
    stacksBytes_ = slot * threads_;
    void *p = mmap(nullptr, stacksBytes_, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
      return "cannot map " + std::to_string(stacksBytes_) +
             " bytes of stacks for the threads of a block: " +
             std::strerror(errno);
    stacks_ = static_cast<char *>(p);
    fibers_.resize(threads_);
    for (uint32_t t = 0; t < threads_; ++t) {
      char *guard = stacks_ + t * slot;
      if (mprotect(guard, page, PROT_NONE) != 0)
        return std::string("cannot protect a stack's guard page: ") +
               std::strerror(errno);
      fibers_[t].stack = guard + page;
#ifdef EMBER_EMU_TSAN
      fibers_[t].tsanFiber = __tsan_create_fiber(0);
#endif
    }
    // A fiber's context starts as a copy of this one (getcontext is a
    // system call; copying is not), then gets its stack and function.
    if (getcontext(&template_) != 0)
      return std::string("getcontext failed: ") + std::strerror(errno);
    return {};
  }

  /// Runs every thread of block `b` (linear, x fastest). Empty when it ran;
  /// otherwise why it failed.
  std::string run(uint64_t b) {
    const unsigned *grid = &base_[6];
    base_[0] = static_cast<uint32_t>(b % grid[0]);
    base_[1] = static_cast<uint32_t>(b / grid[0] % grid[1]);
    base_[2] = static_cast<uint32_t>(b / grid[0] / grid[1]);
    std::memset(shared_, 0xff, kernel_.sharedBytes);
    order_.resize(threads_);
    for (uint32_t t = 0; t < threads_; ++t)
      order_[t] = t;
    uint64_t random = kShuffleSeed ^ (b * 0xd1342543de82ef95ull);
    shuffle(order_, random);
    activeRunner = this;
    std::string error =
        kernel_.barriers ? runFibers(random) : runThreads();
    activeRunner = nullptr;
    return error;
  }

  /// A thread of the running block reached a barrier.
  void arrive() {
    if (!current_) {
      // Outside a fiber: a kernel that said it has no barriers called one.
      strayBarrier_ = true;
      return;
    }
    current_->state = Fiber::State::Waiting;
    leave(/*done=*/false);
  }

private:
  /// The ids of thread `t` (linear, x fastest) of the current block.
  void threadIds(uint32_t t, uint32_t ids[12]) const {
    std::memcpy(ids, base_, sizeof base_);
    ids[3] = t % base_[9];
    ids[4] = t / base_[9] % base_[10];
    ids[5] = t / base_[9] / base_[10];
  }

  /// A kernel without barriers: each thread runs to its end, in order_.
  std::string runThreads() {
    uint32_t ids[12];
    strayBarrier_ = false;
    for (uint32_t t : order_) {
      threadIds(t, ids);
      kernel_.entry(params_, ids, shared_);
    }
    if (strayBarrier_ && threads_ > 1)
      return "kernel " + kernel_.name +
             " called the barrier, but its host code says it has none (" +
             kernel_.name + "_barriers is 0)";
    return {};
  }

  /// A kernel with barriers: each thread a fiber, phase by phase.
  std::string runFibers(uint64_t &random) {
    for (uint32_t t = 0; t < threads_; ++t) {
      Fiber &f = fibers_[t];
      threadIds(t, f.ids);
      f.state = Fiber::State::Ready;
      f.context = template_;
      f.context.uc_stack.ss_sp = f.stack;
      f.context.uc_stack.ss_size = kStackBytes;
      f.context.uc_link = nullptr;
      makecontext(&f.context, &BlockRunner::start, 0);
#ifdef EMBER_EMU_TSAN
      // A fresh TSan fiber too: the last block's never left its frames.
      __tsan_destroy_fiber(f.tsanFiber);
      f.tsanFiber = __tsan_create_fiber(0);
#endif
    }
#ifdef EMBER_EMU_TSAN
    schedulerTsan_ = __tsan_get_current_fiber();
#endif
    for (uint64_t phase = 0;; ++phase) {
      if (phase > 0)
        shuffle(order_, random);
      for (uint32_t t : order_)
        enter(fibers_[t]);
      uint32_t waiting = 0;
      for (const Fiber &f : fibers_)
        waiting += f.state == Fiber::State::Waiting;
      if (waiting == 0)
        return {};
      if (waiting < threads_) {
        auto done = std::find_if(fibers_.begin(), fibers_.end(), [](auto &f) {
          return f.state == Fiber::State::Done;
        });
        return "divergent barrier in kernel " + kernel_.name + ": thread " +
               triple(&done->ids[3]) + " of block " + triple(base_) +
               " returned while " + std::to_string(waiting) + " of the " +
               std::to_string(threads_) +
               " threads of its block wait at a barrier (after " +
               std::to_string(phase) +
               " completed barriers); every thread of a block must reach "
               "every barrier the others reach";
      }
      for (Fiber &f : fibers_)
        f.state = Fiber::State::Ready;
    }
  }

  /// Switches from the host thread to `f`, until it waits or ends.
  void enter(Fiber &f) {
    current_ = &f;
#ifdef EMBER_EMU_ASAN
    __sanitizer_start_switch_fiber(&schedulerFakeStack_, f.stack, kStackBytes);
#endif
#ifdef EMBER_EMU_TSAN
    __tsan_switch_to_fiber(f.tsanFiber, 0);
#endif
    swapcontext(&scheduler_, &f.context);
#ifdef EMBER_EMU_ASAN
    __sanitizer_finish_switch_fiber(schedulerFakeStack_, nullptr, nullptr);
#endif
    current_ = nullptr;
  }

  /// Switches from the current fiber back to the host thread; returns when
  /// the fiber is entered again (never when `done`).
  void leave(bool done) {
    Fiber &f = *current_;
#ifdef EMBER_EMU_ASAN
    // A fiber that is done gives up its fake stack (nullptr).
    __sanitizer_start_switch_fiber(done ? nullptr : &f.fakeStack,
                                   schedulerStackBottom_, schedulerStackSize_);
#endif
#ifdef EMBER_EMU_TSAN
    __tsan_switch_to_fiber(schedulerTsan_, 0);
#endif
    swapcontext(&f.context, &scheduler_);
#ifdef EMBER_EMU_ASAN
    __sanitizer_finish_switch_fiber(f.fakeStack, nullptr, nullptr);
#endif
    (void)done;
  }

  /// Where every fiber starts: runs its thread, then leaves for good.
  static void start() {
    BlockRunner &r = *activeRunner;
#ifdef EMBER_EMU_ASAN
    __sanitizer_finish_switch_fiber(nullptr, &r.schedulerStackBottom_,
                                    &r.schedulerStackSize_);
#endif
    Fiber &f = *r.current_;
    r.kernel_.entry(r.params_, f.ids, r.shared_);
    f.state = Fiber::State::Done;
    r.leave(/*done=*/true);
    std::abort(); // a fiber that is done is never entered again
  }

  const Kernel &kernel_;
  void **params_;
  const uint32_t threads_;
  /// blockIdx (of the current block), threadIdx (unused), gridDim, blockDim.
  uint32_t base_[12] = {};
  void *shared_ = nullptr;
  std::vector<uint32_t> order_;
  bool strayBarrier_ = false;

  // Fibers (kernels with barriers only).
  char *stacks_ = nullptr;
  size_t stacksBytes_ = 0;
  std::vector<Fiber> fibers_;
  ucontext_t template_{};
  ucontext_t scheduler_{};
  Fiber *current_ = nullptr;
#ifdef EMBER_EMU_ASAN
  void *schedulerFakeStack_ = nullptr;
  const void *schedulerStackBottom_ = nullptr;
  size_t schedulerStackSize_ = 0;
#endif
#ifdef EMBER_EMU_TSAN
  void *schedulerTsan_ = nullptr;
#endif
};

} // namespace

void barrier() {
  if (BlockRunner *runner = activeRunner)
    runner->arrive();
}

std::string run(const Kernel &kernel, void **params, const unsigned grid[3],
                const unsigned block[3]) {
  const uint64_t blocks = uint64_t(grid[0]) * grid[1] * grid[2];
  std::atomic<uint64_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex errorMutex;
  uint64_t errorBlock = UINT64_MAX;
  std::string error;
  auto fail = [&](uint64_t b, std::string why) {
    std::lock_guard lock(errorMutex);
    // Of several failing blocks, the lowest reports.
    if (b < errorBlock) {
      errorBlock = b;
      error = std::move(why);
    }
    failed.store(true, std::memory_order_relaxed);
  };
  auto work = [&] {
    BlockRunner runner(kernel, params, grid, block);
    if (std::string why = runner.init(); !why.empty())
      return fail(0, std::move(why));
    for (uint64_t b; !failed.load(std::memory_order_relaxed) &&
                     (b = next.fetch_add(1, std::memory_order_relaxed)) <
                         blocks;)
      if (std::string why = runner.run(b); !why.empty())
        fail(b, std::move(why));
  };
  unsigned hardware = std::max(1u, std::thread::hardware_concurrency());
  uint64_t helpers = std::min<uint64_t>(std::min(hardware, 4u), blocks) - 1;
  std::vector<std::thread> pool;
  for (uint64_t i = 0; i < helpers; ++i) {
    try {
      pool.emplace_back(work);
    } catch (const std::system_error &) {
      break; // fewer helpers; this thread does the rest
    }
  }
  work();
  for (std::thread &t : pool)
    t.join();
  return error;
}

} // namespace ember::rt::cuda::emu
