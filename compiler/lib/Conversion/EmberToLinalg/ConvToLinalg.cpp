//===- ConvToLinalg.cpp - Lower ember convolutions and pooling to linalg --===//
//
// Part of Ember. ember.conv2d and its two gradients become products of
// matrices, so that they run on the contraction kernels every backend
// already tiles (the CPU's register tiles, the GPU's shared-memory tiles):
//
//   1. pad: zero padding (and, for the input gradient, zeros between the
//      rows and columns of a strided convolution's output gradient) is a
//      generic over the padded tensor that reads the source in its body,
//      where the point lies inside it. No slices, so every backend maps it
//      as any other op on whole buffers.
//   2. im2col: a copy whose input map reads the padded tensor through the
//      window, `[groups, C/groups * KH * KW, N * OH * OW]` (or its
//      transpose for the weight gradient): a pure copy, which the GPU
//      folds into the product's reads.
//   3. the product: linalg.matmul with one group, else linalg.batch_matmul
//      over the groups. With one group and a window of at least 64
//      elements (C * KH * KW), the transposed im2col [N * OH * OW,
//      C * KH * KW] times the weight's transpose instead: a linear layer's
//      product, whose rows are the output's points.
//   4. the result's layout: [F, N, OH, OW] (or [N, OH, OW, F]) to
//      [N, F, OH, OW], with the bias added in the same pass.
//
// The input gradient is the convolution, stride 1, of the output gradient
// spread out by the stride and padded by dilation * (K - 1) - padding, with
// the weight flipped in both spatial dims and its channels swapped in each
// group. The weight gradient is the product of the output gradient with
// the im2col of the input.
//
// With the pass's `winograd` option (the CPU's pipeline), a 3x3 convolution
// of stride and dilation 1 with one group and at least 8 input channels
// (forward or input gradient) is Winograd's F(2x2, 3x3) instead
// (winogradConvolve): 16 products of C multiply-adds for each 2x2 block of
// outputs instead of 36, between passes of additions, in blocks of images.
//
//===----------------------------------------------------------------------===//

#include "ember/Conversion/Passes.h"

#include "Builders.h"

#include "ember/Dialect/Ember/IR/EmberOps.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::ember;
using namespace mlir::ember::to_linalg;

