//===- Emulator.cpp - Running kernels compiled for the host ---------------===//
//
// Part of Ember. A launch runs every thread of every block; blocks are
// spread over up to 4 host threads (the launching one and helpers started
// once, on the first launch that can use them, and kept), each of which runs
// its blocks one at a time. A block gets its shared memory, filled with
// 0xFF bytes (NaN as float32) when it starts, as fresh device memory is, so
// reading shared memory no thread of the block wrote shows up.
//
// Within a block, threads run in an order shuffled with a fixed seed (per
// block index, so the order does not depend on which host thread runs the
// block, and runs are reproducible), which shows up a kernel that relies on
// an order or lacks a barrier:
// - a kernel without barriers runs each thread to its end, one call per
//   thread, one after another, on the host thread's own stack;
// - a kernel with barriers (Kernel::barriers) runs each thread of the block
//   as a fiber on its own 64 KiB stack, below a guard page; a host thread
//   maps the stacks once and keeps them from launch to launch. A fiber runs
//   until it reaches a barrier (barrier()) or its end, then switches to the
//   next fiber in the order (the last one back to the host thread: one
//   switch per thread and phase). Once every thread has reached the barrier,
//   all are released, one after another again, in a freshly shuffled order
//   for each phase between barriers. A thread that ends while others wait at a
//   barrier (a divergent barrier, which hangs or corrupts a block on a GPU)
//   fails the launch with a detail naming the block and thread; the waiting
//   fibers are abandoned, never resumed;
// - a warp shuffle (shuffle()) is a meeting of a warp's threads, 32
//   consecutive linear thread ids: each fiber leaves its value in a slot of
//   its own and waits; once every thread of the warp waits at a shuffle,
//   those threads go on (the block's other warps need not be there), and
//   each reads its source lane's slot. A warp of which some threads wait at
//   a shuffle while others end or wait at a barrier fails the launch.
//
// A kernel's threads do little between barriers (a tiled matmul: two loads
// and 16 multiply-adds), so switching fibers is most of the emulator's time.
// On x86-64 a switch is a few instructions of our own (switchContext): the
// callee-saved registers, the stack pointer, and the floating-point control
// state (MXCSR, the x87 control word), which is all a function call must
// preserve. Elsewhere it is ucontext (swapcontext), which also saves the
// signal mask with a system call at every switch: about 10 times slower.
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
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

#if defined(__x86_64__) && !defined(EMBER_EMU_UCONTEXT)
#define EMBER_EMU_X86_64_SWITCH 1
#include <xmmintrin.h>
#else
#include <ucontext.h>
#endif

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
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef EMBER_EMU_TSAN
#include <sanitizer/tsan_interface.h>
#endif

#ifdef EMBER_EMU_X86_64_SWITCH
// ember_emu_switch_context(void **save, void *resume): pushes the
// callee-saved registers and the floating-point control state (MXCSR, then
// the x87 control word, in 8 bytes, the rest zero) on the current stack,
// stores the stack pointer in *save, and pops the same from the stack at
// `resume`, returning to whoever switched from there. Loading the control
// state is slow (fldcw was over half of a switch) and it seldom changes: it
// is loaded only when it differs. A new context's stack is laid out by
// makeContext to look the same.
asm(R"(
  .pushsection .text
  .p2align 4
  .globl ember_emu_switch_context
  .hidden ember_emu_switch_context
  .type ember_emu_switch_context, @function
ember_emu_switch_context:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  pushq $0
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq (%rsp), %rax
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  cmpq (%rsp), %rax
  jne 2f
1:
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
2:
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  jmp 1b
  .size ember_emu_switch_context, .-ember_emu_switch_context
  .popsection
)");
extern "C" void ember_emu_switch_context(void **save, void *resume);
#endif

