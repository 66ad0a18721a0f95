//===- CPUTarget.h - LLVM IR to native code ---------------------*- C++ -*-===//
//
// Part of Ember. The last steps of the CPU path: the packed entry point,
// LLVM's optimisation pipeline, machine code, and linking the object into a
// shared library that the runtime loads.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_TARGET_CPU_CPUTARGET_H
#define EMBER_TARGET_CPU_CPUTARGET_H

#include "ember/Pipelines/Pipelines.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <string>

namespace llvm {
class Module;
class TargetMachine;
} // namespace llvm

namespace mlir::ember {

/// A TargetMachine for `cpu` ("" means the host CPU and all its features),
/// position-independent, at -O3.
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createCPUTargetMachine(llvm::StringRef cpu);

/// The width of the vector registers code for `tm` may use: 512 with
/// AVX-512, 256 with AVX/AVX2, else 128 (x86); 128 on other targets.
int64_t vectorRegisterBits(const llvm::TargetMachine &tm);

/// What the kernel generator reasons from about the CPU it generates code
/// for: the tile model's parameters (CPUPipelineOptions: registers and FMA
/// timing from LLVM's target description and scheduling model, so
/// `EMBER_CPU=haswell` describes a Haswell; the L1 of the machine the code
/// will run on, the host's L1 and L2, from /sys/devices/system/cpu/cpu0/cache),
/// and for the record the CPU's name.
struct CPUModel : CPUPipelineOptions {
  /// LLVM's name of the CPU, e.g. "haswell", "sapphirerapids".
  std::string cpu;

  /// "haswell: 16 x 256-bit registers, FMA latency 5 x 2/cycle, L1d 48 KiB
  /// 12-way, L2 2048 KiB".
  std::string describe() const;
};

/// The model of the CPU `tm` generates code for, on this host.
CPUModel cpuModel(const llvm::TargetMachine &tm);

/// "cpu +feature,..." of the host and its caches, for cache keys.
std::string describeHostTarget();

/// Adds `void <entryName>(void **args)` to `module`, which loads one pointer
/// per parameter of `funcName` from `args` and calls it. `funcName` must take
/// only pointers (the bare-pointer memref convention) and return void.
llvm::Error addPackedEntryPoint(llvm::Module &module, llvm::StringRef funcName,
                                llvm::StringRef entryName);

/// Points the OpenMP runtime calls LLVM's OpenMP translation emitted for
/// the module's parallel regions (`__kmpc_fork_call`, ...) at Ember's
/// runtime (`ember_kmpc_fork_call`, ...; see ember/runtime/Parallel.h),
/// which runs them on its own threads. An error names any such call Ember's
/// runtime does not provide.
llvm::Error bindParallelRuntime(llvm::Module &module);

/// Adds `void <entryName>(void **params, const uint32_t ids[12], void
/// *shared)` to `module`, the emulated device's entry point of one kernel
/// thread (see ember/runtime/GpuPlan.h): `funcName` is a kernel compiled for
/// the host by ember-gpu-kernels-to-host and lowered with bare-pointer
/// memrefs, whose parameters are the kernel's followed by 12 integer ids and
/// the block's shared memory (a pointer). Parameter j is loaded from the
/// value params[j] points at, with the parameter's own type (a pointer for a
/// buffer, i64 for index and i64, float for f32); the ids are zero-extended;
/// `shared` is passed on. Also adds the constants
///   const uint64_t <entryName>_shared_bytes = sharedBytes;
///   const uint32_t <entryName>_barriers = barriers;
/// the bytes of shared memory a block needs and whether the kernel calls
/// the barrier. `funcName` becomes internal.
llvm::Error addEmulatedKernelEntryPoint(llvm::Module &module,
                                        llvm::StringRef funcName,
                                        llvm::StringRef entryName,
                                        uint64_t sharedBytes, bool barriers);

/// Defines `<name>`, a function ember-gpu-kernels-to-host makes kernels
/// call (the barrier, the warp shuffle), when `module` declares it: it
/// calls, with its arguments, the function of the same type whose address
/// is in the exported variable `<hookName>`, which the emulator sets when
/// it loads the code, and returns its result. A no-op otherwise.
void defineEmulatedHook(llvm::Module &module, llvm::StringRef name,
                        llvm::StringRef hookName);

/// Runs LLVM's default -O3 module pipeline, tuned for `tm`.
void optimizeModule(llvm::Module &module, llvm::TargetMachine &tm);

/// Native assembly (`asObject == false`) or an ELF object for `module`.
llvm::Expected<std::string> emitMachineCode(llvm::Module &module,
                                            llvm::TargetMachine &tm,
                                            bool asObject);

/// Links an ELF relocatable object into a shared object with the system
/// linker (`ld`, or $EMBER_LINKER), returning the shared object's bytes.
llvm::Expected<std::string> linkSharedObject(llvm::StringRef object);

} // namespace mlir::ember

#endif // EMBER_TARGET_CPU_CPUTARGET_H