namespace {

Value indexConst(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// A convolution's attributes, height then width.
struct Window {
  int64_t stride[2], padding[2], dilation[2], groups;

  template <typename ConvOp> static Window of(ConvOp op) {
    Window w;
    for (int i = 0; i < 2; ++i) {
      w.stride[i] = op.getStride()[i];
      w.padding[i] = op.getPadding()[i];
      w.dilation[i] = op.getDilation()[i];
    }
    if constexpr (requires { op.getGroups(); })
      w.groups = op.getGroups();
    else
      w.groups = 1;
    return w;
  }
};

/// `x` [N, C, H, W] spread and padded to [N, C, size[0], size[1]]: along
/// each spatial dim, element i of the result is x's element (i - lo) / step
/// where that is a whole number in range, else zero. `lo` may be negative
/// (the start is cut off). Without padding or spreading, `x` itself (its
/// readers read only the first `size` rows and columns).
Value spreadAndPad(OpBuilder &b, Location loc, Value x, const int64_t lo[2],
                   const int64_t step[2], const int64_t size[2]) {
  RankedTensorType type = tensorTypeOf(x);
  ArrayRef<int64_t> shape = type.getShape();
  if (lo[0] == 0 && lo[1] == 0 && step[0] == 1 && step[1] == 1 &&
      size[0] <= shape[2] && size[1] <= shape[3])
    return x;
  SmallVector<int64_t> outShape = {shape[0], shape[1], size[0], size[1]};
  Type elem = type.getElementType();
  auto outType = RankedTensorType::get(outShape, elem);
  return buildElementwise(
      b, loc, outType, ValueRange{},
      [&](OpBuilder &nb, Location nl, ValueRange) -> Value {
        Value inside;
        SmallVector<Value> at = {linalg::IndexOp::create(nb, nl, 0),
                                 linalg::IndexOp::create(nb, nl, 1)};
        for (int d = 0; d < 2; ++d) {
          Value i = linalg::IndexOp::create(nb, nl, 2 + d);
          auto [ok, q] = boxPoint(nb, nl, i, lo[d], step[d], shape[2 + d]);
          inside = d ? arith::AndIOp::create(nb, nl, inside, ok) : ok;
          at.push_back(q);
        }
        // Points outside read element 0 of their row instead, and discard it.
        Value zeroIndex = indexConst(nb, nl, 0);
        for (int d = 0; d < 2; ++d)
          at[2 + d] =
              arith::SelectOp::create(nb, nl, inside, at[2 + d], zeroIndex);
        Value v = tensor::ExtractOp::create(nb, nl, x, at);
        return arith::SelectOp::create(nb, nl, inside, v, zeroOf(nb, nl, elem));
      });
}

/// `x` zero-padded by the window's padding, cut to the rows and columns
/// that the windows of an [.., OH, OW] output of a kernel of spatial size
/// `kernel` (KH, KW) reach.
Value padForWindows(OpBuilder &b, Location loc, Value x, const Window &win,
                    ArrayRef<int64_t> kernel, ArrayRef<int64_t> outSize) {
  int64_t lo[2], step[2] = {1, 1}, size[2];
  for (int d = 0; d < 2; ++d) {
    lo[d] = win.padding[d];
    size[d] = (outSize[d] - 1) * win.stride[d] +
              (kernel[d] - 1) * win.dilation[d] + 1;
  }
  return spreadAndPad(b, loc, x, lo, step, size);
}

/// The window expression of output position `o` and kernel offset `k`.
AffineExpr windowExpr(AffineExpr o, AffineExpr k, int64_t stride,
                      int64_t dilation) {
  return o * stride + k * dilation;
}

/// A generic copying `src` through `map` (from the loops, which are the
/// result's dims in order, to src's dims) into a fresh tensor of `shape`.
Value gatherCopy(OpBuilder &b, Location loc, Value src, AffineMap map,
                 ArrayRef<int64_t> shape) {
  Type elem = tensorTypeOf(src).getElementType();
  auto outType = RankedTensorType::get(shape, elem);
  SmallVector<AffineMap> maps = {map, b.getMultiDimIdentityMap(shape.size())};
  SmallVector<utils::IteratorType> iterators(shape.size(),
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{outType}, ValueRange{src},
             ValueRange{emptyTensor(b, loc, shape, elem)}, maps, iterators,
             [](OpBuilder &nb, Location nl, ValueRange args) {
               linalg::YieldOp::create(nb, nl, args[0]);
             })
      .getResult(0);
}

Value collapse(OpBuilder &b, Location loc, Value v,
               ArrayRef<ReassociationIndices> groups) {
  return tensor::CollapseShapeOp::create(b, loc, v, groups);
}

Value expand(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> shape,
             ArrayRef<ReassociationIndices> groups) {
  auto type = RankedTensorType::get(shape, tensorTypeOf(v).getElementType());
  return tensor::ExpandShapeOp::create(b, loc, type, v, groups);
}

/// lhs [M, K] times rhs [K, N]: a linalg.matmul into zeros.
Value product(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  auto type = RankedTensorType::get(
      {tensorTypeOf(lhs).getDimSize(0), tensorTypeOf(rhs).getDimSize(1)},
      tensorTypeOf(lhs).getElementType());
  return linalg::MatmulOp::create(b, loc, TypeRange{type}, ValueRange{lhs, rhs},
                                  ValueRange{zeroFilled(b, loc, type)})
      .getResult(0);
}

/// lhs [G, M, K] times rhs [G, K, N], as [G * M, N]: a plain matmul when G
/// is 1.
Value groupedProduct(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  ArrayRef<int64_t> l = tensorTypeOf(lhs).getShape(),
                    r = tensorTypeOf(rhs).getShape();
  Type elem = tensorTypeOf(lhs).getElementType();
  int64_t g = l[0], m = l[1], n = r[2];
  if (g == 1)
    return product(b, loc, collapse(b, loc, lhs, {{0, 1}, {2}}),
                   collapse(b, loc, rhs, {{0, 1}, {2}}));
  auto type = RankedTensorType::get({g, m, n}, elem);
  Value product = linalg::BatchMatmulOp::create(
                      b, loc, TypeRange{type}, ValueRange{lhs, rhs},
                      ValueRange{zeroFilled(b, loc, type)})
                      .getResult(0);
  return collapse(b, loc, product, {{0, 1}, {2}});
}

/// The convolution's result [N, F, OH, OW] (`outType`) from its product
/// viewed as 4-D, read through `read` (from the result's dims to the
/// product's), plus `bias` [F] when given, rectified when `relu`
/// (conv2d_relu): one pass.
Value layoutWithBias(OpBuilder &b, Location loc, Value product, AffineMap read,
                     Value bias, RankedTensorType outType, bool relu) {
  MLIRContext *ctx = b.getContext();
  SmallVector<Value> inputs = {product};
  SmallVector<AffineMap> maps = {read};
  if (bias) {
    inputs.push_back(bias);
    maps.push_back(AffineMap::get(4, 0, {getAffineDimExpr(1, ctx)}, ctx));
  }
  maps.push_back(b.getMultiDimIdentityMap(4));
  SmallVector<utils::IteratorType> iterators(4, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{outType}, inputs,
             ValueRange{emptyLike(b, loc, outType)}, maps, iterators,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value v = args[0];
               if (bias)
                 v = arith::AddFOp::create(nb, nl, v, args[1]);
               if (relu)
                 v = reluOf(nb, nl, v);
               linalg::YieldOp::create(nb, nl, v);
             })
      .getResult(0);
}

/// The transposed im2col of one group: the windows of `xp` [N, C, Hp, Wp]
/// (already padded) as the rows of [N * OH * OW, KH * KW * C], each window
/// channels-last. xp is first moved to [N, Hp, Wp, C] (one pass, into which
/// the padding fuses), so that the copy reads and writes each window
/// position's C channels contiguously, copied a vector at a time (see
/// ember-cpu-vectorize-contractions); from [N, C, Hp, Wp] each element was
/// a separate strided read (the CNN's second convolution's 14 MB im2col:
/// about 1.8 -> 0.9 ms on one thread, the step 64 -> 60 ms). The
/// forward of a deep convolution and the weight gradient both read it, as
/// the same ops, so CSE leaves one copy in a training step.
Value windowRows(OpBuilder &b, Location loc, Value xp, const Window &win,
                 int64_t kh, int64_t kw, int64_t oh, int64_t ow) {
  MLIRContext *ctx = b.getContext();
  ArrayRef<int64_t> xs = tensorTypeOf(xp).getShape();
  int64_t n = xs[0], c = xs[1];
  AffineExpr tn, th, tw, tc;
  bindDims(ctx, tn, th, tw, tc);
  Value last =
      gatherCopy(b, loc, xp, AffineMap::get(4, 0, {tn, tc, th, tw}, ctx),
                 {n, xs[2], xs[3], c});
  AffineExpr dn, doh, dow, dkh, dkw, dc;
  bindDims(ctx, dn, doh, dow, dkh, dkw, dc);
  AffineMap read =
      AffineMap::get(6, 0,
                     {dn, windowExpr(doh, dkh, win.stride[0], win.dilation[0]),
                      windowExpr(dow, dkw, win.stride[1], win.dilation[1]), dc},
                     ctx);
  return collapse(b, loc,
                  gatherCopy(b, loc, last, read, {n, oh, ow, kh, kw, c}),
                  {{0, 1, 2}, {3, 4, 5}});
}

/// `w` [F, C, KH, KW] as [F, KH * KW * C], the order of windowRows' columns.
Value weightRows(OpBuilder &b, Location loc, Value w) {
  MLIRContext *ctx = b.getContext();
  ArrayRef<int64_t> ws = tensorTypeOf(w).getShape();
  AffineExpr f, h, x, c;
  bindDims(ctx, f, h, x, c);
  return collapse(b, loc,
                  gatherCopy(b, loc, w, AffineMap::get(4, 0, {f, c, h, x}, ctx),
                             {ws[0], ws[2], ws[3], ws[1]}),
                  {{0}, {1, 2, 3}});
}

//===----------------------------------------------------------------------===//
// Winograd F(2x2, 3x3) (the CPU's 3x3 convolutions of stride 1)
//===----------------------------------------------------------------------===//

/// Whether a convolution of `w` [F, C, KH, KW] (one group) is computed by
/// Winograd's minimal filtering F(2x2, 3x3) (Lavin and Gray, "Fast
/// Algorithms for Convolutional Neural Networks", 2016): a 3x3 kernel,
/// stride and dilation 1, f32, and a window deep enough (C * 9 >= 64) that
/// the direct product is a linear layer's (the CNN's second convolution,
/// forward and input gradient). Each 2x2 block of outputs then takes 16
/// products of C multiply-adds instead of 36: 2.25x fewer, for three
/// cheap passes of additions (the transforms). The transforms' constants
/// are 0, +-1 and +-1/2, so every element is still a sum of products of
/// the inputs (in another order, as any blocking of a product reorders
/// its sums): errors stay at a few float32 ulps of the sums' magnitude.
bool winogradApplies(const Window &win, Value w, RankedTensorType outType) {
  ArrayRef<int64_t> ws = tensorTypeOf(w).getShape();
  return win.groups == 1 && ws[2] == 3 && ws[3] == 3 && win.stride[0] == 1 &&
         win.stride[1] == 1 && win.dilation[0] == 1 && win.dilation[1] == 1 &&
         ws[1] * 9 >= 64 && outType.getElementType().isF32() &&
         outType.hasStaticShape() && tensorTypeOf(w).hasStaticShape();
}

/// A generic over `shape` (parallel loops) reading `inputs` through
/// `inputMaps` and writing one result per tensor of `inits` (identity
/// maps), whose body maps the inputs' scalars to the results' scalars.
SmallVector<Value> multiGeneric(
    OpBuilder &b, Location loc, unsigned loops, ValueRange inputs,
    ArrayRef<AffineMap> inputMaps, ValueRange inits,
    function_ref<SmallVector<Value>(OpBuilder &, Location, ValueRange)> body) {
  SmallVector<AffineMap> maps(inputMaps);
  maps.append(inits.size(), b.getMultiDimIdentityMap(loops));
  SmallVector<utils::IteratorType> iterators(loops,
                                             utils::IteratorType::parallel);
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange(inits), inputs, inits, maps, iterators,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        linalg::YieldOp::create(nb, nl,
                                body(nb, nl, args.take_front(inputs.size())));
      });
  return SmallVector<Value>(op->getResults());
}

