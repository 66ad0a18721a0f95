//===- GpuMapLinalg.cpp - Bufferized linalg to GPU kernels ----------------===//
//
// Part of Ember. See EmberGPUMapLinalgPass in Passes.td for what it does;
// this file is organised as the pass runs:
//   1. generalize named ops and copies; check what the mapping needs;
//   2. fold pure copies into readers and initialisations into prologues;
//   3. form kernels: epilogue chains, then groups of small ops;
//   4. emit one gpu.launch per kernel and erase the linalg ops.
// Buffers are reasoned about by their root (the allocation or function
// argument under any reshape views): two values alias iff their roots match.
//
//===----------------------------------------------------------------------===//

#include "ember/Transforms/BufferRoots.h"
#include "ember/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace mlir::ember {
#define GEN_PASS_DEF_EMBERGPUMAPLINALGPASS
#include "ember/Transforms/Passes.h.inc"
} // namespace mlir::ember

using namespace mlir;
using mlir::ember::bufferRoot;

namespace {

//===----------------------------------------------------------------------===//
// Buffers
//===----------------------------------------------------------------------===//

/// The root buffers `op` reads (inputs, and outputs whose value the body
/// uses) and writes.
struct Access {
  llvm::SmallPtrSet<Value, 4> reads, writes;
};

/// The root buffers `op`'s body loads from directly (a gather, such as
/// convolution padding, reads its source by index instead of through an
/// operand).
SmallVector<Value> bodyReads(linalg::GenericOp op) {
  SmallVector<Value> roots;
  op.getRegion().walk([&](memref::LoadOp load) {
    roots.push_back(bufferRoot(load.getMemRef()));
  });
  return roots;
}

/// Whether `op`'s body uses the current value of output `init`.
bool readsInit(linalg::GenericOp op, OpOperand &init) {
  return op.payloadUsesValueFromOperand(&init);
}

//===----------------------------------------------------------------------===//
// Kernels
//===----------------------------------------------------------------------===//

/// One op of the graph and what was folded into it.
struct Node {
  mutable linalg::GenericOp op;
  /// Computes the op's (single) output's initial value per point.
  mutable linalg::GenericOp prologue;
  /// Per output: whether its value must reach memory.
  SmallVector<bool> store;
};

/// What one gpu.launch runs: a chain (the first node, then epilogue nodes
/// over the same parallel space), or a group of chains for one block.
struct Chain {
  std::vector<Node> nodes;
  SmallVector<int64_t> ranges; ///< the first op's loop ranges
  SmallVector<unsigned> parallel, reduction;
  int64_t points = 1, work = 1;
};

struct Kernel {
  std::vector<Chain> chains; ///< more than one: a one-block group
  bool tiled = false;        ///< a tiled contraction (one chain)
};

/// Reductions of at least this many steps per point are split over the
/// threads of a block.
constexpr int64_t kSplitMin = 64;

int64_t product(ArrayRef<int64_t> v) {
  int64_t p = 1;
  for (int64_t x : v)
    p *= x;
  return p;
}

/// Whether `op` copies its only input to its only output (identity output
/// map, any input map): a transpose, broadcast or copy.
bool isPureCopy(linalg::GenericOp op) {
  if (op.getNumDpsInputs() != 1 || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() != 0 ||
      !op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isIdentity())
    return false;
  Block &body = op.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  return body.getOperations().size() == 1 &&
         yield.getOperand(0) == body.getArgument(0);
}

/// Whether `map` sends the loop dims to `dims`, in that order.
bool mapsTo(AffineMap map, ArrayRef<unsigned> dims) {
  if (map.getNumResults() != dims.size())
    return false;
  for (auto [expr, dim] : llvm::zip(map.getResults(), dims)) {
    auto d = dyn_cast<AffineDimExpr>(expr);
    if (!d || d.getPosition() != dim)
      return false;
  }
  return true;
}

/// What one thread computes at a time: one point (width 1), or `width`
/// consecutive points along loop dim `dim` as vectors (lanes()).
struct Lanes {
  int64_t width = 1;
  unsigned dim = 0;
  /// `type` as this many lanes: a vector, or itself for one.
  Type of(Type type) const {
    return width == 1 ? type : VectorType::get({width}, type);
  }
  /// A scalar `v` in every lane.
  Value splat(OpBuilder &b, Location loc, Value v) const {
    return width == 1 ? v
                      : vector::BroadcastOp::create(b, loc, of(v.getType()), v)
                            .getResult();
  }
  /// Whether `map` reads consecutive elements along `dim`.
  bool along(AffineMap map) const {
    return width > 1 && map.isFunctionOfDim(dim);
  }
  /// The bytes a vector access is aligned to.
  uint64_t alignment(Type element) const {
    return width * element.getIntOrFloatBitWidth() / 8;
  }
};

struct Mapper {
  func::FuncOp fn;
  int64_t smallPoints, smallWork, groupThreads;
  /// Whether f32 contractions may run on tensor cores in TF32.
  bool tf32;
  /// The linalg ops in program order; folded ones are removed.
  SmallVector<linalg::GenericOp> ops;
  /// The other ops that touch buffers (ember.all_reduce's call), with the
  /// buffers they read and write: nothing folds across one, and a buffer
  /// one touches is read there.
  SmallVector<std::pair<Operation *, llvm::SmallPtrSet<Value, 2>>> barriers;

  /// Whether a barrier lies between `a` and `b` (in the function body).
  bool barrierBetween(Operation *a, Operation *b) const {
    for (const auto &barrier : barriers)
      if (a->isBeforeInBlock(barrier.first) &&
          barrier.first->isBeforeInBlock(b))
        return true;
    return false;
  }

  /// Whether a barrier after `op` touches `root`.
  bool touchedLater(Operation *op, Value root) const {
    for (const auto &barrier : barriers)
      if (op->isBeforeInBlock(barrier.first) && barrier.second.contains(root))
        return true;
    return false;
  }

  Access access(linalg::GenericOp op, linalg::GenericOp prologue = {}) {
    Access a;
    for (OpOperand *in : op.getDpsInputOperands())
      a.reads.insert(bufferRoot(in->get()));
    for (Value root : bodyReads(op))
      a.reads.insert(root);
    for (OpOperand &out : op.getDpsInitsMutable()) {
      a.writes.insert(bufferRoot(out.get()));
      if (!prologue && readsInit(op, out))
        a.reads.insert(bufferRoot(out.get()));
    }
    if (prologue) {
      for (OpOperand *in : prologue.getDpsInputOperands())
        a.reads.insert(bufferRoot(in->get()));
      for (Value root : bodyReads(prologue))
        a.reads.insert(root);
    }
    return a;
  }

  /// Whether the value in `root` after ops[index] is never read: no later op
  /// reads it before one overwrites all of it, and it is an allocation (an
  /// argument's final contents are the caller's).
  bool deadAfter(Value root, size_t index,
                 const DenseMap<Operation *, linalg::GenericOp> &prologues) {
    if (touchedLater(ops[index], root))
      return false;
    for (size_t j = index + 1; j < ops.size(); ++j) {
      linalg::GenericOp op = ops[j];
      Access a = access(op, prologues.lookup(op));
      if (a.reads.contains(root))
        return false;
      if (a.writes.contains(root)) {
        // Overwritten whole: an output that is the root itself (or a view of
        // all of it: views here are reshapes) written at every point, as a
        // projected permutation of the loops writes every element.
        for (OpOperand &out : op.getDpsInitsMutable())
          if (bufferRoot(out.get()) == root &&
              op.getMatchingIndexingMap(&out).isProjectedPermutation())
            return true;
        return false;
      }
    }
    return isa_and_nonnull<memref::AllocOp>(root.getDefiningOp());
  }

  //===--------------------------------------------------------------------===//
  // 2. Folding
  //===--------------------------------------------------------------------===//

  /// Folds pure copies into their only reader's indexing map.
  void foldCopies() {
    for (size_t i = 0; i < ops.size();)
      if (!isPureCopy(ops[i]) || !foldCopy(i))
        ++i;
  }

  /// Folds the copy ops[i] into its reader; false when it cannot.
  bool foldCopy(size_t i) {
    const DenseMap<Operation *, linalg::GenericOp> noPrologues;
    linalg::GenericOp copy = ops[i];
    Value out = copy.getDpsInitOperand(0)->get();
    Value root = bufferRoot(out), source = bufferRoot(copy.getDpsInputOperand(0)->get());
    // The first later op touching the copy must read exactly `out` as an
    // input, and nothing before it may change the source.
    for (size_t j = i + 1; j < ops.size(); ++j) {
      linalg::GenericOp reader = ops[j];
      if (barrierBetween(copy, reader))
        return false;
      Access a = access(reader);
      if (!a.reads.contains(root) && !a.writes.contains(root)) {
        if (a.writes.contains(source))
          return false;
        continue;
      }
      if (a.writes.contains(root) || a.writes.contains(source))
        return false;
      OpOperand *use = nullptr;
      for (OpOperand *in : reader.getDpsInputOperands()) {
        if (bufferRoot(in->get()) != root)
          continue;
        if (use || in->get() != out)
          return false;
        use = in;
      }
      if (!use || !deadAfter(root, j, noPrologues))
        return false;
      // reader reads out[c(d)] = source[p(c(d))].
      SmallVector<AffineMap> maps = reader.getIndexingMapsArray();
      AffineMap p = copy.getMatchingIndexingMap(copy.getDpsInputOperand(0));
      maps[use->getOperandNumber()] =
          p.compose(maps[use->getOperandNumber()]);
      use->set(copy.getDpsInputOperand(0)->get());
      OpBuilder b(reader);
      reader.setIndexingMapsAttr(b.getAffineMapArrayAttr(maps));
      copy.erase();
      ops.erase(ops.begin() + i);
      return true;
    }
    return false;
  }

