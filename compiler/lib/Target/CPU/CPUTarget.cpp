//===- CPUTarget.cpp - LLVM IR to native code -----------------------------===//
//
// Part of Ember.
//
//===----------------------------------------------------------------------===//

#include "ember/Target/CPU/CPUTarget.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCInstrInfo.h"
#include "llvm/MC/MCSchedule.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <mutex>

using namespace llvm;

static void initializeNativeTarget() {
  static std::once_flag once;
  std::call_once(once, [] {
    InitializeNativeTarget();
    InitializeNativeTargetAsmPrinter();
  });
}

static std::string hostFeatureString() {
  SubtargetFeatures features;
  for (const auto &f : sys::getHostCPUFeatures())
    features.AddFeature(f.first(), f.second);
  return features.getString();
}

Expected<std::unique_ptr<TargetMachine>>
mlir::ember::createCPUTargetMachine(StringRef cpu) {
  initializeNativeTarget();
  Triple triple(sys::getProcessTriple());
  std::string error;
  const Target *target = TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return createStringError(inconvertibleErrorCode(),
                             "no LLVM target for " + triple.str() + ": " +
                                 error);
  bool host = cpu.empty();
  std::string cpuName = host ? sys::getHostCPUName().str() : cpu.str();
  std::string features = host ? hostFeatureString() : "";
  if (!host) {
    // LLVM warns on stderr and falls back to a generic CPU: an error here
    // tells the user instead.
    std::unique_ptr<MCSubtargetInfo> info(
        target->createMCSubtargetInfo(triple, "", ""));
    if (!info || !info->isCPUStringValid(cpuName))
      return createStringError(inconvertibleErrorCode(),
                               "unknown CPU '" + cpuName + "' for " +
                                   triple.str() +
                                   " (LLVM's names: haswell, x86-64-v3, "
                                   "skylake-avx512, znver4, ...)");
  }
  TargetOptions options;
  std::unique_ptr<TargetMachine> tm(target->createTargetMachine(
      triple, cpuName, features, options, Reloc::PIC_, std::nullopt,
      CodeGenOptLevel::Aggressive));
  if (!tm)
    return createStringError(inconvertibleErrorCode(),
                             "cannot create a target machine for " + cpuName);
  return tm;
}

int64_t mlir::ember::vectorRegisterBits(const TargetMachine &tm) {
  const MCSubtargetInfo *info = tm.getMCSubtargetInfo();
  if (info->checkFeatures("+avx512f"))
    return 512;
  if (info->checkFeatures("+avx"))
    return 256;
  return 128;
}