/// The filter transform U = G g G^T of each (C, F) pair of `w` [F, C, 3, 3],
/// G = [[1, 0, 0], [1/2, 1/2, 1/2], [1/2, -1/2, 1/2], [0, 0, 1]]: 16
/// matrices [C, F] (U's element (a, b) of every pair), each the B of one
/// product. With a `panelWidth` dividing F, each is computed as its column
/// panels [F / width, C, width] and given to its product as such (the
/// collapse of their transpose, which ember-cpu-vectorize-contractions
/// reads through): the products in the blocks then read B as it is,
/// instead of packing it again in every block.
SmallVector<Value> winogradFilters(OpBuilder &b, Location loc, Value w,
                                   int64_t panelWidth) {
  MLIRContext *ctx = b.getContext();
  ArrayRef<int64_t> ws = tensorTypeOf(w).getShape();
  int64_t f = ws[0], c = ws[1];
  Type elem = tensorTypeOf(w).getElementType();
  int64_t width = panelWidth > 0 && f % panelWidth == 0 ? panelWidth : f;
  int64_t panels = f / width;
  AffineExpr dp, dc, dj;
  bindDims(ctx, dp, dc, dj);
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 3; ++j) {
      inputs.push_back(w);
      maps.push_back(
          AffineMap::get(3, 0,
                         {dp * width + dj, dc, getAffineConstantExpr(i, ctx),
                          getAffineConstantExpr(j, ctx)},
                         ctx));
    }
  SmallVector<Value> inits;
  for (int k = 0; k < 16; ++k)
    inits.push_back(emptyTensor(b, loc, {panels, c, width}, elem));
  SmallVector<Value> u = multiGeneric(
      b, loc, 3, inputs, maps, inits,
      [&](OpBuilder &nb, Location nl, ValueRange g) {
        Value half = arith::ConstantOp::create(nb, nl, nb.getF32FloatAttr(0.5));
        auto add = [&](Value x, Value y) {
          return arith::AddFOp::create(nb, nl, x, y).getResult();
        };
        auto sub = [&](Value x, Value y) {
          return arith::SubFOp::create(nb, nl, x, y).getResult();
        };
        auto halve = [&](Value x) {
          return arith::MulFOp::create(nb, nl, x, half).getResult();
        };
        // G applied to a 3-vector: its 4 transformed elements.
        auto apply = [&](Value x0, Value x1, Value x2) {
          Value outer = add(x0, x2);
          return std::array<Value, 4>{x0, halve(add(outer, x1)),
                                      halve(sub(outer, x1)), x2};
        };
        // T = G g (4 x 3), by g's columns; then U = T G^T (4 x 4), by T's
        // rows.
        std::array<std::array<Value, 4>, 3> cols;
        for (int j = 0; j < 3; ++j)
          cols[j] = apply(g[j], g[3 + j], g[6 + j]);
        SmallVector<Value> out(16);
        for (int a = 0; a < 4; ++a) {
          std::array<Value, 4> row = apply(cols[0][a], cols[1][a], cols[2][a]);
          for (int k = 0; k < 4; ++k)
            out[a * 4 + k] = row[k];
        }
        return out;
      });
  // Each [C, F]: the panels' transpose [C, F / width, width], collapsed.
  for (Value &panel : u) {
    Value t = linalg::TransposeOp::create(
                  b, loc, panel, emptyTensor(b, loc, {c, panels, width}, elem),
                  ArrayRef<int64_t>{1, 0, 2})
                  ->getResult(0);
    panel = collapse(b, loc, t, {{0}, {1, 2}});
  }
  return u;
}

/// X^T d X for the 4x4 `d` (row-major, the first 16 of `values`), X^T given
/// as `apply`, which maps a 4-vector x to the R elements of X^T x: X^T to
/// d's columns, then to the rows of that (Winograd's transforms, each a few
/// additions). R x R, row-major.
template <size_t R, typename Apply>
SmallVector<Value> bothSides(ValueRange values, Apply apply) {
  std::array<std::array<Value, R>, 4> cols;
  for (int j = 0; j < 4; ++j)
    cols[j] = apply(values[j], values[4 + j], values[8 + j], values[12 + j]);
  SmallVector<Value> out(R * R);
  for (size_t a = 0; a < R; ++a) {
    std::array<Value, R> row =
        apply(cols[0][a], cols[1][a], cols[2][a], cols[3][a]);
    for (size_t k = 0; k < R; ++k)
      out[a * R + k] = row[k];
  }
  return out;
}

/// Whether max pooling keeps `v` over the best element so far (below).
Value keepsOverBest(OpBuilder &b, Location l, Value v, Value best);

/// F(2x2, 3x3) for a block of images: `x` [G, 2 TH + 2, 2 TW + 2, C]
/// (channels-last, padded) and the 16 transformed filters `u` [C, F] into
/// the four outputs of each tile, `outs` (four [G, TH, TW, F]: output (i, j)
/// of every tile, k = 2 i + j), plus `bias` [F] when given, rectified when
/// `relu`; `pooled`: the maximum of the four instead (a 2x2 max pooling of
/// stride 2 over the outputs, whose windows are the tiles), one `outs`:
///   1. the input transform V = B^T d B of each tile's 4x4 input d, for
///      each channel: one pass of additions writing 16 matrices
///      [G * TH * TW, C];
///   2. 16 products V_ab [G * TH * TW, C] times U_ab [C, F] (linear layers'
///      products, rows the tiles);
///   3. the output transform Y = A^T M A, plus the bias, rectified: one pass
///      over [G, TH, TW, F] writing the four outputs of each tile.
SmallVector<Value> winogradBlock(OpBuilder &b, Location loc, Value x,
                                 ArrayRef<Value> u, Value bias, bool relu,
                                 ValueRange outs, bool pooled) {
  MLIRContext *ctx = b.getContext();
  ArrayRef<int64_t> xs = tensorTypeOf(x).getShape();
  int64_t g = xs[0], th = (xs[1] - 2) / 2, tw = (xs[2] - 2) / 2, c = xs[3];
  int64_t f = tensorTypeOf(u[0]).getDimSize(1);
  Type elem = tensorTypeOf(x).getElementType();
  auto add = [](OpBuilder &nb, Location nl, Value l, Value r) {
    return arith::AddFOp::create(nb, nl, l, r).getResult();
  };
  auto sub = [](OpBuilder &nb, Location nl, Value l, Value r) {
    return arith::SubFOp::create(nb, nl, l, r).getResult();
  };

  // 1. The input transform, B^T = [[1, 0, -1, 0], [0, 1, 1, 0],
  //    [0, -1, 1, 0], [0, 1, 0, -1]].
  //    Each of d's 16 positions is a slice of x of stride 2 (a view, read
  //    through an identity map: the vectorizer takes no constant offsets
  //    in a map).
  SmallVector<Value> inputs;
  auto tileType = RankedTensorType::get({g, th, tw, c}, elem);
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = 0; j < 4; ++j)
      inputs.push_back(tensor::ExtractSliceOp::create(
          b, loc, tileType, x,
          getAsIndexOpFoldResult(ctx, ArrayRef<int64_t>{0, i, j, 0}),
          getAsIndexOpFoldResult(ctx, tileType.getShape()),
          getAsIndexOpFoldResult(ctx, ArrayRef<int64_t>{1, 2, 2, 1})));
  SmallVector<AffineMap> maps(16, b.getMultiDimIdentityMap(4));
  SmallVector<Value> inits;
  for (int k = 0; k < 16; ++k)
    inits.push_back(emptyTensor(b, loc, {g, th, tw, c}, elem));
  SmallVector<Value> v = multiGeneric(
      b, loc, 4, inputs, maps, inits,
      [&](OpBuilder &nb, Location nl, ValueRange d) {
        auto apply = [&](Value x0, Value x1, Value x2, Value x3) {
          return std::array<Value, 4>{sub(nb, nl, x0, x2), add(nb, nl, x1, x2),
                                      sub(nb, nl, x2, x1), sub(nb, nl, x1, x3)};
        };
        return bothSides<4>(d, apply);
      });

  // 2. The 16 products.
  SmallVector<Value> m;
  for (int k = 0; k < 16; ++k)
    m.push_back(expand(
        b, loc, product(b, loc, collapse(b, loc, v[k], {{0, 1, 2}, {3}}), u[k]),
        {g, th, tw, f}, {{0, 1, 2}, {3}}));

  // 3. The output transform, A^T = [[1, 1, 1, 0], [0, 1, -1, -1]].
  SmallVector<AffineMap> outMaps(16, b.getMultiDimIdentityMap(4));
  SmallVector<Value> outInputs(m);
  if (bias) {
    outInputs.push_back(bias);
    outMaps.push_back(AffineMap::get(4, 0, {getAffineDimExpr(3, ctx)}, ctx));
  }
  return multiGeneric(
      b, loc, 4, outInputs, outMaps, outs,
      [&](OpBuilder &nb, Location nl, ValueRange in) {
        auto apply = [&](Value x0, Value x1, Value x2, Value x3) {
          return std::array<Value, 2>{add(nb, nl, add(nb, nl, x0, x1), x2),
                                      sub(nb, nl, sub(nb, nl, x1, x2), x3)};
        };
        SmallVector<Value> out = bothSides<2>(in, apply);
        for (Value &r : out) {
          if (bias)
            r = add(nb, nl, r, in[16]);
          if (relu)
            r = reluOf(nb, nl, r);
        }
        if (!pooled)
          return out;
        // The tile's 2x2 pooling window, scanned as max_pool2d scans it.
        Value best = out[0];
        for (Value v : ArrayRef<Value>(out).drop_front())
          best = arith::SelectOp::create(nb, nl, keepsOverBest(nb, nl, v, best),
                                         v, best);
        return SmallVector<Value>{best};
      });
}