  /// Folds the all-parallel op that initialises a reduction's output into
  /// the reduction as its prologue.
  void foldPrologues(DenseMap<Operation *, linalg::GenericOp> &prologues) {
    for (size_t j = 0; j < ops.size(); ++j) {
      linalg::GenericOp op = ops[j];
      if (op.getNumDpsInits() != 1 ||
          !readsInit(op, *op.getDpsInitOperand(0)) ||
          !op.getMatchingIndexingMap(op.getDpsInitOperand(0))
               .isProjectedPermutation())
        continue;
      Value out = op.getDpsInitOperand(0)->get();
      Value root = bufferRoot(out);
      llvm::SmallPtrSet<Value, 4> writtenBetween;
      for (size_t i = j; i-- > 0;) {
        linalg::GenericOp init = ops[i];
        if (barrierBetween(init, op))
          break;
        Access a = access(init, prologues.lookup(init));
        if (!a.reads.contains(root) && !a.writes.contains(root)) {
          writtenBetween.insert(a.writes.begin(), a.writes.end());
          continue;
        }
        bool fits = init.getNumDpsInits() == 1 &&
                    init.getDpsInitOperand(0)->get() == out &&
                    init.getNumReductionLoops() == 0 &&
                    init.getMatchingIndexingMap(init.getDpsInitOperand(0))
                        .isIdentity() &&
                    !a.reads.contains(root) && !prologues.count(init);
        for (Value r : a.reads)
          fits = fits && !writtenBetween.contains(r);
        if (fits) {
          prologues[op] = init;
          ops.erase(ops.begin() + i);
          --j;
        }
        break;
      }
    }
  }

  //===--------------------------------------------------------------------===//
  // 3. Kernels
  //===--------------------------------------------------------------------===//

  Chain startChain(linalg::GenericOp op, linalg::GenericOp prologue) {
    Chain c;
    c.ranges = op.getStaticLoopRanges();
    for (auto [i, type] : llvm::enumerate(op.getIteratorTypesArray())) {
      (type == utils::IteratorType::parallel ? c.parallel : c.reduction)
          .push_back(i);
      if (type == utils::IteratorType::parallel)
        c.points *= c.ranges[i];
    }
    c.work = product(c.ranges);
    c.nodes.push_back({op, prologue, SmallVector<bool>(op.getNumDpsInits(), true)});
    return c;
  }

  /// Whether `next` can run as an epilogue of `chain`: all parallel over
  /// the same points, reading the chain's results only where it writes, and
  /// writing nothing the chain reads elsewhere.
  bool extends(const Chain &chain, linalg::GenericOp next) {
    linalg::GenericOp first = chain.nodes.front().op;
    if (next.getNumReductionLoops() != 0 || next.hasIndexSemantics() ||
        !bodyReads(next).empty())
      return false;
    SmallVector<int64_t> ranges = next.getStaticLoopRanges();
    if (ranges.size() != chain.parallel.size())
      return false;
    for (auto [r, dim] : llvm::zip(ranges, chain.parallel))
      if (r != chain.ranges[dim])
        return false;
    for (OpOperand &out : first.getDpsInitsMutable())
      if (!mapsTo(first.getMatchingIndexingMap(&out), chain.parallel))
        return false;
    // What the chain writes pointwise (by value) and reads anywhere else.
    DenseMap<Value, Value> pointwise; // root -> the value written
    llvm::SmallPtrSet<Value, 8> readElsewhere;
    for (const Node &n : chain.nodes) {
      for (OpOperand *in : n.op.getDpsInputOperands())
        if (n.op == first || !pointwise.count(bufferRoot(in->get())))
          readElsewhere.insert(bufferRoot(in->get()));
      for (Value root : bodyReads(n.op))
        readElsewhere.insert(root);
      if (n.prologue)
        for (OpOperand *in : n.prologue.getDpsInputOperands())
          readElsewhere.insert(bufferRoot(in->get()));
      for (OpOperand &out : n.op.getDpsInitsMutable())
        pointwise[bufferRoot(out.get())] = out.get();
    }
    for (OpOperand *in : next.getDpsInputOperands()) {
      auto it = pointwise.find(bufferRoot(in->get()));
      if (it != pointwise.end() &&
          (it->second != in->get() ||
           !next.getMatchingIndexingMap(in).isIdentity()))
        return false;
    }
    for (OpOperand &out : next.getDpsInitsMutable()) {
      if (!next.getMatchingIndexingMap(&out).isIdentity() ||
          readElsewhere.contains(bufferRoot(out.get())))
        return false;
      // The output's old value must not be needed (it may be the chain's).
      if (readsInit(next, out))
        return false;
    }
    return true;
  }

  /// Whether ops `from`..`to` (in the function body) have only buffer
  /// definitions and views between them, so one launch can replace them.
  static bool adjacent(Operation *from, Operation *to) {
    for (Operation *op = from->getNextNode(); op && op != to;
         op = op->getNextNode())
      if (!isa<memref::AllocOp, memref::CollapseShapeOp, memref::ExpandShapeOp,
               memref::CastOp, arith::ConstantOp, linalg::GenericOp>(op))
        return false;
    return true;
  }

  /// Whether `chain` is a contraction the tiled kernel computes: parallel
  /// i, j and reduction k, A reading (i, k), B reading (k, j), one output.
  bool isContraction(const Chain &chain) {
    linalg::GenericOp op = chain.nodes.front().op;
    if (chain.parallel.size() != 2 || chain.reduction.size() != 1 ||
        op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
        op.hasIndexSemantics())
      return false;
    auto dimsOf = [](AffineMap map) {
      llvm::SmallBitVector used(map.getNumDims());
      for (AffineExpr e : map.getResults()) {
        auto d = dyn_cast<AffineDimExpr>(e);
        if (!d)
          return llvm::SmallBitVector();
        used.set(d.getPosition());
      }
      return used;
    };
    llvm::SmallBitVector a = dimsOf(op.getIndexingMapsArray()[0]);
    llvm::SmallBitVector b = dimsOf(op.getIndexingMapsArray()[1]);
    unsigned k = chain.reduction[0];
    if (a.size() == 0 || b.size() == 0 || a.count() != 2 || b.count() != 2 ||
        !a.test(k) || !b.test(k))
      return false;
    a.reset(k);
    b.reset(k);
    return (a | b).count() == 2 && !(a & b).any();
  }

  std::vector<Kernel> formKernels(
      const DenseMap<Operation *, linalg::GenericOp> &prologues) {
    // Chains.
    std::vector<Chain> chains;
    for (linalg::GenericOp op : ops) {
      if (!chains.empty() && extends(chains.back(), op) &&
          adjacent(chains.back().nodes.back().op, op)) {
        chains.back().nodes.push_back(
            {op, {}, SmallVector<bool>(op.getNumDpsInits(), true)});
        continue;
      }
      chains.push_back(startChain(op, prologues.lookup(op)));
    }
    // Results no later op reads are not stored.
    for (Chain &chain : chains) {
      size_t last = llvm::find(ops, chain.nodes.back().op) - ops.begin();
      for (Node &n : chain.nodes)
        for (auto [i, out] : llvm::enumerate(n.op.getDpsInitsMutable()))
          n.store[i] = !deadAfter(bufferRoot(out.get()), last, prologues);
    }
    // Kernels: tiled contractions, groups of small chains, the rest alone.
    std::vector<Kernel> kernels;
    bool groupOpen = false;
    for (Chain &chain : chains) {
      bool small = chain.points <= smallPoints && chain.work <= smallWork;
      if (small && groupOpen &&
          adjacent(kernels.back().chains.back().nodes.back().op,
                   chain.nodes.front().op)) {
        kernels.back().chains.push_back(std::move(chain));
        continue;
      }
      Kernel k;
      // Rows go to grid y, at most 65,535 tiles.
      k.tiled = !small && isContraction(chain) && chain.ranges[chain.parallel[0]] <= 65535 * kTile && chain.ranges[chain.parallel[1]] <= 65535 * kTile;
      k.chains.push_back(std::move(chain));
      kernels.push_back(std::move(k));
      groupOpen = small;
    }
    return kernels;
  }

