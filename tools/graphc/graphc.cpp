//===- graphc.cpp - Compile serialized graphs -----------------------------===//
//
// Part of Ember. Reads a graph (ember IR as MLIR text or bytecode), compiles
// it through the same facade the frontend uses, and writes any stage:
//
//   graphc INPUT [--target=cpu|cuda] [--chip=sm_90] [--cpu=NAME] [--emit=STAGE]
//                [-o OUT]
//                [--dump-ir-after-all=DIR] [--dot]
//
// Each kind of failure has its own exit code (see --help).
//
//===----------------------------------------------------------------------===//

#include "ember/Compiler/Compiler.h"
#include "ember/Compiler/OnnxImport.h"
#include "ember/runtime/File.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

using ember::compiler::Failure;
using ember::compiler::Stage;

namespace {

/// Exit codes, one per kind of failure.
enum ExitCode {
  kOk = 0,
  kUsage = 1,
  kIO = 2,
  kParse = 3,
  kVerify = 4,
  kUnsupported = 5,
  kCodegen = 6,
};

/// kHelp with the importer's ONNX ops in place of @ONNX_OPS@, as wrapped
/// lines.
std::string help();

const char *kHelp =
    R"(graphc: compile an Ember graph ahead of time and show any stage.

usage: graphc INPUT [options]

INPUT is ember IR: MLIR text (.mlir) or bytecode (.mlirbc) holding one public
func.func of ember ops on static tensors (what ember::export_graph() writes),
or an ONNX model (.onnx, opsets 7 to 22) with static input shapes
(initializers become constants; docs/graphc.md has each op's limits: Pad
pads by zeros, Shape, Gather and Concat must fold to constants), made of
these ops:
@ONNX_OPS@

options:
  --target=cpu|cuda         what to generate code for (default: cpu)
  --chip=sm_XY              the NVIDIA chip for --target=cuda (default: sm_90)
  --cpu=NAME                the CPU for --target=cpu, as LLVM names it
                            (haswell or x86-64-v3 for AVX2, skylake-avx512,
                            znver4; default: this machine's CPU)
  --emit=STAGE              how far to compile and what to write (below)
  -o OUT                    where to write it (default: standard output;
                            binary stages need -o)
  --emulated                with --target=cuda --emit=artifact: also compile
                            the kernels for this machine's CPU into the plan,
                            so that the emulated device (EMBER_FAKE_CUDA=1)
                            runs the graph's real kernels
  --allow-tf32              with --target=cuda: float32 products may run on
                            tensor cores in TF32 (inputs rounded to 10
                            mantissa bits); exact float32 otherwise
  --dump-ir-after-all=DIR   also write the IR of every stage and after every
                            pass under DIR (as EMBER_DUMP_IR does)
  --dot                     write the graph after fusion as Graphviz DOT
                            instead of compiling (fused ops are highlighted)
  --help                    this text

stages (--emit):
  ember         ember IR after the graph passes (canonicalize, fusion)
  linalg        linalg on tensors
  vectorized    register-tiled, vectorized matmuls (cpu)
  bufferized    linalg on memrefs, results as out-parameters
  llvm-dialect  the LLVM dialect (cpu)
  llvm          LLVM IR after -O3 (cpu)
  asm           native assembly (cpu)
  obj           an ELF object file (cpu)
  onnx-import   the ember IR an ONNX model imports to (before any pass)
  gpu-kernels   host code launching outlined kernels (cuda)
  ptx           the kernels' PTX (cuda)
  so            the ELF shared object alone (cpu)
  artifact      one self-contained file for ember-run: the signature and
                the code (an ELF shared object for cpu, a kernel plan with
                PTX for cuda); weights exported as constants are compiled
                in. The default.

exit codes:
  0 success  1 usage  2 file I/O  3 parse error  4 verifier error
  5 unsupported input (op, target, stage, file kind)  6 code generation
)";

std::string help() {
  std::string text = kHelp, ops, line;
  std::vector<std::string> names = ember::compiler::onnxOpTypes();
  for (size_t i = 0; i < names.size(); ++i) {
    std::string word = names[i] + (i + 1 < names.size() ? "," : ".");
    if (!line.empty() && line.size() + 1 + word.size() > 76) {
      ops += line + "\n";
      line.clear();
    }
    line += (line.empty() ? "  " : " ") + word;
  }
  ops += line;
  return text.replace(text.find("@ONNX_OPS@"), 10, ops);
}

struct Args {
  std::string input, output, target = "cpu", chip = "sm_90", cpu,
      emit = "artifact";
  std::string dumpDir;
  bool dot = false;
  bool emulated = false;
  bool allowTF32 = false;
};

int usage(const std::string &message) {
  std::cerr << "graphc: " << message << "\n(graphc --help explains the options)\n";
  return kUsage;
}

bool startsWith(const std::string &s, const char *prefix) {
  return s.rfind(prefix, 0) == 0;
}

int exitCodeFor(Failure f) {
  switch (f) {
  case Failure::None: return kOk;
  case Failure::Parse: return kParse;
  case Failure::Verify: return kVerify;
  case Failure::Unsupported: return kUnsupported;
  case Failure::Codegen: return kCodegen;
  }
  return kCodegen;
}

} // namespace

