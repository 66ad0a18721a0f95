//===- EmberOps.cpp - Ember dialect operations ----------------------------===//
//
// Part of Ember. Verifiers and folders of the `ember` ops. Messages name the
// shapes involved so a user can see what disagreed.
//
//===----------------------------------------------------------------------===//

#include "ember/Dialect/Ember/IR/EmberOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallBitVector.h"
#include "llvm/Support/MathExtras.h"

#include <array>
#include <type_traits>

using namespace mlir;
using namespace mlir::ember;

/// Renders a shape as `[2, 3]` for diagnostics.
static std::string shapeStr(ArrayRef<int64_t> shape) {
  std::string out = "[";
  llvm::raw_string_ostream os(out);
  llvm::interleaveComma(shape, os);
  os << "]";
  return out;
}

static RankedTensorType tensorType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::verify() {
  RankedTensorType lhs = tensorType(getLhs()), rhs = tensorType(getRhs());
  RankedTensorType res = tensorType(getResult());
  if (lhs.getRank() != 2 || rhs.getRank() != 2)
    return emitOpError("expects rank-2 operands, got ")
           << shapeStr(lhs.getShape()) << " and " << shapeStr(rhs.getShape());
  if (lhs.getElementType() != rhs.getElementType() ||
      lhs.getElementType() != res.getElementType())
    return emitOpError("expects one element type for operands and result");
  if (lhs.getDimSize(1) != rhs.getDimSize(0))
    return emitOpError("contracting dimensions differ: ")
           << shapeStr(lhs.getShape()) << " x " << shapeStr(rhs.getShape());
  SmallVector<int64_t> expected = {lhs.getDimSize(0), rhs.getDimSize(1)};
  if (res.getShape() != ArrayRef<int64_t>(expected))
    return emitOpError("result shape should be ")
           << shapeStr(expected) << ", got " << shapeStr(res.getShape());
  return success();
}

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

/// Shared by ember.linear and ember.linear_relu.
static LogicalResult verifyLinear(Operation *op, Value input, Value weight,
                                  Value bias, Value result) {
  auto emitOpError = [&](const Twine &msg) { return op->emitOpError(msg); };
  RankedTensorType in = tensorType(input), w = tensorType(weight);
  RankedTensorType res = tensorType(result);
  if (in.getRank() != 2 || w.getRank() != 2)
    return emitOpError("expects a rank-2 input and weight, got ")
           << shapeStr(in.getShape()) << " and " << shapeStr(w.getShape());
  if (in.getDimSize(1) != w.getDimSize(1))
    return emitOpError("input features ")
           << in.getDimSize(1) << " do not match weight " << shapeStr(w.getShape())
           << " (weight is [out_features, in_features])";
  Type elem = in.getElementType();
  if (w.getElementType() != elem || res.getElementType() != elem)
    return emitOpError("expects one element type for operands and result");
  if (bias) {
    RankedTensorType b = tensorType(bias);
    if (b.getRank() != 1 || b.getDimSize(0) != w.getDimSize(0))
      return emitOpError("bias should be [")
             << w.getDimSize(0) << "], got " << shapeStr(b.getShape());
    if (b.getElementType() != elem)
      return emitOpError("expects one element type for operands and result");
  }
  SmallVector<int64_t> expected = {in.getDimSize(0), w.getDimSize(0)};
  if (res.getShape() != ArrayRef<int64_t>(expected))
    return emitOpError("result shape should be ")
           << shapeStr(expected) << ", got " << shapeStr(res.getShape());
  return success();
}

LogicalResult LinearOp::verify() {
  return verifyLinear(*this, getInput(), getWeight(), getBias(), getResult());
}

LogicalResult LinearReluOp::verify() {
  return verifyLinear(*this, getInput(), getWeight(), getBias(), getResult());
}

//===----------------------------------------------------------------------===//
// Conv2dOp, Conv2dGradInputOp, Conv2dGradWeightOp
//===----------------------------------------------------------------------===//

