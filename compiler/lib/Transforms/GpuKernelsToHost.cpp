//===- GpuKernelsToHost.cpp - Outlined GPU kernels as host functions ------===//
//
// Part of Ember. See EmberGPUKernelsToHostPass in Passes.td. The functions
// it makes are what the emulated device runs (compiler/lib/Compiler/
// Compiler.cpp wraps each in the ember_emu_kernel_<i> entry point of
// ember/runtime/GpuPlan.h).
//
//===----------------------------------------------------------------------===//

#include "ember/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/MathExtras.h"

namespace mlir::ember {
#define GEN_PASS_DEF_EMBERGPUKERNELSTOHOSTPASS
#include "ember/Transforms/Passes.h.inc"
} // namespace mlir::ember

using namespace mlir;
using mlir::ember::kEmuBarrierFunction;
using mlir::ember::kEmuBarriersAttr;
using mlir::ember::kEmuMmaFunction;
using mlir::ember::kEmuSharedBytesAttr;
using mlir::ember::kEmuShuffleFunction;

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

/// Whether `mma` is the tensor-core op the emulated device runs: m16n8k8,
/// TF32 in, f32 accumulators (what ember-gpu-map-linalg{tf32} makes).
bool isEmulatedMma(nvgpu::MmaSyncOp mma) {
  auto shape = [](Value v) { return cast<VectorType>(v.getType()); };
  auto is = [&](Value v, ArrayRef<int64_t> dims) {
    return shape(v).getShape() == dims && shape(v).getElementType().isF32();
  };
  return mma.getTf32Enabled() &&
         llvm::equal(mma.getMmaShapeAsArray(), ArrayRef<int64_t>{16, 8, 8}) &&
         is(mma.getMatrixA(), {4, 1}) && is(mma.getMatrixB(), {2, 1}) &&
         is(mma.getMatrixC(), {2, 2});
}

/// Memory that only exists on a GPU (workgroup, private).
bool isGpuMemory(Type type) {
  auto memref = dyn_cast<BaseMemRefType>(type);
  return memref && isa_and_nonnull<gpu::AddressSpaceAttr>(memref.getMemorySpace());
}

/// `type` in host memory: a memref in a GPU address space without it; any
/// other type as it is.
Type onHost(Type type) {
  if (!isGpuMemory(type))
    return type;
  if (auto memref = dyn_cast<MemRefType>(type))
    return MemRefType::get(memref.getShape(), memref.getElementType(),
                           memref.getLayout());
  auto unranked = cast<UnrankedMemRefType>(type);
  return UnrankedMemRefType::get(unranked.getElementType(), Attribute());
}

/// The bytes of one element of an attribution, as the host and NVPTX both
/// lay it out; 0 when not a whole number of bytes (i1) or not a scalar.
uint64_t elementBytes(Type type) {
  if (isa<IndexType>(type))
    return 8;
  if (type.isIntOrFloat() && type.getIntOrFloatBitWidth() % 8 == 0)
    return type.getIntOrFloatBitWidth() / 8;
  return 0;
}

/// Every workgroup attribution starts at a multiple of this in the block's
/// shared memory (as the NVPTX backend aligns them; the emulator's buffer is
/// at least as aligned).
constexpr uint64_t kSharedAlignment = 16;

/// Workgroup memory beyond this cannot be a block's on any GPU: an error
/// here rather than an overflow (the emulated device enforces the real
/// limit, 48 KiB, at launch).
constexpr uint64_t kMaxSharedBytes = uint64_t(1) << 32;

/// The bytes of an attribution: a static-shape memref of whole-byte
/// integers or floats with the identity layout; 0 (with an error) otherwise.
uint64_t attributionBytes(gpu::GPUFuncOp kernel, BlockArgument attribution,
                          StringRef kind, unsigned index) {
  auto type = dyn_cast<MemRefType>(attribution.getType());
  uint64_t bytes = type ? elementBytes(type.getElementType()) : 0;
  if (bytes && type.hasStaticShape() && type.getLayout().isIdentity()) {
    for (int64_t dim : type.getShape())
      bytes = llvm::SaturatingMultiply(bytes, static_cast<uint64_t>(dim));
    if (bytes <= kMaxSharedBytes)
      return std::max<uint64_t>(bytes, 1);
  }
  kernel.emitError("cannot compile kernel @")
      << kernel.getName() << " for the host: " << kind << " attribution "
      << index << " (" << attribution.getType()
      << ") is not a static-shape memref of whole-byte integers or floats, "
         "identity layout, of at most 4 GiB";
  return 0;
}