  /// How a reduction is split over the threads of a block: px points side
  /// by side, each reduced by ry threads into partial values (from the
  /// combiner's identity), which one thread per point then combines.
  struct Split {
    int64_t px = 1, ry = 1;
    Operation *combine = nullptr; ///< the body's op on the accumulator
    TypedAttr identity;
    /// Whether the partials of a point within a warp are first combined by
    /// shuffles (32-bit values, several rows per warp).
    bool shuffle = false;
    /// The rows of partials that go through workgroup memory: one per warp
    /// with shuffles, else ry.
    int64_t storedRows() const { return shuffle ? ry * px / 32 : ry; }
  };

  /// The identity of `combine`, if it is an associative op Ember splits.
  static TypedAttr identityOf(Operation *combine, Builder &b) {
    Type t = combine->getResult(0).getType();
    if (auto ft = dyn_cast<FloatType>(t)) {
      const llvm::fltSemantics &sem = ft.getFloatSemantics();
      std::optional<APFloat> v;
      if (isa<arith::AddFOp>(combine))
        v = APFloat::getZero(sem, /*Negative=*/true); // -0 + x == x
      else if (isa<arith::MulFOp>(combine))
        v = APFloat::getOne(sem);
      else if (isa<arith::MaximumFOp>(combine))
        v = APFloat::getInf(sem, /*Negative=*/true);
      else if (isa<arith::MinimumFOp>(combine))
        v = APFloat::getInf(sem);
      else if (isa<arith::MaxNumFOp, arith::MinNumFOp>(combine))
        v = APFloat::getQNaN(sem);
      return v ? b.getFloatAttr(ft, *v) : TypedAttr();
    }
    auto it = dyn_cast<IntegerType>(t);
    if (!it)
      return {};
    unsigned w = it.getWidth();
    std::optional<APInt> v;
    if (isa<arith::AddIOp, arith::OrIOp, arith::XOrIOp, arith::MaxUIOp>(combine))
      v = APInt::getZero(w);
    else if (isa<arith::MulIOp>(combine))
      v = APInt(w, 1);
    else if (isa<arith::AndIOp, arith::MinUIOp>(combine))
      v = APInt::getAllOnes(w);
    else if (isa<arith::MaxSIOp>(combine))
      v = APInt::getSignedMinValue(w);
    else if (isa<arith::MinSIOp>(combine))
      v = APInt::getSignedMaxValue(w);
    return v ? b.getIntegerAttr(it, *v) : TypedAttr();
  }

  /// Whether `chain`'s reduction is long enough to split over `threads`
  /// threads, and its body one associative op on the accumulator.
  static std::optional<Split> splitOf(const Chain &chain, int64_t threads) {
    linalg::GenericOp op = chain.nodes.front().op;
    if (chain.reduction.empty() || chain.points == 0 ||
        op.getNumDpsInits() != 1 || op.hasIndexSemantics() ||
        chain.work / chain.points < kSplitMin)
      return std::nullopt;
    Block &block = op.getRegion().front();
    Value acc = block.getArguments().back();
    if (!acc.hasOneUse())
      return std::nullopt;
    Operation *combine = acc.getUses().begin()->getOwner();
    if (combine->getBlock() != &block || combine->getNumOperands() != 2 ||
        block.getTerminator()->getOperand(0) != combine->getResult(0))
      return std::nullopt;
    Builder b(op.getContext());
    Split s;
    s.combine = combine;
    s.identity = identityOf(combine, b);
    if (!s.identity)
      return std::nullopt;
    // Points side by side when the first input's contiguous dim is a
    // parallel one (a column sum), else all threads on one point's row.
    AffineMap in = op.getIndexingMapsArray()[0];
    bool columns = false;
    if (in.getNumResults())
      if (auto last = dyn_cast<AffineDimExpr>(in.getResults().back()))
        columns = llvm::is_contained(chain.parallel, last.getPosition());
    if (columns)
      s.px = std::min<int64_t>(32, llvm::PowerOf2Ceil(chain.points));
    s.ry = threads / s.px;
    // Thread y * px + x: a warp holds 32 / px rows of the same px points.
    Type t = combine->getResult(0).getType();
    s.shuffle =
        (t.isF32() || t.isInteger(32)) && s.px < kWarp && threads % kWarp == 0;
    return s;
  }

  //===--------------------------------------------------------------------===//
  // 4. Emission
  //===--------------------------------------------------------------------===//

  static Value index(OpBuilder &b, Location loc, int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v);
  }

  /// The indices `map` gives for loop values `ivs`.
  static SmallVector<Value> indices(OpBuilder &b, Location loc, AffineMap map,
                                    ValueRange ivs) {
    SmallVector<Value> idx;
    for (AffineExpr e : map.getResults()) {
      if (auto d = dyn_cast<AffineDimExpr>(e))
        idx.push_back(ivs[d.getPosition()]);
      else if (auto c = dyn_cast<AffineConstantExpr>(e))
        idx.push_back(index(b, loc, c.getValue()));
      else
        idx.push_back(affine::AffineApplyOp::create(
            b, loc, AffineMap::get(map.getNumDims(), 0, e), ivs));
    }
    return idx;
  }

  /// Zero of `buffer`'s element type: the value of an output a body does
  /// not read.
  static Value zero(OpBuilder &b, Location loc, Value buffer,
                    Lanes lanes = {}) {
    Type type = cast<MemRefType>(buffer.getType()).getElementType();
    return lanes.splat(b, loc,
                       arith::ConstantOp::create(
                           b, loc, cast<TypedAttr>(b.getZeroAttr(type))));
  }

  /// `buffer` at `map(ivs)`; a scalar operand (a fill's value) as it is.
  /// With lanes, the lanes' consecutive elements (one aligned vector load),
  /// or the one element a map that ignores the lanes' dim reads, in every
  /// lane.
  static Value load(OpBuilder &b, Location loc, Value buffer, AffineMap map,
                    ValueRange ivs, Lanes lanes = {}) {
    auto type = dyn_cast<MemRefType>(buffer.getType());
    if (!type)
      return lanes.splat(b, loc, buffer);
    SmallVector<Value> at = indices(b, loc, map, ivs);
    if (!lanes.along(map))
      return lanes.splat(b, loc, memref::LoadOp::create(b, loc, buffer, at));
    Type element = type.getElementType();
    return vector::LoadOp::create(
        b, loc, cast<VectorType>(lanes.of(element)), buffer, at,
        /*nontemporal=*/false, llvm::MaybeAlign(lanes.alignment(element)));
  }

  /// Runs `op`'s body on `args` (one per block argument) at loop values
  /// `ivs`; returns the yielded values. Multiply-adds may become FMAs. With
  /// lanes, every op works on vectors (lanes() allows elementwise ops and
  /// constants only).
  static SmallVector<Value> body(OpBuilder &b, linalg::GenericOp op,
                                 ValueRange args, ValueRange ivs,
                                 bool contract = false, Lanes lanes = {}) {
    Block &block = op.getRegion().front();
    IRMapping map;
    map.map(block.getArguments(), args);
    for (Operation &inner : block.without_terminator()) {
      if (auto idx = dyn_cast<linalg::IndexOp>(inner)) {
        map.map(idx.getResult(), ivs[idx.getDim()]);
        continue;
      }
      if (lanes.width > 1)
        for (Value operand : inner.getOperands())
          if (!map.contains(operand)) // from outside the body: every lane
            map.map(operand, lanes.splat(b, inner.getLoc(), operand));
      Operation *clone = b.clone(inner, map);
      if (contract && isa<arith::MulFOp, arith::AddFOp>(clone))
        clone->setAttr("fastmath", arith::FastMathFlagsAttr::get(
                                       b.getContext(),
                                       arith::FastMathFlags::contract));
      if (lanes.width == 1)
        continue;
      if (clone->hasTrait<OpTrait::ConstantLike>()) {
        for (auto [from, to] :
             llvm::zip(inner.getResults(), clone->getResults()))
          map.map(from, lanes.splat(b, clone->getLoc(), to));
        continue;
      }
      for (OpResult r : clone->getResults())
        r.setType(lanes.of(r.getType()));
    }
    SmallVector<Value> out;
    for (Value v : block.getTerminator()->getOperands())
      out.push_back(lanes.width > 1 && !map.contains(v)
                        ? lanes.splat(b, op.getLoc(), v) // from outside
                        : map.lookupOrDefault(v));
    return out;
  }

  /// The values of node `n`'s inputs at loop values `ivs`.
  static SmallVector<Value> loadInputs(OpBuilder &b, Location loc,
                                       linalg::GenericOp op, ValueRange ivs,
                                       Lanes lanes = {}) {
    SmallVector<Value> v;
    for (OpOperand *in : op.getDpsInputOperands())
      v.push_back(
          load(b, loc, in->get(), op.getMatchingIndexingMap(in), ivs, lanes));
    return v;
  }

