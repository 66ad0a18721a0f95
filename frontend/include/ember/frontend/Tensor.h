//===- Tensor.h - The lazy tensor -------------------------------*- C++ -*-===//
//
// Part of Ember. ember::Tensor is a handle on a node of the recorded graph.
// Operations only record; item(), to_vector() and printing realise, which
// compiles the graph that leads to the tensor (once per graph structure) and
// runs it.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_FRONTEND_TENSOR_H
#define EMBER_FRONTEND_TENSOR_H

#include "ember/frontend/Device.h"
#include "ember/frontend/Error.h"
#include "ember/frontend/Graph.h"

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <optional>
#include <source_location>
#include <vector>

namespace ember {

class Tensor;

namespace fe {
struct TensorImpl;
} // namespace fe

namespace indexing {
class TensorIndex;
} // namespace indexing

namespace detail {
/// A tensor operand together with the user's source location. Binary
/// operators take their left operand as this, so `a + b` knows the line it
/// was written on even though an operator cannot have a defaulted argument.
struct Located {
  Located(const Tensor &tensor,
          std::source_location location = std::source_location::current())
      : tensor(tensor), location(location) {}
  const Tensor &tensor;
  std::source_location location;
};
} // namespace detail

/// A nested initializer list of numbers: `{{0.0, 1.3}, {2.8, 3.3}}`.
class NestedList {
public:
  NestedList(double value) : value_(value), isScalar_(true) {}
  NestedList(std::initializer_list<NestedList> items)
      : items_(items), isScalar_(false) {}

  bool isScalar() const { return isScalar_; }
  double value() const { return value_; }
  const std::vector<NestedList> &items() const { return items_; }

private:
  double value_ = 0;
  std::vector<NestedList> items_;
  bool isScalar_;
};

/// A lazily computed, dense, row-major tensor on the host.
class Tensor {
public:
  using Loc = std::source_location;

  /// An undefined tensor (defined() is false).
  Tensor() = default;
  /// A new tensor holding the value of `node`.
  explicit Tensor(fe::NodePtr node);

  bool defined() const { return impl_ != nullptr; }
  const Shape &shape() const;
  /// The shape, as PyTorch's Tensor.size() gives it.
  const Shape &sizes() const { return shape(); }
  /// Size of dimension `dim` (negative counts from the end).
  int64_t size(int64_t dim) const;
  int64_t dim() const { return static_cast<int64_t>(shape().size()); }
  int64_t numel() const;
  DType dtype() const;
  /// Where the tensor lives.
  Device device() const;
  /// A copy on `device` (the tensor itself when it is already there). Like
  /// printing, it computes the tensor first.
  Tensor to(const Device &device, Loc loc = Loc::current()) const;
  Tensor cpu(Loc loc = Loc::current()) const { return to(Device::cpu(), loc); }
  Tensor cuda(int index = 0, Loc loc = Loc::current()) const {
    return to(Device::cuda(index), loc);
  }

  /// The single element of a one-element tensor, converted to T.
  template <typename T = float> T item(Loc loc = Loc::current()) const;
  /// All elements in row-major order, converted to T.
  template <typename T = float>
  std::vector<T> to_vector(Loc loc = Loc::current()) const;
  /// Pointer to the elements (dense, row-major), computing them first. T
  /// must match dtype() (float, double, int64_t, uint8_t; bool as uint8_t).
  /// Writing through it changes the tensor's value: use it to fill tensors
  /// made by empty().
  template <typename T> T *data_ptr(Loc loc = Loc::current()) const;
  /// Computes the tensor now (printing and item() do this implicitly).
  const Tensor &realize(Loc loc = Loc::current()) const;
  /// Whether the value has been computed.
  bool is_realized() const;