namespace ember::rt::cuda::emu {

namespace {

/// The stack of one emulated thread of a kernel with barriers. Host code
/// keeps little on the stack (private attributions are its only arrays).
constexpr size_t kStackBytes = 64 * 1024;

/// The alignment of a block's shared memory (GpuPlan.h promises 16).
constexpr size_t kSharedAlignment = 64;

/// The most host threads a launch runs on.
constexpr unsigned kMaxHostThreads = 4;

/// The threads of a warp (consecutive linear thread ids of a block).
constexpr uint32_t kWarpSize = 32;

/// splitmix64: the shuffles' random numbers, the same on every platform.
uint64_t nextRandom(uint64_t &state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/// The seed of every launch's shuffles: fixed, so runs are reproducible.
constexpr uint64_t kShuffleSeed = 0x454d424552ull; // "EMBER"

/// Shuffles `order` in place (Fisher-Yates). A random index below i is the
/// high half of random * i (Lemire's reduction: a multiplication, where a
/// remainder is a division, and a block's every phase is shuffled).
void shuffle(std::vector<uint32_t> &order, uint64_t &random) {
  for (size_t i = order.size(); i > 1; --i) {
    auto j = static_cast<size_t>(
        (static_cast<unsigned __int128>(nextRandom(random)) * i) >> 64);
    std::swap(order[i - 1], order[j]);
  }
}

std::string triple(const uint32_t *v) {
  return "(" + std::to_string(v[0]) + ", " + std::to_string(v[1]) + ", " +
         std::to_string(v[2]) + ")";
}

//===----------------------------------------------------------------------===//
// Contexts: where a fiber, or the host thread that runs fibers, left off.
//===----------------------------------------------------------------------===//

#ifdef EMBER_EMU_X86_64_SWITCH

/// A suspended context: its stack pointer (the rest is on its stack).
struct Context {
  void *sp = nullptr;
};

/// Makes `c` start at `entry`, a function that never returns, on the
/// `bytes` of `stack` when first switched to, with the calling thread's
/// floating-point control state. False if it cannot (never, here).
bool makeContext(Context &c, char *stack, size_t bytes, void (*entry)()) {
  // From the top of the (16-byte aligned) stack down: a null return address
  // for `entry` (the end of a debugger's backtrace), `entry` for the switch
  // to return to, rbp (null: the end of the frame chain), rbx and r12-r15,
  // then MXCSR and the x87 control word. When `entry` starts, the stack
  // pointer is 8 below a multiple of 16, as after a call.
  auto *top = reinterpret_cast<uint64_t *>(stack + bytes);
  uint16_t x87;
  asm volatile("fnstcw %0" : "=m"(x87));
  top[-1] = 0;
  top[-2] = reinterpret_cast<uint64_t>(entry);
  for (int i = 3; i <= 8; ++i)
    top[-i] = 0;
  top[-9] = _mm_getcsr() | uint64_t(x87) << 32;
  c.sp = &top[-9];
  return true;
}

/// Saves the current context in `from` and resumes `to`.
inline void switchContext(Context &from, Context &to) {
  ember_emu_switch_context(&from.sp, to.sp);
}

#else

struct Context {
  ucontext_t uc;
};

bool makeContext(Context &c, char *stack, size_t bytes, void (*entry)()) {
  // A context starts as a copy of this thread's (getcontext is a system
  // call; copying is not), then gets its stack and function.
  thread_local ucontext_t model;
  thread_local bool haveModel = getcontext(&model) == 0;
  if (!haveModel)
    return false;
  c.uc = model;
  c.uc.uc_stack.ss_sp = stack;
  c.uc.uc_stack.ss_size = bytes;
  c.uc.uc_link = nullptr;
  makecontext(&c.uc, entry, 0);
  return true;
}

inline void switchContext(Context &from, Context &to) {
  swapcontext(&from.uc, &to.uc);
}

#endif

//===----------------------------------------------------------------------===//
// What a host thread keeps from launch to launch.
//===----------------------------------------------------------------------===//

/// A host thread's fiber stacks and shared memory, grown to the largest
/// block it ran and kept (mapping stacks for every launch cost more than
/// many a launch's kernel).
class HostThreadMemory {
public:
  HostThreadMemory() = default;
  HostThreadMemory(const HostThreadMemory &) = delete;
  HostThreadMemory &operator=(const HostThreadMemory &) = delete;
  ~HostThreadMemory() {
    if (stacks_)
      munmap(stacks_, mappedBytes_);
    std::free(shared_);
  }

  /// Shared memory of at least `bytes` (64-byte aligned), or null.
  void *shared(size_t bytes) {
    bytes = std::max<size_t>(bytes, 1);
    bytes = (bytes + kSharedAlignment - 1) / kSharedAlignment * kSharedAlignment;
    if (bytes > sharedBytes_) {
      std::free(shared_);
      shared_ = std::aligned_alloc(kSharedAlignment, bytes);
      sharedBytes_ = shared_ ? bytes : 0;
    }
    return shared_;
  }

  /// Maps stacks for `n` fibers unless there are enough; why not, if not.
  std::string reserveStacks(uint32_t n) {
    if (n <= stackCount_)
      return {};
    if (stacks_)
      munmap(stacks_, mappedBytes_);
    stacks_ = nullptr;
    stackCount_ = 0;
    // One mapping for all stacks, each above a guard page that turns a
    // stack overflow into a fault rather than another thread's stack.
    size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    slotBytes_ = page + kStackBytes;
    mappedBytes_ = slotBytes_ * n;
    void *p = mmap(nullptr, mappedBytes_, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
      return "cannot map " + std::to_string(mappedBytes_) +
             " bytes of stacks for the threads of a block: " +
             std::strerror(errno);
    stacks_ = static_cast<char *>(p);
    for (uint32_t t = 0; t < n; ++t)
      if (mprotect(stacks_ + t * slotBytes_, page, PROT_NONE) != 0)
        return std::string("cannot protect a stack's guard page: ") +
               std::strerror(errno);
    stackCount_ = n;
    return {};
  }

  /// The lowest byte of fiber `t`'s stack (kStackBytes).
  char *stack(uint32_t t) const {
    return stacks_ + t * slotBytes_ + (slotBytes_ - kStackBytes);
  }

private:
  char *stacks_ = nullptr;
  size_t mappedBytes_ = 0, slotBytes_ = 0;
  uint32_t stackCount_ = 0;
  void *shared_ = nullptr;
  size_t sharedBytes_ = 0;
};

thread_local HostThreadMemory hostThreadMemory;

//===----------------------------------------------------------------------===//
// Running a launch's blocks.
//===----------------------------------------------------------------------===//

/// One emulated thread of a kernel with barriers.
struct Fiber {
  /// Waiting: at a barrier of the block; AtShuffle: at a warp shuffle.
  enum class State : uint8_t { Ready, Waiting, AtShuffle, Done };
  Context context;
  /// The lowest byte of its stack (kStackBytes).
  char *stack = nullptr;
  uint32_t ids[12] = {};
  /// Its linear thread index in the block (x fastest).
  uint32_t linear = 0;
  /// The shuffles it has made: their parity picks its exchange slot.
  uint32_t shuffles = 0;
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
  }

  /// Gets the shared memory and the fibers' stacks (the host thread's,
  /// kept from launch to launch); why not, if not.
  std::string init() {
    shared_ = hostThreadMemory.shared(kernel_.sharedBytes);
    if (!shared_)
      return "cannot allocate " + std::to_string(kernel_.sharedBytes) +
             " bytes of shared memory for a block";
    if (!kernel_.barriers)
      return {};
    if (std::string why = hostThreadMemory.reserveStacks(threads_);
        !why.empty())
      return why;
    fibers_.resize(threads_);
    exchange_[0].resize(threads_);
    exchange_[1].resize(threads_);
    mmaInputs_.resize(threads_);
    for (uint32_t t = 0; t < threads_; ++t)
      fibers_[t].stack = hostThreadMemory.stack(t);
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

  /// Fiber `f` (the current one) waits until every thread of its warp
  /// waits too (runFibers releases the warp).
  void meetWarp(Fiber &f) {
    f.state = Fiber::State::AtShuffle;
    leave(/*done=*/false);
  }

  /// A thread of the running block reached a tensor-core mma (emu::mmaTf32).
  void mma(const float *a, const float *b, const float *c, float *d) {
    if (!current_) {
      strayBarrier_ = true;
      return;
    }
    Fiber &f = *current_;
    mmaInputs_[f.linear] = {a, b};
    meetWarp(f);
    // Every thread of the warp has its fragments in place.
    uint32_t lane = f.linear % kWarpSize, first = f.linear - lane;
    float result[4];
    if (first + kWarpSize > threads_) {
      failShuffle("thread " + triple(&f.ids[3]) + " of block " + triple(base_) +
                  " runs an mma in a warp of fewer than 32 "
                  "threads (the block has " +
                  std::to_string(threads_) + ")");
      std::copy(c, c + 4, result);
    } else {
      auto tf32 = [](float x) {
        uint32_t bits;
        std::memcpy(&bits, &x, 4);
        bits &= 0xFFFFE000u;
        std::memcpy(&x, &bits, 4);
        return x;
      };
      // A (r, k) is held by lane 4 (r % 8) + k % 4, as a[(r >= 8) + 2 (k >=
      // 4)]; B (k, n) by lane 4 n + k % 4, as b[k >= 4].
      auto A = [&](uint32_t r, uint32_t k) {
        return tf32(mmaInputs_[first + 4 * (r % 8) + k % 4]
                        .a[(r >= 8 ? 1 : 0) + (k >= 4 ? 2 : 0)]);
      };
      auto B = [&](uint32_t k, uint32_t n) {
        return tf32(mmaInputs_[first + 4 * n + k % 4].b[k >= 4 ? 1 : 0]);
      };
      uint32_t g = lane / 4, t = lane % 4;
      for (uint32_t v = 0; v < 4; ++v) {
        uint32_t r = g + (v >= 2 ? 8 : 0), n = 2 * t + (v & 1);
        float sum = c[v];
        for (uint32_t k = 0; k < 8; ++k)
          sum += A(r, k) * B(k, n);
        result[v] = sum;
      }
    }
    // Every thread has read the others' fragments before any goes on (and
    // may overwrite its own).
    meetWarp(f);
    std::copy(result, result + 4, d);
  }

  /// A thread of the running block reached a warp shuffle (emu::shuffle).
  uint64_t exchange(uint32_t value, uint32_t offset, uint32_t width,
                    uint32_t mode) {
    if (!current_) {
      // A kernel that said it has no barriers: its threads cannot wait.
      strayBarrier_ = true;
      return value;
    }
    Fiber &f = *current_;
    // Two slots per thread, used in turn: a lane cannot write its next
    // value before every lane of its warp has arrived at the next shuffle,
    // so none reads a slot that is being written.
    uint32_t parity = f.shuffles++ & 1;
    exchange_[parity][f.linear] = value;
    meetWarp(f);
    // Every thread of the warp has written its value.
    uint32_t lane = f.linear % kWarpSize, first = f.linear - lane;
    int64_t source = mode == 0   ? int64_t(lane ^ offset)
                     : mode == 1 ? int64_t(lane) - offset
                     : mode == 2 ? int64_t(lane) + offset
                                 : int64_t(offset);
    if (mode > 3 || width == 0 || width > kWarpSize || (width & (width - 1))) {
      failShuffle("thread " + triple(&f.ids[3]) + " of block " + triple(base_) +
                  " called a warp shuffle with mode " + std::to_string(mode) +
                  " and width " + std::to_string(width) +
                  " (modes 0-3, widths powers of 2 up to 32)");
      return value;
    }
    if (source < 0 || source >= width)
      return value;
    if (first + source >= threads_) {
      failShuffle("thread " + triple(&f.ids[3]) + " of block " + triple(base_) +
                  " shuffled from lane " + std::to_string(source) +
                  " of its warp, which the block (" + std::to_string(threads_) +
                  " threads) does not have");
      return value;
    }
    return exchange_[parity][first + source] | (uint64_t(1) << 32);
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

  /// A kernel with barriers: each thread a fiber, phase by phase. A phase
  /// runs every ready fiber until it waits or ends; then the warps whose
  /// threads all wait at a shuffle are released, or else, once every thread
  /// waits at a barrier, the whole block.
  std::string runFibers(uint64_t &random) {
    for (uint32_t t = 0; t < threads_; ++t) {
      Fiber &f = fibers_[t];
      threadIds(t, f.ids);
      f.linear = t;
      f.shuffles = 0;
      f.state = Fiber::State::Ready;
#ifdef EMBER_EMU_ASAN
      // The last block's fibers left their frames' redzones poisoned on the
      // stack (ASan's swapcontext interceptor cleared a stack at every
      // switch; our own switch does not).
      __asan_unpoison_memory_region(f.stack, kStackBytes);
#endif
      if (!makeContext(f.context, f.stack, kStackBytes, &BlockRunner::start))
        return std::string("cannot make the context of a thread: ") +
               std::strerror(errno);
#ifdef EMBER_EMU_TSAN
      // A fresh TSan fiber too: the last block's never left its frames.
      if (f.tsanFiber)
        __tsan_destroy_fiber(f.tsanFiber);
      f.tsanFiber = __tsan_create_fiber(0);
#endif
    }
#ifdef EMBER_EMU_TSAN
    schedulerTsan_ = __tsan_get_current_fiber();
#endif
    shuffleError_.clear();
    uint64_t barriers = 0;
    for (uint64_t phase = 0;; ++phase) {
      if (phase > 0)
        shuffle(order_, random);
      runnable_.clear();
      for (uint32_t t : order_)
        if (fibers_[t].state == Fiber::State::Ready)
          runnable_.push_back(t);
      runPhase();
      if (!shuffleError_.empty())
        return "in kernel " + kernel_.name + ", " + shuffleError_;
      uint32_t waiting = 0, done = 0;
      for (const Fiber &f : fibers_) {
        waiting += f.state == Fiber::State::Waiting;
        done += f.state == Fiber::State::Done;
      }
      if (done == threads_)
        return {};
      // One warp of which every thread waits at a shuffle goes on, picked at
      // random: warps pass their shuffles in every order, so a missing
      // barrier between warps shows up. A warp of which only some threads
      // wait at one never would go on.
      arrived_.clear();
      for (uint32_t first = 0; first < threads_; first += kWarpSize) {
        uint32_t end = std::min(threads_, first + kWarpSize), at = 0;
        for (uint32_t t = first; t < end; ++t)
          at += fibers_[t].state == Fiber::State::AtShuffle;
        if (at == end - first) {
          arrived_.push_back(first);
        } else if (at > 0) {
          const Fiber &other = *std::find_if(
              fibers_.begin() + first, fibers_.begin() + end,
              [](auto &f) { return f.state != Fiber::State::AtShuffle; });
          return "divergent warp shuffle or mma in kernel " + kernel_.name +
                 ": thread " + triple(&other.ids[3]) + " of block " +
                 triple(base_) +
                 (other.state == Fiber::State::Done
                      ? " returned"
                      : " waits at a barrier of the block") +
                 " while " + std::to_string(at) + " of the " +
                 std::to_string(end - first) +
                 " threads of its warp wait at a shuffle or mma; every "
                 "thread of a warp must reach every one the others reach";
        }
      }
      if (!arrived_.empty()) {
        uint32_t first = arrived_[static_cast<size_t>(
            (static_cast<unsigned __int128>(nextRandom(random)) *
             arrived_.size()) >>
            64)];
        for (uint32_t t = first; t < std::min(threads_, first + kWarpSize); ++t)
          fibers_[t].state = Fiber::State::Ready;
        continue;
      }
      if (waiting < threads_) {
        auto ended = std::find_if(fibers_.begin(), fibers_.end(), [](auto &f) {
          return f.state == Fiber::State::Done;
        });
        return "divergent barrier in kernel " + kernel_.name + ": thread " +
               triple(&ended->ids[3]) + " of block " + triple(base_) +
               " returned while " + std::to_string(waiting) + " of the " +
               std::to_string(threads_) +
               " threads of its block wait at a barrier (after " +
               std::to_string(barriers) +
               " completed barriers); every thread of a block must reach "
               "every barrier the others reach";
      }
      ++barriers;
      for (Fiber &f : fibers_)
        f.state = Fiber::State::Ready;
    }
  }

  /// The first error of a shuffle in this block (the launch fails with it).
  void failShuffle(std::string why) {
    if (shuffleError_.empty())
      shuffleError_ = std::move(why);
  }

  /// Runs every fiber of runnable_ once, in its order, until it waits or
  /// ends: the host thread switches to the first, each to the next, the
  /// last back.
  void runPhase() {
    position_ = 0;
    Fiber &first = fibers_[runnable_[0]];
    current_ = &first;
#ifdef EMBER_EMU_ASAN
    __sanitizer_start_switch_fiber(&schedulerFakeStack_, first.stack,
                                   kStackBytes);
#endif
#ifdef EMBER_EMU_TSAN
    __tsan_switch_to_fiber(first.tsanFiber, 0);
#endif
    switchContext(scheduler_, first.context);
#ifdef EMBER_EMU_ASAN
    __sanitizer_finish_switch_fiber(schedulerFakeStack_, nullptr, nullptr);
#endif
    current_ = nullptr;
  }

  /// Switches from the current fiber to the next in runnable_, or back to
  /// the host thread after the last; returns when the fiber runs again
  /// (never when `done`).
  void leave(bool done) {
    Fiber &f = *current_;
    Fiber *next = ++position_ < runnable_.size()
                      ? &fibers_[runnable_[position_]]
                      : nullptr;
    current_ = next;
#ifdef EMBER_EMU_ASAN
    // A fiber that is done gives up its fake stack (nullptr).
    __sanitizer_start_switch_fiber(
        done ? nullptr : &f.fakeStack, next ? next->stack : schedulerStackBottom_,
        next ? kStackBytes : schedulerStackSize_);
#endif
#ifdef EMBER_EMU_TSAN
    __tsan_switch_to_fiber(next ? next->tsanFiber : schedulerTsan_, 0);
#endif
    switchContext(f.context, next ? next->context : scheduler_);
#ifdef EMBER_EMU_ASAN
    __sanitizer_finish_switch_fiber(f.fakeStack, nullptr, nullptr);
#endif
    (void)done;
  }

  /// Where every fiber starts: runs its thread, then leaves for good.
  static void start() {
    BlockRunner &r = *activeRunner;
#ifdef EMBER_EMU_ASAN
    // The first fiber of the first phase starts from the host thread: the
    // stack the last fiber of every phase returns to.
    const void *from;
    size_t fromSize;
    __sanitizer_finish_switch_fiber(nullptr, &from, &fromSize);
    if (r.position_ == 0) {
      r.schedulerStackBottom_ = from;
      r.schedulerStackSize_ = fromSize;
    }
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
  std::vector<Fiber> fibers_;
  /// The fibers the current phase runs, in order.
  std::vector<uint32_t> runnable_;
  /// The first threads of the warps whose threads all wait at a shuffle.
  std::vector<uint32_t> arrived_;
  /// Each thread's value at its last two shuffles (Fiber::shuffles).
  std::vector<uint32_t> exchange_[2];
  /// Each thread's A and B fragments at its current mma.
  struct MmaInputs {
    const float *a = nullptr, *b = nullptr;
  };
  std::vector<MmaInputs> mmaInputs_;
  std::string shuffleError_;
  Context scheduler_{};
  Fiber *current_ = nullptr;
  /// The index in order_ of the fiber running in this phase.
  uint32_t position_ = 0;
#ifdef EMBER_EMU_ASAN
  void *schedulerFakeStack_ = nullptr;
  const void *schedulerStackBottom_ = nullptr;
  size_t schedulerStackSize_ = 0;
#endif
#ifdef EMBER_EMU_TSAN
  void *schedulerTsan_ = nullptr;
#endif
};

/// The host threads that help run launches' blocks: started when a launch
/// first has blocks for them and kept for the life of the process (starting
/// threads for every launch cost more than many a launch's kernel).
class Helpers {
public:
  /// This process's helpers. A child of fork() has none of its parent's
  /// threads: it gets helpers of its own (the parent's are left as they
  /// are, never destroyed, as are a process's helpers at its exit).
  static Helpers &get() {
    static std::mutex mutex;
    static Helpers *helpers = nullptr;
    static pid_t owner = 0;
    std::lock_guard lock(mutex);
    if (!helpers || owner != getpid()) {
      helpers = new Helpers;
      owner = getpid();
    }
    return *helpers;
  }

  /// Runs `work` on the calling thread and on up to `count` helpers at once
  /// (fewer if no more threads can start); returns when every call has
  /// returned. One launch at a time: a second waits for the first.
  void run(unsigned count, const std::function<void()> &work) {
    std::lock_guard launch(launchMutex_);
    {
      std::lock_guard lock(mutex_);
      while (threads_.size() < count) {
        try {
          threads_.emplace_back([this] { loop(); });
        } catch (const std::system_error &) {
          break; // fewer helpers; the others do the rest
        }
      }
      work_ = &work;
      ++generation_;
      tickets_ = std::min<size_t>(count, threads_.size());
    }
    wake_.notify_all();
    work();
    std::unique_lock lock(mutex_);
    // A helper that has not woken yet has nothing left to do: it stays
    // asleep.
    tickets_ = 0;
    finished_.wait(lock, [&] { return running_ == 0; });
    work_ = nullptr;
  }

private:
  Helpers() = default;

  /// A helper: waits for a launch, runs its work, and again.
  void loop() {
    uint64_t seen = 0;
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return tickets_ > 0 && generation_ != seen; });
      seen = generation_;
      --tickets_;
      ++running_;
      const std::function<void()> &work = *work_;
      lock.unlock();
      work();
      lock.lock();
      if (--running_ == 0)
        finished_.notify_all();
    }
  }

  std::mutex launchMutex_;
  std::mutex mutex_;
  std::condition_variable wake_, finished_;
  std::vector<std::thread> threads_;
  const std::function<void()> *work_ = nullptr;
  /// Launches so far; a helper runs a launch's work once.
  uint64_t generation_ = 0;
  /// Helpers the current launch still wants, and helpers running its work.
  size_t tickets_ = 0, running_ = 0;
};

} // namespace

void barrier() {
  if (BlockRunner *runner = activeRunner)
    runner->arrive();
}

void mmaTf32(const float *a, const float *b, const float *c, float *d) {
  if (BlockRunner *runner = activeRunner)
    runner->mma(a, b, c, d);
}

uint64_t shuffle(uint32_t value, uint32_t offset, uint32_t width,
                 uint32_t mode) {
  BlockRunner *runner = activeRunner;
  return runner ? runner->exchange(value, offset, width, mode) : value;
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
  std::function<void()> work = [&] {
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
  uint64_t helpers =
      std::min<uint64_t>(std::min(hardware, kMaxHostThreads), blocks) - 1;
  if (helpers == 0)
    work();
  else
    Helpers::get().run(static_cast<unsigned>(helpers), work);
  return error;
}

} // namespace ember::rt::cuda::emu
