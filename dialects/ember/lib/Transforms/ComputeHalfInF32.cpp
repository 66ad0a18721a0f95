//===- ComputeHalfInF32.cpp - f16 and bf16 ops computed in f32 ------------===//
//
// Part of Ember. See EmberComputeHalfInF32Pass in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "ember/Dialect/Ember/Transforms/Passes.h"

#include "ember/Dialect/Ember/IR/EmberOps.h"
#include "mlir/IR/Builders.h"

namespace mlir::ember {
#define GEN_PASS_DEF_EMBERCOMPUTEHALFINF32PASS
#include "ember/Dialect/Ember/Transforms/Passes.h.inc"
} // namespace mlir::ember

using namespace mlir;
using namespace mlir::ember;

namespace {

bool isHalf(Type t) {
  Type e = getElementTypeOrSelf(t);
  return e.isF16() || e.isBF16();
}

/// `t` with a half element type replaced by f32.
Type widened(Type t) {
  if (!isHalf(t))
    return t;
  return cast<RankedTensorType>(t).clone(Float32Type::get(t.getContext()));
}

Value castTo(OpBuilder &b, Location loc, Value v, Type type) {
  return CastOp::create(b, loc, type, v);
}

struct EmberComputeHalfInF32Pass
    : mlir::ember::impl::EmberComputeHalfInF32PassBase<
          EmberComputeHalfInF32Pass> {
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<EmberDialect>(op->getDialect()) &&
          (llvm::any_of(op->getOperandTypes(), isHalf) ||
           llvm::any_of(op->getResultTypes(), isHalf)))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      if (isa<ConstantOp>(op))
        continue;
      OpBuilder b(op);
      Location loc = op->getLoc();
      if (auto c = dyn_cast<CastOp>(op)) {
        // Only f32 <-> half and half <-> half stay direct.
        Type from = getElementTypeOrSelf(c.getInput().getType());
        Type to = getElementTypeOrSelf(c.getType());
        if (from.isF32() || to.isF32() || (isHalf(from) && isHalf(to)))
          continue;
        Value wide =
            castTo(b, loc, c.getInput(),
                   cast<RankedTensorType>(c.getType()).clone(b.getF32Type()));
        c.getResult().replaceAllUsesWith(castTo(b, loc, wide, c.getType()));
        c.erase();
        continue;
      }
      SmallVector<Value> operands;
      for (Value v : op->getOperands())
        operands.push_back(
            isHalf(v.getType()) ? castTo(b, loc, v, widened(v.getType())) : v);
      OperationState state(loc, op->getName());
      state.addOperands(operands);
      for (Type t : op->getResultTypes())
        state.addTypes(widened(t));
      state.addAttributes(op->getAttrs());
      Operation *wide = b.create(state);
      for (auto [old, now] : llvm::zip(op->getResults(), wide->getResults()))
        old.replaceAllUsesWith(
            isHalf(old.getType()) ? castTo(b, loc, now, old.getType()) : now);
      op->erase();
    }
  }
};

} // namespace