  /// The matrix product; as torch.matmul, a 1-D operand is a vector (a
  /// row first, a column second) whose dimension the result drops.
  Tensor matmul(const Tensor &other, Loc loc = Loc::current()) const;
  Tensor relu(Loc loc = Loc::current()) const;
  Tensor neg(Loc loc = Loc::current()) const;
  /// A view of the elements in a new shape; one dimension may be -1.
  Tensor reshape(Shape shape, Loc loc = Loc::current()) const;
  /// Swaps two dimensions (negative indices count from the end).
  Tensor transpose(int64_t dim0, int64_t dim1, Loc loc = Loc::current()) const;
  /// Reorders the dimensions: result dimension i is input dimension dims[i].
  Tensor permute(std::vector<int64_t> dims, Loc loc = Loc::current()) const;
  /// Transpose of a rank-2 tensor.
  Tensor t(Loc loc = Loc::current()) const;
  /// Sum of all elements (a rank-0 tensor).
  Tensor sum(Loc loc = Loc::current()) const;
  /// Sum over `dims` (negative indices count from the end).
  Tensor sum(std::vector<int64_t> dims, bool keepdim = false,
             Loc loc = Loc::current()) const;
  /// Expands size-1 dimensions (and adds leading ones) to `shape`.
  Tensor broadcast_to(Shape shape, Loc loc = Loc::current()) const;
  /// Mean of all elements, or over `dims` (floating-point tensors).
  Tensor mean(Loc loc = Loc::current()) const;
  Tensor mean(std::vector<int64_t> dims, bool keepdim = false,
              Loc loc = Loc::current()) const;
  /// Largest / smallest element, overall or over `dims` (PyTorch's amax,
  /// amin). NaN propagates.
  Tensor max(Loc loc = Loc::current()) const;
  Tensor amax(std::vector<int64_t> dims, bool keepdim = false,
              Loc loc = Loc::current()) const;
  Tensor min(Loc loc = Loc::current()) const;
  Tensor amin(std::vector<int64_t> dims, bool keepdim = false,
              Loc loc = Loc::current()) const;
  /// Index (int64) of the first maximum along `dim`.
  Tensor argmax(int64_t dim, bool keepdim = false, Loc loc = Loc::current()) const;
  Tensor exp(Loc loc = Loc::current()) const;
  Tensor log(Loc loc = Loc::current()) const;
  Tensor sqrt(Loc loc = Loc::current()) const;
  /// 1 / (1 + exp(-x)) and the hyperbolic tangent, elementwise.
  Tensor sigmoid(Loc loc = Loc::current()) const;
  Tensor tanh(Loc loc = Loc::current()) const;
  /// The error function, elementwise.
  Tensor erf(Loc loc = Loc::current()) const;
  /// |x|; its gradient at 0 is 0, as PyTorch's.
  Tensor abs(Loc loc = Loc::current()) const;
  /// x limited to [min, max] (either bound may be absent, not both), as
  /// torch.clamp: the gradient passes where min <= x <= max, and a NaN
  /// stays NaN.
  Tensor clamp(std::optional<double> min, std::optional<double> max,
               Loc loc = Loc::current()) const;
  Tensor clamp_min(double min, Loc loc = Loc::current()) const;
  Tensor clamp_max(double max, Loc loc = Loc::current()) const;
  /// x with `value` where the bool `mask` (broadcast to x's shape) is true
  /// (torch.masked_fill; no gradient flows to the filled elements).
  Tensor masked_fill(const Tensor &mask, double value,
                     Loc loc = Loc::current()) const;
  /// x * x.
  Tensor square(Loc loc = Loc::current()) const;
  /// x to the power `exponent`, computed as PyTorch computes it for the
  /// exponents it gives a closed form: 1, 2 (x * x), 3 (x * x * x), 0.5
  /// (sqrt), -0.5 (1 / sqrt), -1 (1 / x), -2 (1 / (x * x)). Another
  /// exponent is an error naming it (exp(log(x) * e) is not the same
  /// number).
  Tensor pow(double exponent, Loc loc = Loc::current()) const;
  /// softmax / log_softmax along `dim`, computed stably (max subtracted).
  Tensor softmax(int64_t dim, Loc loc = Loc::current()) const;
  Tensor log_softmax(int64_t dim, Loc loc = Loc::current()) const;
  /// Elementwise comparisons, as bool tensors; operands broadcast.
  Tensor eq(const Tensor &other, Loc loc = Loc::current()) const;
  Tensor ne(const Tensor &other, Loc loc = Loc::current()) const;
  Tensor lt(const Tensor &other, Loc loc = Loc::current()) const;
  Tensor le(const Tensor &other, Loc loc = Loc::current()) const;
  Tensor gt(const Tensor &other, Loc loc = Loc::current()) const;
  Tensor ge(const Tensor &other, Loc loc = Loc::current()) const;
  Tensor eq(double other, Loc loc = Loc::current()) const;
  Tensor gt(double other, Loc loc = Loc::current()) const;
  /// The elements converted to `dtype` (float to integer truncates).
  Tensor to(DType dtype, Loc loc = Loc::current()) const;

