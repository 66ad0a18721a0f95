//===- FuseElementwise.cpp - Elementwise fusion that keeps matmuls --------===//
//
// Part of Ember. See EmberFuseElementwisePass in Passes.td. The pattern set
// is upstream's (LinalgElementwiseOpFusion), with a control function.
//
//===----------------------------------------------------------------------===//

#include "ember/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::ember {
#define GEN_PASS_DEF_EMBERFUSEELEMENTWISEPASS
#include "ember/Transforms/Passes.h.inc"
} // namespace mlir::ember

using namespace mlir;

namespace {

/// Whether `op` is a linalg op other than linalg.generic (a named op such as
/// linalg.matmul, whose identity the CPU kernels rely on).
bool isNamedLinalgOp(Operation *op) {
  return op && isa<linalg::LinalgOp>(op) && !isa<linalg::GenericOp>(op);
}

/// The most ops one fused body may hold. Each fusion copies both bodies
/// into a new op, so fusing a chain of N ops one at a time without a bound
/// copies O(N^2) ops (4,000 chained relus took 3.6 s, 20,000 minutes); with
/// it, a long chain becomes ops of at most this size, in linear time. Real
/// graphs' elementwise chains (an optimizer update, an activation and its
/// gradient) are far shorter.
constexpr size_t kMaxFusedBodyOps = 64;

size_t bodySize(Operation *op) {
  auto generic = dyn_cast<linalg::GenericOp>(op);
  return generic ? generic.getBody()->getOperations().size() : 1;
}

/// Whether an elementwise `op` with several users is cheaper to compute
/// again inside each of them than to write out and read back: a generic
/// with no reduction and at most three arithmetic ops a point (none from
/// the math dialect: exp, log, erf, ...), all of whose users are generics
/// it can fuse into (so that it disappears). A pass over a tensor costs a
/// few nanoseconds an element in memory traffic; each op a point costs a
/// fraction of one. A batch norm's centred input (x - mean), which its
/// variance and its normalisation both read, is one; the CNN's training
/// step went from 38 to 34 ms.
bool cheapToRecompute(Operation *op) {
  auto generic = dyn_cast<linalg::GenericOp>(op);
  if (!generic || generic.getNumReductionLoops() != 0 ||
      generic.getNumDpsInits() != 1 ||
      generic.getBody()->getOperations().size() > 4)
    return false;
  for (Operation &inner : generic.getBody()->getOperations())
    if (inner.getDialect() && inner.getDialect()->getNamespace() == "math")
      return false;
  return llvm::all_of(op->getUsers(), [](Operation *user) {
    return isa<linalg::GenericOp>(user);
  });
}

struct EmberFuseElementwisePass
    : mlir::ember::impl::EmberFuseElementwisePassBase<EmberFuseElementwisePass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    linalg::ControlFusionFn control = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      Operation *consumer = fused->getOwner();
      if (!producer || (!producer->hasOneUse() && !cheapToRecompute(producer)))
        return false;
      if (bodySize(producer) + bodySize(consumer) > kMaxFusedBodyOps)
        return false;
      return !isNamedLinalgOp(producer) && !isNamedLinalgOp(consumer);
    };
    RewritePatternSet patterns(ctx);
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns, control);
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns, ctx);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, ctx);
    ctx->getLoadedDialect<linalg::LinalgDialect>()->getCanonicalizationPatterns(
        patterns);
    if (failed(applyPatternsGreedily(
            getOperation(), std::move(patterns),
            GreedyRewriteConfig().setUseTopDownTraversal())))
      signalPassFailure();
  }
};

} // namespace
