//===- Stack.h - Stacking samples into batches ------------------*- C++ -*-===//
//
// Part of Ember. Internal to the data library.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_FRONTEND_LIB_DATA_STACK_H
#define EMBER_FRONTEND_LIB_DATA_STACK_H

#include "ember/frontend/Tensor.h"

#include <optional>
#include <source_location>
#include <span>
#include <string>
#include <string_view>

namespace ember::data {

/// Renders a shape as "[1, 28, 28]".
std::string formatShape(const Shape &shape);

/// Stacks `tensors` along a new leading dimension: N tensors of shape S and
/// one dtype give [N, S...], realising lazy ones. All undefined gives an
/// undefined tensor. `what` names the field ("data", "target"), `op` the
/// caller and `loc`, when known, the user's line in error messages.
Tensor stackSamples(std::span<const Tensor> tensors, std::string_view op,
                    std::string_view what,
                    std::optional<std::source_location> loc = std::nullopt);

} // namespace ember::data

#endif // EMBER_FRONTEND_LIB_DATA_STACK_H
