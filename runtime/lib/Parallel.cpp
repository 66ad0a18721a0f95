//===- Parallel.cpp - The threads compiled parallel loops run on ----------===//
//
// Part of Ember. See ember/runtime/Parallel.h.
//
//===----------------------------------------------------------------------===//

#include "ember/runtime/Parallel.h"

#include "ember/runtime/Threads.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <pthread.h>
#include <sched.h>
#include <thread>
#include <vector>

namespace ember::rt {
namespace {

constexpr int kMaxThreads = 256;
/// Arguments a region's body may take after the two thread numbers
/// (OpenMPIRBuilder passes one: a struct of everything the body captures).
constexpr int kMaxArgs = 4;
/// How long a worker spins for the next region before it sleeps.
constexpr auto kSpin = std::chrono::microseconds(1000);

[[noreturn]] void fatal(const char *message) {
  std::fprintf(stderr, "ember: parallel loop: %s\n", message);
  std::abort();
}

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/// Waits for `done()`, which another thread makes true within microseconds
/// unless the scheduler has parked it: spinning, then yielding the core.
template <typename Done> void spinUntil(Done done) {
  for (int spins = 0; !done(); ++spins) {
    if (spins < 4096)
      cpuRelax();
    else
      sched_yield();
  }
}

/// What is left of one thread's share of a loop, in units: [begin, end)
/// packed as begin << 32 | end. Its owner takes from the front; others
/// take from the back. Both change it by compare-and-swap.
struct alignas(64) Share {
  std::atomic<uint64_t> range{0};
};

constexpr uint64_t pack(uint32_t begin, uint32_t end) {
  return uint64_t(begin) << 32 | end;
}
constexpr uint32_t beginOf(uint64_t range) { return uint32_t(range >> 32); }
constexpr uint32_t endOf(uint64_t range) { return uint32_t(range); }

/// The threads of one region and the loop they share.
struct Team {
  int threads = 1;
  Share *shares = nullptr; // `threads` of them
  /// Set by the region's caller before any thread runs the body; the
  /// loop's fields are written by the first thread to reach dispatch_init
  /// (initClaimed) and read by all once initDone says this generation.
  uint32_t generation = 1;
  std::atomic<uint32_t> initClaimed{0};
  std::atomic<uint32_t> initDone{0};
  uint64_t lower = 0;
  int64_t step = 1;
  uint64_t trip = 0;
  /// Iterations per unit: 1 unless the loop has 2^31 iterations or more.
  uint64_t unit = 1;
  uint32_t units = 0;
  /// Units a thread takes from its own share at a time.
  uint32_t grain = 1;
};

/// The region this thread is running the body of (null outside one).
thread_local Team *tlsTeam = nullptr;
thread_local int tlsSlot = 0;
thread_local int tlsPendingThreads = 0;
/// Whether this thread has initialised its region's loop.
thread_local bool tlsLoopStarted = false;

void initLoop(Team &team, uint64_t lower, uint64_t upper, int64_t step) {
  if (step < 1)
    fatal("only loops with a positive step are supported");
  team.lower = lower;
  team.step = step;
  team.trip = upper < lower ? 0 : (upper - lower) / uint64_t(step) + 1;
  team.unit = team.trip >> 31 ? (team.trip >> 31) + 1 : 1;
  team.units = uint32_t((team.trip + team.unit - 1) / team.unit);
  uint32_t perThread = team.units / uint32_t(team.threads);
  // A sixteenth of a share at a time: a thread parked holding its grain
  // keeps the region waiting for at most that much work.
  team.grain = std::max<uint32_t>(1, perThread / 16);
  for (int s = 0; s < team.threads; ++s) {
    uint32_t begin = uint32_t(uint64_t(team.units) * s / team.threads);
    uint32_t end = uint32_t(uint64_t(team.units) * (s + 1) / team.threads);
    team.shares[s].range.store(pack(begin, end), std::memory_order_relaxed);
  }
}

void dispatchInit(uint64_t lower, uint64_t upper, int64_t step) {
  Team *team = tlsTeam;
  if (!team)
    fatal("dispatch_init called outside a parallel region");
  // One loop per region (ember-cpu-thread-count): a second would read the
  // first one's shares.
  if (tlsLoopStarted)
    fatal("a parallel region with more than one loop");
  tlsLoopStarted = true;
  uint32_t gen = team->generation;
  if (team->initDone.load(std::memory_order_acquire) == gen)
    return;
  uint32_t claimed = team->initClaimed.load(std::memory_order_relaxed);
  if (claimed != gen && team->initClaimed.compare_exchange_strong(
                            claimed, gen, std::memory_order_relaxed)) {
    initLoop(*team, lower, upper, step);
    team->initDone.store(gen, std::memory_order_release);
    return;
  }
  spinUntil(
      [&] { return team->initDone.load(std::memory_order_acquire) == gen; });
}

/// The next units for this thread, [*first, *first + *count): from its own
/// share, else half of what is left of the largest other share. False when
/// every share is empty.
bool takeUnits(Team &team, int slot, uint32_t &first, uint32_t &count) {
  std::atomic<uint64_t> &own = team.shares[slot].range;
  for (;;) {
    uint64_t range = own.load(std::memory_order_acquire);
    uint32_t begin = beginOf(range), end = endOf(range);
    if (begin >= end)
      break;
    uint32_t take = std::min(team.grain, end - begin);
    if (own.compare_exchange_weak(range, pack(begin + take, end),
                                  std::memory_order_acq_rel)) {
      first = begin;
      count = take;
      return true;
    }
  }
  for (;;) {
    int victim = -1;
    uint64_t victimRange = 0;
    uint32_t most = 0;
    for (int s = 0; s < team.threads; ++s) {
      if (s == slot)
        continue;
      uint64_t range = team.shares[s].range.load(std::memory_order_acquire);
      uint32_t left = endOf(range) - std::min(beginOf(range), endOf(range));
      if (left > most) {
        most = left;
        victim = s;
        victimRange = range;
      }
    }
    if (victim < 0)
      return false;
    uint32_t begin = beginOf(victimRange), end = endOf(victimRange);
    uint32_t take = (end - begin + 1) / 2;
    if (!team.shares[victim].range.compare_exchange_strong(
            victimRange, pack(begin, end - take), std::memory_order_acq_rel))
      continue;
    // This thread's share is empty, and nobody changes an empty share:
    // what is stolen becomes it.
    first = end - take;
    count = std::min(team.grain, take);
    own.store(pack(first + count, end), std::memory_order_release);
    return true;
  }
}

int32_t dispatchNext(int32_t *last, uint64_t *lower, uint64_t *upper,
                     int64_t *step) {
  Team *team = tlsTeam;
  if (!team)
    fatal("dispatch_next called outside a parallel region");
  uint32_t first = 0, count = 0;
  if (!takeUnits(*team, tlsSlot, first, count))
    return 0;
  uint64_t begin = uint64_t(first) * team->unit;
  uint64_t end = std::min(uint64_t(first + count) * team->unit, team->trip);
  *lower = team->lower + begin * uint64_t(team->step);
  *upper = team->lower + (end - 1) * uint64_t(team->step);
  *step = team->step;
  if (last)
    *last = end == team->trip;
  return 1;
}

using Body0 = void (*)(int32_t *, int32_t *);
using Body1 = void (*)(int32_t *, int32_t *, void *);
using Body2 = void (*)(int32_t *, int32_t *, void *, void *);
using Body3 = void (*)(int32_t *, int32_t *, void *, void *, void *);
using Body4 = void (*)(int32_t *, int32_t *, void *, void *, void *, void *);

/// A region's body and its arguments.
struct Body {
  void *fn = nullptr;
  int argc = 0;
  void *args[kMaxArgs] = {};
};

/// Runs `body` as thread `slot` of `team`.
void runBody(const Body &body, Team &team, int slot) {
  Team *outerTeam = tlsTeam;
  int outerSlot = tlsSlot;
  bool outerLoop = tlsLoopStarted;
  tlsTeam = &team;
  tlsSlot = slot;
  tlsLoopStarted = false;
  int32_t gtid = slot, btid = slot;
  void *const *a = body.args;
  switch (body.argc) {
  case 0:
    reinterpret_cast<Body0>(body.fn)(&gtid, &btid);
    break;
  case 1:
    reinterpret_cast<Body1>(body.fn)(&gtid, &btid, a[0]);
    break;
  case 2:
    reinterpret_cast<Body2>(body.fn)(&gtid, &btid, a[0], a[1]);
    break;
  case 3:
    reinterpret_cast<Body3>(body.fn)(&gtid, &btid, a[0], a[1], a[2]);
    break;
  default:
    reinterpret_cast<Body4>(body.fn)(&gtid, &btid, a[0], a[1], a[2], a[3]);
    break;
  }
  tlsTeam = outerTeam;
  tlsSlot = outerSlot;
  tlsLoopStarted = outerLoop;
}

/// The worker threads. One region runs on them at a time; its caller is
/// thread 0 and worker i is thread i + 1.
class Pool {
public:
  Pool() : shares_(new Share[kMaxThreads]) { team_.shares = shares_.get(); }

