//===- Threads.h - How many threads compiled kernels use --------*- C++ -*-===//
//
// Part of Ember. Large kernels (matmuls of at least 4 MFLOP, big
// transposes) run their tile loops on the runtime's threads (Parallel.h);
// each parallel region asks the runtime how many threads to use when it
// starts (see the pass ember-cpu-thread-count), so the count can change
// without recompiling.
//
// The count is, in order: the last setNumThreads(n) with n >= 1; the
// EMBER_NUM_THREADS environment variable (read once); otherwise the CPUs
// this process may run on less those other processes kept busy over the
// last 0.2 s (from /proc/stat; at least 1). A parallel kernel whose threads
// wait for one the scheduler has parked is slower than a serial one, so on
// a shared machine Ember uses the cores that are free.
//
// Idle threads spin for about 1 ms after a region before they sleep (a
// training step's regions follow each other within microseconds; spinning
// longer would keep a core busy through the data loading between steps).
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_RUNTIME_THREADS_H
#define EMBER_RUNTIME_THREADS_H

#include <cstdint>

namespace ember::rt {

/// Threads the next parallel region will use (at least 1).
int numThreads();
/// Sets the thread count; n <= 0 goes back to the default.
void setNumThreads(int n);

} // namespace ember::rt

extern "C" {
/// Called by compiled code at the start of each parallel region.
int32_t ember_num_threads(void);
}

#endif // EMBER_RUNTIME_THREADS_H
