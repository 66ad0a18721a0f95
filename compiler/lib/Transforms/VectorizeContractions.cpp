//===- VectorizeContractions.cpp - Register-tiled matmuls -----------------===//
//
// Part of Ember. See EmberCPUVectorizeContractionsPass in Passes.td. The
// recipe (8x32x1 register tiles, outer-product lowering, hoisted
// accumulators) is the one measured in ../shared/notes/mlir-cpu-codegen.md
// at 90-110% of OpenBLAS on the Quickstart's shapes.
//
//===----------------------------------------------------------------------===//

#include "ember/Transforms/Passes.h"
#include "ember/Transforms/TileRewrites.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SmallPtrSet.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <numeric>

namespace mlir::ember {
#define GEN_PASS_DEF_EMBERCPUVECTORIZECONTRACTIONSPASS
#include "ember/Transforms/Passes.h.inc"
} // namespace mlir::ember

using namespace mlir;

namespace {

/// What the tile choices reason from: the pass's options, which compile()
/// fills from the target's model (CPUModel in ember/Target/CPU/CPUTarget.h).
struct TargetModel {
  int64_t vectorBits, registers, fmaLatency, fmaPerCycle, l1Bytes, l1Ways,
      l2Bytes;
  /// f32 lanes of a vector register (at least 4).
  int64_t lanes() const { return std::max<int64_t>(vectorBits / 32, 4); }
};

/// Cycles one K step of an `mr` x `nv`-register tile takes at best: the
/// FMAs at the core's issue rate, the loads (`nv` B vectors and `mr`
/// broadcasts of A, two per cycle as on every x86 core with AVX2), and each
/// accumulator's FMA waiting for its previous one (the latency).
double stepCycles(const TargetModel &t, int64_t mr, int64_t nv) {
  double fmas = double(mr * nv) / double(t.fmaPerCycle);
  double loads = double(mr + nv) / 2.0;
  return std::max({fmas, loads, double(t.fmaLatency)});
}

/// How many rows of an A read in place (row stride `aStride` floats) a
/// register tile may span. A tile reads A a column at a time, and each of
/// its rows' cache lines serves 16 K steps, so the tile's Mr lines must
/// stay in the L1 meanwhile. Rows whose stride is a multiple of the L1's
/// set span fall in few of its sets (K = 1024 floats, 4 KiB: all in one),
/// and a set holds `l1Ways` lines: more rows evict each other, and every
/// broadcast of A goes to the L2 (512x1024x512 on an 8-way L1 at Mr = 12:
/// 0.65x OpenBLAS). B's lines, spread over every set, and C's (in
/// registers) barely touch the set. At least 1; no limit for a stride that
/// is not a whole number of lines (the rows then spread over the sets).
int64_t rowsInL1(const TargetModel &t, int64_t aStride) {
  constexpr int64_t kLine = 64;
  int64_t sets = t.l1Bytes / (t.l1Ways * kLine);
  int64_t strideBytes = aStride * 4;
  if (sets <= 0 || strideBytes % kLine != 0)
    return INT64_MAX;
  int64_t setsReached = sets / std::gcd(strideBytes / kLine, sets);
  return std::max<int64_t>(setsReached * t.l1Ways, 1);
}

/// Cycles per K step of an `m` x `n` product in `tile`'s register tiles
/// (the last row tile shorter when its height does not divide m).
double tileCycles(int64_t m, int64_t n, std::pair<int64_t, int64_t> tile,
                  const TargetModel &t) {
  auto [mr, nr] = tile;
  int64_t nv = llvm::divideCeil(nr, t.lanes());
  double cycles = double(m / mr) * stepCycles(t, mr, nv);
  if (m % mr != 0)
    cycles += stepCycles(t, m % mr, nv);
  return cycles * double(n) / double(nr);
}

/// How close (relatively) two tiles' rates by stepCycles must be for
/// chooseTile to take the one with more accumulators: see there.
constexpr double kTileTie = 0.02;

/// Register tile sizes (Mr, Nr) for an MxN result on target `t`, or nullopt
/// when the shape has no tile worth vectorizing. Nr: N itself when it fits
/// in two registers (the classifier's 10), else two registers, one, half a
/// register, four or eight registers dividing N (the wide ones for few rows:
/// a single row needs several accumulators to cover the FMA latency). Mr:
/// the most rows (16, 8, 4, 2 or 1 dividing M, or M itself under 16) whose
/// accumulators fit in
/// the registers beside the broadcast A element and Nr's B vectors (which
/// a single row reads once each, straight from memory). Of these
/// candidates, the one with the most useful FMAs per cycle by stepCycles
/// (ties: the one with the most accumulators, then the earlier in that
/// order). With `onlyWidth`, Nr is that width (a prepacked B's panels').
/// With `aStride` (A's row stride in floats, when A is read in place), Mr
/// is at most rowsInL1(t, aStride).
std::optional<std::pair<int64_t, int64_t>>
chooseTile(int64_t m, int64_t n, const TargetModel &t, bool partialRows = false,
           int64_t onlyWidth = 0, int64_t aStride = 0) {
  int64_t lanes = t.lanes();
  SmallVector<int64_t> widths;
  if (onlyWidth)
    widths.push_back(onlyWidth);
  else if (n <= 2 * lanes)
    widths.push_back(n);
  else
    for (int64_t w : {2 * lanes, lanes, lanes / 2, 4 * lanes, 8 * lanes})
      if (n % w == 0)
        widths.push_back(w);
  // Row counts: the divisors first (so that they win ties), then, when a
  // last shorter row tile is allowed, every other count up to 16.
  SmallVector<int64_t> heights = {16, 8, 4, 2, 1};
  // Fewer than 16 rows in all: one tile of them all divides them too (13
  // rows read unpacked: 13 x 32 tiles with AVX-512 code, where the
  // divisors gave 1 x 128, which reads B once for every row).
  if (m < 16 && !llvm::is_contained(heights, m))
    heights.push_back(m);
  if (partialRows)
    for (int64_t c = 15; c >= 3; --c)
      if (!llvm::is_contained(heights, c))
        heights.push_back(c);
  std::optional<std::pair<int64_t, int64_t>> best;
  double bestRate = 0;
  int64_t bestAccumulators = 0;
  int64_t maxRows = aStride > 0 ? rowsInL1(t, aStride) : INT64_MAX;
  for (int64_t nr : widths) {
    if (nr < 4)
      continue;
    int64_t nv = llvm::divideCeil(nr, lanes);
    for (int64_t mr : heights) {
      if (mr > m || mr > maxRows || (!partialRows && m % mr != 0) ||
          mr * nv + (mr > 1 ? nv : 0) + 1 > t.registers)
        continue;
      // Result elements a cycle, the last row tile shorter where mr does
      // not divide m.
      double rate = double(m) * double(n) / tileCycles(m, n, {mr, nr}, t);
      // Ties (within 2%): the tile with more accumulators, which loads
      // fewer A and B elements per FMA. In a packed panel too large for the
      // L1, B comes from the L2 once per row tile, which stepCycles does not
      // count: 12 rows rather than 8 read it two thirds as often (1024^3
      // with AVX-512 code: 13.1 -> 11.6 ms). The 2% covers a shorter last
      // row tile: a block of 128 rows in 6 x 16 tiles (21 and one of 2
      // rows) is 1.6% slower by the model than in 5 x 16 tiles, and
      // measured 2-3% faster with AVX2 code on Zen 4 (512x1024x784 on one
      // thread: 96.5 -> 99.3 GFLOP/s, 1024^3: 89.6 -> 92.0, medians of 4).
      int64_t accumulators = mr * nv;
      if (!best || rate > bestRate * (1 + kTileTie) ||
          (rate >= bestRate * (1 - kTileTie) &&
           accumulators > bestAccumulators)) {
        best = std::make_pair(mr, nr);
        bestRate = rate;
        bestAccumulators = accumulators;
      }
    }
  }
  return best;
}

/// Whether a product's B (K x N, row-major) is worth packing into
/// contiguous Nr-column panels before its tiles read it. Each M tile reads
/// the whole K x Nr panel; unpacked, consecutive panel rows lie `stride`
/// floats apart (B's width, or that of the B it is a slice of). Packing copies
/// the panel once and pays when several M tiles (at least 3, the last of
/// which may be shorter) read it and the
/// unpacked panel cannot stay in the L1 cache: either it is over half the L1's
/// size, or its row stride maps its rows onto so few of the L1's sets that
/// fewer than K rows fit (N = 1024 floats: every row in the same set).
bool packingPays(int64_t m, int64_t k, int64_t stride, int64_t mr, int64_t nr,
                 const TargetModel &t) {
  constexpr int64_t kLine = 64;
  if (llvm::divideCeil(m, mr) < 3)
    return false;
  // A B exactly one panel wide is its own packed panel: the copy would only
  // move it, on one thread (the CNN's first weight gradient, [32, 50176] x
  // [50176, 9]: a serial copy of 1.8 MB, then its one panel's row tiles on
  // one thread).
  if (stride == nr)
    return false;
  if (k * nr * 4 > t.l1Bytes / 2)
    return true;
  int64_t sets = t.l1Bytes / (t.l1Ways * kLine);
  int64_t strideBytes = stride * 4;
  if (sets <= 0 || strideBytes % kLine != 0)
    return false;
  int64_t setsReached = sets / std::gcd(strideBytes / kLine, sets);
  return setsReached * t.l1Ways < k;
}

/// Whether an `m` x `n` product's best tile whose height divides m (what
/// an unpacked product gets) is much slower than its best tile with a
/// shorter last row tile (what a packed one gets): M prime or with only
/// small divisors. A Winograd block's 16 products have 49 rows (7 x 7
/// tiles of an image): without packing, 1 x 64 tiles; packing B (32 x 64)
/// for each costs a copy of 8 KB.
bool rowsDivideBadly(int64_t m, int64_t n, const TargetModel &t,
                     int64_t aStride) {
  std::optional<std::pair<int64_t, int64_t>> dividing =
      chooseTile(m, n, t, /*partialRows=*/false, 0, aStride);
  std::optional<std::pair<int64_t, int64_t>> partial =
      chooseTile(m, n, t, /*partialRows=*/true, 0, aStride);
  if (!partial)
    return false;
  // Also when the model finds the two as fast but the dividing tile at most
  // half as tall: a tile of one row (49 = 7 x 7) reads B once for each
  // row.
  double divided = dividing ? tileCycles(m, n, *dividing, t) : 0;
  double shorter = tileCycles(m, n, *partial, t);
  return !dividing || divided > 1.25 * shorter ||
         (2 * dividing->first <= partial->first && divided >= shorter);
}

/// Rows of A a packed product's panels are computed for at a time (its M
/// block), or 0 for all of them. Every column panel reads the whole of its
/// block of A (M_c x K), so the block is what one core keeps in its L2
/// while it runs through the panels; a panel (K x Nr) and the tiles of C
/// take the rest. A block of over half the L2 would be evicted by the
/// panels and read again from the L3 or memory for every panel (1024^3 on
/// a 2 MiB L2: 4 MiB of A, 32 times). The block is the largest divisor of
/// M (a static size for every block) that is at least 4 register tiles
/// tall and fits in half the L2; none when all of A does.
int64_t rowBlock(int64_t m, int64_t k, int64_t mr, const TargetModel &t) {
  int64_t budget = t.l2Bytes / 2;
  if (m * k * 4 <= budget)
    return 0;
  int64_t fits = budget / (k * 4);
  for (int64_t rows = std::min(fits, m / 2); rows >= 4 * mr; --rows)
    if (m % rows == 0)
      return rows;
  return 0;
}

/// The row block for a product whose panels (`nr` wide) are packed once
/// (packPanelsOnce), which a block no longer packs again: of the blocks
/// rowBlock could take (divisors of M, at least 4 tiles of `mr` tall,
/// within its budget), the one whose best tiles of width nr the model runs
/// fastest per row (tileCycles), the largest on ties. A block's last row
/// tile is shorter where Mr does not divide it, and a short one waits on
/// the FMA latency: 128 rows in AVX2 code's 6-row tiles leave 2 (131 cycles
/// a K step for 128 rows), 64 rows leave 4 (65 for 64). On Zen 4, 64-row
/// blocks against 128: 1024^3 on one thread 106.4 -> 109.2 GFLOP/s,
/// 1024x784x512 linear+ReLU 108.1 -> 110.9, on two threads 217.4 -> 221.9.
/// (Where each block packs its panels, fewer blocks pack less: AVX-512 code
/// lost 3-5% with 64-row blocks.) 0 when rowBlock takes none.
int64_t rowBlockForPanels(int64_t m, int64_t k, int64_t n, int64_t mr,
                          int64_t nr, int64_t aStride, const TargetModel &t) {
  int64_t largest = rowBlock(m, k, mr, t);
  int64_t best = largest;
  double bestCost = std::numeric_limits<double>::infinity();
  for (int64_t rows = largest; rows >= 4 * mr && rows > 0; --rows) {
    if (m % rows != 0)
      continue;
    std::optional<std::pair<int64_t, int64_t>> tile =
        chooseTile(rows, n, t, /*partialRows=*/true, nr, aStride);
    if (!tile)
      continue;
    double cost = tileCycles(rows, n, *tile, t) / double(rows);
    if (cost < bestCost * (1 - 1e-9)) {
      best = rows;
      bestCost = cost;
    }
  }
  return best;
}

/// The elementwise consumer to compute in `matmul`'s epilogue: a
/// linalg.generic with parallel iterators over the matmul's result shape
/// that reads the matmul through the identity map (a ReLU, the ReLU mask of
/// a backward pass, an optimizer's update of a weight by its gradient).
/// It must be the matmul's only such user; other users (the gradient
/// returned as well) must come after it, and get the product from the
/// fused loop nest.
linalg::GenericOp epilogueOf(linalg::MatmulOp matmul) {
  Value result = matmul.getResult(0);
  linalg::GenericOp epilogue;
  for (Operation *user : result.getUsers()) {
    auto generic = dyn_cast<linalg::GenericOp>(user);
    if (!generic || !generic.hasPureTensorSemantics() ||
        generic.getNumDpsInits() != 1 || generic.getNumLoops() != 2 ||
        generic.getNumParallelLoops() != 2 ||
        generic->getBlock() != matmul->getBlock())
      continue;
    bool identity = true;
    for (OpOperand *in : generic.getDpsInputOperands())
      if (in->get() == result &&
          !generic.getMatchingIndexingMap(in).isIdentity())
        identity = false;
    auto outType = dyn_cast<RankedTensorType>(generic.getResult(0).getType());
    if (!identity || !outType ||
        outType.getShape() !=
            cast<RankedTensorType>(result.getType()).getShape())
      continue;
    if (epilogue)
      return nullptr; // two candidates: fuse neither
    epilogue = generic;
  }
  if (!epilogue)
    return nullptr;
  for (Operation *user : result.getUsers())
    if (user != epilogue && (user->getBlock() != epilogue->getBlock() ||
                             user->isBeforeInBlock(epilogue)))
      return nullptr;
  return epilogue;
}

/// Work below which a kernel runs on one thread: forking costs a few
/// microseconds, a 64x512x10 product (0.6 MFLOP) about ten.
constexpr int64_t kParallelMinFlops = int64_t(1) << 22;
constexpr int64_t kParallelMinElements = int64_t(1) << 16;
/// B's elements above which a product runs on threads whatever its work:
/// few rows (inference at batch 1-4) by a B of 1 MiB or more read from the
/// L3 or memory, which one core's loads cannot keep up with (the
/// Quickstart's 784x512 weight: about 50 microseconds a call on one core),
/// and each core reads its own part.
constexpr int64_t kParallelMinBElements = int64_t(1) << 18;

/// The product of `sizes`, saturating at INT64_MAX (shapes come from user
/// graphs and may be absurd; this only compares against thresholds).
int64_t saturatingProduct(ArrayRef<int64_t> sizes) {
  int64_t product = 1;
  for (int64_t s : sizes)
    if (__builtin_mul_overflow(product, s, &product))
      return std::numeric_limits<int64_t>::max();
  return product;
}

/// Tiling options for the outer (M, N) tile loops: an `scf.forall` (threads
/// share the tiles, N outermost so that each thread reads its own part of
/// B) when `parallel`, else `scf.for` in (M, N) order.
scf::SCFTilingOptions outerTiling(MLIRContext *ctx, ArrayRef<int64_t> sizes,
                                  bool parallel) {
  scf::SCFTilingOptions options;
  options.setTileSizes(getAsIndexOpFoldResult(ctx, sizes));
  if (parallel) {
    options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
    options.setInterchange({1, 0});
  }
  return options;
}

/// Vectorizes `op` in place (no-op when it cannot be vectorized).
/// `gathers`: tensor.extract reads become vector gathers (else such an op
/// is left alone).
void vectorizeOp(IRRewriter &rewriter, Operation *op, bool gathers = false) {
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::VectorizationResult> vectorized = linalg::vectorize(
      rewriter, op, /*inputVectorSizes=*/{}, /*inputScalableVecDims=*/{},
      /*vectorizeNDExtract=*/gathers);
  if (succeeded(vectorized))
    rewriter.replaceOp(op, vectorized->replacements);
}

/// Tiles `op` with `options` in place; returns the tiled ops (none when
/// `op` cannot be tiled so, and is left as it was).
SmallVector<Operation *> tileInPlace(IRRewriter &rewriter, Operation *op,
                                     const scf::SCFTilingOptions &options) {
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> tiled =
      scf::tileUsingSCF(rewriter, cast<TilingInterface>(op), options);
  if (failed(tiled))
    return {};
  rewriter.replaceOp(op, tiled->replacements);
  return tiled->tiledOps;
}

/// Vectorizes the linalg ops among `ops`.
void vectorizeAll(IRRewriter &rewriter, ArrayRef<Operation *> ops) {
  for (Operation *op : ops)
    if (isa<linalg::LinalgOp>(op))
      vectorizeOp(rewriter, op);
}

/// Tiles the K dimension of a (tiled) matmul by 1 and vectorizes each step.
void tileKAndVectorize(IRRewriter &rewriter, linalg::MatmulOp matmul) {
  scf::SCFTilingOptions options;
  options.setTileSizes(getAsIndexOpFoldResult(rewriter.getContext(),
                                              ArrayRef<int64_t>{0, 0, 1}));
  vectorizeAll(rewriter, tileInPlace(rewriter, matmul, options));
}

/// Tiles `consumer` (a matmul's elementwise epilogue, or the matmul itself)
/// with `tiling` and fuses into each tile the matmul and its accumulator's
/// fill or bias broadcast, and `packed` (when not null: the transpose the
/// matmul's B comes from). Returns the tiled and fused ops, the tiled
/// consumer first.
FailureOr<SmallVector<Operation *>>
fuseIntoTiles(IRRewriter &rewriter, Operation *consumer,
              const scf::SCFTilingOptions &tiling, Operation *packed,
              ArrayRef<Operation *> alsoFused = {},
              Operation **outerLoopOut = nullptr) {
  scf::SCFTileAndFuseOptions options;
  options.setTilingOptions(tiling);
  options.setFusionControlFn(
      [consumer, packed, alsoFused](tensor::ExtractSliceOp, OpResult producer,
                                    bool isDestination)
          -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
        // The matmul and its accumulator's initialisation; a transpose
        // only when packing it (else every tile needs it whole).
        Operation *owner = producer.getOwner();
        if (!isa<linalg::MatmulOp, linalg::FillOp, linalg::BroadcastOp>(
                owner) &&
            owner != packed && !llvm::is_contained(alsoFused, owner))
          return std::nullopt;
        // A product accumulating into an earlier one (splitDepth's parts)
        // reads that one's result: computing it again in each tile would
        // undo the split.
        if (isDestination && isa<linalg::MatmulOp>(owner))
          return std::nullopt;
        scf::SCFTileAndFuseOptions::ControlFnResult result;
        // A product also used outside the epilogue (a gradient that is
        // returned as well as applied) is written out by the tiles too.
        if (isa<linalg::MatmulOp>(owner))
          result.yieldProducerReplacement = llvm::any_of(
              producer.getUsers(), [&](Operation *user) {
                return user != consumer &&
                       !isa<tensor::ExtractSliceOp>(user);
              });
        return result;
      });
  rewriter.setInsertionPoint(consumer);
  FailureOr<scf::SCFTileAndFuseResult> fused =
      scf::tileConsumerAndFuseProducersUsingSCF(
          rewriter, cast<TilingInterface>(consumer), options);
  if (failed(fused))
    return failure();
  Operation *outerLoop = fused->loops.empty() ? nullptr
                                              : fused->loops.front().getOperation();
  if (outerLoopOut)
    *outerLoopOut = outerLoop;
  for (auto [original, replacement] : fused->replacements)
    rewriter.replaceUsesWithIf(original, replacement, [&](OpOperand &use) {
      return !outerLoop || !outerLoop->isProperAncestor(use.getOwner());
    });
  return SmallVector<Operation *>(fused->tiledAndFusedOps.begin(),
                                  fused->tiledAndFusedOps.end());
}

