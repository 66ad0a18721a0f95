//===- Compiler.cpp - The compiler facade ---------------------------------===//
//
// Part of Ember. Drives one compilation: parse, run the stage pipelines,
// translate to LLVM IR, generate machine code and link. Diagnostics are
// captured into Result rather than printed, and IR is dumped between stages
// on request.
//
//===----------------------------------------------------------------------===//

#include "ember/Compiler/Compiler.h"
#include "ember/Dialect/Ember/IR/EmberDialect.h"
#include "ember/Dialect/Ember/IR/EmberOps.h"

#include "ember/InitAll.h"
#include "ember/Pipelines/Pipelines.h"
#include "ember/Support/IsolatedBytecode.h"
#include "ember/Support/NestingLimit.h"
#include "ember/Target/CPU/CPUTarget.h"
#include "ember/Target/NVPTX/GpuPlan.h"
#include "ember/Transforms/Passes.h"
#include "mlir/Bytecode/BytecodeReader.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <elf.h>
#include <functional>
#include <link.h>
#include <map>
#include <mutex>
#include <optional>

using namespace mlir;
namespace api = ::ember::compiler;
using api::Options;
using api::Result;
using api::Stage;
/// The facade's diagnostic record (not mlir::Diagnostic).
using Record = api::Diagnostic;

namespace {

const DialectRegistry &registry() {
  static DialectRegistry *instance = [] {
    auto *r = new DialectRegistry();
    mlir::ember::registerAllEmberDialects(*r);
    // Textual pipelines resolve pass names through the global registry.
    mlir::ember::registerAllEmberPasses();
    return r;
  }();
  return *instance;
}

/// A plain diagnostic as the facade's record (whose severities are the
/// same, in the same order).
Record record(const ::ember::PlainDiagnostic &d) {
  using Plain = ::ember::PlainDiagnostic::Severity;
  static_assert(int(Plain::Error) == int(Record::Severity::Error) &&
                int(Plain::Warning) == int(Record::Severity::Warning) &&
                int(Plain::Note) == int(Record::Severity::Note) &&
                int(Plain::Remark) == int(Record::Severity::Remark));
  Record r;
  r.severity = static_cast<Record::Severity>(d.severity);
  r.location = d.location;
  r.message = d.message;
  return r;
}

/// Collects every diagnostic of one compilation.
class DiagnosticCollector {
public:
  DiagnosticCollector(MLIRContext &ctx, std::vector<Record> &out)
      : handler(&ctx, [&out](mlir::Diagnostic &diag) {
          out.push_back(convert(diag));
          for (mlir::Diagnostic &note : diag.getNotes())
            out.push_back(convert(note));
          return success();
        }) {}

private:
  static Record convert(mlir::Diagnostic &diag) {
    return record(::ember::plainDiagnostic(diag));
  }
  ScopedDiagnosticHandler handler;
};

/// Writes stage outputs (and per-pass IR) under one directory per graph.
class Dumper {
public:
  Dumper(const Options &options) {
    std::string dir = options.dumpDir;
    if (dir.empty())
      if (const char *env = std::getenv("EMBER_DUMP_IR"))
        dir = env;
    if (dir.empty())
      return;
    static std::atomic<unsigned> counter{0};
    // A counter keeps dumps of graphs with the same name apart.
    llvm::SmallString<256> path(dir);
    llvm::sys::path::append(path, options.name + "-" +
                                      std::to_string(counter++));
    if (llvm::sys::fs::create_directories(path))
      return;
    root = std::string(path);
  }

  bool enabled() const { return !root.empty(); }

  void write(llvm::StringRef fileName, llvm::StringRef contents) {
    if (!enabled())
      return;
    llvm::SmallString<256> path(root);
    llvm::sys::path::append(path, fileName);
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    if (!ec)
      os << contents;
  }

  void write(llvm::StringRef fileName, Operation *op) {
    if (!enabled())
      return;
    std::string text;
    llvm::raw_string_ostream os(text);
    op->print(os);
    write(fileName, text);
  }