  /// Runs `body` on up to `threads` threads; false (nothing run) when the
  /// workers are busy with another caller's region.
  bool run(const Body &body, int threads) {
    std::unique_lock<std::mutex> lock(forkMutex_, std::try_to_lock);
    if (!lock.owns_lock())
      return false;
    threads = std::min(threads, kMaxThreads);
    // A thread the system refuses to create leaves the region fewer.
    while (int(workers_.size()) < threads - 1 && spawn()) {
    }
    threads = std::min(threads, int(workers_.size()) + 1);
    uint32_t gen = generation_.load(std::memory_order_relaxed) + 1;
    if (gen == 0)
      gen = 1; // 0 means no region is open
    body_ = body;
    team_.threads = threads;
    team_.generation = gen;
    open_.store(gen, std::memory_order_relaxed);
    generation_.store(gen, std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0)
      generation_.notify_all();

    runBody(body_, team_, 0);

    // Every unit is taken. Close the region, so that a worker not yet in
    // it stays out, and wait for those inside to finish their units.
    open_.store(0, std::memory_order_seq_cst);
    spinUntil([&] { return active_.load(std::memory_order_seq_cst) == 0; });
    return true;
  }

  /// Stops and joins the workers (at exit).
  void stop() {
    std::lock_guard<std::mutex> lock(forkMutex_);
    stopping_.store(true, std::memory_order_seq_cst);
    generation_.fetch_add(1, std::memory_order_seq_cst);
    generation_.notify_all();
    for (std::thread &worker : workers_)
      if (worker.joinable())
        worker.join();
    workers_.clear();
  }

private:
  bool spawn() {
    int slot = int(workers_.size()) + 1;
    uint32_t seen = generation_.load(std::memory_order_relaxed);
    try {
      workers_.emplace_back([this, slot, seen] { work(slot, seen); });
    } catch (const std::exception &) {
      return false;
    }
    return true;
  }