namespace {

/// The first line of a file under /sys, or "".
std::string readSysLine(const std::string &path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

/// "48K" -> 49152; 0 when unreadable.
int64_t parseCacheSize(const std::string &text) {
  char *end = nullptr;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (!end || value <= 0)
    return 0;
  if (*end == 'K')
    value *= 1024;
  else if (*end == 'M')
    value *= 1024 * 1024;
  return value;
}

/// The host's caches as /sys describes them (cpu0's: the cores are taken
/// to be alike); the defaults of CPUModel where it says nothing.
void readHostCaches(mlir::ember::CPUModel &model) {
  for (int index = 0; index < 8; ++index) {
    std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" +
                      std::to_string(index) + "/";
    std::string level = readSysLine(dir + "level");
    if (level.empty())
      break;
    std::string type = readSysLine(dir + "type");
    int64_t bytes = parseCacheSize(readSysLine(dir + "size"));
    int64_t ways =
        std::atoll(readSysLine(dir + "ways_of_associativity").c_str());
    if (bytes <= 0)
      continue;
    if (level == "1" && (type == "Data" || type == "Unified")) {
      model.l1Bytes = bytes;
      if (ways > 0)
        model.l1Ways = ways;
    } else if (level == "2") {
      model.l2Bytes = bytes;
    }
  }
}

/// A vector FMA's latency and issue rate from `tm`'s scheduling model, when
/// it has one.
void readFmaTiming(const TargetMachine &tm, mlir::ember::CPUModel &model) {
  const MCSubtargetInfo *sti = tm.getMCSubtargetInfo();
  const MCInstrInfo *mii = tm.getMCInstrInfo();
  const MCSchedModel &sched = sti->getSchedModel();
  if (!mii || !sched.hasInstrSchedModel())
    return;
  StringRef name = model.vectorBits >= 512   ? "VFMADD231PSZr"
                   : model.vectorBits >= 256 ? "VFMADD231PSYr"
                                             : "VFMADD231PSr";
  for (unsigned opcode = 0, e = mii->getNumOpcodes(); opcode < e; ++opcode) {
    if (mii->getName(opcode) != name)
      continue;
    const MCSchedClassDesc *desc =
        sched.getSchedClassDesc(mii->get(opcode).getSchedClass());
    if (!desc || !desc->isValid() || desc->isVariant())
      return;
    int latency = MCSchedModel::computeInstrLatency(*sti, *desc);
    double reciprocal = MCSchedModel::getReciprocalThroughput(*sti, *desc);
    if (latency > 0)
      model.fmaLatency = latency;
    if (reciprocal > 0)
      model.fmaPerCycle = std::max<int64_t>(1, std::lround(1.0 / reciprocal));
    return;
  }
}

} // namespace

mlir::ember::CPUModel mlir::ember::cpuModel(const TargetMachine &tm) {
  CPUModel model;
  model.cpu = tm.getTargetCPU().str();
  model.vectorBits = vectorRegisterBits(tm);
  model.vectorRegisters = model.vectorBits >= 512 ? 32 : 16;
  readFmaTiming(tm, model);
  readHostCaches(model);
  return model;
}

std::string mlir::ember::CPUModel::describe() const {
  return cpu + ": " + std::to_string(vectorRegisters) + " x " +
         std::to_string(vectorBits) + "-bit registers, FMA latency " +
         std::to_string(fmaLatency) + " x " + std::to_string(fmaPerCycle) +
         "/cycle, L1d " + std::to_string(l1Bytes / 1024) + " KiB " +
         std::to_string(l1Ways) + "-way, L2 " + std::to_string(l2Bytes / 1024) +
         " KiB";
}

std::string mlir::ember::describeHostTarget() {
  CPUModel caches;
  readHostCaches(caches);
  return sys::getProcessTriple() + " " + sys::getHostCPUName().str() + " " +
         hostFeatureString() + " L1d " + std::to_string(caches.l1Bytes) + "/" +
         std::to_string(caches.l1Ways) + " L2 " +
         std::to_string(caches.l2Bytes);
}

Error mlir::ember::addPackedEntryPoint(Module &module, StringRef funcName,
                                       StringRef entryName) {
  Function *callee = module.getFunction(funcName);
  if (!callee)
    return createStringError(inconvertibleErrorCode(),
                             "no function '" + funcName + "' to wrap");
  LLVMContext &ctx = module.getContext();
  auto *ptrTy = PointerType::getUnqual(ctx);
  for (llvm::Type *t : callee->getFunctionType()->params())
    if (!t->isPointerTy())
      return createStringError(inconvertibleErrorCode(),
                               "'" + funcName +
                                   "' takes a non-pointer argument");
  auto *entryTy =
      llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptrTy}, false);
  Function *entry = Function::Create(entryTy, GlobalValue::ExternalLinkage,
                                     entryName, module);
  IRBuilder<> b(BasicBlock::Create(ctx, "entry", entry));
  SmallVector<llvm::Value *> args;
  for (unsigned i = 0, e = callee->arg_size(); i < e; ++i) {
    llvm::Value *slot = b.CreateConstGEP1_64(ptrTy, entry->getArg(0), i);
    args.push_back(b.CreateLoad(ptrTy, slot));
  }
  b.CreateCall(callee, args);
  b.CreateRetVoid();
  // Only the entry point is part of the ABI: let LLVM inline the graph.
  callee->setLinkage(GlobalValue::InternalLinkage);
  return Error::success();
}

Error mlir::ember::bindParallelRuntime(Module &module) {
  // What the code ember-cpu-thread-count leaves (one dynamically scheduled
  // loop per region, no barrier) calls; Parallel.h provides these.
  static constexpr StringLiteral kProvided[] = {
      "__kmpc_global_thread_num", "__kmpc_push_num_threads", "__kmpc_fork_call",
      "__kmpc_dispatch_init_8u", "__kmpc_dispatch_next_8u"};
  for (Function &fn : module) {
    std::string name = fn.getName().str();
    if (!fn.isDeclaration() || (!StringRef(name).starts_with("__kmpc_") &&
                                !StringRef(name).starts_with("omp_")))
      continue;
    if (!llvm::is_contained(kProvided, name))
      return createStringError(
          inconvertibleErrorCode(),
          "the compiled code calls the OpenMP runtime's '" + name +
              "', which Ember's parallel runtime does not provide (it runs "
              "one dynamically scheduled loop per region)");
    fn.setName("ember_" + name.substr(2));
  }
  return Error::success();
}