  Tensor operator-() const { return neg(); }

  //===--------------------------------------------------------------------===//
  // Autograd
  //===--------------------------------------------------------------------===//

  bool requires_grad() const;
  /// Marks a leaf tensor as one whose gradient backward() computes.
  Tensor &requires_grad_(bool on = true, Loc loc = Loc::current());
  /// The accumulated gradient of a leaf (undefined before backward()).
  Tensor grad() const;
  /// Drops the accumulated gradient (what optimizers' zero_grad() does).
  /// A gradient that is never computed (no optimizer step, no grad() read)
  /// refers to the graph behind it, which refers back to the leaf: drop it
  /// (zero_grad_(), or let a Module owning the leaf go) to free them.
  void zero_grad_() const;
  /// Records the gradient of this scalar with respect to every leaf that
  /// requires grad, accumulating into their grad(). Like the forward pass,
  /// the backward pass is recorded, not run: it is computed with whatever
  /// realises the gradients next (typically the optimizer's step()).
  void backward(Loc loc = Loc::current()) const;
  /// backward() of a tensor of any shape: `gradient` (its shape and dtype)
  /// is the gradient of the final result with respect to this tensor, as
  /// PyTorch's out.backward(gradient). retain_graph is accepted for
  /// PyTorch's code and changes nothing: the recorded graph lives as long
  /// as tensors refer to it, so backward() may be called on it again. With
  /// create_graph the gradients are recorded with autograd on, so they
  /// can be differentiated in turn; such a grad() refers to a graph that
  /// refers back to the leaf, so drop it (zero_grad_()) when done, as
  /// PyTorch also asks, or the two keep each other alive.
  void backward(const Tensor &gradient, bool retain_graph = false,
                bool create_graph = false, Loc loc = Loc::current()) const;
  /// The same values, cut off from the autograd graph.
  Tensor detach(Loc loc = Loc::current()) const;

  //===--------------------------------------------------------------------===//
  // Indexing and views (Indexing.cpp). As in PyTorch, the results of
  // index() with integers and slices, select, narrow, slice, split, chunk,
  // unbind, reshape, view, flatten, squeeze, unsqueeze, permute, transpose
  // and t share the tensor's values: an in-place write to either shows in
  // both.
  //===--------------------------------------------------------------------===//

