//===- GpuPlan.h - Extracting the host plan of a GPU graph ------*- C++ -*-===//
//
// Part of Ember.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_TARGET_NVPTX_GPUPLAN_H
#define EMBER_TARGET_NVPTX_GPUPLAN_H

#include "ember/runtime/GpuPlan.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

namespace mlir::ember {

/// Reads the host function `funcName` of a module that went through the
/// NVVM pipeline (kernels serialised to PTX in gpu.binary ops) and returns
/// the plan the runtime executes: its allocations, kernel launches (grid,
/// block and arguments must be constants), copies and frees. Any other host
/// operation is an error reported on that op. Kernels (told apart by their
/// full @module::@kernel reference) are numbered in the order of their first
/// launch, and each gpu.binary's PTX is stored once, as one of the plan's
/// modules; when `kernelNames` is given, it receives the kernel (gpu.func)
/// name of each kernel index.
FailureOr<::ember::rt::GpuPlan>
extractGpuPlan(ModuleOp module, StringRef funcName,
               SmallVectorImpl<std::string> *kernelNames = nullptr);

} // namespace mlir::ember

#endif // EMBER_TARGET_NVPTX_GPUPLAN_H
