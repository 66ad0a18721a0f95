//===- Utils.h - Gradient clipping (torch.nn.utils) -------------*- C++ -*-===//
//
// Part of Ember. Clipping rewrites the parameters' lazy gradients: the
// clipped gradients (and the total norm) are computed inside the optimizer
// step's one compiled graph, like the gradients themselves. Call it between
// loss.backward() and optimizer.step(), as in PyTorch.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_NN_UTILS_H
#define EMBER_NN_UTILS_H

#include "ember/frontend/Tensor.h"

#include <vector>

namespace ember::nn::utils {

/// Scales the gradients of `parameters` (those that have one) by
/// min(1, max_norm / (total_norm + 1e-6)), where total_norm is the norm of
/// all the gradients together, as one vector; returns total_norm (a rank-0
/// tensor, lazy). norm_type is 1, 2 or INFINITY (another is an error).
/// With error_if_nonfinite, the norm is computed now (before the step)
/// and a NaN or infinite one throws.
Tensor clip_grad_norm_(const std::vector<Tensor> &parameters, double max_norm,
                       double norm_type = 2, bool error_if_nonfinite = false,
                       Tensor::Loc loc = Tensor::Loc::current());

/// Clamps every gradient element to [-clip_value, clip_value].
void clip_grad_value_(const std::vector<Tensor> &parameters, double clip_value,
                      Tensor::Loc loc = Tensor::Loc::current());

} // namespace ember::nn::utils

#endif // EMBER_NN_UTILS_H
