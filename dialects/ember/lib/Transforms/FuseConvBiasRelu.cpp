//===- FuseConvBiasRelu.cpp - relu(conv2d) into conv2d_relu ---------------===//
//
// Part of Ember. See EmberFuseConvBiasReluPass in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "ember/Dialect/Ember/Transforms/Passes.h"

#include "ember/Dialect/Ember/IR/EmberOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::ember {
#define GEN_PASS_DEF_EMBERFUSECONVBIASRELUPASS
#include "ember/Dialect/Ember/Transforms/Passes.h.inc"
} // namespace mlir::ember

using namespace mlir;
using namespace mlir::ember;

namespace {

struct FuseConvBiasRelu : OpRewritePattern<ReluOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ReluOp relu,
                                PatternRewriter &rewriter) const override {
    auto conv = relu.getInput().getDefiningOp<Conv2dOp>();
    if (!conv)
      return rewriter.notifyMatchFailure(relu, "input is not an ember.conv2d");
    if (!conv->hasOneUse())
      return rewriter.notifyMatchFailure(
          relu, "the convolution's result has other users, which need it "
                "unrectified");
    rewriter.replaceOpWithNewOp<Conv2dReluOp>(
        relu, relu.getType(), conv.getInput(), conv.getWeight(),
        conv.getBias(), conv.getStrideAttr(), conv.getPaddingAttr(),
        conv.getDilationAttr(), conv.getGroupsAttr());
    rewriter.eraseOp(conv);
    return success();
  }
};

struct EmberFuseConvBiasReluPass
    : mlir::ember::impl::EmberFuseConvBiasReluPassBase<
          EmberFuseConvBiasReluPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateEmberConvBiasReluFusionPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::ember::populateEmberConvBiasReluFusionPatterns(
    RewritePatternSet &patterns) {
  patterns.add<FuseConvBiasRelu>(patterns.getContext());
}