/// Tiles `consumer` into register tiles over M and N, with the matmul and
/// its accumulator's initialisation fused into each tile (fuseIntoTiles),
/// then K one step at a time: one loop nest initialises a tile's
/// accumulator in registers, computes its product and applies the
/// epilogue, without a pass over memory for either.
LogicalResult tileAndFuse(IRRewriter &rewriter, Operation *consumer,
                          ArrayRef<int64_t> sizes, bool parallel) {
  MLIRContext *ctx = rewriter.getContext();
  int64_t rows =
      cast<ShapedType>(consumer->getResult(0).getType()).getDimSize(0);
  Operation *outerLoop = nullptr;
  FailureOr<SmallVector<Operation *>> tiledOps =
      fuseIntoTiles(rewriter, consumer, outerTiling(ctx, sizes, parallel),
                    /*packed=*/nullptr, {}, &outerLoop);
  if (failed(tiledOps))
    return failure();
  auto rowLoop = dyn_cast_or_null<scf::ForOp>(outerLoop);
  SmallVector<Operation *> ops(tiledOps->begin(), tiledOps->end());
  if (!parallel && rowLoop && rows % sizes[0] != 0) {
    // A last row tile shorter than Mr (a serial loop only, as in a packed
    // panel): peel it off, so that both the full tiles and the last one
    // have static sizes, and vectorize each.
    scf::ForOp lastTile;
    if (failed(scf::peelForLoopAndSimplifyBounds(rewriter, rowLoop, lastTile)))
      return failure();
    // The last tile runs once, from the loop's lower bound: with the bound
    // in place of its induction variable, its sizes fold to constants.
    if (lastTile)
      rewriter.replaceAllUsesWith(lastTile.getInductionVar(),
                                  lastTile.getLowerBound());
    RewritePatternSet patterns(ctx);
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::ExtractSliceOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::InsertSliceOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::CastOp::getCanonicalizationPatterns(patterns, ctx);
    ctx->getLoadedDialect<linalg::LinalgDialect>()->getCanonicalizationPatterns(
        patterns);
    affine::AffineMinOp::getCanonicalizationPatterns(patterns, ctx);
    FrozenRewritePatternSet frozen(std::move(patterns));
    ops.clear();
    for (scf::ForOp loop : {rowLoop, lastTile}) {
      if (!loop)
        continue;
      (void)applyPatternsGreedily(loop, frozen);
      loop.walk([&](linalg::LinalgOp op) { ops.push_back(op); });
    }
  }
  for (Operation *op : ops) {
    if (auto matmul = dyn_cast<linalg::MatmulOp>(op))
      tileKAndVectorize(rewriter, matmul);
    else if (isa<linalg::LinalgOp>(op))
      vectorizeOp(rewriter, op);
  }
  return success();
}

/// The square block (16 or 8) in which a `rows` x `cols` f32 transpose is
/// done in registers: one register a row, so 8 under 256-bit registers;
/// 0 when no block divides both sizes.
int64_t transposeBlock(int64_t rows, int64_t cols, int64_t vectorBits) {
  for (int64_t b : {16, 8})
    if (b * 32 <= std::max<int64_t>(vectorBits, 256) && rows % b == 0 &&
        cols % b == 0)
      return b;
  return 0;
}

/// Tiles a 2-D f32 transpose into square blocks that fit in vector
/// registers (16x16, or 8x8 when 16 does not divide both sizes or the
/// registers hold 8 floats) and
/// vectorizes each block: a block is read row by row, transposed in
/// registers with shuffles and written row by row, instead of LLVM's
/// element-wise gathers.
void vectorizeTranspose(IRRewriter &rewriter, linalg::TransposeOp op,
                        bool parallel, int64_t vectorBits) {
  auto type = dyn_cast<RankedTensorType>(op.getInit().getType());
  if (!type || type.getRank() != 2 || !type.hasStaticShape() ||
      !op.hasPureTensorSemantics() ||
      type.getElementType().getIntOrFloatBitWidth() != 32)
    return;
  int64_t block =
      transposeBlock(type.getDimSize(0), type.getDimSize(1), vectorBits);
  if (block == 0)
    return;
  scf::SCFTilingOptions options =
      outerTiling(rewriter.getContext(), {block, block},
                  parallel && saturatingProduct(type.getShape()) >= kParallelMinElements);
  vectorizeAll(rewriter, tileInPlace(rewriter, op, options));
}

/// Whether `transpose` is a 2-D, statically shaped f32 transpose on tensors
/// into a fresh tensor (a tensor.empty): what packing it into panels and
/// reading a product's A through it both need.
bool isFreshF32Transpose(linalg::TransposeOp transpose) {
  if (!transpose.hasPureTensorSemantics() ||
      !transpose.getInit().getDefiningOp<tensor::EmptyOp>())
    return false;
  auto type = cast<RankedTensorType>(transpose.getInit().getType());
  return type.getRank() == 2 && type.hasStaticShape() &&
         type.getElementType().isF32();
}

/// A transpose X^T of a 2-D f32 X into a fresh tensor that only the
/// outer-product tiles of `products` read, as their A: a training step's
/// weight gradient dY^T X. Its tiles can read X itself (readThroughTranspose)
/// instead of a transpose written out first, on one thread (it is too small
/// for threads: 64x512 at batch 64) and read back, 20 microseconds a step.
/// Only where that pays: each K step of a tile then reads Mr floats of a
/// row of X, a line of its own, where a written transpose gives it Mr lines
/// for 16 steps. Tiles of 8 rows or more (half a line a step: AVX-512
/// code's, and the classifier's 10) and an A of no row blocks (half the L2)
/// measured 2-10% faster (the transpose gone, at batch 64); AVX2 code's 4-
/// and 6-row tiles 5-15% slower, as were products of row blocks (batch
/// 1024).
bool isTransposedA(linalg::TransposeOp transpose,
                   const llvm::DenseMap<Operation *, int64_t> &products) {
  if (transpose.getPermutation() != ArrayRef<int64_t>{1, 0} ||
      !isFreshF32Transpose(transpose))
    return false;
  // Read as the products' A, directly or through slices (the parts of a
  // product split on N, splitColumns, read all of it).
  std::function<bool(Value)> onlyA = [&](Value v) {
    return !v.use_empty() && llvm::all_of(v.getUses(), [&](OpOperand &use) {
      Operation *user = use.getOwner();
      if (auto slice = dyn_cast<tensor::ExtractSliceOp>(user))
        return slice.hasUnitStride() && slice.getType().getRank() == 2 &&
               onlyA(slice.getResult());
      auto product = products.find(user);
      return product != products.end() && product->second * 4 >= 32 &&
             use.getOperandNumber() == 0;
    });
  };
  return onlyA(transpose->getResult(0));
}

/// Whether `read` stays within its source, being so marked or seen to be
/// (a constant index, the vector within the source's static size). Tiles
/// read their slices whole, unmarked: read from the whole tensor instead,
/// a dim out of bounds would read the tensor's next elements, not the
/// padding.
bool readInBounds(vector::TransferReadOp read) {
  auto source = cast<ShapedType>(read.getBase().getType());
  VectorType type = read.getVectorType();
  for (auto [i, expr] :
       llvm::enumerate(read.getPermutationMap().getResults())) {
    auto dim = dyn_cast<AffineDimExpr>(expr);
    if (!dim)
      continue; // a broadcast dim
    unsigned j = dim.getPosition();
    std::optional<int64_t> index = getConstantIntValue(read.getIndices()[j]);
    if (!read.isDimInBounds(i) &&
        !(index && !source.isDynamicDim(j) &&
          *index + type.getDimSize(i) <= source.getDimSize(j)))
      return false;
  }
  return true;
}

/// Rewrites every vector read of `transpose`'s result (directly or through
/// unit-stride slices) into a read of its input X through the transposed
/// permutation map (the read's own, its two source dims swapped): an [i, k]
/// read of mr x 1 becomes a contiguous read of X's row k (the tiles' A
/// elements are broadcast from there). The transpose and the slices are
/// erased. False, with nothing changed, when some use is not such a read.
bool readThroughTranspose(IRRewriter &rewriter, linalg::TransposeOp transpose) {
  struct Read {
    vector::TransferReadOp op;
    SmallVector<tensor::ExtractSliceOp> slices; // outermost first
  };
  SmallVector<Read> reads;
  SmallVector<tensor::ExtractSliceOp> allSlices;
  std::function<bool(Value, SmallVector<tensor::ExtractSliceOp> &)> collect =
      [&](Value v, SmallVector<tensor::ExtractSliceOp> &path) {
        for (Operation *user : v.getUsers()) {
          if (auto read = dyn_cast<vector::TransferReadOp>(user)) {
            if (read.getMask() || !readInBounds(read))
              return false;
            reads.push_back({read, path});
            continue;
          }
          auto slice = dyn_cast<tensor::ExtractSliceOp>(user);
          if (!slice || !slice.hasUnitStride() ||
              slice.getType().getRank() != 2)
            return false;
          allSlices.push_back(slice);
          path.push_back(slice);
          if (!collect(slice.getResult(), path))
            return false;
          path.pop_back();
        }
        return true;
      };
  SmallVector<tensor::ExtractSliceOp> path;
  if (!collect(transpose->getResult(0), path))
    return false;
  Value x = transpose.getInput();
  MLIRContext *ctx = rewriter.getContext();
  AffineMap swap = AffineMap::get(
      2, 0, {getAffineDimExpr(1, ctx), getAffineDimExpr(0, ctx)}, ctx);
  for (Read &read : reads) {
    rewriter.setInsertionPoint(read.op);
    Location loc = read.op.getLoc();
    // The read's index into X^T: its own plus its slices' offsets.
    SmallVector<OpFoldResult> index = getAsOpFoldResult(read.op.getIndices());
    for (tensor::ExtractSliceOp slice : read.slices)
      for (auto [i, offset] : llvm::enumerate(slice.getMixedOffsets())) {
        AffineExpr a, b;
        bindSymbols(ctx, a, b);
        index[i] = affine::makeComposedFoldedAffineApply(rewriter, loc, a + b,
                                                         {index[i], offset});
      }
    SmallVector<Value> xIndex = {
        getValueOrCreateConstantIndexOp(rewriter, loc, index[1]),
        getValueOrCreateConstantIndexOp(rewriter, loc, index[0])};
    auto replacement = vector::TransferReadOp::create(
        rewriter, loc, read.op.getVectorType(), x, xIndex,
        read.op.getPermutationMap().compose(swap), read.op.getPadding(),
        /*mask=*/Value(),
        rewriter.getBoolArrayAttr(
            SmallVector<bool>(read.op.getVectorType().getRank(), true)));
    rewriter.replaceOp(read.op, replacement.getResult());
  }
  for (tensor::ExtractSliceOp slice : llvm::reverse(allSlices))
    rewriter.eraseOp(slice);
  rewriter.eraseOp(transpose);
  return true;
}

/// The transpose a product's B comes from, when packing it into the
/// product's column panels pays: a 2-D f32 weight transpose into a fresh
/// tensor whose only user is this product, with a register block size (16
/// or 8) dividing K and the panel width `nr`. Else null.
linalg::TransposeOp packableTranspose(linalg::MatmulOp op, int64_t nr,
                                      int64_t vectorBits) {
  auto transpose = op.getDpsInputs()[1].getDefiningOp<linalg::TransposeOp>();
  if (!transpose || !transpose->hasOneUse() || !isFreshF32Transpose(transpose))
    return nullptr;
  auto type = cast<RankedTensorType>(transpose.getInit().getType());
  return transposeBlock(type.getDimSize(0), nr, vectorBits) ? transpose
                                                            : nullptr;
}

/// The distance in elements between consecutive rows of 2-D `b` in
/// memory: its width, or that of the tensor it is a slice of (a part of a
/// product split on N reads a slice of B).
int64_t rowStride(Value b) {
  if (auto slice = b.getDefiningOp<tensor::ExtractSliceOp>())
    return cast<RankedTensorType>(slice.getSource().getType()).getDimSize(1);
  return cast<RankedTensorType>(b.getType()).getDimSize(1);
}

/// Makes `matmul` read its B through a copy into a fresh tensor, which
/// tileAndFusePacked then fuses into each column panel: the panel's rows
/// become contiguous. Returns the copy.
Operation *insertPackingCopy(IRRewriter &rewriter, linalg::MatmulOp matmul) {
  Value b = matmul.getDpsInputs()[1];
  auto type = cast<RankedTensorType>(b.getType());
  rewriter.setInsertionPoint(matmul);
  Value empty = tensor::EmptyOp::create(rewriter, matmul.getLoc(),
                                        type.getShape(), type.getElementType());
  auto copy = linalg::CopyOp::create(rewriter, matmul.getLoc(), b, empty);
  rewriter.modifyOpInPlace(
      matmul, [&] { matmul.getDpsInputOperands()[1]->set(copy.getResult(0)); });
  return copy;
}

/// A copy through indexing maps: result index i reads `source` at index
/// (i[from[0]], i[from[1]], ...).
struct LayoutCopy {
  Value source;
  SmallVector<int64_t> from;
};

