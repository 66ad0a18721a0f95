//===- Reference.cpp - Plain C++ evaluator of recorded graphs -------------===//
//
// Part of Ember. Every op is a few plain loops over row-major data held in
// std::vector<double>. Nothing here is fast on purpose: the code should be
// obviously right, since the compiled kernels are checked against it.
//
//===----------------------------------------------------------------------===//

#include "Reference.h"

#include "ember/runtime/Collectives.h"
#include "ember/runtime/Half.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <iomanip>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

namespace ember::ref {

namespace {

using fe::Node;
using fe::OpKind;

/// The dialect mnemonic of `kind`, for messages.
const char *kindName(OpKind kind) { return fe::opName(kind).data(); }

/// Renders a shape or an index list as "[2, 3]".
std::string formatList(const std::vector<int64_t> &values) {
  std::ostringstream os;
  os << '[';
  for (size_t i = 0; i < values.size(); ++i)
    os << (i ? ", " : "") << values[i];
  os << ']';
  return os.str();
}

/// Throws std::logic_error naming the op of `node` when `condition` fails.
void require(bool condition, const Node &node, const std::string &message) {
  if (!condition)
    throw std::logic_error(std::string("ember::ref: ") + kindName(node.kind) +
                           ": " + message);
}

/// Row-major strides of `shape`, in elements.
std::vector<int64_t> stridesOf(const Shape &shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

/// The multi-index of row-major element `linear` of `shape`.
std::vector<int64_t> unravel(int64_t linear, const Shape &shape) {
  std::vector<int64_t> index(shape.size(), 0);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    if (shape[d] == 0)
      continue;
    index[d] = linear % shape[d];
    linear /= shape[d];
  }
  return index;
}

/// Calls `fn(index, linear)` for every element of `shape`, in row-major order.
void forEachIndex(
    const Shape &shape,
    const std::function<void(const std::vector<int64_t> &, int64_t)> &fn) {
  int64_t numel = numelOf(shape);
  std::vector<int64_t> index(shape.size(), 0);
  for (int64_t linear = 0; linear < numel; ++linear) {
    fn(index, linear);
    // Advance the multi-index like an odometer.
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
  }
}

/// Reads one element of type `T` at `data[i]` as a double.
template <typename T> double readAs(const void *data, int64_t i) {
  T value;
  std::memcpy(&value, static_cast<const char *>(data) + i * sizeof(T),
              sizeof(T));
  return static_cast<double>(value);
}

//===----------------------------------------------------------------------===//
// Ops
//===----------------------------------------------------------------------===//

using Values = std::vector<double>;

/// `x` rounded to float, then to float16 or bfloat16 (as a double).
double roundToHalf(DType dtype, double x) {
  float f = static_cast<float>(x);
  return dtype == DType::Float16
             ? rt::halfBitsToFloat(rt::floatToHalfBits(f))
             : rt::bfloat16BitsToFloat(rt::floatToBFloat16Bits(f));
}

/// Checks that `node` has `count` inputs.
void requireInputs(const Node &node, size_t count) {
  require(node.inputs.size() == count, node,
          "expected " + std::to_string(count) + " inputs, got " +
              std::to_string(node.inputs.size()));
}

/// Checks that `input` has the element type of `node`.
void requireSameDType(const Node &node, const Node &input) {
  require(input.dtype == node.dtype, node,
          "input dtype " + std::string(dtypeName(input.dtype)) +
              " differs from result dtype " +
              std::string(dtypeName(node.dtype)));
}

Values evalElementwiseBinary(const Node &node, const Values &lhs,
                             const Values &rhs) {
  for (const auto &input : node.inputs) {
    require(input->shape == node.shape, node,
            "input shape " + formatList(input->shape) +
                " differs from result shape " + formatList(node.shape));
    requireSameDType(node, *input);
  }
  bool isInteger = !isFloatingPoint(node.dtype);
  Values result(lhs.size());
  for (size_t i = 0; i < lhs.size(); ++i) {
    double a = lhs[i], b = rhs[i];
    switch (node.kind) {
    case OpKind::Add:
      result[i] = a + b;
      break;
    case OpKind::Sub:
      result[i] = a - b;
      break;
    case OpKind::Mul:
      result[i] = a * b;
      break;
    case OpKind::Div:
      if (!isInteger) {
        result[i] = a / b;
        break;
      }
      if (b == 0)
        throw std::domain_error("ember::ref: div: integer division by zero "
                                "at element " +
                                formatList(unravel(i, node.shape)));
      // C++ integer division truncates toward zero, as ember.div does.
      result[i] = static_cast<double>(static_cast<int64_t>(a) /
                                      static_cast<int64_t>(b));
      break;
    default:
      require(false, node, "not a binary op");
    }
  }
  return result;
}

Values evalElementwiseUnary(const Node &node, const Values &input) {
  const Node &in = *node.inputs[0];
  require(in.shape == node.shape, node,
          "input shape " + formatList(in.shape) +
              " differs from result shape " + formatList(node.shape));
  requireSameDType(node, in);
  Values result(input.size());
  for (size_t i = 0; i < input.size(); ++i) {
    double x = input[i];
    if (node.kind == OpKind::Neg)
      result[i] = -x;
    else // Relu; a NaN stays NaN, as in PyTorch.
      result[i] = x < 0 ? 0.0 : x;
  }
  return result;
}

Values evalMatmul(const Node &node, const Values &lhs, const Values &rhs) {
  const Shape &ls = node.inputs[0]->shape, &rs = node.inputs[1]->shape;
  require(ls.size() == 2 && rs.size() == 2, node,
          "operands must be rank 2, got " + formatList(ls) + " and " +
              formatList(rs));
  int64_t m = ls[0], k = ls[1], n = rs[1];
  require(rs[0] == k, node,
          "inner dimensions differ: " + formatList(ls) + " x " +
              formatList(rs));
  require(node.shape == Shape{m, n}, node,
          "result shape " + formatList(node.shape) + " is not " +
              formatList({m, n}));
  requireSameDType(node, *node.inputs[0]);
  requireSameDType(node, *node.inputs[1]);
  Values result(m * n, 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0;
      for (int64_t p = 0; p < k; ++p)
        acc += lhs[i * k + p] * rhs[p * n + j];
      result[i * n + j] = acc;
    }
  return result;
}

Values evalLinear(const Node &node, const Values &input, const Values &weight,
                  const Values *bias) {
  const Shape &is = node.inputs[0]->shape, &ws = node.inputs[1]->shape;
  require(is.size() == 2 && ws.size() == 2, node,
          "input and weight must be rank 2, got " + formatList(is) + " and " +
              formatList(ws));
  int64_t m = is[0], k = is[1], n = ws[0];
  require(ws[1] == k, node,
          "weight " + formatList(ws) + " does not match input " +
              formatList(is) + " (weight is [out, in])");
  require(node.shape == Shape{m, n}, node,
          "result shape " + formatList(node.shape) + " is not " +
              formatList({m, n}));
  for (const auto &in : node.inputs)
    requireSameDType(node, *in);
  if (bias) {
    const Shape &bs = node.inputs[2]->shape;
    require(bs == Shape{n}, node,
            "bias shape " + formatList(bs) + " is not " + formatList({n}));
  }
  Values result(m * n, 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double acc = bias ? (*bias)[j] : 0.0;
      for (int64_t p = 0; p < k; ++p)
        acc += input[i * k + p] * weight[j * k + p];
      result[i * n + j] = acc;
    }
  return result;
}

Values evalReshape(const Node &node, const Values &input) {
  const Node &in = *node.inputs[0];
  require(numelOf(in.shape) == numelOf(node.shape), node,
          "cannot reshape " + formatList(in.shape) + " to " +
              formatList(node.shape));
  requireSameDType(node, in);
  return input; // Row-major order is kept: the elements do not move.
}

/// The sum over ranks, by the process's collective backend (what compiled
/// code calls), in the node's precision.
Values evalAllReduce(const Node &node, const Values &input) {
  requireSameDType(node, *node.inputs[0]);
  require(node.dtype == DType::Float32 || node.dtype == DType::Float64, node,
          "all_reduce takes float32 or float64");
  Values out = input;
  if (node.dtype == DType::Float64) {
    ember_all_reduce_f64(out.data(), static_cast<int64_t>(out.size()));
    return out;
  }
  std::vector<float> f(input.begin(), input.end());
  ember_all_reduce_f32(f.data(), static_cast<int64_t>(f.size()));
  std::copy(f.begin(), f.end(), out.begin());
  return out;
}

/// For each element of the box `box` (row-major) of a Slice or
/// SliceScatter node, its row-major index in a tensor of shape `whole`:
/// element (i0, i1, ...) of the box is (offsets[d] + i_d * strides[d]) of
/// the whole. Checks the box lies inside.
std::vector<int64_t> boxIndices(const Node &node, const Shape &whole,
                                const Shape &box) {
  size_t rank = whole.size();
  const std::vector<int64_t> &w = node.window;
  require(box.size() == rank && w.size() == 2 * rank, node,
          "box " + formatList(box) + " and window " + formatList(w) +
              " do not match rank of " + formatList(whole));
  for (size_t d = 0; d < rank; ++d)
    require(w[d] >= 0 && w[rank + d] >= 1 &&
                (box[d] == 0 || w[d] + (box[d] - 1) * w[rank + d] < whole[d]),
            node,
            "box " + formatList(box) + " at " + formatList(w) + " is outside " +
                formatList(whole));
  std::vector<int64_t> indices;
  std::vector<int64_t> at(rank, 0);
  for (int64_t i = 0; i < numelOf(box); ++i) {
    int64_t flat = 0;
    for (size_t d = 0; d < rank; ++d)
      flat = flat * whole[d] + w[d] + at[d] * w[rank + d];
    indices.push_back(flat);
    for (size_t d = rank; d-- > 0;) {
      if (++at[d] < box[d])
        break;
      at[d] = 0;
    }
  }
  return indices;
}

Values evalSlice(const Node &node, const Values &input) {
  requireSameDType(node, *node.inputs[0]);
  Values out;
  for (int64_t i : boxIndices(node, node.inputs[0]->shape, node.shape))
    out.push_back(input[i]);
  return out;
}

Values evalSliceScatter(const Node &node, const Values &dest,
                        const Values &source) {
  requireSameDType(node, *node.inputs[0]);
  requireSameDType(node, *node.inputs[1]);
  require(node.shape == node.inputs[0]->shape, node,
          "result shape is not dest's " + formatList(node.inputs[0]->shape));
  Values out = dest;
  std::vector<int64_t> indices =
      boxIndices(node, node.shape, node.inputs[1]->shape);
  for (size_t i = 0; i < indices.size(); ++i)
    out[indices[i]] = source[i];
  return out;
}

Values evalTranspose(const Node &node, const Values &input) {
  const Shape &inShape = node.inputs[0]->shape;
  const std::vector<int64_t> &perm = node.axes;
  size_t rank = inShape.size();
  require(perm.size() == rank, node,
          "permutation " + formatList(perm) + " does not match rank of " +
              formatList(inShape));
  std::vector<bool> seen(rank, false);
  Shape expected(rank);
  for (size_t i = 0; i < rank; ++i) {
    require(perm[i] >= 0 && perm[i] < static_cast<int64_t>(rank) &&
                !seen[perm[i]],
            node, formatList(perm) + " is not a permutation");
    seen[perm[i]] = true;
    expected[i] = inShape[perm[i]];
  }
  require(node.shape == expected, node,
          "result shape " + formatList(node.shape) + " is not " +
              formatList(expected));
  requireSameDType(node, *node.inputs[0]);
  // Result dim i is input dim perm[i]: result index i walks input stride
  // inStrides[perm[i]].
  std::vector<int64_t> inStrides = stridesOf(inShape);
  Values result(input.size());
  forEachIndex(node.shape,
               [&](const std::vector<int64_t> &index, int64_t linear) {
                 int64_t offset = 0;
                 for (size_t i = 0; i < rank; ++i)
                   offset += index[i] * inStrides[perm[i]];
                 result[linear] = input[offset];
               });
  return result;
}

Values evalBroadcastTo(const Node &node, const Values &input) {
  const Shape &inShape = node.inputs[0]->shape;
  const Shape &outShape = node.shape;
  require(inShape.size() <= outShape.size(), node,
          "cannot broadcast " + formatList(inShape) + " to lower-rank " +
              formatList(outShape));
  requireSameDType(node, *node.inputs[0]);
  // Align trailing dimensions; a broadcast dimension (input size 1, or absent
  // on the left) has stride 0.
  size_t lead = outShape.size() - inShape.size();
  std::vector<int64_t> inStrides = stridesOf(inShape);
  std::vector<int64_t> strides(outShape.size(), 0);
  for (size_t d = lead; d < outShape.size(); ++d) {
    int64_t inSize = inShape[d - lead];
    require(inSize == outShape[d] || inSize == 1, node,
            "cannot broadcast " + formatList(inShape) + " to " +
                formatList(outShape));
    strides[d] = inSize == 1 ? 0 : inStrides[d - lead];
  }
  Values result(numelOf(outShape));
  forEachIndex(outShape,
               [&](const std::vector<int64_t> &index, int64_t linear) {
                 int64_t offset = 0;
                 for (size_t d = 0; d < outShape.size(); ++d)
                   offset += index[d] * strides[d];
                 result[linear] = input[offset];
               });
  return result;
}

Values evalReduce(const Node &node, const Values &input) {
  const Shape &inShape = node.inputs[0]->shape;
  size_t rank = inShape.size();
  std::vector<bool> reduced(rank, false);
  for (int64_t axis : node.axes) {
    require(axis >= 0 && axis < static_cast<int64_t>(rank) && !reduced[axis],
            node,
            "axes " + formatList(node.axes) +
                " are not distinct dimensions of " + formatList(inShape));
    reduced[axis] = true;
  }
  // The result with reduced dimensions kept as size 1, and without them.
  Shape keptShape = inShape, droppedShape;
  for (size_t d = 0; d < rank; ++d) {
    if (reduced[d])
      keptShape[d] = 1;
    else
      droppedShape.push_back(inShape[d]);
  }
  const Shape &expected = node.keepdim ? keptShape : droppedShape;
  require(node.shape == expected, node,
          "result shape " + formatList(node.shape) + " is not " +
              formatList(expected) + (node.keepdim ? " (keepdim)" : ""));
  requireSameDType(node, *node.inputs[0]);
  // Both result shapes have the same row-major layout; accumulate each input
  // element into the kept-shape position it reduces to.
  std::vector<int64_t> keptStrides = stridesOf(keptShape);
  double init = node.kind == OpKind::Sum ? 0.0
                : node.kind == OpKind::Max
                    ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  Values result(numelOf(keptShape), init);
  forEachIndex(inShape, [&](const std::vector<int64_t> &index, int64_t linear) {
    int64_t offset = 0;
    for (size_t d = 0; d < rank; ++d)
      if (!reduced[d])
        offset += index[d] * keptStrides[d];
    double x = input[linear], &acc = result[offset];
    if (node.kind == OpKind::Sum)
      acc += x;
    else if (std::isnan(x) || std::isnan(acc))
      acc = std::numeric_limits<double>::quiet_NaN(); // NaN propagates
    else
      acc = node.kind == OpKind::Max ? std::max(acc, x) : std::min(acc, x);
  });
  return result;
}

/// The first index of the maximum along axes[0]; NaN counts as the maximum.
Values evalArgmax(const Node &node, const Values &input) {
  const Shape &inShape = node.inputs[0]->shape;
  require(node.axes.size() == 1, node, "argmax takes one dimension");
  int64_t dim = node.axes[0];
  require(dim >= 0 && dim < static_cast<int64_t>(inShape.size()), node,
          "dimension out of range");
  require(node.dtype == DType::Int64, node, "argmax produces int64");
  Shape keptShape = inShape;
  keptShape[dim] = 1;
  require(numelOf(node.shape) == numelOf(keptShape), node,
          "result shape " + formatList(node.shape) + " does not match");
  std::vector<int64_t> keptStrides = stridesOf(keptShape);
  Values best(numelOf(keptShape), -std::numeric_limits<double>::infinity());
  Values index(numelOf(keptShape), 0.0);
  forEachIndex(inShape, [&](const std::vector<int64_t> &idx, int64_t linear) {
    int64_t offset = 0;
    for (size_t d = 0; d < inShape.size(); ++d)
      if (static_cast<int64_t>(d) != dim)
        offset += idx[d] * keptStrides[d];
    double x = input[linear];
    bool better = x > best[offset] || (std::isnan(x) && !std::isnan(best[offset]));
    if (better) {
      best[offset] = x;
      index[offset] = static_cast<double>(idx[dim]);
    }
  });
  return index;
}

/// Conv2d and its two gradients, from the definition: every output point,
/// input channel of its group and kernel offset whose input point lies
/// inside the (unpadded) input contributes x * w to y, dy * w to dx, or
/// dy * x to dw.
Values evalConvolution(const Node &node, const Values &a, const Values &b,
                       const Values *bias) {
  const std::vector<int64_t> &win = node.window;
  require(win.size() == 7, node, "expected 7 window values");
  // x [N, C, H, W], w [F, C / G, KH, KW], y [N, F, OH, OW].
  Shape xs, ws, ys;
  const Values *x = nullptr, *w = nullptr, *y = nullptr;
  switch (node.kind) {
  case OpKind::Conv2d:
    xs = node.inputs[0]->shape, ws = node.inputs[1]->shape, ys = node.shape;
    x = &a, w = &b;
    break;
  case OpKind::Conv2dGradInput:
    ys = node.inputs[0]->shape, ws = node.inputs[1]->shape, xs = node.shape;
    y = &a, w = &b;
    break;
  default:
    xs = node.inputs[0]->shape, ys = node.inputs[1]->shape, ws = node.shape;
    x = &a, y = &b;
  }
  for (const auto &in : node.inputs)
    requireSameDType(node, *in);
  require(xs.size() == 4 && ws.size() == 4 && ys.size() == 4, node,
          "expected rank-4 shapes");
  int64_t groups = win[6], n = xs[0], c = xs[1], f = ws[0];
  require(groups >= 1 && c % groups == 0 && f % groups == 0 &&
              ws[1] * groups == c && ys[0] == n && ys[1] == f,
          node,
          "input " + formatList(xs) + ", weight " + formatList(ws) +
              " and output " + formatList(ys) + " do not match");
  for (int d = 0; d < 2; ++d) {
    int64_t span = win[4 + d] * (ws[2 + d] - 1) + 1;
    require(ys[2 + d] == (xs[2 + d] + 2 * win[2 + d] - span) / win[d] + 1, node,
            "output " + formatList(ys) + " is not the size input " +
                formatList(xs) + " and weight " + formatList(ws) + " give");
  }
  int64_t cg = c / groups, fg = f / groups;
  Values out(numelOf(node.shape), 0.0);
  auto xAt = [&](int64_t i, int64_t ch, int64_t h, int64_t v) {
    return ((i * c + ch) * xs[2] + h) * xs[3] + v;
  };
  for (int64_t i = 0; i < n; ++i)
    for (int64_t o = 0; o < f; ++o)
      for (int64_t oh = 0; oh < ys[2]; ++oh)
        for (int64_t ow = 0; ow < ys[3]; ++ow) {
          int64_t yi = ((i * f + o) * ys[2] + oh) * ys[3] + ow;
          if (node.kind == OpKind::Conv2d && bias)
            out[yi] = (*bias)[o];
          for (int64_t k = 0; k < cg; ++k)
            for (int64_t kh = 0; kh < ws[2]; ++kh)
              for (int64_t kw = 0; kw < ws[3]; ++kw) {
                int64_t h = oh * win[0] - win[2] + kh * win[4];
                int64_t v = ow * win[1] - win[3] + kw * win[5];
                if (h < 0 || h >= xs[2] || v < 0 || v >= xs[3])
                  continue;
                int64_t xi = xAt(i, o / fg * cg + k, h, v);
                int64_t wi = ((o * cg + k) * ws[2] + kh) * ws[3] + kw;
                switch (node.kind) {
                case OpKind::Conv2d:
                  out[yi] += (*x)[xi] * (*w)[wi];
                  break;
                case OpKind::Conv2dGradInput:
                  out[xi] += (*y)[yi] * (*w)[wi];
                  break;
                default:
                  out[wi] += (*y)[yi] * (*x)[xi];
                }
              }
        }
  return out;
}

/// Max pooling and its gradient as PyTorch's CPU kernel computes them:
/// each window's index is the first element in range (row-major), replaced
/// by any later element greater than the best so far or NaN; the forward
/// result is that element, and the gradient of each window is added to it.
Values evalMaxPool(const Node &node, const Values &a, const Values *b) {
  const std::vector<int64_t> &win = node.window;
  require(win.size() == 8, node, "expected 8 window values");
  bool grad = node.kind == OpKind::MaxPool2dGrad;
  const Shape &xs = node.inputs[grad ? 1 : 0]->shape;
  const Shape ys = grad ? node.inputs[0]->shape : node.shape;
  const Values &x = grad ? *b : a;
  for (const auto &in : node.inputs)
    requireSameDType(node, *in);
  require(xs.size() == 4 && ys.size() == 4 && ys[0] == xs[0] && ys[1] == xs[1],
          node,
          "input " + formatList(xs) + " and output " + formatList(ys) +
              " do not match");
  for (int d = 0; d < 2; ++d) {
    int64_t span = win[6 + d] * (win[d] - 1) + 1;
    require(win[4 + d] <= span / 2, node, "padding over half the window");
    require(ys[2 + d] == (xs[2 + d] + 2 * win[4 + d] - span) / win[2 + d] + 1,
            node,
            "output " + formatList(ys) + " is not the size input " +
                formatList(xs) + " gives");
  }
  Values out(numelOf(node.shape), 0.0);
  int64_t plane = xs[2] * xs[3];
  for (int64_t nc = 0; nc < xs[0] * xs[1]; ++nc)
    for (int64_t oh = 0; oh < ys[2]; ++oh)
      for (int64_t ow = 0; ow < ys[3]; ++ow) {
        double best = -std::numeric_limits<double>::infinity();
        int64_t index = -1;
        for (int64_t i = 0; i < win[0]; ++i)
          for (int64_t j = 0; j < win[1]; ++j) {
            int64_t h = oh * win[2] - win[4] + i * win[6];
            int64_t w = ow * win[3] - win[5] + j * win[7];
            if (h < 0 || h >= xs[2] || w < 0 || w >= xs[3])
              continue;
            double v = x[nc * plane + h * xs[3] + w];
            if (index < 0 || v > best || std::isnan(v)) {
              best = v;
              index = h * xs[3] + w;
            }
          }
        require(index >= 0, node,
                "a window holds no input element (output point [" +
                    std::to_string(oh) + ", " + std::to_string(ow) + "])");
        int64_t yi = (nc * ys[2] + oh) * ys[3] + ow;
        if (grad)
          out[nc * plane + index] += a[yi];
        else
          out[yi] = best;
      }
  return out;
}

/// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as
/// 1, 2, 3"): element i is the first output word for the counter
/// (offset + i, 0) and key `seed`, its upper 24 bits times 2^-24.
Values evalRandomUniform(const Node &node, const Values &seed,
                         const Values &offset) {
  require(node.inputs[0]->dtype == DType::Int64 &&
              node.inputs[1]->dtype == DType::Int64 &&
              node.inputs[0]->shape.empty() && node.inputs[1]->shape.empty(),
          node, "seed and offset must be rank-0 int64");
  // (Exact: toDoubles read them as doubles; the tests' values fit 53 bits.)
  uint64_t key = static_cast<uint64_t>(static_cast<int64_t>(seed[0]));
  uint64_t start = static_cast<uint64_t>(static_cast<int64_t>(offset[0]));
  Values out(numelOf(node.shape));
  for (size_t i = 0; i < out.size(); ++i) {
    uint64_t counter = start + i;
    uint32_t x[4] = {static_cast<uint32_t>(counter),
                     static_cast<uint32_t>(counter >> 32), 0, 0};
    uint32_t k[2] = {static_cast<uint32_t>(key),
                     static_cast<uint32_t>(key >> 32)};
    for (int round = 0; round < 10; ++round) {
      uint64_t p0 = uint64_t{0xD2511F53} * x[0],
               p1 = uint64_t{0xCD9E8D57} * x[2];
      uint32_t y[4] = {static_cast<uint32_t>(p1 >> 32) ^ x[1] ^ k[0],
                       static_cast<uint32_t>(p1),
                       static_cast<uint32_t>(p0 >> 32) ^ x[3] ^ k[1],
                       static_cast<uint32_t>(p0)};
      std::copy(y, y + 4, x);
      k[0] += 0x9E3779B9u;
      k[1] += 0xBB67AE85u;
    }
    out[i] = static_cast<double>(x[0] >> 8) * 0x1p-24;
  }
  return out;
}

/// Exp, Log, the comparisons, Select and Cast: elementwise, shapes equal.
Values evalElementwiseOther(const Node &node, const std::vector<const Values *> &in) {
  for (const auto &input : node.inputs)
    require(input->shape == node.shape, node,
            "input shape " + formatList(input->shape) +
                " differs from result shape " + formatList(node.shape));
  Values result(numelOf(node.shape));
  for (size_t i = 0; i < result.size(); ++i) {
    double a = (*in[0])[i];
    double b = in.size() > 1 ? (*in[1])[i] : 0;
    switch (node.kind) {
    case OpKind::Exp: result[i] = std::exp(a); break;
    case OpKind::Log: result[i] = std::log(a); break;
    case OpKind::Sqrt: result[i] = std::sqrt(a); break;
    case OpKind::Sigmoid:
      result[i] = 1 / (1 + std::exp(-a));
      break;
    case OpKind::Tanh:
      result[i] = std::tanh(a);
      break;
    case OpKind::Erf:
      result[i] = std::erf(a);
      break;
    case OpKind::Eq: result[i] = a == b; break;
    case OpKind::Ne: result[i] = a != b; break;
    case OpKind::Lt: result[i] = a < b; break;
    case OpKind::Le: result[i] = a <= b; break;
    case OpKind::Gt: result[i] = a > b; break;
    case OpKind::Ge: result[i] = a >= b; break;
    case OpKind::Select: result[i] = a != 0 ? b : (*in[2])[i]; break;
    case OpKind::Cast:
      switch (node.dtype) {
      case DType::Bool: result[i] = a != 0; break;
      case DType::Int64:
      case DType::UInt8: result[i] = std::trunc(a); break;
      case DType::Float32: result[i] = static_cast<float>(a); break;
      case DType::Float64: result[i] = a; break;
      case DType::Float16:
      case DType::BFloat16:
        result[i] = roundToHalf(node.dtype, a);
        break;
      }
      break;
    default: require(false, node, "not an elementwise op");
    }
  }
  return result;
}

/// Computes `node` from the already computed values of its inputs.
Values computeNode(const Node &node,
                   const std::unordered_map<const Node *, Values> &values) {
  if (node.data) {
    int64_t numel = node.numel();
    require(node.data->size() >=
                static_cast<size_t>(numel) * dtypeSize(node.dtype),
            node,
            "data holds " + std::to_string(node.data->size()) +
                " bytes, too few for " + std::to_string(numel) + " " +
                std::string(dtypeName(node.dtype)) + " elements");
    return toDoubles(node.data->data(), node.dtype, numel);
  }
  require(node.kind != OpKind::Leaf, node, "leaf node has no data");

  auto in = [&](size_t i) -> const Values & {
    return values.at(node.inputs[i].get());
  };
  switch (node.kind) {
  case OpKind::Add:
  case OpKind::Sub:
  case OpKind::Mul:
  case OpKind::Div:
    requireInputs(node, 2);
    return evalElementwiseBinary(node, in(0), in(1));
  case OpKind::Neg:
  case OpKind::Relu:
    requireInputs(node, 1);
    return evalElementwiseUnary(node, in(0));
  case OpKind::Matmul:
    requireInputs(node, 2);
    return evalMatmul(node, in(0), in(1));
  case OpKind::Linear:
    require(node.inputs.size() == 2 || node.inputs.size() == 3, node,
            "expected 2 or 3 inputs, got " +
                std::to_string(node.inputs.size()));
    return evalLinear(node, in(0), in(1),
                      node.inputs.size() == 3 ? &in(2) : nullptr);
  case OpKind::Reshape:
    requireInputs(node, 1);
    return evalReshape(node, in(0));
  case OpKind::AllReduce:
    requireInputs(node, 1);
    return evalAllReduce(node, in(0));
  case OpKind::Transpose:
    requireInputs(node, 1);
    return evalTranspose(node, in(0));
  case OpKind::BroadcastTo:
    requireInputs(node, 1);
    return evalBroadcastTo(node, in(0));
  case OpKind::Slice:
    requireInputs(node, 1);
    return evalSlice(node, in(0));
  case OpKind::SliceScatter:
    requireInputs(node, 2);
    return evalSliceScatter(node, in(0), in(1));
  case OpKind::Sum:
  case OpKind::Max:
  case OpKind::Min:
    requireInputs(node, 1);
    return evalReduce(node, in(0));
  case OpKind::Argmax:
    requireInputs(node, 1);
    return evalArgmax(node, in(0));
  case OpKind::Exp:
  case OpKind::Log:
  case OpKind::Sqrt:
  case OpKind::Sigmoid:
  case OpKind::Tanh:
  case OpKind::Erf:
  case OpKind::Cast:
    requireInputs(node, 1);
    return evalElementwiseOther(node, {&in(0)});
  case OpKind::Eq:
  case OpKind::Ne:
  case OpKind::Lt:
  case OpKind::Le:
  case OpKind::Gt:
  case OpKind::Ge:
    requireInputs(node, 2);
    require(node.dtype == DType::Bool, node, "comparisons produce bool");
    return evalElementwiseOther(node, {&in(0), &in(1)});
  case OpKind::Select:
    requireInputs(node, 3);
    return evalElementwiseOther(node, {&in(0), &in(1), &in(2)});
  case OpKind::Conv2d:
    require(node.inputs.size() == 2 || node.inputs.size() == 3, node,
            "expected 2 or 3 inputs, got " +
                std::to_string(node.inputs.size()));
    return evalConvolution(node, in(0), in(1),
                           node.inputs.size() == 3 ? &in(2) : nullptr);
  case OpKind::Conv2dGradInput:
  case OpKind::Conv2dGradWeight:
    requireInputs(node, 2);
    return evalConvolution(node, in(0), in(1), nullptr);
  case OpKind::MaxPool2d:
    requireInputs(node, 1);
    return evalMaxPool(node, in(0), nullptr);
  case OpKind::MaxPool2dGrad:
    requireInputs(node, 2);
    return evalMaxPool(node, in(0), &in(1));
  case OpKind::RandomUniform:
    requireInputs(node, 2);
    return evalRandomUniform(node, in(0), in(1));
  case OpKind::Leaf:
    break;
  }
  require(false, node, "unknown op kind");
  return {};
}

/// Whether `actual` is close enough to `expected`.
bool isClose(double actual, double expected, double rtol, double atol) {
  if (std::isnan(actual) || std::isnan(expected))
    return std::isnan(actual) && std::isnan(expected);
  if (std::isinf(actual) || std::isinf(expected))
    return actual == expected;
  return std::abs(actual - expected) <= atol + rtol * std::abs(expected);
}

} // namespace

//===----------------------------------------------------------------------===//
// Public API
//===----------------------------------------------------------------------===//

std::vector<double> toDoubles(const void *data, DType dtype, int64_t numel) {
  std::vector<double> result(numel);
  for (int64_t i = 0; i < numel; ++i) {
    switch (dtype) {
    case DType::Float32:
      result[i] = readAs<float>(data, i);
      break;
    case DType::Float64:
      result[i] = readAs<double>(data, i);
      break;
    case DType::Int64:
      result[i] = readAs<int64_t>(data, i);
      break;
    case DType::UInt8:
      result[i] = readAs<uint8_t>(data, i);
      break;
    case DType::Bool:
      result[i] = readAs<uint8_t>(data, i) != 0;
      break;
    case DType::Float16:
      result[i] = rt::halfBitsToFloat(readAs<uint16_t>(data, i));
      break;
    case DType::BFloat16:
      result[i] = rt::bfloat16BitsToFloat(readAs<uint16_t>(data, i));
      break;
    }
  }
  return result;
}

std::vector<double> evaluate(const fe::NodePtr &root) {
  if (!root)
    throw std::logic_error("ember::ref: evaluate: null node");
  // An explicit post-order walk rather than recursion, so that long chains of
  // ops cannot overflow the stack. `values` memoises every computed node.
  struct Frame {
    const Node *node;
    size_t nextInput;
  };
  std::unordered_map<const Node *, Values> values;
  std::unordered_set<const Node *> onStack;
  std::vector<Frame> stack{{root.get(), 0}};
  onStack.insert(root.get());
  while (!stack.empty()) {
    Frame &top = stack.back();
    const Node *node = top.node;
    // A node with data is read from it: its inputs (if any) are not needed.
    if (!node->data && top.nextInput < node->inputs.size()) {
      const Node *input = node->inputs[top.nextInput++].get();
      require(input != nullptr, *node, "null input");
      require(!onStack.count(input), *node, "the graph has a cycle");
      if (!values.count(input)) {
        onStack.insert(input);
        stack.push_back({input, 0}); // Invalidates `top`.
      }
      continue;
    }
    Values v = computeNode(*node, values);
    // Ops on half types compute in float32 and round each result to the
    // half type (ember-compute-half-in-f32); the reference computes in
    // double, then rounds the same way.
    if (isHalf(node->dtype) && node->kind != OpKind::Leaf)
      for (double &x : v)
        x = roundToHalf(node->dtype, x);
    values.emplace(node, std::move(v));
    onStack.erase(node);
    stack.pop_back();
  }
  return std::move(values.at(root.get()));
}

std::string compareClose(const std::vector<double> &actual,
                         const std::vector<double> &expected,
                         const Shape &shape, double rtol, double atol) {
  if (actual.size() != expected.size())
    return "size mismatch: actual has " + std::to_string(actual.size()) +
           " elements, expected has " + std::to_string(expected.size());
  if (static_cast<size_t>(numelOf(shape)) != expected.size())
    return "shape " + formatList(shape) + " has " +
           std::to_string(numelOf(shape)) + " elements, but the values have " +
           std::to_string(expected.size());
  int64_t mismatches = 0, first = -1;
  for (size_t i = 0; i < expected.size(); ++i) {
    if (isClose(actual[i], expected[i], rtol, atol))
      continue;
    if (first < 0)
      first = static_cast<int64_t>(i);
    ++mismatches;
  }
  if (mismatches == 0)
    return "";
  // The two values in full precision (they may differ in the last bit), the
  // tolerances in the default six digits.
  std::ostringstream os;
  double a = actual[first], e = expected[first];
  os << mismatches << " of " << expected.size()
     << " elements mismatch; first at " << formatList(unravel(first, shape))
     << ": actual "
     << std::setprecision(std::numeric_limits<double>::max_digits10) << a
     << ", expected " << e << std::setprecision(6)
     << " (|actual - expected| = " << std::abs(a - e) << ", allowed "
     << atol + rtol * std::abs(e) << " with rtol " << rtol << ", atol " << atol
     << ")";
  return os.str();
}

} // namespace ember::ref