/// The convolution of `xp` [N, C, Hp, Wp] (already padded by the
/// convolution's padding) with `w` [F, C, 3, 3] into `outType` [N, F, OH,
/// OW], plus `bias` [F] when given, rectified when `relu`, by F(2x2, 3x3)
/// over TH x TW tiles of 2x2 outputs (TH = ceil(OH / 2)): xp moved to
/// channels-last [N, 2 TH + 2, 2 TW + 2, C] (zeros past its end when OH or
/// OW is odd), the filters transformed once (as column panels of
/// `panelWidth`, 0 for none), then an scf.forall over blocks of images
/// (winogradBlock), so that each block's transformed inputs and products
/// (16 times its tiles times C, and F, floats: about 300 KB an image for
/// the CNN's second convolution) stay in the L2 between the passes
/// (unblocked, 55 MB of memory traffic made the CNN's inference slower
/// than the direct product). Each block writes its tiles' outputs into the
/// channels-last [N, TH, 2, TW, 2, F]; the layout
/// [N, F, OH, OW] is then a copy through it, which a pooling reading it
/// takes into its own reads (ember-fuse-elementwise), as after the
/// direct product. `pooled` (OH and OW even): the result is the 2x2 max
/// pooling of stride 2 of that, `outType` [N, F, OH / 2, OW / 2]: each
/// tile's pooling window taken in the output transform, the blocks writing
/// [N, TH, TW, F], with no interleaving and no pooling pass after.
Value winogradConvolve(OpBuilder &b, Location loc, Value xp, Value w,
                       RankedTensorType outType, Value bias, bool relu,
                       const WinogradOptions &options, bool pooled) {
  MLIRContext *ctx = b.getContext();
  ArrayRef<int64_t> xs = tensorTypeOf(xp).getShape(),
                    ws = tensorTypeOf(w).getShape(), os = outType.getShape();
  int64_t n = xs[0], c = xs[1], f = ws[0];
  int64_t oh = pooled ? 2 * os[2] : os[2], ow = pooled ? 2 * os[3] : os[3];
  int64_t tw = (ow + 1) / 2;
  Type elem = outType.getElementType();

  // A block: whole images, enough for 32 rows of tiles in the products
  // (dividing the images); or, when an image's transformed tiles (16 (C +
  // F) floats each) exceed `blockBytes`, bands of `rows` rows of tiles of
  // one image, the band's tiles within it but 32 at least, the rows of
  // tiles rounded up to whole bands (the extra ones computed on zeros and
  // not read) with the fewest extra rows, and of those the largest bands
  // (whole images of 512x512 with 64 channels in and out were 512 MiB of
  // transformed tiles a block, on every thread).
  int64_t th = (oh + 1) / 2, g = 1, rows = th;
  int64_t tileBytes = 16 * (c + f) * 4;
  if (options.blockBytes > 0 && th * tw * tileBytes > options.blockBytes) {
    int64_t most =
        std::clamp<int64_t>(options.blockBytes / (tw * tileBytes), 1, th);
    int64_t least = std::min<int64_t>(llvm::divideCeil(32, tw), most);
    auto rounded = [&](int64_t r) { return llvm::divideCeil(th, r) * r; };
    rows = least;
    for (int64_t r = least + 1; r <= most; ++r)
      if (rounded(r) <= rounded(rows))
        rows = r;
    th = rounded(rows);
  } else {
    while (g * th * tw < 32 && g < n)
      ++g;
    while (n % g)
      --g;
  }

  // Channels-last, with the rows and columns of the last tiles.
  int64_t lo[2] = {0, 0}, step[2] = {1, 1}, size[2] = {2 * th + 2, 2 * tw + 2};
  if (xs[2] < size[0] || xs[3] < size[1])
    xp = spreadAndPad(b, loc, xp, lo, step, size);
  AffineExpr tn, tc, ty, tx;
  bindDims(ctx, tn, ty, tx, tc);
  Value last =
      gatherCopy(b, loc, xp, AffineMap::get(4, 0, {tn, tc, ty, tx}, ctx),
                 {n, size[0], size[1], c});
  SmallVector<Value> u = winogradFilters(b, loc, w, options.panelWidth);

  // The tiles' outputs, channels-last: [N, TH, 2, TW, 2, F] (pooled:
  // [N, TH, TW, F]).
  SmallVector<int64_t> wholeShape = {n, th, 2, tw, 2, f};
  if (pooled)
    wholeShape = {n, th, tw, f};
  Value whole = emptyTensor(b, loc, wholeShape, elem);
  // Over blocks of images, and bands of them when there are several.
  int64_t bands = th / rows;
  SmallVector<OpFoldResult> upper = {b.getIndexAttr(n / g)};
  if (bands > 1)
    upper.push_back(b.getIndexAttr(bands));
  auto forall = scf::ForallOp::create(
      b, loc, SmallVector<OpFoldResult>(upper.size(), b.getIndexAttr(0)), upper,
      SmallVector<OpFoldResult>(upper.size(), b.getIndexAttr(1)),
      ValueRange{whole}, std::nullopt);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forall.getBody());
    auto times = [&](Value v, int64_t k) -> OpFoldResult {
      return affine::makeComposedFoldedAffineApply(
          b, loc, getAffineDimExpr(0, ctx) * k, {v});
    };
    OpFoldResult first = times(forall.getInductionVars()[0], g);
    OpFoldResult band = bands > 1 ? times(forall.getInductionVars()[1], rows)
                                  : OpFoldResult(b.getIndexAttr(0));
    SmallVector<OpFoldResult> at(4, b.getIndexAttr(0));
    at[0] = first;
    if (bands > 1)
      at[1] = times(forall.getInductionVars()[1], 2 * rows);
    Value block = tensor::ExtractSliceOp::create(
        b, loc, last, at,
        getAsIndexOpFoldResult(ctx,
                               ArrayRef<int64_t>{g, 2 * rows + 2, size[1], c}),
        SmallVector<OpFoldResult>(4, b.getIndexAttr(1)));
    SmallVector<Value> outs;
    for (int k = 0; k < (pooled ? 1 : 4); ++k)
      outs.push_back(emptyTensor(b, loc, {g, rows, tw, f}, elem));
    SmallVector<Value> y =
        winogradBlock(b, loc, block, u, bias, relu, outs, pooled);
    if (pooled) {
      SmallVector<OpFoldResult> partAt = {first, band, b.getIndexAttr(0),
                                          b.getIndexAttr(0)};
      b.setInsertionPointToStart(forall.getTerminator().getBody());
      tensor::ParallelInsertSliceOp::create(
          b, loc, y[0], forall.getRegionIterArgs()[0], partAt,
          getAsIndexOpFoldResult(ctx, ArrayRef<int64_t>{g, rows, tw, f}),
          SmallVector<OpFoldResult>(4, b.getIndexAttr(1)));
    } else {
      // Interleaved into the block's part of the result: (g, th, i, tw, j, f)
      // is output (i, j) of tile (th, tw). A pass over the block's outputs
      // (in the L2); written as four slices of the result, in place, the
      // outputs of the blocks' transform were copied in and out (their
      // slices of one tensor are not told apart once the transform is
      // tiled).
      SmallVector<OpFoldResult> partAt(6, b.getIndexAttr(0));
      partAt[0] = first;
      partAt[1] = band;
      SmallVector<int64_t> partShape = {g, rows, 2, tw, 2, f};
      Value part = tensor::ExtractSliceOp::create(
          b, loc, forall.getRegionIterArgs()[0], partAt,
          getAsIndexOpFoldResult(ctx, partShape),
          SmallVector<OpFoldResult>(6, b.getIndexAttr(1)));
      AffineExpr pg, py, pi, px, pj, pf;
      bindDims(ctx, pg, py, pi, px, pj, pf);
      SmallVector<AffineMap> maps(4,
                                  AffineMap::get(6, 0, {pg, py, px, pf}, ctx));
      Value interleaved = multiGeneric(
          b, loc, 6, y, maps, ValueRange{part},
          [&](OpBuilder &nb, Location nl, ValueRange in) {
            Value zero = arith::ConstantIndexOp::create(nb, nl, 0);
            auto isFirst = [&](unsigned dim) {
              return arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq,
                                           linalg::IndexOp::create(nb, nl, dim),
                                           zero);
            };
            Value i0 = isFirst(2), j0 = isFirst(4);
            Value top = arith::SelectOp::create(nb, nl, j0, in[0], in[1]);
            Value bottom = arith::SelectOp::create(nb, nl, j0, in[2], in[3]);
            return SmallVector<Value>{
                arith::SelectOp::create(nb, nl, i0, top, bottom)};
          })[0];
      b.setInsertionPointToStart(forall.getTerminator().getBody());
      tensor::ParallelInsertSliceOp::create(
          b, loc, interleaved, forall.getRegionIterArgs()[0], partAt,
          getAsIndexOpFoldResult(ctx, partShape),
          SmallVector<OpFoldResult>(6, b.getIndexAttr(1)));
    }
  }
  if (pooled) {
    // [N, F, OH / 2, OW / 2] from the tiles' rows and columns (a view of
    // them first, where there are more rows of tiles than the output's).
    Value tiles = forall.getResult(0);
    if (th != os[2])
      tiles = tensor::ExtractSliceOp::create(
          b, loc, RankedTensorType::get({n, os[2], os[3], f}, elem), tiles,
          SmallVector<OpFoldResult>(4, b.getIndexAttr(0)),
          getAsIndexOpFoldResult(ctx, ArrayRef<int64_t>{n, os[2], os[3], f}),
          SmallVector<OpFoldResult>(4, b.getIndexAttr(1)));
    AffineExpr pn, pf, py, px;
    bindDims(ctx, pn, pf, py, px);
    return gatherCopy(b, loc, tiles,
                      AffineMap::get(4, 0, {pn, py, px, pf}, ctx),
                      outType.getShape());
  }
  // The layout: point (n, f, h, w) is output (h mod 2, w mod 2) of tile
  // (h / 2, w / 2). A copy with no reshape between it and its readers, so
  // that a pooling's reads go through it to the tiles' outputs.
  AffineExpr ln, lf, ly, lx;
  bindDims(ctx, ln, lf, ly, lx);
  return gatherCopy(
      b, loc, forall.getResult(0),
      AffineMap::get(
          4, 0, {ln, ly.floorDiv(2), ly % 2, lx.floorDiv(2), lx % 2, lf}, ctx),
      outType.getShape());
}