/// `def` as a LayoutCopy when it is a linalg.copy, a linalg.transpose or a
/// transposing copy (a generic reading one input through a permutation,
/// writing in loop order, the body only yielding it), on tensors.
std::optional<LayoutCopy> layoutCopy(Operation *def) {
  LayoutCopy layout;
  if (auto copy = dyn_cast<linalg::CopyOp>(def)) {
    if (!copy.hasPureTensorSemantics())
      return std::nullopt;
    layout.source = copy.getInputs()[0];
    int64_t rank = cast<ShapedType>(layout.source.getType()).getRank();
    layout.from = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  } else if (auto transpose = dyn_cast<linalg::TransposeOp>(def)) {
    if (!transpose.hasPureTensorSemantics())
      return std::nullopt;
    layout.source = transpose.getInput();
    ArrayRef<int64_t> perm = transpose.getPermutation();
    layout.from.assign(perm.size(), 0);
    for (size_t j = 0; j < perm.size(); ++j)
      layout.from[perm[j]] = static_cast<int64_t>(j);
  } else if (auto generic = dyn_cast<linalg::GenericOp>(def)) {
    if (!generic.hasPureTensorSemantics() || generic.getNumDpsInputs() != 1 ||
        generic.getNumDpsInits() != 1 ||
        generic.getNumParallelLoops() != generic.getNumLoops())
      return std::nullopt;
    Block &body = generic.getRegion().front();
    auto yield = cast<linalg::YieldOp>(body.getTerminator());
    if (body.getOperations().size() != 1 ||
        yield.getValues()[0] != body.getArgument(0))
      return std::nullopt;
    SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
    if (!maps[1].isIdentity() || !maps[0].isPermutation())
      return std::nullopt;
    layout.source = generic.getDpsInputs()[0];
    for (AffineExpr e : maps[0].getResults())
      layout.from.push_back(cast<AffineDimExpr>(e).getPosition());
  } else {
    return std::nullopt;
  }
  return layout;
}

/// B's panels when the graph passes B in packed already: B (K x N) is the
/// collapse_shape [[0], [1, 2]] of a transpose [1, 0, 2] of X, a static f32
/// [N / w, K, w] tensor, so X[p, k, j] = B[k, p * w + j] (an inference
/// linear layer's weight as the frontend's weight cache keeps it, see
/// compiler::prepackedPanelWidth). X, else null.
Value givenPanels(Value b) {
  auto collapse = b.getDefiningOp<tensor::CollapseShapeOp>();
  if (!collapse || collapse.getSrcType().getRank() != 3 ||
      collapse.getReassociationIndices() !=
          SmallVector<ReassociationIndices>{{0}, {1, 2}})
    return nullptr;
  Operation *def = collapse.getSrc().getDefiningOp();
  std::optional<LayoutCopy> layout = def ? layoutCopy(def) : std::nullopt;
  if (!layout || layout->from != ArrayRef<int64_t>{1, 0, 2})
    return nullptr;
  auto type = cast<RankedTensorType>(layout->source.getType());
  return type.hasStaticShape() && type.getElementType().isF32() ? layout->source
                                                                : nullptr;
}

/// Elements of a constant B prepackConstant packs at most (64 MiB of f32).
constexpr int64_t kMaxPrepackedElements = int64_t(1) << 24;

/// The values of `v`, a statically shaped f32 tensor computed from an
/// arith.constant by layout changes only (transposes, transposing copies,
/// reshapes: an inference graph's weight on its way to a product), in
/// row-major order; nullopt for anything else, or one of more than
/// kMaxPrepackedElements elements.
std::optional<std::vector<float>> constantValues(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type || !type.hasStaticShape() || !type.getElementType().isF32() ||
      saturatingProduct(type.getShape()) > kMaxPrepackedElements)
    return std::nullopt;
  Operation *def = v.getDefiningOp();
  if (!def)
    return std::nullopt;
  if (auto constant = dyn_cast<arith::ConstantOp>(def)) {
    auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
    if (!dense)
      return std::nullopt;
    auto values = dense.getValues<float>();
    return std::vector<float>(values.begin(), values.end());
  }
  if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(def))
    return constantValues(def->getOperand(0));
  std::optional<LayoutCopy> layout = layoutCopy(def);
  if (!layout)
    return std::nullopt;
  auto [source, from] = *layout;
  std::optional<std::vector<float>> in = constantValues(source);
  if (!in)
    return std::nullopt;
  ArrayRef<int64_t> shape = type.getShape();
  auto sourceShape = cast<RankedTensorType>(source.getType()).getShape();
  int64_t rank = type.getRank();
  // Row-major strides of the source, taken along each result dim.
  SmallVector<int64_t> sourceStrides(rank, 1), strideOf(rank, 0);
  for (int64_t d = rank - 2; d >= 0; --d)
    sourceStrides[d] = sourceStrides[d + 1] * sourceShape[d + 1];
  for (int64_t d = 0; d < rank; ++d)
    strideOf[from[d]] = sourceStrides[d];
  std::vector<float> out(in->size());
  SmallVector<int64_t> index(rank, 0);
  int64_t at = 0;
  for (float &value : out) {
    value = (*in)[at];
    for (int64_t d = rank - 1; d >= 0; --d) {
      at += strideOf[d];
      if (++index[d] < shape[d])
        break;
      at -= strideOf[d] * shape[d];
      index[d] = 0;
    }
  }
  return out;
}

/// For a product whose B (K x N) is known at compile time, its `values`
/// (constantValues: a constant weight of an inference graph, as graphc's
/// are), and whose N the panel width `nr` divides: B packed once, now, into
/// its column panels, a constant [N / nr, K, nr] that every call reads
/// instead of packing B again (tileAndFusePacked reads each panel from
/// it). `matmul` then reads B as a constant of its own and through a
/// packing copy (insertPackingCopy), which the panels replace; `copy` is
/// set to that copy. Null (and nothing changed) otherwise.
Value prepackConstant(IRRewriter &rewriter, linalg::MatmulOp matmul, int64_t nr,
                      ArrayRef<float> values, Operation *&copy) {
  Value b = matmul.getDpsInputs()[1];
  auto type = cast<RankedTensorType>(b.getType());
  int64_t k = type.getDimSize(0), n = type.getDimSize(1);
  if (nr <= 0 || n % nr != 0)
    return nullptr;
  std::vector<float> panels(values.size());
  for (int64_t p = 0; p < n / nr; ++p)
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < nr; ++j)
        panels[(p * k + i) * nr + j] = values[i * n + p * nr + j];
  Location loc = matmul.getLoc();
  rewriter.setInsertionPoint(matmul);
  auto panelsType =
      RankedTensorType::get({n / nr, k, nr}, rewriter.getF32Type());
  Value packed = arith::ConstantOp::create(
      rewriter, loc,
      DenseElementsAttr::get(panelsType, ArrayRef<float>(panels)));
  // The product reads B as one constant (the packing copy's source, which
  // the panels replace), and the ops that computed it go.
  Value plain = arith::ConstantOp::create(rewriter, loc,
                                          DenseElementsAttr::get(type, values));
  rewriter.modifyOpInPlace(
      matmul, [&] { matmul.getDpsInputOperands()[1]->set(plain); });
  mlir::ember::eraseDeadProducers(rewriter, b);
  copy = insertPackingCopy(rewriter, matmul);
  return packed;
}

/// B's panels [N / nr, K, nr] as `source` (a static 2-D tensor) expanded to
/// `rows` by `groups`, then transposed by `permutation`, tiled a panel at a
/// time (an scf.forall over the panels when `parallel`). Returns the panels
/// and the tiles' transposes (none when it could not be tiled: the one
/// transpose of all of it).
std::pair<Value, SmallVector<Operation *>>
panelLoop(IRRewriter &rewriter, Location loc, Value source,
          ArrayRef<int64_t> rows, ArrayRef<ReassociationIndices> groups,
          ArrayRef<int64_t> permutation, bool parallel) {
  Type element = cast<RankedTensorType>(source.getType()).getElementType();
  Value expanded = tensor::ExpandShapeOp::create(
      rewriter, loc, RankedTensorType::get(rows, element), source, groups);
  SmallVector<int64_t> shape =
      llvm::map_to_vector(permutation, [&](int64_t d) { return rows[d]; });
  Value empty = tensor::EmptyOp::create(rewriter, loc, shape, element);
  auto pack =
      linalg::TransposeOp::create(rewriter, loc, expanded, empty, permutation);
  scf::SCFTilingOptions byPanel;
  byPanel.setTileSizes(getAsIndexOpFoldResult(rewriter.getContext(),
                                              ArrayRef<int64_t>{1, 0, 0}));
  if (parallel)
    byPanel.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(pack.getOperation()), byPanel);
  if (failed(tiled))
    return {pack->getResult(0), {}};
  rewriter.replaceOp(pack, tiled->replacements);
  return {tiled->replacements.front(), tiled->tiledOps};
}

/// For a product packed through `copy` (insertPackingCopy) whose column
/// panels of width `nr` are each read by several blocks of rows (rowBlock):
/// B's panels, [N / nr, K, nr] (X[p, k, j] = B[k, p * nr + j]), packed once
/// before the product, which tileAndFusePacked then reads as it reads a
/// prepacked constant's, instead of every row block packing every panel
/// again. The copy reads a panel's K rows from as many lines of B, from the
/// L2 or beyond; repeated for each block, it cost the most where A is tall
/// (1024^3 with AVX2 code on Zen 4, one thread, B packed for each of 8 row
/// blocks: 99.5 -> 108.9 GFLOP/s; 512x1024x512, 4 blocks: 103 -> 110).
/// The panels are copied a row (nr floats) at a time, in an scf.forall
/// over the panels when `parallel`. Null (nothing changed) when nr does not
/// divide N, or B is over kMaxPrepackedElements (the panels are a second
/// B).
/// Only for f32 panels of at most one cache line a row, outside another
/// parallel loop (the caller): a block's copy costs a strided fetch per row
/// of B, and 32-float panels (AVX-512 code) have two lines a row, so half
/// the fetches per float. There, packing once gained 1-6% on one thread but
/// lost on two (512x1024x512: 190 or 222 GFLOP/s from one process to the
/// next, against 215 packing each block's panels): each thread reads every
/// panel, half of them written by the other core just before. In another
/// parallel loop's body the panels would be a heap allocation on its
/// threads (ember-cpu-stack-parallel-temporaries keeps only small ones on
/// the stack).
Value packPanelsOnce(IRRewriter &rewriter, linalg::CopyOp copy, int64_t nr,
                     bool parallel) {
  Value b = copy.getInputs()[0];
  auto type = dyn_cast<RankedTensorType>(b.getType());
  if (!type || !type.hasStaticShape() || type.getRank() != 2 || nr <= 0 ||
      type.getDimSize(1) % nr != 0 ||
      saturatingProduct(type.getShape()) > kMaxPrepackedElements)
    return nullptr;
  int64_t k = type.getDimSize(0), n = type.getDimSize(1);
  Location loc = copy.getLoc();
  rewriter.setInsertionPoint(copy);
  auto [panels, tiles] = panelLoop(rewriter, loc, b, {k, n / nr, nr},
                                   {{0}, {1, 2}}, {1, 0, 2}, parallel);
  scf::SCFTilingOptions byRow;
  byRow.setTileSizes(getAsIndexOpFoldResult(rewriter.getContext(),
                                            ArrayRef<int64_t>{1, 1, 0}));
  for (Operation *panel : tiles)
    vectorizeAll(rewriter, tileInPlace(rewriter, panel, byRow));
  return panels;
}

/// packPanelsOnce for a product whose B is a weight W [N, K] transposed in
/// the graph (`transpose`, which packableTranspose took): the panels
/// X[p, k, j] = W[p * nr + j, k], each the transpose of nr rows of W in
/// register blocks (vectorizeTranspose), in an scf.forall over the panels
/// when `parallel`. Null (nothing changed) when nr does not divide N, W is
/// over kMaxPrepackedElements, or the transpose is not [1, 0].
Value packTransposedPanelsOnce(IRRewriter &rewriter,
                               linalg::TransposeOp transpose, int64_t nr,
                               bool parallel, int64_t vectorBits) {
  Value w = transpose.getInput();
  auto type = dyn_cast<RankedTensorType>(w.getType());
  if (!type || !type.hasStaticShape() || type.getRank() != 2 || nr <= 0 ||
      type.getDimSize(0) % nr != 0 ||
      saturatingProduct(type.getShape()) > kMaxPrepackedElements ||
      transpose.getPermutation() != ArrayRef<int64_t>{1, 0})
    return nullptr;
  int64_t n = type.getDimSize(0), k = type.getDimSize(1);
  Location loc = transpose.getLoc();
  rewriter.setInsertionPoint(transpose);
  SmallVector<ReassociationIndices> unit = {{0, 1}, {2}};
  auto [panels, tiles] =
      panelLoop(rewriter, loc, w, {n / nr, nr, k}, unit, {0, 2, 1}, parallel);
  // Each panel's [1, nr, K] -> [1, K, nr] as the 2-D transpose it is, into
  // its part of the panels.
  for (Operation *op : tiles) {
    auto panel = cast<linalg::TransposeOp>(op);
    rewriter.setInsertionPoint(panel);
    Value in =
        tensor::CollapseShapeOp::create(rewriter, loc, panel.getInput(), unit);
    Value out =
        tensor::CollapseShapeOp::create(rewriter, loc, panel.getInit(), unit);
    auto flat = linalg::TransposeOp::create(rewriter, loc, in, out,
                                            ArrayRef<int64_t>{1, 0});
    Value result = tensor::ExpandShapeOp::create(
        rewriter, loc, panel->getResult(0).getType(), flat->getResult(0), unit);
    rewriter.replaceOp(panel, result);
    vectorizeTranspose(rewriter, flat, /*parallel=*/false, vectorBits);
  }
  return panels;
}

/// Replaces `copy`, a packing copy of a column panel of a prepacked B
/// (extract_slice B[0, j][K, nr], j a multiple of nr), by that panel of
/// `panels` (prepackConstant's). False when `copy` is not such a copy.
bool readPrepackedPanel(IRRewriter &rewriter, linalg::CopyOp copy,
                        Value panels) {
  auto slice = copy.getInputs()[0].getDefiningOp<tensor::ExtractSliceOp>();
  auto panelsType = cast<RankedTensorType>(panels.getType());
  int64_t k = panelsType.getDimSize(1), nr = panelsType.getDimSize(2);
  if (!slice || slice.getType().getShape() != ArrayRef<int64_t>{k, nr} ||
      !slice.hasUnitStride() ||
      !isConstantIntValue(slice.getMixedOffsets()[0], 0))
    return false;
  Location loc = copy.getLoc();
  rewriter.setInsertionPoint(copy);
  OpFoldResult column = slice.getMixedOffsets()[1];
  AffineExpr j = rewriter.getAffineSymbolExpr(0);
  OpFoldResult panel = affine::makeComposedFoldedAffineApply(
      rewriter, loc, j.floorDiv(nr), {column});
  OpFoldResult zero = rewriter.getIndexAttr(0), one = rewriter.getIndexAttr(1);
  Value read = tensor::ExtractSliceOp::create(
      rewriter, loc, slice.getType(), panels,
      ArrayRef<OpFoldResult>{panel, zero, zero},
      ArrayRef<OpFoldResult>{one, rewriter.getIndexAttr(k),
                             rewriter.getIndexAttr(nr)},
      ArrayRef<OpFoldResult>{one, one, one});
  rewriter.replaceOp(copy, read);
  mlir::ember::eraseDeadProducers(rewriter, slice.getResult());
  return true;
}

/// Packing for a product whose B is a weight transposed in the graph (a
/// training step's forward): `consumer` is tiled into column panels of
/// `sizes[1]` (an scf.forall, one panel per iteration, when `parallel`;
/// else a serial loop, as in a block of blockWindowProduct's), with the
/// transpose
/// of the weight's rows for that panel fused in, into a panel-sized
/// temporary; then each panel into register tiles (tileAndFuse). A panel
/// (K x Nr, 100 KB for 784 x 32) is transposed and read while it is in the
/// core's cache, instead of the whole transposed weight going out to memory
/// and back; and one parallel region replaces two.
LogicalResult tileAndFusePacked(IRRewriter &rewriter, Operation *consumer,
                                Operation *packed, ArrayRef<int64_t> sizes,
                                int64_t rowBlock, bool parallel,
                                int64_t vectorBits, Value panels) {
  SmallVector<int64_t> panel(sizes.size(), 0);
  panel[0] = rowBlock;
  panel[1] = sizes[1];
  scf::SCFTilingOptions tiling;
  tiling.setTileSizes(getAsIndexOpFoldResult(rewriter.getContext(), panel));
  if (parallel)
    tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  FailureOr<SmallVector<Operation *>> tiledOps =
      fuseIntoTiles(rewriter, consumer, tiling, packed);
  if (failed(tiledOps) || tiledOps->empty())
    return failure();
  for (Operation *op : *tiledOps) {
    auto pack = dyn_cast<linalg::LinalgOp>(op);
    if (!pack || !isa<linalg::TransposeOp, linalg::CopyOp>(op))
      continue;
    // A prepacked B: the panel is read as it is, nothing copied.
    if (auto copy = dyn_cast<linalg::CopyOp>(op);
        copy && panels && readPrepackedPanel(rewriter, copy, panels))
      continue;
    // The panel's own temporary, not a slice of the whole packed B.
    mlir::ember::giveOwnTemporary(rewriter, pack);
    if (auto transpose = dyn_cast<linalg::TransposeOp>(op)) {
      vectorizeTranspose(rewriter, transpose, /*parallel=*/false, vectorBits);
    } else {
      // A copy: one panel row (Nr floats) a step, not one vector of the
      // whole panel.
      scf::SCFTilingOptions rows;
      rows.setTileSizes(getAsIndexOpFoldResult(rewriter.getContext(),
                                               ArrayRef<int64_t>{1, 0}));
      vectorizeAll(rewriter, tileInPlace(rewriter, op, rows));
    }
  }
  // The original ops are gone: from here on a panel that cannot be tiled
  // further stays as it is (correct, left to the loop lowering).
  (void)tileAndFuse(rewriter, tiledOps->front(), sizes, /*parallel=*/false);
  return success();
}

