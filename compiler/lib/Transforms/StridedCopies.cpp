//===- StridedCopies.cpp - Non-contiguous memref.copy to linalg.copy ------===//
//
// Part of Ember. See EmberCPUStridedCopiesToLoopsPass in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "ember/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::ember {
#define GEN_PASS_DEF_EMBERCPUSTRIDEDCOPIESTOLOOPSPASS
#include "ember/Transforms/Passes.h.inc"
} // namespace mlir::ember

using namespace mlir;

namespace {

/// Whether a copy between `source` and `target` lowers to a runtime call:
/// both are ranked (linalg.copy takes no other) and one is not statically
/// shaped, contiguous and row-major.
bool needsLoops(Type source, Type target) {
  auto from = dyn_cast<MemRefType>(source), to = dyn_cast<MemRefType>(target);
  return from && to &&
         !(memref::isStaticShapeAndContiguousRowMajor(from) &&
           memref::isStaticShapeAndContiguousRowMajor(to));
}

struct EmberCPUStridedCopiesToLoopsPass
    : mlir::ember::impl::EmberCPUStridedCopiesToLoopsPassBase<
          EmberCPUStridedCopiesToLoopsPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp copy) {
      if (needsLoops(copy.getSource().getType(), copy.getTarget().getType()))
        copies.push_back(copy);
    });
    IRRewriter rewriter(&getContext());
    for (memref::CopyOp copy : copies) {
      rewriter.setInsertionPoint(copy);
      linalg::CopyOp::create(rewriter, copy.getLoc(), copy.getSource(),
                             copy.getTarget());
      rewriter.eraseOp(copy);
    }
  }
};

} // namespace