/// The offsets of `kernel`'s workgroup attributions in its block's shared
/// memory, then the total bytes; failure (reported) when an attribution has
/// no fixed size.
FailureOr<SmallVector<uint64_t>> sharedLayout(gpu::GPUFuncOp kernel) {
  SmallVector<uint64_t> offsets;
  uint64_t end = 0;
  for (auto [i, attribution] :
       llvm::enumerate(kernel.getWorkgroupAttributions())) {
    uint64_t bytes = attributionBytes(kernel, attribution, "workgroup", i);
    if (!bytes)
      return failure();
    uint64_t offset = llvm::alignTo(end, kSharedAlignment);
    offsets.push_back(offset);
    end = offset + bytes;
    if (end > kMaxSharedBytes)
      return kernel.emitError("cannot compile kernel @")
             << kernel.getName()
             << " for the host: its workgroup attributions exceed 4 GiB";
  }
  offsets.push_back(end);
  return offsets;
}

/// An error on what the host function of `kernel` cannot be.
LogicalResult checkKernel(gpu::GPUFuncOp kernel) {
  if (failed(sharedLayout(kernel)))
    return failure();
  for (auto [i, attribution] :
       llvm::enumerate(kernel.getPrivateAttributions()))
    if (!attributionBytes(kernel, attribution, "private", i))
      return failure();
  // (The entry block's arguments are the kernel's, then the attributions.)
  for (BlockArgument arg :
       kernel.getArguments().take_front(kernel.getNumArguments()))
    if (isGpuMemory(arg.getType()))
      return kernel.emitError("cannot compile kernel @")
             << kernel.getName() << " for the host: argument "
             << arg.getArgNumber() << " is GPU memory (" << arg.getType()
             << ")";
  WalkResult walk = kernel.getBody().walk([&](Operation *op) {
    if (isa<nvgpu::NVGPUDialect>(op->getDialect())) {
      auto mma = dyn_cast<nvgpu::MmaSyncOp>(op);
      if (mma && isEmulatedMma(mma))
        return WalkResult::advance();
      op->emitError("cannot compile '")
          << op->getName()
          << "' for the host (the emulated device runs nvgpu.mma.sync "
             "m16n8k8 with tf32Enabled on f32 fragments, and no other "
             "nvgpu op)";
      return WalkResult::interrupt();
    }
    if (auto shuffle = dyn_cast<gpu::ShuffleOp>(op)) {
      Type t = shuffle.getValue().getType();
      if (!t.isInteger(32) && !t.isF32()) {
        op->emitError("cannot compile '")
            << op->getName() << "' of " << t
            << " for the host (the emulated device shuffles i32 and f32)";
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    }
    if (isa<gpu::GPUDialect>(op->getDialect()) &&
        !isa<gpu::ReturnOp, gpu::BarrierOp>(op) && !idPosition(op)) {
      op->emitError("cannot compile '")
          << op->getName()
          << "' for the host (the emulated device knows thread and block "
             "ids, gpu.barrier, gpu.shuffle and gpu.return)";
      return WalkResult::interrupt();
    }
    // GPU memory is the attributions and views of them: what takes none
    // and makes some would allocate it (per thread, on the host).
    auto gpuMemory = [](TypeRange types) {
      return llvm::any_of(types, isGpuMemory);
    };
    if (gpuMemory(op->getResultTypes()) && !gpuMemory(op->getOperandTypes())) {
      op->emitError("cannot compile '")
          << op->getName()
          << "' for the host: it makes workgroup or private GPU memory (only "
             "the kernel's attributions can be)";
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

/// Replaces `kernel` by its host function (see the pass's description).
/// Arguments: the kernel's, the 12 ids, then the block's shared memory as
/// `memref<Nxi8>` (N the kernel's static workgroup bytes, maybe 0), of which
/// each workgroup attribution is a view at its offset in sharedLayout.
/// Private attributions are allocas; GPU address spaces are dropped from
/// every type; gpu.barrier calls kEmuBarrierFunction and gpu.shuffle
/// kEmuShuffleFunction.
void convertKernel(gpu::GPUFuncOp kernel, Type index) {
  MLIRContext *ctx = kernel.getContext();
  Location loc = kernel.getLoc();
  SmallVector<uint64_t> offsets = *sharedLayout(kernel);
  uint64_t sharedBytes = offsets.pop_back_val();
  unsigned numInputs = kernel.getNumArguments();
  unsigned numWorkgroup = kernel.getNumWorkgroupAttributions();
  unsigned numPrivate = kernel.getNumPrivateAttributions();
  auto sharedType = MemRefType::get({static_cast<int64_t>(sharedBytes)},
                                    IntegerType::get(ctx, 8));

  OpBuilder b(kernel->getParentOp());
  SmallVector<Type> types(kernel.getArgumentTypes());
  unsigned firstId = types.size();
  types.append(12, index);
  types.push_back(sharedType);
  auto fn = func::FuncOp::create(b, loc, ("ember_emu_" + kernel.getName()).str(),
                                 FunctionType::get(ctx, types, {}));
  fn->setAttr(kEmuSharedBytesAttr,
              b.getI64IntegerAttr(static_cast<int64_t>(sharedBytes)));
  fn.getBody().takeBody(kernel.getBody());
  Block &entry = fn.getBody().front();
  for (int i = 0; i < 12; ++i)
    entry.addArgument(index, loc);
  Value shared = entry.addArgument(sharedType, loc);

  // The attributions: views of the shared memory, and allocas.
  b.setInsertionPointToStart(&entry);
  for (unsigned i = 0; i < numWorkgroup + numPrivate; ++i) {
    BlockArgument attribution = entry.getArgument(numInputs + i);
    auto type = cast<MemRefType>(onHost(attribution.getType()));
    Value memory;
    if (i < numWorkgroup) {
      Value offset = arith::ConstantIndexOp::create(
          b, loc, static_cast<int64_t>(offsets[i]));
      memory = memref::ViewOp::create(b, loc, type, shared, offset,
                                      ValueRange());
    } else {
      memory = memref::AllocaOp::create(b, loc, type);
    }
    attribution.replaceAllUsesWith(memory);
  }
  entry.eraseArguments(numInputs, numWorkgroup + numPrivate);

  // GPU memory is host memory now: drop the address spaces.
  fn.walk([](Operation *op) {
    for (OpResult result : op->getResults())
      result.setType(onHost(result.getType()));
    for (Region &region : op->getRegions())
      for (Block &block : region)
        for (BlockArgument arg : block.getArguments())
          arg.setType(onHost(arg.getType()));
  });

  SmallVector<Operation *> replaced;
  fn.walk([&](Operation *op) {
    if (idPosition(op) ||
        isa<gpu::ReturnOp, gpu::BarrierOp, gpu::ShuffleOp, nvgpu::MmaSyncOp>(
            op))
      replaced.push_back(op);
  });
  // A tensor-core mma passes its fragments through 4 stack arrays, made once
  // at the function's entry (one per call in a loop would grow the stack).
  Value mmaArrays[4];
  if (llvm::any_of(replaced,
                   [](Operation *op) { return isa<nvgpu::MmaSyncOp>(op); })) {
    OpBuilder eb = OpBuilder::atBlockBegin(&entry);
    Type f32 = eb.getF32Type();
    for (auto [n, size] : llvm::enumerate(std::array<int64_t, 4>{4, 2, 4, 4}))
      mmaArrays[n] =
          memref::AllocaOp::create(eb, loc, MemRefType::get({size}, f32));
  }
  Type i32 = IntegerType::get(ctx, 32), i64 = IntegerType::get(ctx, 64);
  for (Operation *op : replaced) {
    OpBuilder rb(op);
    if (std::optional<unsigned> id = idPosition(op)) {
      op->getResult(0).replaceAllUsesWith(entry.getArgument(firstId + *id));
    } else if (isa<gpu::BarrierOp>(op)) {
      func::CallOp::create(rb, op->getLoc(), kEmuBarrierFunction, TypeRange());
      fn->setAttr(kEmuBarriersAttr, UnitAttr::get(ctx));
    } else if (auto mma = dyn_cast<nvgpu::MmaSyncOp>(op)) {
      // The fragments to the arrays, the call, the result from the last.
      Location l = op->getLoc();
      auto store = [&](Value vector, Value array, int64_t rows, int64_t cols) {
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t c = 0; c < cols; ++c)
            memref::StoreOp::create(rb, l,
                                    vector::ExtractOp::create(
                                        rb, l, vector, ArrayRef<int64_t>{r, c}),
                                    array,
                                    ValueRange{arith::ConstantIndexOp::create(
                                        rb, l, r * cols + c)});
      };
      store(mma.getMatrixA(), mmaArrays[0], 4, 1);
      store(mma.getMatrixB(), mmaArrays[1], 2, 1);
      store(mma.getMatrixC(), mmaArrays[2], 2, 2);
      func::CallOp::create(rb, l, kEmuMmaFunction, TypeRange(),
                           ValueRange(mmaArrays));
      Value d = arith::ConstantOp::create(
          rb, l, cast<TypedAttr>(rb.getZeroAttr(mma.getMatrixC().getType())));
      for (int64_t v = 0; v < 4; ++v)
        d = vector::InsertOp::create(
            rb, l,
            memref::LoadOp::create(
                rb, l, mmaArrays[3],
                ValueRange{arith::ConstantIndexOp::create(rb, l, v)}),
            d, ArrayRef<int64_t>{v / 2, v % 2});
      mma.getRes().replaceAllUsesWith(d);
      fn->setAttr(kEmuBarriersAttr, UnitAttr::get(ctx));
    } else if (auto shuffle = dyn_cast<gpu::ShuffleOp>(op)) {
      // (value bits, offset, width, mode) -> the result's bits | valid << 32.
      Location l = op->getLoc();
      Value value = shuffle.getValue();
      Type type = value.getType();
      if (type != i32)
        value = arith::BitcastOp::create(rb, l, i32, value);
      int64_t modeNumber = 0;
      switch (shuffle.getMode()) {
      case gpu::ShuffleMode::XOR:
        modeNumber = 0;
        break;
      case gpu::ShuffleMode::UP:
        modeNumber = 1;
        break;
      case gpu::ShuffleMode::DOWN:
        modeNumber = 2;
        break;
      case gpu::ShuffleMode::IDX:
        modeNumber = 3;
        break;
      }
      Value mode = arith::ConstantIntOp::create(rb, l, i32, modeNumber);
      Value packed =
          func::CallOp::create(
              rb, l, kEmuShuffleFunction, TypeRange{i64},
              ValueRange{value, shuffle.getOffset(), shuffle.getWidth(), mode})
              .getResult(0);
      Value result = arith::TruncIOp::create(rb, l, i32, packed);
      if (type != i32)
        result = arith::BitcastOp::create(rb, l, type, result);
      Value valid = arith::TruncIOp::create(
          rb, l, rb.getI1Type(),
          arith::ShRUIOp::create(rb, l, packed,
                                 arith::ConstantIntOp::create(rb, l, i64, 32)));
      shuffle.getShuffleResult().replaceAllUsesWith(result);
      shuffle.getValid().replaceAllUsesWith(valid);
      fn->setAttr(kEmuBarriersAttr, UnitAttr::get(ctx));
    } else {
      func::ReturnOp::create(rb, op->getLoc(), op->getOperands());
    }
    op->erase();
  }
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

    // Every barrier and every shuffle calls one function the host code's
    // shared object defines (Compiler.cpp's side: defineEmulatedHook).
    for (StringRef hook : {"barrier", "shuffle", "mma_tf32_m16n8k8"})
      if (auto clash = byName.find(hook); clash != byName.end()) {
        clash->second.emitError("cannot compile kernel @")
            << clash->first() << " for the host: its function would be @"
            << "ember_emu_" << hook << ", the emulated " << hook;
        return signalPassFailure();
      }
    auto uses = [&](auto opType) {
      using Op = decltype(opType);
      return llvm::any_of(kernels, [](gpu::GPUFuncOp kernel) {
        return kernel.getBody()
            .walk([](Op) { return WalkResult::interrupt(); })
            .wasInterrupted();
      });
    };
    auto declare = [&](StringRef name, FunctionType type) {
      if (module.lookupSymbol(name))
        return;
      OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
      func::FuncOp::create(b, module.getLoc(), name, type).setPrivate();
    };
    if (uses(gpu::BarrierOp()))
      declare(kEmuBarrierFunction, FunctionType::get(ctx, {}, {}));
    if (uses(nvgpu::MmaSyncOp())) {
      auto array = [&](int64_t n) {
        return MemRefType::get({n}, Float32Type::get(ctx));
      };
      declare(
          kEmuMmaFunction,
          FunctionType::get(ctx, {array(4), array(2), array(4), array(4)}, {}));
    }
    if (uses(gpu::ShuffleOp())) {
      Type i32 = IntegerType::get(ctx, 32);
      declare(kEmuShuffleFunction,
              FunctionType::get(ctx, {i32, i32, i32, i32},
                                {IntegerType::get(ctx, 64)}));
    }

    Type index = IndexType::get(ctx);
    for (gpu::GPUFuncOp kernel : kernels)
      convertKernel(kernel, index);
    for (gpu::GPUModuleOp gpuModule : gpuModules)
      gpuModule.erase();
    module->removeAttr(gpu::GPUDialect::getContainerModuleAttrName());
  }
};

} // namespace
