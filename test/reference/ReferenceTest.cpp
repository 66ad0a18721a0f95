//===- ReferenceTest.cpp - Tests of the reference evaluator ---------------===//
//
// Part of Ember. The oracle is only as good as its own tests: each op is
// checked here on small graphs built by hand, against values worked out by
// hand.
//
//===----------------------------------------------------------------------===//

#include "Reference.h"
#include "OpTable.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <set>
#include <stdexcept>

using namespace ember;
using ember::fe::Node;
using ember::fe::NodePtr;
using ember::fe::OpKind;

namespace {

/// A leaf of `dtype` holding `values` (converted to T) in `shape`.
template <typename T>
NodePtr makeLeaf(const std::vector<T> &values, Shape shape, DType dtype) {
  auto node = std::make_shared<Node>();
  node->kind = OpKind::Leaf;
  node->shape = std::move(shape);
  node->dtype = dtype;
  size_t bytes = values.size() * sizeof(T);
  node->data = rt::Buffer::allocate(bytes);
  std::memcpy(node->data->data(), values.data(), bytes);
  return node;
}

NodePtr leaf(const std::vector<float> &values, Shape shape) {
  return makeLeaf(values, std::move(shape), DType::Float32);
}

NodePtr leafI64(const std::vector<int64_t> &values, Shape shape) {
  return makeLeaf(values, std::move(shape), DType::Int64);
}

/// An op node of `kind` on `inputs`, with the dtype of the first input.
NodePtr op(OpKind kind, std::vector<NodePtr> inputs, Shape shape,
           std::vector<int64_t> axes = {}, bool keepdim = false) {
  auto node = std::make_shared<Node>();
  node->kind = kind;
  node->dtype = inputs.at(0)->dtype;
  node->inputs = std::move(inputs);
  node->shape = std::move(shape);
  node->axes = std::move(axes);
  node->keepdim = keepdim;
  return node;
}

/// 0, 1, 2, ... as floats, `n` of them.
std::vector<float> iota(int n) {
  std::vector<float> values(n);
  for (int i = 0; i < n; ++i)
    values[i] = static_cast<float>(i);
  return values;
}

using Values = std::vector<double>;

} // namespace

//===----------------------------------------------------------------------===//
// Reading data
//===----------------------------------------------------------------------===//

TEST(ReferenceToDoubles, ReadsEveryDType) {
  float f32[] = {1.5f, -2.25f};
  EXPECT_EQ(ref::toDoubles(f32, DType::Float32, 2), (Values{1.5, -2.25}));
  double f64[] = {0.1, -1e300};
  EXPECT_EQ(ref::toDoubles(f64, DType::Float64, 2), (Values{0.1, -1e300}));
  int64_t i64[] = {-7, int64_t(1) << 40};
  EXPECT_EQ(ref::toDoubles(i64, DType::Int64, 2),
            (Values{-7.0, std::ldexp(1.0, 40)}));
  uint8_t u8[] = {0, 200, 255};
  EXPECT_EQ(ref::toDoubles(u8, DType::UInt8, 3), (Values{0, 200, 255}));
  uint8_t b[] = {0, 1, 0};
  EXPECT_EQ(ref::toDoubles(b, DType::Bool, 3), (Values{0, 1, 0}));
}