/// The convolution of `xp` [N, C, Hp, Wp] (already padded) with `w`
/// [F, C/G, KH, KW], stride and dilation from `win`, no padding, into
/// `outType` [N, F, OH, OW], plus `bias` [F] when given.
Value convolve(OpBuilder &b, Location loc, Value xp, Value w, const Window &win,
               RankedTensorType outType, Value bias, bool relu,
               const WinogradOptions &winograd) {
  if (winograd.enabled && winogradApplies(win, w, outType))
    return winogradConvolve(b, loc, xp, w, outType, bias, relu, winograd,
                            /*pooled=*/false);
  MLIRContext *ctx = b.getContext();
  ArrayRef<int64_t> xs = tensorTypeOf(xp).getShape(),
                    ws = tensorTypeOf(w).getShape(), os = outType.getShape();
  int64_t n = xs[0], c = xs[1], f = ws[0], kh = ws[2], kw = ws[3];
  int64_t g = win.groups, cg = c / g, fg = f / g, oh = os[2], ow = os[3];
  Type elem = outType.getElementType();
  AffineExpr on, of, ooh, oow;
  bindDims(ctx, on, of, ooh, oow);
  if (g == 1 && c * kh * kw >= 64) {
    // One group, a deep window: the output's points are the product's rows,
    // [N * OH * OW, F] = im2col^T [N * OH * OW, C * KH * KW] times the
    // weight transposed, [C * KH * KW, F]: a linear layer's product (the
    // CPU packs the weight's transpose into its column panels), whose A
    // rows (one window each) are read in order where the columns of
    // [C * KH * KW, N * OH * OW] were read a row apart. The result's layout
    // then moves F from last to second, a strided pass: worth it when each
    // output point takes at least 64 multiply-adds (the CNN's second
    // convolution, 288: 2.35 -> 2.06 ms, its input gradient 3.5 -> 2.5 ms),
    // not for a first layer's 9 (0.55 -> 0.97 ms).
    Value colT = windowRows(b, loc, xp, win, kh, kw, oh, ow);
    int64_t k = c * kh * kw;
    Value w2 = weightRows(b, loc, w);
    Value wT = linalg::TransposeOp::create(b, loc, w2,
                                           emptyTensor(b, loc, {k, f}, elem),
                                           ArrayRef<int64_t>{1, 0})
                   ->getResult(0);
    return layoutWithBias(b, loc,
                          expand(b, loc, product(b, loc, colT, wT),
                                 {n, oh, ow, f}, {{0, 1, 2}, {3}}),
                          AffineMap::get(4, 0, {on, ooh, oow, of}, ctx), bias,
                          outType, relu);
  }
  // im2col: [G, Cg, KH, KW, N, OH, OW] from xp viewed as [N, G, Cg, Hp, Wp].
  Value x5 =
      expand(b, loc, xp, {n, g, cg, xs[2], xs[3]}, {{0}, {1, 2}, {3}, {4}});
  AffineExpr dg, dc, dkh, dkw, dn, doh, dow;
  bindDims(ctx, dg, dc, dkh, dkw, dn, doh, dow);
  AffineMap read = AffineMap::get(
      7, 0,
      {dn, dg, dc, windowExpr(doh, dkh, win.stride[0], win.dilation[0]),
       windowExpr(dow, dkw, win.stride[1], win.dilation[1])},
      ctx);
  Value col = gatherCopy(b, loc, x5, read, {g, cg, kh, kw, n, oh, ow});
  col = collapse(b, loc, col, {{0}, {1, 2, 3}, {4, 5, 6}});
  Value w3 = expand(b, loc, collapse(b, loc, w, {{0}, {1, 2, 3}}),
                    {g, fg, cg * kh * kw}, {{0, 1}, {2}});
  // [F, N * OH * OW] seen as [F, N, OH, OW], read transposed.
  Value grouped = expand(b, loc, groupedProduct(b, loc, w3, col),
                         {f, n, oh, ow}, {{0}, {1, 2, 3}});
  return layoutWithBias(b, loc, grouped,
                        AffineMap::get(4, 0, {of, on, ooh, oow}, ctx), bias,
                        outType, relu);
}

