//===- Utils.cpp - Gradient clipping (torch.nn.utils) ---------------------===//
//
// Part of Ember.
//
//===----------------------------------------------------------------------===//

#include "ember/nn/Utils.h"

#include "../Realize.h"

#include <fmt/format.h>

#include <cmath>

namespace ember::nn::utils {
namespace {

/// The larger of a and b; a NaN in either is kept (torch.maximum).
Tensor larger(const Tensor &a, const Tensor &b) {
  return where(a.ne(a), a, where(a.ge(b), a, b));
}

/// Replaces p's gradient (a lazy tensor) with `g`.
void setGrad(const Tensor &p, const Tensor &g) { p.node()->grad = g.node(); }

} // namespace

Tensor clip_grad_norm_(const std::vector<Tensor> &parameters, double max_norm,
                       double norm_type, bool error_if_nonfinite,
                       Tensor::Loc loc) {
  NoGradGuard noGrad;
  fe::CallerLocation at(loc);
  bool inf = std::isinf(norm_type) && norm_type > 0;
  if (!(norm_type == 1 || norm_type == 2 || inf))
    throw Error(fmt::format("clip_grad_norm_: norm_type {} is not supported "
                            "(1, 2 or INFINITY) (at {})",
                            norm_type, fe::formatLocation(loc)));
  std::vector<Tensor> withGrad;
  for (const Tensor &p : parameters)
    if (p.defined() && p.grad().defined())
      withGrad.push_back(p);
  if (withGrad.empty())
    return zeros({});
  Tensor total;
  for (const Tensor &p : withGrad) {
    Tensor g = p.grad();
    Tensor part = inf              ? g.abs().max()
                  : norm_type == 1 ? g.abs().sum()
                                   : (g * g).sum();
    total = !total.defined() ? part : inf ? larger(total, part) : total + part;
  }
  if (norm_type == 2)
    total = total.sqrt();
  if (error_if_nonfinite && !std::isfinite(total.item<double>()))
    throw Error(fmt::format(
        "clip_grad_norm_: the total norm of order {} of the gradients of {} "
        "parameters is non-finite, so they cannot be clipped; pass "
        "error_if_nonfinite = false to clip anyway (at {})",
        norm_type, withGrad.size(), fe::formatLocation(loc)));
  // min(1, max_norm / (total + 1e-6)), as PyTorch's clamp(max=1.0).
  Tensor coefficient = max_norm / (total + 1e-6);
  Tensor clamped =
      where(coefficient.gt(1.0), ones({}, coefficient.dtype()), coefficient);
  for (const Tensor &p : withGrad)
    setGrad(p, p.grad() * clamped);
  return total;
}

void clip_grad_value_(const std::vector<Tensor> &parameters, double clip_value,
                      Tensor::Loc loc) {
  NoGradGuard noGrad;
  fe::CallerLocation at(loc);
  if (!(clip_value >= 0))
    throw Error(fmt::format("clip_grad_value_: clip_value must be >= 0, not "
                            "{} (at {})",
                            clip_value, fe::formatLocation(loc)));
  for (const Tensor &p : parameters) {
    if (!p.defined() || !p.grad().defined())
      continue;
    Tensor g = p.grad();
    Tensor high = full({}, clip_value, g.dtype());
    Tensor low = full({}, -clip_value, g.dtype());
    setGrad(p,
            where(g.gt(clip_value), high, where((-g).gt(clip_value), low, g)));
  }
}

} // namespace ember::nn::utils
