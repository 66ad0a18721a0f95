//===- Compiler.h - The compiler facade -------------------------*- C++ -*-===//
//
// Part of Ember. The one header through which the frontend (and graphc)
// reaches the compiler. It includes no MLIR or LLVM header: text goes in,
// bytes or text plus structured diagnostics come out (the shape of IREE's
// embedding API).
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_COMPILER_COMPILER_H
#define EMBER_COMPILER_COMPILER_H

#include "ember/runtime/Artifact.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ember::compiler {

/// How far compilation goes. Each stage's output is the input of the next.
enum class Stage {
  Ember,        ///< ember IR after the graph passes (MLIR text)
  Linalg,       ///< linalg on tensors (MLIR text)
  Vectorized,   ///< matmuls tiled into register tiles and vectorized (MLIR)
  Bufferized,   ///< linalg on memrefs, destination-passing (MLIR text)
  LLVMDialect,  ///< the LLVM dialect (MLIR text)
  LLVMIR,       ///< LLVM IR after optimisation (.ll text)
  Assembly,     ///< native assembly (text)
  Object,       ///< a relocatable ELF object (bytes)
  SharedObject, ///< an ELF shared object the runtime can load (bytes)
  // NVIDIA GPU stages (Options::target == "cuda"):
  GPUKernels,   ///< host code launching outlined gpu.module kernels (MLIR)
  PTX,          ///< the kernels' PTX, one module after another (text)
  GPUPlan,      ///< kernels plus host plan the runtime runs (see
                ///< ember/runtime/GpuPlan.h; text)
};

/// One diagnostic the compiler emitted.
struct Diagnostic {
  enum class Severity { Error, Warning, Note, Remark };
  Severity severity = Severity::Error;
  /// e.g. "graph.mlir:3:8": the first file position in the op's location
  /// (a fused op's first); else its first name, quoted ("\"conv1\"", an
  /// ONNX node's); empty when unknown.
  std::string location;
  std::string message;
};

struct Options {
  /// Stop after this stage.
  Stage stopAfter = Stage::SharedObject;
  /// Directory into which the IR of every stage is written (and, below it,
  /// the IR after every pass). Empty: the EMBER_DUMP_IR environment variable
  /// decides; unset means no dumps.
  std::string dumpDir;
  /// Name of the compiled graph, used in dump file names and diagnostics.
  std::string name = "graph";
  /// CPU to generate code for; empty means the host CPU with its features.
  std::string cpu;
  /// "cpu" or "cuda". For "cuda", stopAfter must be a shared stage
  /// (Ember, Linalg, Bufferized) or a GPU stage.
  std::string target = "cpu";
  /// The NVIDIA chip for target "cuda", e.g. "sm_90" or "sm_80".
  std::string chip = "sm_90";
  /// Read MLIR bytecode input only in a child process, which sends the
  /// module back as text, and reject it as malformed if MLIR's bytecode
  /// reader crashes, spins or fails silently there (it is not hardened
  /// against hostile files, and corrupts memory on some without crashing).
  /// For tools reading untrusted files (graphc); it forks, so leave it off
  /// in multithreaded programs.
  bool isolateBytecode = false;
  /// For target "cuda" and Stage::GPUPlan: also compile the kernels for the
  /// host into GpuPlan::hostCode, which the emulated device
  /// (EMBER_FAKE_CUDA=1) runs. The same kernels the NVVM path compiles,
  /// after mapping and before NVVM.
  bool gpuHostCode = false;
  /// For target "cuda": f32 contractions may run on tensor cores in TF32
  /// (inputs rounded to 10-bit mantissas, as PyTorch's
  /// torch.backends.cuda.matmul.allow_tf32); fp32 otherwise.
  bool allowTF32 = false;
};

/// Which step of compilation failed (distinct exit codes in graphc).
enum class Failure {
  None,
  Parse,       ///< the input is not valid MLIR text or bytecode
  Verify,      ///< it parses but breaks an op's rules
  Unsupported, ///< valid, but not something Ember compiles (target, ops)
  Codegen,     ///< a lowering or code generation step failed
};

/// What compile() produced.
struct Result {
  bool ok = false;
  Failure failure = Failure::None;
  std::vector<Diagnostic> diagnostics;
  /// The stage's output: text for text stages, bytes for binary ones.
  std::string output;
  /// For Stage::SharedObject: the symbol of the entry point (see
  /// ember/runtime/Executable.h for its ABI).
  std::string entrySymbol;
  /// The graph's arguments and results, when every type is one Ember has a
  /// DType for (filled once the input is parsed).
  std::vector<rt::TensorSignature> inputs, outputs;

  /// All error diagnostics, one per line, as "location: message".
  std::string errorMessage() const;
};

/// Compiles `source`, an MLIR module (text or bytecode) holding one public
/// func.func of ember ops on static tensors, as far as `options.stopAfter`.
/// Thread-safe: each call uses its own MLIR context.
Result compile(std::string_view source, const Options &options = {});

/// Compiles `source`, MLIR text of gpu.module kernels (gpu.func, as
/// ember-gpu-map-pipeline outlines and merges them), for the emulated
/// device the way compile() does for Stage::GPUPlan with
/// Options::gpuHostCode: `output` is the ELF shared object of
/// GpuPlan::hostCode, whose kernel i is the gpu.func named kernelNames[i]
/// (see ember/runtime/GpuPlan.h for the ABI). For tests of kernels the
/// graph pipelines do not make (yet).
Result compileHostKernels(std::string_view source,
                          const std::vector<std::string> &kernelNames,
                          const Options &options = {});

/// The graph after the graph-level passes (fusion included) as Graphviz DOT:
/// one node per op, labelled with its name and result shape, edges along
/// the data flow. `source` is as for compile().
Result graphToDot(std::string_view source);

/// The column-panel width (f32 elements: two vector registers) in which
/// CPU code for `cpu` (LLVM's name; empty: the host) reads a product's B
/// passed in prepacked: a [N / w, K, w] tensor X (X[p, k, j] = B[k, p * w +
/// j]) that the graph makes B of by `transpose [1, 0, 2]` then `reshape` to
/// [K, N] (see ember-cpu-vectorize-contractions). 0 when `cpu` is unknown.
/// Thread-safe; cached per `cpu`.
int64_t prepackedPanelWidth(const std::string &cpu);

/// A description of the host CPU the code is generated for ("znver4 +avx512f
/// ..."): part of any cache key of compiled code.
std::string hostTargetDescription();

/// Version of the compiler, part of any cache key of compiled code.
std::string_view compilerVersion();

/// What compiled code depends on besides the graph: the compiler's version
/// and the GNU build id of the library it was built into (so any rebuild
/// with different code changes it), and hostTargetDescription(). The key
/// prefix of Ember's on-disk cache of compiled graphs.
std::string compilerFingerprint();

} // namespace ember::compiler

#endif // EMBER_COMPILER_COMPILER_H
