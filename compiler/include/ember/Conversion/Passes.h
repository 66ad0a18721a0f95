//===- Passes.h - Ember conversion passes -----------------------*- C++ -*-===//
//
// Part of Ember. Declares the lowerings out of the `ember` dialect and the
// pattern sets they are made of.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_CONVERSION_PASSES_H
#define EMBER_CONVERSION_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
class TypeConverter;
namespace arith {
class ArithDialect;
} // namespace arith
namespace linalg {
class LinalgDialect;
} // namespace linalg
namespace math {
class MathDialect;
} // namespace math
namespace tensor {
class TensorDialect;
} // namespace tensor

namespace ember {

#define GEN_PASS_DECL
#include "ember/Conversion/Passes.h.inc"

/// Adds the patterns that rewrite `ember` ops into linalg/tensor/arith.
void populateEmberToLinalgPatterns(RewritePatternSet &patterns);

/// The patterns of populateEmberToLinalgPatterns that lower ember.conv2d
/// and its gradients.
void populateEmberConvToLinalgPatterns(RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "ember/Conversion/Passes.h.inc"

} // namespace ember
} // namespace mlir

#endif // EMBER_CONVERSION_PASSES_H
