//===- WrapSequential.cpp - Sequential host code into GPU-mappable loops --===//
//
// Part of Ember. See EmberGPUWrapSequentialPass in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "ember/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

namespace mlir::ember {
#define GEN_PASS_DEF_EMBERGPUWRAPSEQUENTIALPASS
#include "ember/Transforms/Passes.h.inc"
} // namespace mlir::ember

using namespace mlir;

namespace {

/// Operations that stay on the host: they manage memory or describe it, or
/// are already parallel loops the GPU mapping handles.
bool staysOnHost(Operation &op) {
  return op.hasTrait<OpTrait::IsTerminator>() ||
         isa<arith::ConstantOp, memref::AllocOp, memref::DeallocOp,
             memref::CopyOp, memref::CollapseShapeOp, memref::ExpandShapeOp,
             memref::CastOp, scf::ParallelOp>(op);
}

struct EmberGPUWrapSequentialPass
    : mlir::ember::impl::EmberGPUWrapSequentialPassBase<
          EmberGPUWrapSequentialPass> {
  void runOnOperation() override {
    Block &body = getOperation().getBody().front();
    SmallVector<SmallVector<Operation *>> runs(1);
    for (Operation &op : body) {
      if (staysOnHost(op)) {
        if (!runs.back().empty())
          runs.emplace_back();
        continue;
      }
      runs.back().push_back(&op);
    }
    for (ArrayRef<Operation *> run : runs) {
      if (run.empty())
        continue;
      llvm::SmallPtrSet<Operation *, 16> inRun(run.begin(), run.end());
      bool escapes = llvm::any_of(run, [&](Operation *op) {
        return llvm::any_of(op->getUsers(), [&](Operation *user) {
          Operation *top = body.findAncestorOpInBlock(*user);
          return !inRun.contains(top);
        });
      });
      if (escapes)
        continue;
      OpBuilder b(run.front());
      Location loc = run.front()->getLoc();
      Value zero = arith::ConstantIndexOp::create(b, loc, 0);
      Value one = arith::ConstantIndexOp::create(b, loc, 1);
      auto loop = scf::ParallelOp::create(b, loc, ValueRange{zero},
                                          ValueRange{one}, ValueRange{one});
      Operation *terminator = loop.getBody()->getTerminator();
      for (Operation *op : run)
        op->moveBefore(terminator);
    }
  }
};

} // namespace
