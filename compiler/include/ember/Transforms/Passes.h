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
namespace LLVM {
class LLVMDialect;
} // namespace LLVM
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

/// What ember-gpu-kernels-to-host leaves for the emulated device's entry
/// points (addEmulatedKernelEntryPoint, ember/runtime/GpuPlan.h): on each
/// host function, its static workgroup memory in bytes (an i64 attribute)
/// and, when it synchronises its block or warp, a unit attribute; and the
/// functions every gpu.barrier and gpu.shuffle become calls of (declared,
/// not defined).
inline constexpr llvm::StringLiteral kEmuSharedBytesAttr =
    "ember.emu_shared_bytes";
inline constexpr llvm::StringLiteral kEmuBarriersAttr = "ember.emu_barriers";
inline constexpr llvm::StringLiteral kEmuBarrierFunction = "ember_emu_barrier";
inline constexpr llvm::StringLiteral kEmuShuffleFunction = "ember_emu_shuffle";
inline constexpr llvm::StringLiteral kEmuMmaFunction =
    "ember_emu_mma_tf32_m16n8k8";

/// The attribute of a graph function whose results are to be computed into
/// argument buffers (ember-tie-results): (result, argument) index pairs.
inline constexpr llvm::StringLiteral kTiedResultsAttr = "ember.tied_results";

} // namespace ember
} // namespace mlir

#endif // EMBER_TRANSFORMS_PASSES_H
