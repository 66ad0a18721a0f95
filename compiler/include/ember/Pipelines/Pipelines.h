//===- Pipelines.h - Ember's pass pipelines ---------------------*- C++ -*-===//
//
// Part of Ember. Each stage of compilation is a pipeline builder of its own,
// registered under a name, so that ember-opt and the lit tests can stop after
// any stage. Stages, in order:
//
//   ember-graph-pipeline        ember → ember  (canonicalise, CSE)
//   ember-to-linalg-pipeline    ember → linalg on tensors (+ elementwise fusion)
//   ember-cpu-vectorize-pipeline  register-tiled, vectorized matmuls on tensors
//   ember-cpu-bufferize-pipeline  tensors → memrefs, results → out-params
//   ember-cpu-to-llvm-pipeline  memrefs/loops → LLVM dialect (bare-pointer ABI)
//   ember-cpu-pipeline          all of the above, ember → LLVM dialect
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_PIPELINES_PIPELINES_H
#define EMBER_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"

namespace mlir::ember {

/// Graph-level clean-up on the ember dialect.
void buildEmberGraphPipeline(OpPassManager &pm);
/// Lowers ember to linalg/tensor/arith on tensors and fuses elementwise ops.
void buildEmberToLinalgPipeline(OpPassManager &pm);
/// Tiles matmuls into register tiles and vectorizes them, on tensors.
void buildCPUVectorizePipeline(OpPassManager &pm);
/// One-shot bufferization of the whole module; memref results of public
/// functions become out-parameters, temporaries get deallocations.
void buildCPUBufferizePipeline(OpPassManager &pm);
/// Lowers bufferized linalg to loops and everything to the LLVM dialect, with
/// memref arguments passed as bare pointers.
void buildCPUToLLVMPipeline(OpPassManager &pm);
/// The whole CPU pipeline, ember to LLVM dialect.
void buildCPUPipeline(OpPassManager &pm);

/// Registers the pipelines above under their names.
void registerEmberPipelines();

} // namespace mlir::ember

#endif // EMBER_PIPELINES_PIPELINES_H
