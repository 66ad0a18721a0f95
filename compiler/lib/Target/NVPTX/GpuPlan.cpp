//===- GpuPlan.cpp - Extracting the host plan of a GPU graph --------------===//
//
// Part of Ember. After outlining and bufferization the host function is a
// straight line of allocations, kernel launches, copies and deallocations
// on statically shaped buffers; this walks it into an rt::GpuPlan.
//
//===----------------------------------------------------------------------===//

#include "ember/Target/NVPTX/GpuPlan.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

using namespace mlir;
using ::ember::rt::GpuArg;
using ::ember::rt::GpuPlan;
using ::ember::rt::GpuStep;

namespace {

/// Bytes of a statically shaped memref (i1 elements take a byte each).
FailureOr<uint64_t> byteSize(Operation *op, Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  if (!memref || !memref.hasStaticShape() || !memref.getLayout().isIdentity())
    return op->emitError("GPU plan: expected a static memref with the "
                         "identity layout, got ")
           << type;
  unsigned bits = memref.getElementTypeBitWidth();
  return static_cast<uint64_t>(memref.getNumElements()) *
         std::max<unsigned>(1, (bits + 7) / 8);
}

FailureOr<uint32_t> constantDim(Operation *op, Value v) {
  APInt value;
  auto c = v.getDefiningOp<arith::ConstantIndexOp>();
  if (!c || c.value() <= 0 || c.value() > INT32_MAX)
    return op->emitError("GPU plan: launch sizes must be positive constants");
  return static_cast<uint32_t>(c.value());
}

} // namespace