  /// PyTorch's `t[...]` with integers, slices, None and an Ellipsis:
  /// `t.index({Slice(), 1})` is `t[:, 1]`, `t.index({"...", -1})` is
  /// `t[..., -1]`. A boolean mask or an integer tensor (advanced indexing)
  /// is an error: its result's shape depends on values (use masked_fill,
  /// where, or index_put_ with the mask).
  Tensor index(std::initializer_list<indexing::TensorIndex> indices,
               Loc loc = Loc::current()) const;
  Tensor index(const std::vector<indexing::TensorIndex> &indices,
               Loc loc = Loc::current()) const;
  /// PyTorch's `t[...] = value` (`value` broadcasts to what index() would
  /// return, and takes this tensor's dtype); a boolean mask of this
  /// tensor's shape as the only index sets the elements where it is true.
  const Tensor &index_put_(std::initializer_list<indexing::TensorIndex> indices,
                           const Tensor &value, Loc loc = Loc::current()) const;
  const Tensor &index_put_(std::initializer_list<indexing::TensorIndex> indices,
                           double value, Loc loc = Loc::current()) const;
  const Tensor &index_put_(const std::vector<indexing::TensorIndex> &indices,
                           const Tensor &value, Loc loc = Loc::current()) const;
  /// Dimension `dim` at `index` (negative counts from the end), removed.
  Tensor select(int64_t dim, int64_t index, Loc loc = Loc::current()) const;
  /// Elements start, ..., start + length - 1 of dimension `dim`.
  Tensor narrow(int64_t dim, int64_t start, int64_t length,
                Loc loc = Loc::current()) const;
  /// t[start:end:step] along `dim` (Python's bounds: negative from the end,
  /// clamped to the size; step >= 1).
  Tensor slice(int64_t dim = 0, std::optional<int64_t> start = std::nullopt,
               std::optional<int64_t> end = std::nullopt, int64_t step = 1,
               Loc loc = Loc::current()) const;
  /// Pieces of `split_size` along `dim` (the last may be smaller).
  std::vector<Tensor> split(int64_t split_size, int64_t dim = 0,
                            Loc loc = Loc::current()) const;
  /// Pieces of the given sizes along `dim` (they must add up to its size).
  std::vector<Tensor> split_with_sizes(const std::vector<int64_t> &split_sizes,
                                       int64_t dim = 0,
                                       Loc loc = Loc::current()) const;
  /// `chunks` pieces (or fewer) of ceil(size / chunks) along `dim`.
  std::vector<Tensor> chunk(int64_t chunks, int64_t dim = 0,
                            Loc loc = Loc::current()) const;
  /// Every index of dimension `dim`, that dimension removed.
  std::vector<Tensor> unbind(int64_t dim = 0, Loc loc = Loc::current()) const;
  /// A size-1 dimension inserted at `dim` (-1: last).
  Tensor unsqueeze(int64_t dim, Loc loc = Loc::current()) const;
  /// Every size-1 dimension removed; or dimension `dim` if its size is 1.
  Tensor squeeze(Loc loc = Loc::current()) const;
  Tensor squeeze(int64_t dim, Loc loc = Loc::current()) const;
  /// Dimensions start_dim..end_dim merged into one.
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1,
                 Loc loc = Loc::current()) const;
  /// reshape() (Ember's tensors are always contiguous).
  Tensor view(Shape shape, Loc loc = Loc::current()) const;
  /// A copy with its own values; gradients flow through it.
  Tensor clone(Loc loc = Loc::current()) const;
  /// The tensor itself: Ember's tensors are always contiguous.
  const Tensor &contiguous() const { return *this; }

  //===--------------------------------------------------------------------===//
  // In-place operations (Indexing.cpp). Like everything else they record:
  // the tensor (and every view sharing its values) takes the new value,
  // which is computed when needed. As in PyTorch, a leaf that requires grad
  // may be written only under NoGradGuard (then the write happens at once),
  // and backward() refuses a graph whose gradient needs a value that was
  // written over afterwards. Operands broadcast to this tensor's shape.
  //===--------------------------------------------------------------------===//

  const Tensor &add_(const Tensor &other, Loc loc = Loc::current()) const;
  const Tensor &add_(double other, Loc loc = Loc::current()) const;
  const Tensor &sub_(const Tensor &other, Loc loc = Loc::current()) const;
  const Tensor &sub_(double other, Loc loc = Loc::current()) const;
  const Tensor &mul_(const Tensor &other, Loc loc = Loc::current()) const;
  const Tensor &mul_(double other, Loc loc = Loc::current()) const;
  const Tensor &div_(const Tensor &other, Loc loc = Loc::current()) const;
  const Tensor &div_(double other, Loc loc = Loc::current()) const;
  /// The values of `src` (broadcast, converted to this tensor's dtype and
  /// moved to its device).
  const Tensor &copy_(const Tensor &src, Loc loc = Loc::current()) const;
  const Tensor &zero_(Loc loc = Loc::current()) const;
  const Tensor &fill_(double value, Loc loc = Loc::current()) const;
  const Tensor &clamp_(std::optional<double> min, std::optional<double> max,
                       Loc loc = Loc::current()) const;
  const Tensor &relu_(Loc loc = Loc::current()) const;
  const Tensor &masked_fill_(const Tensor &mask, double value,
                             Loc loc = Loc::current()) const;
  /// How many in-place writes this tensor's values have had (PyTorch's
  /// `_version`; views share their base's).
  uint64_t _version() const;

  /// The graph node holding this tensor's current value.
  const fe::NodePtr &node() const;

private:
  friend struct fe::TensorImpl;
  std::shared_ptr<fe::TensorImpl> impl_;
};

