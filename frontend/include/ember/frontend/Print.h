//===- Print.h - PyTorch-style tensor printing ------------------*- C++ -*-===//
//
// Part of Ember. Renders tensor data exactly as PyTorch's `str(tensor)` does
// (torch/_tensor_str.py) with the default print options: precision 4,
// threshold 1000, edgeitems 3, linewidth 80 and automatic scientific mode.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_FRONTEND_PRINT_H
#define EMBER_FRONTEND_PRINT_H

#include "ember/frontend/Graph.h"
#include "ember/runtime/DType.h"

#include <string>
#include <string_view>

namespace ember::fe {

/// Formats a tensor exactly as PyTorch's str(tensor) does with default print
/// options. `data` points at numelOf(shape) dense row-major elements of
/// `dtype`. `device` is "" for CPU, else e.g. "cuda:0" (adds PyTorch's
/// `device='cuda:0'` suffix).
std::string formatTensor(const void *data, DType dtype, const Shape &shape,
                         std::string_view device = "");

} // namespace ember::fe

#endif // EMBER_FRONTEND_PRINT_H