/// Splits a large generic or fill whose first loop is parallel (an
/// optimizer update, a gradient scaling; a reduction over inner loops, such
/// as a pooling window's index; the -inf start of that reduction, whose
/// fill on one thread cost the CNN's step 3-4 ms of 33 on two threads)
/// into blocks of that loop shared by threads (of
/// the first loop longer than 1): at least 8 blocks of whole rows, each
/// left to the loop lowering (and LLVM's vectorizer) as before. The work
/// counted is every loop's.
/// Blocks divide the rows evenly when 8 to 64 blocks can (the largest such
/// block); otherwise there are 8, the last one shorter. The search is a
/// fixed number of steps, whatever the number of rows.
void parallelizeElementwise(IRRewriter &rewriter, linalg::LinalgOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumLoops() == 0 ||
      op->getParentOfType<LoopLikeOpInterface>())
    return;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (ranges.empty() || llvm::any_of(ranges, ShapedType::isDynamic))
    return;
  // The first loop of more than one step (an im2col's leading dim is its
  // one group), which must be parallel.
  size_t dim = 0;
  while (dim + 1 < ranges.size() && ranges[dim] == 1)
    ++dim;
  int64_t total = saturatingProduct(ranges);
  int64_t rows = ranges[dim];
  if (total < kParallelMinElements || rows < 2 ||
      op.getIteratorTypesArray()[dim] != utils::IteratorType::parallel)
    return;
  constexpr int64_t kMinBlocks = 8, kMaxBlocks = 64;
  int64_t block = llvm::divideCeil(rows, std::min(rows, kMinBlocks));
  for (int64_t n = kMinBlocks; n <= std::min(rows, kMaxBlocks); ++n)
    if (rows % n == 0) {
      block = rows / n;
      break;
    }
  SmallVector<int64_t> sizes(ranges.size(), 0);
  sizes[dim] = block;
  scf::SCFTilingOptions options;
  options.setTileSizes(getAsIndexOpFoldResult(rewriter.getContext(), sizes));
  options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  (void)tileInPlace(rewriter, op, options);
}

/// Innermost loops shorter than this (in elements) are joined with the
/// loops before them where every operand allows (collapseShortRows).
constexpr int64_t kShortRow = 64;

/// `map` with the results that are constants dropped (a per-channel
/// operand [1, C, 1, 1] read as (0, c, 0, 0) becomes (c)), and the
/// reassociation collapsing the operand's type accordingly: each constant
/// dim joins the group of the dim before it (the first dim's group when
/// leading). Nullopt when a constant result is not 0 or its dim is not 1.
std::optional<std::pair<AffineMap, SmallVector<ReassociationIndices>>>
withoutConstantUnitDims(AffineMap map, ShapedType type) {
  SmallVector<AffineExpr> kept;
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices pending;
  for (auto [i, expr] : llvm::enumerate(map.getResults())) {
    if (auto constant = dyn_cast<AffineConstantExpr>(expr)) {
      if (constant.getValue() != 0 || type.getDimSize(i) != 1)
        return std::nullopt;
      if (groups.empty())
        pending.push_back(i);
      else
        groups.back().push_back(i);
      continue;
    }
    groups.push_back(pending);
    groups.back().push_back(i);
    pending.clear();
    kept.push_back(expr);
  }
  return std::make_pair(
      AffineMap::get(map.getNumDims(), 0, kept, map.getContext()), groups);
}

/// Whether `value`'s dims `dims` are contiguous in the buffer it will be:
/// a collapse of them is then a view once bufferized, not a copy. A value
/// not made by tensor.extract_slice is a whole tensor; a slice must take
/// every dim after the first whole, and the first with stride 1, of a
/// source whose own dims are contiguous.
bool contiguousDims(Value value, ArrayRef<int64_t> dims) {
  auto slice = value.getDefiningOp<tensor::ExtractSliceOp>();
  if (!slice)
    return true;
  if (!slice.getDroppedDims().none() || dims.empty())
    return false;
  ArrayRef<int64_t> source = slice.getSourceType().getShape();
  if (!isConstantIntValue(slice.getMixedStrides()[dims.front()], 1))
    return false;
  for (int64_t d : dims.drop_front())
    if (!isConstantIntValue(slice.getMixedOffsets()[d], 0) ||
        !isConstantIntValue(slice.getMixedStrides()[d], 1) ||
        ShapedType::isDynamic(source[d]) ||
        slice.getStaticSizes()[d] != source[d])
      return false;
  return contiguousDims(slice.getSource(), dims);
}

/// Joins the innermost loop of an all-parallel generic outside any loop,
/// when it is shorter than kShortRow, with the loops before it that every
/// operand reads contiguously with it (the H x W of an [N, C, H, W]
/// elementwise pass with a per-channel operand, 28 x 28 -> 784), so that
/// the loop LLVM vectorizes is long. With a short innermost loop, LLVM
/// unrolls it and vectorizes the loop around it, across rows: with
/// gathers where its cost model takes them to be cheap (Zen 4), which made
/// five such passes of the CNN's step 2-3 times slower with AVX-512 code
/// than with AVX2 code. Bodies reading indices or through extracts are
/// left as they are (collapsing would turn each index into divisions).
/// Returns the op that replaces `op` (or `op`).
linalg::GenericOp collapseShortRows(IRRewriter &rewriter,
                                    linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumLoops() < 2 ||
      op.getNumParallelLoops() != op.getNumLoops() ||
      op->getParentOfType<LoopLikeOpInterface>())
    return op;
  // A result the function returns stays as it is: returned through the
  // reshape back, it would be computed into a temporary and copied into
  // the caller's buffer instead of written there.
  for (Value result : op->getResults())
    for (Operation *user : result.getUsers())
      if (user->hasTrait<OpTrait::ReturnLike>())
        return op;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  // (A shape whose elements overflow an index is left alone.)
  if (llvm::any_of(ranges, ShapedType::isDynamic) ||
      ranges.back() >= kShortRow ||
      saturatingProduct(ranges) == std::numeric_limits<int64_t>::max() ||
      llvm::any_of(op.getBody()->getOperations(), [](Operation &o) {
        return isa<linalg::IndexOp, tensor::ExtractOp>(o);
      }))
    return op;
  // Every operand's map as a projected permutation, constant unit dims
  // dropped.
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  SmallVector<std::optional<SmallVector<ReassociationIndices>>> reshapes(
      maps.size());
  for (OpOperand &operand : op->getOpOperands()) {
    unsigned i = operand.getOperandNumber();
    if (maps[i].isProjectedPermutation())
      continue;
    auto type = dyn_cast<RankedTensorType>(operand.get().getType());
    if (op.isDpsInit(&operand) || !type ||
        !maps[i].isProjectedPermutation(/*allowZeroInResults=*/true))
      return op;
    auto dropped = withoutConstantUnitDims(maps[i], type);
    if (!dropped)
      return op;
    maps[i] = dropped->first;
    reshapes[i] = dropped->second;
  }
  // The longest run of loops ending with the innermost that every operand
  // reads contiguously, in order.
  unsigned last = op.getNumLoops() - 1, first = last;
  auto contiguous = [&](unsigned from) {
    ReassociationIndices group(last - from + 1);
    std::iota(group.begin(), group.end(), from);
    if (!linalg::areDimSequencesPreserved(maps, {group}))
      return false;
    for (OpOperand &operand : op->getOpOperands()) {
      // The operand's dims the loops are (when it reads them all).
      SmallVector<int64_t> dims;
      for (unsigned loop : group)
        if (std::optional<unsigned> d =
                maps[operand.getOperandNumber()].getResultPosition(
                    getAffineDimExpr(loop, op.getContext())))
          dims.push_back(*d);
      // (An operand losing its constant unit dims must be whole: its dims
      // here are those of the collapsed operand.)
      if (reshapes[operand.getOperandNumber()]
              ? operand.get().getDefiningOp<tensor::ExtractSliceOp>() != nullptr
              : !contiguousDims(operand.get(), dims))
        return false;
    }
    return true;
  };
  while (first > 0 && contiguous(first - 1))
    --first;
  if (first == last)
    return op;
  // Drop the constant unit dims now that the loops will be joined.
  rewriter.setInsertionPoint(op);
  rewriter.modifyOpInPlace(op, [&] {
    for (OpOperand &operand : op->getOpOperands())
      if (reshapes[operand.getOperandNumber()])
        operand.set(tensor::CollapseShapeOp::create(
            rewriter, op.getLoc(), operand.get(),
            *reshapes[operand.getOperandNumber()]));
    op.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
  });
  ReassociationIndices group(last - first + 1);
  std::iota(group.begin(), group.end(), first);
  FailureOr<linalg::CollapseResult> collapsed =
      linalg::collapseOpIterationDims(op, {group}, rewriter);
  if (failed(collapsed))
    return op;
  rewriter.replaceOp(op, collapsed->results);
  return cast<linalg::GenericOp>(collapsed->collapsedOp.getOperation());
}

/// Whether `op` copies its one input through windows (a map with sums of
/// dims, as an im2col reads `oh + kh`) into its result, with the innermost
/// loop contiguous in both: the input map's last result is the last loop,
/// which no other result reads. LLVM does not vectorize such loops (the
/// source and destination may alias as far as it can tell): an im2col ran
/// as scalar moves.
bool isWindowCopy(linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInputs() != 1 ||
      op.getNumDpsInits() != 1 || op.getNumLoops() < 2 ||
      op.getNumParallelLoops() != op.getNumLoops())
    return false;
  auto yield = cast<linalg::YieldOp>(op.getBody()->getTerminator());
  if (op.getBody()->getOperations().size() != 1 ||
      yield.getOperand(0) != op.getBody()->getArgument(0))
    return false;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (llvm::any_of(ranges, ShapedType::isDynamic) || ranges.back() < 8)
    return false;
  AffineMap in = op.getIndexingMapsArray()[0];
  unsigned last = op.getNumLoops() - 1;
  if (!op.getIndexingMapsArray()[1].isIdentity() ||
      in.isProjectedPermutation() || in.getNumResults() == 0 ||
      in.getResults().back() != getAffineDimExpr(last, op.getContext()))
    return false;
  for (AffineExpr result : in.getResults().drop_back())
    if (result.isFunctionOfDim(last))
      return false;
  return true;
}

/// Whether `op` is an all-parallel generic of several results whose every
/// operand is read and written contiguously along the innermost loop (each
/// map's last result is that loop, which no other result reads), at least
/// 8 long, with no tensor.extract in its body: a Winograd transform's
/// (16 inputs, 16 or 4 results). LLVM vectorizes none of these (any of
/// the results may alias any operand as far as it can tell); a row of
/// each is a few vector reads, additions and writes.
bool isMultiResultRows(linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInits() < 2 ||
      op.getNumLoops() == 0 || op.getNumParallelLoops() != op.getNumLoops())
    return false;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (llvm::any_of(ranges, ShapedType::isDynamic) || ranges.back() < 8)
    return false;
  unsigned last = op.getNumLoops() - 1;
  AffineExpr lastDim = getAffineDimExpr(last, op.getContext());
  for (AffineMap map : op.getIndexingMapsArray()) {
    if (map.getNumResults() == 0 || map.getResults().back() != lastDim)
      return false;
    for (AffineExpr result : map.getResults().drop_back())
      if (result.isFunctionOfDim(last))
        return false;
  }
  return llvm::none_of(op.getBody()->getOperations(),
                       [](Operation &o) { return isa<tensor::ExtractOp>(o); });
}

/// Makes each result of `op` (in an scf.forall) that the forall's
/// terminator inserts into a shared output, and whose init is a
/// tensor.empty, be computed in place: its init becomes the slice it is
/// inserted into. Upstream's elementwise fusion gives every generic that
/// does not read its destination a tensor.empty (RemoveOutsDependency), and
/// bufferization then computes such a result in a temporary and copies it
/// into place: a Winograd block's four outputs were copied in and out.
void computeInPlace(IRRewriter &rewriter, linalg::GenericOp op) {
  auto forall = dyn_cast<scf::ForallOp>(op->getParentOp());
  if (!forall || !op.hasPureTensorSemantics() || op.getNumReductionLoops() != 0)
    return;
  for (OpResult result : op->getResults()) {
    OpOperand *init = op.getDpsInitOperand(result.getResultNumber());
    // Every element written (a permutation), none read.
    if (!result.hasOneUse() || !init->get().getDefiningOp<tensor::EmptyOp>() ||
        !op.getMatchingIndexingMap(init).isPermutation() ||
        op.payloadUsesValueFromOperand(init))
      continue;
    auto insert =
        dyn_cast<tensor::ParallelInsertSliceOp>(*result.getUsers().begin());
    if (!insert || insert.getSourceType() != init->get().getType() ||
        !llvm::is_contained(forall.getRegionIterArgs(), insert.getDest()))
      continue;
    // The slice's offsets and sizes must be known where `op` is.
    SmallVector<Value> bounds(insert.getOffsets());
    llvm::append_range(bounds, insert.getSizes());
    llvm::append_range(bounds, insert.getStrides());
    if (llvm::any_of(bounds, [&](Value v) {
          Operation *def = v.getDefiningOp();
          return def && def->getBlock() == op->getBlock() &&
                 !def->isBeforeInBlock(op);
        }))
      continue;
    rewriter.setInsertionPoint(op);
    Value slice = tensor::ExtractSliceOp::create(
        rewriter, op.getLoc(), insert.getSourceType(), insert.getDest(),
        insert.getMixedOffsets(), insert.getMixedSizes(),
        insert.getMixedStrides());
    rewriter.modifyOpInPlace(op, [&] { init->set(slice); });
  }
}

/// Tiles an all-parallel generic into rows along loop `rowLoop` (every
/// other loop by one), drops each row's unit dims (a row along an outer
/// loop would otherwise be a vector with trailing unit dims, which LLVM's
/// lowering scalarizes) and vectorizes it (`gathers`: as vectorizeOp).
/// Returns the blocks the rows' vector code is in.
SmallVector<Block *> vectorizeRows(IRRewriter &rewriter, linalg::GenericOp op,
                                   unsigned rowLoop, bool gathers) {
  SmallVector<int64_t> sizes(op.getNumLoops(), 1);
  sizes[rowLoop] = 0;
  scf::SCFTilingOptions rows;
  rows.setTileSizes(getAsIndexOpFoldResult(rewriter.getContext(), sizes));
  SmallVector<Block *> blocks;
  for (Operation *tiled : tileInPlace(rewriter, op, rows)) {
    auto row = dyn_cast<linalg::GenericOp>(tiled);
    if (!row)
      continue;
    blocks.push_back(row->getBlock());
    linalg::ControlDropUnitDims control;
    control.rankReductionStrategy =
        linalg::ControlDropUnitDims::RankReductionStrategy::ExtractInsertSlice;
    rewriter.setInsertionPoint(row);
    FailureOr<linalg::DropUnitDimsResult> dropped =
        linalg::dropUnitDims(rewriter, row, control);
    if (failed(dropped)) {
      vectorizeOp(rewriter, row, gathers);
      continue;
    }
    rewriter.replaceOp(row, dropped->replacements);
    vectorizeOp(rewriter, dropped->resultOp, gathers);
  }
  return blocks;
}

/// Copies a window copy (isWindowCopy) a row of its innermost loop at a
/// time: the outer loops tiled by one, each row's unit dims dropped, and
/// the row vectorized (one transfer read and write of its contiguous
/// elements). The CNN's second im2col (64 x 14 x 14 x 3 x 3 x 32 from
/// channels-last input): about 0.9 ms on one thread, from 1.8 as scalar
/// moves.
void vectorizeWindowCopy(IRRewriter &rewriter, linalg::GenericOp op) {
  (void)vectorizeRows(rewriter, op, op.getNumLoops() - 1, /*gathers=*/false);
}

/// The loop along which a generic's extract reads are contiguous: the one
/// whose index is the last index of every tensor.extract in its body (a
/// pooling of a channels-last product, [N, C, OH, OW] read from
/// [N, H, W, C]: the channels); else the innermost loop.
unsigned contiguousReadLoop(linalg::GenericOp op) {
  std::optional<unsigned> loop;
  for (Operation &o : op.getBody()->getOperations()) {
    auto extract = dyn_cast<tensor::ExtractOp>(o);
    if (!extract)
      continue;
    auto index =
        extract.getIndices().empty()
            ? linalg::IndexOp()
            : extract.getIndices().back().getDefiningOp<linalg::IndexOp>();
    if (!index || (loop && *loop != index.getDim()))
      return op.getNumLoops() - 1;
    loop = index.getDim();
  }
  return loop.value_or(op.getNumLoops() - 1);
}

/// Whether `op` computes each element through tensor.extract reads (a
/// pooling window's, with its producer computed at each read point by
/// ember-fuse-elementwise; a max-pool gradient's window indices): an
/// all-parallel generic writing f32 or i32 whose body extracts, with rows
/// (contiguousReadLoop) of at least 4 elements.
bool readsThroughExtracts(linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumParallelLoops() != op.getNumLoops() || op.getNumLoops() == 0)
    return false;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  auto type = dyn_cast<RankedTensorType>(op.getResultTypes()[0]);
  if (llvm::any_of(ranges, ShapedType::isDynamic) ||
      ranges[contiguousReadLoop(op)] < 4 || !type ||
      !(type.getElementType().isF32() || type.getElementType().isInteger(32)))
    return false;
  return llvm::any_of(op.getBody()->getOperations(),
                      [](Operation &o) { return isa<tensor::ExtractOp>(o); });
}