namespace indexing {
/// `None` in an index: a new dimension of size 1. As a slice bound: none.
struct NoneIndex {};
inline constexpr NoneIndex None{};
/// `...` in an index: as many full slices as the other indices leave.
struct EllipsisIndex {};
inline constexpr EllipsisIndex Ellipsis{};

/// A bound of a Slice: an integer or None.
struct SliceBound {
  SliceBound(NoneIndex) {}
  template <std::integral T>
  requires(!std::same_as<T, bool>) SliceBound(T v)
      : value(static_cast<int64_t>(v)) {}
  std::optional<int64_t> value;
};

/// Python's `start:stop:step` (each may be None): `Slice()` is `:`,
/// `Slice(1, None, 2)` is `1::2`.
struct Slice {
  Slice(SliceBound start = None, SliceBound stop = None, SliceBound step = None)
      : start(start.value), stop(stop.value), step(step.value) {}
  std::optional<int64_t> start, stop, step;
};

/// One entry of Tensor::index's list, as torch::indexing::TensorIndex.
class TensorIndex {
public:
  enum class Kind : uint8_t { None, Ellipsis, Integer, Slice, Tensor };
  TensorIndex(NoneIndex) : kind_(Kind::None) {}
  TensorIndex(EllipsisIndex) : kind_(Kind::Ellipsis) {}
  /// "..." is the Ellipsis (any other string is an error when used).
  TensorIndex(const char *text);
  template <std::integral T>
  requires(!std::same_as<T, bool>) TensorIndex(T i)
      : kind_(Kind::Integer), integer_(static_cast<int64_t>(i)) {}
  /// A bool would be taken for the integer 0 or 1.
  TensorIndex(bool) = delete;
  TensorIndex(Slice s) : kind_(Kind::Slice), slice_(s) {}
  TensorIndex(const ember::Tensor &t) : kind_(Kind::Tensor), tensor_(t) {}

  Kind kind() const { return kind_; }
  int64_t integer() const { return integer_; }
  const Slice &slice() const { return slice_; }
  const ember::Tensor &tensor() const { return tensor_; }

private:
  Kind kind_;
  int64_t integer_ = 0;
  Slice slice_;
  ember::Tensor tensor_;
};
} // namespace indexing

//===----------------------------------------------------------------------===//
// Arithmetic. Operands broadcast as in PyTorch; scalars take the tensor's type.
//===----------------------------------------------------------------------===//

Tensor operator+(detail::Located a, const Tensor &b);
Tensor operator-(detail::Located a, const Tensor &b);
Tensor operator*(detail::Located a, const Tensor &b);
Tensor operator/(detail::Located a, const Tensor &b);
Tensor operator+(detail::Located a, double b);
Tensor operator-(detail::Located a, double b);
Tensor operator*(detail::Located a, double b);
Tensor operator/(detail::Located a, double b);
Tensor add(const Tensor &a, const Tensor &b, Tensor::Loc loc = Tensor::Loc::current());
Tensor sub(const Tensor &a, const Tensor &b, Tensor::Loc loc = Tensor::Loc::current());
Tensor mul(const Tensor &a, const Tensor &b, Tensor::Loc loc = Tensor::Loc::current());
Tensor div(const Tensor &a, const Tensor &b, Tensor::Loc loc = Tensor::Loc::current());
Tensor operator+(double a, const Tensor &b);
Tensor operator-(double a, const Tensor &b);
Tensor operator*(double a, const Tensor &b);
Tensor operator/(double a, const Tensor &b);

Tensor matmul(const Tensor &a, const Tensor &b, Tensor::Loc loc = Tensor::Loc::current());
/// condition ? a : b, elementwise (PyTorch's torch.where); operands broadcast.
Tensor where(const Tensor &condition, const Tensor &a, const Tensor &b,
             Tensor::Loc loc = Tensor::Loc::current());
Tensor relu(const Tensor &x, Tensor::Loc loc = Tensor::Loc::current());
Tensor sigmoid(const Tensor &x, Tensor::Loc loc = Tensor::Loc::current());
Tensor tanh(const Tensor &x, Tensor::Loc loc = Tensor::Loc::current());
Tensor erf(const Tensor &x, Tensor::Loc loc = Tensor::Loc::current());
/// x * Phi(x) = 0.5 x (1 + erf(x / sqrt(2))), PyTorch's exact GELU.
Tensor gelu(const Tensor &x, Tensor::Loc loc = Tensor::Loc::current());
/// x·weightᵀ + bias, with weight as [out_features, in_features]. `bias` may
/// be undefined.
Tensor linear(const Tensor &x, const Tensor &weight, const Tensor &bias,
              Tensor::Loc loc = Tensor::Loc::current());

