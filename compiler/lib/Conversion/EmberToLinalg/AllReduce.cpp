//===- AllReduce.cpp - ember.all_reduce: in place, then a runtime call ----===//
//
// Part of Ember. ember.all_reduce is the one ember op that survives the
// lowering to linalg: no linalg op communicates. It bufferizes in place
// (the sum over ranks replaces the buffer it reads) into a call to the
// runtime's ember_all_reduce_f32 (or _f64) with the buffer's first element
// (a memref<1xT> view: under the CPU pipeline's bare-pointer calling
// convention, which only takes static shapes, that is the buffer's address)
// and its element count: the C function
// `void ember_all_reduce_f32(float *data, int64_t count)`
// (runtime/include/ember/runtime/Collectives.h). The analysis gives it a
// copy where writing in place would change a value still read, or a graph
// input (ember-read-only-arguments marks those read-only).
//
//===----------------------------------------------------------------------===//

#include "ember/Conversion/Passes.h"
#include "ember/Dialect/Ember/IR/EmberDialect.h"
#include "ember/Dialect/Ember/IR/EmberOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;
using namespace mlir::ember;
using namespace mlir::bufferization;

namespace {

/// The runtime entry point summing `element`s, and its type.
StringRef entryPointName(Type element) {
  return element.isF64() ? "ember_all_reduce_f64" : "ember_all_reduce_f32";
}

FunctionType entryPointType(Type element) {
  MLIRContext *ctx = element.getContext();
  return FunctionType::get(
      ctx, {MemRefType::get({1}, element), IntegerType::get(ctx, 64)}, {});
}

struct AllReduceBufferization
    : BufferizableOpInterface::ExternalModel<AllReduceBufferization,
                                             AllReduceOp> {
  bool bufferizesToMemoryRead(Operation *, OpOperand &,
                              const AnalysisState &) const {
    return true;
  }
  bool bufferizesToMemoryWrite(Operation *, OpOperand &,
                               const AnalysisState &) const {
    return true;
  }
  AliasingValueList getAliasingValues(Operation *op, OpOperand &,
                                      const AnalysisState &) const {
    return {{op->getResult(0), BufferRelation::Equivalent}};
  }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto allReduce = cast<AllReduceOp>(op);
    FailureOr<Value> buffer =
        getBuffer(rewriter, allReduce.getInput(), options, state);
    if (failed(buffer))
      return failure();
    auto type = cast<MemRefType>(buffer->getType());
    Type element = type.getElementType();
    auto callee = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
        op, rewriter.getStringAttr(entryPointName(element)));
    if (!callee)
      return op->emitOpError("needs the declaration of @")
             << entryPointName(element) << " (convert-ember-to-linalg adds it)";
    Location loc = op->getLoc();
    // The runtime reads a dense buffer: one with another layout (a view)
    // goes through a dense copy.
    Value dense = *buffer;
    auto denseType = MemRefType::get(type.getShape(), element);
    if (!type.getLayout().isIdentity()) {
      dense = memref::AllocOp::create(rewriter, loc, denseType);
      memref::CopyOp::create(rewriter, loc, *buffer, dense);
    }
    int64_t count = denseType.getNumElements();
    Value first = memref::ReinterpretCastOp::create(
        rewriter, loc, MemRefType::get({1}, element), dense,
        /*offset=*/0, /*sizes=*/ArrayRef<int64_t>{1},
        /*strides=*/ArrayRef<int64_t>{1});
    Value n = arith::ConstantIntOp::create(rewriter, loc, count, 64);
    func::CallOp::create(rewriter, loc, callee, ValueRange{first, n});
    replaceOpWithBufferizedValues(rewriter, op, dense);
    return success();
  }
};

} // namespace

void mlir::ember::declareCollectiveEntryPoints(ModuleOp module) {
  llvm::SmallVector<Type> elements;
  module.walk([&](AllReduceOp op) {
    Type element = op.getType().getElementType();
    if (!llvm::is_contained(elements, element))
      elements.push_back(element);
  });
  SymbolTable symbols(module);
  for (Type element : elements) {
    StringRef name = entryPointName(element);
    if (symbols.lookup(name))
      continue;
    OpBuilder builder(module.getBodyRegion());
    auto decl = func::FuncOp::create(builder, module.getLoc(), name,
                                     entryPointType(element));
    decl.setPrivate();
    symbols.insert(decl);
  }
}

void mlir::ember::registerEmberBufferizationModels(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, EmberDialect *) {
    AllReduceOp::attachInterface<AllReduceBufferization>(*ctx);
  });
}
