//===- Emulator.h - Running kernels compiled for the host -------*- C++ -*-===//
//
// Part of Ember. Internal to the fake driver (FakeDriver.cpp): runs the
// threads of an emulated kernel (host code in the ABI of
// ember/runtime/GpuPlan.h) the way a GPU runs them, block by block, with
// each block's shared memory and barriers. See Emulator.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_RUNTIME_LIB_CUDA_EMULATOR_H
#define EMBER_RUNTIME_LIB_CUDA_EMULATOR_H

#include <cstdint>
#include <string>

namespace ember::rt::cuda::emu {

/// One thread of an emulated kernel (GpuPlan.h): kernelParams; blockIdx,
/// threadIdx, gridDim, blockDim (x, y, z each); the block's shared memory.
using KernelEntry = void (*)(void **params, const uint32_t ids[12],
                             void *shared);

/// What the emulator knows of a kernel: its host code and the constants
/// exported next to it.
struct Kernel {
  std::string name;
  KernelEntry entry = nullptr;
  /// ember_emu_kernel_<i>_shared_bytes: static shared memory per block.
  uint64_t sharedBytes = 0;
  /// ember_emu_kernel_<i>_barriers: whether a thread may call barrier() or
  /// shuffle() (either makes its threads fibers).
  bool barriers = false;
};

/// The barrier: what the host code's ember_emu_barrier_hook is set to. Called
/// by a thread of a kernel with barriers, it returns once every thread of
/// the block has called it.
void barrier();

/// The warp shuffle: what the host code's ember_emu_shuffle_hook is set to
/// (GpuPlan.h). Called by every thread of a warp (32 consecutive linear
/// thread ids of a block) with its value, it returns once all of them have
/// called it: the value of the source lane (mode 0 xor: lane ^ offset; 1 up:
/// lane - offset; 2 down: lane + offset; 3 idx: offset) in the low 32 bits
/// and 1 in bit 32 when that lane is within [0, width), else the thread's
/// own value and 0, as gpu.shuffle does.
uint64_t shuffle(uint32_t value, uint32_t offset, uint32_t width,
                 uint32_t mode);

/// The tensor-core mma (what ember_emu_mma_hook is set to, GpuPlan.h):
/// every thread of a warp calls it with its fragments of A (4), B (2) and C
/// (4) in PTX's mma.m16n8k8 .tf32 layout; once all have, each gets its 4
/// elements of D = A * B + C in `d`, A and B truncated to TF32, each sum
/// taken in order over k.
void mmaTf32(const float *a, const float *b, const float *c, float *d);

/// Runs every thread of every block of a launch of `kernel`, blocks spread
/// over a few host threads. Empty when the launch ran; otherwise why it
/// failed (a divergent barrier, say), for the driver's error detail.
std::string run(const Kernel &kernel, void **params, const unsigned grid[3],
                const unsigned block[3]);

} // namespace ember::rt::cuda::emu

#endif // EMBER_RUNTIME_LIB_CUDA_EMULATOR_H
