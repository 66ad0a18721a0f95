//===- Init.cpp - Parameter initialisation (torch.nn.init) ----------------===//
//
// Part of Ember.
//
//===----------------------------------------------------------------------===//

#include "ember/nn/Init.h"

#include "../Realize.h"

#include <fmt/format.h>

#include <cmath>

namespace ember::nn::init {
namespace {

[[noreturn]] void fail(const char *fn, const std::string &what,
                       Tensor::Loc loc) {
  throw Error(fmt::format("{}: {} (at {})", fn, what, fe::formatLocation(loc)));
}

enum class Draw { Constant, Uniform, Normal };

/// Overwrites the leaf `t` in place with shift + scale * X, X drawn from
/// U(0, 1), N(0, 1) or 0 (Constant).
Tensor overwrite(const Tensor &t, const char *fn, Draw draw, double shift,
                 double scale, Tensor::Loc loc) {
  if (!t.defined())
    fail(fn, "the tensor is undefined", loc);
  const fe::NodePtr &node = t.node();
  if (node->kind != fe::OpKind::Leaf)
    fail(fn,
         fmt::format("only a leaf tensor (a parameter, or one made by "
                     "zeros(), rand()...) can be initialised in place; this "
                     "one is the result of {}",
                     fe::opName(node->kind)),
         loc);
  if (!isFloatingPoint(node->dtype))
    fail(fn,
         fmt::format("only floating-point tensors can be initialised, not {}",
                     dtypeName(node->dtype)),
         loc);
  NoGradGuard noGrad;
  std::vector<double> values(static_cast<size_t>(node->numel()), 0.0);
  if (draw == Draw::Uniform)
    values = rand(node->shape, DType::Float64).to_vector<double>();
  else if (draw == Draw::Normal)
    values = randn(node->shape, DType::Float64).to_vector<double>();
  for (double &v : values)
    v = shift + scale * v;
  Tensor value = tensor(values, node->shape, node->dtype).to(node->device, loc);
  value.realize();
  fe::setLeafData(*node, value.node()->data, value.node()->deviceData);
  return t;
}

/// {fan in, fan out}; errors name `fn`.
std::pair<int64_t, int64_t> fans(const Tensor &t, const char *fn,
                                 Tensor::Loc loc) {
  if (!t.defined())
    fail(fn, "the tensor is undefined", loc);
  if (t.dim() < 2)
    fail(fn,
         fmt::format("fan in and fan out cannot be computed for a tensor of "
                     "rank {} (shape {}); it needs rank 2 or more",
                     t.dim(), fe::shapeString(t.shape())),
         loc);
  int64_t receptive = 1;
  for (int64_t d = 2; d < t.dim(); ++d)
    receptive *= t.shape()[d];
  return {t.shape()[1] * receptive, t.shape()[0] * receptive};
}

int64_t fan(const Tensor &t, FanMode mode, const char *fn, Tensor::Loc loc) {
  auto [in, out] = fans(t, fn, loc);
  return mode == FanMode::FanIn ? in : out;
}

} // namespace

double calculate_gain(const std::string &nonlinearity, double param,
                      Tensor::Loc loc) {
  for (const char *linear :
       {"linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
        "conv_transpose2d", "conv_transpose3d", "sigmoid"})
    if (nonlinearity == linear)
      return 1;
  if (nonlinearity == "tanh")
    return 5.0 / 3;
  if (nonlinearity == "relu")
    return std::sqrt(2.0);
  if (nonlinearity == "leaky_relu")
    return std::sqrt(2.0 / (1 + param * param));
  if (nonlinearity == "selu")
    return 3.0 / 4;
  fail("calculate_gain",
       fmt::format("unsupported nonlinearity '{}' (linear, conv1d, conv2d, "
                   "conv3d, conv_transpose1d/2d/3d, sigmoid, tanh, relu, "
                   "leaky_relu, selu)",
                   nonlinearity),
       loc);
}

std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor &t,
                                                         Tensor::Loc loc) {
  return fans(t, "calculate_fan_in_and_fan_out", loc);
}

Tensor uniform_(const Tensor &t, double a, double b, Tensor::Loc loc) {
  if (!(a <= b))
    fail("uniform_", fmt::format("a must be <= b, got a={}, b={}", a, b), loc);
  return overwrite(t, "uniform_", Draw::Uniform, a, b - a, loc);
}

Tensor normal_(const Tensor &t, double mean, double std, Tensor::Loc loc) {
  if (!(std >= 0))
    fail("normal_", fmt::format("std must be >= 0, got {}", std), loc);
  return overwrite(t, "normal_", Draw::Normal, mean, std, loc);
}

Tensor constant_(const Tensor &t, double value, Tensor::Loc loc) {
  return overwrite(t, "constant_", Draw::Constant, value, 0, loc);
}

Tensor zeros_(const Tensor &t, Tensor::Loc loc) {
  return overwrite(t, "zeros_", Draw::Constant, 0, 0, loc);
}

Tensor ones_(const Tensor &t, Tensor::Loc loc) {
  return overwrite(t, "ones_", Draw::Constant, 1, 0, loc);
}

namespace {
/// gain * sqrt(2 / (fan_in + fan_out)).
double xavierStd(const Tensor &t, double gain, const char *fn,
                 Tensor::Loc loc) {
  auto [in, out] = fans(t, fn, loc);
  return gain * std::sqrt(2.0 / static_cast<double>(in + out));
}

/// calculate_gain(nonlinearity, a) / sqrt(fan).
double kaimingStd(const Tensor &t, double a, FanMode mode,
                  const std::string &nonlinearity, const char *fn,
                  Tensor::Loc loc) {
  double gain = calculate_gain(nonlinearity, a, loc);
  return gain / std::sqrt(static_cast<double>(fan(t, mode, fn, loc)));
}
} // namespace

Tensor xavier_uniform_(const Tensor &t, double gain, Tensor::Loc loc) {
  double a = std::sqrt(3.0) * xavierStd(t, gain, "xavier_uniform_", loc);
  return overwrite(t, "xavier_uniform_", Draw::Uniform, -a, 2 * a, loc);
}

Tensor xavier_normal_(const Tensor &t, double gain, Tensor::Loc loc) {
  return overwrite(t, "xavier_normal_", Draw::Normal, 0,
                   xavierStd(t, gain, "xavier_normal_", loc), loc);
}

Tensor kaiming_uniform_(const Tensor &t, double a, FanMode mode,
                        const std::string &nonlinearity, Tensor::Loc loc) {
  double bound = std::sqrt(3.0) *
                 kaimingStd(t, a, mode, nonlinearity, "kaiming_uniform_", loc);
  return overwrite(t, "kaiming_uniform_", Draw::Uniform, -bound, 2 * bound,
                   loc);
}

Tensor kaiming_normal_(const Tensor &t, double a, FanMode mode,
                       const std::string &nonlinearity, Tensor::Loc loc) {
  return overwrite(t, "kaiming_normal_", Draw::Normal, 0,
                   kaimingStd(t, a, mode, nonlinearity, "kaiming_normal_", loc),
                   loc);
}

} // namespace ember::nn::init