namespace {
/// The three tensors of a convolution, whichever of them an op computes.
struct ConvTensors {
  RankedTensorType input, weight, output;
};
} // namespace

namespace {
/// One (height, width) attribute of a windowed op and its least value.
struct WindowAttr {
  StringRef name;
  ArrayRef<int64_t> values;
  int64_t least;
};
} // namespace

/// Checks that each attribute has 2 values of at least its least.
static LogicalResult verifyWindowAttrs(Operation *op,
                                       ArrayRef<WindowAttr> attrs) {
  for (const WindowAttr &a : attrs) {
    if (a.values.size() != 2)
      return op->emitOpError() << a.name << " should have 2 values (height, "
                               << "width), got " << shapeStr(a.values);
    if (a.values[0] < a.least || a.values[1] < a.least)
      return op->emitOpError() << a.name << " " << shapeStr(a.values)
                               << " should be at least " << a.least;
  }
  return success();
}

/// The dilated window's extent and the padded input's along one dim, or
/// an error when they overflow 64 bits.
static FailureOr<std::pair<int64_t, int64_t>>
windowExtents(Operation *op, int64_t kernel, int64_t dilation, int64_t input,
              int64_t padding) {
  int64_t reach, span, pad2, padded;
  if (__builtin_mul_overflow(dilation, kernel - 1, &reach) ||
      __builtin_add_overflow(reach, 1, &span) ||
      __builtin_mul_overflow(padding, 2, &pad2) ||
      __builtin_add_overflow(input, pad2, &padded))
    return op->emitOpError("the window's extent overflows 64 bits");
  return std::make_pair(span, padded);
}

/// Checks the attributes of a convolution, and that its input
/// [N, C, H, W], weight [F, C / groups, KH, KW] and output [N, F, OH, OW]
/// agree with them.
template <typename ConvOp>
static LogicalResult verifyConv2d(ConvOp op, ConvTensors t) {
  if (failed(verifyWindowAttrs(op, {{"stride", op.getStride(), 1},
                                    {"padding", op.getPadding(), 0},
                                    {"dilation", op.getDilation(), 1}})))
    return failure();
  int64_t groups = op.getGroups();
  if (groups < 1)
    return op.emitOpError("groups should be at least 1, got ") << groups;
  for (auto [name, type] :
       std::array<std::pair<StringRef, RankedTensorType>, 3>{
           {{"input", t.input}, {"weight", t.weight}, {"output", t.output}}})
    if (type.getRank() != 4)
      return op.emitOpError() << "expects a rank-4 " << name << ", got "
                              << shapeStr(type.getShape());
  Type elem = t.input.getElementType();
  if (t.weight.getElementType() != elem || t.output.getElementType() != elem)
    return op.emitOpError("expects one element type for operands and result");
  ArrayRef<int64_t> in = t.input.getShape(), w = t.weight.getShape(),
                    out = t.output.getShape();
  if (in[1] % groups != 0 || w[0] % groups != 0)
    return op.emitOpError("input channels ")
           << in[1] << " and output channels " << w[0]
           << " should both be multiples of groups " << groups;
  if (w[1] * groups != in[1])
    return op.emitOpError("weight ")
           << shapeStr(w) << " should have " << in[1] / groups
           << " input channels per group (input " << shapeStr(in) << ", groups "
           << groups << ")";
  SmallVector<int64_t> expected = {in[0], w[0]};
  for (int i = 0; i < 2; ++i) {
    auto extents = windowExtents(op, w[2 + i], op.getDilation()[i], in[2 + i],
                                 op.getPadding()[i]);
    if (failed(extents))
      return failure();
    auto [span, padded] = *extents;
    if (padded < span)
      return op.emitOpError("the kernel ")
             << shapeStr(w.drop_front(2)) << " (dilation "
             << shapeStr(op.getDilation())
             << ") is larger than the padded input "
             << shapeStr(in.drop_front(2)) << " (padding "
             << shapeStr(op.getPadding()) << ")";
    expected.push_back((padded - span) / op.getStride()[i] + 1);
  }
  if (out != ArrayRef<int64_t>(expected))
    return op.emitOpError() << (std::is_same_v<ConvOp, Conv2dOp> ||
                                        std::is_same_v<ConvOp, Conv2dReluOp>
                                    ? "result"
                                    : "grad_output")
                            << " shape should be " << shapeStr(expected)
                            << " for input " << shapeStr(in) << " and weight "
                            << shapeStr(w) << ", got " << shapeStr(out);
  return success();
}