/// conv2d, and conv2d_relu with the ReLU in the layout's pass.
template <typename ConvOp>
struct Conv2dOpLowering : OpConversionPattern<ConvOp> {
  using OpAdaptor = typename ConvOp::Adaptor;
  Conv2dOpLowering(MLIRContext *ctx, WinogradOptions winograd)
      : OpConversionPattern<ConvOp>(ctx), winograd(winograd) {}
  WinogradOptions winograd;
  LogicalResult
  matchAndRewrite(ConvOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Window win = Window::of(op);
    ArrayRef<int64_t> ws = tensorTypeOf(adaptor.getWeight()).getShape(),
                      os = tensorTypeOf(op.getResult()).getShape();
    Value xp = padForWindows(rewriter, loc, adaptor.getInput(), win,
                             ws.drop_front(2), os.drop_front(2));
    bool relu = std::is_same_v<ConvOp, Conv2dReluOp>;
    // Read only by a 2x2 max pooling of stride 2 whose windows are the
    // Winograd tiles (OH and OW even): the pooling is taken in the output
    // transform (an inference graph's; in training, the pooling's gradient
    // reads the convolution's result too).
    auto pool = op->hasOneUse() ? dyn_cast<MaxPool2dOp>(*op->user_begin())
                                : MaxPool2dOp();
    if (pool && winograd.enabled &&
        winogradApplies(win, adaptor.getWeight(),
                        tensorTypeOf(op.getResult())) &&
        pool.getKernel() == ArrayRef<int64_t>{2, 2} &&
        pool.getStride() == ArrayRef<int64_t>{2, 2} &&
        pool.getPadding() == ArrayRef<int64_t>{0, 0} &&
        pool.getDilation() == ArrayRef<int64_t>{1, 1} && os[2] % 2 == 0 &&
        os[3] % 2 == 0) {
      Value pooled = winogradConvolve(rewriter, loc, xp, adaptor.getWeight(),
                                      tensorTypeOf(pool.getResult()),
                                      adaptor.getBias(), relu, winograd,
                                      /*pooled=*/true);
      rewriter.replaceOp(pool, pooled);
      rewriter.eraseOp(op);
      return success();
    }
    rewriter.replaceOp(op, convolve(rewriter, loc, xp, adaptor.getWeight(), win,
                                    tensorTypeOf(op.getResult()),
                                    adaptor.getBias(), relu, winograd));
    return success();
  }
};

struct Conv2dGradInputOpLowering : OpConversionPattern<Conv2dGradInputOp> {
  Conv2dGradInputOpLowering(MLIRContext *ctx, WinogradOptions winograd)
      : OpConversionPattern(ctx), winograd(winograd) {}
  WinogradOptions winograd;
  LogicalResult
  matchAndRewrite(Conv2dGradInputOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Window win = Window::of(op);
    Value w = adaptor.getWeight();
    ArrayRef<int64_t> ws = tensorTypeOf(w).getShape(),
                      xs = tensorTypeOf(op.getResult()).getShape();
    int64_t f = ws[0], cg = ws[1], kh = ws[2], kw = ws[3], g = win.groups;
    int64_t lo[2], size[2];
    for (int d = 0; d < 2; ++d) {
      int64_t reach = win.dilation[d] * (ws[2 + d] - 1);
      lo[d] = reach - win.padding[d];
      size[d] = xs[2 + d] + reach;
    }
    Value spread = spreadAndPad(rewriter, loc, adaptor.getGradOutput(), lo,
                                win.stride, size);
    // The weight [G, Fg, Cg, KH, KW] as [G, Cg, Fg, KH, KW], flipped.
    Value w5 = expand(rewriter, loc, w, {g, f / g, cg, kh, kw},
                      {{0, 1}, {2}, {3}, {4}});
    AffineExpr dg, dc, df, dkh, dkw;
    bindDims(ctx, dg, dc, df, dkh, dkw);
    AffineMap flip =
        AffineMap::get(5, 0, {dg, df, dc, kh - 1 - dkh, kw - 1 - dkw}, ctx);
    Value flipped = gatherCopy(rewriter, loc, w5, flip, {g, cg, f / g, kh, kw});
    flipped = collapse(rewriter, loc, flipped, {{0, 1}, {2}, {3}, {4}});
    Window unit = win;
    unit.stride[0] = unit.stride[1] = 1;
    rewriter.replaceOp(op, convolve(rewriter, loc, spread, flipped, unit,
                                    tensorTypeOf(op.getResult()), Value(),
                                    /*relu=*/false, winograd));
    return success();
  }
};

/// The output gradient `dy` [N, F, OH, OW] as [F, N, OH, OW], then
/// [G, F/G, N * OH * OW].
Value dyTransposed(OpBuilder &b, Location loc, Value dy, int64_t g) {
  MLIRContext *ctx = b.getContext();
  ArrayRef<int64_t> ys = tensorTypeOf(dy).getShape();
  int64_t n = ys[0], f = ys[1], oh = ys[2], ow = ys[3];
  AffineExpr tf, tn, toh, tow;
  bindDims(ctx, tf, tn, toh, tow);
  Value dyT =
      gatherCopy(b, loc, dy, AffineMap::get(4, 0, {tn, tf, toh, tow}, ctx),
                 {f, n, oh, ow});
  return expand(b, loc, collapse(b, loc, dyT, {{0}, {1, 2, 3}}),
                {g, f / g, n * oh * ow}, {{0, 1}, {2}});
}

struct Conv2dGradWeightOpLowering : OpConversionPattern<Conv2dGradWeightOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(Conv2dGradWeightOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Window win = Window::of(op);
    Value dy = adaptor.getGradOutput();
    ArrayRef<int64_t> xs = tensorTypeOf(adaptor.getInput()).getShape(),
                      ys = tensorTypeOf(dy).getShape(),
                      ws = tensorTypeOf(op.getResult()).getShape();
    int64_t n = xs[0], c = xs[1], f = ws[0], kh = ws[2], kw = ws[3];
    int64_t g = win.groups, cg = c / g, oh = ys[2], ow = ys[3];
    Value xp = padForWindows(rewriter, loc, adaptor.getInput(), win,
                             ws.drop_front(2), ys.drop_front(2));
    Value dyT = dyTransposed(rewriter, loc, dy, g);
    if (g == 1) {
      // The forward's own im2col (windowRows), which CSE then shares; its
      // columns are (KH, KW, C), so the product is the weight's gradient
      // as [F, KH, KW, C].
      AffineExpr rf, rc, rh, rw;
      bindDims(ctx, rf, rc, rh, rw);
      Value rows = expand(
          rewriter, loc,
          product(rewriter, loc, collapse(rewriter, loc, dyT, {{0, 1}, {2}}),
                  windowRows(rewriter, loc, xp, win, kh, kw, oh, ow)),
          {f, kh, kw, c}, {{0}, {1, 2, 3}});
      rewriter.replaceOp(
          op, gatherCopy(rewriter, loc, rows,
                         AffineMap::get(4, 0, {rf, rh, rw, rc}, ctx), ws));
      return success();
    }
    // The transposed im2col: [G, N * OH * OW, Cg * KH * KW].
    ArrayRef<int64_t> ps = tensorTypeOf(xp).getShape();
    Value x5 = expand(rewriter, loc, xp, {n, g, cg, ps[2], ps[3]},
                      {{0}, {1, 2}, {3}, {4}});
    AffineExpr dg, dn, doh, dow, dc, dkh, dkw;
    bindDims(ctx, dg, dn, doh, dow, dc, dkh, dkw);
    AffineMap read = AffineMap::get(
        7, 0,
        {dn, dg, dc, windowExpr(doh, dkh, win.stride[0], win.dilation[0]),
         windowExpr(dow, dkw, win.stride[1], win.dilation[1])},
        ctx);
    Value colT =
        gatherCopy(rewriter, loc, x5, read, {g, n, oh, ow, cg, kh, kw});
    colT = collapse(rewriter, loc, colT, {{0}, {1, 2, 3}, {4, 5, 6}});
    Value product = groupedProduct(rewriter, loc, dyT, colT);
    rewriter.replaceOp(op,
                       expand(rewriter, loc, product, ws, {{0}, {1, 2, 3}}));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Max pooling
//===----------------------------------------------------------------------===//

TypedAttr negativeInfinity(Type elem) {
  auto ft = cast<FloatType>(elem);
  return FloatAttr::get(
      ft, APFloat::getInf(ft.getFloatSemantics(), /*Negative=*/true));
}

/// Whether max pooling keeps `v` over the best element so far, as
/// PyTorch's kernels do: `v > best || v != v` (the first maximum, or the
/// last NaN). The forward and both gradient lowerings scan windows by it,
/// so the gradient goes to the element the forward returned.
Value keepsOverBest(OpBuilder &b, Location l, Value v, Value best) {
  Value greater =
      arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, v, best);
  Value nan = arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNO, v, v);
  return arith::OrIOp::create(b, l, greater, nan);
}