/// A vector of indices `base + offsets[lane]` (base a scalar index, null
/// for 0; the offsets constants), or of constant booleans (offsets 0 or
/// 1, no base).
struct Lanes {
  Value base;
  SmallVector<int64_t> offsets;

  bool constant() const { return !base; }
  bool uniform() const { return llvm::all_equal(offsets); }
};

/// `v` (a vector of indices, as the vectorizer computes a gather's, with at
/// most one dim longer than 1) as Lanes, creating the base's scalar ops at
/// the builder's point; nullopt when some lane's offset from the base is
/// not a constant (a clamp whose condition varies, a product of two varying
/// vectors). Operations on constant lanes (a pooling's output column
/// divided by its stride, a select on a comparison known for every lane)
/// are evaluated here.
std::optional<Lanes> laneOffsets(OpBuilder &b, Location loc, Value v) {
  // Index lanes (64-bit here, as the offsets) and boolean ones only: an
  // i32 or i1 sum would wrap where the offsets do not.
  auto type = dyn_cast<VectorType>(v.getType());
  if (!type || type.isScalable() ||
      !(type.getElementType().isIndex() ||
        type.getElementType().isInteger(1)) ||
      llvm::count_if(type.getShape(), [](int64_t d) { return d != 1; }) > 1)
    return std::nullopt;
  bool boolean = type.getElementType().isInteger(1);
  int64_t n = type.getNumElements();
  if (auto broadcast = v.getDefiningOp<vector::BroadcastOp>()) {
    auto from = dyn_cast<VectorType>(broadcast.getSourceType());
    if (!from) {
      Value scalar = broadcast.getSource();
      if (!scalar.getType().isIndex())
        return std::nullopt;
      // A known scalar (a constant; a static dim of a tensor, as the
      // vectorizer reads a shape) is a constant lane offset.
      std::optional<int64_t> known = getConstantIntValue(scalar);
      if (auto dim = scalar.getDefiningOp<tensor::DimOp>()) {
        std::optional<int64_t> index = dim.getConstantIndex();
        auto shaped = cast<ShapedType>(dim.getSource().getType());
        if (index && *index >= 0 && *index < shaped.getRank() &&
            !shaped.isDynamicDim(*index))
          known = shaped.getDimSize(*index);
      }
      if (known)
        return Lanes{Value(), SmallVector<int64_t>(n, *known)};
      return Lanes{scalar, SmallVector<int64_t>(n, 0)};
    }
    // A splat of a one-element vector (a unit dim's index): its element
    // is the base when nothing more is known of it.
    if (from.getNumElements() == 1) {
      if (std::optional<Lanes> one = laneOffsets(b, loc, broadcast.getSource()))
        return Lanes{one->base, SmallVector<int64_t>(n, one->offsets[0])};
      if (boolean)
        return std::nullopt;
      return Lanes{
          vector::ExtractOp::create(b, loc, broadcast.getSource(),
                                    SmallVector<int64_t>(from.getRank(), 0)),
          SmallVector<int64_t>(n, 0)};
    }
    // A rank-expanding broadcast adding unit dims only.
    if (from.getNumElements() != n)
      return std::nullopt;
    return laneOffsets(b, loc, broadcast.getSource());
  }
  // Moves of unit dims only: the same lanes in the same order.
  if (isa_and_nonnull<vector::TransposeOp, vector::ShapeCastOp>(
          v.getDefiningOp()))
    return laneOffsets(b, loc, v.getDefiningOp()->getOperand(0));
  if (v.getDefiningOp<vector::StepOp>()) {
    SmallVector<int64_t> lanes(n);
    std::iota(lanes.begin(), lanes.end(), 0);
    return Lanes{Value(), lanes};
  }
  DenseIntElementsAttr constant;
  if (matchPattern(v, m_Constant(&constant))) {
    SmallVector<int64_t> values;
    for (const APInt &value : constant.getValues<APInt>())
      values.push_back(boolean ? int64_t(!value.isZero())
                               : value.getSExtValue());
    if (int64_t(values.size()) != n)
      return std::nullopt;
    return Lanes{Value(), values};
  }
  Operation *op = v.getDefiningOp();
  if (!op || op->getNumOperands() < 2)
    return std::nullopt;
  // select(cond, a, b): cond's lanes must be known.
  if (auto select = dyn_cast<arith::SelectOp>(op)) {
    std::optional<Lanes> cond = laneOffsets(b, loc, select.getCondition());
    if (!cond && !isa<VectorType>(select.getCondition().getType())) {
      if (std::optional<int64_t> c = getConstantIntValue(select.getCondition()))
        cond = Lanes{Value(), SmallVector<int64_t>(n, *c != 0)};
    }
    if (!cond || !cond->constant())
      return std::nullopt;
    bool all = llvm::all_of(cond->offsets, [](int64_t c) { return c; });
    bool none = llvm::none_of(cond->offsets, [](int64_t c) { return c; });
    if (all || none)
      return laneOffsets(b, loc,
                         all ? select.getTrueValue() : select.getFalseValue());
    std::optional<Lanes> t = laneOffsets(b, loc, select.getTrueValue());
    std::optional<Lanes> f =
        t ? laneOffsets(b, loc, select.getFalseValue()) : std::nullopt;
    if (!f || t->base != f->base)
      return std::nullopt;
    Lanes mixed{t->base, {}};
    for (int64_t i = 0; i < n; ++i)
      mixed.offsets.push_back(cond->offsets[i] ? t->offsets[i] : f->offsets[i]);
    return mixed;
  }
  // Arithmetic on index lanes; comparisons of index lanes; and, or of
  // boolean ones.
  if (boolean ? !(isa<arith::AndIOp, arith::OrIOp>(op) ||
                  (isa<arith::CmpIOp>(op) &&
                   op->getOperand(0).getType() ==
                       VectorType::get(type.getShape(),
                                       IndexType::get(op->getContext()))))
              : !isa<arith::AddIOp, arith::SubIOp, arith::MulIOp,
                     arith::DivUIOp, arith::RemUIOp>(op))
    return std::nullopt;
  std::optional<Lanes> l = laneOffsets(b, loc, op->getOperand(0));
  std::optional<Lanes> r =
      l ? laneOffsets(b, loc, op->getOperand(1)) : std::nullopt;
  if (!r)
    return std::nullopt;
  auto each = [&](auto f) -> std::optional<Lanes> {
    Lanes out{Value(), {}};
    for (int64_t i = 0; i < n; ++i) {
      std::optional<int64_t> x = f(l->offsets[i], r->offsets[i]);
      if (!x)
        return std::nullopt;
      out.offsets.push_back(*x);
    }
    return out;
  };
  auto plus = [](int64_t x, int64_t y) -> std::optional<int64_t> {
    int64_t z;
    return __builtin_add_overflow(x, y, &z) ? std::nullopt
                                            : std::optional<int64_t>(z);
  };
  auto minus = [](int64_t x, int64_t y) -> std::optional<int64_t> {
    int64_t z;
    return __builtin_sub_overflow(x, y, &z) ? std::nullopt
                                            : std::optional<int64_t>(z);
  };
  auto times = [](int64_t x, int64_t y) -> std::optional<int64_t> {
    int64_t z;
    return __builtin_mul_overflow(x, y, &z) ? std::nullopt
                                            : std::optional<int64_t>(z);
  };
  if (isa<arith::AddIOp, arith::SubIOp>(op)) {
    bool add = isa<arith::AddIOp>(op);
    std::optional<Lanes> out = each(add ? +plus : +minus);
    if (!out)
      return std::nullopt;
    if (!r->base)
      out->base = l->base;
    else if (!l->base)
      out->base =
          add ? r->base
              : b.createOrFold<arith::SubIOp>(
                    loc, arith::ConstantIndexOp::create(b, loc, 0), r->base);
    else
      out->base = add ? b.createOrFold<arith::AddIOp>(loc, l->base, r->base)
                      : b.createOrFold<arith::SubIOp>(loc, l->base, r->base);
    return out;
  }
  if (isa<arith::MulIOp>(op)) {
    // Two values the same in every lane (scalars): their product.
    auto scalar = [](const Lanes &x) {
      return llvm::all_of(x.offsets, [](int64_t o) { return o == 0; });
    };
    if (scalar(*l) && scalar(*r))
      return Lanes{l->base && r->base
                       ? b.createOrFold<arith::MulIOp>(loc, l->base, r->base)
                       : Value(),
                   SmallVector<int64_t>(n, 0)};
    // One side constant and the same in every lane, or both constant.
    if (l->base && r->base)
      return std::nullopt;
    if (l->base || (!r->base && r->uniform() && !l->uniform()))
      std::swap(l, r);
    if (!r->base) // both constant: lane by lane
      return each(+times);
    if (!l->uniform())
      return std::nullopt;
    int64_t factor = l->offsets[0];
    Lanes out{b.createOrFold<arith::MulIOp>(
                  loc, r->base, arith::ConstantIndexOp::create(b, loc, factor)),
              {}};
    for (int64_t x : r->offsets) {
      std::optional<int64_t> y = times(x, factor);
      if (!y)
        return std::nullopt;
      out.offsets.push_back(*y);
    }
    return out;
  }
  // The rest only on constant lanes.
  if (l->base || r->base)
    return std::nullopt;
  if (isa<arith::DivUIOp, arith::RemUIOp>(op)) {
    bool div = isa<arith::DivUIOp>(op);
    return each([div](int64_t x, int64_t y) -> std::optional<int64_t> {
      if (x < 0 || y <= 0)
        return std::nullopt;
      return div ? x / y : x % y;
    });
  }
  if (isa<arith::AndIOp, arith::OrIOp>(op)) {
    bool isAnd = isa<arith::AndIOp>(op);
    return each([isAnd](int64_t x, int64_t y) -> std::optional<int64_t> {
      return isAnd ? (x & y) : (x | y);
    });
  }
  arith::CmpIPredicate predicate = cast<arith::CmpIOp>(op).getPredicate();
  return each([predicate](int64_t x, int64_t y) -> std::optional<int64_t> {
    using P = arith::CmpIPredicate;
    bool isUnsigned = predicate == P::ult || predicate == P::ule ||
                      predicate == P::ugt || predicate == P::uge;
    if (isUnsigned && (x < 0 || y < 0))
      return std::nullopt;
    switch (predicate) {
    case P::eq:
      return x == y;
    case P::ne:
      return x != y;
    case P::slt:
    case P::ult:
      return x < y;
    case P::sle:
    case P::ule:
      return x <= y;
    case P::sgt:
    case P::ugt:
      return x > y;
    case P::sge:
    case P::uge:
      return x >= y;
    }
    return std::nullopt;
  });
}

/// Rewrites a vector.gather of every lane (an all-true mask) from a static
/// tensor at flat offsets `base + offsets[lane]` (laneOffsets): x86
/// gathers load an element at a time.
/// - When the offsets span at most 4 elements a lane (a pooling window's
///   column in each output column, 2 apart; a pooling gradient's window
///   index, read twice for the two output columns it covers), one
///   contiguous read of the span and a shuffle putting each lane's element
///   in place.
/// - Otherwise, when lanes repeat offsets (a pooling gradient read from a
///   channels-last tensor, each element for two output columns), a gather
///   of each distinct offset once and a shuffle.
void gatherAsStridedRead(IRRewriter &rewriter, vector::GatherOp gather) {
  auto source = dyn_cast<RankedTensorType>(gather.getBase().getType());
  VectorType type = gather.getVectorType();
  if (!source || !source.hasStaticShape() ||
      !matchPattern(gather.getMask(), m_One()) ||
      llvm::any_of(gather.getOffsets(),
                   [](Value v) { return !isConstantIntValue(v, 0); }) ||
      llvm::count_if(type.getShape(), [](int64_t d) { return d != 1; }) > 1)
    return;
  Location loc = gather.getLoc();
  rewriter.setInsertionPoint(gather);
  std::optional<Lanes> lanes = laneOffsets(rewriter, loc, gather.getIndices());
  int64_t n = type.getNumElements();
  if (!lanes || int64_t(lanes->offsets.size()) != n || n < 2)
    return;
  auto [lo, hi] =
      std::minmax_element(lanes->offsets.begin(), lanes->offsets.end());
  int64_t first = *lo, span;
  // (Offsets further apart than an int64 holds: left as a gather.)
  if (__builtin_sub_overflow(*hi, *lo, &span) ||
      __builtin_add_overflow(span, 1, &span))
    return;
  Value base = lanes->base ? lanes->base
                           : arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value start =
      first
          ? rewriter.createOrFold<arith::AddIOp>(
                loc, base, arith::ConstantIndexOp::create(rewriter, loc, first))
          : base;
  Type element = type.getElementType();
  Value row;
  SmallVector<int64_t> picks;
  if (span <= 4 * n) {
    Value flat = gather.getBase();
    if (source.getRank() != 1) {
      ReassociationIndices all(source.getRank());
      std::iota(all.begin(), all.end(), 0);
      flat = tensor::CollapseShapeOp::create(
          rewriter, loc, flat, ArrayRef<ReassociationIndices>{all});
    }
    Value pad =
        arith::ConstantOp::create(rewriter, loc, rewriter.getZeroAttr(element));
    row = vector::TransferReadOp::create(
        rewriter, loc, VectorType::get({span}, element), flat,
        ValueRange{start}, pad, ArrayRef<bool>{true});
    for (int64_t offset : lanes->offsets)
      picks.push_back(offset - first);
  } else {
    SmallVector<int64_t> distinct(lanes->offsets);
    llvm::sort(distinct);
    distinct.erase(llvm::unique(distinct), distinct.end());
    int64_t u = distinct.size();
    if (u > n / 2)
      return;
    for (int64_t offset : lanes->offsets)
      picks.push_back(llvm::lower_bound(distinct, offset) - distinct.begin());
    auto indexType = VectorType::get({u}, rewriter.getIndexType());
    SmallVector<int64_t> relative;
    for (int64_t offset : distinct)
      relative.push_back(offset - first);
    Value indices = arith::AddIOp::create(
        rewriter, loc,
        vector::BroadcastOp::create(rewriter, loc, indexType, start),
        arith::ConstantOp::create(
            rewriter, loc, indexType,
            DenseElementsAttr::get(indexType, ArrayRef<int64_t>(relative))));
    Value mask = arith::ConstantOp::create(
        rewriter, loc,
        DenseElementsAttr::get(VectorType::get({u}, rewriter.getI1Type()),
                               true));
    Value pass = arith::ConstantOp::create(
        rewriter, loc,
        DenseElementsAttr::get(VectorType::get({u}, element),
                               rewriter.getZeroAttr(element)));
    row = vector::GatherOp::create(rewriter, loc, VectorType::get({u}, element),
                                   gather.getBase(), gather.getOffsets(),
                                   indices, mask, pass);
  }
  bool identity = int64_t(picks.size()) ==
                      cast<VectorType>(row.getType()).getNumElements() &&
                  llvm::equal(picks, llvm::seq<int64_t>(0, picks.size()));
  if (!identity)
    row = vector::ShuffleOp::create(rewriter, loc, row, row, picks);
  rewriter.replaceOp(gather,
                     vector::ShapeCastOp::create(rewriter, loc, type, row));
}

/// Vectorizes such a generic a row at a time along the loop its reads are
/// contiguous in (contiguousReadLoop; else the innermost): the other loops
/// tiled by one, each row one vector, its reads gathers, and those at a
/// constant stride one read and a shuffle (gatherAsStridedRead).
void vectorizeExtractRows(IRRewriter &rewriter, linalg::GenericOp op) {
  for (Block *block :
       vectorizeRows(rewriter, op, contiguousReadLoop(op), /*gathers=*/true)) {
    SmallVector<vector::GatherOp> gathers;
    for (Operation &o : *block)
      if (auto gather = dyn_cast<vector::GatherOp>(o))
        gathers.push_back(gather);
    for (vector::GatherOp gather : gathers)
      gatherAsStridedRead(rewriter, gather);
  }
}