/// conv2d and conv2d_relu: the convolution's shapes and the bias.
template <typename ConvOp> static LogicalResult verifyForward(ConvOp op) {
  if (failed(verifyConv2d(op, {tensorType(op.getInput()),
                               tensorType(op.getWeight()),
                               tensorType(op.getResult())})))
    return failure();
  if (Value bias = op.getBias()) {
    RankedTensorType b = tensorType(bias);
    int64_t f = tensorType(op.getWeight()).getDimSize(0);
    if (b.getRank() != 1 || b.getDimSize(0) != f)
      return op.emitOpError("bias should be [")
             << f << "], got " << shapeStr(b.getShape());
    if (b.getElementType() != tensorType(op.getInput()).getElementType())
      return op.emitOpError("expects one element type for operands and result");
  }
  return success();
}

LogicalResult Conv2dOp::verify() { return verifyForward(*this); }

LogicalResult Conv2dReluOp::verify() { return verifyForward(*this); }

LogicalResult Conv2dGradInputOp::verify() {
  return verifyConv2d(*this, {tensorType(getResult()), tensorType(getWeight()),
                              tensorType(getGradOutput())});
}

LogicalResult Conv2dGradWeightOp::verify() {
  return verifyConv2d(*this, {tensorType(getInput()), tensorType(getResult()),
                              tensorType(getGradOutput())});
}

//===----------------------------------------------------------------------===//
// MaxPool2dOp, MaxPool2dGradOp
//===----------------------------------------------------------------------===//

/// Checks a pooling's attributes, and that `input` [N, C, H, W] and
/// `output` [N, C, OH, OW] agree with them.
template <typename PoolOp>
static LogicalResult verifyPool2d(PoolOp op, RankedTensorType input,
                                  RankedTensorType output, StringRef outName) {
  if (failed(verifyWindowAttrs(op, {{"kernel", op.getKernel(), 1},
                                    {"stride", op.getStride(), 1},
                                    {"padding", op.getPadding(), 0},
                                    {"dilation", op.getDilation(), 1}})))
    return failure();
  if (input.getRank() != 4 || output.getRank() != 4)
    return op.emitOpError("expects rank-4 tensors, got ")
           << shapeStr(input.getShape()) << " and "
           << shapeStr(output.getShape());
  if (input.getElementType() != output.getElementType())
    return op.emitOpError("expects one element type for operands and result");
  ArrayRef<int64_t> in = input.getShape();
  SmallVector<int64_t> expected = {in[0], in[1]};
  for (int i = 0; i < 2; ++i) {
    auto extents = windowExtents(op, op.getKernel()[i], op.getDilation()[i],
                                 in[2 + i], op.getPadding()[i]);
    if (failed(extents))
      return failure();
    auto [span, padded] = *extents;
    if (op.getPadding()[i] > span / 2)
      return op.emitOpError("padding ")
             << shapeStr(op.getPadding())
             << " should be at most half the window "
             << shapeStr(op.getKernel()) << " (dilation "
             << shapeStr(op.getDilation()) << ")";
    for (int64_t o = 0, count = (padded - span) / op.getStride()[i] + 1;
         padded >= span && o < count; ++o) {
      int64_t start = o * op.getStride()[i] - op.getPadding()[i];
      int64_t d = op.getDilation()[i], k = op.getKernel()[i];
      int64_t first = start >= 0 ? 0 : (-start + d - 1) / d;
      if (first >= k || start + first * d >= in[2 + i])
        return op.emitOpError("window ")
               << o << " along dim " << 2 + i << " holds no element of input "
               << shapeStr(in);
    }
    if (padded < span)
      return op.emitOpError("the window ")
             << shapeStr(op.getKernel()) << " (dilation "
             << shapeStr(op.getDilation())
             << ") is larger than the padded input "
             << shapeStr(in.drop_front(2)) << " (padding "
             << shapeStr(op.getPadding()) << ")";
    expected.push_back((padded - span) / op.getStride()[i] + 1);
  }
  if (output.getShape() != ArrayRef<int64_t>(expected))
    return op.emitOpError()
           << outName << " shape should be " << shapeStr(expected)
           << " for input " << shapeStr(in) << ", got "
           << shapeStr(output.getShape());
  return success();
}