  /// The initial value of the chain's first op's outputs at loop values
  /// `ivs` (a point of its iteration space; reduction dims unused).
  static SmallVector<Value> initValues(OpBuilder &b, Location loc,
                                       const Node &n, ValueRange ivs,
                                       Lanes lanes = {}) {
    SmallVector<Value> v;
    for (OpOperand &out : n.op.getDpsInitsMutable()) {
      AffineMap map = n.op.getMatchingIndexingMap(&out);
      if (n.prologue) {
        // The prologue's loops are the output's dims (lanes() has none).
        SmallVector<Value> pivs = indices(b, loc, map, ivs);
        SmallVector<Value> args = loadInputs(b, loc, n.prologue, pivs);
        // Its body does not read its output (see foldPrologues).
        args.push_back(zero(b, loc, n.prologue.getDpsInits()[0]));
        v.push_back(body(b, n.prologue, args, pivs)[0]);
      } else if (readsInit(n.op, out)) {
        v.push_back(load(b, loc, out.get(), map, ivs, lanes));
      } else {
        // The body does not read it.
        v.push_back(zero(b, loc, out.get(), lanes));
      }
    }
    return v;
  }

  /// Stores node `n`'s `results` at `ivs` where they must reach memory.
  static void storeResults(OpBuilder &b, Location loc, const Node &n,
                           ValueRange results, ValueRange ivs,
                           Lanes lanes = {}) {
    for (auto [i, out] : llvm::enumerate(n.op.getDpsInitsMutable())) {
      if (!n.store[i])
        continue;
      AffineMap map = n.op.getMatchingIndexingMap(&out);
      SmallVector<Value> at = indices(b, loc, map, ivs);
      if (lanes.width == 1) {
        memref::StoreOp::create(b, loc, results[i], out.get(), at);
        continue;
      }
      // (lanes() checked that every output is written along the lanes.)
      Type element = cast<MemRefType>(out.get().getType()).getElementType();
      vector::StoreOp::create(b, loc, results[i], out.get(), at,
                              /*nontemporal=*/false,
                              llvm::MaybeAlign(lanes.alignment(element)));
    }
  }

  /// Runs the epilogue nodes of `chain` at its parallel point `par`, the
  /// first op's results being `results`.
  static void emitEpilogues(OpBuilder &b, Location loc, const Chain &chain,
                            ValueRange results, ValueRange par,
                            Lanes lanes = {}) {
    DenseMap<Value, Value> values; // buffer value -> its value at `par`
    auto record = [&](const Node &n, ValueRange r) {
      for (auto [out, v] : llvm::zip(n.op.getDpsInits(), r))
        values[out] = v;
    };
    record(chain.nodes.front(), results);
    for (const Node &n : llvm::drop_begin(chain.nodes)) {
      SmallVector<Value> args;
      for (OpOperand *in : n.op.getDpsInputOperands()) {
        auto it = values.find(in->get());
        args.push_back(it != values.end()
                           ? it->second
                           : load(b, loc, in->get(),
                                  n.op.getMatchingIndexingMap(in), par, lanes));
      }
      for (Value out : n.op.getDpsInits())
        args.push_back(zero(b, loc, out, lanes)); // unread (see extends)
      SmallVector<Value> r = body(b, n.op, args, par, false, lanes);
      storeResults(b, loc, n, r, par, lanes);
      record(n, r);
    }
  }

  /// Computes `chain` at one parallel point (`par`, one value per parallel
  /// dim in order): reductions loop in registers.
  static void emitPoint(OpBuilder &b, Location loc, const Chain &chain,
                        ValueRange par, Lanes lanes = {}) {
    const Node &first = chain.nodes.front();
    SmallVector<Value> ivs(chain.ranges.size());
    for (auto [dim, v] : llvm::zip(chain.parallel, par))
      ivs[dim] = v;
    Value zero = index(b, loc, 0);
    for (unsigned dim : chain.reduction)
      ivs[dim] = zero; // the init's maps do not use them
    SmallVector<Value> acc = initValues(b, loc, first, ivs, lanes);
    // One loop per reduction dim, outermost first.
    std::function<SmallVector<Value>(OpBuilder &, unsigned, ValueRange)> loop =
        [&](OpBuilder &lb, unsigned level, ValueRange accs) -> SmallVector<Value> {
      if (level == chain.reduction.size()) {
        SmallVector<Value> args = loadInputs(lb, loc, first.op, ivs, lanes);
        args.append(accs.begin(), accs.end());
        return body(lb, first.op, args, ivs, false, lanes);
      }
      unsigned dim = chain.reduction[level];
      auto forOp = scf::ForOp::create(
          lb, loc, index(lb, loc, 0), index(lb, loc, chain.ranges[dim]),
          index(lb, loc, 1), accs);
      OpBuilder::InsertionGuard guard(lb);
      lb.setInsertionPointToStart(forOp.getBody());
      ivs[dim] = forOp.getInductionVar();
      SmallVector<Value> next =
          loop(lb, level + 1, forOp.getRegionIterArgs());
      scf::YieldOp::create(lb, loc, next);
      return SmallVector<Value>(forOp.getResults());
    };
    SmallVector<Value> results = loop(b, 0, acc);
    storeResults(b, loc, first, results, ivs, lanes);
    emitEpilogues(b, loc, chain, results, par, lanes);
  }

  /// The lanes of a one-point-per-thread kernel for `chain`: kLanes
  /// consecutive points of the innermost dim per thread, with one 16-byte
  /// load or store per operand, when every op of the chain is all-parallel
  /// and elementwise (its body elementwise ops and constants, no
  /// linalg.index, no prologue), the innermost extent is a multiple of
  /// kLanes, and every buffer it reads or writes along that dim holds
  /// 32-bit elements, identity layout and static shape (so every vector is
  /// aligned: buffers start 16-byte aligned, rows at multiples of kLanes),
  /// reading consecutive elements (the dim its last index alone) or one
  /// element for all lanes (the dim in none of its indices). Else one
  /// point.
  static Lanes lanes(const Chain &chain) {
    if (!chain.reduction.empty() || chain.parallel.empty() ||
        chain.ranges[chain.parallel.back()] % kLanes != 0)
      return {};
    // Without reductions the first op's dims are the parallel ones, in
    // the order the epilogues' dims are.
    Lanes lanes{kLanes, static_cast<unsigned>(chain.parallel.size() - 1)};
    for (const Node &n : chain.nodes) {
      if (n.prologue || n.op.hasIndexSemantics())
        return {};
      for (Operation &inner : n.op.getRegion().front().without_terminator())
        if (!inner.hasTrait<OpTrait::ConstantLike>() &&
            !OpTrait::hasElementwiseMappableTraits(&inner))
          return {};
      for (OpOperand &operand : n.op->getOpOperands()) {
        auto type = dyn_cast<MemRefType>(operand.get().getType());
        if (!type)
          continue; // a scalar, in every lane
        AffineMap map = n.op.getMatchingIndexingMap(&operand);
        bool output = n.op.isDpsInit(&operand);
        if (!lanes.along(map)) {
          // One element for every lane: fine to read, not to write.
          if (output &&
              (readsInit(n.op, operand) ||
               n.store[operand.getOperandNumber() - n.op.getNumDpsInputs()]))
            return {};
          continue;
        }
        ArrayRef<AffineExpr> results = map.getResults();
        auto last = dyn_cast<AffineDimExpr>(results.back());
        Type element = type.getElementType();
        if (!last || last.getPosition() != lanes.dim ||
            llvm::any_of(
                results.drop_back(),
                [&](AffineExpr e) { return e.isFunctionOfDim(lanes.dim); }) ||
            !element.isIntOrFloat() || element.getIntOrFloatBitWidth() != 32 ||
            !type.hasStaticShape() || !type.getLayout().isIdentity() ||
            type.getShape().back() % kLanes != 0)
          return {};
      }
    }
    return lanes;
  }

  /// The parallel point of linear index `p` (the last dim fastest).
  static SmallVector<Value> delinearize(OpBuilder &b, Location loc,
                                        const Chain &chain, Value p) {
    SmallVector<Value> par(chain.parallel.size());
    for (size_t i = chain.parallel.size(); i-- > 0;) {
      int64_t extent = chain.ranges[chain.parallel[i]];
      par[i] = arith::RemUIOp::create(b, loc, p, index(b, loc, extent));
      p = arith::DivUIOp::create(b, loc, p, index(b, loc, extent));
    }
    return par;
  }

