//===- LowerVectors.cpp - Vector ops to FMAs, loads and stores ------------===//
//
// Part of Ember. See EmberCPULowerVectorsPass in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "ember/Transforms/Passes.h"

#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Transforms/Hoisting.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::ember {
#define GEN_PASS_DEF_EMBERCPULOWERVECTORSPASS
#include "ember/Transforms/Passes.h.inc"
} // namespace mlir::ember

using namespace mlir;

namespace {

struct EmberCPULowerVectorsPass
    : mlir::ember::impl::EmberCPULowerVectorsPassBase<EmberCPULowerVectorsPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    // Keep accumulators in registers across the K loop.
    linalg::hoistRedundantVectorTransfers(getOperation());
    RewritePatternSet patterns(ctx);
    vector::populateVectorContractLoweringPatterns(
        patterns, vector::VectorContractLowering::OuterProduct);
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    vector::populateVectorMultiReductionLoweringPatterns(
        patterns, vector::VectorMultiReductionLowering::InnerParallel);
    vector::populateVectorOuterProductLoweringPatterns(patterns);
    vector::populateVectorBroadcastLoweringPatterns(patterns);
    vector::populateVectorTransposeLoweringPatterns(
        patterns, vector::VectorTransposeLowering::Shuffle16x16);
    vector::populateVectorShapeCastLoweringPatterns(patterns);
    vector::populateVectorTransferLoweringPatterns(patterns,
                                                   /*maxTransferRank=*/1);
    // bf16 conversions as integer shifts and rounding: x86 without
    // AVX512-BF16 has no instruction for them, and LLVM would call
    // __truncsfbf2, which the loaded graph cannot resolve.
    arith::populateExpandBFloat16Patterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