LogicalResult MaxPool2dOp::verify() {
  return verifyPool2d(*this, tensorType(getInput()), tensorType(getResult()),
                      "result");
}

LogicalResult MaxPool2dGradOp::verify() {
  if (getInput().getType() != getResult().getType())
    return emitOpError("result type should be the input's, ")
           << getInput().getType() << ", got " << getResult().getType();
  return verifyPool2d(*this, tensorType(getInput()),
                      tensorType(getGradOutput()), "grad_output");
}

//===----------------------------------------------------------------------===//
// RandomUniformOp
//===----------------------------------------------------------------------===//

LogicalResult RandomUniformOp::verify() {
  for (Value v : {getSeed(), getOffset()})
    if (tensorType(v).getRank() != 0)
      return emitOpError("seed and offset should be rank-0 tensors, got ")
             << v.getType();
  return success();
}

//===----------------------------------------------------------------------===//
// ReshapeOp
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  RankedTensorType in = tensorType(getInput()), res = tensorType(getResult());
  if (in.getElementType() != res.getElementType())
    return emitOpError("cannot change the element type");
  if (in.getNumElements() != res.getNumElements())
    return emitOpError("cannot reshape ")
           << shapeStr(in.getShape()) << " (" << in.getNumElements()
           << " elements) into " << shapeStr(res.getShape()) << " ("
           << res.getNumElements() << " elements)";
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  // reshape(reshape(x)) is one reshape of x.
  if (auto producer = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(producer.getInput());
    return getResult();
  }
  return {};
}

//===----------------------------------------------------------------------===//
// SliceOp, SliceScatterOp
//===----------------------------------------------------------------------===//

/// Checks that the box of shape `box` at `offsets` with `strides` lies in a
/// tensor of shape `whole` (shared by ember.slice and ember.slice_scatter,
/// whose `what` names the box's operand or result).
static LogicalResult verifyBox(Operation *op, RankedTensorType whole,
                               RankedTensorType box, ArrayRef<int64_t> offsets,
                               ArrayRef<int64_t> strides, StringRef what) {
  if (whole.getElementType() != box.getElementType())
    return op->emitOpError("cannot change the element type");
  int64_t rank = whole.getRank();
  if (box.getRank() != rank || static_cast<int64_t>(offsets.size()) != rank ||
      static_cast<int64_t>(strides.size()) != rank)
    return op->emitOpError("expects the ")
           << what << " (rank " << box.getRank() << "), offsets ("
           << offsets.size() << ") and strides (" << strides.size()
           << ") to match the rank " << rank << " of "
           << shapeStr(whole.getShape());
  for (int64_t d = 0; d < rank; ++d) {
    int64_t size = box.getDimSize(d), last = 0;
    if (offsets[d] < 0 || strides[d] < 1)
      return op->emitOpError("dimension ")
             << d << ": offset " << offsets[d] << " and stride " << strides[d]
             << " should be >= 0 and >= 1";
    if (size > 0 && (llvm::MulOverflow(size - 1, strides[d], last) ||
                     llvm::AddOverflow(last, offsets[d], last) ||
                     last >= whole.getDimSize(d)))
      return op->emitOpError("dimension ")
             << d << ": a box of " << size << " elements at offset "
             << offsets[d] << " with stride " << strides[d]
             << " does not fit in size " << whole.getDimSize(d) << " of "
             << shapeStr(whole.getShape());
  }
  return success();
}

