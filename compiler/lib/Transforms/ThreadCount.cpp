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
    WalkResult walk = module.walk([&](omp::ParallelOp op) {
      if (failed(scheduleForEmberThreads(op)))
        return WalkResult::interrupt();
      if (!op.getNumThreads())
        regions.push_back(op);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
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

  /// Ember's runtime (ember/runtime/Parallel.h) hands a loop's iterations
  /// to whichever of a region's threads are running, and ends the region
  /// without waiting for threads that never started: so a region must be
  /// one worksharing loop (or nothing), scheduled dynamically, with no
  /// barrier after it. convert-scf-to-openmp makes every region so.
  LogicalResult scheduleForEmberThreads(omp::ParallelOp region) {
    Block &body = region.getRegion().front();
    if (&body.front() == &body.back())
      return success(); // only the terminator
    auto loop = dyn_cast<omp::WsloopOp>(&body.front());
    if (!loop || loop->getNextNode() != &body.back() || loop.getOrdered() ||
        !loop.getReductionVars().empty())
      return region.emitError(
          "cannot run this parallel region on Ember's threads: it must hold "
          "one worksharing loop (no reduction, no ordered clause) and "
          "nothing else");
    loop.setScheduleKind(omp::ClauseScheduleKind::Dynamic);
    loop.setNowait(true);
    return success();
  }
};

} // namespace
