//===- Parallel.h - The threads compiled parallel loops run on --*- C++ -*-===//
//
// Part of Ember. Compiled CPU graphs run each parallel tile loop (an
// `scf.forall`, lowered through the OpenMP dialect) on Ember's own threads,
// not on an OpenMP runtime: LLVM's OpenMP translation emits calls to
// libomp's entry points (__kmpc_fork_call, __kmpc_dispatch_next_8u, ...),
// which the CPU target renames to the ember_kmpc_* functions below
// (bindParallelRuntime in CPUTarget.cpp). Only what that code calls is
// provided: one dynamically scheduled worksharing loop per region, no
// barriers (the pass ember-cpu-thread-count makes every region so).
//
// Why not libomp: its regions end at a barrier that every thread of the
// team must reach, and its schedules give each thread a share nobody else
// can take. On a shared machine a thread the scheduler has parked holds the
// whole region up for its time slice. Here:
// - each thread starts with the share a static schedule would give it (the
//   same contiguous iterations, so a quiet machine sees the same locality)
//   and takes it a few iterations at a time;
// - a thread whose share is done takes half of what is left of the
//   largest other share (so a late or parked thread's work is done by the
//   threads that are running);
// - the region ends when every iteration is done and every thread that
//   entered it has left: a thread that had not started when the work ran
//   out never enters, and nobody waits for it.
//
// Workers spin for about a millisecond after a region (a training step's
// regions follow each other within microseconds), then sleep on a futex
// until the next. A region started inside a region, or while another
// thread's region holds the workers, runs on the calling thread alone.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_RUNTIME_PARALLEL_H
#define EMBER_RUNTIME_PARALLEL_H

#include <cstdint>

namespace ember::rt {

/// Whether this thread is running a parallel region's body (on any
/// thread of it, the caller's included).
bool inParallelRegion();

} // namespace ember::rt

extern "C" {
// libomp's ABI, as the code LLVM's OpenMPIRBuilder emits calls it. `loc`
// (an ident_t) is ignored; `gtid` is the thread's number in its region.
int32_t ember_kmpc_global_thread_num(void *loc);
void ember_kmpc_push_num_threads(void *loc, int32_t gtid, int32_t count);
void ember_kmpc_fork_call(void *loc, int32_t argc, void *microtask, ...);
void ember_kmpc_dispatch_init_8u(void *loc, int32_t gtid, int32_t schedule,
                                 uint64_t lower, uint64_t upper, int64_t step,
                                 int64_t chunk);
int32_t ember_kmpc_dispatch_next_8u(void *loc, int32_t gtid, int32_t *last,
                                    uint64_t *lower, uint64_t *upper,
                                    int64_t *step);
}

#endif // EMBER_RUNTIME_PARALLEL_H
