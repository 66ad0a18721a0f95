//===- TieResults.cpp - Results computed into an argument's buffer --------===//
//
// Part of Ember. See EmberTieResultsPass in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "ember/Transforms/BufferRoots.h"
#include "ember/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/BitVector.h"

#include <functional>

namespace mlir::ember {
#define GEN_PASS_DEF_EMBERTIERESULTSPASS
#include "ember/Transforms/Passes.h.inc"
} // namespace mlir::ember

using namespace mlir;
using mlir::ember::bufferRoot;
using mlir::ember::kTiedResultsAttr;

namespace {

/// What a top-level op of the function does to buffer `root`; `known` is
/// false when the op touches memory in a way this pass does not follow.
struct Effect {
  bool known = true, reads = false, writes = false;
};

Effect effectOn(Operation *op, Value root) {
  Effect e;
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
    for (OpOperand *in : linalgOp.getDpsInputOperands())
      e.reads |= bufferRoot(in->get()) == root;
    // A body may load from a buffer directly (a gather).
    linalgOp->walk([&](memref::LoadOp load) {
      e.reads |= bufferRoot(load.getMemRef()) == root;
    });
    for (OpOperand &out : linalgOp.getDpsInitsMutable())
      if (bufferRoot(out.get()) == root) {
        e.writes = true;
        e.reads |= linalgOp.payloadUsesValueFromOperand(&out);
      }
    return e;
  }
  if (auto copy = dyn_cast<memref::CopyOp>(op)) {
    e.reads = bufferRoot(copy.getSource()) == root;
    e.writes = bufferRoot(copy.getTarget()) == root;
    return e;
  }
  // Definitions, views and deallocations do not touch the contents.
  if (isa<memref::AllocOp, memref::AllocaOp, memref::DeallocOp,
          memref::CollapseShapeOp, memref::ExpandShapeOp, memref::CastOp,
          arith::ConstantOp, func::ReturnOp>(op))
    return e;
  bool touches = false;
  op->walk([&](Operation *inner) {
    for (Value v : inner->getOperands())
      touches |= isa<BaseMemRefType>(v.getType()) && bufferRoot(v) == root;
  });
  e.known = !touches;
  return e;
}

/// Whether `value` (a fresh allocation the function returns) can be
/// computed in `arg`'s buffer: after the first op that writes it, nothing
/// reads `arg`, except that op itself reading each element of `arg` where
/// it writes the same element of `value` (an elementwise update).
bool canComputeInPlace(func::FuncOp fn, Value value, Value arg) {
  if (!isa_and_nonnull<memref::AllocOp>(value.getDefiningOp()) ||
      value.getType() != arg.getType())
    return false;
  bool written = false;
  for (Operation &op : fn.getBody().front()) {
    Effect onValue = effectOn(&op, value), onArg = effectOn(&op, arg);
    if (!onValue.known || !onArg.known || onArg.writes)
      return false;
    if (!written && onValue.writes) {
      written = true;
      if (!onArg.reads)
        continue;
      // The writer reads `arg`: only pointwise, where it writes.
      auto generic = dyn_cast<linalg::GenericOp>(&op);
      if (!generic || onValue.reads)
        return false;
      AffineMap writes;
      for (OpOperand &out : generic.getDpsInitsMutable())
        if (bufferRoot(out.get()) == value) {
          if (out.get() != value)
            return false;
          writes = generic.getMatchingIndexingMap(&out);
        }
      if (!writes.isPermutation())
        return false;
      for (OpOperand *in : generic.getDpsInputOperands())
        if (bufferRoot(in->get()) == arg &&
            (in->get() != arg || generic.getMatchingIndexingMap(in) != writes))
          return false;
      continue;
    }
    if (written && onArg.reads)
      return false;
  }
  return true;
}

