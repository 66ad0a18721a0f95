//===- EmberToLinalg.cpp - Lower ember ops to linalg on tensors -----------===//
//
// Part of Ember. One conversion pattern per ember op. The output is
// destination-passing linalg on tensors: every result is computed into a
// tensor.empty (or a filled/broadcast init), which bufferization later turns
// into a buffer.
//
//===----------------------------------------------------------------------===//

#include "ember/Conversion/Passes.h"

#include "ember/Dialect/Ember/IR/EmberOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::ember {
#define GEN_PASS_DEF_CONVERTEMBERTOLINALGPASS
#include "ember/Conversion/Passes.h.inc"
} // namespace mlir::ember

using namespace mlir;
using namespace mlir::ember;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

RankedTensorType tensorTypeOf(Value v) {
  return cast<RankedTensorType>(v.getType());
}

Value emptyLike(OpBuilder &b, Location loc, RankedTensorType type) {
  return tensor::EmptyOp::create(b, loc, type.getShape(),
                                 type.getElementType());
}

Value zeroOf(OpBuilder &b, Location loc, Type elementType) {
  return arith::ConstantOp::create(b, loc, elementType,
                                   b.getZeroAttr(elementType));
}

/// A tensor of `type` filled with zeros.
Value zeroFilled(OpBuilder &b, Location loc, RankedTensorType type) {
  Value zero = zeroOf(b, loc, type.getElementType());
  return linalg::FillOp::create(b, loc, zero, emptyLike(b, loc, type))
      .getResult(0);
}

/// Builds a linalg.generic computing `body` elementwise over `inputs`, all of
/// the result's shape, into a fresh tensor of `resultType`.
Value buildElementwise(
    OpBuilder &b, Location loc, RankedTensorType resultType, ValueRange inputs,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  int64_t rank = resultType.getRank();
  AffineMap id = b.getMultiDimIdentityMap(rank);
  SmallVector<AffineMap> maps(inputs.size() + 1, id);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{resultType}, inputs,
      ValueRange{emptyLike(b, loc, resultType)}, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value r = body(nb, nloc, args.drop_back());
        linalg::YieldOp::create(nb, nloc, r);
      });
  return generic.getResult(0);
}

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
          Value zero = zeroOf(b, loc, args[0].getType());
          // maximumf propagates NaN, as torch.relu does.
          if (isa<FloatType>(args[0].getType()))
            return arith::MaximumFOp::create(b, loc, args[0], zero);
          return arith::MaxSIOp::create(b, loc, args[0], zero);
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
/// zero), and a contraction with W read transposed adds x·Wᵀ into it.
struct LinearOpLowering : OpConversionPattern<LinearOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Value init;
    if (Value bias = adaptor.getBias()) {
      init = linalg::BroadcastOp::create(rewriter, loc, bias,
                                         emptyLike(rewriter, loc, type),
                                         ArrayRef<int64_t>{0})
                 .getResult()[0];
    } else {
      init = zeroFilled(rewriter, loc, type);
    }
    MLIRContext *ctx = rewriter.getContext();
    AffineExpr m, n, k;
    bindDims(ctx, m, n, k);
    SmallVector<AffineMap> maps = {AffineMap::get(3, 0, {m, k}, ctx),
                                   AffineMap::get(3, 0, {n, k}, ctx),
                                   AffineMap::get(3, 0, {m, n}, ctx)};
    SmallVector<utils::IteratorType> iterators = {
        utils::IteratorType::parallel, utils::IteratorType::parallel,
        utils::IteratorType::reduction};
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type},
        ValueRange{adaptor.getInput(), adaptor.getWeight()}, ValueRange{init},
        maps, iterators, [&](OpBuilder &b, Location nloc, ValueRange args) {
          Value prod = arith::MulFOp::create(b, nloc, args[0], args[1]);
          Value sum = arith::AddFOp::create(b, nloc, args[2], prod);
          linalg::YieldOp::create(b, nloc, sum);
        });
    rewriter.replaceOp(op, generic.getResult(0));
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
      bool broadcast = inType.getDimSize(i) == 1 &&
                       outType.getDimSize(offset + i) != 1;
      exprs.push_back(broadcast ? getAffineConstantExpr(0, ctx)
                                : getAffineDimExpr(offset + i, ctx));
    }
    SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, exprs, ctx),
                                   rewriter.getMultiDimIdentityMap(rank)};
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rewriter, op.getLoc(), TypeRange{outType},
        ValueRange{adaptor.getInput()},
        ValueRange{emptyLike(rewriter, op.getLoc(), outType)}, maps, iterators,
        [](OpBuilder &b, Location loc, ValueRange args) {
          linalg::YieldOp::create(b, loc, args[0]);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// SumOp
//===----------------------------------------------------------------------===//

/// linalg.reduce into a zero-filled tensor of the reduced shape; with
/// keepdim, a tensor.expand_shape then reinserts the reduced dimensions as
/// size 1 (a view, no copy).
struct SumOpLowering : OpConversionPattern<SumOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SumOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto inType = tensorTypeOf(adaptor.getInput());
    auto outType = cast<RankedTensorType>(op.getType());
    Type elem = inType.getElementType();
    SmallVector<int64_t> dims(op.getDims());
    llvm::sort(dims);
    SmallVector<int64_t> reducedShape;
    for (int64_t i = 0; i < inType.getRank(); ++i)
      if (!llvm::is_contained(dims, i))
        reducedShape.push_back(inType.getDimSize(i));
    auto reducedType = RankedTensorType::get(reducedShape, elem);
    bool isFloat = isa<FloatType>(elem);
    auto reduce = linalg::ReduceOp::create(
        rewriter, loc, ValueRange{adaptor.getInput()},
        ValueRange{zeroFilled(rewriter, loc, reducedType)}, dims,
        [&](OpBuilder &b, Location nloc, ValueRange args) {
          Value sum = isFloat ? arith::AddFOp::create(b, nloc, args[0], args[1])
                                    .getResult()
                              : arith::AddIOp::create(b, nloc, args[0], args[1])
                                    .getResult();
          linalg::YieldOp::create(b, nloc, sum);
        });
    Value result = reduce.getResult(0);
    if (reducedType != outType) {
      // keepdim: group each kept dimension with the reduced dimensions that
      // follow it; leading reduced dimensions join the first group.
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
      result = tensor::ExpandShapeOp::create(rewriter, loc, outType, result,
                                             groups);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

struct ConvertEmberToLinalgPass
    : mlir::ember::impl::ConvertEmberToLinalgPassBase<ConvertEmberToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addIllegalDialect<EmberDialect>();
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           tensor::TensorDialect, func::FuncDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(ctx);
    populateEmberToLinalgPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::ember::populateEmberToLinalgPatterns(RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<BinaryOpLowering<AddOp, arith::AddFOp, arith::AddIOp>,
               BinaryOpLowering<SubOp, arith::SubFOp, arith::SubIOp>,
               BinaryOpLowering<MulOp, arith::MulFOp, arith::MulIOp>,
               BinaryOpLowering<DivOp, arith::DivFOp, arith::DivSIOp>,
               NegOpLowering, ReluOpLowering, ConstantOpLowering,
               MatmulOpLowering, LinearOpLowering, ReshapeOpLowering,
               TransposeOpLowering, BroadcastToOpLowering, SumOpLowering>(
      ctx);
}
