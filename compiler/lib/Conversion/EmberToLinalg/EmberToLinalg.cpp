//===- EmberToLinalg.cpp - Lower ember ops to linalg on tensors -----------===//
//
// Part of Ember. One conversion pattern per ember op. The output is
// destination-passing linalg on tensors: every result is computed into a
// tensor.empty (or a filled/broadcast init), which bufferization later turns
// into a buffer.
//
//===----------------------------------------------------------------------===//

#include "ember/Conversion/Passes.h"

#include "Builders.h"

#include "ember/Dialect/Ember/IR/EmberOps.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::ember {
#define GEN_PASS_DEF_CONVERTEMBERTOLINALGPASS
#include "ember/Conversion/Passes.h.inc"
} // namespace mlir::ember

using namespace mlir;
using namespace mlir::ember;
using namespace mlir::ember::to_linalg;

namespace {

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

/// Lowers a binary elementwise op to a generic whose body is FloatOp for
/// floating-point elements and IntOp for integers.
template <typename EmberOp, typename FloatOp, typename IntOp>
struct BinaryOpLowering : OpConversionPattern<EmberOp> {
  using OpConversionPattern<EmberOp>::OpConversionPattern;
  using OpAdaptor = typename EmberOp::Adaptor;

  LogicalResult
  matchAndRewrite(EmberOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    bool isFloat = isa<FloatType>(type.getElementType());
    Value result = buildElementwise(
        rewriter, op.getLoc(), type, {adaptor.getLhs(), adaptor.getRhs()},
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          if (isFloat)
            return FloatOp::create(b, loc, args[0], args[1]);
          return IntOp::create(b, loc, args[0], args[1]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct NegOpLowering : OpConversionPattern<NegOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(NegOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Value result = buildElementwise(
        rewriter, op.getLoc(), type, {adaptor.getInput()},
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          if (isa<FloatType>(args[0].getType()))
            return arith::NegFOp::create(b, loc, args[0]);
          Value zero = zeroOf(b, loc, args[0].getType());
          return arith::SubIOp::create(b, loc, zero, args[0]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct ReluOpLowering : OpConversionPattern<ReluOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ReluOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Value result = buildElementwise(
        rewriter, op.getLoc(), type, {adaptor.getInput()},
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          if (isa<FloatType>(args[0].getType()))
            return reluOf(b, loc, args[0]);
          // uint8 (i8) is never negative.
          if (args[0].getType().getIntOrFloatBitWidth() == 8)
            return args[0];
          return arith::MaxSIOp::create(b, loc, args[0],
                                        zeroOf(b, loc, args[0].getType()));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

struct ConstantOpLowering : OpConversionPattern<ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConstantOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(
        op, cast<TypedAttr>(op.getValue()));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// MatmulOp and LinearOp
//===----------------------------------------------------------------------===//

struct MatmulOpLowering : OpConversionPattern<MatmulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(MatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Value init = zeroFilled(rewriter, loc, type);
    auto matmul = linalg::MatmulOp::create(
        rewriter, loc, TypeRange{type},
        ValueRange{adaptor.getLhs(), adaptor.getRhs()}, ValueRange{init});
    rewriter.replaceOp(op, matmul.getResult(0));
    return success();
  }
};

/// x·Wᵀ + b: the accumulator starts as the bias broadcast over rows (or
/// zero), and a matmul with the transposed weight adds x·Wᵀ into it.
Value buildLinear(OpBuilder &rewriter, Location loc, RankedTensorType type,
                  Value input, Value weight, Value bias) {
  Value init;
  if (bias) {
    init = linalg::BroadcastOp::create(rewriter, loc, bias,
                                       emptyLike(rewriter, loc, type),
                                       ArrayRef<int64_t>{0})
               .getResult()[0];
  } else {
    init = zeroFilled(rewriter, loc, type);
  }
  // Wᵀ is materialised ([in, out], row-major) so that the product is a
  // plain matmul whose B rows are contiguous: the layout the register-tiled
  // CPU kernels stream through.
  auto weightType = tensorTypeOf(weight);
  auto transposedType = RankedTensorType::get(
      {weightType.getDimSize(1), weightType.getDimSize(0)},
      weightType.getElementType());
  Value transposed =
      linalg::TransposeOp::create(rewriter, loc, weight,
                                  emptyLike(rewriter, loc, transposedType),
                                  ArrayRef<int64_t>{1, 0})
          .getResult()[0];
  auto matmul =
      linalg::MatmulOp::create(rewriter, loc, TypeRange{type},
                               ValueRange{input, transposed}, ValueRange{init});
  return matmul.getResult(0);
}

struct LinearOpLowering : OpConversionPattern<LinearOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, buildLinear(rewriter, op.getLoc(),
                                       cast<RankedTensorType>(op.getType()),
                                       adaptor.getInput(), adaptor.getWeight(),
                                       adaptor.getBias()));
    return success();
  }
};

/// The linear followed by the ReLU as an elementwise consumer of the matmul:
/// the CPU pipeline tiles them together, applying the ReLU to each
/// accumulator tile while it is still in registers.
struct LinearReluOpLowering : OpConversionPattern<LinearReluOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LinearReluOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Value linear = buildLinear(rewriter, op.getLoc(), type, adaptor.getInput(),
                               adaptor.getWeight(), adaptor.getBias());
    Value result = buildElementwise(
        rewriter, op.getLoc(), type, {linear},
        [](OpBuilder &b, Location loc, ValueRange args) -> Value {
          return reluOf(b, loc, args[0]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// ReshapeOp
//===----------------------------------------------------------------------===//

/// Reassociation that groups every dimension of a rank-`rank` shape into one.
SmallVector<ReassociationIndices> allInOneGroup(int64_t rank) {
  if (rank == 0)
    return {};
  ReassociationIndices group;
  for (int64_t i = 0; i < rank; ++i)
    group.push_back(i);
  return {group};
}

/// A reshape goes through the flat, rank-1 form: collapse every dimension
/// into one, then expand that into the target shape. Both are views after
/// bufferization, so no data moves. Rank-0 tensors collapse to and expand
/// from the empty reassociation.
struct ReshapeOpLowering : OpConversionPattern<ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto inType = tensorTypeOf(adaptor.getInput());
    auto outType = cast<RankedTensorType>(op.getType());
    Value value = adaptor.getInput();
    // Rank-0 on either side: a single collapse or expand suffices.
    if (outType.getRank() == 0) {
      rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(
          op, outType, value, SmallVector<ReassociationIndices>{});
      return success();
    }
    if (inType.getRank() == 0) {
      rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(
          op, outType, value, SmallVector<ReassociationIndices>{});
      return success();
    }
    if (inType.getRank() != 1) {
      auto flat = RankedTensorType::get({inType.getNumElements()},
                                        inType.getElementType());
      value = tensor::CollapseShapeOp::create(rewriter, loc, flat, value,
                                              allInOneGroup(inType.getRank()));
    }
    if (outType.getRank() != 1)
      value = tensor::ExpandShapeOp::create(rewriter, loc, outType, value,
                                            allInOneGroup(outType.getRank()));
    rewriter.replaceOp(op, value);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// TransposeOp
//===----------------------------------------------------------------------===//

struct TransposeOpLowering : OpConversionPattern<TransposeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    // linalg.transpose has no form for the identity permutation (rank 0 in
    // particular): the result is the input.
    if (llvm::equal(op.getPermutation(),
                    llvm::seq<int64_t>(0, op.getPermutation().size()))) {
      rewriter.replaceOp(op, adaptor.getInput());
      return success();
    }
    auto type = cast<RankedTensorType>(op.getType());
    auto transpose = linalg::TransposeOp::create(
        rewriter, op.getLoc(), adaptor.getInput(),
        emptyLike(rewriter, op.getLoc(), type), op.getPermutation());
    rewriter.replaceOp(op, transpose.getResult()[0]);
    return success();
  }
};

/// A tensor of `outType` whose point `i` is `input`'s point `exprs(i)`: a
/// generic that only copies, through that input map.
Value copyThrough(OpBuilder &b, Location loc, Value input,
                  ArrayRef<AffineExpr> exprs, RankedTensorType outType) {
  int64_t rank = outType.getRank();
  SmallVector<AffineMap> maps = {
      AffineMap::get(rank, 0, exprs, b.getContext()),
      b.getMultiDimIdentityMap(rank)};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{outType}, ValueRange{input},
      ValueRange{emptyLike(b, loc, outType)}, maps, iterators,
      [](OpBuilder &nb, Location nl, ValueRange args) {
        linalg::YieldOp::create(nb, nl, args[0]);
      });
  return generic.getResult(0);
}

//===----------------------------------------------------------------------===//
// SliceOp, SliceScatterOp
//===----------------------------------------------------------------------===//

/// A copy through the map `i -> offsets + i * strides`: a generic every
/// backend reads as a view (the GPU mapping folds it into its reader).
/// Linalg takes a dimension read through a plain `d` (offset 0, stride 1)
/// to have the loop's size, so a box cut short that way is a gather
/// instead: a generic over the result reading the input by computed index.
struct SliceOpLowering : OpConversionPattern<SliceOp> {
  SliceOpLowering(MLIRContext *ctx, bool copies)
      : OpConversionPattern(ctx), copies(copies) {}
  bool copies;
  LogicalResult
  matchAndRewrite(SliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    MLIRContext *ctx = rewriter.getContext();
    auto outType = cast<RankedTensorType>(op.getType());
    auto inType = tensorTypeOf(adaptor.getInput());
    int64_t rank = outType.getRank();
    if (!copies) {
      // A view: bufferized, its readers read the input's buffer (a slice of
      // a gradient bucket, read by the optimizer's update, costs nothing).
      SmallVector<OpFoldResult> offsets, sizes, strides;
      for (int64_t d = 0; d < rank; ++d) {
        offsets.push_back(rewriter.getIndexAttr(op.getOffsets()[d]));
        sizes.push_back(rewriter.getIndexAttr(outType.getDimSize(d)));
        strides.push_back(rewriter.getIndexAttr(op.getStrides()[d]));
      }
      rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
          op, outType, adaptor.getInput(), offsets, sizes, strides);
      return success();
    }
    bool cutShort = false;
    for (int64_t d = 0; d < rank; ++d)
      cutShort |= op.getOffsets()[d] == 0 && op.getStrides()[d] == 1 &&
                  outType.getDimSize(d) != inType.getDimSize(d);
    if (cutShort) {
      Value input = adaptor.getInput();
      SmallVector<int64_t> offsets(op.getOffsets()), strides(op.getStrides());
      rewriter.replaceOp(
          op, buildElementwise(
                  rewriter, op.getLoc(), outType, ValueRange{},
                  [&](OpBuilder &b, Location loc, ValueRange) -> Value {
                    SmallVector<Value> at;
                    for (int64_t d = 0; d < rank; ++d) {
                      Value i = linalg::IndexOp::create(b, loc, d);
                      if (strides[d] != 1)
                        i = arith::MulIOp::create(
                            b, loc, i,
                            arith::ConstantIndexOp::create(b, loc, strides[d]));
                      if (offsets[d] != 0)
                        i = arith::AddIOp::create(
                            b, loc, i,
                            arith::ConstantIndexOp::create(b, loc, offsets[d]));
                      at.push_back(i);
                    }
                    return tensor::ExtractOp::create(b, loc, input, at);
                  }));
      return success();
    }
    SmallVector<AffineExpr> exprs;
    for (int64_t d = 0; d < rank; ++d)
      exprs.push_back(getAffineDimExpr(d, ctx) * op.getStrides()[d] +
                      op.getOffsets()[d]);
    rewriter.replaceOp(op, copyThrough(rewriter, op.getLoc(),
                                       adaptor.getInput(), exprs, outType));
    return success();
  }
};

/// The destination with its box replaced by the source: tensor.insert_slice,
/// or (`elementwise`: no-views, for the GPU) a generic over the whole
/// destination.
struct SliceScatterOpLowering : OpConversionPattern<SliceScatterOp> {
  SliceScatterOpLowering(MLIRContext *ctx, bool elementwise)
      : OpConversionPattern(ctx), elementwise(elementwise) {}
  bool elementwise;
  LogicalResult
  matchAndRewrite(SliceScatterOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    auto boxType = tensorTypeOf(adaptor.getSource());
    Value source = adaptor.getSource();
    if (boxType.getNumElements() == 0) { // an empty box replaces nothing
      rewriter.replaceOp(op, adaptor.getDest());
      return success();
    }
    if (!elementwise) {
      // The box of the destination, replaced: an insert_slice, which
      // bufferizes to a copy into a view of the destination's buffer (in
      // place when nothing else reads the destination), so that writing a
      // box costs the box, not the whole tensor (a chain of them, as cat
      // and gradient buckets make, stays linear in what it writes).
      SmallVector<int64_t> offsets(op.getOffsets()), strides(op.getStrides());
      SmallVector<OpFoldResult> offsetValues, sizeValues, strideValues;
      for (int64_t d = 0; d < type.getRank(); ++d) {
        offsetValues.push_back(rewriter.getIndexAttr(offsets[d]));
        sizeValues.push_back(rewriter.getIndexAttr(boxType.getDimSize(d)));
        strideValues.push_back(rewriter.getIndexAttr(strides[d]));
      }
      Value result = tensor::InsertSliceOp::create(
          rewriter, op.getLoc(), source, adaptor.getDest(), offsetValues,
          sizeValues, strideValues);
      rewriter.replaceOp(op, result);
      return success();
    }
    // Elementwise over dest: a point inside the box takes the source's
    // element (read by computed index), any other keeps dest's.
    SmallVector<int64_t> offsets(op.getOffsets()), strides(op.getStrides());
    Value result = buildElementwise(
        rewriter, op.getLoc(), type, ValueRange{adaptor.getDest()},
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          auto index = [&](int64_t v) -> Value {
            return arith::ConstantIndexOp::create(b, loc, v);
          };
          Value inside;
          SmallVector<Value> at;
          SmallVector<int64_t> boxed; // the dimensions the box does not fill
          for (int64_t d = 0; d < type.getRank(); ++d) {
            Value i = linalg::IndexOp::create(b, loc, d);
            int64_t size = boxType.getDimSize(d);
            if (offsets[d] == 0 && strides[d] == 1 &&
                size == type.getDimSize(d)) {
              at.push_back(i);
              continue;
            }
            auto [ok, q] = boxPoint(b, loc, i, offsets[d], strides[d], size);
            inside = inside ? arith::AndIOp::create(b, loc, inside, ok) : ok;
            at.push_back(q);
            boxed.push_back(d);
          }
          if (!inside) // the box is everything (the folder's case)
            return tensor::ExtractOp::create(b, loc, source, at);
          // Points outside read element 0 of the source's boxed
          // dimensions, and discard it.
          for (int64_t d : boxed)
            at[d] = arith::SelectOp::create(b, loc, inside, at[d], index(0));
          Value v = tensor::ExtractOp::create(b, loc, source, at);
          return arith::SelectOp::create(b, loc, inside, v, args[0]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// BroadcastToOp
//===----------------------------------------------------------------------===//

/// A generic that reads the input through a map sending broadcast dimensions
/// to 0 and dropping the result's extra leading dimensions.
struct BroadcastToOpLowering : OpConversionPattern<BroadcastToOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(BroadcastToOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    MLIRContext *ctx = rewriter.getContext();
    auto inType = tensorTypeOf(adaptor.getInput());
    auto outType = cast<RankedTensorType>(op.getType());
    int64_t rank = outType.getRank();
    int64_t offset = rank - inType.getRank();
    SmallVector<AffineExpr> exprs;
    for (int64_t i = 0; i < inType.getRank(); ++i) {
      bool broadcast =
          inType.getDimSize(i) == 1 && outType.getDimSize(offset + i) != 1;
      exprs.push_back(broadcast ? getAffineConstantExpr(0, ctx)
                                : getAffineDimExpr(offset + i, ctx));
    }
    rewriter.replaceOp(op, copyThrough(rewriter, op.getLoc(),
                                       adaptor.getInput(), exprs, outType));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Reductions: SumOp, MaxOp, MinOp, ArgmaxOp
//===----------------------------------------------------------------------===//

/// The input shape with the dimensions in `dims` removed.
SmallVector<int64_t> reducedShapeOf(RankedTensorType type,
                                    ArrayRef<int64_t> dims) {
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (!llvm::is_contained(dims, i))
      shape.push_back(type.getDimSize(i));
  return shape;
}

/// For keepdim: reinserts the reduced dimensions `dims` of `value` as size 1
/// to reach `outType` (a view, no copy). Each kept dimension is grouped with
/// the reduced dimensions that follow it; leading reduced dimensions join the
/// first group.
Value expandReducedDims(OpBuilder &b, Location loc, Value value,
                        RankedTensorType outType, ArrayRef<int64_t> dims) {
  if (value.getType() == outType)
    return value;
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices pending;
  for (int64_t i = 0; i < outType.getRank(); ++i) {
    pending.push_back(i);
    if (!llvm::is_contained(dims, i)) {
      groups.push_back(pending);
      pending.clear();
    }
  }
  if (!pending.empty() && !groups.empty())
    groups.back().append(pending.begin(), pending.end());
  return tensor::ExpandShapeOp::create(b, loc, outType, value, groups);
}

enum class ReductionKind { Sum, Max, Min };

/// The identity of the reduction: 0 for sums, -inf/+inf (or the integer
/// extremes) for max/min. i8 holds uint8, whose extremes are 0 and 255.
TypedAttr reductionIdentity(OpBuilder &b, Type elem, ReductionKind kind) {
  if (kind == ReductionKind::Sum)
    return b.getZeroAttr(elem);
  bool isMax = kind == ReductionKind::Max;
  if (auto ft = dyn_cast<FloatType>(elem))
    return b.getFloatAttr(
        elem, APFloat::getInf(ft.getFloatSemantics(), /*Negative=*/isMax));
  unsigned width = elem.getIntOrFloatBitWidth();
  bool isUnsigned = width == 8;
  APInt v = isUnsigned ? (isMax ? APInt::getMinValue(width)
                                : APInt::getMaxValue(width))
                       : (isMax ? APInt::getSignedMinValue(width)
                                : APInt::getSignedMaxValue(width));
  return b.getIntegerAttr(elem, v);
}

Value combine(OpBuilder &b, Location loc, ReductionKind kind, Value x,
              Value acc) {
  Type elem = x.getType();
  bool isFloat = isa<FloatType>(elem);
  bool isUnsigned = !isFloat && elem.getIntOrFloatBitWidth() == 8;
  switch (kind) {
  case ReductionKind::Sum:
    return isFloat ? arith::AddFOp::create(b, loc, x, acc).getResult()
                   : arith::AddIOp::create(b, loc, x, acc).getResult();
  case ReductionKind::Max:
    if (isFloat)
      return arith::MaximumFOp::create(b, loc, x, acc);
    return isUnsigned ? arith::MaxUIOp::create(b, loc, x, acc).getResult()
                      : arith::MaxSIOp::create(b, loc, x, acc).getResult();
  case ReductionKind::Min:
    if (isFloat)
      return arith::MinimumFOp::create(b, loc, x, acc);
    return isUnsigned ? arith::MinUIOp::create(b, loc, x, acc).getResult()
                      : arith::MinSIOp::create(b, loc, x, acc).getResult();
  }
  llvm_unreachable("unknown reduction");
}

/// linalg.reduce into a tensor of the reduced shape filled with the
/// reduction's identity; with keepdim, an expand_shape then reinserts the
/// reduced dimensions as size 1.
template <typename EmberOp, ReductionKind Kind>
struct ReductionLowering : OpConversionPattern<EmberOp> {
  using OpConversionPattern<EmberOp>::OpConversionPattern;
  using OpAdaptor = typename EmberOp::Adaptor;

  LogicalResult
  matchAndRewrite(EmberOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto inType = tensorTypeOf(adaptor.getInput());
    auto outType = cast<RankedTensorType>(op.getType());
    Type elem = inType.getElementType();
    SmallVector<int64_t> dims(op.getDims());
    llvm::sort(dims);
    auto reducedType =
        RankedTensorType::get(reducedShapeOf(inType, dims), elem);
    Value identity = arith::ConstantOp::create(
        rewriter, loc, reductionIdentity(rewriter, elem, Kind));
    Value init = linalg::FillOp::create(rewriter, loc, identity,
                                        emptyLike(rewriter, loc, reducedType))
                     .getResult(0);
    auto reduce = linalg::ReduceOp::create(
        rewriter, loc, ValueRange{adaptor.getInput()}, ValueRange{init}, dims,
        [&](OpBuilder &b, Location nloc, ValueRange args) {
          linalg::YieldOp::create(b, nloc,
                                  combine(b, nloc, Kind, args[0], args[1]));
        });
    rewriter.replaceOp(op, expandReducedDims(rewriter, loc, reduce.getResult(0),
                                             outType, dims));
    return success();
  }
};

/// A generic with two accumulators, the best value and its index, reduced
/// along `dim`. A strictly greater value (or a NaN where the best is not NaN)
/// replaces the best, so the first maximum wins, as in PyTorch.
struct ArgmaxOpLowering : OpConversionPattern<ArgmaxOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ArgmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto inType = tensorTypeOf(adaptor.getInput());
    auto outType = cast<RankedTensorType>(op.getType());
    Type elem = inType.getElementType();
    int64_t dim = op.getDim(), rank = inType.getRank();
    SmallVector<int64_t> reducedShape = reducedShapeOf(inType, {dim});
    auto valueType = RankedTensorType::get(reducedShape, elem);
    auto indexType = RankedTensorType::get(reducedShape, rewriter.getI64Type());
    Value lowest = arith::ConstantOp::create(
        rewriter, loc, reductionIdentity(rewriter, elem, ReductionKind::Max));
    Value zero = zeroOf(rewriter, loc, rewriter.getI64Type());
    Value valueInit =
        linalg::FillOp::create(rewriter, loc, lowest,
                               emptyLike(rewriter, loc, valueType))
            .getResult(0);
    Value indexInit =
        linalg::FillOp::create(rewriter, loc, zero,
                               emptyLike(rewriter, loc, indexType))
            .getResult(0);
    SmallVector<AffineExpr> outExprs;
    SmallVector<utils::IteratorType> iterators;
    for (int64_t i = 0; i < rank; ++i) {
      iterators.push_back(i == dim ? utils::IteratorType::reduction
                                   : utils::IteratorType::parallel);
      if (i != dim)
        outExprs.push_back(getAffineDimExpr(i, ctx));
    }
    AffineMap outMap = AffineMap::get(rank, 0, outExprs, ctx);
    SmallVector<AffineMap> maps = {rewriter.getMultiDimIdentityMap(rank),
                                   outMap, outMap};
    bool isFloat = isa<FloatType>(elem);
    bool isUnsigned = !isFloat && elem.getIntOrFloatBitWidth() == 8;
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{valueType, indexType},
        ValueRange{adaptor.getInput()}, ValueRange{valueInit, indexInit}, maps,
        iterators, [&](OpBuilder &b, Location nloc, ValueRange args) {
          Value x = args[0], best = args[1], bestIndex = args[2];
          Value better;
          if (isFloat) {
            Value greater = arith::CmpFOp::create(
                b, nloc, arith::CmpFPredicate::OGT, x, best);
            Value xNan =
                arith::CmpFOp::create(b, nloc, arith::CmpFPredicate::UNO, x, x);
            Value bestOrdered = arith::CmpFOp::create(
                b, nloc, arith::CmpFPredicate::ORD, best, best);
            Value newNan = arith::AndIOp::create(b, nloc, xNan, bestOrdered);
            better = arith::OrIOp::create(b, nloc, greater, newNan);
          } else {
            better =
                arith::CmpIOp::create(b, nloc,
                                      isUnsigned ? arith::CmpIPredicate::ugt
                                                 : arith::CmpIPredicate::sgt,
                                      x, best);
          }
          Value index = arith::IndexCastOp::create(
              b, nloc, b.getI64Type(), linalg::IndexOp::create(b, nloc, dim));
          Value newBest = arith::SelectOp::create(b, nloc, better, x, best);
          Value newIndex =
              arith::SelectOp::create(b, nloc, better, index, bestIndex);
          linalg::YieldOp::create(b, nloc, ValueRange{newBest, newIndex});
        });
    rewriter.replaceOp(
        op,
        expandReducedDims(rewriter, loc, generic.getResult(1), outType, {dim}));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Exp, Log, comparisons, select and cast
//===----------------------------------------------------------------------===//

/// An elementwise function of a float tensor: a parallel generic whose
/// body is `Scalar::build` of the input element.
template <typename EmberOp, typename Scalar>
struct FloatUnaryLowering : OpConversionPattern<EmberOp> {
  using OpConversionPattern<EmberOp>::OpConversionPattern;
  using OpAdaptor = typename EmberOp::Adaptor;
  LogicalResult
  matchAndRewrite(EmberOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value result = buildElementwise(
        rewriter, op.getLoc(), cast<RankedTensorType>(op.getType()),
        {adaptor.getInput()},
        [](OpBuilder &b, Location loc, ValueRange args) -> Value {
          return Scalar::build(b, loc, args[0]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// One math dialect op.
template <typename MathOp> struct MathScalar {
  static Value build(OpBuilder &b, Location loc, Value x) {
    return MathOp::create(b, loc, x);
  }
};

/// ember.sigmoid: 1 / (1 + exp(-x)), which is 0 and 1 (not NaN) where
/// exp(-x) overflows or vanishes.
struct SigmoidScalar {
  static Value build(OpBuilder &b, Location loc, Value x) {
    Value one =
        arith::ConstantOp::create(b, loc, b.getFloatAttr(x.getType(), 1.0));
    Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
    return arith::DivFOp::create(b, loc, one,
                                 arith::AddFOp::create(b, loc, one, e));
  }
};

template <typename EmberOp, arith::CmpFPredicate FloatPred,
          arith::CmpIPredicate SignedPred, arith::CmpIPredicate UnsignedPred>
struct CompareLowering : OpConversionPattern<EmberOp> {
  using OpConversionPattern<EmberOp>::OpConversionPattern;
  using OpAdaptor = typename EmberOp::Adaptor;
  LogicalResult
  matchAndRewrite(EmberOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value result = buildElementwise(
        rewriter, op.getLoc(), cast<RankedTensorType>(op.getType()),
        {adaptor.getLhs(), adaptor.getRhs()},
        [](OpBuilder &b, Location loc, ValueRange args) -> Value {
          Type t = args[0].getType();
          if (isa<FloatType>(t))
            return arith::CmpFOp::create(b, loc, FloatPred, args[0], args[1]);
          // i8 holds uint8 and i1 booleans: both compare unsigned.
          bool isUnsigned = t.getIntOrFloatBitWidth() <= 8;
          return arith::CmpIOp::create(
              b, loc, isUnsigned ? UnsignedPred : SignedPred, args[0], args[1]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct SelectOpLowering : OpConversionPattern<SelectOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SelectOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value result = buildElementwise(
        rewriter, op.getLoc(), cast<RankedTensorType>(op.getType()),
        {adaptor.getCondition(), adaptor.getTrueValue(),
         adaptor.getFalseValue()},
        [](OpBuilder &b, Location loc, ValueRange args) -> Value {
          return arith::SelectOp::create(b, loc, args[0], args[1], args[2]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Converts one scalar between element types with the semantics documented
/// on ember.cast.
Value convertScalar(OpBuilder &b, Location loc, Value x, Type to) {
  Type from = x.getType();
  if (from == to)
    return x;
  bool fromFloat = isa<FloatType>(from), toFloat = isa<FloatType>(to);
  unsigned fromWidth = from.getIntOrFloatBitWidth();
  unsigned toWidth = to.getIntOrFloatBitWidth();
  // Booleans and uint8 (i8) are unsigned sources.
  bool fromUnsigned = !fromFloat && fromWidth <= 8;
  if (toWidth == 1 && !toFloat) {
    Value zero = zeroOf(b, loc, from);
    if (fromFloat)
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, x, zero);
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, x, zero);
  }
  if (fromFloat && toFloat && fromWidth == toWidth) {
    // f16 <-> bf16: no single op converts between equal widths; go through
    // f32, which holds both exactly.
    Value wide = arith::ExtFOp::create(b, loc, b.getF32Type(), x);
    return arith::TruncFOp::create(b, loc, to, wide);
  }
  if (fromFloat && toFloat)
    return toWidth > fromWidth
               ? arith::ExtFOp::create(b, loc, to, x).getResult()
               : arith::TruncFOp::create(b, loc, to, x).getResult();
  if (!fromFloat && toFloat)
    return fromUnsigned ? arith::UIToFPOp::create(b, loc, to, x).getResult()
                        : arith::SIToFPOp::create(b, loc, to, x).getResult();
  if (fromFloat && !toFloat)
    return toWidth == 8 ? arith::FPToUIOp::create(b, loc, to, x).getResult()
                        : arith::FPToSIOp::create(b, loc, to, x).getResult();
  if (toWidth > fromWidth)
    return fromUnsigned ? arith::ExtUIOp::create(b, loc, to, x).getResult()
                        : arith::ExtSIOp::create(b, loc, to, x).getResult();
  return arith::TruncIOp::create(b, loc, to, x);
}

struct CastOpLowering : OpConversionPattern<CastOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(CastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Type to = type.getElementType();
    Value result = buildElementwise(
        rewriter, op.getLoc(), type, {adaptor.getInput()},
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          return convertScalar(b, loc, args[0], to);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// RandomUniformOp
//===----------------------------------------------------------------------===//

/// A parallel generic reading the seed and offset (rank-0, every point):
/// each point computes its row-major index, runs the ten Philox4x32 rounds
/// on the counter (offset + index, 0, 0, 0) with the seed as key (the
/// multiplications' high halves from arith.mului_extended), and scales the
/// first word's upper 24 bits by 2^-24.
struct RandomUniformOpLowering : OpConversionPattern<RandomUniformOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RandomUniformOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    int64_t rank = type.getRank();
    MLIRContext *ctx = rewriter.getContext();
    AffineMap scalar = AffineMap::get(rank, 0, {}, ctx);
    SmallVector<AffineMap> maps = {scalar, scalar,
                                   rewriter.getMultiDimIdentityMap(rank)};
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    auto body = [&](OpBuilder &b, Location l, ValueRange args) {
      Type i32 = b.getI32Type(), i64 = b.getI64Type();
      auto c32 = [&](uint32_t v) -> Value {
        return arith::ConstantOp::create(
            b, l, b.getIntegerAttr(i32, static_cast<int32_t>(v)));
      };
      auto lo = [&](Value v) -> Value {
        return arith::TruncIOp::create(b, l, i32, v);
      };
      auto hi = [&](Value v) -> Value {
        Value shifted = arith::ShRUIOp::create(
            b, l, v, arith::ConstantOp::create(b, l, b.getI64IntegerAttr(32)));
        return arith::TruncIOp::create(b, l, i32, shifted);
      };
      // The row-major index of this point.
      Value index = arith::ConstantIndexOp::create(b, l, 0);
      for (int64_t d = 0; d < rank; ++d) {
        index = arith::MulIOp::create(
            b, l, index,
            arith::ConstantIndexOp::create(b, l, type.getDimSize(d)));
        index = arith::AddIOp::create(b, l, index,
                                      linalg::IndexOp::create(b, l, d));
      }
      Value counter = arith::AddIOp::create(
          b, l, args[1], arith::IndexCastOp::create(b, l, i64, index));
      Value x[4] = {lo(counter), hi(counter), c32(0), c32(0)};
      Value k[2] = {lo(args[0]), hi(args[0])};
      for (int round = 0; round < 10; ++round) {
        auto m0 = arith::MulUIExtendedOp::create(b, l, c32(0xD2511F53), x[0]);
        auto m1 = arith::MulUIExtendedOp::create(b, l, c32(0xCD9E8D57), x[2]);
        Value y0 = arith::XOrIOp::create(
            b, l, arith::XOrIOp::create(b, l, m1.getHigh(), x[1]), k[0]);
        Value y2 = arith::XOrIOp::create(
            b, l, arith::XOrIOp::create(b, l, m0.getHigh(), x[3]), k[1]);
        x[0] = y0;
        x[1] = m1.getLow();
        x[2] = y2;
        x[3] = m0.getLow();
        k[0] = arith::AddIOp::create(b, l, k[0], c32(0x9E3779B9));
        k[1] = arith::AddIOp::create(b, l, k[1], c32(0xBB67AE85));
      }
      Type elem = type.getElementType();
      Value bits = arith::ShRUIOp::create(b, l, x[0], c32(8));
      Value u = arith::UIToFPOp::create(b, l, elem, bits);
      Value scale =
          arith::ConstantOp::create(b, l, b.getFloatAttr(elem, 0x1p-24));
      linalg::YieldOp::create(
          b, l, arith::MulFOp::create(b, l, u, scale).getResult());
    };
    auto generic = linalg::GenericOp::create(
        rewriter, op.getLoc(), TypeRange{type},
        ValueRange{adaptor.getSeed(), adaptor.getOffset()},
        ValueRange{emptyLike(rewriter, op.getLoc(), type)}, maps, iterators,
        body);
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

/// A chain of tensor.insert_slice ops whose boxes are disjoint and together
/// cover their first destination (what cat records: boxes written into
/// zeros) overwrites every element of it: the destination's values are
/// dead, and computing them (a fill, a broadcast) a pass over memory for
/// nothing. Its first insert_slice writes into a tensor.empty instead.
/// Boxes must be static with unit strides; anything else keeps its
/// destination.
void dropOverwrittenDestinations(ModuleOp module) {
  SmallVector<tensor::InsertSliceOp> lasts;
  module.walk([&](tensor::InsertSliceOp op) {
    // The last of a chain: its result is no other insert's destination.
    bool continued = llvm::any_of(op->getUsers(), [&](Operation *user) {
      auto next = dyn_cast<tensor::InsertSliceOp>(user);
      return next && next.getDest() == op.getResult();
    });
    if (!continued)
      lasts.push_back(op);
  });
  for (tensor::InsertSliceOp last : lasts) {
    struct Box {
      SmallVector<int64_t> lo, size;
    };
    SmallVector<Box> boxes;
    tensor::InsertSliceOp first = last;
    bool ok = true;
    for (tensor::InsertSliceOp op = last; op;) {
      Box box;
      for (auto [o, z, st] :
           llvm::zip(op.getStaticOffsets(), op.getStaticSizes(),
                     op.getStaticStrides())) {
        if (ShapedType::isDynamic(o) || ShapedType::isDynamic(z) || st != 1)
          ok = false;
        box.lo.push_back(o);
        box.size.push_back(z);
      }
      if (!ok || op.getSourceType().getRank() != op.getDestType().getRank())
        break;
      boxes.push_back(box);
      first = op;
      auto prev = op.getDest().getDefiningOp<tensor::InsertSliceOp>();
      op = prev && prev->hasOneUse() ? prev : tensor::InsertSliceOp();
    }
    auto destType = dyn_cast<RankedTensorType>(first.getDest().getType());
    if (!ok || !destType || !destType.hasStaticShape() ||
        first.getDest().getDefiningOp<tensor::EmptyOp>())
      continue;
    // Disjoint boxes whose volumes add up to the destination's cover it.
    int64_t volume = 0;
    for (const Box &b : boxes) {
      int64_t v = 1;
      for (int64_t z : b.size)
        v *= z;
      volume += v;
    }
    bool disjoint = true;
    for (size_t i = 0; i < boxes.size() && disjoint; ++i)
      for (size_t j = i + 1; j < boxes.size() && disjoint; ++j) {
        bool apart = false;
        for (size_t d = 0; d < boxes[i].lo.size(); ++d)
          apart |= boxes[i].lo[d] + boxes[i].size[d] <= boxes[j].lo[d] ||
                   boxes[j].lo[d] + boxes[j].size[d] <= boxes[i].lo[d];
        disjoint = apart;
      }
    if (!disjoint || volume != destType.getNumElements())
      continue;
    OpBuilder b(first);
    Value empty = tensor::EmptyOp::create(
        b, first.getLoc(), destType.getShape(), destType.getElementType());
    first.getDestMutable().assign(empty);
  }
}

struct ConvertEmberToLinalgPass
    : mlir::ember::impl::ConvertEmberToLinalgPassBase<
          ConvertEmberToLinalgPass> {
  using ConvertEmberToLinalgPassBase::ConvertEmberToLinalgPassBase;
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addIllegalDialect<EmberDialect>();
    // Communication has no linalg form: it stays for bufferization, which
    // makes it a call to the runtime (AllReduce.cpp).
    target.addLegalOp<AllReduceOp>();
    declareCollectiveEntryPoints(getOperation());
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, tensor::TensorDialect,
                           func::FuncDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(ctx);
    populateEmberToLinalgPatterns(
        patterns, noViews,
        WinogradOptions{winograd, winogradPanelWidth, winogradBlockBytes});
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      return signalPassFailure();
    dropOverwrittenDestinations(getOperation());
  }
};

} // namespace

void mlir::ember::populateEmberToLinalgPatterns(RewritePatternSet &patterns,
                                                bool noViews,
                                                WinogradOptions winograd) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<
      BinaryOpLowering<AddOp, arith::AddFOp, arith::AddIOp>,
      BinaryOpLowering<SubOp, arith::SubFOp, arith::SubIOp>,
      BinaryOpLowering<MulOp, arith::MulFOp, arith::MulIOp>,
      BinaryOpLowering<DivOp, arith::DivFOp, arith::DivSIOp>, NegOpLowering,
      ReluOpLowering, ConstantOpLowering, MatmulOpLowering, LinearOpLowering,
      LinearReluOpLowering, ReshapeOpLowering, TransposeOpLowering,
      BroadcastToOpLowering, ArgmaxOpLowering,
      ReductionLowering<SumOp, ReductionKind::Sum>,
      ReductionLowering<MaxOp, ReductionKind::Max>,
      ReductionLowering<MinOp, ReductionKind::Min>,
      FloatUnaryLowering<ExpOp, MathScalar<math::ExpOp>>,
      FloatUnaryLowering<LogOp, MathScalar<math::LogOp>>,
      FloatUnaryLowering<SqrtOp, MathScalar<math::SqrtOp>>,
      FloatUnaryLowering<TanhOp, MathScalar<math::TanhOp>>,
      FloatUnaryLowering<ErfOp, MathScalar<math::ErfOp>>,
      FloatUnaryLowering<SigmoidOp, SigmoidScalar>,
      CompareLowering<EqOp, arith::CmpFPredicate::OEQ, arith::CmpIPredicate::eq,
                      arith::CmpIPredicate::eq>,
      CompareLowering<NeOp, arith::CmpFPredicate::UNE, arith::CmpIPredicate::ne,
                      arith::CmpIPredicate::ne>,
      CompareLowering<LtOp, arith::CmpFPredicate::OLT,
                      arith::CmpIPredicate::slt, arith::CmpIPredicate::ult>,
      CompareLowering<LeOp, arith::CmpFPredicate::OLE,
                      arith::CmpIPredicate::sle, arith::CmpIPredicate::ule>,
      CompareLowering<GtOp, arith::CmpFPredicate::OGT,
                      arith::CmpIPredicate::sgt, arith::CmpIPredicate::ugt>,
      CompareLowering<GeOp, arith::CmpFPredicate::OGE,
                      arith::CmpIPredicate::sge, arith::CmpIPredicate::uge>,
      SelectOpLowering, CastOpLowering, RandomUniformOpLowering>(ctx);
  patterns.add<SliceOpLowering, SliceScatterOpLowering>(ctx, noViews);
  populateEmberConvToLinalgPatterns(patterns, winograd);
}