Error mlir::ember::addEmulatedKernelEntryPoint(Module &module,
                                               StringRef funcName,
                                               StringRef entryName,
                                               uint64_t sharedBytes,
                                               bool barriers) {
  // The kernel's parameters, 12 ids, the block's shared memory.
  constexpr unsigned kIds = 12;
  Function *callee = module.getFunction(funcName);
  if (!callee)
    return createStringError(inconvertibleErrorCode(),
                             "no host function '" + funcName + "' for " +
                                 entryName);
  llvm::FunctionType *calleeTy = callee->getFunctionType();
  unsigned numParams = calleeTy->getNumParams();
  if (numParams < kIds + 1 || !calleeTy->getReturnType()->isVoidTy() ||
      !calleeTy->getParamType(numParams - 1)->isPointerTy())
    return createStringError(inconvertibleErrorCode(),
                             "'" + funcName +
                                 "' is not a kernel compiled for the host");
  unsigned numArgs = numParams - kIds - 1;
  LLVMContext &ctx = module.getContext();
  auto *ptrTy = PointerType::getUnqual(ctx);
  auto *i32Ty = llvm::Type::getInt32Ty(ctx);
  auto *i64Ty = llvm::Type::getInt64Ty(ctx);
  for (unsigned j = 0; j < numArgs + kIds; ++j) {
    llvm::Type *t = calleeTy->getParamType(j);
    bool ok = j < numArgs
                  ? t->isPointerTy() || t->isIntegerTy() || t->isFloatingPointTy()
                  : t->isIntegerTy() && t->getIntegerBitWidth() >= 32;
    if (!ok)
      return createStringError(inconvertibleErrorCode(),
                               "'" + funcName + "' parameter " +
                                   std::to_string(j) +
                                   " has a type the entry point cannot pass");
  }
  auto *entryTy = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx),
                                          {ptrTy, ptrTy, ptrTy}, false);
  Function *entry = Function::Create(entryTy, GlobalValue::ExternalLinkage,
                                     entryName, module);
  IRBuilder<> b(BasicBlock::Create(ctx, "entry", entry));
  SmallVector<llvm::Value *> args;
  for (unsigned j = 0; j < numArgs; ++j) {
    llvm::Value *slot = b.CreateConstGEP1_64(ptrTy, entry->getArg(0), j);
    llvm::Value *value = b.CreateLoad(ptrTy, slot);
    args.push_back(b.CreateLoad(calleeTy->getParamType(j), value));
  }
  for (unsigned k = 0; k < kIds; ++k) {
    llvm::Value *slot = b.CreateConstGEP1_64(i32Ty, entry->getArg(1), k);
    args.push_back(b.CreateZExt(b.CreateLoad(i32Ty, slot),
                                calleeTy->getParamType(numArgs + k)));
  }
  args.push_back(entry->getArg(2));
  b.CreateCall(callee, args);
  b.CreateRetVoid();
  callee->setLinkage(GlobalValue::InternalLinkage);

  // What the emulator needs to know before it runs a thread.
  auto constant = [&](const Twine &name, Constant *value) {
    new GlobalVariable(module, value->getType(), /*isConstant=*/true,
                       GlobalValue::ExternalLinkage, value, name);
  };
  constant(entryName + "_shared_bytes", ConstantInt::get(i64Ty, sharedBytes));
  constant(entryName + "_barriers", ConstantInt::get(i32Ty, barriers ? 1 : 0));
  // The bytes of each parameter's value, so that a graph capture can copy
  // kernelParams as cuStreamBeginCapture's driver does.
  SmallVector<Constant *> sizes;
  const DataLayout &layout = module.getDataLayout();
  for (unsigned j = 0; j < numArgs; ++j)
    sizes.push_back(ConstantInt::get(
        i32Ty, layout.getTypeStoreSize(calleeTy->getParamType(j))));
  constant(entryName + "_params", ConstantInt::get(i32Ty, numArgs));
  constant(entryName + "_param_bytes",
           ConstantArray::get(ArrayType::get(i32Ty, sizes.size()), sizes));
  return Error::success();
}

