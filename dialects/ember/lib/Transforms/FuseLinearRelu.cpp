//===- FuseLinearRelu.cpp - relu(linear) into linear_relu -----------------===//
//
// Part of Ember. See EmberFuseLinearReluPass in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "ember/Dialect/Ember/Transforms/Passes.h"

#include "ember/Dialect/Ember/IR/EmberOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::ember {
#define GEN_PASS_DEF_EMBERFUSELINEARRELUPASS
#include "ember/Dialect/Ember/Transforms/Passes.h.inc"
} // namespace mlir::ember

using namespace mlir;
using namespace mlir::ember;

namespace {

struct FuseLinearRelu : OpRewritePattern<ReluOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ReluOp relu,
                                PatternRewriter &rewriter) const override {
    auto linear = relu.getInput().getDefiningOp<LinearOp>();
    if (!linear)
      return rewriter.notifyMatchFailure(relu, "input is not an ember.linear");
    if (!linear->hasOneUse())
      return rewriter.notifyMatchFailure(
          relu, "the linear result has other users, which need it unfused");
    rewriter.replaceOpWithNewOp<LinearReluOp>(
        relu, relu.getType(), linear.getInput(), linear.getWeight(),
        linear.getBias());
    rewriter.eraseOp(linear);
    return success();
  }
};

struct EmberFuseLinearReluPass
    : mlir::ember::impl::EmberFuseLinearReluPassBase<EmberFuseLinearReluPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateEmberLinearReluFusionPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::ember::populateEmberLinearReluFusionPatterns(
    RewritePatternSet &patterns) {
  patterns.add<FuseLinearRelu>(patterns.getContext());
}
