//===- TileRewrites.h - Rewrites the CPU tiling passes share ----*- C++ -*-===//
//
// Part of Ember. ember-cpu-vectorize-contractions and
// ember-cpu-fuse-gather-blocks both compute tiles of ops into temporaries of
// their own and then drop what the whole ops left unused.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_TRANSFORMS_TILEREWRITES_H
#define EMBER_TRANSFORMS_TILEREWRITES_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::ember {

/// Gives a tiled op whose init is a slice of a tensor.empty a tensor.empty
/// of the tile's size: the tile's own temporary, not a slice of the whole
/// op's (which bufferization would allocate whole).
inline void giveOwnTemporary(RewriterBase &rewriter, linalg::LinalgOp op) {
  OpOperand &init = op.getDpsInitsMutable()[0];
  auto slice = init.get().getDefiningOp<tensor::ExtractSliceOp>();
  if (!slice || !slice.getSource().getDefiningOp<tensor::EmptyOp>())
    return;
  rewriter.setInsertionPoint(op);
  RankedTensorType type = slice.getType();
  Value fresh = tensor::EmptyOp::create(rewriter, op->getLoc(), type.getShape(),
                                        type.getElementType());
  rewriter.modifyOpInPlace(op, [&] { init.assign(fresh); });
}

/// Erases the op defining `v` if nothing uses it and it has no effects,
/// then, the same way, the producers of its operands.
inline void eraseDeadProducers(RewriterBase &rewriter, Value v) {
  SmallVector<Value> work = {v};
  while (!work.empty()) {
    Operation *def = work.pop_back_val().getDefiningOp();
    if (!def || !def->use_empty() || !isMemoryEffectFree(def))
      continue;
    SmallVector<Value> operands(def->getOperands());
    rewriter.eraseOp(def);
    work.append(operands);
  }
}

} // namespace mlir::ember

#endif // EMBER_TRANSFORMS_TILEREWRITES_H