  /// `for (p = first; p < chain.points; p += step) emitPoint(p)`.
  static void emitStrided(OpBuilder &b, Location loc, const Chain &chain,
                          Value first, int64_t step) {
    auto forOp = scf::ForOp::create(b, loc, first,
                                    index(b, loc, chain.points),
                                    index(b, loc, step));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forOp.getBody());
    emitPoint(b, loc, chain,
              delinearize(b, loc, chain, forOp.getInductionVar()));
  }

  static constexpr int64_t kThreads = 256;
  /// Tiled contractions: the output tile's side, the block's side in
  /// threads, K per chunk, and the block count below which tiles halve.
  static constexpr int64_t kTile = 64, kTileThreads = 16, kChunk = 16;
  static constexpr int64_t kFewBlocks = 96;
  /// The threads of a warp.
  static constexpr int64_t kWarp = 32;
  /// The points of an elementwise kernel's thread (lanes()).
  static constexpr int64_t kLanes = 4;

  /// The workgroup buffer of a split's partial values.
  static MemRefType partialsType(const Chain &chain, const Split &split) {
    Type t = cast<MemRefType>(chain.nodes.front().op.getDpsInits()[0].getType())
                 .getElementType();
    return MemRefType::get(
        {split.storedRows(), split.px}, t, AffineMap(),
        gpu::AddressSpaceAttr::get(
            t.getContext(), gpu::GPUDialect::getWorkgroupAddressSpace()));
  }

  /// The points p0 .. p0 + px - 1 of `chain`, split as `split` says over
  /// the block's threads (`tid`), partials in `partials`: with
  /// `split.shuffle`, the rows of a warp first combine theirs by xor
  /// shuffles (offsets 16, 8, ... down to px), so that only the first row of
  /// each warp's goes through workgroup memory. Every thread of the block
  /// must get here (it holds a barrier).
  static void emitSplit(OpBuilder &b, Location loc, const Chain &chain,
                        const Split &split, Value p0, Value tid,
                        Value partials) {
    const Node &first = chain.nodes.front();
    Value x = arith::RemUIOp::create(b, loc, tid, index(b, loc, split.px));
    Value y = arith::DivUIOp::create(b, loc, tid, index(b, loc, split.px));
    Value p = arith::AddIOp::create(b, loc, p0, x);
    Value valid = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, p,
                                        index(b, loc, chain.points));
    Value identity = arith::ConstantOp::create(b, loc, split.identity);
    int64_t perPoint = chain.work / chain.points;
    // This thread's partial: reduction steps y, y + ry, ...
    auto part = scf::IfOp::create(b, loc, TypeRange{identity.getType()}, valid,
                                  /*withElse=*/true);
    {
      OpBuilder tb = OpBuilder::atBlockBegin(part.thenBlock());
      SmallVector<Value> par = delinearize(tb, loc, chain, p);
      auto loop = scf::ForOp::create(tb, loc, y, index(tb, loc, perPoint),
                                     index(tb, loc, split.ry),
                                     ValueRange{identity});
      OpBuilder lb = OpBuilder::atBlockBegin(loop.getBody());
      SmallVector<Value> ivs(chain.ranges.size());
      for (auto [dim, v] : llvm::zip(chain.parallel, par))
        ivs[dim] = v;
      Value r = loop.getInductionVar();
      for (size_t i = chain.reduction.size(); i-- > 0;) {
        int64_t extent = chain.ranges[chain.reduction[i]];
        ivs[chain.reduction[i]] =
            arith::RemUIOp::create(lb, loc, r, index(lb, loc, extent));
        r = arith::DivUIOp::create(lb, loc, r, index(lb, loc, extent));
      }
      SmallVector<Value> args = loadInputs(lb, loc, first.op, ivs);
      args.push_back(loop.getRegionIterArgs()[0]);
      scf::YieldOp::create(lb, loc, body(lb, first.op, args, ivs));
      scf::YieldOp::create(tb, loc, loop.getResults());
      OpBuilder eb = OpBuilder::atBlockBegin(part.elseBlock());
      scf::YieldOp::create(eb, loc, ValueRange{identity});
    }
    Value partial = part.getResult(0);
    Value acc = first.op.getRegion().front().getArguments().back();
    // combine(a, b), `a` in the accumulator's place.
    auto combine = [&](OpBuilder &cb, Value a, Value other) {
      IRMapping map;
      for (Value operand : split.combine->getOperands())
        map.map(operand, operand == acc ? a : other);
      return cb.clone(*split.combine, map)->getResult(0);
    };
    if (split.shuffle) {
      // Every thread of the warp takes part (invalid points hold the
      // identity); then the warp's first row holds the warp's partials and
      // stores them, as row y / (32 / px).
      for (int64_t offset = kWarp / 2; offset >= split.px; offset /= 2) {
        auto shuffled = gpu::ShuffleOp::create(
            b, loc, partial, static_cast<int32_t>(offset),
            static_cast<int32_t>(kWarp), gpu::ShuffleMode::XOR);
        partial = combine(b, partial, shuffled.getShuffleResult());
      }
      Value rowsPerWarp = index(b, loc, kWarp / split.px);
      Value first = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::eq,
          arith::RemUIOp::create(b, loc, y, rowsPerWarp), index(b, loc, 0));
      auto store = scf::IfOp::create(b, loc, first, /*withElse=*/false);
      OpBuilder sb = OpBuilder::atBlockBegin(store.thenBlock());
      memref::StoreOp::create(
          sb, loc, partial, partials,
          ValueRange{arith::DivUIOp::create(sb, loc, y, rowsPerWarp), x});
    } else {
      memref::StoreOp::create(b, loc, partial, partials, ValueRange{y, x});
    }
    gpu::BarrierOp::create(b, loc);
    // Thread y == 0 of each point: the init, then every partial, in order.
    Value lead = arith::AndIOp::create(
        b, loc, valid,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, y,
                              index(b, loc, 0)));
    auto ifOp = scf::IfOp::create(b, loc, lead, /*withElse=*/false);
    OpBuilder tb = OpBuilder::atBlockBegin(ifOp.thenBlock());
    SmallVector<Value> par = delinearize(tb, loc, chain, p);
    SmallVector<Value> ivs(chain.ranges.size(), index(tb, loc, 0));
    for (auto [dim, v] : llvm::zip(chain.parallel, par))
      ivs[dim] = v;
    Value init = initValues(tb, loc, first, ivs)[0];
    auto combineLoop = scf::ForOp::create(tb, loc, index(tb, loc, 0),
                                          index(tb, loc, split.storedRows()),
                                          index(tb, loc, 1), ValueRange{init});
    {
      OpBuilder lb = OpBuilder::atBlockBegin(combineLoop.getBody());
      Value stored = memref::LoadOp::create(
          lb, loc, partials, ValueRange{combineLoop.getInductionVar(), x});
      scf::YieldOp::create(
          lb, loc, combine(lb, combineLoop.getRegionIterArgs()[0], stored));
    }
    storeResults(tb, loc, first, combineLoop.getResults(), ivs);
    emitEpilogues(tb, loc, chain, combineLoop.getResults(), par);
  }

  /// A split reduction on its own: px points per block.
  void emitSplitGrid(OpBuilder &b, Location loc, const Chain &chain,
                     const Split &split) {
    int64_t blocks = (chain.points + split.px - 1) / split.px;
    Value one = index(b, loc, 1);
    auto launch = gpu::LaunchOp::create(
        b, loc, index(b, loc, blocks), one, one,
        index(b, loc, split.px * split.ry), one, one, nullptr, nullptr, {},
        TypeRange{partialsType(chain, split)});
    OpBuilder kb = OpBuilder::atBlockBegin(&launch.getBody().front());
    Value p0 = arith::MulIOp::create(kb, loc, launch.getBlockIds().x,
                                     index(kb, loc, split.px));
    emitSplit(kb, loc, chain, split, p0, launch.getThreadIds().x,
              launch.getWorkgroupAttributions()[0]);
    gpu::TerminatorOp::create(kb, loc);
  }

  /// One thread per point (or per kLanes points, see lanes()), kThreads
  /// per block.
  LogicalResult emitGrid(OpBuilder &b, Location loc, const Chain &chain) {
    Lanes lanes = this->lanes(chain);
    int64_t threads = chain.points / lanes.width;
    int64_t blocks = (threads + kThreads - 1) / kThreads;
    if (blocks > INT32_MAX)
      return chain.nodes.front().op.emitError("ember-gpu-map-linalg: ")
             << chain.points << " points need " << blocks << " blocks of "
             << kThreads << " threads"
             << (lanes.width > 1
                     ? " of " + std::to_string(lanes.width) + " points each"
                     : std::string())
             << ", more than CUDA's grid limit of " << INT32_MAX;
    Value one = index(b, loc, 1);
    auto launch = gpu::LaunchOp::create(b, loc, index(b, loc, blocks), one, one,
                                        index(b, loc, kThreads), one, one);
    OpBuilder kb = OpBuilder::atBlockBegin(&launch.getBody().front());
    Value t = arith::AddIOp::create(
        kb, loc,
        arith::MulIOp::create(kb, loc, launch.getBlockIds().x,
                              index(kb, loc, kThreads)),
        launch.getThreadIds().x);
    Value inRange = arith::CmpIOp::create(kb, loc, arith::CmpIPredicate::ult, t,
                                          index(kb, loc, threads));
    auto ifOp = scf::IfOp::create(kb, loc, inRange, /*withElse=*/false);
    kb.setInsertionPointToStart(ifOp.thenBlock());
    // The thread's first point.
    Value p =
        lanes.width == 1
            ? t
            : arith::MulIOp::create(kb, loc, t, index(kb, loc, lanes.width))
                  .getResult();
    emitPoint(kb, loc, chain, delinearize(kb, loc, chain, p), lanes);
    kb.setInsertionPointToEnd(&launch.getBody().front());
    gpu::TerminatorOp::create(kb, loc);
    return success();
  }

  /// The chains of a group, one after another in one block.
  void emitGroup(OpBuilder &b, Location loc, ArrayRef<Chain> chains) {
    Value one = index(b, loc, 1);
    int64_t most = 1;
    for (const Chain &c : chains)
      most = std::max(most, c.points);
    SmallVector<std::optional<Split>> splits;
    SmallVector<Type> partials;
    for (const Chain &c : chains) {
      splits.push_back(splitOf(c, groupThreads));
      if (splits.back()) {
        most = groupThreads;
        partials.push_back(partialsType(c, *splits.back()));
      }
    }
    int64_t threads = std::min<int64_t>(groupThreads, (most + 31) / 32 * 32);
    auto launch = gpu::LaunchOp::create(b, loc, one, one, one,
                                        index(b, loc, threads), one, one,
                                        nullptr, nullptr, {}, partials);
    OpBuilder kb = OpBuilder::atBlockBegin(&launch.getBody().front());
    Value tid = launch.getThreadIds().x;
    unsigned nextPartials = 0;
    for (auto [i, chain] : llvm::enumerate(chains)) {
      if (i)
        gpu::BarrierOp::create(kb, loc);
      if (!splits[i]) {
        emitStrided(kb, loc, chain, tid, threads);
        continue;
      }
      // px points at a time; each round ends at a barrier, so every thread
      // runs every round.
      const Split &split = *splits[i];
      auto rounds = scf::ForOp::create(kb, loc, index(kb, loc, 0),
                                       index(kb, loc, chain.points),
                                       index(kb, loc, split.px));
      OpBuilder rb = OpBuilder::atBlockBegin(rounds.getBody());
      emitSplit(rb, loc, chain, split, rounds.getInductionVar(), tid,
                launch.getWorkgroupAttributions()[nextPartials++]);
      gpu::BarrierOp::create(rb, loc);
    }
    gpu::TerminatorOp::create(kb, loc);
  }

  /// Whether the contraction `chain` is acc + a * b on f32 (what a
  /// tensor core's mma computes).
  static bool isMultiplyAdd(const Chain &chain) {
    linalg::GenericOp op = chain.nodes.front().op;
    Block &block = op.getRegion().front();
    if (!llvm::all_of(block.getArgumentTypes(),
                      [](Type t) { return t.isF32(); }))
      return false;
    if (block.getOperations().size() != 3)
      return false;
    auto add = dyn_cast_or_null<arith::AddFOp>(
        block.getTerminator()->getOperand(0).getDefiningOp());
    if (!add)
      return false;
    Value acc = block.getArgument(2);
    Value other = add.getLhs() == acc ? add.getRhs() : add.getLhs();
    auto mul = other.getDefiningOp<arith::MulFOp>();
    if (!mul || (add.getLhs() != acc && add.getRhs() != acc))
      return false;
    Value a = block.getArgument(0), bArg = block.getArgument(1);
    return (mul.getLhs() == a && mul.getRhs() == bArg) ||
           (mul.getLhs() == bArg && mul.getRhs() == a);
  }

  /// `x` rounded to TF32 (10 mantissa bits, to nearest, ties away from
  /// zero, as cvt.rna.tf32.f32 and cuBLAS do); NaN stays NaN.
  static Value roundToTF32(OpBuilder &b, Location loc, Value x) {
    Type i32 = b.getI32Type();
    Value bits = arith::BitcastOp::create(b, loc, i32, x);
    Value rounded = arith::AndIOp::create(
        b, loc,
        arith::AddIOp::create(
            b, loc, bits, arith::ConstantIntOp::create(b, loc, i32, 0x1000)),
        arith::ConstantIntOp::create(b, loc, i32, 0xFFFFE000));
    Value isNaN =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, x, x);
    return arith::SelectOp::create(
        b, loc, isNaN, x,
        arith::BitcastOp::create(b, loc, x.getType(), rounded));
  }

  /// What the two tiled contraction kernels share: the block tile, the
  /// launch of 16 x 16 threads with an A and a B tile of `chunk` K steps in
  /// workgroup memory, the staging of a chunk, and the epilogue.
  struct TiledSetup {
    linalg::GenericOp op;
    const Chain *chain;
    SmallVector<AffineMap> maps;
    /// i: the parallel dim A reads; j: the one B reads; k: the reduction.
    unsigned i, j, k;
    int64_t M, N, K, tile, chunk;
    Location loc;
    gpu::LaunchOp launch;
    OpBuilder kb;
    Value aShared, bShared, i0, j0, tid, zeroIdx;

    TiledSetup(OpBuilder &b, Location loc, const Chain &c, int64_t chunkSteps,
               Type aType, Type bType)
        : op(c.nodes.front().op), chain(&c), maps(op.getIndexingMapsArray()),
          loc(loc), kb(b.getContext()) {
      k = c.reduction[0];
      i = maps[0].isFunctionOfDim(c.parallel[0]) ? c.parallel[0]
                                                 : c.parallel[1];
      j = i == c.parallel[0] ? c.parallel[1] : c.parallel[0];
      M = c.ranges[i], N = c.ranges[j], K = c.ranges[k];
      auto blocksFor = [&](int64_t t) {
        return ((M + t - 1) / t) * ((N + t - 1) / t);
      };
      tile = blocksFor(kTile) < kFewBlocks ? kTile / 2 : kTile;
      chunk = chunkSteps;
      auto workgroup = gpu::AddressSpaceAttr::get(
          b.getContext(), gpu::GPUDialect::getWorkgroupAddressSpace());
      auto aTile =
          MemRefType::get({chunk, tile}, aType, AffineMap(), workgroup);
      auto bTile =
          MemRefType::get({chunk, tile}, bType, AffineMap(), workgroup);
      Value one = index(b, loc, 1);
      int64_t gx = (N + tile - 1) / tile, gy = (M + tile - 1) / tile;
      launch = gpu::LaunchOp::create(
          b, loc, index(b, loc, gx), index(b, loc, gy), one,
          index(b, loc, kTileThreads), index(b, loc, kTileThreads), one,
          /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
          /*asyncDependencies=*/{}, TypeRange{aTile, bTile});
      aShared = launch.getWorkgroupAttributions()[0];
      bShared = launch.getWorkgroupAttributions()[1];
      kb.setInsertionPointToStart(&launch.getBody().front());
      i0 = mul(kb, launch.getBlockIds().y, tile);
      j0 = mul(kb, launch.getBlockIds().x, tile);
      tid = arith::AddIOp::create(
          kb, loc, mul(kb, launch.getThreadIds().y, kTileThreads),
          launch.getThreadIds().x);
      zeroIdx = index(kb, loc, 0);
    }

    Value add(OpBuilder &ob, Value a, int64_t c) const {
      return arith::AddIOp::create(ob, loc, a, index(ob, loc, c));
    }
    Value mul(OpBuilder &ob, Value a, int64_t c) const {
      return arith::MulIOp::create(ob, loc, a, index(ob, loc, c));
    }
    Value lessThan(OpBuilder &ob, Value a, int64_t c) const {
      return arith::CmpIOp::create(ob, loc, arith::CmpIPredicate::ult, a,
                                   index(ob, loc, c));
    }
    /// A point's loop values: i, j and k set, others unused.
    SmallVector<Value> point(Value iv, Value jv, Value kv) const {
      SmallVector<Value> ivs(chain->ranges.size(), kv);
      ivs[i] = iv;
      ivs[j] = jv;
      ivs[k] = kv;
      return ivs;
    }

    /// The op's initial value at output (row, col) when `in` is true, else
    /// zero.
    Value initAt(Value row, Value col, Value in) {
      Type t = cast<MemRefType>(op.getDpsInits()[0].getType()).getElementType();
      auto ifOp = scf::IfOp::create(kb, loc, TypeRange{t}, in, true);
      OpBuilder tb = OpBuilder::atBlockBegin(ifOp.thenBlock());
      scf::YieldOp::create(tb, loc,
                           initValues(tb, loc, chain->nodes.front(),
                                      point(row, col, zeroIdx))[0]);
      OpBuilder eb = OpBuilder::atBlockBegin(ifOp.elseBlock());
      scf::YieldOp::create(eb, loc,
                           ValueRange{arith::ConstantOp::create(
                               eb, loc, cast<TypedAttr>(eb.getZeroAttr(t)))});
      return ifOp.getResult(0);
    }

    /// Stages rows k0 .. k0 + bk - 1 of input `which` (0: A over i, 1: B
    /// over j) for this block's tile: zero past the tile's edge, and with
    /// `tf32` also past K and rounded to TF32. Consecutive threads take
    /// consecutive addresses of the input.
    void stage(OpBuilder &ob, Value k0, int64_t bk, int which, bool tf32) {
      AffineMap map = maps[which];
      unsigned dim = which == 0 ? i : j;
      int64_t extent = which == 0 ? M : N;
      Value base = which == 0 ? i0 : j0;
      Value shared = which == 0 ? aShared : bShared;
      Type type = cast<MemRefType>(shared.getType()).getElementType();
      auto last = dyn_cast<AffineDimExpr>(map.getResults().back());
      bool kFastest = last && last.getPosition() == k;
      auto loop =
          scf::ForOp::create(ob, loc, tid, index(ob, loc, bk * tile),
                             index(ob, loc, kTileThreads * kTileThreads));
      OpBuilder lb = OpBuilder::atBlockBegin(loop.getBody());
      Value e = loop.getInductionVar();
      Value kk, m;
      if (kFastest) {
        kk = arith::RemUIOp::create(lb, loc, e, index(lb, loc, bk));
        m = arith::DivUIOp::create(lb, loc, e, index(lb, loc, bk));
      } else {
        m = arith::RemUIOp::create(lb, loc, e, index(lb, loc, tile));
        kk = arith::DivUIOp::create(lb, loc, e, index(lb, loc, tile));
      }
      Value pos = arith::AddIOp::create(lb, loc, base, m);
      Value kv = arith::AddIOp::create(lb, loc, k0, kk);
      Value in = lessThan(lb, pos, extent);
      if (tf32)
        in = arith::AndIOp::create(lb, loc, in, lessThan(lb, kv, K));
      auto ifOp = scf::IfOp::create(lb, loc, TypeRange{type}, in, true);
      OpBuilder tb = OpBuilder::atBlockBegin(ifOp.thenBlock());
      SmallVector<Value> ivs(chain->ranges.size(), kv);
      ivs[dim] = pos;
      Value v = load(tb, loc, op.getDpsInputs()[which], map, ivs);
      scf::YieldOp::create(tb, loc,
                           ValueRange{tf32 ? roundToTF32(tb, loc, v) : v});
      OpBuilder eb = OpBuilder::atBlockBegin(ifOp.elseBlock());
      scf::YieldOp::create(
          eb, loc,
          ValueRange{arith::ConstantOp::create(
              eb, loc, cast<TypedAttr>(eb.getZeroAttr(type)))});
      memref::StoreOp::create(lb, loc, ifOp.getResult(0), shared,
                              ValueRange{kk, m});
    }

    /// Stores each result at its (row, col) where `inside`, with the
    /// chain's epilogues, and ends the kernel.
    void finish(ArrayRef<Value> rows, ArrayRef<Value> cols,
                ArrayRef<Value> inside, ValueRange results) {
      for (size_t n = 0; n < results.size(); ++n) {
        auto ifOp = scf::IfOp::create(kb, loc, inside[n], false);
        OpBuilder tb = OpBuilder::atBlockBegin(ifOp.thenBlock());
        SmallVector<Value> ivs = point(rows[n], cols[n], zeroIdx);
        storeResults(tb, loc, chain->nodes.front(), results[n], ivs);
        SmallVector<Value> par;
        for (unsigned d : chain->parallel)
          par.push_back(ivs[d]);
        emitEpilogues(tb, loc, *chain, results[n], par);
      }
      gpu::TerminatorOp::create(kb, loc);
    }
  };

  /// The tiled contraction on tensor cores (`tf32`): the same T x T block
  /// tiles, K chunks of 16 staged through workgroup memory (zero past K,
  /// every element rounded to TF32), but the block's 8 warps each own
  /// T*T/8 outputs as 16x8 mma tiles (nvgpu.mma.sync m16n8k8, TF32 in,
  /// f32 accumulators), 2 k-steps per chunk. A thread's accumulators are
  /// the mma fragment's: rows g and g + 8, columns 2t and 2t + 1 of each of
  /// its tiles (lane = 4g + t).
  void emitTiledMma(OpBuilder &b, Location loc, const Chain &chain) {
    Type f32 = b.getF32Type();
    TiledSetup t(b, loc, chain, kChunk, f32, f32);
    OpBuilder &kb = t.kb;
    constexpr int64_t kWarps = kTileThreads * kTileThreads / kWarp;
    const int64_t nTiles = t.tile / 8,
                  tilesPerWarp = t.tile / 16 * nTiles / kWarps;
    Value warp = arith::DivUIOp::create(kb, loc, t.tid, index(kb, loc, kWarp));
    Value lane = arith::RemUIOp::create(kb, loc, t.tid, index(kb, loc, kWarp));
    Value g = arith::DivUIOp::create(kb, loc, lane, index(kb, loc, 4));
    Value tig = arith::RemUIOp::create(kb, loc, lane, index(kb, loc, 4));
    // This warp's mma tiles: row and column offsets within the block tile.
    SmallVector<Value> tileRow, tileCol;
    for (int64_t p = 0; p < tilesPerWarp; ++p) {
      Value q = t.add(kb, t.mul(kb, warp, tilesPerWarp), p);
      tileRow.push_back(t.mul(
          kb, arith::DivUIOp::create(kb, loc, q, index(kb, loc, nTiles)), 16));
      tileCol.push_back(t.mul(
          kb, arith::RemUIOp::create(kb, loc, q, index(kb, loc, nTiles)), 8));
    }
    // Accumulator v of tile p: row g (+8 for v >= 2), column 2 tig (+1 for
    // odd v), from the op's initial value where it is inside the output.
    SmallVector<Value> rows, cols, inside, acc;
    Value tig2 = t.mul(kb, tig, 2);
    for (int64_t p = 0; p < tilesPerWarp; ++p)
      for (int64_t v = 0; v < 4; ++v) {
        Value row = t.add(
            kb,
            arith::AddIOp::create(
                kb, loc, arith::AddIOp::create(kb, loc, t.i0, tileRow[p]), g),
            v >= 2 ? 8 : 0);
        Value col =
            t.add(kb,
                  arith::AddIOp::create(
                      kb, loc, arith::AddIOp::create(kb, loc, t.j0, tileCol[p]),
                      tig2),
                  v & 1);
        Value in = arith::AndIOp::create(kb, loc, t.lessThan(kb, row, t.M),
                                         t.lessThan(kb, col, t.N));
        rows.push_back(row);
        cols.push_back(col);
        inside.push_back(in);
        acc.push_back(t.initAt(row, col, in));
      }
    auto kLoop =
        scf::ForOp::create(kb, loc, t.zeroIdx,
                           index(kb, loc, (t.K + kChunk - 1) / kChunk * kChunk),
                           index(kb, loc, kChunk), acc);
    {
      OpBuilder lb = OpBuilder::atBlockBegin(kLoop.getBody());
      t.stage(lb, kLoop.getInductionVar(), kChunk, 0, /*tf32=*/true);
      t.stage(lb, kLoop.getInductionVar(), kChunk, 1, /*tf32=*/true);
      gpu::BarrierOp::create(lb, loc);
      SmallVector<Value> accs(kLoop.getRegionIterArgs());
      auto f32Vector = [&](ArrayRef<int64_t> shape) {
        return VectorType::get(shape, f32);
      };
      auto fromShared = [&](Value shared, Value kv, Value mv) -> Value {
        return memref::LoadOp::create(lb, loc, shared, ValueRange{kv, mv});
      };
      for (int64_t step = 0; step < kChunk; step += 8) {
        Value kt = t.add(lb, tig, step), kt4 = t.add(lb, tig, step + 4);
        for (int64_t p = 0; p < tilesPerWarp; ++p) {
          Value r = arith::AddIOp::create(lb, loc, tileRow[p], g);
          Value r8 = t.add(lb, r, 8);
          Value c = arith::AddIOp::create(lb, loc, tileCol[p], g);
          // a0 (g, tig), a1 (g + 8, tig), a2 (g, tig + 4), a3 (g + 8,
          // tig + 4); b0 (tig, g), b1 (tig + 4, g); c0..c3 the accumulators.
          Value aFrag = vector::FromElementsOp::create(
              lb, loc, f32Vector({4, 1}),
              ValueRange{fromShared(t.aShared, kt, r),
                         fromShared(t.aShared, kt, r8),
                         fromShared(t.aShared, kt4, r),
                         fromShared(t.aShared, kt4, r8)});
          Value bFrag = vector::FromElementsOp::create(
              lb, loc, f32Vector({2, 1}),
              ValueRange{fromShared(t.bShared, kt, c),
                         fromShared(t.bShared, kt4, c)});
          Value cFrag = vector::FromElementsOp::create(
              lb, loc, f32Vector({2, 2}), ValueRange(accs).slice(p * 4, 4));
          Value d = nvgpu::MmaSyncOp::create(lb, loc, aFrag, bFrag, cFrag,
                                             ArrayRef<int64_t>{16, 8, 8},
                                             /*tf32Enabled=*/true);
          for (int64_t v = 0; v < 4; ++v)
            accs[p * 4 + v] = vector::ExtractOp::create(
                lb, loc, d, ArrayRef<int64_t>{v / 2, v % 2});
        }
      }
      // The next chunk overwrites the tiles.
      gpu::BarrierOp::create(lb, loc);
      scf::YieldOp::create(lb, loc, accs);
    }
    t.finish(rows, cols, inside, kLoop.getResults());
  }

  /// The tiled contraction (see the pass description): T x T outputs per
  /// block of 16 x 16 threads (T = 64, or 32 when 64 would leave fewer
  /// blocks than a large GPU has multiprocessors), K in chunks of up to 16
  /// with an exact last chunk, so any body sees exactly the reference's
  /// steps in order.
  void emitTiled(OpBuilder &b, Location loc, const Chain &chain) {
    linalg::GenericOp op = chain.nodes.front().op;
    Block &body0 = op.getRegion().front();
    TiledSetup t(b, loc, chain,
                 std::min<int64_t>(kChunk, chain.ranges[chain.reduction[0]]),
                 body0.getArgument(0).getType(),
                 body0.getArgument(1).getType());
    OpBuilder &kb = t.kb;
    const int64_t perThread = t.tile / kTileThreads, BK = t.chunk;
    Value tx = t.launch.getThreadIds().x, ty = t.launch.getThreadIds().y;
    // Thread (tx, ty) owns rows i0 + ty + 16r and columns j0 + tx + 16c:
    // neighbouring threads store neighbouring outputs.
    SmallVector<Value> rowOf, colOf;
    for (int64_t r = 0; r < perThread; ++r)
      rowOf.push_back(arith::AddIOp::create(
          kb, loc, t.add(kb, t.i0, r * kTileThreads), ty));
    for (int64_t c = 0; c < perThread; ++c)
      colOf.push_back(arith::AddIOp::create(
          kb, loc, t.add(kb, t.j0, c * kTileThreads), tx));
    SmallVector<Value> rows, cols, inside, acc;
    for (int64_t r = 0; r < perThread; ++r)
      for (int64_t c = 0; c < perThread; ++c) {
        Value in = arith::AndIOp::create(kb, loc, t.lessThan(kb, rowOf[r], t.M),
                                         t.lessThan(kb, colOf[c], t.N));
        rows.push_back(rowOf[r]);
        cols.push_back(colOf[c]);
        inside.push_back(in);
        acc.push_back(t.initAt(rowOf[r], colOf[c], in));
      }

    // One chunk of bk steps from k0: stage, then every thread's
    // perThread x perThread multiply-adds from workgroup memory.
    auto chunk = [&](OpBuilder &ob, Value k0, int64_t bk,
                     ValueRange accs) -> SmallVector<Value> {
      t.stage(ob, k0, bk, 0, /*tf32=*/false);
      t.stage(ob, k0, bk, 1, /*tf32=*/false);
      gpu::BarrierOp::create(ob, loc);
      auto inner = scf::ForOp::create(ob, loc, index(ob, loc, 0),
                                      index(ob, loc, bk), index(ob, loc, 1),
                                      accs);
      OpBuilder ib = OpBuilder::atBlockBegin(inner.getBody());
      Value kk = inner.getInductionVar();
      SmallVector<Value> a, bv, next;
      for (int64_t r = 0; r < perThread; ++r)
        a.push_back(memref::LoadOp::create(
            ib, loc, t.aShared,
            ValueRange{kk, t.add(ib, ty, r * kTileThreads)}));
      for (int64_t c = 0; c < perThread; ++c)
        bv.push_back(memref::LoadOp::create(
            ib, loc, t.bShared,
            ValueRange{kk, t.add(ib, tx, c * kTileThreads)}));
      ValueRange in = inner.getRegionIterArgs();
      for (int64_t r = 0; r < perThread; ++r)
        for (int64_t c = 0; c < perThread; ++c)
          next.push_back(body(ib, op, {a[r], bv[c], in[r * perThread + c]},
                              ValueRange{}, /*contract=*/true)[0]);
      scf::YieldOp::create(ib, loc, next);
      // The next chunk overwrites the tiles.
      gpu::BarrierOp::create(ob, loc);
      return SmallVector<Value>(inner.getResults());
    };

    int64_t full = t.K / BK * BK;
    auto kLoop = scf::ForOp::create(kb, loc, t.zeroIdx, index(kb, loc, full),
                                    index(kb, loc, BK), acc);
    {
      OpBuilder lb = OpBuilder::atBlockBegin(kLoop.getBody());
      scf::YieldOp::create(lb, loc,
                           chunk(lb, kLoop.getInductionVar(), BK,
                                 kLoop.getRegionIterArgs()));
    }
    SmallVector<Value> results(kLoop.getResults());
    if (full < t.K)
      results = chunk(kb, index(kb, loc, full), t.K - full, results);
    t.finish(rows, cols, inside, results);
  }

  //===--------------------------------------------------------------------===//
  // The pass
  //===--------------------------------------------------------------------===//

  LogicalResult run() {
    // 1. Generalize; every op must have static loops and buffer operands.
    IRRewriter rewriter(fn.getContext());
    SmallVector<Operation *> work;
    fn.walk([&](Operation *op) {
      if (isa<linalg::LinalgOp, memref::CopyOp>(op))
        work.push_back(op);
    });
    for (Operation *op : work) {
      rewriter.setInsertionPoint(op);
      if (auto copy = dyn_cast<memref::CopyOp>(op)) {
        op = linalg::CopyOp::create(rewriter, op->getLoc(), copy.getSource(),
                                    copy.getTarget());
        rewriter.eraseOp(copy);
      }
      auto linalgOp = cast<linalg::LinalgOp>(op);
      if (op->getParentOp() != fn)
        return op->emitError("ember-gpu-map-linalg: expected the linalg ops "
                             "at the top level of the function");
      if (!linalgOp.hasPureBufferSemantics() ||
          linalgOp.hasDynamicShape())
        return op->emitError("ember-gpu-map-linalg: expected static "
                             "shapes on buffers");
      FailureOr<linalg::GenericOp> generic =
          isa<linalg::GenericOp>(op)
              ? FailureOr<linalg::GenericOp>(cast<linalg::GenericOp>(op))
              : linalg::generalizeNamedOp(rewriter, linalgOp);
      if (failed(generic))
        return op->emitError("ember-gpu-map-linalg: cannot generalize");
      ops.push_back(*generic);
    }
    // Barriers: what else touches buffers. Allocations, deallocations and
    // views only name them. (A declaration has no body.)
    for (Operation &op : fn.getBody().getOps()) {
      if (isa<linalg::GenericOp, memref::AllocOp, memref::DeallocOp,
              memref::CollapseShapeOp, memref::ExpandShapeOp, memref::CastOp,
              memref::ReinterpretCastOp>(op))
        continue;
      llvm::SmallPtrSet<Value, 2> roots;
      for (Value v : op.getOperands())
        if (isa<BaseMemRefType>(v.getType()))
          roots.insert(bufferRoot(v));
      if (!roots.empty())
        barriers.push_back({&op, std::move(roots)});
    }
    // An op whose threads would read what others write is refused.
    for (linalg::GenericOp op : ops)
      for (OpOperand *in : op.getDpsInputOperands())
        for (OpOperand &out : op.getDpsInitsMutable()) {
          bool same = in->get() == out.get() &&
                      op.getMatchingIndexingMap(in) ==
                          op.getMatchingIndexingMap(&out);
          if (bufferRoot(in->get()) == bufferRoot(out.get()) && !same)
            return op.emitError("ember-gpu-map-linalg: operand ")
                   << in->getOperandNumber()
                   << " is read elsewhere than where the op writes it: the "
                      "threads of a kernel would race";
        }

    // 2. Folding.
    foldCopies();
    DenseMap<Operation *, linalg::GenericOp> prologues;
    foldPrologues(prologues);

    // 3, 4. Kernels, each launched where its last op was.
    for (Kernel &kernel : formKernels(prologues)) {
      Operation *last = kernel.chains.back().nodes.back().op;
      OpBuilder b(last);
      Location loc = kernel.chains.front().nodes.front().op.getLoc();
      bool empty = llvm::all_of(kernel.chains,
                                [](const Chain &c) { return c.points == 0; });
      if (empty)
        ;
      else if (kernel.chains.size() > 1)
        emitGroup(b, loc, kernel.chains);
      else if (kernel.tiled && tf32 && isMultiplyAdd(kernel.chains[0]))
        emitTiledMma(b, loc, kernel.chains[0]);
      else if (kernel.tiled)
        emitTiled(b, loc, kernel.chains[0]);
      else if (std::optional<Split> split = splitOf(kernel.chains[0], kThreads))
        emitSplitGrid(b, loc, kernel.chains[0], *split);
      else if (failed(emitGrid(b, loc, kernel.chains[0])))
        return failure();
      for (Chain &chain : kernel.chains)
        for (Node &n : chain.nodes) {
          n.op.erase();
          if (n.prologue)
            n.prologue.erase();
        }
    }
    // Buffers that folding left unused are not allocated.
    for (auto alloc : llvm::make_early_inc_range(fn.getOps<memref::AllocOp>())) {
      if (!llvm::all_of(alloc->getUsers(),
                        [](Operation *u) { return isa<memref::DeallocOp>(u); }))
        continue;
      for (Operation *u : llvm::make_early_inc_range(alloc->getUsers()))
        u->erase();
      alloc.erase();
    }
    return success();
  }
};

struct EmberGPUMapLinalgPass
    : mlir::ember::impl::EmberGPUMapLinalgPassBase<EmberGPUMapLinalgPass> {
  using Base::Base;
  void runOnOperation() override {
    Mapper mapper{getOperation(), smallPoints, smallWork,
                  groupThreads,   tf32,        {}};
    if (failed(mapper.run()))
      signalPassFailure();
  }
};

} // namespace
