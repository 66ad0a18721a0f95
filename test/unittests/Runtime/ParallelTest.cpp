//===- ParallelTest.cpp - Ember's threads for compiled parallel loops -----===//
//
// Calls the runtime's ember_kmpc_* entry points as compiled code does (a
// region's body gets its thread number and one argument; it initialises
// the loop, then takes chunks until there are none) and checks that every
// iteration runs exactly once, whatever the thread count and bounds, with
// nested regions, concurrent callers, and a thread that arrives late.
//
//===----------------------------------------------------------------------===//

#include "ember/runtime/Parallel.h"

#include <atomic>
#include <gtest/gtest.h>
#include <memory>
#include <random>
#include <thread>
#include <vector>

namespace {

/// One loop run by a region: lower..upper (inclusive) by step, as
/// OpenMPIRBuilder passes them.
struct Loop {
  uint64_t lower = 1;
  uint64_t upper = 0;
  int64_t step = 1;
  /// Runs of each iteration, indexed by (i - lower) / step.
  std::unique_ptr<std::atomic<int>[]> runs;
  /// Iterations each thread ran, and chunks flagged as the last.
  std::atomic<int> byThread[8] = {};
  std::atomic<int> lastFlags{0};
  /// When set, thread 1 starts its loop only after thread 0 has finished
  /// its own (a thread the scheduler parked before it took anything).
  bool threadOneLate = false;
  std::atomic<bool> threadZeroDone{false};
  std::atomic<bool> sawRegion{true};
  /// A region to run inside each iteration (nested), or null.
  Loop *inner = nullptr;

