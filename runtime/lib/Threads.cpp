//===- Threads.cpp - How many threads compiled kernels use ----------------===//
//
// Part of Ember. See ember/runtime/Threads.h.
//
//===----------------------------------------------------------------------===//

#include "ember/runtime/Threads.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <sched.h>
#include <thread>
#include <unistd.h>

namespace ember::rt {
namespace {

std::atomic<int> overrideCount{0};

/// EMBER_NUM_THREADS, or 0 when unset or not a count.
int environmentCount() {
  static const int count = [] {
    if (const char *env = std::getenv("EMBER_NUM_THREADS")) {
      char *end = nullptr;
      long n = std::strtol(env, &end, 10);
      if (end != env && *end == '\0' && n >= 1 && n <= 1024)
        return static_cast<int>(n);
    }
    return 0;
  }();
  return count;
}

int cpuCount() {
  static const int count = [] {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
      int n = CPU_COUNT(&set);
      if (n >= 1)
        return n;
    }
    unsigned n = std::thread::hardware_concurrency();
    return n >= 1 ? static_cast<int>(n) : 1;
  }();
  return count;
}

/// Busy and total CPU time of the whole machine, in clock ticks, from the
/// first line of /proc/stat; false when it cannot be read.
bool machineTicks(unsigned long long &busy, unsigned long long &total) {
  std::FILE *f = std::fopen("/proc/stat", "r");
  if (!f)
    return false;
  unsigned long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0,
                     irq = 0, softirq = 0, steal = 0;
  int n = std::fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user,
                      &nice, &system, &idle, &iowait, &irq, &softirq, &steal);
  std::fclose(f);
  if (n < 4)
    return false;
  busy = user + nice + system + irq + softirq + steal;
  total = busy + idle + iowait;
  return true;
}

double processCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/// The default count: the CPUs this process may use, less those other
/// processes kept busy over the last fifth of a second. Threads that wait
/// at a barrier for a thread the scheduler has parked make a parallel
/// kernel slower than a serial one, so on a shared machine Ember uses the
/// cores that are actually free (at least one).
int adaptiveCount() {
  int cpus = cpuCount();
  if (cpus == 1)
    return 1;
  static std::mutex mutex;
  static std::atomic<int> current{cpus};
  static std::chrono::steady_clock::time_point lastWall;
  static unsigned long long lastBusy = 0;
  static double lastSelf = 0;
  static const double ticksPerSecond = double(sysconf(_SC_CLK_TCK));

  std::unique_lock<std::mutex> lock(mutex, std::try_to_lock);
  if (!lock.owns_lock())
    return current.load(std::memory_order_relaxed);
  auto now = std::chrono::steady_clock::now();
  double elapsed = std::chrono::duration<double>(now - lastWall).count();
  if (elapsed < 0.2 || ticksPerSecond <= 0)
    return current.load(std::memory_order_relaxed);
  unsigned long long busy = 0, total = 0;
  if (!machineTicks(busy, total))
    return cpus;
  double self = processCpuSeconds();
  bool first = lastBusy == 0;
  double othersBusy =
      (double(busy - lastBusy) / ticksPerSecond - (self - lastSelf)) / elapsed;
  lastWall = now;
  lastBusy = busy;
  lastSelf = self;
  if (!first) {
    int freeCpus = int(std::lround(double(cpus) - std::max(0.0, othersBusy)));
    current.store(std::clamp(freeCpus, 1, cpus), std::memory_order_relaxed);
  }
  return current.load(std::memory_order_relaxed);
}

} // namespace

int numThreads() {
  if (int n = overrideCount.load(std::memory_order_relaxed); n >= 1)
    return n;
  if (int n = environmentCount())
    return n;
  return adaptiveCount();
}

void setNumThreads(int n) {
  overrideCount.store(n >= 1 ? n : 0, std::memory_order_relaxed);
}

} // namespace ember::rt

int32_t ember_num_threads(void) { return ember::rt::numThreads(); }
