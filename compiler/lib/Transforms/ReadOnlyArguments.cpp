//===- ReadOnlyArguments.cpp - A graph's inputs are not written -----------===//
//
// Part of Ember. See EmberReadOnlyArgumentsPass in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "ember/Transforms/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::ember {
#define GEN_PASS_DEF_EMBERREADONLYARGUMENTSPASS
#include "ember/Transforms/Passes.h.inc"
} // namespace mlir::ember

using namespace mlir;

namespace {

struct EmberReadOnlyArgumentsPass
    : mlir::ember::impl::EmberReadOnlyArgumentsPassBase<
          EmberReadOnlyArgumentsPass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (fn.isExternal())
      return;
    auto readOnly = BoolAttr::get(&getContext(), false);
    for (unsigned i = 0; i < fn.getNumArguments(); ++i)
      if (isa<TensorType>(fn.getArgument(i).getType()))
        fn.setArgAttr(i, bufferization::BufferizationDialect::kWritableAttrName,
                      readOnly);
  }
};

} // namespace