  /// Enables IR printing after every pass of `pm` into passes/<stage>/.
  void instrument(PassManager &pm, llvm::StringRef stage) {
    if (!enabled())
      return;
    llvm::SmallString<256> path(root);
    llvm::sys::path::append(path, "passes", stage);
    // The printer creates files, not the directory it writes them under.
    if (llvm::sys::fs::create_directories(path))
      return;
    pm.enableIRPrintingToFileTree(
        [](Pass *, Operation *) { return false; },
        [](Pass *, Operation *) { return true; },
        /*printModuleScope=*/true, /*printAfterOnlyOnChange=*/false,
        /*printAfterOnlyOnFailure=*/false, path);
  }

private:
  std::string root;
};

std::string printOp(Operation *op) {
  std::string text;
  llvm::raw_string_ostream os(text);
  op->print(os);
  return text;
}

std::string printModule(llvm::Module &module) {
  std::string text;
  llvm::raw_string_ostream os(text);
  module.print(os, nullptr);
  return text;
}

/// The DType of an MLIR element type, if Ember has one.
std::optional<::ember::DType> dtypeOf(Type t) {
  if (t.isF32())
    return ::ember::DType::Float32;
  if (t.isF64())
    return ::ember::DType::Float64;
  if (t.isF16())
    return ::ember::DType::Float16;
  if (t.isBF16())
    return ::ember::DType::BFloat16;
  if (t.isInteger(64))
    return ::ember::DType::Int64;
  if (t.isInteger(8))
    return ::ember::DType::UInt8;
  if (t.isInteger(1))
    return ::ember::DType::Bool;
  return std::nullopt;
}

/// Fills result.inputs/outputs from the graph function's type (left empty
/// when some type has no DType).
void recordSignature(func::FuncOp fn, Result &result) {
  auto convert = [](TypeRange types,
                    std::vector<::ember::rt::TensorSignature> &out) {
    for (Type t : types) {
      auto tensor = dyn_cast<RankedTensorType>(t);
      std::optional<::ember::DType> dtype =
          tensor ? dtypeOf(tensor.getElementType()) : std::nullopt;
      if (!dtype || !tensor.hasStaticShape()) {
        out.clear();
        return false;
      }
      out.push_back({*dtype, std::vector<int64_t>(tensor.getShape().begin(),
                                                  tensor.getShape().end())});
    }
    return true;
  };
  if (!convert(fn.getArgumentTypes(), result.inputs) ||
      !convert(fn.getResultTypes(), result.outputs)) {
    result.inputs.clear();
    result.outputs.clear();
  }
}

/// The single public function the graph must consist of.
FailureOr<func::FuncOp> findGraphFunction(ModuleOp module) {
  func::FuncOp found;
  for (auto fn : module.getOps<func::FuncOp>()) {
    if (fn.isPrivate() || fn.isDeclaration())
      continue;
    if (found) {
      fn.emitError("a graph module must have one public function; found '")
          << found.getSymName() << "' and '" << fn.getSymName() << "'";
      return failure();
    }
    found = fn;
  }
  if (!found) {
    module.emitError("a graph module must have one public func.func");
    return failure();
  }
  // Ember compiles graphs of ember ops, nothing else: another dialect's op
  // (a func.call, even one to the graph itself, an llvm.inline_asm) would
  // reach the lowering unchecked and could make code that crashes when run.
  WalkResult walk = module.walk([&](Operation *op) {
    if (op == module.getOperation() || op == found.getOperation() ||
        isa<func::ReturnOp>(op) ||
        isa<mlir::ember::EmberDialect>(op->getDialect()))
      return WalkResult::advance();
    if (isa<func::FuncOp>(op))
      op->emitError("a graph module holds one function; '")
          << cast<func::FuncOp>(op).getSymName() << "' is another";
    else
      op->emitError("'") << op->getName()
                         << "' is not an Ember graph op: a graph holds "
                            "ember ops and one func.return";
    return WalkResult::interrupt();
  });
  if (walk.wasInterrupted())
    return failure();
  return found;
}

Result &fail(Result &result, std::string message) {
  result.ok = false;
  if (result.failure == api::Failure::None)
    result.failure = api::Failure::Codegen;
  result.diagnostics.push_back({Record::Severity::Error, "", message});
  return result;
}

/// One MLIR stage of a target's pipeline: its passes, the file its IR is
/// dumped to, and what runs after them before the dump (a check, a second
/// pass manager, a snapshot of the IR).
struct MlirStage {
  Stage stage;
  const char *dumpName;
  std::function<void(OpPassManager &)> build;
  std::function<LogicalResult()> after = nullptr;
  /// Whether stopping after this stage returns its IR as the output.
  bool returnsIR = true;
};

/// Runs `stages` in order, each in its own pass manager so that the IR
/// between them can be dumped and returned. True when compile() is done: a
/// stage failed (result says why) or options.stopAfter was reached (result
/// holds the IR); false when the caller goes on past the last stage.
bool runStages(ModuleOp module, llvm::ArrayRef<MlirStage> stages,
               const Options &options, Dumper &dumper, Result &result) {
  for (const MlirStage &s : stages) {
    PassManager pm(module->getContext(), ModuleOp::getOperationName());
    s.build(pm);
    dumper.instrument(pm, llvm::sys::path::stem(s.dumpName));
    if (failed(pm.run(module)) || (s.after && failed(s.after()))) {
      if (result.failure == api::Failure::None)
        result.failure = api::Failure::Codegen;
      return true;
    }
    dumper.write(s.dumpName, module.getOperation());
    if (options.stopAfter == s.stage && s.returnsIR) {
      result.output = printOp(module.getOperation());
      result.ok = true;
      return true;
    }
  }
  return false;
}

/// Kernels that call a libdevice function (`__nv_expf` for exp, `__nv_logf`
/// for log) need libdevice linked in; without it ptxas or the driver would
/// fail later on an undefined symbol. Names the first such function and the
/// file looked for when that file is not there.
std::optional<std::string> checkLibdevice(ModuleOp module) {
  std::optional<std::string> needed;
  module.walk([&](LLVM::LLVMFuncOp fn) {
    if (fn.isExternal() && fn.getSymName().starts_with("__nv_")) {
      needed = fn.getSymName().str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  std::string toolkit = mlir::ember::cudaToolkitPath();
  if (!needed || mlir::ember::hasLibdevice(toolkit))
    return std::nullopt;
  return "this graph's GPU kernels call " + *needed +
         ", which needs CUDA's libdevice, and " +
         mlir::ember::libdevicePath(toolkit) +
         " is not there (or its path is unusable): install the CUDA toolkit "
         "there, or set EMBER_CUDA_PATH to the toolkit's folder";
}

/// The kernels of `hostModule` (a copy of the module after kernel mapping)
/// compiled for the host: an ELF shared object exporting
/// rt::hostKernelSymbol(i) for the kernel named kernelNames[i] (the
/// layout in ember/runtime/GpuPlan.h), what the emulated device runs.
FailureOr<std::string> compileHostKernels(ModuleOp hostModule,
                                          ArrayRef<std::string> kernelNames,
                                          const Options &options,
                                          Dumper &dumper, Result &result) {
  PassManager pm(hostModule->getContext(), ModuleOp::getOperationName());
  mlir::ember::buildGPUHostKernelsPipeline(pm);
  dumper.instrument(pm, "06-host-kernels");
  if (failed(pm.run(hostModule)))
    return failure();
  dumper.write("06-host-kernels.mlir", hostModule.getOperation());
  auto hostFail = [&](const std::string &message) {
    fail(result, "compiling the GPU kernels for the host: " + message);
    return failure();
  };
  // What the pass noted for the entry points; LLVM IR has no place for it.
  llvm::StringMap<uint64_t> sharedBytesOf;
  llvm::StringSet<> barriersIn;
  hostModule.walk([&](LLVM::LLVMFuncOp fn) {
    if (auto bytes =
            fn->getAttrOfType<IntegerAttr>(mlir::ember::kEmuSharedBytesAttr))
      sharedBytesOf[fn.getName()] = bytes.getValue().getZExtValue();
    if (fn->hasAttr(mlir::ember::kEmuBarriersAttr))
      barriersIn.insert(fn.getName());
    fn->removeAttr(mlir::ember::kEmuSharedBytesAttr);
    fn->removeAttr(mlir::ember::kEmuBarriersAttr);
  });
  llvm::LLVMContext llvmCtx;
  std::unique_ptr<llvm::Module> llvmModule = translateModuleToLLVMIR(
      hostModule.getOperation(), llvmCtx, options.name + "-host-kernels");
  if (!llvmModule)
    return hostFail("translation to LLVM IR failed");
  // ember-gpu-kernels-to-host names kernel @k's function ember_emu_k and
  // notes on it the shared memory its block needs and whether it calls the
  // barrier.
  for (size_t i = 0; i < kernelNames.size(); ++i) {
    std::string name = "ember_emu_" + kernelNames[i];
    uint64_t sharedBytes = sharedBytesOf[name];
    if (llvm::Error err = mlir::ember::addEmulatedKernelEntryPoint(
            *llvmModule, name,
            ::ember::rt::hostKernelSymbol(static_cast<int64_t>(i)),
            sharedBytes, barriersIn.count(name)))
      return hostFail(llvm::toString(std::move(err)));
  }
  mlir::ember::defineEmulatedHook(*llvmModule, mlir::ember::kEmuBarrierFunction,
                                  ::ember::rt::kHostBarrierHook);
  mlir::ember::defineEmulatedHook(*llvmModule, mlir::ember::kEmuShuffleFunction,
                                  ::ember::rt::kHostShuffleHook);
  mlir::ember::defineEmulatedHook(*llvmModule, mlir::ember::kEmuMmaFunction,
                                  ::ember::rt::kHostMmaHook);
  // The emulated device runs on this machine (or on options.cpu).
  auto tm = mlir::ember::createCPUTargetMachine(options.cpu);
  if (!tm)
    return hostFail(llvm::toString(tm.takeError()));
  mlir::ember::optimizeModule(*llvmModule, **tm);
  dumper.write("06-host-kernels.ll", printModule(*llvmModule));
  auto object = mlir::ember::emitMachineCode(*llvmModule, **tm, true);
  if (!object)
    return hostFail(llvm::toString(object.takeError()));
  auto shared = mlir::ember::linkSharedObject(*object);
  if (!shared)
    return hostFail(llvm::toString(shared.takeError()));
  return std::move(*shared);
}

/// The rest of compile() for the CPU: the shared stages, vectorization for
/// the target's vector width, bufferization, LLVM, machine code, a shared
/// object. `result` is the caller's (see compileForGPU).
Result &compileForCPU(ModuleOp module, const std::string &funcName,
                      const Options &options, Dumper &dumper, Result &result) {
  // The target machine comes first: its vector width shapes the tiles.
  auto tm = mlir::ember::createCPUTargetMachine(options.cpu);
  if (!tm) {
    result.failure = api::Failure::Unsupported;
    return fail(result, llvm::toString(tm.takeError()));
  }
  mlir::ember::CPUModel model = mlir::ember::cpuModel(**tm);
  // The tile model's part of the CPU model.
  const mlir::ember::CPUPipelineOptions &cpuOptions = model;
  dumper.write("00-cpu-model.txt", model.describe() + "\n");

  const MlirStage stages[] = {
      {Stage::Ember, "01-ember.mlir", mlir::ember::buildEmberGraphPipeline},
      {Stage::Linalg, "02-linalg.mlir",
       [&](OpPassManager &pm) {
         mlir::ember::buildEmberToLinalgPipeline(
             pm, /*noViews=*/false,
             mlir::ember::cpuPanelWidth(cpuOptions.vectorBits),
             cpuOptions.l2Bytes);
       }},
      {Stage::Vectorized, "03-vectorized.mlir",
       [&](OpPassManager &pm) {
         mlir::ember::buildCPUVectorizePipeline(pm, cpuOptions);
       }},
      {Stage::Bufferized, "04-bufferized.mlir",
       mlir::ember::buildCPUBufferizePipeline},
      {Stage::LLVMDialect, "05-llvm-dialect.mlir",
       mlir::ember::buildCPUToLLVMPipeline},
  };
  if (runStages(module, stages, options, dumper, result))
    return result;

  // LLVM IR.
  llvm::LLVMContext llvmCtx;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module.getOperation(), llvmCtx, options.name);
  if (!llvmModule)
    return fail(result, "translation to LLVM IR failed");
  if (llvm::Error err = mlir::ember::bindParallelRuntime(*llvmModule))
    return fail(result, llvm::toString(std::move(err)));
  dumper.write("06-llvm-ir.ll", printModule(*llvmModule));
  const std::string entry = "ember_entry";
  if (llvm::Error err =
          mlir::ember::addPackedEntryPoint(*llvmModule, funcName, entry))
    return fail(result, llvm::toString(std::move(err)));
  mlir::ember::optimizeModule(*llvmModule, **tm);
  std::string optimized = printModule(*llvmModule);
  dumper.write("07-llvm-ir-opt.ll", optimized);
  if (options.stopAfter == Stage::LLVMIR) {
    result.output = std::move(optimized);
    result.ok = true;
    return result;
  }

  // Machine code. Assembly is produced for dumps and for Stage::Assembly;
  // code generation consumes nothing, so the module can be emitted twice.
  if (dumper.enabled() || options.stopAfter == Stage::Assembly) {
    auto assembly = mlir::ember::emitMachineCode(*llvmModule, **tm, false);
    if (!assembly)
      return fail(result, llvm::toString(assembly.takeError()));
    dumper.write("08-assembly.s", *assembly);
    if (options.stopAfter == Stage::Assembly) {
      result.output = std::move(*assembly);
      result.ok = true;
      return result;
    }
  }
  auto object = mlir::ember::emitMachineCode(*llvmModule, **tm, true);
  if (!object)
    return fail(result, llvm::toString(object.takeError()));
  if (options.stopAfter == Stage::Object) {
    result.output = std::move(*object);
    result.ok = true;
    return result;
  }
  auto shared = mlir::ember::linkSharedObject(*object);
  if (!shared)
    return fail(result, llvm::toString(shared.takeError()));
  // The code as loaded, with its symbols: what a profile of the running
  // graph (loaded from memory, which perf cannot read back) is mapped to.
  dumper.write("09-shared-object.so", *shared);
  result.output = std::move(*shared);
  result.entrySymbol = entry;
  result.ok = true;
  return result;
}

/// The rest of compile() for NVIDIA GPUs: shared stages, kernel mapping,
/// NVVM and PTX (and, with Options::gpuHostCode, the kernels for the host).
/// `result` is the caller's: its diagnostics vector is the one the context's
/// handler appends to, so it must not be copied or moved from.
Result &compileForGPU(ModuleOp module, const std::string &funcName,
                      const Options &options, Dumper &dumper, Result &result) {
  // sm_XY or sm_XYa: anything else would also break the pass pipeline text.
  llvm::StringRef chip = options.chip;
  if (!chip.consume_front("sm_") || chip.empty() ||
      !llvm::all_of(chip, [](char c) { return llvm::isAlnum(c); })) {
    result.failure = api::Failure::Unsupported;
    return fail(result, "invalid CUDA chip '" + options.chip +
                            "' (expected e.g. sm_90 or sm_80)");
  }
  mlir::ember::GPUPipelineOptions gpuOptions{options.chip, "",
                                             options.allowTF32};
  // The kernels for the emulated device start from the mapped kernels, the
  // same the NVVM path compiles.
  bool hostCode = options.gpuHostCode && options.stopAfter == Stage::GPUPlan;
  OwningOpRef<ModuleOp> hostModule;
  const MlirStage stages[] = {
      {Stage::Ember, "01-ember.mlir", mlir::ember::buildEmberGraphPipeline},
      {Stage::Linalg, "02-linalg.mlir",
       [](OpPassManager &pm) {
         // The GPU plan cannot copy into a view of a buffer yet.
         mlir::ember::buildEmberToLinalgPipeline(pm,
                                                 /*noViews=*/true);
       }},
      {Stage::Bufferized, "03-bufferized.mlir",
       mlir::ember::buildCPUBufferizePipeline},
      {Stage::GPUKernels, "04-gpu-kernels.mlir",
       [&](OpPassManager &pm) {
         mlir::ember::buildGPUMapPipeline(pm, gpuOptions.allowTF32);
       },
       [&]() -> LogicalResult {
         if (hostCode)
           hostModule = module.clone();
         return success();
       }},
      // Kernels to NVVM, then to PTX once libdevice is known to be there
      // if they need it. Its IR is not an output: the PTX below is.
      {Stage::PTX, "05-nvvm-ptx.mlir",
       [&](OpPassManager &pm) {
         mlir::ember::buildNVVMLowerPipeline(pm, gpuOptions);
       },
       [&]() -> LogicalResult {
         if (std::optional<std::string> error = checkLibdevice(module)) {
           fail(result, *error);
           return failure();
         }
         PassManager serialize(module->getContext(),
                               ModuleOp::getOperationName());
         mlir::ember::buildNVVMSerializePipeline(serialize, gpuOptions);
         dumper.instrument(serialize, "05-nvvm-ptx");
         return serialize.run(module);
       },
       /*returnsIR=*/false},
  };
  if (runStages(module, stages, options, dumper, result))
    return result;
  if (options.stopAfter == Stage::GPUPlan) {
    SmallVector<std::string> kernelNames;
    FailureOr<::ember::rt::GpuPlan> plan =
        mlir::ember::extractGpuPlan(module, funcName, &kernelNames);
    if (failed(plan)) {
      result.failure = api::Failure::Unsupported;
      return result; // extractGpuPlan has reported why
    }
    if (hostModule) {
      FailureOr<std::string> code = compileHostKernels(
          *hostModule, kernelNames, options, dumper, result);
      if (failed(code)) {
        result.failure = api::Failure::Codegen;
        return result;
      }
      plan->hostCode = std::move(*code);
    }
    result.output = plan->serialize();
    dumper.write("06-plan.txt", result.output);
    result.ok = true;
    return result;
  }
  if (options.stopAfter != Stage::PTX) {
    result.failure = api::Failure::Unsupported;
    return fail(result, "stage not available for target cuda");
  }
  // ember-gpu-merge-kernel-modules put every kernel in one gpu.module, so
  // there is one gpu.binary: one PTX module, which ptxas takes as it is.
  std::string ptx;
  module.walk([&](gpu::BinaryOp binary) {
    for (Attribute object : binary.getObjects()) {
      auto obj = cast<gpu::ObjectAttr>(object);
      ptx += "// ember: gpu.module @" + binary.getSymName().str() + "\n";
      ptx += obj.getObject().getValue().str();
      ptx += "\n";
    }
  });
  dumper.write("06-kernels.ptx", ptx);
  result.output = std::move(ptx);
  result.ok = true;
  return result;
}

} // namespace

std::string Result::errorMessage() const {
  std::string out;
  for (const Record &d : diagnostics) {
    if (d.severity != Record::Severity::Error &&
        d.severity != Record::Severity::Note)
      continue;
    if (!out.empty())
      out += "\n";
    if (!d.location.empty())
      out += d.location + ": ";
    if (d.severity == Record::Severity::Note)
      out += "note: ";
    out += d.message;
  }
  return out;
}

Result api::graphToDot(std::string_view source) {
  Options options;
  options.stopAfter = Stage::Ember;
  options.isolateBytecode = true; // graphc --dot reads untrusted files
  Result graph = compile(source, options);
  if (!graph.ok)
    return graph;
  Result result;
  MLIRContext ctx(registry(), MLIRContext::Threading::DISABLED);
  DiagnosticCollector collector(ctx, result.diagnostics);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(
      graph.output, ParserConfig(&ctx), "graph");
  if (!module)
    return result;
  FailureOr<func::FuncOp> fn = findGraphFunction(*module);
  if (failed(fn))
    return result;
  auto shapeOf = [](Type t) {
    std::string s;
    llvm::raw_string_ostream os(s);
    if (auto tensor = dyn_cast<RankedTensorType>(t)) {
      os << "[";
      llvm::interleaveComma(tensor.getShape(), os);
      os << "] " << tensor.getElementType();
    } else {
      os << t;
    }
    return s;
  };
  std::string dot;
  llvm::raw_string_ostream os(dot);
  os << "digraph " << fn->getSymName() << " {\n  rankdir=TB;\n"
     << "  node [shape=box, fontname=\"monospace\"];\n";
  llvm::DenseMap<Value, std::string> names;
  for (BlockArgument arg : fn->getArguments()) {
    std::string name = "arg" + std::to_string(arg.getArgNumber());
    names[arg] = name;
    os << "  " << name << " [shape=ellipse, label=\"%" << name << "\\n"
       << shapeOf(arg.getType()) << "\"];\n";
  }
  unsigned counter = 0;
  for (Operation &op : fn->getBody().front()) {
    std::string name = "op" + std::to_string(counter++);
    bool fused = isa<mlir::ember::LinearReluOp, mlir::ember::Conv2dReluOp>(op);
    os << "  " << name << " [label=\"" << op.getName().getStringRef();
    for (Value r : op.getResults())
      os << "\\n" << shapeOf(r.getType());
    os << "\"" << (fused ? ", style=filled, fillcolor=\"#ffd27f\"" : "")
       << "];\n";
    for (Value operand : op.getOperands())
      if (auto it = names.find(operand); it != names.end())
        os << "  " << it->second << " -> " << name << ";\n";
    for (Value r : op.getResults())
      names[r] = name;
  }
  os << "}\n";
  result.output = std::move(dot);
  result.ok = true;
  return result;
}

Result api::compileHostKernels(std::string_view source,
                               const std::vector<std::string> &kernelNames,
                               const Options &options) {
  Result result;
  MLIRContext ctx(registry(), MLIRContext::Threading::DISABLED);
  DiagnosticCollector collector(ctx, result.diagnostics);
  Dumper dumper(options);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(
      llvm::StringRef(source.data(), source.size()), ParserConfig(&ctx),
      options.name);
  if (!module) {
    result.failure = api::Failure::Parse;
    return result;
  }
  FailureOr<std::string> code =
      compileHostKernels(*module, kernelNames, options, dumper, result);
  if (failed(code)) {
    result.failure = api::Failure::Codegen;
    return result;
  }
  result.output = std::move(*code);
  result.ok = true;
  return result;
}

int64_t api::prepackedPanelWidth(const std::string &cpu) {
  static std::mutex mutex;
  static std::map<std::string, int64_t> widths;
  std::lock_guard<std::mutex> lock(mutex);
  auto [it, inserted] = widths.try_emplace(cpu, 0);
  if (inserted) {
    auto tm = mlir::ember::createCPUTargetMachine(cpu);
    if (!tm) {
      llvm::consumeError(tm.takeError());
      return 0;
    }
    // Two registers of f32 lanes, as the pass's register tiles
    // (TargetModel::lanes).
    it->second =
        mlir::ember::cpuPanelWidth(mlir::ember::vectorRegisterBits(**tm));
  }
  return it->second;
}

std::string api::hostTargetDescription() {
  return mlir::ember::describeHostTarget();
}

std::string_view api::compilerVersion() {
  return "ember-0.1.0/llvm-22";
}

namespace {
/// The GNU build id (hex) of the loaded object that contains `address`, or
/// "" when it has none.
std::string buildIdOf(const void *address) {
  Dl_info info;
  if (!dladdr(address, &info) || !info.dli_fbase)
    return "";
  struct Search {
    const void *base;
    std::string id;
  } search{info.dli_fbase, ""};
  dl_iterate_phdr(
      [](dl_phdr_info *object, size_t, void *data) {
        auto *s = static_cast<Search *>(data);
        for (int i = 0; i < object->dlpi_phnum; ++i) {
          const ElfW(Phdr) &ph = object->dlpi_phdr[i];
          if (ph.p_type != PT_LOAD || ph.p_offset != 0)
            continue;
          if (reinterpret_cast<const void *>(object->dlpi_addr + ph.p_vaddr) !=
              s->base)
            return 0;
        }
        for (int i = 0; i < object->dlpi_phnum; ++i) {
          const ElfW(Phdr) &ph = object->dlpi_phdr[i];
          if (ph.p_type != PT_NOTE)
            continue;
          const char *p =
              reinterpret_cast<const char *>(object->dlpi_addr + ph.p_vaddr);
          const char *end = p + ph.p_memsz;
          while (p + sizeof(ElfW(Nhdr)) <= end) {
            auto *note = reinterpret_cast<const ElfW(Nhdr) *>(p);
            const char *name = p + sizeof(ElfW(Nhdr));
            const auto *desc = reinterpret_cast<const unsigned char *>(
                name + ((note->n_namesz + 3) & ~3u));
            if (note->n_type == NT_GNU_BUILD_ID && note->n_namesz == 4 &&
                std::memcmp(name, "GNU", 4) == 0) {
              static const char hex[] = "0123456789abcdef";
              for (unsigned j = 0; j < note->n_descsz; ++j) {
                s->id += hex[desc[j] >> 4];
                s->id += hex[desc[j] & 15];
              }
              return 1;
            }
            p = reinterpret_cast<const char *>(desc) +
                ((note->n_descsz + 3) & ~3u);
          }
        }
        return 1;
      },
      &search);
  return search.id;
}
} // namespace

std::string api::compilerFingerprint() {
  static const std::string fingerprint = [] {
    std::string id =
        buildIdOf(reinterpret_cast<const void *>(&api::compilerFingerprint));
    return std::string(compilerVersion()) + " build " +
           (id.empty() ? std::string("unknown") : id) + " target " +
           hostTargetDescription();
  }();
  return fingerprint;
}

namespace {
/// A NUL-terminated copy of `bytes` for a SourceMgr. LLVM's copy returns
/// null when the allocation is refused (and SourceMgr would crash on it):
/// that is std::bad_alloc here, which compile() reports.
std::unique_ptr<llvm::MemoryBuffer> copyToBuffer(std::string_view bytes,
                                                 const std::string &name) {
  std::unique_ptr<llvm::MemoryBuffer> buffer =
      llvm::MemoryBuffer::getMemBufferCopy(
          llvm::StringRef(bytes.data(), bytes.size()), name);
  if (!buffer)
    throw std::bad_alloc();
  return buffer;
}

} // namespace

namespace {

/// What the fatal-error handler throws: LLVM's report_fatal_error (and its
/// out-of-memory report) would otherwise abort the whole process from
/// inside an in-process compile.
struct LLVMFatalError {
  std::string reason;
};

/// Turns LLVM's fatal errors and allocation failures into exceptions that
/// compile() catches. Installed once, process-wide: only Ember's compiler
/// runs LLVM in an Ember process. (libLLVM is built without exceptions but
/// with unwind tables, so a throw from the handler unwinds its frames.)
void installLLVMErrorHandlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::install_fatal_error_handler(
        [](void *, const char *reason, bool) {
          throw LLVMFatalError{reason ? reason : "unknown"};
        });
    llvm::install_bad_alloc_error_handler(
        [](void *, const char *, bool) { throw std::bad_alloc(); });
  });
}

