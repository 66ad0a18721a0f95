//===- FuseGatherBlocks.cpp - A product and its gathering reader in blocks
//-===//
//
// Part of Ember. See EmberCPUFuseGatherBlocksPass in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "ember/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"

namespace mlir::ember {
#define GEN_PASS_DEF_EMBERCPUFUSEGATHERBLOCKSPASS
#include "ember/Transforms/Passes.h.inc"
} // namespace mlir::ember

using namespace mlir;

namespace {

/// A product whose result is read, through a tensor.expand_shape that
/// splits one of its dimensions into [images, ...], only by gathers
/// (tensor.extract) in the body of one elementwise generic (a pooling),
/// each of which takes its image index straight from one loop of that
/// generic.
struct Candidate {
  linalg::GenericOp reader;
  tensor::ExpandShapeOp expand;
  linalg::MatmulOp product;
  linalg::FillOp fill; // the product's accumulator's start
  unsigned productDim; // 0: images split M (rows of A); 1: N (columns of B)
  unsigned imageDim;   // the images dimension of the expanded result
  unsigned readerLoop; // the reader's loop the image index comes from
  int64_t images;      // the images dimension's size
  int64_t perImage;    // the product's rows (or columns) an image spans
};

int64_t bytesOf(ArrayRef<int64_t> shape) {
  int64_t bytes = 4;
  for (int64_t d : shape)
    bytes *= d;
  return bytes;
}

std::optional<Candidate> match(linalg::GenericOp reader) {
  if (!reader.hasPureTensorSemantics() || reader.getNumDpsInits() != 1 ||
      reader.getNumReductionLoops() != 0 ||
      !reader.getIndexingMapsArray().back().isIdentity() ||
      !reader.getBody()->getArguments().back().use_empty() ||
      reader->getParentOfType<LoopLikeOpInterface>())
    return std::nullopt;
  auto outType = dyn_cast<RankedTensorType>(reader.getResult(0).getType());
  if (!outType || !outType.hasStaticShape())
    return std::nullopt;
  std::optional<Candidate> found;
  reader.getBody()->walk([&](tensor::ExtractOp extract) {
    if (found)
      return WalkResult::interrupt();
    auto expand = extract.getTensor().getDefiningOp<tensor::ExpandShapeOp>();
    if (!expand || !expand.getResultType().hasStaticShape())
      return WalkResult::advance();
    auto product = expand.getSrc().getDefiningOp<linalg::MatmulOp>();
    if (!product || !product.hasPureTensorSemantics() ||
        !product->hasOneUse() || product.hasDynamicShape())
      return WalkResult::advance();
    auto fill = product.getDpsInits()[0].getDefiningOp<linalg::FillOp>();
    if (!fill || !fill->hasOneUse() || !fill.hasPureTensorSemantics())
      return WalkResult::advance();
    // The images dimension: the first of the group one of the product's
    // dimensions expands to, split further (an image's rows and columns).
    for (auto [dim, group] :
         llvm::enumerate(expand.getReassociationIndices())) {
      if (group.size() < 2)
        continue;
      unsigned imageDim = group.front();
      auto index =
          extract.getIndices()[imageDim].getDefiningOp<linalg::IndexOp>();
      if (!index || index->getParentOp() != reader.getOperation())
        continue;
      int64_t images = expand.getResultType().getDimSize(imageDim);
      int64_t perImage = cast<RankedTensorType>(product.getResult(0).getType())
                             .getDimSize(dim) /
                         images;
      found = Candidate{reader,
                        expand,
                        product,
                        fill,
                        unsigned(dim),
                        imageDim,
                        unsigned(index.getDim()),
                        images,
                        perImage};
      break;
    }
    return found ? WalkResult::interrupt() : WalkResult::advance();
  });
  if (!found || outType.getDimSize(found->readerLoop) != found->images)
    return std::nullopt;
  // Every read of the expanded result is such a gather in this reader.
  for (Operation *user : found->expand->getUsers()) {
    auto extract = dyn_cast<tensor::ExtractOp>(user);
    if (!extract || !reader->isProperAncestor(extract))
      return std::nullopt;
    auto index =
        extract.getIndices()[found->imageDim].getDefiningOp<linalg::IndexOp>();
    if (!index || index.getDim() != found->readerLoop ||
        index->getParentOp() != reader.getOperation())
      return std::nullopt;
  }
  return found;
}

/// A block of a product's columns is a whole number of 64-byte lines (of
/// AVX-512 vectors, two AVX2 ones): the block's product is then tiled into
/// whole vectors like the whole one (a block of 196 columns would be left
/// to the scalar loops), and its rows start on a line.
constexpr int64_t kColumnMultiple = 16;

/// Images a block: the most (dividing the images, at least two blocks)
/// whose part of the product, of its operand split by images and of the
/// reader's result fit in half the L2; 0 when none does or when the
/// product's result fits in half the L2 already (then it stays there
/// between the product and its reader).
int64_t imagesPerBlock(Candidate c, int64_t l2Bytes) {
  auto resultType = cast<RankedTensorType>(c.product.getResult(0).getType());
  int64_t budget = l2Bytes / 2;
  if (bytesOf(resultType.getShape()) <= budget)
    return 0;
  auto operandType =
      cast<RankedTensorType>(c.product.getDpsInputs()[c.productDim].getType());
  int64_t perImage =
      bytesOf(resultType.getShape()) / c.images +
      bytesOf(operandType.getShape()) / c.images +
      bytesOf(
          cast<RankedTensorType>(c.reader.getResult(0).getType()).getShape()) /
          c.images;
  for (int64_t g = c.images / 2; g >= 1; --g)
    if (c.images % g == 0 && g * perImage <= budget &&
        (c.productDim == 0 || (g * c.perImage) % kColumnMultiple == 0))
      return g;
  return 0;
}

/// The block's part of the product's operand that the images split: of a
/// collapse_shape of an op that can be tiled (a convolution's window copy),
/// that op computed for the block's images alone into its own temporary
/// (not a slice of the whole); otherwise a slice.
Value operandBlock(IRRewriter &rewriter, Location loc, Candidate c, Value first,
                   int64_t g) {
  MLIRContext *ctx = rewriter.getContext();
  Value operand = c.product.getDpsInputs()[c.productDim];
  auto type = cast<RankedTensorType>(operand.getType());
  // Rows of A, or columns of B.
  unsigned split = c.productDim;
  if (auto collapse = operand.getDefiningOp<tensor::CollapseShapeOp>()) {
    SmallVector<ReassociationIndices> groups =
        collapse.getReassociationIndices();
    RankedTensorType srcType = collapse.getSrcType();
    unsigned lead = groups[split].front();
    auto tileable = collapse.getSrc().getDefiningOp<TilingInterface>();
    if (srcType.hasStaticShape() && srcType.getDimSize(lead) == c.images &&
        collapse->hasOneUse() && tileable && collapse.getSrc().hasOneUse() &&
        tileable->getNumResults() == 1 &&
        isa<linalg::LinalgOp>(tileable.getOperation()) &&
        cast<linalg::LinalgOp>(tileable.getOperation())
            .getIndexingMapsArray()
            .back()
            .isIdentity()) {
      SmallVector<OpFoldResult> offsets(srcType.getRank(),
                                        rewriter.getIndexAttr(0));
      SmallVector<int64_t> sizes(srcType.getShape());
      offsets[lead] = first;
      sizes[lead] = g;
      FailureOr<TilingResult> tiled = tileable.getTiledImplementation(
          rewriter, offsets, getAsIndexOpFoldResult(ctx, sizes));
      if (succeeded(tiled) && tiled->tiledOps.size() == 1) {
        auto op = cast<linalg::LinalgOp>(tiled->tiledOps.front());
        OpOperand &init = op.getDpsInitsMutable()[0];
        rewriter.setInsertionPoint(op);
        Value fresh = tensor::EmptyOp::create(rewriter, loc, sizes,
                                              srcType.getElementType());
        rewriter.modifyOpInPlace(op, [&] { init.assign(fresh); });
        rewriter.setInsertionPointAfter(op);
        return tensor::CollapseShapeOp::create(rewriter, loc, op->getResult(0),
                                               groups);
      }
    }
  }
  SmallVector<OpFoldResult> offsets(2, rewriter.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes =
      getAsIndexOpFoldResult(ctx, type.getShape());
  offsets[split] = affine::makeComposedFoldedAffineApply(
      rewriter, loc, getAffineDimExpr(0, ctx) * c.perImage, {first});
  sizes[split] = rewriter.getIndexAttr(g * c.perImage);
  SmallVector<OpFoldResult> ones(2, rewriter.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(rewriter, loc, operand, offsets, sizes,
                                        ones);
}

/// Rewrites the candidate into an scf.forall over blocks of `g` images,
/// each computing its images' part of the product into a block-sized
/// temporary and then its part of the reader, which gathers from that
/// temporary. Returns false (nothing changed) when the reader cannot be
/// tiled.
bool fuseInBlocks(IRRewriter &rewriter, Candidate c, int64_t g) {
  MLIRContext *ctx = rewriter.getContext();
  Location loc = c.reader.getLoc();
  auto outType = cast<RankedTensorType>(c.reader.getResult(0).getType());
  rewriter.setInsertionPoint(c.reader);
  auto forall = scf::ForallOp::create(
      rewriter, loc, ArrayRef<OpFoldResult>{rewriter.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{rewriter.getIndexAttr(c.images / g)},
      ArrayRef<OpFoldResult>{rewriter.getIndexAttr(1)},
      ValueRange{c.reader.getDpsInits()[0]}, std::nullopt);
  rewriter.setInsertionPointToStart(forall.getBody());
  Value first = getValueOrCreateConstantIndexOp(
      rewriter, loc,
      affine::makeComposedFoldedAffineApply(rewriter, loc,
                                            getAffineDimExpr(0, ctx) * g,
                                            {forall.getInductionVars()[0]}));

  // The reader's part first (it may fail, and then nothing else is built).
  SmallVector<OpFoldResult> offsets(outType.getRank(),
                                    rewriter.getIndexAttr(0));
  SmallVector<int64_t> sizes(outType.getShape());
  offsets[c.readerLoop] = first;
  sizes[c.readerLoop] = g;
  FailureOr<TilingResult> tiled =
      cast<TilingInterface>(c.reader.getOperation())
          .getTiledImplementation(rewriter, offsets,
                                  getAsIndexOpFoldResult(ctx, sizes));
  if (failed(tiled) || tiled->tiledOps.size() != 1) {
    rewriter.eraseOp(forall);
    return false;
  }
  auto readerBlock = cast<linalg::GenericOp>(tiled->tiledOps.front());

  // The product's part, before the reader's.
  rewriter.setInsertionPoint(readerBlock);
  Value operand = operandBlock(rewriter, loc, c, first, g);
  auto productType = cast<RankedTensorType>(c.product.getResult(0).getType());
  SmallVector<int64_t> blockShape(productType.getShape());
  blockShape[c.productDim] = g * c.perImage;
  Value init = linalg::FillOp::create(
                   rewriter, loc, c.fill.getDpsInputs()[0],
                   tensor::EmptyOp::create(rewriter, loc, blockShape,
                                           productType.getElementType())
                       .getResult())
                   .getResult(0);
  SmallVector<Value> inputs(c.product.getDpsInputs());
  inputs[c.productDim] = operand;
  Value product =
      linalg::MatmulOp::create(rewriter, loc, TypeRange{init.getType()}, inputs,
                               ValueRange{init})
          .getResult(0);
  SmallVector<int64_t> expandedShape(c.expand.getResultType().getShape());
  expandedShape[c.imageDim] = g;
  Value expanded = tensor::ExpandShapeOp::create(
      rewriter, loc,
      RankedTensorType::get(expandedShape, productType.getElementType()),
      product, c.expand.getReassociationIndices());

  // The reader's block: its own temporary, gathering from the block's part
  // at image index - first.
  Value fresh =
      tensor::EmptyOp::create(rewriter, loc, sizes, outType.getElementType());
  rewriter.modifyOpInPlace(
      readerBlock, [&] { readerBlock.getDpsInitsMutable()[0].assign(fresh); });
  SmallVector<tensor::ExtractOp> gathers;
  readerBlock.getBody()->walk([&](tensor::ExtractOp extract) {
    if (extract.getTensor() == c.expand.getResult())
      gathers.push_back(extract);
  });
  for (tensor::ExtractOp extract : gathers) {
    rewriter.setInsertionPoint(extract);
    SmallVector<Value> indices(extract.getIndices());
    indices[c.imageDim] = getValueOrCreateConstantIndexOp(
        rewriter, loc,
        affine::makeComposedFoldedAffineApply(
            rewriter, loc, getAffineDimExpr(0, ctx) - getAffineDimExpr(1, ctx),
            {indices[c.imageDim], first}));
    rewriter.replaceOpWithNewOp<tensor::ExtractOp>(extract, expanded, indices);
  }

  rewriter.setInsertionPointToStart(forall.getTerminator().getBody());
  SmallVector<OpFoldResult> ones(outType.getRank(), rewriter.getIndexAttr(1));
  tensor::ParallelInsertSliceOp::create(
      rewriter, loc, readerBlock.getResult(0), forall.getRegionIterArgs()[0],
      offsets, getAsIndexOpFoldResult(ctx, sizes), ones);
  rewriter.replaceOp(c.reader, forall.getResults());

  // What fed the whole product is dead now.
  SmallVector<Operation *> dead = {c.expand, c.product, c.fill};
  Value operandWhole = c.product.getDpsInputs()[c.productDim];
  if (auto collapse = operandWhole.getDefiningOp<tensor::CollapseShapeOp>()) {
    dead.push_back(collapse);
    if (Operation *src = collapse.getSrc().getDefiningOp())
      dead.push_back(src);
  }
  for (Operation *op : dead)
    if (op->use_empty())
      rewriter.eraseOp(op);
  return true;
}

struct EmberCPUFuseGatherBlocksPass
    : mlir::ember::impl::EmberCPUFuseGatherBlocksPassBase<
          EmberCPUFuseGatherBlocksPass> {
  using EmberCPUFuseGatherBlocksPassBase::EmberCPUFuseGatherBlocksPassBase;

  void runOnOperation() override {
    SmallVector<linalg::GenericOp> readers;
    getOperation().walk([&](linalg::GenericOp op) { readers.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp reader : readers) {
      std::optional<Candidate> c = match(reader);
      if (!c)
        continue;
      if (int64_t g = imagesPerBlock(*c, l2Bytes))
        (void)fuseInBlocks(rewriter, *c, g);
    }
  }
};

} // namespace
