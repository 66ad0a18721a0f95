//===- NoAliasArguments.cpp - noalias on kernel buffers that never alias --===//
//
// Part of Ember. See EmberGPUNoAliasArgumentsPass in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "ember/Transforms/BufferRoots.h"
#include "ember/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "llvm/ADT/DenseMap.h"

namespace mlir::ember {
#define GEN_PASS_DEF_EMBERGPUNOALIASARGUMENTSPASS
#include "ember/Transforms/Passes.h.inc"
} // namespace mlir::ember

using namespace mlir;
using mlir::ember::bufferRoot;

namespace {

struct EmberGPUNoAliasArgumentsPass
    : mlir::ember::impl::EmberGPUNoAliasArgumentsPassBase<
          EmberGPUNoAliasArgumentsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Per kernel, per argument: false once a launch shares its buffer.
    llvm::DenseMap<gpu::GPUFuncOp, SmallVector<bool>> distinct;
    module.walk([&](gpu::LaunchFuncOp launch) {
      auto kernel = SymbolTable::lookupNearestSymbolFrom<gpu::GPUFuncOp>(
          launch, launch.getKernel());
      if (!kernel)
        return;
      ValueRange operands = launch.getKernelOperands();
      auto [it, fresh] = distinct.try_emplace(
          kernel, SmallVector<bool>(operands.size(), true));
      SmallVector<bool> &flags = it->second;
      for (auto [i, a] : llvm::enumerate(operands)) {
        if (!isa<MemRefType>(a.getType()))
          continue;
        for (auto [j, b] : llvm::enumerate(operands))
          if (i != j && isa<MemRefType>(b.getType()) &&
              bufferRoot(a) == bufferRoot(b))
            flags[i] = false;
      }
    });
    StringAttr noalias =
        StringAttr::get(&getContext(), LLVM::LLVMDialect::getNoAliasAttrName());
    for (auto &[kernel, flags] : distinct)
      for (auto [i, arg] : llvm::enumerate(kernel.getArguments()))
        if (i < flags.size() && flags[i] && isa<MemRefType>(arg.getType()))
          kernel.setArgAttr(i, noalias, UnitAttr::get(&getContext()));
  }
};

} // namespace