void mlir::ember::defineEmulatedHook(Module &module, StringRef name,
                                     StringRef hookName) {
  Function *fn = module.getFunction(name);
  if (!fn || !fn->isDeclaration())
    return;
  LLVMContext &ctx = module.getContext();
  auto *ptrTy = PointerType::getUnqual(ctx);
  // The emulator writes its function's address here when it loads the code.
  auto *hook = new GlobalVariable(module, ptrTy, /*isConstant=*/false,
                                  GlobalValue::ExternalLinkage,
                                  ConstantPointerNull::get(ptrTy), hookName);
  fn->setLinkage(GlobalValue::InternalLinkage);
  IRBuilder<> b(BasicBlock::Create(ctx, "entry", fn));
  SmallVector<llvm::Value *> args;
  for (Argument &arg : fn->args())
    args.push_back(&arg);
  CallInst *call =
      b.CreateCall(fn->getFunctionType(), b.CreateLoad(ptrTy, hook), args);
  if (fn->getReturnType()->isVoidTy())
    b.CreateRetVoid();
  else
    b.CreateRet(call);
}

void mlir::ember::optimizeModule(Module &module, TargetMachine &tm) {
  module.setDataLayout(tm.createDataLayout());
  module.setTargetTriple(tm.getTargetTriple());
  LoopAnalysisManager lam;
  FunctionAnalysisManager fam;
  CGSCCAnalysisManager cgam;
  ModuleAnalysisManager mam;
  PipelineTuningOptions tuning;
  tuning.LoopVectorization = true;
  tuning.SLPVectorization = true;
  PassBuilder pb(&tm, tuning);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  ModulePassManager mpm = pb.buildPerModuleDefaultPipeline(OptimizationLevel::O3);
  mpm.run(module, mam);
}

Expected<std::string> mlir::ember::emitMachineCode(Module &module,
                                                   TargetMachine &tm,
                                                   bool asObject) {
  module.setDataLayout(tm.createDataLayout());
  module.setTargetTriple(tm.getTargetTriple());
  SmallString<0> buffer;
  raw_svector_ostream os(buffer);
  legacy::PassManager pm;
  if (tm.addPassesToEmitFile(pm, os, nullptr,
                             asObject ? CodeGenFileType::ObjectFile
                                      : CodeGenFileType::AssemblyFile))
    return createStringError(inconvertibleErrorCode(),
                             "the target cannot emit this file type");
  pm.run(module);
  return std::string(buffer.str());
}

namespace {
/// A file removed when it goes out of scope.
struct TempFile {
  SmallString<128> path;
  ~TempFile() {
    if (!path.empty())
      sys::fs::remove(path);
  }
};
} // namespace

Expected<std::string> mlir::ember::linkSharedObject(StringRef object) {
  TempFile in, out;
  int fd;
  if (std::error_code ec = sys::fs::createTemporaryFile("ember", "o", fd, in.path))
    return createStringError(ec, "cannot create a temporary object file");
  {
    raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << object;
    if (os.has_error())
      return createStringError(os.error(), "cannot write " + in.path);
  }
  if (std::error_code ec = sys::fs::createTemporaryFile("ember", "so", out.path))
    return createStringError(ec, "cannot create a temporary library file");

  const char *env = std::getenv("EMBER_LINKER");
  std::string linkerName = env && *env ? env : "ld";
  ErrorOr<std::string> linker = sys::findProgramByName(linkerName);
  if (!linker)
    return createStringError(linker.getError(),
                             "cannot find the linker '" + linkerName +
                                 "' (install binutils, or set EMBER_LINKER)");
  // Nothing else is linked: what the code calls (the caching allocator,
  // the parallel runtime, libm) the process that loads it has.
  SmallVector<StringRef> argv = {
      *linker, "-shared", "--no-undefined-version", "-o", out.path, in.path};
  std::string errMsg;
  SmallString<128> errPath;
  if (std::error_code ec = sys::fs::createTemporaryFile("ember", "err", errPath))
    return createStringError(ec, "cannot create a temporary file");
  TempFile errFile{errPath};
  std::optional<StringRef> redirects[] = {std::nullopt, errFile.path,
                                          errFile.path};
  int rc = sys::ExecuteAndWait(*linker, argv, std::nullopt, redirects, 0, 0,
                               &errMsg);
  if (rc != 0) {
    std::string output;
    if (auto buf = MemoryBuffer::getFile(errFile.path))
      output = (*buf)->getBuffer().str();
    return createStringError(inconvertibleErrorCode(),
                             "linking the shared object failed (" + *linker +
                                 ", exit " + std::to_string(rc) + "): " +
                                 errMsg + output);
  }
  ErrorOr<std::unique_ptr<MemoryBuffer>> so = MemoryBuffer::getFile(out.path);
  if (!so)
    return createStringError(so.getError(), "cannot read " + out.path);
  return (*so)->getBuffer().str();
}
