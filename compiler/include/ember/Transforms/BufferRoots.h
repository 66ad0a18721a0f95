//===- BufferRoots.h - The buffer under a memref view -----------*- C++ -*-===//
//
// Part of Ember. The GPU passes reason about bufferized graphs by buffer:
// two memref values alias exactly when they have the same root. Between a
// graph's buffers (allocations, function arguments, which never overlap)
// and their uses, bufferization leaves only reshapes and casts (and the
// all-reduce's reinterpret_cast).
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_TRANSFORMS_BUFFERROOTS_H
#define EMBER_TRANSFORMS_BUFFERROOTS_H

#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir::ember {

/// The allocation or argument `v` is a view (reshape, cast, or the
/// reinterpret_cast ember.all_reduce's call takes, which only that call
/// reads) of; `v` itself when it is neither a view nor a memref. (Linalg
/// ops only see reshapes: a view of all of its buffer.)
inline Value bufferRoot(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (!isa<memref::CollapseShapeOp, memref::ExpandShapeOp, memref::CastOp,
             memref::ReinterpretCastOp>(def))
      break;
    v = def->getOperand(0);
  }
  return v;
}

} // namespace mlir::ember

#endif // EMBER_TRANSFORMS_BUFFERROOTS_H
