//===- Passes.h - Ember's compiler-level transforms -------------*- C++ -*-===//
//
// Part of Ember.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_TRANSFORMS_PASSES_H
#define EMBER_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
namespace arith {
class ArithDialect;
} // namespace arith
namespace affine {
class AffineDialect;
} // namespace affine
namespace gpu {
class GPUDialect;
} // namespace gpu
namespace linalg {
class LinalgDialect;
} // namespace linalg
namespace scf {
class SCFDialect;
} // namespace scf
namespace tensor {
class TensorDialect;
} // namespace tensor
namespace vector {
class VectorDialect;
} // namespace vector

namespace ember {

#define GEN_PASS_DECL
#include "ember/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "ember/Transforms/Passes.h.inc"

} // namespace ember
} // namespace mlir

#endif // EMBER_TRANSFORMS_PASSES_H