/// The tensors joined along `dim` (torch.cat): every other dimension must
/// match; dtypes and devices must agree.
Tensor cat(const std::vector<Tensor> &tensors, int64_t dim = 0,
           Tensor::Loc loc = Tensor::Loc::current());
/// The tensors, of one shape, stacked along a new dimension `dim`.
Tensor stack(const std::vector<Tensor> &tensors, int64_t dim = 0,
             Tensor::Loc loc = Tensor::Loc::current());
/// `input` with `input.slice(dim, start, end, step)` replaced by `src`
/// (torch.slice_scatter), as a new tensor.
Tensor slice_scatter(const Tensor &input, const Tensor &src, int64_t dim = 0,
                     std::optional<int64_t> start = std::nullopt,
                     std::optional<int64_t> end = std::nullopt,
                     int64_t step = 1,
                     Tensor::Loc loc = Tensor::Loc::current());

/// A size or step in two dimensions: one value for both, or
/// {height, width} (PyTorch's `int or tuple`).
struct Size2 {
  Size2(int64_t both) : h(both), w(both) {}
  Size2(int64_t height, int64_t width) : h(height), w(width), pair(true) {}
  int64_t h, w;
  /// Given as {height, width} (modules print it as PyTorch prints a tuple).
  bool pair = false;
};

/// 2-D convolution (cross-correlation), as torch.nn.functional.conv2d:
/// `input` [N, C, H, W] (or [C, H, W], one sample), `weight`
/// [F, C / groups, KH, KW], `bias` [F] or undefined. The result is
/// [N, F, OH, OW], OH = (H + 2 * padding.h - dilation.h * (KH - 1) - 1) /
/// stride.h + 1 (likewise OW); the input is zero-padded on each side.
Tensor conv2d(const Tensor &input, const Tensor &weight,
              const Tensor &bias = Tensor(), Size2 stride = 1,
              Size2 padding = 0, Size2 dilation = 1, int64_t groups = 1,
              Tensor::Loc loc = Tensor::Loc::current());
/// The gradient of conv2d's input [N, C, H, W] (`input_shape`), given the
/// gradient of its result and its weight (torch.nn.grad.conv2d_input).
Tensor conv2d_grad_input(const Tensor &grad_output, const Tensor &weight,
                         Shape input_shape, Size2 stride = 1, Size2 padding = 0,
                         Size2 dilation = 1, int64_t groups = 1,
                         Tensor::Loc loc = Tensor::Loc::current());
/// The gradient of conv2d's weight [F, C / groups, KH, KW]
/// (`weight_shape`), given its input and the gradient of its result
/// (torch.nn.grad.conv2d_weight).
Tensor conv2d_grad_weight(const Tensor &input, const Tensor &grad_output,
                          Shape weight_shape, Size2 stride = 1,
                          Size2 padding = 0, Size2 dilation = 1,
                          int64_t groups = 1,
                          Tensor::Loc loc = Tensor::Loc::current());

/// 2-D max pooling, as torch.nn.functional.max_pool2d (ceil_mode=False):
/// `input` [N, C, H, W] (or [C, H, W]); `stride` defaults to
/// `kernel_size`; padding (never the maximum) is at most half the window.
/// The gradient goes to the element PyTorch returns as each window's index.
Tensor max_pool2d(const Tensor &input, Size2 kernel_size,
                  std::optional<Size2> stride = std::nullopt, Size2 padding = 0,
                  Size2 dilation = 1, Tensor::Loc loc = Tensor::Loc::current());
/// The gradient of max_pool2d's `input` given that of its result.
Tensor max_pool2d_grad(const Tensor &grad_output, const Tensor &input,
                       Size2 kernel_size, Size2 stride, Size2 padding,
                       Size2 dilation,
                       Tensor::Loc loc = Tensor::Loc::current());
/// 2-D average pooling, as torch.nn.functional.avg_pool2d with
/// ceil_mode=False and count_include_pad=True (padding counts as zeros);
/// `stride` defaults to `kernel_size`.
Tensor avg_pool2d(const Tensor &input, Size2 kernel_size,
                  std::optional<Size2> stride = std::nullopt, Size2 padding = 0,
                  Tensor::Loc loc = Tensor::Loc::current());
