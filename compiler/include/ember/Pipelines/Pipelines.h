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
// and for NVIDIA GPUs (after ember-to-linalg and ember-cpu-bufferize):
//   ember-gpu-map-pipeline      parallel loops → gpu.launch → outlined kernels
//   ember-nvvm-pipeline         kernels → NVVM → PTX (gpu.binary)
//   ember-gpu-pipeline          ember → PTX
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_PIPELINES_PIPELINES_H
#define EMBER_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"

namespace mlir::ember {

/// Graph-level clean-up on the ember dialect.
void buildEmberGraphPipeline(OpPassManager &pm);
/// Lowers ember to linalg/tensor/arith on tensors and fuses elementwise ops
/// (`noViews`: the option of convert-ember-to-linalg). `winogradPanelWidth`
/// > 0: 3x3 convolutions of stride 1 by Winograd's F(2x2, 3x3), their
/// filters as panels of that width, in blocks of at most
/// `winogradBlockBytes` of transformed tiles (its options `winograd`,
/// `winograd-panel-width`, `winograd-block-bytes`).
void buildEmberToLinalgPipeline(OpPassManager &pm, bool noViews = false,
                                int64_t winogradPanelWidth = 0,
                                int64_t winogradBlockBytes = 0);
/// The panel width of a CPU target's register tiles (two vectors of f32
/// lanes), for buildEmberToLinalgPipeline.
int64_t cpuPanelWidth(int64_t vectorBits);
/// Options of the CPU pipelines.
struct CPUPipelineOptions {
  /// The target's vector register width in bits: 512 (AVX-512), 256
  /// (AVX2), 128. compile() takes it and the rest from the target's model
  /// (mlir::ember::cpuModel, ember/Target/CPU/CPUTarget.h).
  int64_t vectorBits = 512;
  /// Vector registers; 0: 32 with 512-bit registers, else 16.
  int64_t vectorRegisters = 0;
  /// A vector FMA's latency in cycles, and how many start per cycle.
  int64_t fmaLatency = 4;
  int64_t fmaPerCycle = 2;
  /// The level-1 data cache's bytes and ways (32 KiB and 8 when the host
  /// does not say).
  int64_t l1Bytes = 32 * 1024;
  int64_t l1Ways = 8;
  /// The level-2 cache's bytes a core has (1 MiB when the host does not
  /// say): the block of A a packed product keeps there.
  int64_t l2Bytes = 1024 * 1024;
};

/// Tiles matmuls into register tiles and vectorizes them, on tensors.
void buildCPUVectorizePipeline(OpPassManager &pm,
                               const CPUPipelineOptions &options = {});
/// One-shot bufferization of the whole module; memref results of public
/// functions become out-parameters, temporaries get deallocations.
void buildCPUBufferizePipeline(OpPassManager &pm);
/// Lowers bufferized linalg to loops and everything to the LLVM dialect, with
/// memref arguments passed as bare pointers.
void buildCPUToLLVMPipeline(OpPassManager &pm);
/// The whole CPU pipeline, ember to LLVM dialect.
void buildCPUPipeline(OpPassManager &pm,
                      const CPUPipelineOptions &options = {});

/// Options of the NVIDIA GPU pipelines.
struct GPUPipelineOptions {
  /// The target chip, e.g. "sm_90" (H100/H200).
  std::string chip = "sm_90";
  /// The CUDA toolkit whose nvvm/libdevice/libdevice.10.bc is linked into
  /// kernels that call math functions (exp, log); empty: cudaToolkitPath().
  std::string toolkitPath;
  /// f32 contractions on tensor cores in TF32 (ember-gpu-map-linalg's
  /// `tf32`); fp32 FMAs otherwise.
  bool allowTF32 = false;
};

/// The CUDA toolkit PTX generation takes libdevice from: $EMBER_CUDA_PATH,
/// else the one configured at build time (CMake's EMBER_CUDA_PATH, by
/// default /usr/local/cuda). Never CUDA_HOME or CUDA_PATH, which MLIR would
/// otherwise read: the result must not depend on the caller's environment.
std::string cudaToolkitPath();

/// Where libdevice lies in the toolkit at `toolkitPath`.
std::string libdevicePath(llvm::StringRef toolkitPath);

/// Whether that libdevice is there (a regular file) and the path usable.
bool hasLibdevice(llvm::StringRef toolkitPath);

/// Maps bufferized linalg to GPU kernels: parallel loops become a grid of
/// blocks, each kernel is outlined into a gpu.module. (Naive mapping, one
/// thread per block: correct, not yet fast.)
void buildGPUMapPipeline(OpPassManager &pm, bool allowTF32 = false);
/// Lowers the outlined kernels to NVVM and serialises each gpu.module to PTX
/// with LLVM's NVPTX back end (gpu.binary ops holding the PTX text). Kernel
/// arguments use the bare-pointer convention.
void buildNVVMPipeline(OpPassManager &pm, const GPUPipelineOptions &options);
/// The two halves of buildNVVMPipeline, for a caller that checks in between
/// (compile() names a missing libdevice before the back end needs it):
/// kernels to the NVVM dialect, then gpu.module to gpu.binary (PTX).
void buildNVVMLowerPipeline(OpPassManager &pm,
                            const GPUPipelineOptions &options);
void buildNVVMSerializePipeline(OpPassManager &pm,
                                const GPUPipelineOptions &options);
/// The outlined kernels (after buildGPUMapPipeline) compiled for the host
/// instead, for the emulated device: each kernel becomes a function that
/// runs one thread (ember-gpu-kernels-to-host), lowered to the LLVM dialect
/// with bare-pointer memref arguments. The host code is dropped.
void buildGPUHostKernelsPipeline(OpPassManager &pm);
/// ember to PTX: graph, linalg, bufferize, map, NVVM.
void buildGPUPipeline(OpPassManager &pm, const GPUPipelineOptions &options);

/// Registers the pipelines above under their names.
void registerEmberPipelines();

} // namespace mlir::ember

#endif // EMBER_PIPELINES_PIPELINES_H