FailureOr<GpuPlan>
mlir::ember::extractGpuPlan(ModuleOp module, StringRef funcName,
                            SmallVectorImpl<std::string> *kernelNames) {
  auto fn = module.lookupSymbol<func::FuncOp>(funcName);
  if (!fn || fn.isDeclaration())
    return module.emitError("GPU plan: no host function '") << funcName << "'";
  GpuPlan plan;
  plan.numArgs = fn.getNumArguments();
  llvm::DenseMap<Value, int64_t> buffers;
  for (BlockArgument arg : fn.getArguments()) {
    if (!isa<MemRefType>(arg.getType()))
      return fn.emitError("GPU plan: argument ")
             << arg.getArgNumber() << " is not a buffer";
    buffers[arg] = arg.getArgNumber();
  }
  // Kernels by their full reference (@module::@kernel), PTX modules by
  // their gpu.binary.
  llvm::DenseMap<Attribute, int64_t> kernelIndex;
  llvm::StringMap<int64_t> moduleIndex;
  int64_t nextBuffer = plan.numArgs;

  auto bufferOf = [&](Operation *op, Value v) -> FailureOr<int64_t> {
    auto it = buffers.find(v);
    if (it == buffers.end())
      return op->emitError("GPU plan: a buffer operand comes from an "
                           "unsupported host op");
    return it->second;
  };

  for (Operation &op : fn.getBody().front()) {
    if (isa<arith::ConstantOp, func::ReturnOp>(op))
      continue;
    if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
      FailureOr<uint64_t> bytes = byteSize(&op, alloc.getType());
      if (failed(bytes))
        return failure();
      GpuStep s;
      s.kind = GpuStep::Kind::Alloc;
      s.buffer = nextBuffer++;
      s.bytes = *bytes;
      buffers[alloc.getResult()] = s.buffer;
      plan.steps.push_back(s);
      continue;
    }
    // Reshapes of identity-layout buffers are views of the same memory.
    if (isa<memref::CollapseShapeOp, memref::ExpandShapeOp, memref::CastOp>(op)) {
      FailureOr<int64_t> b = bufferOf(&op, op.getOperand(0));
      if (failed(b))
        return failure();
      buffers[op.getResult(0)] = *b;
      continue;
    }
    // ember.all_reduce's call (AllReduce.cpp): the buffer's first element
    // (a reinterpret_cast at offset 0) and the element count.
    if (auto cast = dyn_cast<memref::ReinterpretCastOp>(op)) {
      FailureOr<int64_t> b = bufferOf(&op, cast.getSource());
      if (failed(b))
        return failure();
      if (cast.getStaticOffsets().size() != 1 ||
          cast.getStaticOffsets()[0] != 0)
        return op.emitError("GPU plan: a reinterpret_cast must start at "
                            "offset 0 (only ember.all_reduce's are read)");
      buffers[cast.getResult()] = *b;
      continue;
    }
    if (auto call = dyn_cast<func::CallOp>(op)) {
      StringRef callee = call.getCallee();
      if ((callee != "ember_all_reduce_f32" &&
           callee != "ember_all_reduce_f64") ||
          call.getNumOperands() != 2)
        return op.emitError("GPU plan: a call of @")
               << callee << " (the host calls only ember_all_reduce_f32/f64)";
      FailureOr<int64_t> b = bufferOf(&op, call.getOperand(0));
      if (failed(b))
        return failure();
      IntegerAttr count;
      if (!matchPattern(call.getOperand(1), m_Constant(&count)) ||
          count.getInt() < 0)
        return op.emitError("GPU plan: an all-reduce's element count must be "
                            "a constant");
      GpuStep s;
      s.kind = GpuStep::Kind::AllReduce;
      s.buffer = *b;
      s.count = count.getInt();
      s.dtype = callee.ends_with("f64") ? ::ember::DType::Float64
                                        : ::ember::DType::Float32;
      // The view's source: its element type is the callee's, and it holds
      // at least `count` elements.
      Value source = call.getOperand(0);
      if (auto cast = source.getDefiningOp<memref::ReinterpretCastOp>())
        source = cast.getSource();
      auto type = dyn_cast<MemRefType>(source.getType());
      Type element = s.dtype == ::ember::DType::Float64
                         ? Type(Float64Type::get(op.getContext()))
                         : Type(Float32Type::get(op.getContext()));
      if (!type || !type.hasStaticShape() || type.getElementType() != element ||
          type.getNumElements() < s.count)
        return op.emitError("GPU plan: @")
               << callee << " of " << s.count << " elements on a buffer of "
               << source.getType();
      plan.steps.push_back(s);
      continue;
    }
    if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
      FailureOr<int64_t> b = bufferOf(&op, dealloc.getMemref());
      if (failed(b))
        return failure();
      GpuStep s;
      s.kind = GpuStep::Kind::Free;
      s.buffer = *b;
      plan.steps.push_back(s);
      continue;
    }
    if (auto copy = dyn_cast<memref::CopyOp>(op)) {
      FailureOr<int64_t> src = bufferOf(&op, copy.getSource());
      FailureOr<int64_t> dst = bufferOf(&op, copy.getTarget());
      FailureOr<uint64_t> bytes = byteSize(&op, copy.getSource().getType());
      if (failed(src) || failed(dst) || failed(bytes))
        return failure();
      GpuStep s;
      s.kind = GpuStep::Kind::Copy;
      s.buffer = *dst;
      s.source = *src;
      s.bytes = *bytes;
      plan.steps.push_back(s);
      continue;
    }
    if (auto launch = dyn_cast<gpu::LaunchFuncOp>(op)) {
      GpuStep s;
      s.kind = GpuStep::Kind::Launch;
      StringRef moduleName = launch.getKernelModuleName().getValue();
      auto it = kernelIndex.find(launch.getKernel());
      if (it == kernelIndex.end()) {
        auto mod = moduleIndex.find(moduleName);
        if (mod == moduleIndex.end()) {
          auto binary = module.lookupSymbol<gpu::BinaryOp>(moduleName);
          if (!binary || binary.getObjects().size() != 1)
            return op.emitError("GPU plan: no PTX for kernel module '")
                   << moduleName << "'";
          auto object = cast<gpu::ObjectAttr>(binary.getObjects()[0]);
          plan.modules.push_back(object.getObject().getValue().str());
          mod = moduleIndex.insert({moduleName, plan.modules.size() - 1}).first;
        }
        plan.kernels.push_back({launch.getKernelName().str(), mod->second});
        it = kernelIndex.insert({launch.getKernel(), plan.kernels.size() - 1})
                 .first;
        if (kernelNames)
          kernelNames->push_back(launch.getKernelName().str());
      }
      s.kernel = it->second;
      gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
      gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
      Value dims[6] = {grid.x, grid.y, grid.z, block.x, block.y, block.z};
      for (int i = 0; i < 6; ++i) {
        FailureOr<uint32_t> d = constantDim(&op, dims[i]);
        if (failed(d))
          return failure();
        (i < 3 ? s.grid[i] : s.block[i - 3]) = *d;
      }
      // The launch limits of every chip Ember targets (sm_80 and later): a
      // launch beyond them fails on the device, so it must not compile.
      uint64_t threads = uint64_t(s.block[0]) * s.block[1] * s.block[2];
      if (s.grid[1] > 65535 || s.grid[2] > 65535 || s.block[0] > 1024 ||
          s.block[1] > 1024 || s.block[2] > 64 || threads > 1024)
        return op.emitError("GPU plan: the launch of kernel @")
               << launch.getKernelName().getValue() << " with grid ("
               << s.grid[0] << ", " << s.grid[1] << ", " << s.grid[2]
               << ") and block (" << s.block[0] << ", " << s.block[1] << ", "
               << s.block[2]
               << ") exceeds CUDA's limits (grid y and z at most 65535; "
                  "blocks at most 1024 x 1024 x 64 and 1024 threads): the "
                  "GPU mapping cannot run this shape yet";
      if (launch.getDynamicSharedMemorySize())
        return op.emitError("GPU plan: dynamic shared memory is not supported");
      for (Value arg : launch.getKernelOperands()) {
        GpuArg a;
        if (isa<MemRefType>(arg.getType())) {
          FailureOr<int64_t> b = bufferOf(&op, arg);
          if (failed(b))
            return failure();
          a.kind = GpuArg::Kind::Buffer;
          a.value = *b;
        } else if (auto c = arg.getDefiningOp<arith::ConstantOp>()) {
          if (auto i = dyn_cast<IntegerAttr>(c.getValue())) {
            a.kind = GpuArg::Kind::I64;
            a.value = i.getInt();
            if (!arg.getType().isIndex() && !arg.getType().isInteger(64))
              return op.emitError("GPU plan: integer kernel arguments must be "
                                  "index or i64, got ")
                     << arg.getType();
          } else if (auto f = dyn_cast<FloatAttr>(c.getValue());
                     f && arg.getType().isF32()) {
            a.kind = GpuArg::Kind::F32;
            a.value = ::ember::rt::floatBits(
                static_cast<float>(f.getValueAsDouble()));
          } else {
            return op.emitError("GPU plan: unsupported constant kernel "
                                "argument of type ")
                   << arg.getType();
          }
        } else {
          return op.emitError("GPU plan: kernel arguments must be buffers or "
                              "constants");
        }
        s.args.push_back(a);
      }
      plan.steps.push_back(std::move(s));
      continue;
    }
    return op.emitError("GPU plan: unsupported host operation '")
           << op.getName() << "'";
  }
  return plan;
}