/// A parallel generic over the output's points that reads its window's
/// elements from the input in its body (`tensor.extract`, the window
/// unrolled; elements outside the input are -inf) and keeps, as PyTorch's
/// kernels do, an element greater than the best so far or NaN
/// (`v > best || v != v`: the first maximum, or the last NaN, the element
/// max_pool2d_grad picks). That is a compare and a blend on x86 (maxps with
/// a NaN check), where arith.maximumf's ordering of -0 below +0 costs a
/// dozen instructions a step. A window position that is inside the input at
/// every output point is read without a bounds check. An elementwise op to
/// every backend: the CPU runs it on all threads, where linalg's pooling op
/// would be a serial loop nest.
struct MaxPool2dOpLowering : OpConversionPattern<MaxPool2dOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(MaxPool2dOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Window win = Window::of(op);
    RankedTensorType outType = tensorTypeOf(op.getResult());
    Type elem = outType.getElementType();
    Value x = adaptor.getInput();
    ArrayRef<int64_t> xs = tensorTypeOf(x).getShape();
    ArrayRef<int64_t> kernel = op.getKernel();
    auto body = [&](OpBuilder &b, Location l, ValueRange) -> Value {
      auto c = [&](int64_t v) { return indexConst(b, l, v); };
      Value n = linalg::IndexOp::create(b, l, 0),
            ch = linalg::IndexOp::create(b, l, 1);
      Value o[2] = {linalg::IndexOp::create(b, l, 2),
                    linalg::IndexOp::create(b, l, 3)};
      Value lowest =
          arith::ConstantOp::create(b, l, elem, negativeInfinity(elem));
      // Each dim's window positions, and whether each is inside.
      SmallVector<std::pair<Value, Value>> at[2];
      for (int d = 0; d < 2; ++d) {
        Value start = arith::AddIOp::create(
            b, l, arith::MulIOp::create(b, l, o[d], c(win.stride[d])),
            c(-win.padding[d]));
        for (int64_t k = 0; k < kernel[d]; ++k) {
          int64_t offset = k * win.dilation[d] - win.padding[d];
          Value p = arith::AddIOp::create(b, l, start, c(k * win.dilation[d]));
          if (offset >= 0 &&
              (outType.getDimSize(2 + d) - 1) * win.stride[d] + offset <
                  xs[2 + d]) {
            at[d].push_back({p, Value()}); // inside at every output point
            continue;
          }
          Value inside = arith::AndIOp::create(
              b, l,
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, p, c(0)),
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, p,
                                    c(xs[2 + d])));
          at[d].push_back(
              {arith::SelectOp::create(b, l, inside, p, c(0)), inside});
        }
      }
      Value best = lowest;
      for (auto [ph, inH] : at[0])
        for (auto [pw, inW] : at[1]) {
          Value v =
              tensor::ExtractOp::create(b, l, x, ValueRange{n, ch, ph, pw});
          Value inside = inH && inW ? arith::AndIOp::create(b, l, inH, inW)
                                    : (inH ? inH : inW);
          if (inside)
            v = arith::SelectOp::create(b, l, inside, v, lowest);
          best = arith::SelectOp::create(b, l, keepsOverBest(b, l, v, best), v,
                                         best);
        }
      return best;
    };
    rewriter.replaceOp(
        op, buildElementwise(rewriter, loc, outType, ValueRange{}, body));
    return success();
  }
};

/// Whether the windows of a pooling with `kernel` and `win` are disjoint
/// and hold only input elements (no padding, no dilation, the stride the
/// kernel's size), as in MaxPool2d(2): each input element then lies in at
/// most one window.
bool disjointWindows(const Window &win, ArrayRef<int64_t> kernel) {
  for (int d = 0; d < 2; ++d)
    if (win.padding[d] != 0 || win.dilation[d] != 1 ||
        win.stride[d] != kernel[d])
      return false;
  return true;
}

/// The max-pool gradient when the windows are disjoint (disjointWindows):
/// first each window's index (a parallel generic over the windows reading
/// x at `o * K + k`, the window unrolled), then for each input
/// element the output gradient of its window where it is that window's
/// index. The general lowering below finds, for every input element, the
/// index of every window holding it: K_h x K_w windows of K_h x K_w reads
/// each, 16 reads an element for MaxPool2d(2) where this takes 2.
Value disjointMaxPoolGrad(OpBuilder &b, Location loc, Value x, Value dy,
                          ArrayRef<int64_t> kernel) {
  RankedTensorType xType = tensorTypeOf(x), dyType = tensorTypeOf(dy);
  ArrayRef<int64_t> ys = dyType.getShape();
  Type elem = xType.getElementType();
  Type i32 = b.getI32Type();
  auto c = [&](OpBuilder &nb, Location l, int64_t v) {
    return indexConst(nb, l, v);
  };
  // Each window's index: a parallel generic over the windows that reads
  // its window's elements in its body, the window unrolled (as the forward
  // pooling: MaxPool2dOpLowering), so that it vectorizes along the windows'
  // row like any elementwise op; a reduction generic over the window stayed
  // a scalar loop (3.6% of the CNN's training step). As in the general
  // lowering: the first maximum, or the last NaN; the best starts at -inf
  // with index 0, so a window of -inf (or whose first element is the
  // maximum) keeps index 0. Every read is inside x: the windows are
  // disjoint and hold only x's elements.
  auto indexType = RankedTensorType::get(ys, i32);
  auto argmax = [&](OpBuilder &nb, Location l, ValueRange) -> Value {
    Value n = linalg::IndexOp::create(nb, l, 0),
          ch = linalg::IndexOp::create(nb, l, 1);
    Value start[2];
    for (int dim = 0; dim < 2; ++dim)
      start[dim] =
          arith::MulIOp::create(nb, l, linalg::IndexOp::create(nb, l, 2 + dim),
                                c(nb, l, kernel[dim]));
    Value best = arith::ConstantOp::create(nb, l, elem, negativeInfinity(elem));
    Value index = arith::ConstantOp::create(nb, l, nb.getI32IntegerAttr(0));
    for (int64_t kh = 0; kh < kernel[0]; ++kh)
      for (int64_t kw = 0; kw < kernel[1]; ++kw) {
        Value h = arith::AddIOp::create(nb, l, start[0], c(nb, l, kh));
        Value w = arith::AddIOp::create(nb, l, start[1], c(nb, l, kw));
        Value v = tensor::ExtractOp::create(nb, l, x, ValueRange{n, ch, h, w});
        Value better = keepsOverBest(nb, l, v, best);
        best = arith::SelectOp::create(nb, l, better, v, best);
        index = arith::SelectOp::create(
            nb, l, better,
            arith::ConstantOp::create(nb, l,
                                      nb.getI32IntegerAttr(static_cast<int32_t>(
                                          kh * kernel[1] + kw))),
            index);
      }
    return index;
  };
  Value windowIndex = buildElementwise(b, loc, indexType, ValueRange{}, argmax);
  // The gradient, over x's points: window (h / K_h, w / K_w) at offset
  // (h % K_h, w % K_w); the rows and columns past the last whole window
  // are in none.
  auto body = [&](OpBuilder &nb, Location l, ValueRange) -> Value {
    Value n = linalg::IndexOp::create(nb, l, 0),
          ch = linalg::IndexOp::create(nb, l, 1);
    Value o[2], k[2], inside;
    for (int dim = 0; dim < 2; ++dim) {
      Value at = linalg::IndexOp::create(nb, l, 2 + dim);
      Value size = c(nb, l, kernel[dim]);
      Value window = arith::DivUIOp::create(nb, l, at, size);
      k[dim] = arith::RemUIOp::create(nb, l, at, size);
      Value ok = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ult, window,
                                       c(nb, l, ys[2 + dim]));
      inside = dim ? arith::AndIOp::create(nb, l, inside, ok).getResult() : ok;
      o[dim] = arith::SelectOp::create(nb, l, ok, window, c(nb, l, 0));
    }
    Value offset = arith::AddIOp::create(
        nb, l, arith::MulIOp::create(nb, l, k[0], c(nb, l, kernel[1])), k[1]);
    Value index = arith::IndexCastOp::create(
        nb, l, nb.getIndexType(),
        tensor::ExtractOp::create(nb, l, windowIndex,
                                  ValueRange{n, ch, o[0], o[1]}));
    Value g =
        tensor::ExtractOp::create(nb, l, dy, ValueRange{n, ch, o[0], o[1]});
    Value hit = arith::AndIOp::create(
        nb, l, inside,
        arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, index, offset));
    return arith::SelectOp::create(nb, l, hit, g, zeroOf(nb, l, elem));
  };
  return buildElementwise(b, loc, xType, ValueRange{}, body);
}

