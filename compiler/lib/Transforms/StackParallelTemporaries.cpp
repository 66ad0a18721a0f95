//===- StackParallelTemporaries.cpp - Small loop-body temporaries on stack ===//
//
// Part of Ember. See EmberCPUStackParallelTemporariesPass in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "ember/Transforms/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::ember {
#define GEN_PASS_DEF_EMBERCPUSTACKPARALLELTEMPORARIESPASS
#include "ember/Transforms/Passes.h.inc"
} // namespace mlir::ember

using namespace mlir;

namespace {

struct EmberCPUStackParallelTemporariesPass
    : mlir::ember::impl::EmberCPUStackParallelTemporariesPassBase<
          EmberCPUStackParallelTemporariesPass> {
  using EmberCPUStackParallelTemporariesPassBase::
      EmberCPUStackParallelTemporariesPassBase;

  void runOnOperation() override {
    SmallVector<memref::AllocOp> allocs;
    getOperation().walk([&](memref::AllocOp alloc) {
      // Directly in the body: scf-to-openmp frees the body's allocas at the
      // end of each iteration; one in a nested sequential loop would grow
      // the stack every inner iteration.
      if (!isa<scf::ForallOp, scf::ParallelOp>(alloc->getParentOp()))
        return;
      MemRefType type = alloc.getType();
      if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
          type.getMemorySpace())
        return;
      int64_t bits = type.getNumElements() * type.getElementTypeBitWidth();
      if (bits / 8 > maxBytes)
        return;
      // Freed by an explicit dealloc in the same block (or not yet, before
      // the deallocation pipeline): either way the value does not escape
      // the iteration, whose alloca scope frees it.
      for (Operation *user : alloc->getUsers())
        if ((isa<memref::DeallocOp>(user) &&
             user->getBlock() != alloc->getBlock()) ||
            user->hasTrait<OpTrait::IsTerminator>())
          return;
      allocs.push_back(alloc);
    });
    IRRewriter rewriter(&getContext());
    for (memref::AllocOp alloc : allocs) {
      rewriter.setInsertionPoint(alloc);
      for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
        if (isa<memref::DeallocOp>(user))
          rewriter.eraseOp(user);
      rewriter.replaceOpWithNewOp<memref::AllocaOp>(
          alloc, alloc.getType(), alloc.getDynamicSizes(),
          alloc.getSymbolOperands(), alloc.getAlignmentAttr());
    }
  }
};

} // namespace