  Loop(uint64_t lower, uint64_t upper, int64_t step)
      : lower(lower), upper(upper), step(step) {
    runs.reset(new std::atomic<int>[trip() + 1]());
  }
  uint64_t trip() const {
    return upper < lower ? 0 : (upper - lower) / uint64_t(step) + 1;
  }
};

void body(int32_t *gtid, int32_t *, void *arg);

void runRegion(Loop &loop, int threads) {
  ember_kmpc_push_num_threads(nullptr, ember_kmpc_global_thread_num(nullptr),
                              threads);
  ember_kmpc_fork_call(nullptr, 1, reinterpret_cast<void *>(&body), &loop);
}

void body(int32_t *gtid, int32_t *, void *arg) {
  auto &loop = *static_cast<Loop *>(arg);
  int32_t slot = *gtid;
  if (!ember::rt::inParallelRegion() ||
      ember_kmpc_global_thread_num(nullptr) != slot)
    loop.sawRegion = false;
  if (loop.threadOneLate && slot == 1)
    while (!loop.threadZeroDone.load())
      std::this_thread::yield();
  ember_kmpc_dispatch_init_8u(nullptr, slot, /*dynamic*/ 35, loop.lower,
                              loop.upper, loop.step, 1);
  int32_t last = 0;
  uint64_t lower = 0, upper = 0;
  int64_t step = 0;
  while (ember_kmpc_dispatch_next_8u(nullptr, slot, &last, &lower, &upper,
                                     &step)) {
    EXPECT_EQ(step, loop.step);
    if (last)
      ++loop.lastFlags;
    for (uint64_t i = lower; i <= upper; i += uint64_t(step)) {
      ++loop.runs[(i - loop.lower) / uint64_t(loop.step)];
      ++loop.byThread[slot];
      if (loop.inner) {
        // Every iteration runs the same nested loop; its counts add up.
        runRegion(*loop.inner, 4);
      }
    }
  }
  if (slot == 0)
    loop.threadZeroDone = true;
}

void expectEachOnce(const Loop &loop, int times = 1) {
  for (uint64_t i = 0; i < loop.trip(); ++i)
    ASSERT_EQ(loop.runs[i].load(), times) << "iteration " << i;
  EXPECT_EQ(loop.lastFlags.load(), loop.trip() ? times : 0);
  EXPECT_TRUE(loop.sawRegion.load());
}

TEST(ParallelTest, EveryIterationOnce) {
  std::mt19937_64 rng(std::random_device{}());
  for (int threads : {1, 2, 3, 7})
    for (uint64_t trip : {0, 1, 2, 5, 16, 97, 1000}) {
      uint64_t lower = rng() % 2 ? 1 : rng() % 1000;
      int64_t step = rng() % 2 ? 1 : int64_t(rng() % 5 + 2);
      uint64_t upper = trip ? lower + (trip - 1) * uint64_t(step) : lower - 1;
      if (!trip && lower == 0)
        continue; // no empty loop from 0 in unsigned bounds
      Loop loop(lower, upper, step);
      ASSERT_EQ(loop.trip(), trip);
      runRegion(loop, threads);
      SCOPED_TRACE("threads " + std::to_string(threads) + ", trip " +
                   std::to_string(trip) + ", step " + std::to_string(step));
      expectEachOnce(loop);
      int total = 0;
      for (int t = 0; t < 8; ++t) {
        total += loop.byThread[t].load();
        if (t >= threads)
          EXPECT_EQ(loop.byThread[t].load(), 0);
      }
      EXPECT_EQ(total, int(trip));
    }
  EXPECT_FALSE(ember::rt::inParallelRegion());
}

TEST(ParallelTest, ALateThreadsShareIsTakenByTheOthers) {
  // Thread 1 takes nothing until thread 0 has run out of work: the others
  // must have taken thread 1's share, and the region must end.
  for (int threads : {2, 3}) {
    Loop loop(1, 200, 1);
    loop.threadOneLate = true;
    runRegion(loop, threads);
    expectEachOnce(loop);
    EXPECT_EQ(loop.byThread[1].load(), 0);
    EXPECT_EQ(loop.byThread[0].load() + loop.byThread[2].load(), 200);
  }
}

TEST(ParallelTest, NestedRegionsRunOnTheCallingThread) {
  Loop inner(1, 9, 1);
  Loop outer(1, 40, 1);
  outer.inner = &inner;
  runRegion(outer, 2);
  expectEachOnce(outer);
  expectEachOnce(inner, 40);
  for (int t = 1; t < 8; ++t)
    EXPECT_EQ(inner.byThread[t].load(), 0) << "thread " << t;
}

TEST(ParallelTest, ConcurrentCallers) {
  // Callers on several threads at once: one holds the workers, the others
  // run alone; every loop completes either way.
  constexpr int kCallers = 4, kRegions = 100;
  std::vector<std::thread> callers;
  std::atomic<int> failures{0};
  for (int c = 0; c < kCallers; ++c)
    callers.emplace_back([&, c] {
      for (int r = 0; r < kRegions; ++r) {
        Loop loop(1, 50 + c + r % 7, 1);
        runRegion(loop, 2 + c % 2);
        for (uint64_t i = 0; i < loop.trip(); ++i)
          if (loop.runs[i].load() != 1)
            ++failures;
        if (loop.lastFlags.load() != 1)
          ++failures;
      }
    });
  for (std::thread &t : callers)
    t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(ParallelTest, RegionWithNoArguments) {
  static std::atomic<int> calls{0};
  calls = 0;
  auto noArgs = +[](int32_t *, int32_t *) { ++calls; };
  ember_kmpc_push_num_threads(nullptr, 0, 1);
  ember_kmpc_fork_call(nullptr, 0, reinterpret_cast<void *>(noArgs));
  EXPECT_EQ(calls.load(), 1);
}

} // namespace

namespace {

void twoLoops(int32_t *gtid, int32_t *, void *) {
  for (int loop = 0; loop < 2; ++loop) {
    ember_kmpc_dispatch_init_8u(nullptr, *gtid, 35, 1, 10, 1, 1);
    int32_t last = 0;
    uint64_t lower = 0, upper = 0;
    int64_t step = 0;
    while (ember_kmpc_dispatch_next_8u(nullptr, *gtid, &last, &lower, &upper,
                                       &step)) {
    }
  }
}

TEST(ParallelTest, ASecondLoopInARegionIsAnError) {
  // ember-cpu-thread-count never makes one; the runtime stops rather than
  // run the second loop on the first one's shares. (One thread: the
  // death test forks.)
  EXPECT_DEATH(
      {
        ember_kmpc_push_num_threads(nullptr, 0, 1);
        ember_kmpc_fork_call(nullptr, 1, reinterpret_cast<void *>(&twoLoops),
                             nullptr);
      },
      "a parallel region with more than one loop");
}

} // namespace