/// Splits a large reduction over trailing dims and some before them (a
/// batch norm's sum over N, H and W of [N, C, H, W]) in two: first over the
/// leading reduced dims only, into partial results [kept dims..., trailing
/// dims collapsed to one], then over the trailing dim. The first is a
/// generic whose loops are the kept dims (parallel, first: parallelize-
/// Elementwise shares them among threads), the leading reduced dims, then
/// the trailing dims (parallel, innermost and contiguous: each step adds a
/// row of the input to a row of partial results, which LLVM vectorizes);
/// the second is small (C x H x W for [N, C, H, W]). As one linalg.reduce
/// it was a serial loop nest adding one element at a time into one
/// accumulator. The sum is associated differently, as any vectorized sum
/// is. Only a reduction of one input with a one-op combiner, into a fill.
void splitTrailingReduction(IRRewriter &rewriter, linalg::ReduceOp op) {
  if (!op.hasPureTensorSemantics() || op.getInputs().size() != 1 ||
      op.getInits().size() != 1 ||
      op.getCombiner().front().getOperations().size() != 2)
    return;
  auto inType = dyn_cast<RankedTensorType>(op.getInputs()[0].getType());
  auto fill = op.getInits()[0].getDefiningOp<linalg::FillOp>();
  if (!inType || !inType.hasStaticShape() || !fill ||
      saturatingProduct(inType.getShape()) < kParallelMinElements)
    return;
  int64_t rank = inType.getRank();
  ArrayRef<int64_t> dims = op.getDimensions();
  int64_t trailing = 0;
  while (trailing < int64_t(dims.size()) &&
         dims[dims.size() - 1 - trailing] == rank - 1 - trailing)
    ++trailing;
  // Needs trailing reduced dims, reduced dims before them, and kept dims.
  if (trailing == 0 || trailing == int64_t(dims.size()) ||
      int64_t(dims.size()) == rank)
    return;
  MLIRContext *ctx = rewriter.getContext();
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  // The trailing dims as one.
  int64_t lead = rank - trailing;
  SmallVector<ReassociationIndices> groups;
  for (int64_t i = 0; i < lead; ++i)
    groups.push_back({i});
  groups.emplace_back();
  for (int64_t i = lead; i < rank; ++i)
    groups.back().push_back(i);
  Value input = op.getInputs()[0];
  if (trailing > 1)
    input = tensor::CollapseShapeOp::create(rewriter, loc, input, groups);
  ArrayRef<int64_t> shape = cast<RankedTensorType>(input.getType()).getShape();
  // Loops: the kept dims, the leading reduced dims, the trailing dim.
  SmallVector<int64_t> kept, loops;
  for (int64_t i = 0; i < lead; ++i)
    if (!llvm::is_contained(dims, i))
      kept.push_back(i);
  loops = kept;
  for (int64_t i = 0; i < lead; ++i)
    if (llvm::is_contained(dims, i))
      loops.push_back(i);
  loops.push_back(lead);
  int64_t numLoops = lead + 1;
  SmallVector<AffineExpr> inputExprs(numLoops), partialExprs;
  SmallVector<utils::IteratorType> iterators;
  SmallVector<int64_t> partialShape;
  for (int64_t l = 0; l < numLoops; ++l) {
    int64_t dim = loops[l];
    inputExprs[dim] = getAffineDimExpr(l, ctx);
    bool reduced = dim != lead && llvm::is_contained(dims, dim);
    iterators.push_back(reduced ? utils::IteratorType::reduction
                                : utils::IteratorType::parallel);
    if (!reduced) {
      partialExprs.push_back(getAffineDimExpr(l, ctx));
      partialShape.push_back(shape[dim]);
    }
  }
  Type elem = inType.getElementType();
  Value partialInit =
      linalg::FillOp::create(
          rewriter, loc, fill.getInputs()[0],
          tensor::EmptyOp::create(rewriter, loc, partialShape, elem)
              .getResult())
          .getResult(0);
  Block &combiner = op.getCombiner().front();
  auto cloneCombiner = [&](OpBuilder &b, Location, ValueRange args) {
    IRMapping mapping;
    mapping.map(combiner.getArgument(0), args[0]);
    mapping.map(combiner.getArgument(1), args[1]);
    Operation *combined = b.clone(combiner.front(), mapping);
    linalg::YieldOp::create(b, loc, combined->getResult(0));
  };
  auto partial = linalg::GenericOp::create(
      rewriter, loc, TypeRange{partialInit.getType()}, ValueRange{input},
      ValueRange{partialInit},
      {AffineMap::get(numLoops, 0, inputExprs, ctx),
       AffineMap::get(numLoops, 0, partialExprs, ctx)},
      iterators, cloneCombiner);
  auto total = linalg::ReduceOp::create(
      rewriter, loc, partial.getResults(), op.getInits(),
      ArrayRef<int64_t>{int64_t(kept.size())}, cloneCombiner);
  rewriter.replaceOp(op, total.getResults());
}

/// Register tile (Mr rows, Nr columns of the result) of the dot-product
/// kernel for a product with few columns, or nullopt when it does not pay.
/// Each result element gets its own accumulator vector of partial sums
/// along K, so N need not fill a vector: the outer-product tile would waste
/// lanes (N = 10 in 16-lane registers) or split N unevenly (8 + 2 lanes).
/// It takes N below two vectors that is not a whole number of them, and K a
/// whole number of vectors; per K step a tile loads Mr vectors of A and Nr
/// of W and does Mr x Nr FMAs; the accumulators, the A vectors and one W
/// vector must fit in the registers. The tile with the most FMAs per cycle
/// (stepCycles) wins, ties to the taller. With `weightAsStored` (B is the
/// transpose of a weight W, N x K, as PyTorch stores it) it also takes one
/// or two rows of any width: batch-1 inference would otherwise transpose
/// all of W on every call to read it once (784 x 512: 12 against 39
/// GFLOP/s for OpenBLAS), where the dot product reads W as it is.
std::optional<std::pair<int64_t, int64_t>>
chooseDotTile(int64_t m, int64_t k, int64_t n, const TargetModel &t,
              bool weightAsStored = false) {
  int64_t lanes = t.lanes();
  bool fewColumns = n < 2 * lanes && n % lanes != 0;
  bool fewRows = weightAsStored && m <= 2;
  if (!(fewColumns || fewRows) || k % lanes != 0 || k < 4 * lanes)
    return std::nullopt;
  std::optional<std::pair<int64_t, int64_t>> best;
  double bestRate = 0;
  for (int64_t mr : {8, 4, 2, 1}) {
    if (m % mr != 0)
      continue;
    for (int64_t nr = n; nr >= 1; --nr) {
      // No square tile: vectorized, W's Nr x 1 x L step vectors are
      // broadcast to Mr x Nr x 1 x L and shape_cast to Mr x Nr x L, and
      // MLIR 22's canonicalizer folds that pair into one broadcast from
      // Nr x 1 x L whenever Nr = Mr, which stretches the wrong dim (every
      // row then multiplies its own W row: llvm-project issue 190614, fixed
      // after 22 by PR 190230). A 60x96x8 convolution's product (Mr = Nr =
      // 4) computed only its diagonal.
      if (n % nr != 0 || mr * nr + mr + 1 > t.registers ||
          (mr == nr && nr > 1))
        continue;
      double rate = double(mr * nr) / stepCycles(t, mr, nr);
      if (!best || rate > bestRate * 1.001) {
        best = std::make_pair(mr, nr);
        bestRate = rate;
      }
    }
  }
  return best;
}

/// The weight W (N x K) a product's B is the transpose of, when that
/// transpose is a 2-D linalg.transpose; else null.
Value transposedWeight(linalg::MatmulOp matmul) {
  auto transpose =
      matmul.getDpsInputs()[1].getDefiningOp<linalg::TransposeOp>();
  if (!transpose || !transpose.hasPureTensorSemantics() ||
      transpose.getPermutation() != ArrayRef<int64_t>{1, 0})
    return nullptr;
  return transpose.getInput();
}

/// Rewrites a `vector.multi_reduction <add>` over the innermost dim of
/// P = (product of the outer dims) vectors of L lanes, P and L powers of
/// two, into a tree of two-source shuffles and adds: each level adds the
/// two halves of every segment of a pair of vectors, so that P vectors of L
/// partial sums become P/2 vectors of two P segments of L/2, and after
/// log2(L) levels lane j holds vector j's sum (in the source's order). It
/// takes P - 1 vector adds and twice as many shuffles for P = L vectors;
/// reduced one by one (LLVM's reduce.fadd on each), 16 accumulators of 16
/// lanes took about 250 instructions (the dot-product kernel's 8x2 tiles
/// with AVX-512 code: a third of the 64x512x10 product's time). Returns
/// failure, changing nothing, for other shapes or kinds.
LogicalResult reduceLanesByShuffles(IRRewriter &rewriter,
                                    vector::MultiDimReductionOp op) {
  auto type = op.getSourceVectorType();
  int64_t rank = type.getRank();
  if (op.getKind() != vector::CombiningKind::ADD || rank < 2 ||
      type.isScalable() || !type.getElementType().isF32() ||
      op.getReductionDims() != ArrayRef<int64_t>{rank - 1})
    return failure();
  int64_t lanes = type.getShape().back();
  int64_t count = type.getNumElements() / lanes;
  if (!llvm::isPowerOf2_64(lanes) || !llvm::isPowerOf2_64(count) || lanes < 2 ||
      count < 2)
    return failure();
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  Type f32 = type.getElementType();
  Value flat = vector::ShapeCastOp::create(
      rewriter, loc, VectorType::get({count, lanes}, f32), op.getSource());
  SmallVector<Value> parts;
  for (int64_t i = 0; i < count; ++i)
    parts.push_back(vector::ExtractOp::create(rewriter, loc, flat, i));
  // Each part is a run of segments of `segment` lanes, each segment one
  // source vector's partial sums; a level halves the segments.
  int64_t segment = lanes;
  auto halves = [&](int64_t width, bool second) {
    SmallVector<int64_t> mask;
    for (int64_t start = 0; start < width; start += segment)
      for (int64_t l = 0; l < segment / 2; ++l)
        mask.push_back(start + (second ? segment / 2 : 0) + l);
    return mask;
  };
  // The first `width` lanes of a and b (concatenated) with each segment's
  // two halves added.
  auto addHalves = [&](Value a, Value b, int64_t width) -> Value {
    Value lo =
        vector::ShuffleOp::create(rewriter, loc, a, b, halves(width, false));
    Value hi =
        vector::ShuffleOp::create(rewriter, loc, a, b, halves(width, true));
    return arith::AddFOp::create(rewriter, loc, lo, hi);
  };
  while (segment > 1) {
    SmallVector<Value> next;
    if (parts.size() >= 2) {
      // Two vectors of `lanes` into one: the first's halved segments, then
      // the second's.
      for (size_t i = 0; i + 1 < parts.size(); i += 2)
        next.push_back(addHalves(parts[i], parts[i + 1], 2 * lanes));
    } else {
      // One vector left (P < L): its halved segments, a narrower vector.
      next.push_back(
          addHalves(parts[0], parts[0],
                    cast<VectorType>(parts[0].getType()).getNumElements()));
    }
    parts = std::move(next);
    segment /= 2;
  }
  // Lane j of part i: source vector i * lanes + j (or j, when P < L).
  auto resultType = cast<VectorType>(op.getDest().getType());
  Value sums;
  if (parts.size() == 1) {
    sums = parts[0];
  } else {
    int64_t width = int64_t(parts.size()) * lanes;
    sums = arith::ConstantOp::create(
        rewriter, loc, VectorType::get({width}, f32),
        DenseElementsAttr::get(VectorType::get({width}, f32), 0.0f));
    for (auto [i, part] : llvm::enumerate(parts))
      sums = vector::InsertStridedSliceOp::create(
          rewriter, loc, part, sums, ArrayRef<int64_t>{int64_t(i) * lanes},
          ArrayRef<int64_t>{1});
  }
  sums = vector::ShapeCastOp::create(rewriter, loc, resultType, sums);
  rewriter.replaceOpWithNewOp<arith::AddFOp>(op, op.getAcc(), sums);
  return success();
}

/// Rewrites `matmul` (M x K by K x N, B the transpose of `w`, N x K) into
/// the dot-product kernel and tiles it: a linalg.generic accumulating
/// partial[m, n, l] += A[m, ko * L + l] * W[n, ko * L + l] over ko (A and
/// W seen as M x K/L x L and N x K/L x L), and one summing the L partial
/// sums of each element into the product's accumulator (its bias or zero).
/// The sum (or the product's elementwise epilogue) is tiled Mr x Nr with
/// both generics and the initialisations fused in; the partial sums' K loop
/// goes one vector of K a step, its Mr x Nr accumulator vectors kept in
/// registers, and each tile reduces them across lanes once at the end.
LogicalResult tileDotProduct(IRRewriter &rewriter, linalg::MatmulOp matmul,
                             Value w, int64_t lanes, int64_t mr, int64_t nr,
                             bool parallel) {
  MLIRContext *ctx = rewriter.getContext();
  Location loc = matmul.getLoc();
  Value a = matmul.getDpsInputs()[0];
  Value init = matmul.getDpsInits()[0];
  auto aType = cast<RankedTensorType>(a.getType());
  int64_t m = aType.getDimSize(0), k = aType.getDimSize(1);
  int64_t n = cast<RankedTensorType>(init.getType()).getDimSize(1);
  Type f32 = rewriter.getF32Type();
  linalg::GenericOp epilogue = epilogueOf(matmul);
  Operation *func = matmul->getParentOfType<func::FuncOp>();

  rewriter.setInsertionPoint(matmul);
  SmallVector<ReassociationIndices> split = {{0}, {1, 2}};
  Value a3 = tensor::ExpandShapeOp::create(
      rewriter, loc, RankedTensorType::get({m, k / lanes, lanes}, f32), a,
      split);
  Value w3 = tensor::ExpandShapeOp::create(
      rewriter, loc, RankedTensorType::get({n, k / lanes, lanes}, f32), w,
      split);
  Value empty = tensor::EmptyOp::create(rewriter, loc,
                                        ArrayRef<int64_t>{m, n, lanes}, f32);
  Value zero =
      arith::ConstantOp::create(rewriter, loc, rewriter.getF32FloatAttr(0.0f));
  auto fill = linalg::FillOp::create(rewriter, loc, zero, empty);

  using utils::IteratorType;
  AffineExpr d0, d1, d2, d3;
  bindDims(ctx, d0, d1, d2, d3);
  auto map4 = [&](ArrayRef<AffineExpr> results) {
    return AffineMap::get(4, 0, results, ctx);
  };
  auto contract =
      arith::FastMathFlagsAttr::get(ctx, arith::FastMathFlags::contract);
  auto partial = linalg::GenericOp::create(
      rewriter, loc, TypeRange{fill.getResult(0).getType()}, ValueRange{a3, w3},
      ValueRange{fill.getResult(0)},
      ArrayRef<AffineMap>{map4({d0, d2, d3}), map4({d1, d2, d3}),
                          map4({d0, d1, d3})},
      ArrayRef<IteratorType>{IteratorType::parallel, IteratorType::parallel,
                             IteratorType::reduction, IteratorType::parallel},
      [&](OpBuilder &b, Location l, ValueRange args) {
        Value product = arith::MulFOp::create(b, l, args[0], args[1], contract);
        Value sum = arith::AddFOp::create(b, l, args[2], product, contract);
        linalg::YieldOp::create(b, l, sum);
      });
  AffineExpr e0, e1, e2;
  bindDims(ctx, e0, e1, e2);
  auto sum = linalg::GenericOp::create(
      rewriter, loc, TypeRange{init.getType()},
      ValueRange{partial.getResult(0)}, ValueRange{init},
      ArrayRef<AffineMap>{AffineMap::get(3, 0, {e0, e1, e2}, ctx),
                          AffineMap::get(3, 0, {e0, e1}, ctx)},
      ArrayRef<IteratorType>{IteratorType::parallel, IteratorType::parallel,
                             IteratorType::reduction},
      [&](OpBuilder &b, Location l, ValueRange args) {
        Value total = arith::AddFOp::create(b, l, args[1], args[0]);
        linalg::YieldOp::create(b, l, total);
      });
  rewriter.replaceAllUsesWith(matmul.getResult(0), sum.getResult(0));
  rewriter.eraseOp(matmul);

  Operation *root = epilogue ? epilogue.getOperation() : sum.getOperation();
  SmallVector<int64_t> sizes = {mr, nr};
  if (!epilogue)
    sizes.push_back(0);
  Operation *outerLoop = nullptr;
  FailureOr<SmallVector<Operation *>> tiledOps =
      fuseIntoTiles(rewriter, root, outerTiling(ctx, sizes, parallel),
                    /*packed=*/nullptr, {partial, sum}, &outerLoop);
  if (failed(tiledOps))
    return failure();
  for (Operation *op : *tiledOps) {
    auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
    if (!linalgOp)
      continue;
    if (linalgOp.getNumLoops() == 4) {
      // The partial sums: one vector of K a step.
      scf::SCFTilingOptions step;
      step.setTileSizes(
          getAsIndexOpFoldResult(ctx, ArrayRef<int64_t>{0, 0, 1, 0}));
      SmallVector<Operation *> steps = tileInPlace(rewriter, op, step);
      vectorizeAll(rewriter, steps);
    } else {
      vectorizeOp(rewriter, op);
    }
  }
  // A step's reduction over its one ko is an add: fold it now, before the
  // pass's patterns would make the multiply and that reduction a
  // vector.contract (which lowers to element shuffles, not FMAs).
  // Only this product's loop nest (the function when tiling made no loop).
  Operation *scope = outerLoop ? outerLoop : func;
  if (!scope)
    return success();
  RewritePatternSet patterns(ctx);
  vector::MultiDimReductionOp::getCanonicalizationPatterns(patterns, ctx);
  vector::populateDropUnitDimWithShapeCastPatterns(patterns);
  (void)applyPatternsGreedily(scope, std::move(patterns));
  // The fold drops the add's fast-math flags: make each step's multiply
  // and add one vector.fma, as the outer-product tiles get.
  SmallVector<arith::AddFOp> adds;
  scope->walk([&](arith::AddFOp add) {
    auto mul = add.getRhs().getDefiningOp<arith::MulFOp>();
    if (mul && mul->hasOneUse() && isa<VectorType>(add.getType()) &&
        arith::bitEnumContainsAll(mul.getFastmath(),
                                  arith::FastMathFlags::contract))
      adds.push_back(add);
  });
  for (arith::AddFOp add : adds) {
    auto mul = add.getRhs().getDefiningOp<arith::MulFOp>();
    rewriter.setInsertionPoint(add);
    rewriter.replaceOpWithNewOp<vector::FMAOp>(add, mul.getLhs(), mul.getRhs(),
                                               add.getLhs());
    rewriter.eraseOp(mul);
  }
  // Each tile's sums across lanes: a tree of shuffles, not one reduction
  // an accumulator.
  SmallVector<vector::MultiDimReductionOp> reductions;
  scope->walk([&](vector::MultiDimReductionOp r) { reductions.push_back(r); });
  for (vector::MultiDimReductionOp r : reductions)
    (void)reduceLanesByShuffles(rewriter, r);
  return success();
}