Result compileImpl(std::string_view source, const Options &options);

} // namespace

Result api::compile(std::string_view source, const Options &options) {
  installLLVMErrorHandlers();
  auto failed = [&](std::string message) {
    Result result;
    result.failure = api::Failure::Codegen;
    result.diagnostics.push_back(
        {api::Diagnostic::Severity::Error, options.name, std::move(message)});
    return result;
  };
  try {
    return compileImpl(source, options);
  } catch (const std::bad_alloc &) {
    return failed("out of memory while compiling the graph (the compiler's "
                  "allocation was refused)");
  } catch (const LLVMFatalError &e) {
    return failed("LLVM failed while compiling the graph: " + e.reason);
  }
}

namespace {
Result compileImpl(std::string_view source, const Options &options) {
  Result result;
  MLIRContext ctx(registry(), MLIRContext::Threading::DISABLED);
  DiagnosticCollector collector(ctx, result.diagnostics);
  Dumper dumper(options);
  dumper.write("00-input.mlir", llvm::StringRef(source.data(), source.size()));

  // Verification is a separate step, so that its failures are told apart.
  ParserConfig config(&ctx, /*verifyAfterParse=*/false);
  std::unique_ptr<llvm::MemoryBuffer> input =
      copyToBuffer(source, options.name);
  bool bytecode = isBytecode(input->getMemBufferRef());
  // Untrusted bytecode is read in a child, which sends it back as text:
  // from here on it is text, parsed and checked as such.
  std::string bytecodeAsText;
  if (bytecode && options.isolateBytecode) {
    ::ember::IsolatedBytecodeRead read =
        ::ember::readBytecodeIsolated(*input, registry());
    using Kind = ::ember::IsolatedBytecodeRead::Kind;
    if (read.kind != Kind::Text) {
      result.failure = api::Failure::Parse;
      for (const ::ember::PlainDiagnostic &d : read.diagnostics)
        result.diagnostics.push_back(record(d));
      if (read.kind == Kind::Malformed)
        result.diagnostics.push_back({api::Diagnostic::Severity::Error,
                                      options.name,
                                      "malformed MLIR bytecode: " + read.why});
      else if (result.diagnostics.empty())
        result.diagnostics.push_back(
            {api::Diagnostic::Severity::Error, options.name,
             "malformed MLIR bytecode (the reader gave no reason)"});
      return result;
    }
    bytecodeAsText = std::move(read.text);
    input = llvm::MemoryBuffer::getMemBuffer(bytecodeAsText, options.name,
                                             /*RequiresNullTerminator=*/true);
    source = bytecodeAsText;
    bytecode = false;
  }
  // MLIR's lexer reads up to a terminating NUL, which a string_view need
  // not have (the fuzzer found the overread): the parser reads a
  // terminated copy.
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(input), llvm::SMLoc());
  if (!bytecode)
    if (std::optional<::ember::NestingError> deep =
            ::ember::textNestingError(source)) {
      if (bytecodeAsText.empty())
        result.diagnostics.push_back({api::Diagnostic::Severity::Error,
                                      options.name + ":" +
                                          std::to_string(deep->line) + ":" +
                                          std::to_string(deep->column),
                                      deep->message});
      else // (the line and column would be the text's, not the file's)
        result.diagnostics.push_back(
            {api::Diagnostic::Severity::Error, options.name,
             "malformed MLIR bytecode: " + deep->message});
      result.failure = api::Failure::Parse;
      return result;
    }
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(sourceMgr, config);
  if (!module) {
    result.failure = api::Failure::Parse; // the parser has reported why
    if (result.diagnostics.empty()) // ... except, at times, on bytecode
      result.diagnostics.push_back(
          {api::Diagnostic::Severity::Error, options.name,
           bytecode ? "malformed MLIR bytecode (the reader gave no reason)"
                    : "the input does not parse (the parser gave no reason)"});
    return result;
  }
  if (failed(verify(*module))) {
    result.failure = api::Failure::Verify;
    return result;
  }
  FailureOr<func::FuncOp> graphFn = findGraphFunction(*module);
  if (failed(graphFn)) {
    result.failure = api::Failure::Unsupported;
    return result;
  }
  std::string funcName = graphFn->getSymName().str();
  recordSignature(*graphFn, result);

  if (options.target == "cuda")
    return compileForGPU(*module, funcName, options, dumper, result);
  if (options.target != "cpu") {
    result.failure = api::Failure::Unsupported;
    return fail(result, "unknown target '" + options.target +
                            "' (expected cpu or cuda)");
  }

  return compileForCPU(*module, funcName, options, dumper, result);
}
} // namespace