TEST(ReferenceEvaluate, LeafReadsItsData) {
  EXPECT_EQ(ref::evaluate(leaf({1, 2, 3, 4, 5, 6}, {2, 3})),
            (Values{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(ref::evaluate(leafI64({-3, 9}, {2})), (Values{-3, 9}));
  EXPECT_EQ(ref::evaluate(leaf({42}, {})), (Values{42}));
}

TEST(ReferenceEvaluate, LeafWithoutDataThrows) {
  auto node = std::make_shared<Node>();
  node->shape = {2};
  EXPECT_THROW(ref::evaluate(node), std::logic_error);
}

TEST(ReferenceEvaluate, DataTooSmallThrows) {
  NodePtr node = leaf({1, 2}, {2});
  node->shape = {3};
  EXPECT_THROW(ref::evaluate(node), std::logic_error);
}

TEST(ReferenceEvaluate, RealizedOpNodeReadsItsData) {
  // An op node that has been realised keeps its data and drops its inputs.
  NodePtr node = leaf({7, 8}, {2});
  node->kind = OpKind::Add;
  EXPECT_EQ(ref::evaluate(node), (Values{7, 8}));
}

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

TEST(ReferenceEvaluate, ElementwiseBinary) {
  NodePtr a = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  NodePtr b = leaf({6, 5, 4, 3, 2, 1}, {2, 3});
  EXPECT_EQ(ref::evaluate(op(OpKind::Add, {a, b}, {2, 3})),
            (Values{7, 7, 7, 7, 7, 7}));
  EXPECT_EQ(ref::evaluate(op(OpKind::Sub, {a, b}, {2, 3})),
            (Values{-5, -3, -1, 1, 3, 5}));
  EXPECT_EQ(ref::evaluate(op(OpKind::Mul, {a, b}, {2, 3})),
            (Values{6, 10, 12, 12, 10, 6}));
  EXPECT_EQ(ref::evaluate(op(OpKind::Div, {a, b}, {2, 3})),
            (Values{1.0 / 6, 2.0 / 5, 3.0 / 4, 4.0 / 3, 5.0 / 2, 6.0}));
}

TEST(ReferenceEvaluate, FloatDivIsTrueDivision) {
  NodePtr a = leaf({7, -7, 1, -1}, {4});
  NodePtr b = leaf({2, 2, 0, 0}, {4});
  Values result = ref::evaluate(op(OpKind::Div, {a, b}, {4}));
  EXPECT_EQ(result[0], 3.5);
  EXPECT_EQ(result[1], -3.5);
  EXPECT_EQ(result[2], std::numeric_limits<double>::infinity());
  EXPECT_EQ(result[3], -std::numeric_limits<double>::infinity());
}

TEST(ReferenceEvaluate, IntegerDivTruncatesTowardZero) {
  NodePtr a = leafI64({7, -7, 7, -7, 6, 1}, {6});
  NodePtr b = leafI64({2, 2, -2, -2, 3, 4}, {6});
  EXPECT_EQ(ref::evaluate(op(OpKind::Div, {a, b}, {6})),
            (Values{3, -3, -3, 3, 2, 0}));
}

TEST(ReferenceEvaluate, IntegerDivByZeroThrows) {
  NodePtr a = leafI64({1, 2}, {2});
  NodePtr b = leafI64({1, 0}, {2});
  EXPECT_THROW(ref::evaluate(op(OpKind::Div, {a, b}, {2})), std::domain_error);
}

TEST(ReferenceEvaluate, IntegerArithmetic) {
  NodePtr a = leafI64({5, -3}, {2});
  NodePtr b = leafI64({4, 10}, {2});
  EXPECT_EQ(ref::evaluate(op(OpKind::Mul, {a, b}, {2})), (Values{20, -30}));
  EXPECT_EQ(ref::evaluate(op(OpKind::Sub, {a, b}, {2})), (Values{1, -13}));
}

TEST(ReferenceEvaluate, BinaryShapeMismatchThrows) {
  NodePtr a = leaf({1, 2, 3}, {3});
  NodePtr b = leaf({1, 2, 3}, {1, 3});
  EXPECT_THROW(ref::evaluate(op(OpKind::Add, {a, b}, {3})), std::logic_error);
}

TEST(ReferenceEvaluate, BinaryDTypeMismatchThrows) {
  NodePtr a = leaf({1, 2}, {2});
  NodePtr b = leafI64({1, 2}, {2});
  EXPECT_THROW(ref::evaluate(op(OpKind::Add, {a, b}, {2})), std::logic_error);
}

TEST(ReferenceEvaluate, NegAndRelu) {
  NodePtr a = leaf({-2, -0.5f, 0, 1.5f}, {2, 2});
  EXPECT_EQ(ref::evaluate(op(OpKind::Neg, {a}, {2, 2})),
            (Values{2, 0.5, 0, -1.5}));
  EXPECT_EQ(ref::evaluate(op(OpKind::Relu, {a}, {2, 2})),
            (Values{0, 0, 0, 1.5}));
}

TEST(ReferenceEvaluate, ReluKeepsNaN) {
  NodePtr a = leaf({std::numeric_limits<float>::quiet_NaN()}, {1});
  EXPECT_TRUE(std::isnan(ref::evaluate(op(OpKind::Relu, {a}, {1}))[0]));
}

//===----------------------------------------------------------------------===//
// Matmul and linear
//===----------------------------------------------------------------------===//

TEST(ReferenceEvaluate, Matmul) {
  // [[1 2 3]    [[1 0]     [[1+0+9   0+2+3]     [[10  5]
  //  [4 5 6]] x  [0 1]  =   [4+0+18  0+5+6]]  =   [22 11]]
  //              [3 1]]
  NodePtr a = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  NodePtr b = leaf({1, 0, 0, 1, 3, 1}, {3, 2});
  EXPECT_EQ(ref::evaluate(op(OpKind::Matmul, {a, b}, {2, 2})),
            (Values{10, 5, 22, 11}));
}

TEST(ReferenceEvaluate, MatmulIntegers) {
  NodePtr a = leafI64({1, 2}, {1, 2});
  NodePtr b = leafI64({3, 4, 5, 6}, {2, 2});
  EXPECT_EQ(ref::evaluate(op(OpKind::Matmul, {a, b}, {1, 2})),
            (Values{13, 16}));
}

TEST(ReferenceEvaluate, MatmulInnerMismatchThrows) {
  NodePtr a = leaf(iota(6), {2, 3});
  NodePtr b = leaf(iota(6), {2, 3});
  EXPECT_THROW(ref::evaluate(op(OpKind::Matmul, {a, b}, {2, 3})),
               std::logic_error);
}

TEST(ReferenceEvaluate, LinearWithoutBias) {
  // x [2, 3], W [out = 2, in = 3]: y = x Wᵀ.
  // W rows: [1 0 1] and [0 2 0].
  NodePtr x = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  NodePtr w = leaf({1, 0, 1, 0, 2, 0}, {2, 3});
  EXPECT_EQ(ref::evaluate(op(OpKind::Linear, {x, w}, {2, 2})),
            (Values{4, 4, 10, 10}));
}

TEST(ReferenceEvaluate, LinearWithBias) {
  NodePtr x = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  NodePtr w = leaf({1, 0, 1, 0, 2, 0}, {2, 3});
  NodePtr b = leaf({0.5f, -1}, {2});
  EXPECT_EQ(ref::evaluate(op(OpKind::Linear, {x, w, b}, {2, 2})),
            (Values{4.5, 3, 10.5, 9}));
}

TEST(ReferenceEvaluate, LinearTakesWeightAsOutByIn) {
  // A [3, 2] weight is [out = 3, in = 2]; it does not fit a [1, 3] input.
  NodePtr x = leaf({1, 2, 3}, {1, 3});
  NodePtr w = leaf(iota(6), {3, 2});
  EXPECT_THROW(ref::evaluate(op(OpKind::Linear, {x, w}, {1, 2})),
               std::logic_error);
  // With a [1, 2] input it gives [0*1+1*2, 2*1+3*2, 4*1+5*2] = [2, 8, 14].
  NodePtr x2 = leaf({1, 2}, {1, 2});
  EXPECT_EQ(ref::evaluate(op(OpKind::Linear, {x2, w}, {1, 3})),
            (Values{2, 8, 14}));
}

//===----------------------------------------------------------------------===//
// Shape ops
//===----------------------------------------------------------------------===//

TEST(ReferenceEvaluate, ReshapeKeepsRowMajorOrder) {
  NodePtr a = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(ref::evaluate(op(OpKind::Reshape, {a}, {3, 2})),
            (Values{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(ref::evaluate(op(OpKind::Reshape, {a}, {6})),
            (Values{1, 2, 3, 4, 5, 6}));
  EXPECT_THROW(ref::evaluate(op(OpKind::Reshape, {a}, {4})), std::logic_error);
}

TEST(ReferenceEvaluate, Transpose2D) {
  NodePtr a = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(ref::evaluate(op(OpKind::Transpose, {a}, {3, 2}, {1, 0})),
            (Values{1, 4, 2, 5, 3, 6}));
}

TEST(ReferenceEvaluate, Transpose3D) {
  // in[a][b][c] = 6a + 2b + c, shape [2, 3, 2].
  NodePtr a = leaf(iota(12), {2, 3, 2});
  // Permutation [2, 0, 1]: out shape [2, 2, 3], out[i][j][k] = in[j][k][i]
  // = 6j + 2k + i.
  EXPECT_EQ(ref::evaluate(op(OpKind::Transpose, {a}, {2, 2, 3}, {2, 0, 1})),
            (Values{0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11}));
  // Its inverse [1, 2, 0]: out shape [3, 2, 2], out[i][j][k] = in[k][i][j]
  // = 6k + 2i + j.
  EXPECT_EQ(ref::evaluate(op(OpKind::Transpose, {a}, {3, 2, 2}, {1, 2, 0})),
            (Values{0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11}));
  // Identity.
  EXPECT_EQ(ref::evaluate(op(OpKind::Transpose, {a}, {2, 3, 2}, {0, 1, 2})),
            ref::evaluate(a));
}

TEST(ReferenceEvaluate, TransposeRejectsBadPermutation) {
  NodePtr a = leaf(iota(6), {2, 3});
  EXPECT_THROW(ref::evaluate(op(OpKind::Transpose, {a}, {3, 3}, {1, 1})),
               std::logic_error);
  EXPECT_THROW(ref::evaluate(op(OpKind::Transpose, {a}, {2, 3}, {1, 0})),
               std::logic_error);
}

/// A Slice or SliceScatter node with the box's `offsets` and `strides`.
NodePtr box(OpKind kind, std::vector<NodePtr> inputs, Shape shape,
            std::vector<int64_t> offsets, std::vector<int64_t> strides) {
  NodePtr node = op(kind, std::move(inputs), std::move(shape));
  node->window = std::move(offsets);
  node->window.insert(node->window.end(), strides.begin(), strides.end());
  return node;
}

TEST(ReferenceEvaluate, SliceTakesAStridedBox) {
  // in[i][j] = 6i + j, shape [4, 6]; rows 1..3, columns 1, 3, 5.
  NodePtr a = leaf(iota(24), {4, 6});
  EXPECT_EQ(ref::evaluate(box(OpKind::Slice, {a}, {3, 3}, {1, 1}, {1, 2})),
            (Values{7, 9, 11, 13, 15, 17, 19, 21, 23}));
  // Outside the input, or a stride of 0: rejected.
  EXPECT_THROW(ref::evaluate(box(OpKind::Slice, {a}, {3, 3}, {2, 1}, {1, 2})),
               std::logic_error);
  EXPECT_THROW(ref::evaluate(box(OpKind::Slice, {a}, {1, 1}, {0, 0}, {0, 1})),
               std::logic_error);
}

TEST(ReferenceEvaluate, SliceScatterReplacesTheBox) {
  NodePtr dest = leaf(iota(6), {2, 3});
  NodePtr src = leaf({-1, -2}, {2, 1});
  // Column 2 replaced.
  EXPECT_EQ(ref::evaluate(
                box(OpKind::SliceScatter, {dest, src}, {2, 3}, {0, 2}, {1, 1})),
            (Values{0, 1, -1, 3, 4, -2}));
  NodePtr row = leaf({-1, -2}, {1, 2});
  // Row 1, columns 0 and 2.
  EXPECT_EQ(ref::evaluate(
                box(OpKind::SliceScatter, {dest, row}, {2, 3}, {1, 0}, {1, 2})),
            (Values{0, 1, 2, -1, 4, -2}));
  EXPECT_THROW(ref::evaluate(box(OpKind::SliceScatter, {dest, row}, {2, 3},
                                 {1, 1}, {1, 2})),
               std::logic_error);
}

TEST(ReferenceEvaluate, BroadcastVectorToMatrix) {
  NodePtr a = leaf({1, 2, 3}, {3});
  EXPECT_EQ(ref::evaluate(op(OpKind::BroadcastTo, {a}, {2, 3})),
            (Values{1, 2, 3, 1, 2, 3}));
}

TEST(ReferenceEvaluate, BroadcastColumnWithNewLeadingDim) {
  NodePtr a = leaf({1, 2, 3, 4}, {4, 1});
  Values expected;
  for (int batch = 0; batch < 2; ++batch)
    for (double row : {1, 2, 3, 4})
      for (int col = 0; col < 5; ++col)
        expected.push_back(row);
  Values result = ref::evaluate(op(OpKind::BroadcastTo, {a}, {2, 4, 5}));
  ASSERT_EQ(result.size(), 40u);
  EXPECT_EQ(result, expected);
  EXPECT_EQ((Values(result.begin(), result.begin() + 10)),
            (Values{1, 1, 1, 1, 1, 2, 2, 2, 2, 2}));
}

TEST(ReferenceEvaluate, BroadcastScalarAndMiddleDim) {
  EXPECT_EQ(ref::evaluate(op(OpKind::BroadcastTo, {leaf({5}, {})}, {2, 2})),
            (Values{5, 5, 5, 5}));
  // [2, 1, 2] -> [2, 3, 2].
  NodePtr a = leaf({1, 2, 3, 4}, {2, 1, 2});
  EXPECT_EQ(ref::evaluate(op(OpKind::BroadcastTo, {a}, {2, 3, 2})),
            (Values{1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4}));
}

TEST(ReferenceEvaluate, BroadcastRejectsIncompatibleShapes) {
  NodePtr a = leaf({1, 2, 3}, {3});
  EXPECT_THROW(ref::evaluate(op(OpKind::BroadcastTo, {a}, {3, 2})),
               std::logic_error);
}

//===----------------------------------------------------------------------===//
// Sum
//===----------------------------------------------------------------------===//

TEST(ReferenceEvaluate, SumOneAxis) {
  NodePtr a = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(ref::evaluate(op(OpKind::Sum, {a}, {2}, {1})), (Values{6, 15}));
  EXPECT_EQ(ref::evaluate(op(OpKind::Sum, {a}, {3}, {0})), (Values{5, 7, 9}));
  EXPECT_EQ(ref::evaluate(op(OpKind::Sum, {a}, {1, 3}, {0}, true)),
            (Values{5, 7, 9}));
}

TEST(ReferenceEvaluate, SumSeveralAxes) {
  // in[a][b][c] = 12a + 4b + c, shape [2, 3, 4]. Summing over a and c:
  // sum_a sum_c (12a + 4b + c) = 4*12 + 8*4b + 2*6 = 60 + 32b.
  NodePtr a = leaf(iota(24), {2, 3, 4});
  EXPECT_EQ(ref::evaluate(op(OpKind::Sum, {a}, {3}, {0, 2})),
            (Values{60, 92, 124}));
  EXPECT_EQ(ref::evaluate(op(OpKind::Sum, {a}, {1, 3, 1}, {0, 2}, true)),
            (Values{60, 92, 124}));
  // Over a and b: sum_a sum_b (12a + 4b + c) = 3*12 + 2*4*3 + 6c = 60 + 6c.
  EXPECT_EQ(ref::evaluate(op(OpKind::Sum, {a}, {4}, {0, 1})),
            (Values{60, 66, 72, 78}));
  // Over b and c, keepdim: sum_b sum_c = 12*12a + 4*4*3 + 3*6 = 144a + 66.
  EXPECT_EQ(ref::evaluate(op(OpKind::Sum, {a}, {2, 1, 1}, {1, 2}, true)),
            (Values{66, 210}));
}

TEST(ReferenceEvaluate, SumAllAxes) {
  NodePtr a = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(ref::evaluate(op(OpKind::Sum, {a}, {}, {0, 1})), (Values{21}));
  EXPECT_EQ(ref::evaluate(op(OpKind::Sum, {a}, {1, 1}, {0, 1}, true)),
            (Values{21}));
}

TEST(ReferenceEvaluate, SumIntegers) {
  NodePtr a = leafI64({1, -2, 3, -4}, {2, 2});
  EXPECT_EQ(ref::evaluate(op(OpKind::Sum, {a}, {2}, {1})), (Values{-1, -1}));
}

TEST(ReferenceEvaluate, SumRejectsWrongResultShape) {
  NodePtr a = leaf(iota(6), {2, 3});
  // keepdim without the size-1 dimension, and the opposite.
  EXPECT_THROW(ref::evaluate(op(OpKind::Sum, {a}, {2}, {1}, true)),
               std::logic_error);
  EXPECT_THROW(ref::evaluate(op(OpKind::Sum, {a}, {2, 1}, {1})),
               std::logic_error);
  EXPECT_THROW(ref::evaluate(op(OpKind::Sum, {a}, {2}, {2})), std::logic_error);
}

//===----------------------------------------------------------------------===//
// Graphs
//===----------------------------------------------------------------------===//

TEST(ReferenceEvaluate, ComposedGraph) {
  // relu(x @ w + broadcast(b)) summed over rows.
  NodePtr x = leaf({1, -1, 2, 0}, {2, 2});
  NodePtr w = leaf({1, 2, 3, 4}, {2, 2});
  NodePtr b = leaf({-1, 0}, {2});
  NodePtr mm = op(OpKind::Matmul, {x, w}, {2, 2}); // [[-2, -2], [2, 4]]
  NodePtr bb = op(OpKind::BroadcastTo, {b}, {2, 2});
  NodePtr add = op(OpKind::Add, {mm, bb}, {2, 2}); // [[-3, -2], [1, 4]]
  NodePtr relu = op(OpKind::Relu, {add}, {2, 2});  // [[0, 0], [1, 4]]
  EXPECT_EQ(ref::evaluate(op(OpKind::Sum, {relu}, {2}, {0})), (Values{1, 4}));
}

TEST(ReferenceEvaluate, SharedSubgraphsAreComputedOnce) {
  // x_{i+1} = x_i + x_i, 60 times: each node has its predecessor as both
  // inputs, so evaluating without memoisation would take 2^60 steps.
  NodePtr x = leaf({1, -3}, {2});
  for (int i = 0; i < 60; ++i)
    x = op(OpKind::Add, {x, x}, {2});
  EXPECT_EQ(ref::evaluate(x),
            (Values{std::ldexp(1.0, 60), -3 * std::ldexp(1.0, 60)}));
}

TEST(ReferenceEvaluate, LongChainDoesNotOverflowTheStack) {
  NodePtr x = leaf({1}, {1});
  for (int i = 0; i < 100000; ++i)
    x = op(OpKind::Neg, {x}, {1});
  EXPECT_EQ(ref::evaluate(x), (Values{1}));
  // Destroy the chain iteratively too: the recursive shared_ptr destructor
  // of a 100000-deep chain could overflow the stack itself.
  while (!x->inputs.empty()) {
    NodePtr next = x->inputs[0];
    x->inputs.clear();
    x = next;
  }
}

//===----------------------------------------------------------------------===//
// compareClose
//===----------------------------------------------------------------------===//

TEST(ReferenceCompareClose, AllCloseGivesEmptyMessage) {
  EXPECT_EQ(ref::compareClose({1, 2, 3.0001}, {1, 2, 3}, {3}, 1e-3, 0), "");
  EXPECT_EQ(ref::compareClose({0.5}, {0}, {}, 0, 0.5), "");
  double nan = std::numeric_limits<double>::quiet_NaN();
  double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(ref::compareClose({nan, inf}, {nan, inf}, {2}, 0, 0), "");
}

TEST(ReferenceCompareClose, MessageNamesFirstMismatch) {
  std::string message = ref::compareClose(
      {1, 2, 3.5, 4, 5, 7}, {1, 2, 3.25, 4, 5, 6}, {2, 3}, 1e-5, 1e-5);
  EXPECT_NE(message.find("2 of 6 elements mismatch"), std::string::npos)
      << message;
  EXPECT_NE(message.find("[0, 2]"), std::string::npos) << message;
  EXPECT_NE(message.find("actual 3.5"), std::string::npos) << message;
  EXPECT_NE(message.find("expected 3.25"), std::string::npos) << message;
}

TEST(ReferenceCompareClose, ToleranceIsAtolPlusRtolTimesExpected) {
  // Allowed: 0.5 + 0.1 * 10 = 1.5.
  EXPECT_EQ(ref::compareClose({11.5}, {10}, {1}, 0.1, 0.5), "");
  EXPECT_NE(ref::compareClose({11.75}, {10}, {1}, 0.1, 0.5), "");
  // Relative to expected, not actual.
  EXPECT_NE(ref::compareClose({-11.75}, {-10}, {1}, 0.1, 0.5), "");
}

TEST(ReferenceCompareClose, NaNAndInfinityMismatches) {
  double nan = std::numeric_limits<double>::quiet_NaN();
  double inf = std::numeric_limits<double>::infinity();
  EXPECT_NE(ref::compareClose({nan}, {1}, {1}, 1, 1), "");
  EXPECT_NE(ref::compareClose({1}, {nan}, {1}, 1, 1), "");
  EXPECT_NE(ref::compareClose({inf}, {-inf}, {1}, 1, 1), "");
  EXPECT_NE(ref::compareClose({inf}, {1e300}, {1}, 1, 1), "");
}

TEST(ReferenceCompareClose, SizeMismatchIsReported) {
  std::string message = ref::compareClose({1, 2}, {1, 2, 3}, {3}, 0, 0);
  EXPECT_NE(message.find("size mismatch"), std::string::npos) << message;
  message = ref::compareClose({1, 2}, {1, 2}, {3}, 0, 0);
  EXPECT_NE(message.find("[3]"), std::string::npos) << message;
}

// Every op of the frontend's list (Ops.def) has an op-table case that
// records it, in its forward or its backward graph: so every op is checked
// against this evaluator on every backend. A new op without a case fails
// here, naming it. Draws are seeded with fixed seeds (the cases' random
// choices, such as a bias or not, are covered by several of them).
TEST(OpTableCoverage, EveryOpHasACase) {
  std::set<OpKind> seen;
  for (const test::OpCase &c : test::opTable()) {
    for (uint64_t seed = 1; seed <= 8; ++seed) {
      std::mt19937_64 rng(seed);
      test::Draw draw(rng);
      test::OpInstance instance = c.draw(draw);
      if (c.gradients)
        for (Tensor &t : instance.inputs)
          if (t.dtype() == DType::Float32 || t.dtype() == DType::Float64)
            t.requires_grad_();
      std::vector<Tensor> outputs = instance.op(instance.inputs).tensors;
      std::vector<NodePtr> roots;
      for (const Tensor &t : outputs)
        roots.push_back(t.node());
      if (c.gradients) {
        Tensor loss;
        for (const Tensor &t : outputs)
          loss = loss.defined() ? loss + t.sum() : t.sum();
        loss.backward();
        for (Tensor &t : instance.inputs) {
          if (t.grad().defined())
            roots.push_back(t.grad().node());
          t.zero_grad_();
        }
      }
      // Every node the case recorded, realised or not.
      std::vector<NodePtr> stack = roots;
      std::set<const Node *> visited;
      while (!stack.empty()) {
        NodePtr n = stack.back();
        stack.pop_back();
        if (!n || !visited.insert(n.get()).second)
          continue;
        seen.insert(n->kind);
        for (const NodePtr &in : n->inputs)
          stack.push_back(in);
      }
    }
  }
  for (OpKind kind : fe::allOps())
    EXPECT_TRUE(seen.count(kind))
        << "ember." << fe::opName(kind)
        << " has no case in test/reference/OpTable.cpp that records it";
}

// The names come from Ops.def: distinct, and each one an ember op's.
TEST(OpTableCoverage, OpNamesAreDistinct) {
  std::set<std::string_view> names;
  for (OpKind kind : fe::allOps()) {
    EXPECT_FALSE(fe::opName(kind).empty());
    EXPECT_TRUE(names.insert(fe::opName(kind)).second) << fe::opName(kind);
  }
  EXPECT_EQ(fe::opName(OpKind::MaxPool2d), "max_pool2d");
  EXPECT_EQ(fe::opName(OpKind::RandomUniform), "random_uniform");
}