int main(int argc, char **argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << help();
      return kOk;
    }
    if (a == "-o") {
      if (++i >= argc)
        return usage("-o needs a file name");
      args.output = argv[i];
    } else if (startsWith(a, "--target=")) {
      args.target = a.substr(9);
    } else if (startsWith(a, "--chip=")) {
      args.chip = a.substr(7);
    } else if (startsWith(a, "--cpu=")) {
      args.cpu = a.substr(6);
    } else if (startsWith(a, "--emit=")) {
      args.emit = a.substr(7);
    } else if (startsWith(a, "--dump-ir-after-all=")) {
      args.dumpDir = a.substr(20);
    } else if (a == "--dot") {
      args.dot = true;
    } else if (a == "--emulated") {
      args.emulated = true;
    } else if (a == "--allow-tf32") {
      args.allowTF32 = true;
    } else if (startsWith(a, "-") && a != "-") {
      return usage("unknown option '" + a + "'");
    } else if (args.input.empty()) {
      args.input = a;
    } else {
      return usage("more than one input ('" + args.input + "' and '" + a + "')");
    }
  }
  if (args.input.empty())
    return usage("no input file");
  if (args.target != "cpu" && args.target != "cuda")
    return usage("--target must be cpu or cuda, not '" + args.target + "'");

  const std::map<std::string, Stage> cpuStages = {
      {"ember", Stage::Ember},           {"linalg", Stage::Linalg},
      {"vectorized", Stage::Vectorized}, {"bufferized", Stage::Bufferized},
      {"llvm-dialect", Stage::LLVMDialect}, {"llvm", Stage::LLVMIR},
      {"asm", Stage::Assembly},          {"obj", Stage::Object},
      {"so", Stage::SharedObject},       {"artifact", Stage::SharedObject}};
  const std::map<std::string, Stage> cudaStages = {
      {"ember", Stage::Ember},           {"linalg", Stage::Linalg},
      {"bufferized", Stage::Bufferized}, {"gpu-kernels", Stage::GPUKernels},
      {"ptx", Stage::PTX},               {"artifact", Stage::GPUPlan}};
  const auto &stages = args.target == "cpu" ? cpuStages : cudaStages;
  auto stage = stages.find(args.emit);
  bool importOnly = args.emit == "onnx-import";
  if (!args.dot && !importOnly && stage == stages.end()) {
    bool known = cpuStages.count(args.emit) || cudaStages.count(args.emit);
    std::cerr << "graphc: stage '" << args.emit << "' "
              << (known ? "is not available for --target=" + args.target
                        : std::string("is unknown"))
              << "\n";
    return known ? kUnsupported : kUsage;
  }
  bool artifact = !args.dot && args.emit == "artifact";
  if (args.emulated && (args.target != "cuda" || !artifact))
    return usage("--emulated compiles the kernels of a CUDA artifact for the "
                 "emulated device: use it with --target=cuda --emit=artifact");
  if (args.allowTF32 && args.target != "cuda")
    return usage("--allow-tf32 is for --target=cuda (tensor cores)");
  bool binary = !args.dot && !importOnly &&
                (stage->second == Stage::Object ||
                 stage->second == Stage::SharedObject || artifact);
  if (binary && args.output.empty())
    return usage("--emit=" + args.emit + " writes a binary file: give -o OUT");

  size_t dot = args.input.rfind('.');
  std::string extension = dot == std::string::npos ? "" : args.input.substr(dot);
  if (importOnly && extension != ".onnx")
    return usage("--emit=onnx-import shows what an ONNX model imports to: "
                 "give a .onnx file, not '" + args.input + "'");
  // Only a regular file: a FIFO or a device would block or never end.
  std::string source, why;
  if (!ember::rt::readRegularFile(args.input, source, why)) {
    std::cerr << "graphc: cannot read '" << args.input << "': " << why
              << "\n";
    return kIO;
  }
  if (extension == ".onnx") {
    ember::compiler::OnnxImportResult imported =
        ember::compiler::importOnnx(source);
    if (!imported.ok) {
      std::cerr << "graphc: " << args.input << ": " << imported.error << "\n";
      return imported.malformed ? kParse : kUnsupported;
    }
    source = std::move(imported.ir);
    if (args.emit == "onnx-import") {
      std::cout << source;
      return kOk;
    }
  }

  ember::compiler::Result result;
  if (args.dot) {
    result = ember::compiler::graphToDot(source);
  } else {
    ember::compiler::Options options;
    options.stopAfter = stage->second;
    options.target = args.target;
    options.chip = args.chip;
    options.cpu = args.cpu;
    options.dumpDir = args.dumpDir;
    options.gpuHostCode = args.emulated;
    options.allowTF32 = args.allowTF32;
    // A file MLIR's bytecode reader crashes on is rejected as malformed.
    options.isolateBytecode = true;
    // Diagnostics name the file; dumps are named after it.
    size_t slash = args.input.rfind('/');
    options.name = slash == std::string::npos ? args.input
                                              : args.input.substr(slash + 1);
    result = ember::compiler::compile(source, options);
  }
  if (!result.ok) {
    std::string message = result.errorMessage();
    if (message.empty())
      message = "compilation failed";
    std::istringstream lines(message);
    for (std::string line; std::getline(lines, line);)
      std::cerr << "graphc: " << line << "\n";
    int code = exitCodeFor(result.failure);
    return code == kOk ? kCodegen : code;
  }

  if (artifact) {
    if (result.inputs.empty() && result.outputs.empty()) {
      std::cerr << "graphc: " << args.input
                << ": the graph's tensor types have no Ember dtype (f32, f64, "
                   "i64, i8, i1), so it cannot be an artifact\n";
      return kUnsupported;
    }
    ember::rt::Artifact a;
    a.target = args.target == "cpu" ? ember::rt::Artifact::Target::CPU
                                    : ember::rt::Artifact::Target::CUDA;
    a.inputs = result.inputs;
    a.outputs = result.outputs;
    a.entry = result.entrySymbol;
    a.code = std::move(result.output);
    result.output = a.serialize();
  }
  if (args.output.empty() || args.output == "-") {
    std::cout << result.output;
    return kOk;
  }
  std::ofstream out(args.output, std::ios::binary | std::ios::trunc);
  out << result.output;
  out.close();
  if (!out) {
    std::cerr << "graphc: cannot write '" << args.output << "': "
              << std::strerror(errno) << "\n";
    return kIO;
  }
  return kOk;
}