/// Disjoint windows: disjointMaxPoolGrad. Otherwise a generic over the
/// input's points, reading the input and the output gradient in its body:
/// for each kernel offset (kh, kw), the window that offset would place on
/// this point, when there is one, gives it its gradient if this point is
/// the window's index as PyTorch computes it
/// (scanning the window in row-major order, taking an element greater
/// than the best so far, or a NaN; the first element in range to start).
struct MaxPool2dGradOpLowering : OpConversionPattern<MaxPool2dGradOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(MaxPool2dGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Window win = Window::of(op);
    Value x = adaptor.getInput(), dy = adaptor.getGradOutput();
    RankedTensorType xType = tensorTypeOf(x);
    ArrayRef<int64_t> xs = xType.getShape(), ys = tensorTypeOf(dy).getShape();
    ArrayRef<int64_t> kernel = op.getKernel();
    Type elem = xType.getElementType();
    if (disjointWindows(win, kernel)) {
      rewriter.replaceOp(op, disjointMaxPoolGrad(rewriter, loc, x, dy, kernel));
      return success();
    }
    auto body = [&](OpBuilder &b, Location l, ValueRange) -> Value {
      auto c = [&](int64_t v) { return indexConst(b, l, v); };
      auto cmp = [&](arith::CmpIPredicate p, Value a, Value v) {
        return arith::CmpIOp::create(b, l, p, a, v).getResult();
      };
      auto both = [&](Value a, Value v) {
        return arith::AndIOp::create(b, l, a, v).getResult();
      };
      auto pick = [&](Value cond, Value a, Value v) {
        return arith::SelectOp::create(b, l, cond, a, v).getResult();
      };
      Value n = linalg::IndexOp::create(b, l, 0),
            ch = linalg::IndexOp::create(b, l, 1);
      Value at[2] = {linalg::IndexOp::create(b, l, 2),
                     linalg::IndexOp::create(b, l, 3)};
      Value zeroF = arith::ConstantOp::create(b, l, elem, b.getZeroAttr(elem));
      Value lowest =
          arith::ConstantOp::create(b, l, elem, negativeInfinity(elem));
      Value acc = zeroF;
      for (int64_t kh = 0; kh < kernel[0]; ++kh)
        for (int64_t kw = 0; kw < kernel[1]; ++kw) {
          // The window whose offset (kh, kw) is this point.
          int64_t k[2] = {kh, kw};
          Value valid, o[2];
          for (int d = 0; d < 2; ++d) {
            Value t = arith::AddIOp::create(
                b, l, at[d], c(win.padding[d] - k[d] * win.dilation[d]));
            Value ok = both(cmp(arith::CmpIPredicate::sge, t, c(0)),
                            cmp(arith::CmpIPredicate::sle, t,
                                c(win.stride[d] * (ys[2 + d] - 1))));
            if (win.stride[d] != 1)
              ok = both(ok,
                        cmp(arith::CmpIPredicate::eq,
                            arith::RemSIOp::create(b, l, t, c(win.stride[d])),
                            c(0)));
            o[d] = win.stride[d] == 1
                       ? t
                       : arith::DivSIOp::create(b, l, t, c(win.stride[d]))
                             .getResult();
            valid = d ? both(valid, ok) : ok;
          }
          for (int d = 0; d < 2; ++d)
            o[d] = pick(valid, o[d], c(0));
          // That window's index.
          Value best = lowest, index = c(-1);
          for (int64_t i = 0; i < kernel[0]; ++i)
            for (int64_t j = 0; j < kernel[1]; ++j) {
              int64_t off[2] = {i, j};
              Value inRange, p[2];
              for (int d = 0; d < 2; ++d) {
                p[d] = arith::AddIOp::create(
                    b, l, arith::MulIOp::create(b, l, o[d], c(win.stride[d])),
                    c(off[d] * win.dilation[d] - win.padding[d]));
                Value ok =
                    both(cmp(arith::CmpIPredicate::sge, p[d], c(0)),
                         cmp(arith::CmpIPredicate::slt, p[d], c(xs[2 + d])));
                inRange = d ? both(inRange, ok) : ok;
              }
              Value v = tensor::ExtractOp::create(
                  b, l, x,
                  ValueRange{n, ch, pick(inRange, p[0], c(0)),
                             pick(inRange, p[1], c(0))});
              Value better = arith::OrIOp::create(
                  b, l, cmp(arith::CmpIPredicate::eq, index, c(-1)),
                  keepsOverBest(b, l, v, best));
              Value take = both(inRange, better);
              best = pick(take, v, best);
              index = pick(take, c(i * kernel[1] + j), index);
            }
          Value hit = both(valid, cmp(arith::CmpIPredicate::eq, index,
                                      c(kh * kernel[1] + kw)));
          Value g = tensor::ExtractOp::create(b, l, dy,
                                              ValueRange{n, ch, o[0], o[1]});
          acc = arith::AddFOp::create(b, l, acc, pick(hit, g, zeroF));
        }
      return acc;
    };
    rewriter.replaceOp(
        op, buildElementwise(rewriter, loc, xType, ValueRange{}, body));
    return success();
  }
};

} // namespace

void mlir::ember::populateEmberConvToLinalgPatterns(RewritePatternSet &patterns,
                                                    WinogradOptions winograd) {
  patterns.add<Conv2dOpLowering<Conv2dOp>, Conv2dOpLowering<Conv2dReluOp>,
               Conv2dGradInputOpLowering>(patterns.getContext(), winograd);
  patterns.add<Conv2dGradWeightOpLowering, MaxPool2dOpLowering,
               MaxPool2dGradOpLowering>(patterns.getContext());
}
