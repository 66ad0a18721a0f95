//===- GpuKernelsToHost.cpp - Outlined GPU kernels as host functions ------===//
//
// Part of Ember. See EmberGPUKernelsToHostPass in Passes.td. The functions
// it makes are what the emulated device runs (compiler/lib/Compiler/
// Compiler.cpp wraps each in the ember_emu_kernel_<i> entry point of
// ember/runtime/GpuPlan.h).
//
//===----------------------------------------------------------------------===//

#include "ember/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringMap.h"

namespace mlir::ember {
#define GEN_PASS_DEF_EMBERGPUKERNELSTOHOSTPASS
#include "ember/Transforms/Passes.h.inc"
} // namespace mlir::ember

using namespace mlir;

namespace {

/// The position of an id among the 12 trailing arguments: blockIdx,
/// threadIdx, gridDim, blockDim, each x, y, z.
std::optional<unsigned> idPosition(Operation *op) {
  auto dim = [](gpu::Dimension d) { return static_cast<unsigned>(d); };
  if (auto o = dyn_cast<gpu::BlockIdOp>(op))
    return 0 + dim(o.getDimension());
  if (auto o = dyn_cast<gpu::ThreadIdOp>(op))
    return 3 + dim(o.getDimension());
  if (auto o = dyn_cast<gpu::GridDimOp>(op))
    return 6 + dim(o.getDimension());
  if (auto o = dyn_cast<gpu::BlockDimOp>(op))
    return 9 + dim(o.getDimension());
  return std::nullopt;
}

/// Memory that only exists on a GPU (workgroup, private).
bool isGpuMemory(Type type) {
  auto memref = dyn_cast<BaseMemRefType>(type);
  return memref && isa_and_nonnull<gpu::AddressSpaceAttr>(memref.getMemorySpace());
}

constexpr const char *kOneThread =
    " (the emulated device runs one thread at a time)";

/// An error on what the host function of `kernel` cannot be.
LogicalResult checkKernel(gpu::GPUFuncOp kernel) {
  if (kernel.getNumWorkgroupAttributions() ||
      kernel.getNumPrivateAttributions())
    return kernel.emitError("cannot compile kernel @")
           << kernel.getName()
           << " for the host: it has workgroup or private attributions"
           << kOneThread;
  for (BlockArgument arg : kernel.getArguments())
    if (isGpuMemory(arg.getType()))
      return kernel.emitError("cannot compile kernel @")
             << kernel.getName() << " for the host: argument "
             << arg.getArgNumber() << " is GPU memory (" << arg.getType()
             << ")";
  WalkResult walk = kernel.getBody().walk([&](Operation *op) {
    if (isa<gpu::GPUDialect>(op->getDialect()) && !isa<gpu::ReturnOp>(op) &&
        !idPosition(op)) {
      op->emitError("cannot compile '")
          << op->getName() << "' for the host" << kOneThread;
      return WalkResult::interrupt();
    }
    auto gpuMemory = [](TypeRange types) {
      return llvm::any_of(types, isGpuMemory);
    };
    if (gpuMemory(op->getResultTypes()) || gpuMemory(op->getOperandTypes())) {
      op->emitError("cannot compile '")
          << op->getName()
          << "' for the host: it uses workgroup or private GPU memory"
          << kOneThread;
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return failure(walk.wasInterrupted());
}

/// The kernels of `module`, or an error on what host functions cannot be.
FailureOr<SmallVector<gpu::GPUFuncOp>>
checkKernelModule(gpu::GPUModuleOp module) {
  SmallVector<gpu::GPUFuncOp> kernels;
  for (Operation &op : module.getBody()->getOperations()) {
    if (op.hasTrait<OpTrait::IsTerminator>())
      continue;
    auto fn = dyn_cast<gpu::GPUFuncOp>(op);
    if (fn && fn.isKernel()) {
      if (failed(checkKernel(fn)))
        return failure();
      kernels.push_back(fn);
      continue;
    }
    return op.emitError("cannot compile '")
           << op.getName() << "' in gpu.module @" << module.getSymName()
           << " for the host: a kernel module must hold gpu.func kernels "
              "and nothing else";
  }
  if (kernels.empty())
    return module.emitError("gpu.module @")
           << module.getSymName() << " holds no kernel";
  return kernels;
}

struct EmberGPUKernelsToHostPass
    : mlir::ember::impl::EmberGPUKernelsToHostPassBase<
          EmberGPUKernelsToHostPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();

    // Check everything before changing anything. Functions are named after
    // their kernels, which must be unique (ember-gpu-merge-kernel-modules
    // makes them so).
    SmallVector<gpu::GPUModuleOp> gpuModules;
    SmallVector<gpu::GPUFuncOp> kernels;
    llvm::StringMap<gpu::GPUFuncOp> byName;
    for (auto gpuModule : module.getOps<gpu::GPUModuleOp>()) {
      FailureOr<SmallVector<gpu::GPUFuncOp>> found =
          checkKernelModule(gpuModule);
      if (failed(found))
        return signalPassFailure();
      for (gpu::GPUFuncOp kernel : *found) {
        auto [it, fresh] = byName.insert({kernel.getName(), kernel});
        if (!fresh) {
          InFlightDiagnostic diag =
              kernel.emitError("cannot compile kernel @")
              << kernel.getName()
              << " for the host: another gpu.module has a kernel of that "
                 "name (run ember-gpu-merge-kernel-modules first)";
          diag.attachNote(it->second.getLoc()) << "the other kernel";
          return signalPassFailure();
        }
        kernels.push_back(kernel);
      }
      gpuModules.push_back(gpuModule);
    }

    // The host code (every function with a body) goes: the plan has it.
    for (auto fn : llvm::make_early_inc_range(module.getOps<func::FuncOp>()))
      if (!fn.isDeclaration())
        fn.erase();

    Type index = IndexType::get(ctx);
    for (gpu::GPUFuncOp kernel : kernels) {
      OpBuilder b(kernel->getParentOp());
      SmallVector<Type> types(kernel.getArgumentTypes());
      unsigned firstId = types.size();
      types.append(12, index);
      auto fn = func::FuncOp::create(
          b, kernel.getLoc(), ("ember_emu_" + kernel.getName()).str(),
          FunctionType::get(ctx, types, {}));
      fn.getBody().takeBody(kernel.getBody());
      Block &entry = fn.getBody().front();
      for (int i = 0; i < 12; ++i)
        entry.addArgument(index, kernel.getLoc());

      SmallVector<Operation *> replaced;
      fn.walk([&](Operation *op) {
        if (idPosition(op) || isa<gpu::ReturnOp>(op))
          replaced.push_back(op);
      });
      for (Operation *op : replaced) {
        if (std::optional<unsigned> id = idPosition(op)) {
          op->getResult(0).replaceAllUsesWith(
              entry.getArgument(firstId + *id));
        } else {
          OpBuilder rb(op);
          func::ReturnOp::create(rb, op->getLoc(), op->getOperands());
        }
        op->erase();
      }
    }
    for (gpu::GPUModuleOp gpuModule : gpuModules)
      gpuModule.erase();
    module->removeAttr(gpu::GPUDialect::getContainerModuleAttrName());
  }
};

} // namespace