LogicalResult SliceOp::verify() {
  return verifyBox(*this, tensorType(getInput()), tensorType(getResult()),
                   getOffsets(), getStrides(), "result");
}

OpFoldResult SliceOp::fold(FoldAdaptor) {
  // The whole tensor (a box of the input's shape must start at 0).
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

LogicalResult SliceScatterOp::verify() {
  return verifyBox(*this, tensorType(getDest()), tensorType(getSource()),
                   getOffsets(), getStrides(), "source");
}

OpFoldResult SliceScatterOp::fold(FoldAdaptor) {
  // The box is the whole tensor: every element comes from the source.
  if (getSource().getType() == getType())
    return getSource();
  return {};
}

//===----------------------------------------------------------------------===//
// TransposeOp
//===----------------------------------------------------------------------===//

LogicalResult TransposeOp::verify() {
  RankedTensorType in = tensorType(getInput()), res = tensorType(getResult());
  ArrayRef<int64_t> perm = getPermutation();
  if (static_cast<int64_t>(perm.size()) != in.getRank())
    return emitOpError("permutation has ")
           << perm.size() << " entries for a rank-" << in.getRank() << " input";
  llvm::SmallBitVector seen(perm.size());
  for (int64_t p : perm) {
    if (p < 0 || p >= in.getRank() || seen.test(p))
      return emitOpError("permutation ")
             << shapeStr(perm) << " is not a permutation of [0, "
             << in.getRank() << ")";
    seen.set(p);
  }
  if (in.getElementType() != res.getElementType())
    return emitOpError("cannot change the element type");
  SmallVector<int64_t> expected;
  for (int64_t p : perm)
    expected.push_back(in.getDimSize(p));
  if (res.getShape() != ArrayRef<int64_t>(expected))
    return emitOpError("result shape should be ")
           << shapeStr(expected) << ", got " << shapeStr(res.getShape());
  return success();
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  // The identity permutation (including the empty one of a rank-0 tensor).
  for (auto [i, p] : llvm::enumerate(getPermutation()))
    if (static_cast<int64_t>(i) != p)
      return {};
  return getInput();
}

//===----------------------------------------------------------------------===//
// BroadcastToOp
//===----------------------------------------------------------------------===//

LogicalResult BroadcastToOp::verify() {
  RankedTensorType in = tensorType(getInput()), res = tensorType(getResult());
  if (in.getElementType() != res.getElementType())
    return emitOpError("cannot change the element type");
  if (in.getRank() > res.getRank())
    return emitOpError("cannot broadcast ")
           << shapeStr(in.getShape()) << " to the lower-rank shape "
           << shapeStr(res.getShape());
  int64_t offset = res.getRank() - in.getRank();
  for (int64_t i = 0; i < in.getRank(); ++i) {
    int64_t from = in.getDimSize(i), to = res.getDimSize(offset + i);
    if (from != to && from != 1)
      return emitOpError("cannot broadcast ")
             << shapeStr(in.getShape()) << " to " << shapeStr(res.getShape())
             << ": dimension " << i << " is " << from << ", not 1 or " << to;
  }
  return success();
}

OpFoldResult BroadcastToOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  // A splat constant broadcasts to a splat of the larger shape.
  if (auto splat = dyn_cast_if_present<SplatElementsAttr>(adaptor.getInput()))
    return SplatElementsAttr::get(getType(),
                                  splat.getSplatValue<Attribute>());
  return {};
}

//===----------------------------------------------------------------------===//
// Reductions: SumOp, MaxOp, MinOp
//===----------------------------------------------------------------------===//

