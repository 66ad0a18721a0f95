//===- Pipelines.cpp - Ember's pass pipelines -----------------------------===//
//
// Part of Ember. The stage builders. Upstream passes with options are added
// from their textual form, the same spelling a user would pass to ember-opt.
//
//===----------------------------------------------------------------------===//

#include "ember/Pipelines/Pipelines.h"

#include "ember/Conversion/Passes.h"
#include "ember/Dialect/Ember/Transforms/Passes.h"
#include "ember/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

using namespace mlir;

/// Appends a textual pass list to `pm`. The strings are ours and fixed, so a
/// parse failure is a bug in this file, not a user error.
static void addPasses(OpPassManager &pm, const llvm::Twine &passesTwine) {
  std::string passes = passesTwine.str();
  std::string err;
  llvm::raw_string_ostream os(err);
  if (failed(parsePassPipeline(passes, pm, os)))
    llvm::report_fatal_error(llvm::Twine("ember: bad built-in pipeline '") +
                             passes + "': " + err);
}

void ember::buildEmberGraphPipeline(OpPassManager &pm) {
  // First: no later pass or lowering sees arithmetic on f16 or bf16.
  pm.addNestedPass<func::FuncOp>(createEmberComputeHalfInF32Pass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addNestedPass<func::FuncOp>(createEmberFuseLinearReluPass());
  pm.addNestedPass<func::FuncOp>(createEmberFuseConvBiasReluPass());
}

int64_t ember::cpuPanelWidth(int64_t vectorBits) {
  return 2 * std::max<int64_t>(vectorBits / 32, 4);
}

void ember::buildEmberToLinalgPipeline(OpPassManager &pm, bool noViews,
                                       int64_t winogradPanelWidth,
                                       int64_t winogradBlockBytes) {
  ConvertEmberToLinalgPassOptions options;
  options.noViews = noViews;
  options.winograd = winogradPanelWidth > 0;
  options.winogradPanelWidth = winogradPanelWidth;
  options.winogradBlockBytes = winogradBlockBytes;
  pm.addPass(createConvertEmberToLinalgPass(options));
  pm.addNestedPass<func::FuncOp>(createEmberFuseElementwisePass());
  addPasses(pm, "canonicalize,cse");
}

void ember::buildCPUVectorizePipeline(OpPassManager &pm,
                                      const CPUPipelineOptions &options) {
  EmberCPUVectorizeContractionsPassOptions vectorize;
  vectorize.vectorBits = options.vectorBits;
  vectorize.vectorRegisters = options.vectorRegisters;
  vectorize.fmaLatency = options.fmaLatency;
  vectorize.fmaPerCycle = options.fmaPerCycle;
  vectorize.l1Bytes = options.l1Bytes;
  vectorize.l1Ways = options.l1Ways;
  vectorize.l2Bytes = options.l2Bytes;
  // Before the products are tiled: a product and its pooling in blocks of
  // images.
  EmberCPUFuseGatherBlocksPassOptions blocks;
  blocks.l2Bytes = options.l2Bytes;
  pm.addNestedPass<func::FuncOp>(createEmberCPUFuseGatherBlocksPass(blocks));
  pm.addNestedPass<func::FuncOp>(
      createEmberCPUVectorizeContractionsPass(vectorize));
  // Hoisting the accumulator's read/write pair out of the K loop, on
  // tensors, is what keeps each tile in registers.
  addPasses(pm, "canonicalize,cse,loop-invariant-code-motion,"
                "loop-invariant-subset-hoisting,canonicalize");
}

void ember::buildCPUBufferizePipeline(OpPassManager &pm) {
  // Each result must be its own value before results become out-params.
  pm.addNestedPass<func::FuncOp>(createEmberDistinctResultsPass());
  // Nothing is computed into the caller's inputs in place.
  pm.addNestedPass<func::FuncOp>(createEmberReadOnlyArgumentsPass());
  addPasses(pm, "one-shot-bufferize{bufferize-function-boundaries "
                "function-boundary-type-conversion=identity-layout-map},"
                // Results the caller wants in argument buffers stop being
                // results first.
                "func.func(ember-tie-results),"
                "buffer-results-to-out-params{hoist-static-allocs "
                "modify-public-functions},"
                // Before deallocations are placed: no heap allocation may be
                // left for an OpenMP thread where it fits on the stack.
                "func.func(ember-cpu-stack-parallel-temporaries),"
                "canonicalize,buffer-deallocation-pipeline,canonicalize,cse");
}

void ember::buildCPUToLLVMPipeline(OpPassManager &pm) {
  pm.addNestedPass<func::FuncOp>(createEmberCPULowerVectorsPass());
  // Before convert-linalg-to-loops, which makes the copies loops.
  pm.addNestedPass<func::FuncOp>(createEmberCPUStridedCopiesToLoopsPass());
  addPasses(pm, "canonicalize,cse,scf-forall-to-parallel,"
                "convert-linalg-to-loops,convert-vector-to-scf{full-unroll},"
                // Parallel tile loops become OpenMP regions, which run on
                // the runtime's threads (ember/runtime/Parallel.h); how
                // many is the runtime's call.
                "convert-scf-to-openmp,ember-cpu-thread-count,"
                "expand-strided-metadata,lower-affine,"
                // Before scf-to-cf: the alloca scopes scf-to-openmp puts in
                // loop bodies must still have one block.
                // Temporaries come from the runtime's caching allocator.
                "finalize-memref-to-llvm{use-generic-functions},"
                "convert-scf-to-cf,"
                // What LLVM has no intrinsic for (erf) becomes a libm
                // call; vectors of it are unrolled, so before vectors go.
                "convert-math-to-llvm,convert-math-to-libm,"
                "convert-vector-to-llvm,convert-arith-to-llvm,"
                "convert-func-to-llvm{use-bare-ptr-memref-call-conv},"
                // After func-to-llvm, which it would otherwise preempt with
                // the descriptor calling convention.
                "convert-openmp-to-llvm,"
                "convert-cf-to-llvm,convert-index-to-llvm,convert-ub-to-llvm,"
                "reconcile-unrealized-casts,canonicalize");
}

void ember::buildCPUPipeline(OpPassManager &pm,
                             const CPUPipelineOptions &options) {
  buildEmberGraphPipeline(pm);
  buildEmberToLinalgPipeline(pm, /*noViews=*/false,
                             cpuPanelWidth(options.vectorBits),
                             options.l2Bytes);
  buildCPUVectorizePipeline(pm, options);
  buildCPUBufferizePipeline(pm);
  buildCPUToLLVMPipeline(pm);
}

void ember::buildGPUMapPipeline(OpPassManager &pm, bool allowTF32) {
  // Constants move into the kernels (loop bounds become immediates) before
  // outlining makes every value from outside a parameter.
  addPasses(pm,
            std::string("func.func(ember-gpu-map-linalg") +
                (allowTF32 ? "{tf32}" : "") +
                "),lower-affine,canonicalize,"
                "cse,gpu-launch-sink-index-computations,gpu-kernel-outlining,"
                "ember-gpu-noalias-arguments,ember-gpu-merge-kernel-modules");
}

void ember::buildGPUHostKernelsPipeline(OpPassManager &pm) {
  // The kernels' bodies are already loops on memrefs (and the 1-d vector
  // loads and stores of elementwise kernels): no OpenMP, and allocations
  // (there are none today) from malloc.
  addPasses(pm, "ember-gpu-kernels-to-host,canonicalize,cse,"
                "expand-strided-metadata,lower-affine,convert-math-to-llvm,"
                "convert-math-to-libm,convert-vector-to-llvm,"
                "finalize-memref-to-llvm,convert-scf-to-cf,"
                "convert-arith-to-llvm,convert-math-to-llvm,"
                "convert-func-to-llvm{use-bare-ptr-memref-call-conv},"
                "convert-cf-to-llvm,convert-index-to-llvm,convert-ub-to-llvm,"
                "reconcile-unrealized-casts,canonicalize");
}

std::string ember::cudaToolkitPath() {
  if (const char *env = std::getenv("EMBER_CUDA_PATH"); env && *env)
    return env;
  return EMBER_DEFAULT_CUDA_PATH;
}

std::string ember::libdevicePath(llvm::StringRef toolkitPath) {
  llvm::SmallString<256> path(toolkitPath);
  llvm::sys::path::append(path, "nvvm", "libdevice", "libdevice.10.bc");
  return std::string(path);
}

bool ember::hasLibdevice(llvm::StringRef toolkitPath) {
  // The path travels in a pass option's quoted value.
  return toolkitPath.find_first_of("\"'{}") == llvm::StringRef::npos &&
         llvm::sys::fs::is_regular_file(libdevicePath(toolkitPath));
}

void ember::buildNVVMLowerPipeline(OpPassManager &pm,
                                   const GPUPipelineOptions &options) {
  addPasses(pm, "nvvm-attach-target{chip=" + options.chip +
                    "},gpu.module(convert-nvgpu-to-nvvm,convert-scf-to-cf,"
                    "convert-gpu-to-nvvm{use-"
                    "bare-ptr-memref-call-conv},reconcile-unrealized-casts)");
}

void ember::buildNVVMSerializePipeline(OpPassManager &pm,
                                       const GPUPipelineOptions &options) {
  // MLIR links libdevice from the toolkit it is given; with none it would
  // read CUDA_HOME and friends from the environment. A toolkit without
  // libdevice is not passed (MLIR would fail every graph, even those that
  // need no math function); compile() names the file when one needs it.
  std::string toolkit =
      options.toolkitPath.empty() ? cudaToolkitPath() : options.toolkitPath;
  std::string binary = "gpu-module-to-binary{format=isa";
  if (hasLibdevice(toolkit))
    binary += " toolkit=\"" + toolkit + "\"";
  addPasses(pm, binary + "}");
}

void ember::buildNVVMPipeline(OpPassManager &pm,
                              const GPUPipelineOptions &options) {
  buildNVVMLowerPipeline(pm, options);
  buildNVVMSerializePipeline(pm, options);
}

void ember::buildGPUPipeline(OpPassManager &pm,
                             const GPUPipelineOptions &options) {
  buildEmberGraphPipeline(pm);
  buildEmberToLinalgPipeline(pm, /*noViews=*/true);
  buildCPUBufferizePipeline(pm);
  buildGPUMapPipeline(pm, options.allowTF32);
  buildNVVMPipeline(pm, options);
}

namespace {
/// The command-line form of GPUPipelineOptions.
struct GPUPipelineCLOptions
    : public PassPipelineOptions<GPUPipelineCLOptions> {
  PassOptions::Option<std::string> chip{
      *this, "chip", llvm::cl::desc("Target chip, e.g. sm_90"),
      llvm::cl::init("sm_90")};
  PassOptions::Option<std::string> toolkit{
      *this, "toolkit",
      llvm::cl::desc("CUDA toolkit to link libdevice from (default: "
                     "$EMBER_CUDA_PATH, else the build's, /usr/local/cuda)"),
      llvm::cl::init("")};
  PassOptions::Option<bool> allowTF32{
      *this, "allow-tf32",
      llvm::cl::desc("f32 contractions on tensor cores in TF32 (ember-gpu-"
                     "pipeline only)"),
      llvm::cl::init(false)};
  ember::GPUPipelineOptions get() const { return {chip, toolkit, allowTF32}; }
};
/// The command-line form of CPUPipelineOptions.
struct CPUPipelineCLOptions
    : public PassPipelineOptions<CPUPipelineCLOptions> {
  PassOptions::Option<int64_t> vectorBits{
      *this, "vector-bits",
      llvm::cl::desc("Vector register width: 512 (AVX-512), 256 (AVX2), 128"),
      llvm::cl::init(512)};
  PassOptions::Option<int64_t> vectorRegisters{
      *this, "vector-registers",
      llvm::cl::desc("Vector registers (0: 32 at 512 bits, else 16)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> fmaLatency{
      *this, "fma-latency", llvm::cl::desc("A vector FMA's latency (cycles)"),
      llvm::cl::init(4)};
  PassOptions::Option<int64_t> fmaPerCycle{
      *this, "fma-per-cycle", llvm::cl::desc("Vector FMAs started per cycle"),
      llvm::cl::init(2)};
  PassOptions::Option<int64_t> l1Bytes{
      *this, "l1-bytes", llvm::cl::desc("Level-1 data cache bytes"),
      llvm::cl::init(32 * 1024)};
  PassOptions::Option<int64_t> l1Ways{*this, "l1-ways",
                                      llvm::cl::desc("Level-1 data cache ways"),
                                      llvm::cl::init(8)};
  PassOptions::Option<int64_t> l2Bytes{
      *this, "l2-bytes", llvm::cl::desc("Level-2 cache bytes of a core"),
      llvm::cl::init(1024 * 1024)};
  ember::CPUPipelineOptions get() const {
    return {vectorBits, vectorRegisters, fmaLatency, fmaPerCycle,
            l1Bytes,    l1Ways,          l2Bytes};
  }
};
} // namespace

void ember::registerEmberPipelines() {
  PassPipelineRegistration<>(
      "ember-gpu-map-pipeline", "Map bufferized linalg to outlined GPU kernels",
      [](OpPassManager &pm) { buildGPUMapPipeline(pm); });
  PassPipelineRegistration<GPUPipelineCLOptions>(
      "ember-nvvm-pipeline", "Lower GPU kernels to NVVM and PTX",
      [](OpPassManager &pm, const GPUPipelineCLOptions &o) {
        buildNVVMPipeline(pm, o.get());
      });
  PassPipelineRegistration<GPUPipelineCLOptions>(
      "ember-gpu-pipeline", "The whole NVIDIA GPU pipeline: ember to PTX",
      [](OpPassManager &pm, const GPUPipelineCLOptions &o) {
        buildGPUPipeline(pm, o.get());
      });
  PassPipelineRegistration<>(
      "ember-gpu-host-kernels-pipeline",
      "Compile outlined GPU kernels for the host (the emulated device): one "
      "function per kernel that runs one thread, in the LLVM dialect",
      buildGPUHostKernelsPipeline);
  PassPipelineRegistration<>("ember-graph-pipeline",
                             "Graph-level clean-up of ember IR",
                             buildEmberGraphPipeline);
  PassPipelineRegistration<>(
      "ember-to-linalg-pipeline",
      "Lower ember to linalg on tensors and fuse elementwise ops",
      [](OpPassManager &pm) { buildEmberToLinalgPipeline(pm); });
  PassPipelineRegistration<CPUPipelineCLOptions>(
      "ember-cpu-vectorize-pipeline",
      "Tile and vectorize contractions on tensors (register tiles)",
      [](OpPassManager &pm, const CPUPipelineCLOptions &o) {
        buildCPUVectorizePipeline(pm, o.get());
      });
  PassPipelineRegistration<>(
      "ember-cpu-bufferize-pipeline",
      "Bufferize linalg on tensors; results become out-parameters",
      buildCPUBufferizePipeline);
  PassPipelineRegistration<>(
      "ember-cpu-to-llvm-pipeline",
      "Lower bufferized linalg to the LLVM dialect (bare-pointer ABI)",
      buildCPUToLLVMPipeline);
  PassPipelineRegistration<CPUPipelineCLOptions>(
      "ember-cpu-pipeline", "The whole CPU pipeline: ember to LLVM dialect",
      [](OpPassManager &pm, const CPUPipelineCLOptions &o) {
        buildCPUPipeline(pm, o.get());
      });
}
