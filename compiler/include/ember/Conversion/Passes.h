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
class DialectRegistry;
class ModuleOp;
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

/// Whether 3x3 convolutions of stride 1 are computed by Winograd's
/// F(2x2, 3x3), the column panels' width of their transformed filters (0:
/// plain [C, F] matrices) and the most bytes of transformed tiles a block
/// holds (0: whole images); convert-ember-to-linalg's options `winograd`,
/// `winograd-panel-width` and `winograd-block-bytes`.
struct WinogradOptions {
  bool enabled = false;
  int64_t panelWidth = 0;
  int64_t blockBytes = 0;
};

/// Adds the patterns that rewrite `ember` ops into linalg/tensor/arith
/// (`noViews`: see the pass's option of that name).
void populateEmberToLinalgPatterns(RewritePatternSet &patterns,
                                   bool noViews = false,
                                   WinogradOptions winograd = {});

/// The patterns of populateEmberToLinalgPatterns that lower ember.conv2d
/// and its gradients.
void populateEmberConvToLinalgPatterns(RewritePatternSet &patterns,
                                       WinogradOptions winograd);

/// Declares in `module` the runtime functions its ember.all_reduce ops
/// will call once bufferized (convert-ember-to-linalg does it first).
void declareCollectiveEntryPoints(ModuleOp module);

/// Attaches the bufferization of ember.all_reduce (in place, into a call to
/// the runtime) to the ember dialect.
void registerEmberBufferizationModels(DialectRegistry &registry);

#define GEN_PASS_REGISTRATION
#include "ember/Conversion/Passes.h.inc"

} // namespace ember
} // namespace mlir

#endif // EMBER_CONVERSION_PASSES_H