/// Average pooling to `output_size` [OH, OW], as
/// torch.nn.functional.adaptive_avg_pool2d: output row i averages input
/// rows floor(i * H / OH) to ceil((i + 1) * H / OH) - 1 (likewise columns).
Tensor adaptive_avg_pool2d(const Tensor &input, Size2 output_size,
                           Tensor::Loc loc = Tensor::Loc::current());

//===----------------------------------------------------------------------===//
// Creation. These produce tensors with known values at once.
//===----------------------------------------------------------------------===//

/// A tensor from nested lists: tensor({{0.0, 1.3}, {2.8, 3.3}}).
Tensor tensor(const NestedList &values, DType dtype = DType::Float32,
              Tensor::Loc loc = Tensor::Loc::current());
/// A tensor of `shape` holding `values` in row-major order.
Tensor tensor(const std::vector<float> &values, Shape shape,
              Tensor::Loc loc = Tensor::Loc::current());
Tensor tensor(const std::vector<double> &values, Shape shape, DType dtype,
              Tensor::Loc loc = Tensor::Loc::current());
Tensor tensor(const std::vector<int64_t> &values, Shape shape,
              Tensor::Loc loc = Tensor::Loc::current());
/// A tensor whose elements are to be written through data_ptr() (they start
/// as zeros).
Tensor empty(Shape shape, DType dtype = DType::Float32);
Tensor zeros(Shape shape, DType dtype = DType::Float32);
Tensor ones(Shape shape, DType dtype = DType::Float32);
Tensor full(Shape shape, double value, DType dtype = DType::Float32);
/// 0, 1, ..., end-1.
Tensor arange(double end, DType dtype = DType::Float32);
/// start, start+step, ... (excluding end).
Tensor arange(double start, double end, double step = 1,
              DType dtype = DType::Float32,
              Tensor::Loc loc = Tensor::Loc::current());
/// Uniform on [0, 1), from the global generator.
Tensor rand(Shape shape, DType dtype = DType::Float32);
/// Standard normal, from the global generator.
Tensor randn(Shape shape, DType dtype = DType::Float32);
/// The n x m (n x n) identity matrix: ones on the diagonal (torch.eye).
Tensor eye(int64_t n, std::optional<int64_t> m = std::nullopt,
           DType dtype = DType::Float32);
/// Tensors of `like`'s shape, dtype and device (torch.zeros_like, ...).
Tensor zeros_like(const Tensor &like);
Tensor ones_like(const Tensor &like);
Tensor full_like(const Tensor &like, double value);
Tensor rand_like(const Tensor &like);
Tensor randn_like(const Tensor &like);
/// A tensor of `shape` and `dtype` holding a copy of the elements at
/// `data` (dense, row-major). Unlike LibTorch's from_blob, which wraps the
/// memory, this copies: Ember's tensors own their buffers (aligned for the
/// generated code), so later writes to `data` do not reach the tensor.
Tensor from_blob(const void *data, Shape shape, DType dtype = DType::Float32,
                 Tensor::Loc loc = Tensor::Loc::current());
/// Seeds the global generator rand() and randn() draw from.
void manual_seed(uint64_t seed);

/// Prints as PyTorch does: tensor([[0.0000, 1.3000], ...]).
std::ostream &operator<<(std::ostream &os, const Tensor &t);

/// While alive, operations record no autograd information (PyTorch's
/// torch.no_grad()). Per thread.
class NoGradGuard {
public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard &) = delete;
  NoGradGuard &operator=(const NoGradGuard &) = delete;

private:
  bool previous_;
};

/// Whether operations on this thread record autograd information.
bool is_grad_enabled();

/// The gradients of `outputs` with respect to `inputs` (torch.autograd.grad):
/// lazy tensors, one per input, which may be any tensors the outputs were
/// computed from (not only leaves); no leaf's grad() changes.
/// `grad_outputs` (one per output, or none for single-element outputs)
/// seed the outputs. An input the outputs do not depend on is an error
/// unless allow_unused (then its gradient is undefined). With create_graph
/// the gradients can be differentiated again (second derivatives).
/// retain_graph changes nothing, as for backward().
std::vector<Tensor> grad(const std::vector<Tensor> &outputs,
                         const std::vector<Tensor> &inputs,
                         const std::vector<Tensor> &grad_outputs = {},
                         bool retain_graph = false, bool create_graph = false,
                         bool allow_unused = false,
                         Tensor::Loc loc = Tensor::Loc::current());

