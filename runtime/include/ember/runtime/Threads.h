//===- Threads.h - How many threads compiled kernels use --------*- C++ -*-===//
//
// Part of Ember. Large kernels (matmuls of at least 4 MFLOP, big
// transposes) run their tile loops on OpenMP threads; each parallel region
// asks the runtime how many threads to use when it starts (see the pass
// ember-cpu-thread-count), so the count can change without recompiling.
//
// The count is, in order: the last setNumThreads(n) with n >= 1; the
// EMBER_NUM_THREADS environment variable (read once); otherwise the CPUs
// this process may run on less those other processes kept busy over the
// last 0.2 s (from /proc/stat; at least 1). A parallel kernel whose threads
// wait for one the scheduler has parked is slower than a serial one, so on
// a shared machine Ember uses the cores that are free.
//
// Threads spin for at most 1 ms after a parallel region before they sleep:
// unless the user set KMP_BLOCKTIME or OMP_WAIT_POLICY, the runtime sets
// KMP_BLOCKTIME=1 before the first compiled graph is loaded. (OpenMP's
// default, 200 ms, keeps a core spinning through the data loading between
// steps; 0 makes every region pay a wake-up, which on this 2-core machine
// made two threads slower than one.)
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
/// Sets the OpenMP waiting policy (see above) if the user has not; called
/// before compiled code is loaded. Idempotent.
void configureThreadEnvironment();

} // namespace ember::rt

extern "C" {
/// Called by compiled code at the start of each parallel region.
int32_t ember_num_threads(void);
}

#endif // EMBER_RUNTIME_THREADS_H
