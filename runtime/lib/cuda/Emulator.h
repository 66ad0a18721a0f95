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
  /// ember_emu_kernel_<i>_barriers: whether a thread may call barrier().
  bool barriers = false;
};

/// The barrier: what the host code's ember_emu_barrier_hook is set to. Called
/// by a thread of a kernel with barriers, it returns once every thread of
/// the block has called it.
void barrier();

/// Runs every thread of every block of a launch of `kernel`, blocks spread
/// over a few host threads. Empty when the launch ran; otherwise why it
/// failed (a divergent barrier, say), for the driver's error detail.
std::string run(const Kernel &kernel, void **params, const unsigned grid[3],
                const unsigned block[3]);

} // namespace ember::rt::cuda::emu

#endif // EMBER_RUNTIME_LIB_CUDA_EMULATOR_H
