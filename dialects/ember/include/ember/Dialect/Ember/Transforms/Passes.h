//===- Passes.h - Graph-level ember passes ----------------------*- C++ -*-===//
//
// Part of Ember.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_DIALECT_EMBER_TRANSFORMS_PASSES_H
#define EMBER_DIALECT_EMBER_TRANSFORMS_PASSES_H

#include "ember/Dialect/Ember/IR/EmberDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
namespace ember {

#define GEN_PASS_DECL
#include "ember/Dialect/Ember/Transforms/Passes.h.inc"

/// relu(linear(x, W, b)) -> linear_relu(x, W, b) when the linear has one use.
void populateEmberLinearReluFusionPatterns(RewritePatternSet &patterns);

/// relu(conv2d(x, W, b)) -> conv2d_relu(x, W, b) when the convolution has
/// one use.
void populateEmberConvBiasReluFusionPatterns(RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "ember/Dialect/Ember/Transforms/Passes.h.inc"

} // namespace ember
} // namespace mlir

#endif // EMBER_DIALECT_EMBER_TRANSFORMS_PASSES_H
