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
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
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

/// Whether `generic` is elementwise with a body cheap to compute at a point
/// more than once: no reduction, one result, at most three arithmetic ops
/// (and the yield), none from the math dialect (exp, log, erf, ...).
bool hasCheapBody(linalg::GenericOp generic) {
  if (generic.getNumReductionLoops() != 0 || generic.getNumDpsInits() != 1 ||
      generic.getBody()->getOperations().size() > 4)
    return false;
  return llvm::none_of(generic.getBody()->getOperations(), [](Operation &op) {
    return op.getDialect() && op.getDialect()->getNamespace() == "math";
  });
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
  if (!generic || !hasCheapBody(generic))
    return false;
  return llvm::all_of(op->getUsers(), [](Operation *user) {
    return isa<linalg::GenericOp>(user);
  });
}

/// Computes a cheap elementwise generic's value at one point where a
/// gather reads it: `tensor.extract %g[i...]`, %g the result of a generic
/// with a cheap body (hasCheapBody) and one result written through an
/// identity map, which does not read its init's value, and every user of
/// which is such an extract, becomes the generic's
/// body applied to extracts of its inputs at their maps of (i...). The
/// generic disappears: a pooling that reads a convolution's biased and
/// rectified result through tensor.extract then reads the product itself,
/// and the pass over the activations that wrote that result out is gone
/// (with the pooling's compare-and-select maximum, the CNN's batch-64
/// inference went from 9.7 to 6.6-6.9 ms on one thread). A gather reading
/// overlapping windows computes a point again in each window, a few
/// arithmetic ops instead of a store and load.
struct FuseIntoExtract : OpRewritePattern<tensor::ExtractOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tensor::ExtractOp extract,
                                PatternRewriter &rewriter) const override {
    auto producer = extract.getTensor().getDefiningOp<linalg::GenericOp>();
    if (!producer || producer->getNumResults() != 1 ||
        !hasCheapBody(producer) ||
        !producer.getIndexingMapsArray().back().isIdentity())
      return rewriter.notifyMatchFailure(extract,
                                         "not a cheap elementwise producer");
    Block &body = *producer.getBody();
    if (!body.getArguments().back().use_empty())
      return rewriter.notifyMatchFailure(extract,
                                         "the producer reads its init");
    for (Operation &inner : body.without_terminator())
      if (inner.getNumRegions() != 0 || !isMemoryEffectFree(&inner))
        return rewriter.notifyMatchFailure(extract, "not a pure body");
    if (!llvm::all_of(producer->getUsers(), [](Operation *user) {
          return isa<tensor::ExtractOp>(user);
        }))
      return rewriter.notifyMatchFailure(extract, "a user is not a gather");

    Location loc = extract.getLoc();
    SmallVector<Value> point(extract.getIndices());
    IRMapping mapping;
    for (OpOperand *input : producer.getDpsInputOperands()) {
      Value value = input->get();
      Value arg = body.getArgument(input->getOperandNumber());
      auto type = dyn_cast<RankedTensorType>(value.getType());
      if (!type) {
        mapping.map(arg, value); // a scalar operand
        continue;
      }
      AffineMap map = producer.getMatchingIndexingMap(input);
      SmallVector<Value> indices;
      for (AffineExpr result : map.getResults()) {
        OpFoldResult index = affine::makeComposedFoldedAffineApply(
            rewriter, loc, AffineMap::get(map.getNumDims(), 0, result),
            getAsOpFoldResult(point));
        indices.push_back(
            getValueOrCreateConstantIndexOp(rewriter, loc, index));
      }
      mapping.map(arg,
                  tensor::ExtractOp::create(rewriter, loc, value, indices));
    }
    for (Operation &inner : body.without_terminator()) {
      if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
        mapping.map(index.getResult(), point[index.getDim()]);
        continue;
      }
      rewriter.clone(inner, mapping);
    }
    Value result = mapping.lookupOrDefault(
        cast<linalg::YieldOp>(body.getTerminator()).getOperand(0));
    rewriter.replaceOp(extract, result);
    return success();
  }
};

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
      // A consumer reading the producer through windows (an im2col's
      // `oh + kh`) reads each of its points several times: the producer
      // would be computed again for each (a padding's bounds checks nine
      // times for 3x3 windows), and a layout it writes (channels-last, so
      // that the windows are contiguous copies) would be lost.
      if (auto linalgConsumer = dyn_cast<linalg::LinalgOp>(consumer);
          linalgConsumer && isa<linalg::LinalgOp>(producer) &&
          !linalgConsumer.getMatchingIndexingMap(fused)
               .isProjectedPermutation())
        return false;
      return !isNamedLinalgOp(producer) && !isNamedLinalgOp(consumer);
    };
    RewritePatternSet patterns(ctx);
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns, control);
    patterns.add<FuseIntoExtract>(ctx);
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
