//===- DistinctResults.cpp - One value per returned tensor ----------------===//
//
// Part of Ember. See EmberDistinctResultsPass in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "ember/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/DenseSet.h"

namespace mlir::ember {
#define GEN_PASS_DEF_EMBERDISTINCTRESULTSPASS
#include "ember/Transforms/Passes.h.inc"
} // namespace mlir::ember

using namespace mlir;

namespace {

struct EmberDistinctResultsPass
    : mlir::ember::impl::EmberDistinctResultsPassBase<EmberDistinctResultsPass> {
  void runOnOperation() override {
    getOperation().walk([](func::ReturnOp ret) {
      llvm::DenseSet<Value> seen;
      OpBuilder b(ret);
      for (OpOperand &operand : ret->getOpOperands()) {
        Value v = operand.get();
        auto type = dyn_cast<RankedTensorType>(v.getType());
        if (!type || isa<BlockArgument>(v) || seen.insert(v).second)
          continue;
        Value empty = tensor::EmptyOp::create(b, ret.getLoc(), type.getShape(),
                                              type.getElementType());
        Value copy = linalg::CopyOp::create(b, ret.getLoc(), v, empty)
                         .getResult(0);
        operand.set(copy);
      }
    });
  }
};

} // namespace