/// Anomaly detection, as torch.autograd.set_detect_anomaly: while on, the
/// floating-point results of every graph realised on the CPU are checked,
/// and a NaN or infinity throws ember::Error naming the first op that
/// produced one and where it was recorded (the graph is recomputed one op
/// at a time to find it). The check runs before the results are used, so
/// an optimizer step that would write NaN into the parameters leaves them
/// as they were. Off by default (it reads every result);
/// EMBER_DETECT_ANOMALY=1 turns it on.
void set_detect_anomaly(bool enabled);
bool is_anomaly_enabled();

/// Counters of the compiled-graph cache.
struct CacheStats {
  uint64_t compilations = 0; ///< graphs compiled (cache misses)
  uint64_t hits = 0;         ///< realisations served by a compiled graph
  uint64_t entries = 0;      ///< compiled graphs held
  uint64_t loaded = 0;       ///< graphs loaded from the on-disk cache
  uint64_t stored = 0;       ///< graphs written to the on-disk cache
  /// GPU runs of the graphs held: captured as a CUDA graph, replayed as
  /// one, or launched kernel by kernel (rt::cuda::GpuExecutable).
  uint64_t gpuGraphCaptures = 0, gpuGraphReplays = 0, gpuDirectRuns = 0;
  /// Of the graphs compiled or loaded: those with the ops of an earlier
  /// graph and other input shapes or dtypes, and those an earlier graph
  /// was for another device or CPU target (EMBER_LOG=recompiles prints
  /// each graph's reason as it compiles).
  uint64_t newShapes = 0, newTargets = 0;
};
CacheStats cache_stats();

/// What Ember logs to stderr, as EMBER_LOG: a comma-separated list of
/// topics ("" for none). "recompiles": every graph that is compiled (or
/// loaded from the on-disk cache), with the user's line that realised it
/// and why it is new: the first graph, the ops of an earlier graph with
/// other inputs (which inputs, their shapes then and now), the same graph
/// for another device or CPU target, or new ops (the first line that
/// differs from the nearest earlier graph).
void set_log(const std::string &topics);

/// Drops the compiled graphs held in memory (tensors keep their values;
/// the next realisation of each graph loads or compiles it again).
void clear_compile_cache();

/// The folder of the on-disk cache of compiled CPU graphs, which lets the
/// next process skip compiling the graphs this one compiled. By default
/// EMBER_CACHE_DIR ("off" disables it), else $XDG_CACHE_HOME/ember, else
/// ~/.cache/ember. "" disables it. See docs/performance.md.
void set_compile_cache_dir(const std::string &dir);
/// The folder in use ("" when the on-disk cache is disabled).
std::string compile_cache_dir();

/// The CPU that compiled CPU graphs are generated for: "" (the default)
/// is this machine's CPU with all its features; an LLVM CPU name
/// ("haswell" or "x86-64-v3" for AVX2, "skylake-avx512", "znver4") makes
/// code for that CPU instead, e.g. code that also runs on older machines,
/// or to check the AVX2 kernels on an AVX-512 machine. EMBER_CPU sets the
/// default. An unknown name fails the next compilation with an
/// ember::Error naming it.
void set_cpu_target(const std::string &cpu);
std::string cpu_target();

/// The recorded graph computing `outputs`, as ember IR (MLIR text): one
/// public func.func whose arguments are the tensors with known values it
/// reads (in the order they are first used) and whose results are
/// `outputs`. This is the text realisation compiles; `graphc` and
/// `ember-opt` read it too.
std::string export_graph(const std::vector<Tensor> &outputs,
                         Tensor::Loc loc = Tensor::Loc::current());
/// The same with chosen arguments: `inputs` become the function's
/// arguments, in that order, and every other tensor with known values (the
/// weights) is written into the graph as a constant, so that a compiled
/// artifact carries it.
std::string export_graph(const std::vector<Tensor> &outputs,
                         const std::vector<Tensor> &inputs,
                         Tensor::Loc loc = Tensor::Loc::current());

/// Computes several tensors in one compiled graph (shared work is done once).
void realize(const std::vector<Tensor> &tensors,
             Tensor::Loc loc = Tensor::Loc::current());

} // namespace ember

#endif // EMBER_FRONTEND_TENSOR_H