struct EmberTieResultsPass
    : mlir::ember::impl::EmberTieResultsPassBase<EmberTieResultsPass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    auto ties = fn->getAttrOfType<DenseI64ArrayAttr>(kTiedResultsAttr);
    if (!ties)
      return;
    fn->removeAttr(kTiedResultsAttr);
    auto fail = [&](const Twine &why) {
      fn.emitError("ember-tie-results: ") << why;
      signalPassFailure();
    };
    if (!fn.getBody().hasOneBlock())
      return fail("the function must have one block");
    auto ret = cast<func::ReturnOp>(fn.getBody().front().getTerminator());
    ArrayRef<int64_t> pairs = ties.asArrayRef();
    if (pairs.size() % 2)
      return fail(Twine(kTiedResultsAttr) +
                  " must hold (result, argument) pairs");
    llvm::DenseMap<int64_t, int64_t> tieOf; // result -> argument
    llvm::BitVector tiedArgument(fn.getNumArguments());
    for (size_t i = 0; i < pairs.size(); i += 2) {
      int64_t r = pairs[i], a = pairs[i + 1];
      if (r < 0 || r >= ret.getNumOperands() || a < 0 ||
          a >= fn.getNumArguments())
        return fail("tie " + Twine(i / 2) + " (result " + Twine(r) +
                    ", argument " + Twine(a) + ") is out of range (" +
                    Twine(ret.getNumOperands()) + " results, " +
                    Twine(fn.getNumArguments()) + " arguments)");
      if (tieOf.count(r) || tiedArgument.test(a))
        return fail("result " + Twine(r) + " or argument " + Twine(a) +
                    " is tied twice");
      tieOf[r] = a;
      tiedArgument.set(a);
      Value value = ret.getOperand(r), arg = fn.getArgument(a);
      if (value.getType() != arg.getType()) {
        fn.emitError("ember-tie-results: result ")
            << r << " (" << value.getType()
            << ") cannot be computed in argument " << a << " ("
            << arg.getType() << ")";
        return signalPassFailure();
      }
    }
    // A result that is (a view of) a tied argument, other than a result
    // tied to that argument itself, is the argument's value on entry, which
    // the ties overwrite: it becomes a copy taken first (its views rebuilt
    // on the copy), as results are read out after the function's last op
    // and the ties' copies.
    for (OpOperand &result : ret->getOpOperands()) {
      Value root = bufferRoot(result.get());
      auto arg = dyn_cast<BlockArgument>(root);
      if (!arg || arg.getOwner() != &fn.getBody().front() ||
          !tiedArgument.test(arg.getArgNumber()))
        continue;
      auto tie = tieOf.find(result.getOperandNumber());
      if (tie != tieOf.end() && tie->second == arg.getArgNumber())
        continue;
      OpBuilder b = OpBuilder::atBlockBegin(&fn.getBody().front());
      auto type = cast<MemRefType>(arg.getType());
      Value copy = memref::AllocOp::create(b, fn.getLoc(), type);
      memref::CopyOp::create(b, fn.getLoc(), arg, copy);
      b.setInsertionPoint(ret);
      std::function<Value(Value)> rebuild = [&](Value v) -> Value {
        if (v == arg)
          return copy;
        Operation *view = v.getDefiningOp();
        IRMapping map;
        map.map(view->getOperand(0), rebuild(view->getOperand(0)));
        return b.clone(*view, map)->getResult(0);
      };
      result.set(rebuild(result.get()));
    }
    for (size_t i = 0; i < pairs.size(); i += 2) {
      Value value = ret.getOperand(pairs[i]), arg = fn.getArgument(pairs[i + 1]);
      if (bufferRoot(value) == arg)
        continue; // already there
      if (canComputeInPlace(fn, value, arg)) {
        Operation *alloc = value.getDefiningOp();
        value.replaceAllUsesWith(arg);
        alloc->erase();
        continue;
      }
      // Computed elsewhere, then copied over the argument once nothing
      // reads it any more.
      OpBuilder b(ret);
      memref::CopyOp::create(b, ret.getLoc(), value, arg);
    }
    // The tied results are no longer results: their values are in the
    // arguments.
    SmallVector<Value> kept;
    for (auto [i, v] : llvm::enumerate(ret.getOperands()))
      if (!tieOf.count(static_cast<int64_t>(i)))
        kept.push_back(v);
    ret->setOperands(kept);
    fn.setType(FunctionType::get(fn.getContext(), fn.getArgumentTypes(),
                                 ValueRange(kept).getTypes()));
  }
};

} // namespace