  void work(int slot, uint32_t seen) {
    for (;;) {
      waitForRegion(seen);
      // The generation first: stop() sets stopping_ before it bumps the
      // generation, so a worker that reads the bumped one sees it, and one
      // that reads an older one comes back here at once.
      seen = generation_.load(std::memory_order_acquire);
      if (stopping_.load(std::memory_order_acquire))
        return;
      active_.fetch_add(1, std::memory_order_seq_cst);
      if (open_.load(std::memory_order_seq_cst) == seen && slot < team_.threads)
        runBody(body_, team_, slot);
      active_.fetch_sub(1, std::memory_order_release);
    }
  }

  /// Returns once the generation is no longer `seen`: spinning for a
  /// while, then asleep on the generation's futex.
  void waitForRegion(uint32_t seen) {
    auto start = std::chrono::steady_clock::now();
    for (int spins = 1;; ++spins) {
      if (generation_.load(std::memory_order_acquire) != seen)
        return;
      cpuRelax();
      if (spins % 256 == 0 && std::chrono::steady_clock::now() - start > kSpin)
        break;
    }
    for (;;) {
      sleepers_.fetch_add(1, std::memory_order_seq_cst);
      if (generation_.load(std::memory_order_seq_cst) == seen)
        generation_.wait(seen, std::memory_order_acquire);
      sleepers_.fetch_sub(1, std::memory_order_relaxed);
      if (generation_.load(std::memory_order_acquire) != seen)
        return;
    }
  }