/// Whether static slices `insert` writes and `extract` reads do not overlap
/// (false when either has a dynamic offset or size).
bool disjointSlices(tensor::InsertSliceOp insert,
                    tensor::ExtractSliceOp extract) {
  ArrayRef<int64_t> io = insert.getStaticOffsets(),
                    is = insert.getStaticSizes();
  ArrayRef<int64_t> eo = extract.getStaticOffsets(),
                    es = extract.getStaticSizes();
  if (io.size() != eo.size())
    return false;
  for (ArrayRef<int64_t> v : {io, is, eo, es})
    if (llvm::any_of(v, ShapedType::isDynamic))
      return false;
  for (size_t d = 0; d < io.size(); ++d)
    if (io[d] + is[d] <= eo[d] || eo[d] + es[d] <= io[d])
      return true;
  return false;
}

/// Replaces each operand of `op` that is a slice of a product, a fill or a
/// broadcast with that producer computed on the slice alone, and so on for
/// the producers' own operands: `op` then has its own product.
void produceSlicesInPlace(IRRewriter &rewriter, Operation *op) {
  SmallVector<Operation *> worklist = {op};
  while (!worklist.empty()) {
    Operation *current = worklist.pop_back_val();
    for (OpOperand &operand : current->getOpOperands()) {
      auto slice = operand.get().getDefiningOp<tensor::ExtractSliceOp>();
      if (!slice)
        continue;
      // splitOp reads the second part's initial value out of the first
      // part's result: the two regions are disjoint, so its values are
      // those of what the first part was inserted into.
      Value base = slice.getSource();
      while (auto insert = base.getDefiningOp<tensor::InsertSliceOp>()) {
        if (!disjointSlices(insert, slice))
          break;
        base = insert.getDest();
      }
      auto producer = dyn_cast<OpResult>(base);
      if (!producer ||
          !isa<linalg::MatmulOp, linalg::FillOp, linalg::BroadcastOp>(
              producer.getOwner()))
        continue;
      bool throughInserts = base != slice.getSource();
      if (throughInserts &&
          !isa<linalg::FillOp, linalg::BroadcastOp>(producer.getOwner()))
        continue;
      rewriter.setInsertionPoint(slice);
      tensor::ExtractSliceOp producerSlice = slice;
      if (throughInserts)
        producerSlice = tensor::ExtractSliceOp::create(
            rewriter, slice.getLoc(), slice.getType(), base,
            slice.getMixedOffsets(), slice.getMixedSizes(),
            slice.getMixedStrides());
      FailureOr<TilingResult> tiled =
          tensor::replaceExtractSliceWithTiledProducer(rewriter, producerSlice,
                                                       producer);
      if (failed(tiled) || tiled->tiledValues.size() != 1 ||
          tiled->tiledValues[0].getType() != slice.getType()) {
        if (throughInserts)
          rewriter.eraseOp(producerSlice);
        continue;
      }
      if (throughInserts) {
        // A fill or broadcast overwrites its destination: let it write
        // into the part's own region of the result, in place.
        Operation *tiledOp = tiled->tiledValues[0].getDefiningOp();
        rewriter.modifyOpInPlace(tiledOp, [&] {
          cast<DestinationStyleOpInterface>(tiledOp)
              .getDpsInitsMutable()[0]
              .assign(slice.getResult());
        });
        rewriter.replaceAllUsesExcept(slice.getResult(), tiled->tiledValues[0],
                                      tiledOp);
        rewriter.eraseOp(producerSlice);
        // Its destination is the slice just handled: nothing more to do.
        continue;
      }
      rewriter.replaceOp(slice, tiled->tiledValues[0]);
      worklist.append(tiled->tiledOps.begin(), tiled->tiledOps.end());
    }
  }
}

/// Splits a large product whose N is a whole number of vectors but not of
/// two (784 = 24 x 32 + 16 with 16 lanes) into a main part of two-vector
/// columns and the rest, each a product of its own (with its share of the
/// elementwise epilogue and of the accumulator's initialisation), so that
/// the main part gets two-vector tiles instead of one-vector tiles for the
/// whole. A product also used elsewhere than its epilogue is left whole.
void splitColumns(IRRewriter &rewriter, linalg::MatmulOp matmul,
                  const TargetModel &t) {
  int64_t lanes = t.lanes();
  auto type = cast<RankedTensorType>(matmul.getResult(0).getType());
  int64_t n = type.getDimSize(1);
  if (n <= 2 * lanes || n % (2 * lanes) == 0 || n % lanes != 0)
    return;
  linalg::GenericOp epilogue = epilogueOf(matmul);
  if (epilogue && !matmul->hasOneUse())
    return;
  Operation *root = epilogue ? epilogue.getOperation() : matmul.getOperation();
  Value init = cast<DestinationStyleOpInterface>(root).getDpsInits()[0];
  Operation *matmulInit = matmul.getDpsInits()[0].getDefiningOp();
  rewriter.setInsertionPoint(root);
  auto [main, rest] =
      linalg::splitOp(rewriter, cast<TilingInterface>(root), /*dimension=*/1,
                      rewriter.getIndexAttr(n / (2 * lanes) * (2 * lanes)));
  if (!main || !rest)
    return;
  for (Operation *part : {main.getOperation(), rest.getOperation()})
    produceSlicesInPlace(rewriter, part);
  // Split with its epilogue, the whole product and its initialisation are
  // no longer read (split alone, splitOp replaced it).
  if (epilogue && matmul->use_empty()) {
    rewriter.eraseOp(matmul);
    if (isa_and_nonnull<linalg::FillOp, linalg::BroadcastOp>(matmulInit) &&
        matmulInit->use_empty())
      rewriter.eraseOp(matmulInit);
  }
  // The parts are inserted into the whole result's initial value, which
  // they overwrite entirely: a fill or broadcast of it need not run.
  Operation *initOp = init.getDefiningOp();
  if (isa_and_nonnull<linalg::FillOp, linalg::BroadcastOp>(initOp) &&
      llvm::all_of(init.getUses(), [](OpOperand &use) {
        auto insert = dyn_cast<tensor::InsertSliceOp>(use.getOwner());
        return insert && use.get() == insert.getDest();
      })) {
    rewriter.setInsertionPoint(initOp);
    auto type = cast<RankedTensorType>(init.getType());
    Value empty = tensor::EmptyOp::create(
        rewriter, initOp->getLoc(), type.getShape(), type.getElementType());
    rewriter.replaceAllUsesWith(init, empty);
    rewriter.eraseOp(initOp);
  }
}

/// Splits a product whose A (M x K) is over half the L2 and too short to
/// run in row blocks (rowBlock: fewer than 4 register tiles of rows fit)
/// into products over consecutive parts of K, each accumulating into the
/// one before (the first into the product's accumulator, the last feeding
/// its epilogue): A's part then stays in the L2 while a core runs through
/// its column panels, where the whole of A came from the L3 or memory for
/// every panel. The CNN's weight gradient [64, 12544] x [12544, 288] (A
/// 3.2 MB) is the case: its K is the batch's pixels. A part of A takes at
/// most an eighth of the L2, so that B's panel part and the tiles of C fit
/// beside it (with a 2 MiB L2, 16 parts of 784: 4.9 -> 3.45 ms on one
/// thread, 2.75 -> 2.0 ms on two; parts of A of at most a half, a quarter,
/// a sixteenth and a thirty-second of the L2 measured 3.9, 3.6, 3.7 and
/// 3.4 ms on one thread). The parts are multiples of 16 rows of B, the last
/// one shorter.
void splitDepth(IRRewriter &rewriter, linalg::MatmulOp matmul,
                const TargetModel &t) {
  auto aType = cast<RankedTensorType>(matmul.getDpsInputs()[0].getType());
  int64_t m = aType.getDimSize(0), k = aType.getDimSize(1);
  int64_t n =
      cast<RankedTensorType>(matmul.getResult(0).getType()).getDimSize(1);
  int64_t bytes = saturatingProduct({m, k, 4});
  std::optional<std::pair<int64_t, int64_t>> tile =
      chooseTile(m, n, t, /*partialRows=*/true);
  if (!tile || bytes <= t.l2Bytes / 2 || rowBlock(m, k, tile->first, t) != 0)
    return;
  // A part of a product split on N (splitColumns) accumulates into a slice
  // of the whole result: chained parts of K would copy it between buffers.
  Value init = matmul.getDpsInits()[0];
  if (auto fill = init.getDefiningOp<DestinationStyleOpInterface>();
      fill && isa<linalg::FillOp, linalg::BroadcastOp>(fill.getOperation()))
    init = fill.getDpsInits()[0];
  if (!init.getDefiningOp<tensor::EmptyOp>())
    return;
  int64_t parts = llvm::divideCeil(bytes, std::max<int64_t>(t.l2Bytes / 8, 1));
  int64_t depth = llvm::alignTo(llvm::divideCeil(k, parts), 16);
  if (depth >= k)
    return;
  Location loc = matmul.getLoc();
  Value a = matmul.getDpsInputs()[0], b = matmul.getDpsInputs()[1];
  Value acc = matmul.getDpsInits()[0];
  rewriter.setInsertionPoint(matmul);
  // A static 2-D slice of `v`.
  auto slice = [&](Value v, ArrayRef<int64_t> offsets,
                   ArrayRef<int64_t> sizes) -> Value {
    MLIRContext *ctx = rewriter.getContext();
    return tensor::ExtractSliceOp::create(
        rewriter, loc, v, getAsIndexOpFoldResult(ctx, offsets),
        getAsIndexOpFoldResult(ctx, sizes),
        getAsIndexOpFoldResult(ctx, ArrayRef<int64_t>{1, 1}));
  };
  for (int64_t start = 0; start < k; start += depth) {
    int64_t size = std::min(depth, k - start);
    Value aPart = slice(a, {0, start}, {m, size});
    Value bPart = slice(b, {start, 0}, {size, n});
    acc = linalg::MatmulOp::create(rewriter, loc, TypeRange{acc.getType()},
                                   ValueRange{aPart, bPart}, ValueRange{acc})
              .getResult(0);
  }
  rewriter.replaceOp(matmul, acc);
}

/// A convolution's product (ember-to-linalg's channels-last im2col): A is a
/// window copy [N, OH, OW, KH, KW, C] (isWindowCopy) collapsed to
/// [N * OH * OW, KH * KW * C], read by this product alone, and the result
/// starts from a fill. When A is over half the L2, the copy goes out to
/// memory and is read back by the product (the CNN's second convolution at
/// inference: 14.4 MB each way). Instead the product runs as an scf.forall
/// over blocks of A's rows, each block's windows copied just before its
/// product into a block-sized temporary that stays in the core's L2: blocks
/// of whole images, or of whole output rows of one image when an image is
/// too large, the largest that fits in a quarter of the L2 (the rest holds
/// B's panel, C's tiles and the input rows the copy reads). The products in
/// the blocks are then planned as any other (on the block's thread).
void blockWindowProduct(IRRewriter &rewriter, linalg::MatmulOp op,
                        const TargetModel &t) {
  auto collapse = op.getDpsInputs()[0].getDefiningOp<tensor::CollapseShapeOp>();
  if (!collapse || !collapse->hasOneUse())
    return;
  auto copy = collapse.getSrc().getDefiningOp<linalg::GenericOp>();
  auto fill = op.getDpsInits()[0].getDefiningOp<linalg::FillOp>();
  if (!copy || !copy->hasOneUse() || !isWindowCopy(copy) || !fill ||
      !fill->hasOneUse() || !fill.hasPureTensorSemantics())
    return;
  RankedTensorType windows = collapse.getSrcType();
  SmallVector<ReassociationIndices> groups = collapse.getReassociationIndices();
  if (windows.getRank() != 6 || !windows.hasStaticShape() ||
      groups.size() != 2 || groups[0] != ReassociationIndices{0, 1, 2})
    return;
  ArrayRef<int64_t> dims = windows.getShape();
  int64_t images = dims[0], height = dims[1], width = dims[2];
  int64_t k = dims[3] * dims[4] * dims[5];
  int64_t n = cast<RankedTensorType>(op.getResult(0).getType()).getDimSize(1);
  int64_t rowBytes = k * 4;
  if (saturatingProduct({images, height, width, rowBytes}) <= t.l2Bytes / 2)
    return;
  int64_t budget = t.l2Bytes / 4;
  // g images a block, or h output rows of one image.
  int64_t g = 0, h = height;
  for (int64_t i = images; i >= 1 && !g; --i)
    if (images % i == 0 &&
        saturatingProduct({i, height, width, rowBytes}) <= budget)
      g = i;
  if (!g) {
    g = 1;
    while (h >= 1 && (height % h != 0 || h * width * rowBytes > budget))
      --h;
    if (h < 1)
      return;
  }
  int64_t rows = g * h * width;
  int64_t blocks = images * height * width / rows;
  if (blocks < 2)
    return;

  Location loc = op.getLoc();
  MLIRContext *ctx = rewriter.getContext();
  rewriter.setInsertionPoint(op);
  auto forall = scf::ForallOp::create(
      rewriter, loc, ArrayRef<OpFoldResult>{rewriter.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{rewriter.getIndexAttr(blocks)},
      ArrayRef<OpFoldResult>{rewriter.getIndexAttr(1)},
      ValueRange{fill.getDpsInits()[0]}, std::nullopt);
  rewriter.setInsertionPointToStart(forall.getBody());
  Value block = forall.getInductionVars()[0];
  Value shared = forall.getRegionIterArgs()[0];
  AffineExpr b = getAffineDimExpr(0, ctx);
  int64_t perImage = height / h;
  auto at = [&](AffineExpr e) {
    return affine::makeComposedFoldedAffineApply(rewriter, loc, e, {block});
  };
  OpFoldResult zero = rewriter.getIndexAttr(0);
  SmallVector<OpFoldResult> offsets = {at(b.floorDiv(perImage) * g),
                                       at((b % perImage) * h),
                                       zero,
                                       zero,
                                       zero,
                                       zero};
  SmallVector<OpFoldResult> sizes = getAsIndexOpFoldResult(
      ctx, ArrayRef<int64_t>{g, h, width, dims[3], dims[4], dims[5]});
  FailureOr<TilingResult> tiled =
      cast<TilingInterface>(copy.getOperation())
          .getTiledImplementation(rewriter, offsets, sizes);
  if (failed(tiled) || tiled->tiledOps.size() != 1) {
    rewriter.eraseOp(forall);
    return;
  }
  // The block's own temporary, not a slice of the whole copy's.
  auto blockCopy = cast<linalg::GenericOp>(tiled->tiledOps.front());
  auto blockType = cast<RankedTensorType>(blockCopy.getResultTypes()[0]);
  rewriter.setInsertionPoint(blockCopy);
  Value fresh = tensor::EmptyOp::create(rewriter, loc, blockType.getShape(),
                                        blockType.getElementType());
  rewriter.modifyOpInPlace(
      blockCopy, [&] { blockCopy.getDpsInitsMutable()[0].assign(fresh); });
  rewriter.setInsertionPointAfter(blockCopy);
  Value a = tensor::CollapseShapeOp::create(rewriter, loc,
                                            blockCopy.getResult(0), groups);
  SmallVector<OpFoldResult> cOffsets = {at(b * rows), zero};
  SmallVector<OpFoldResult> cSizes =
      getAsIndexOpFoldResult(ctx, ArrayRef<int64_t>{rows, n});
  SmallVector<OpFoldResult> ones = getAsIndexOpFoldResult(ctx, {1, 1});
  Value cBlock = tensor::ExtractSliceOp::create(rewriter, loc, shared, cOffsets,
                                                cSizes, ones);
  Value init =
      linalg::FillOp::create(rewriter, loc, fill.getDpsInputs()[0], cBlock)
          .getResult(0);
  Value product = linalg::MatmulOp::create(
                      rewriter, loc, TypeRange{init.getType()},
                      ValueRange{a, op.getDpsInputs()[1]}, ValueRange{init})
                      .getResult(0);
  rewriter.setInsertionPointToStart(forall.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(rewriter, loc, product, shared,
                                        cOffsets, cSizes, ones);
  rewriter.replaceOp(op, forall.getResults());
  rewriter.eraseOp(fill);
  rewriter.eraseOp(collapse);
  rewriter.eraseOp(copy);
}

/// The sizes of a statically shaped product on tensors, and whether it is
/// an f32 one; nullopt for any other (dynamic shapes, buffers).
struct ProductShape {
  int64_t m, k, n;
  bool f32;
  /// Whether the product is worth running on threads.
  bool large() const {
    return saturatingProduct({2, m, n, k}) >= kParallelMinFlops ||
           saturatingProduct({k, n}) >= kParallelMinBElements;
  }
};
std::optional<ProductShape> productShape(linalg::MatmulOp op) {
  if (!op.hasPureTensorSemantics() || op.hasDynamicShape())
    return std::nullopt;
  auto a = cast<RankedTensorType>(op.getDpsInputs()[0].getType());
  auto c = cast<RankedTensorType>(op.getResult(0).getType());
  return ProductShape{a.getDimSize(0), a.getDimSize(1), c.getDimSize(1),
                      c.getElementType().isF32()};
}

/// A contraction whose reduction dims all have size 1 and whose operands
/// are read elementwise (both through the identity map, the result through
/// its parallel dims) is one FMA: acc + lhs * rhs. A register tile of one
/// row takes this form once its unit M dim is cast away (1 x 1 by 1 x Nr
/// becomes Nr x 1 by Nr x 1 into Nr, a vector.transpose moving only unit
/// dims on one side), and the contraction lowering then did each of its Nr
/// lanes as a one-element dot product: scalar multiplies, adds and inserts,
/// about 16 times slower than the vector FMAs (M = 1 or an unpacked prime M,
/// 1 x 128 tiles with AVX-512 code: 128 vmulss and vaddss a K step).
struct UnitReductionContractToFma
    : public OpRewritePattern<vector::ContractionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::ContractionOp op,
                                PatternRewriter &rewriter) const override {
    auto accType = dyn_cast<VectorType>(op.getAccType());
    auto lhsType = op.getLhsType(), rhsType = op.getRhsType();
    if (op.getKind() != vector::CombiningKind::ADD || !accType ||
        !accType.getElementType().isF32() || lhsType != rhsType ||
        lhsType.getElementType() != accType.getElementType() ||
        lhsType.isScalable() || accType.isScalable() || op.isMasked())
      return failure();
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    SmallVector<vector::IteratorType> iterators = op.getIteratorTypesArray();
    int64_t parallel = accType.getRank();
    if (maps[0] != maps[1] || !maps[0].isIdentity() ||
        int64_t(iterators.size()) != lhsType.getRank())
      return failure();
    for (auto [i, kind] : llvm::enumerate(iterators)) {
      bool isParallel = kind == vector::IteratorType::parallel;
      if (isParallel != (int64_t(i) < parallel) ||
          (!isParallel && lhsType.getDimSize(i) != 1))
        return failure();
    }
    SmallVector<AffineExpr> kept;
    for (int64_t i = 0; i < parallel; ++i)
      kept.push_back(rewriter.getAffineDimExpr(unsigned(i)));
    if (maps[2] != AffineMap::get(unsigned(lhsType.getRank()), 0, kept,
                                  op.getContext()) ||
        lhsType.getShape().take_front(parallel) != accType.getShape())
      return failure();
    Location loc = op.getLoc();
    Value lhs =
        vector::ShapeCastOp::create(rewriter, loc, accType, op.getLhs());
    Value rhs =
        vector::ShapeCastOp::create(rewriter, loc, accType, op.getRhs());
    rewriter.replaceOpWithNewOp<vector::FMAOp>(op, lhs, rhs, op.getAcc());
    return success();
  }
};

