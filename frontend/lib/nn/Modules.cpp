//===- Modules.cpp - The layers of the Quickstart -------------------------===//
//
// Part of Ember.
//
//===----------------------------------------------------------------------===//

#include "ember/nn/Modules.h"

#include "../Realize.h"
#include "../TensorImpl.h"

#include <fmt/format.h>

#include <cmath>

namespace ember::nn {
namespace {

/// A float32 leaf drawn from U(-bound, bound) by the global generator.
Tensor uniform(Shape shape, double bound) {
  Tensor t = rand(std::move(shape));
  float *p = t.data_ptr<float>();
  for (int64_t i = 0; i < t.numel(); ++i)
    p[i] = static_cast<float>((2.0 * p[i] - 1.0) * bound);
  return t;
}

} // namespace

Linear::Linear(int64_t in, int64_t out, bool withBias)
    : in_features(in), out_features(out) {
  if (in <= 0 || out <= 0)
    throw Error(fmt::format("Linear({}, {}): sizes must be positive", in, out));
  double bound = 1.0 / std::sqrt(static_cast<double>(in));
  weight = uniform({out, in}, bound);
  register_parameter("weight", weight);
  if (withBias) {
    bias = uniform({out}, bound);
    register_parameter("bias", bias);
  }
}

Tensor Linear::forward(const Tensor &input) {
  if (input.dim() != 2 || input.size(1) != in_features)
    throw Error(fmt::format("Linear(in_features={}): input of shape [{}] does "
                            "not have {} features in its last dimension",
                            in_features, fmt::join(input.shape(), ", "),
                            in_features));
  return linear(input, weight, bias);
}

std::string Linear::extra_repr() const {
  return fmt::format("in_features={}, out_features={}, bias={}", in_features,
                     out_features, bias.defined() ? "True" : "False");
}

Conv2d::Conv2d(int64_t in, int64_t out, Size2 kernel, Size2 stride_,
               Size2 padding_, Size2 dilation_, int64_t groups_, bool withBias)
    : in_channels(in), out_channels(out), kernel_size(kernel), stride(stride_),
      padding(padding_), dilation(dilation_), groups(groups_) {
  std::string self = "Conv2d(" + extra_repr() + ")";
  if (in <= 0 || out <= 0 || kernel.h <= 0 || kernel.w <= 0)
    throw Error(self + ": channels and kernel sizes must be positive");
  if (stride.h <= 0 || stride.w <= 0 || dilation.h <= 0 || dilation.w <= 0 ||
      padding.h < 0 || padding.w < 0)
    throw Error(self + ": strides and dilations must be positive, padding "
                       "at least 0");
  if (groups <= 0 || in % groups != 0 || out % groups != 0)
    throw Error(self + ": in_channels and out_channels must be divisible by "
                       "groups");
  int64_t fanIn = in / groups * kernel.h * kernel.w;
  double bound = 1.0 / std::sqrt(static_cast<double>(fanIn));
  weight = uniform({out, in / groups, kernel.h, kernel.w}, bound);
  register_parameter("weight", weight);
  if (withBias) {
    bias = uniform({out}, bound);
    register_parameter("bias", bias);
  }
}

Tensor Conv2d::forward(const Tensor &input) {
  int64_t rank = input.dim();
  if ((rank != 3 && rank != 4) || input.size(rank - 3) != in_channels)
    throw Error(fmt::format("Conv2d({}): input of shape [{}] is not "
                            "[N, {}, H, W] or [{}, H, W]",
                            extra_repr(), fmt::join(input.shape(), ", "),
                            in_channels, in_channels));
  return conv2d(input, weight, bias, stride, padding, dilation, groups);
}

std::string Conv2d::extra_repr() const {
  // PyTorch's form: padding, dilation and groups only when not the default.
  std::string s = fmt::format("{}, {}, kernel_size=({}, {}), stride=({}, {})",
                              in_channels, out_channels, kernel_size.h,
                              kernel_size.w, stride.h, stride.w);
  if (padding.h != 0 || padding.w != 0)
    s += fmt::format(", padding=({}, {})", padding.h, padding.w);
  if (dilation.h != 1 || dilation.w != 1)
    s += fmt::format(", dilation=({}, {})", dilation.h, dilation.w);
  if (groups != 1)
    s += fmt::format(", groups={}", groups);
  if (!bias.defined() && weight.defined())
    s += ", bias=False";
  return s;
}

namespace {
/// A size as PyTorch prints what it was given: "2" or "(2, 3)".
std::string sizeRepr(const Size2 &s) {
  return s.pair ? fmt::format("({}, {})", s.h, s.w) : std::to_string(s.h);
}
} // namespace

std::string MaxPool2d::extra_repr() const {
  return fmt::format(
      "kernel_size={}, stride={}, padding={}, dilation={}, ceil_mode=False",
      sizeRepr(kernel_size), sizeRepr(stride), sizeRepr(padding),
      sizeRepr(dilation));
}

std::string AvgPool2d::extra_repr() const {
  return fmt::format("kernel_size={}, stride={}, padding={}",
                     sizeRepr(kernel_size), sizeRepr(stride),
                     sizeRepr(padding));
}

std::string AdaptiveAvgPool2d::extra_repr() const {
  return "output_size=" + sizeRepr(output_size);
}

namespace functional {

Tensor batch_norm(const Tensor &input, const Tensor &running_mean,
                  const Tensor &running_var, const Tensor &weight,
                  const Tensor &bias, bool training, double momentum,
                  double eps, Tensor::Loc loc) {
  auto fail = [&](const std::string &what) {
    throw Error(
        fmt::format("batch_norm: {} (at {})", what, fe::formatLocation(loc)));
  };
  if (!input.defined() || input.dim() < 2)
    fail("input should be [N, C, ...]");
  int64_t rank = input.dim(), channels = input.size(1);
  std::vector<int64_t> dims = {0};
  Shape perChannel(rank, 1);
  perChannel[1] = channels;
  for (int64_t d = 2; d < rank; ++d)
    dims.push_back(d);
  for (const Tensor *t : {&running_mean, &running_var, &weight, &bias})
    if (t->defined() && t->shape() != Shape{channels})
      fail(fmt::format("input [{}] has {} channels, but a statistic or "
                       "parameter is [{}]",
                       fmt::join(input.shape(), ", "), channels,
                       fmt::join(t->shape(), ", ")));
  auto channelwise = [&](const Tensor &t) {
    return t.reshape(perChannel, loc);
  };
  // Each channel's scale, 1 / sqrt(var + eps) times the weight, on [C]: the
  // activations are then multiplied once, as PyTorch's kernels do, where a
  // division and a multiplication of every element (and their gradients'
  // divisions by var + eps) cost several passes' worth of divides.
  auto scaleOf = [&](const Tensor &var) {
    Tensor scale = 1.0 / (var + eps).sqrt(loc);
    return weight.defined() ? scale * weight : scale;
  };
  Tensor y;
  if (training) {
    int64_t count = input.numel() / channels;
    if (count <= 1)
      fail(fmt::format("expected more than 1 value per channel when "
                       "training, got input [{}]",
                       fmt::join(input.shape(), ", ")));
    Tensor mean = input.mean(dims, false, loc);
    Tensor centred = input - channelwise(mean);
    Tensor var = (centred * centred).mean(dims, false, loc);
    y = centred * channelwise(scaleOf(var));
    // The running statistics: no gradient, updated with the next graph.
    NoGradGuard noGrad;
    auto update = [&](const Tensor &running, const Tensor &batch) {
      if (!running.defined())
        return;
      // A buffer written in place (reset_running_stats' zero_()) holds a
      // recorded value: computed now, it becomes a leaf again.
      if (!running.requires_grad())
        fe::materializeLeaf(running, loc);
      if (running.node()->kind != fe::OpKind::Leaf || running.requires_grad())
        fail("running statistics must be tensors with values that do not "
             "require grad");
      Tensor current(fe::pendingValue(running.node()));
      Tensor next = current * (1.0 - momentum) + batch.detach() * momentum;
      fe::assignLater(running.node(), next.node());
    };
    update(running_mean, mean);
    update(running_var,
           var * (static_cast<double>(count) / static_cast<double>(count - 1)));
  } else {
    if (!running_mean.defined() || !running_var.defined())
      fail("running_mean and running_var are needed when not training");
    Tensor mean(fe::pendingValue(running_mean.node()));
    Tensor var(fe::pendingValue(running_var.node()));
    y = (input - channelwise(mean)) * channelwise(scaleOf(var));
  }
  if (bias.defined())
    y = y + channelwise(bias);
  return y;
}

Tensor dropout(const Tensor &input, double p, bool training, Tensor::Loc loc) {
  if (!(p >= 0 && p <= 1))
    throw Error(fmt::format("dropout: probability {} is not in [0, 1] (at {})",
                            p, fe::formatLocation(loc)));
  if (!input.defined())
    throw Error(fmt::format("dropout: the tensor is undefined (at {})",
                            fe::formatLocation(loc)));
  if (!training || p == 0)
    return input;
  if (!isFloatingPoint(input.dtype()))
    throw Error(fmt::format("dropout: expects a floating-point input, got {} "
                            "(at {})",
                            dtypeName(input.dtype()), fe::formatLocation(loc)));
  Tensor zero = zeros({}, input.dtype());
  if (p == 1)
    return input * 0.0; // (as PyTorch: a NaN stays NaN)
  Tensor u(
      fe::randomUniform(input.shape(), input.dtype(), input.device(), loc));
  Tensor keep = u.ge(full({}, p, input.dtype()), loc);
  return where(keep, input * (1.0 / (1.0 - p)), zero, loc);
}

} // namespace functional

Dropout::Dropout(double p_) : p(p_) {
  if (!(p >= 0 && p <= 1))
    throw Error(fmt::format("Dropout({}): probability is not in [0, 1]", p));
}

Tensor Dropout::forward(const Tensor &input) {
  return functional::dropout(input, p, is_training());
}

std::string Dropout::extra_repr() const {
  return fmt::format("p={}, inplace=False", p);
}

BatchNorm2d::BatchNorm2d(int64_t features, double eps_, double momentum_,
                         bool affine_, bool track)
    : num_features(features), eps(eps_), momentum(momentum_), affine(affine_),
      track_running_stats(track) {
  if (features <= 0)
    throw Error(fmt::format("BatchNorm2d({}): num_features must be positive",
                            features));
  // PyTorch's reset_parameters: weight 1, bias 0, mean 0, variance 1.
  if (affine) {
    weight = ones({features});
    bias = zeros({features});
    register_parameter("weight", weight);
    register_parameter("bias", bias);
  }
  if (track) {
    running_mean = zeros({features});
    running_var = ones({features});
    num_batches_tracked = zeros({}, DType::Int64);
    register_buffer("running_mean", running_mean);
    register_buffer("running_var", running_var);
    register_buffer("num_batches_tracked", num_batches_tracked);
  }
}

Tensor BatchNorm2d::forward(const Tensor &input) {
  if (input.dim() != 4 || input.size(1) != num_features)
    throw Error(fmt::format("BatchNorm2d({}): input of shape [{}] is not "
                            "[N, {}, H, W]",
                            num_features, fmt::join(input.shape(), ", "),
                            num_features));
  bool batchStatistics = is_training() || !track_running_stats;
  if (is_training() && track_running_stats) {
    NoGradGuard noGrad;
    Tensor count(fe::pendingValue(num_batches_tracked.node()));
    fe::assignLater(num_batches_tracked.node(),
                    (count + ones({}, DType::Int64).to(count.device())).node());
  }
  return functional::batch_norm(input, running_mean, running_var, weight, bias,
                                batchStatistics, momentum, eps);
}

std::string BatchNorm2d::extra_repr() const {
  return fmt::format("{}, eps={}, momentum={}, affine={}, "
                     "track_running_stats={}",
                     num_features, eps, momentum, affine ? "True" : "False",
                     track_running_stats ? "True" : "False");
}

Tensor Flatten::forward(const Tensor &input) {
  int64_t rank = input.dim();
  int64_t start = start_dim < 0 ? start_dim + rank : start_dim;
  int64_t end = end_dim < 0 ? end_dim + rank : end_dim;
  if (start < 0 || end >= rank || start > end)
    throw Error(fmt::format("Flatten(start_dim={}, end_dim={}): invalid for a "
                            "tensor of rank {}",
                            start_dim, end_dim, rank));
  Shape shape(input.shape().begin(), input.shape().begin() + start);
  int64_t flat = 1;
  for (int64_t i = start; i <= end; ++i)
    flat *= input.shape()[i];
  shape.push_back(flat);
  shape.insert(shape.end(), input.shape().begin() + end + 1,
               input.shape().end());
  return input.reshape(shape);
}

std::string Flatten::extra_repr() const {
  return fmt::format("start_dim={}, end_dim={}", start_dim, end_dim);
}

Sequential::Sequential(std::initializer_list<AnyModule> modules) {
  size_t i = 0;
  for (const AnyModule &m : modules) {
    modules_.push_back(m.get());
    register_owned_module(std::to_string(i++), m.get());
  }
}

Tensor Sequential::forward(const Tensor &input) {
  Tensor x = input;
  for (const auto &m : modules_)
    x = m->forward(x);
  return x;
}

} // namespace ember::nn