  std::mutex forkMutex_;
  std::vector<std::thread> workers_;
  std::unique_ptr<Share[]> shares_;
  Team team_;
  Body body_;
  std::atomic<uint32_t> generation_{0};
  std::atomic<uint32_t> open_{0};
  std::atomic<int> active_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stopping_{false};
};

std::atomic<Pool *> gPool{nullptr};
/// A forked child's copy of the parent's pool: it has none of the threads,
/// and is never used again (kept reachable, not freed).
Pool *gForkedAway = nullptr;

Pool &pool() {
  if (Pool *p = gPool.load(std::memory_order_acquire))
    return *p;
  auto *created = new Pool;
  Pool *expected = nullptr;
  if (!gPool.compare_exchange_strong(expected, created,
                                     std::memory_order_acq_rel)) {
    delete created;
    return *expected;
  }
  static std::once_flag once;
  std::call_once(once, [] {
    // Workers are joined before the exit handlers registered earlier
    // (LeakSanitizer's check among them) run.
    std::atexit([] {
      if (Pool *p = gPool.load(std::memory_order_acquire))
        p->stop();
    });
    // A forked child has none of the parent's threads (and perhaps a
    // locked mutex): it starts a pool of its own.
    pthread_atfork(nullptr, nullptr, [] {
      gForkedAway = gPool.exchange(nullptr, std::memory_order_relaxed);
    });
  });
  return *created;
}

void runAlone(const Body &body) {
  Share share;
  Team team;
  team.shares = &share;
  runBody(body, team, 0);
}

} // namespace

bool inParallelRegion() { return tlsTeam != nullptr; }

} // namespace ember::rt

using namespace ember::rt;

int32_t ember_kmpc_global_thread_num(void *) { return tlsSlot; }

void ember_kmpc_push_num_threads(void *, int32_t, int32_t count) {
  tlsPendingThreads = count;
}

void ember_kmpc_fork_call(void *, int32_t argc, void *microtask, ...) {
  if (argc < 0 || argc > kMaxArgs)
    fatal("a region's body takes more arguments than Ember's threads pass");
  Body body;
  body.fn = microtask;
  body.argc = argc;
  va_list list;
  va_start(list, microtask);
  for (int i = 0; i < argc; ++i)
    body.args[i] = va_arg(list, void *);
  va_end(list);
  int threads = tlsPendingThreads > 0 ? tlsPendingThreads : numThreads();
  tlsPendingThreads = 0;
  if (threads > 1 && !inParallelRegion() && pool().run(body, threads))
    return;
  runAlone(body);
}

void ember_kmpc_dispatch_init_8u(void *, int32_t, int32_t, uint64_t lower,
                                 uint64_t upper, int64_t step, int64_t) {
  dispatchInit(lower, upper, step);
}

int32_t ember_kmpc_dispatch_next_8u(void *, int32_t, int32_t *last,
                                    uint64_t *lower, uint64_t *upper,
                                    int64_t *step) {
  return dispatchNext(last, lower, upper, step);
}