struct EmberCPUVectorizeContractionsPass
    : mlir::ember::impl::EmberCPUVectorizeContractionsPassBase<
          EmberCPUVectorizeContractionsPass> {
  using EmberCPUVectorizeContractionsPassBase::
      EmberCPUVectorizeContractionsPassBase;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    SmallVector<linalg::MatmulOp> matmuls;
    getOperation().walk([&](linalg::MatmulOp op) { matmuls.push_back(op); });

    IRRewriter rewriter(ctx);
    const TargetModel target{vectorBits,
                             vectorRegisters > 0 ? int64_t(vectorRegisters)
                             : vectorBits >= 512 ? 32
                                                 : 16,
                             std::max<int64_t>(fmaLatency, 1),
                             std::max<int64_t>(fmaPerCycle, 1),
                             std::max<int64_t>(l1Bytes, 1024),
                             std::max<int64_t>(l1Ways, 1),
                             std::max<int64_t>(l2Bytes, 64 * 1024)};
    if (parallel) {
      // Each rewrite of the large f32 products in turn, over the products
      // the one before left.
      auto eachLargeProduct = [&](auto rewrite) {
        for (linalg::MatmulOp op : matmuls)
          if (std::optional<ProductShape> shape = productShape(op);
              shape && shape->f32 && shape->large())
            rewrite(op, *shape);
        matmuls.clear();
        getOperation().walk(
            [&](linalg::MatmulOp op) { matmuls.push_back(op); });
      };
      // Products whose N splits into two-vector columns and a rest.
      eachLargeProduct([&](linalg::MatmulOp op, const ProductShape &) {
        splitColumns(rewriter, op, target);
      });
      // Products of a convolution's windows: in blocks of images, each
      // block's windows copied just before its product.
      eachLargeProduct([&](linalg::MatmulOp op, const ProductShape &) {
        blockWindowProduct(rewriter, op, target);
      });
      // Products whose A is too large for the L2 and too short for row
      // blocks: in parts of K (not when B is given as panels, which the
      // parts' slices of B would hide: a 3-D transpose on every call; nor
      // when B is a constant, packed whole at compile time: the CNN's
      // 64x3136x128 classifier at inference was 7 parallel regions and a
      // transpose of its weight on every call, 3.40 against 4.17 ms for
      // the whole inference on 2 threads, 6.83 against 7.07 on one).
      eachLargeProduct([&](linalg::MatmulOp op, const ProductShape &shape) {
        if (!chooseDotTile(shape.m, shape.k, shape.n, target) &&
            !givenPanels(op.getDpsInputs()[1]) &&
            !constantValues(op.getDpsInputs()[1]))
          splitDepth(rewriter, op, target);
      });
    }
    // Each product's tile, whether it runs on threads, and whether its
    // weight transpose is packed into its panels (such a transpose is not
    // vectorized on its own).
    struct Plan {
      linalg::MatmulOp op;
      int64_t mr, nr;
      bool parallel;
      Operation *packed; // a transpose or copy of B, or null
      int64_t rowBlock;  // rows of A a packed panel's tiles run over (0: M)
      Value panels;      // B's panels (prepackConstant, givenPanels), or null
    };
    SmallVector<Plan> plans;
    llvm::SmallPtrSet<Operation *, 4> packedTransposes;
    // Products with few columns (chooseDotTile): the dot-product kernel,
    // which reads a transposed weight as stored.
    SmallVector<linalg::MatmulOp> outerProducts;
    for (linalg::MatmulOp op : matmuls) {
      std::optional<ProductShape> shape = productShape(op);
      if (!shape || !shape->f32) {
        outerProducts.push_back(op);
        continue;
      }
      auto [m, k, n, f32] = *shape;
      Value w = transposedWeight(op);
      std::optional<std::pair<int64_t, int64_t>> tile =
          chooseDotTile(m, k, n, target, /*weightAsStored=*/w != nullptr);
      // A plain K x N B whose rows would split unevenly across registers
      // (AVX2's 10 = 8 + 2 lanes; a narrower N fits one padded register)
      // is transposed first: N x K is small.
      if (tile && !w && n > target.lanes()) {
        rewriter.setInsertionPoint(op);
        Value b = op.getDpsInputs()[1];
        Value empty = tensor::EmptyOp::create(rewriter, op.getLoc(),
                                              ArrayRef<int64_t>{n, k},
                                              rewriter.getF32Type());
        w = linalg::TransposeOp::create(rewriter, op.getLoc(), b, empty,
                                        ArrayRef<int64_t>{1, 0})
                ->getResult(0);
      }
      if (!tile || !w) {
        outerProducts.push_back(op);
        continue;
      }
      (void)tileDotProduct(rewriter, op, w, target.lanes(), tile->first,
                           tile->second, parallel && shape->large());
    }

    for (linalg::MatmulOp op : outerProducts) {
      std::optional<ProductShape> shape = productShape(op);
      if (!shape)
        continue;
      auto [m, k, n, f32] = *shape;
      // A is read in place, its rows `aStride` floats apart.
      int64_t aStride = rowStride(op.getDpsInputs()[0]);
      // A product in a block of blockWindowProduct's runs on the block's
      // thread.
      bool nested = op->getParentOfType<scf::ForallOp>() != nullptr;
      bool parallelOp = parallel && shape->large() && !nested;
      // A B given as its panels is read as it is, by tiles of its panels'
      // width (there is one unless the width is under 4).
      if (Value given = f32 ? givenPanels(op.getDpsInputs()[1]) : nullptr) {
        int64_t width = cast<RankedTensorType>(given.getType()).getDimSize(2);
        std::optional<std::pair<int64_t, int64_t>> tile =
            chooseTile(m, n, target, /*partialRows=*/true, width, aStride);
        if (tile) {
          int64_t block = rowBlock(m, k, tile->first, target);
          if (block)
            tile = chooseTile(block, n, target, /*partialRows=*/true, width,
                              aStride);
          Operation *copy = insertPackingCopy(rewriter, op);
          plans.push_back(
              {op, tile->first, tile->second, parallelOp, copy, block, given});
          continue;
        }
      }
      // Packed products run each panel's row tiles as a serial loop, whose
      // last tile may be shorter: there Mr need not divide M. Otherwise
      // (one scf.forall over every tile) it must.
      std::optional<std::pair<int64_t, int64_t>> tile =
          chooseTile(m, n, target, /*partialRows=*/true, 0, aStride);
      Operation *packed = nullptr;
      // Large products may pack B on every call; any product reads a
      // constant B packed at compile time (prepackConstant).
      std::optional<std::vector<float>> constantB =
          tile ? constantValues(op.getDpsInputs()[1]) : std::nullopt;
      bool packsLarge = tile && (parallelOp || (parallel && nested));
      if (packsLarge) {
        if (linalg::TransposeOp transpose =
                packableTranspose(op, tile->second, vectorBits)) {
          packedTransposes.insert(transpose);
          packed = transpose;
        } else if (packingPays(m, k, rowStride(op.getDpsInputs()[1]),
                               tile->first, tile->second, target) ||
                   (nested && rowsDivideBadly(m, n, target, aStride))) {
          packed = insertPackingCopy(rewriter, op);
        }
      }
      if (!packed)
        tile = chooseTile(m, n, target, false, 0, aStride);
      if (!tile)
        continue;
      // A packed product's tiles run over blocks of rows: the tile is the
      // best for a block's rows (there is one: a block is a few tiles tall).
      int64_t block = packed ? rowBlock(m, k, tile->first, target) : 0;
      if (block)
        tile = chooseTile(block, n, target, /*partialRows=*/true, 0, aStride);
      assert(tile && "a row block is at least 4 tiles of the first choice");
      // A B known now is packed now, whether or not packing it on every
      // call would pay: its panels cost nothing to read.
      Value panels;
      if (tile && constantB) {
        packedTransposes.erase(packed);
        Operation *copy = nullptr;
        panels = prepackConstant(rewriter, op, tile->second, *constantB, copy);
        if (panels)
          packed = copy;
        else if (isa_and_nonnull<linalg::TransposeOp>(packed))
          packedTransposes.insert(packed);
      }
      // f32 panels of at most a cache line a row, which the row blocks
      // (at least two) all read, are packed once, first (packPanelsOnce).
      if (!panels && block && f32 && !nested && tile->second * 4 <= 64) {
        if (auto copy = dyn_cast_or_null<linalg::CopyOp>(packed)) {
          panels = packPanelsOnce(rewriter, copy, tile->second, parallel);
        } else if (auto transpose =
                       dyn_cast_or_null<linalg::TransposeOp>(packed)) {
          // The product then reads W^T through a packing copy, which the
          // panels replace; the transpose (left out of the standalone
          // ones) goes with it.
          panels = packTransposedPanelsOnce(rewriter, transpose, tile->second,
                                            parallel, vectorBits);
          if (panels)
            packed = insertPackingCopy(rewriter, op);
        }
        // No block packs its panels now: the block whose tiles run best.
        if (panels) {
          block = rowBlockForPanels(m, k, n, tile->first, tile->second, aStride,
                                    target);
          if (auto blockTile =
                  chooseTile(block, n, target,
                             /*partialRows=*/true, tile->second, aStride))
            tile = blockTile;
        }
      }
      plans.push_back(
          {op, tile->first, tile->second, parallelOp, packed, block, panels});
    }

    // Transposes that only the tiles read, as their A: the tiles read the
    // transpose's input instead (readThroughTranspose, below), unless some
    // read cannot. (Marked, not remembered: the clean-up before may erase
    // ops.)
    constexpr StringLiteral kReadThrough = "ember.read_through";
    // (Each product's tile height, for those without row blocks.)
    llvm::DenseMap<Operation *, int64_t> products;
    for (const Plan &plan : plans)
      if (plan.rowBlock == 0)
        products[plan.op] = plan.mr;
    SmallVector<linalg::TransposeOp> transposes;
    bool readThrough = false;
    getOperation().walk([&](linalg::TransposeOp op) {
      if (packedTransposes.contains(op))
        return;
      if (isTransposedA(op, products)) {
        op->setAttr(kReadThrough, rewriter.getUnitAttr());
        readThrough = true;
      } else {
        transposes.push_back(op);
      }
    });
    for (linalg::TransposeOp op : transposes)
      vectorizeTranspose(rewriter, op, parallel, vectorBits);

    for (const Plan &plan : plans) {
      linalg::GenericOp epilogue = epilogueOf(plan.op);
      Operation *root = epilogue ? epilogue.getOperation() : plan.op;
      SmallVector<int64_t> sizes = {plan.mr, plan.nr};
      if (!epilogue)
        sizes.push_back(0);
      if (plan.packed && succeeded(tileAndFusePacked(
                             rewriter, root, plan.packed, sizes, plan.rowBlock,
                             plan.parallel, vectorBits, plan.panels)))
        continue;
      if (epilogue && succeeded(tileAndFuse(rewriter, epilogue,
                                            {plan.mr, plan.nr}, plan.parallel)))
        continue;
      // Register tiles over M and N (the accumulator's initialisation fused
      // in), then K one step at a time.
      (void)tileAndFuse(rewriter, plan.op, {plan.mr, plan.nr, 0},
                        plan.parallel);
    }

    if (readThrough) {
      // Tiling leaves the ops it replaced in place, unused (a panel's
      // product and epilogue, whose tiles now compute them), and they read
      // the transposes too.
      (void)runRegionDCE(rewriter, getOperation()->getRegions());
      SmallVector<linalg::TransposeOp> marked;
      getOperation().walk([&](linalg::TransposeOp op) {
        if (op->removeAttr(kReadThrough))
          marked.push_back(op);
      });
      for (linalg::TransposeOp op : marked)
        if (!readThroughTranspose(rewriter, op))
          vectorizeTranspose(rewriter, op, parallel, vectorBits);
    }

    SmallVector<linalg::ReduceOp> reductions;
    getOperation().walk([&](linalg::ReduceOp op) { reductions.push_back(op); });
    for (linalg::ReduceOp op : reductions)
      splitTrailingReduction(rewriter, op);

    // Short rows joined into long ones before they are shared out.
    SmallVector<linalg::GenericOp> elementwise;
    getOperation().walk(
        [&](linalg::GenericOp op) { elementwise.push_back(op); });
    for (linalg::GenericOp op : elementwise)
      (void)collapseShortRows(rewriter, op);

    if (parallel) {
      // Generics, and the fills left standing (a max-pool gradient's -inf
      // and zero-index starts, 0.8-1.6 MB each, filled on one thread).
      SmallVector<linalg::LinalgOp> generics;
      getOperation().walk([&](linalg::LinalgOp op) {
        if (isa<linalg::GenericOp, linalg::FillOp>(op))
          generics.push_back(op);
      });
      for (linalg::LinalgOp op : generics)
        parallelizeElementwise(rewriter, op);
    }
    // Window copies, ops reading through extracts and generics of several
    // results, a row at a time; generics in a forall's body into their part
    // of its result, where that is what they are inserted into.
    SmallVector<linalg::GenericOp> extractReaders, windowCopies;
    getOperation().walk([&](linalg::GenericOp op) {
      computeInPlace(rewriter, op);
      if (readsThroughExtracts(op))
        extractReaders.push_back(op);
      else if (isWindowCopy(op) || isMultiResultRows(op))
        windowCopies.push_back(op);
    });
    for (linalg::GenericOp op : extractReaders)
      vectorizeExtractRows(rewriter, op);
    for (linalg::GenericOp op : windowCopies)
      vectorizeWindowCopy(rewriter, op);

    // Turn broadcast-like reads into broadcasts, fold the tile slices into
    // the transfers and drop the unit K dimension, so that each tile is an
    // mk,kn->mn contraction the outer-product lowering handles.
    RewritePatternSet patterns(ctx);
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    vector::populateVectorReductionToContractPatterns(patterns);
    vector::populateCastAwayVectorLeadingOneDimPatterns(patterns);
    tensor::populateFoldTensorSubsetIntoVectorTransferPatterns(patterns);
    vector::TransferReadOp::getCanonicalizationPatterns(patterns, ctx);
    vector::TransferWriteOp::getCanonicalizationPatterns(patterns, ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
    // Then the contractions left elementwise (one-row tiles) as FMAs: only
    // now, since every tile's contraction passes through that form before
    // the patterns above fold its operands' broadcasts into its maps.
    RewritePatternSet fmas(ctx);
    fmas.add<UnitReductionContractToFma>(ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(fmas))))
      signalPassFailure();
  }
};

} // namespace
