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

#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <optional>
#include <source_location>
#include <vector>

namespace ember {

class Tensor;

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
  explicit Tensor(fe::NodePtr node) : node_(std::move(node)) {}

  bool defined() const { return node_ != nullptr; }
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

  /// The graph node this tensor refers to.
  const fe::NodePtr &node() const { return node_; }

private:
  fe::NodePtr node_;
};

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
