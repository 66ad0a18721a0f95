//===- FuseGatherBlocks.cpp - A product and its pooling in blocks ---------===//
//
// Part of Ember. See EmberCPUFuseGatherBlocksPass in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "ember/Transforms/Passes.h"
#include "ember/Transforms/TileRewrites.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"

namespace mlir::ember {
#define GEN_PASS_DEF_EMBERCPUFUSEGATHERBLOCKSPASS
#include "ember/Transforms/Passes.h.inc"
} // namespace mlir::ember

using namespace mlir;
using mlir::ember::eraseDeadProducers;
using mlir::ember::giveOwnTemporary;

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

/// Bytes of an f32 tensor of `shape` (the products matched are f32).
int64_t bytesOf(ArrayRef<int64_t> shape) {
  return ShapedType::getNumElements(shape) * 4;
}

/// Whether `op` is an all-parallel generic of one result, on tensors,
/// written through the identity map without reading its init's values:
/// computing a tile of it into a fresh temporary gives the same values.
bool writesWithoutReading(linalg::GenericOp op) {
  return op.hasPureTensorSemantics() && op.getNumReductionLoops() == 0 &&
         op->getNumResults() == 1 &&
         op.getIndexingMapsArray().back().isIdentity() &&
         !op.payloadUsesValueFromOperand(op.getDpsInitOperand(0));
}

std::optional<Candidate> match(linalg::GenericOp reader) {
  if (!writesWithoutReading(reader) ||
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
    // A plain f32 product (the blocks' products are rebuilt with the
    // default maps and no cast).
    if (!product || !product.hasPureTensorSemantics() ||
        !product->hasOneUse() || product.hasDynamicShape() ||
        product.hasUserDefinedMaps() ||
        !llvm::all_of(product->getOperandTypes(), [](Type type) {
          return cast<ShapedType>(type).getElementType().isF32();
        }))
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
  int64_t bytesPerImage =
      bytesOf(resultType.getShape()) / c.images +
      bytesOf(operandType.getShape()) / c.images +
      bytesOf(
          cast<RankedTensorType>(c.reader.getResult(0).getType()).getShape()) /
          c.images;
  // At least two blocks, and eight where there are images enough (the
  // blocks are what the threads share).
  for (int64_t g = std::max<int64_t>(c.images / 8, 1); g >= 1; --g)
    if (c.images % g == 0 && c.images / g >= 2 && g * bytesPerImage <= budget &&
        (c.productDim == 0 || (g * c.perImage) % kColumnMultiple == 0))
      return g;
  return 0;
}

/// Computes in the block, for the block's slice alone, each input of a
/// tiled op that is a slice of an elementwise generic read by nothing else
/// (the input's zero padding ahead of a convolution's window copy), which
/// would otherwise run whole, on one thread, ahead of the blocks.
void fuseInputProducers(IRRewriter &rewriter, linalg::LinalgOp op) {
  for (OpOperand *input : op.getDpsInputOperands()) {
    auto slice = input->get().getDefiningOp<tensor::ExtractSliceOp>();
    auto producer =
        slice ? slice.getSource().getDefiningOp<linalg::GenericOp>() : nullptr;
    // Its users: this slice, and the whole op this one is a tile of.
    if (!producer || !writesWithoutReading(producer) ||
        std::distance(producer->getUsers().begin(),
                      producer->getUsers().end()) != 2)
      continue;
    rewriter.setInsertionPoint(slice);
    FailureOr<TilingResult> tiled =
        tensor::replaceExtractSliceWithTiledProducer(
            rewriter, slice, cast<OpResult>(slice.getSource()));
    if (failed(tiled) || tiled->tiledValues.size() != 1 ||
        tiled->tiledOps.size() != 1)
      continue;
    rewriter.replaceOp(slice, tiled->tiledValues.front());
    if (auto tiledOp = dyn_cast<linalg::LinalgOp>(tiled->tiledOps.front()))
      giveOwnTemporary(rewriter, tiledOp);
  }
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
    // A producer computed for the block into a fresh temporary must not
    // read what its result starts from (a window copy only copies).
    auto tileable = collapse.getSrc().getDefiningOp<linalg::GenericOp>();
    if (srcType.hasStaticShape() && srcType.getDimSize(lead) == c.images &&
        collapse->hasOneUse() && tileable && collapse.getSrc().hasOneUse() &&
        writesWithoutReading(tileable)) {
      SmallVector<OpFoldResult> offsets(srcType.getRank(),
                                        rewriter.getIndexAttr(0));
      SmallVector<int64_t> sizes(srcType.getShape());
      offsets[lead] = first;
      sizes[lead] = g;
      FailureOr<TilingResult> tiled =
          cast<TilingInterface>(tileable.getOperation())
              .getTiledImplementation(rewriter, offsets,
                                      getAsIndexOpFoldResult(ctx, sizes));
      if (succeeded(tiled) && tiled->tiledOps.size() == 1) {
        auto op = cast<linalg::LinalgOp>(tiled->tiledOps.front());
        giveOwnTemporary(rewriter, op);
        fuseInputProducers(rewriter, op);
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

  // The reader's block: written in place into its part of the result,
  // gathering from the block's product at image index - first.
  SmallVector<OpFoldResult> ones(outType.getRank(), rewriter.getIndexAttr(1));
  Value part = tensor::ExtractSliceOp::create(
      rewriter, loc, forall.getRegionIterArgs()[0], offsets,
      getAsIndexOpFoldResult(ctx, sizes), ones);
  rewriter.modifyOpInPlace(
      readerBlock, [&] { readerBlock.getDpsInitsMutable()[0].assign(part); });
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
  tensor::ParallelInsertSliceOp::create(
      rewriter, loc, readerBlock.getResult(0), forall.getRegionIterArgs()[0],
      offsets, getAsIndexOpFoldResult(ctx, sizes), ones);
  rewriter.replaceOp(c.reader, forall.getResults());

  // What fed the whole product is dead now (and the slices of the whole
  // ops that tiling made and the blocks no longer read).
  SmallVector<tensor::ExtractSliceOp> slices;
  forall.getBody()->walk(
      [&](tensor::ExtractSliceOp slice) { slices.push_back(slice); });
  for (tensor::ExtractSliceOp slice : slices)
    eraseDeadProducers(rewriter, slice.getResult());
  eraseDeadProducers(rewriter, c.expand.getResult());
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