/// Checks `dims` against the input and the result shape `keepdim` implies.
static LogicalResult verifyReduction(Operation *op, Value input, Value result,
                                     ArrayRef<int64_t> dims, bool keepdim) {
  RankedTensorType in = tensorType(input), res = tensorType(result);
  if (in.getElementType() != res.getElementType())
    return op->emitOpError("cannot change the element type");
  llvm::SmallBitVector reduced(in.getRank());
  for (int64_t d : dims) {
    if (d < 0 || d >= in.getRank())
      return op->emitOpError("dimension ")
             << d << " is out of range for a rank-" << in.getRank() << " input";
    if (reduced.test(d))
      return op->emitOpError("dimension ") << d << " is listed twice";
    reduced.set(d);
  }
  SmallVector<int64_t> expected;
  for (int64_t i = 0; i < in.getRank(); ++i) {
    if (!reduced.test(i))
      expected.push_back(in.getDimSize(i));
    else if (keepdim)
      expected.push_back(1);
  }
  if (res.getShape() != ArrayRef<int64_t>(expected))
    return op->emitOpError("result shape should be ")
           << shapeStr(expected) << ", got " << shapeStr(res.getShape());
  return success();
}

LogicalResult SumOp::verify() {
  return verifyReduction(*this, getInput(), getResult(), getDims(),
                         getKeepdim());
}
LogicalResult MaxOp::verify() {
  return verifyReduction(*this, getInput(), getResult(), getDims(),
                         getKeepdim());
}
LogicalResult MinOp::verify() {
  return verifyReduction(*this, getInput(), getResult(), getDims(),
                         getKeepdim());
}

//===----------------------------------------------------------------------===//
// ArgmaxOp
//===----------------------------------------------------------------------===//

LogicalResult ArgmaxOp::verify() {
  RankedTensorType in = tensorType(getInput()), res = tensorType(getResult());
  int64_t dim = getDim();
  if (dim < 0 || dim >= in.getRank())
    return emitOpError("dimension ")
           << dim << " is out of range for a rank-" << in.getRank() << " input";
  SmallVector<int64_t> expected;
  for (int64_t i = 0; i < in.getRank(); ++i) {
    if (i != dim)
      expected.push_back(in.getDimSize(i));
    else if (getKeepdim())
      expected.push_back(1);
  }
  if (res.getShape() != ArrayRef<int64_t>(expected))
    return emitOpError("result shape should be ")
           << shapeStr(expected) << ", got " << shapeStr(res.getShape());
  return success();
}

//===----------------------------------------------------------------------===//
// Comparisons, SelectOp, CastOp
//===----------------------------------------------------------------------===//

/// The result of a comparison has the operands' shape.
static LogicalResult verifyCompare(Operation *op) {
  RankedTensorType in = tensorType(op->getOperand(0));
  RankedTensorType res = tensorType(op->getResult(0));
  if (in.getShape() != res.getShape())
    return op->emitOpError("result shape ")
           << shapeStr(res.getShape()) << " differs from the operands' "
           << shapeStr(in.getShape());
  return success();
}

LogicalResult EqOp::verify() { return verifyCompare(*this); }
LogicalResult NeOp::verify() { return verifyCompare(*this); }
LogicalResult LtOp::verify() { return verifyCompare(*this); }
LogicalResult LeOp::verify() { return verifyCompare(*this); }
LogicalResult GtOp::verify() { return verifyCompare(*this); }
LogicalResult GeOp::verify() { return verifyCompare(*this); }

LogicalResult SelectOp::verify() {
  RankedTensorType cond = tensorType(getCondition());
  RankedTensorType res = tensorType(getResult());
  if (cond.getShape() != res.getShape())
    return emitOpError("condition shape ")
           << shapeStr(cond.getShape()) << " differs from the values' "
           << shapeStr(res.getShape());
  return success();
}

LogicalResult CastOp::verify() {
  RankedTensorType in = tensorType(getInput()), res = tensorType(getResult());
  if (in.getShape() != res.getShape())
    return emitOpError("cannot change the shape: ")
           << shapeStr(in.getShape()) << " vs " << shapeStr(res.getShape());
  return success();
}

OpFoldResult CastOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

#define GET_OP_CLASSES
#include "ember/Dialect/Ember/IR/EmberOps.cpp.inc"
