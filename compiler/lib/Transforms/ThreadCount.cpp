//===- ThreadCount.cpp - Ask the runtime how many threads to use ----------===//
//
// Part of Ember. See EmberCPUThreadCountPass in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "ember/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"

namespace mlir::ember {
#define GEN_PASS_DEF_EMBERCPUTHREADCOUNTPASS
#include "ember/Transforms/Passes.h.inc"
} // namespace mlir::ember

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kThreadCountFn = "ember_num_threads";

struct EmberCPUThreadCountPass
    : mlir::ember::impl::EmberCPUThreadCountPassBase<EmberCPUThreadCountPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<omp::ParallelOp> regions;
    module.walk([&](omp::ParallelOp op) {
      if (!op.getNumThreads())
        regions.push_back(op);
    });
    if (regions.empty())
      return;

    OpBuilder b(module.getContext());
    auto fnType = b.getFunctionType({}, {b.getI32Type()});
    auto fn = module.lookupSymbol<func::FuncOp>(kThreadCountFn);
    if (!fn) {
      b.setInsertionPointToStart(module.getBody());
      fn = func::FuncOp::create(b, module.getLoc(), kThreadCountFn, fnType);
      fn.setPrivate();
    } else if (fn.getFunctionType() != fnType) {
      module.emitError() << "'" << kThreadCountFn
                         << "' is declared with the wrong type";
      return signalPassFailure();
    }
    for (omp::ParallelOp region : regions) {
      b.setInsertionPoint(region);
      auto call = func::CallOp::create(b, region.getLoc(), fn);
      region.getNumThreadsMutable().assign(call.getResult(0));
    }
  }
};

} // namespace
