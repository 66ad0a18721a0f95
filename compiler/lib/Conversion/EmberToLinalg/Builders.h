//===- Builders.h - Shared pieces of the ember-to-linalg patterns -*- C++
//-*-===//
//
// Part of Ember. The small IR builders every ember-to-linalg pattern uses
// (EmberToLinalg.cpp, ConvToLinalg.cpp): private to the conversion.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_CONVERSION_EMBERTOLINALG_BUILDERS_H
#define EMBER_CONVERSION_EMBERTOLINALG_BUILDERS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::ember::to_linalg {

inline RankedTensorType tensorTypeOf(Value v) {
  return cast<RankedTensorType>(v.getType());
}

/// A tensor.empty of `shape` and `elem`.
inline Value emptyTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                         Type elem) {
  return tensor::EmptyOp::create(b, loc, shape, elem);
}

inline Value emptyLike(OpBuilder &b, Location loc, RankedTensorType type) {
  return emptyTensor(b, loc, type.getShape(), type.getElementType());
}

inline Value zeroOf(OpBuilder &b, Location loc, Type elementType) {
  return arith::ConstantOp::create(b, loc, elementType,
                                   b.getZeroAttr(elementType));
}

/// max(x, 0) for a float x, NaN propagating as torch.relu does. Marked
/// `nsz`: relu(-0) may be -0 or +0 (the two compare equal), which lets x86
/// make it one maxps with the operands ordered for the NaN, where the exact
/// ordering of -0 below +0 costs a compare and two blends more.
inline Value reluOf(OpBuilder &b, Location loc, Value x) {
  return arith::MaximumFOp::create(b, loc, x, zeroOf(b, loc, x.getType()),
                                   arith::FastMathFlags::nsz);
}

/// A tensor of `type` filled with zeros.
inline Value zeroFilled(OpBuilder &b, Location loc, RankedTensorType type) {
  Value zero = zeroOf(b, loc, type.getElementType());
  return linalg::FillOp::create(b, loc, zero, emptyLike(b, loc, type))
      .getResult(0);
}

/// Builds a linalg.generic computing `body` elementwise over `inputs`, all of
/// the result's shape, into a fresh tensor of `resultType`. With no inputs,
/// a generic over the result's points whose body computes each from its
/// indices (linalg.index), such as a gather.
inline Value
buildElementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                 ValueRange inputs,
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

/// Along one dimension of a box of `size` elements placed at `offset` with
/// `stride` (offset may be negative): whether loop index `i` is one of the
/// box's points, and which, `(i - offset) / stride` (meaningless when not).
inline std::pair<Value, Value> boxPoint(OpBuilder &b, Location loc, Value i,
                                        int64_t offset, int64_t stride,
                                        int64_t size) {
  auto index = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  // t = i - offset: in the box when 0 <= t <= stride * (size - 1) and
  // stride divides t.
  Value t = arith::SubIOp::create(b, loc, i, index(offset));
  Value ok = arith::AndIOp::create(
      b, loc,
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, t, index(0)),
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, t,
                            index(stride * (size - 1))));
  if (stride == 1)
    return {ok, t};
  Value s = index(stride);
  ok = arith::AndIOp::create(
      b, loc, ok,
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                            arith::RemSIOp::create(b, loc, t, s), index(0)));
  return {ok, arith::DivSIOp::create(b, loc, t, s)};
}

} // namespace mlir::ember::to_linalg

#endif // EMBER_CONVERSION_EMBERTOLINALG_BUILDERS_H
