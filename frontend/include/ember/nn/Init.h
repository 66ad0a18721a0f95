//===- Init.h - Parameter initialisation (torch.nn.init) --------*- C++ -*-===//
//
// Part of Ember. Each function overwrites a leaf tensor (a parameter, say)
// in place with values drawn from the global generator (ember::manual_seed),
// on whatever device the tensor is, and returns it; the formulas for the
// bounds and standard deviations are torch.nn.init's. The numbers drawn are
// Ember's own (a seed gives the same values on every device), not
// PyTorch's. Errors (a tensor that is not a leaf, not floating-point, or of
// rank < 2 where fans are needed) name the function and the caller's line.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_NN_INIT_H
#define EMBER_NN_INIT_H

#include "ember/frontend/Tensor.h"

#include <string>
#include <utility>

namespace ember::nn::init {

/// torch.nn.init.calculate_gain: "linear", "conv1d", "conv2d", "conv3d",
/// "conv_transpose1d/2d/3d", "sigmoid" -> 1; "tanh" -> 5/3; "relu" ->
/// sqrt(2); "leaky_relu" -> sqrt(2 / (1 + param^2)) (param defaults to
/// 0.01); "selu" -> 3/4.
double calculate_gain(const std::string &nonlinearity, double param = 0.01,
                      Tensor::Loc loc = Tensor::Loc::current());
/// {fan_in, fan_out} of a weight of rank >= 2: dim 1 (fan in) and dim 0
/// (fan out) times the product of the dims after the first two.
std::pair<int64_t, int64_t>
calculate_fan_in_and_fan_out(const Tensor &t,
                             Tensor::Loc loc = Tensor::Loc::current());

enum class FanMode { FanIn, FanOut };

Tensor uniform_(const Tensor &t, double a = 0, double b = 1,
                Tensor::Loc loc = Tensor::Loc::current());
Tensor normal_(const Tensor &t, double mean = 0, double std = 1,
               Tensor::Loc loc = Tensor::Loc::current());
Tensor constant_(const Tensor &t, double value,
                 Tensor::Loc loc = Tensor::Loc::current());
Tensor zeros_(const Tensor &t, Tensor::Loc loc = Tensor::Loc::current());
Tensor ones_(const Tensor &t, Tensor::Loc loc = Tensor::Loc::current());
/// U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)).
Tensor xavier_uniform_(const Tensor &t, double gain = 1,
                       Tensor::Loc loc = Tensor::Loc::current());
/// N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)).
Tensor xavier_normal_(const Tensor &t, double gain = 1,
                      Tensor::Loc loc = Tensor::Loc::current());
/// U(-b, b), b = gain * sqrt(3 / fan), gain = calculate_gain(nonlinearity,
/// a).
Tensor kaiming_uniform_(const Tensor &t, double a = 0,
                        FanMode mode = FanMode::FanIn,
                        const std::string &nonlinearity = "leaky_relu",
                        Tensor::Loc loc = Tensor::Loc::current());
/// N(0, std^2), std = gain / sqrt(fan).
Tensor kaiming_normal_(const Tensor &t, double a = 0,
                       FanMode mode = FanMode::FanIn,
                       const std::string &nonlinearity = "leaky_relu",
                       Tensor::Loc loc = Tensor::Loc::current());

} // namespace ember::nn::init

#endif // EMBER_NN_INIT_H
