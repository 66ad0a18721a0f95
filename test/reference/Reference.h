//===- Reference.h - Plain C++ evaluator of recorded graphs -----*- C++ -*-===//
//
// Part of Ember. The numerical oracle of the tests: evaluates a recorded graph
// with plain loops in double precision, independently of MLIR and the
// compiler, and compares results against it with a tolerance.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_TEST_REFERENCE_REFERENCE_H
#define EMBER_TEST_REFERENCE_REFERENCE_H

#include "ember/frontend/Graph.h"
#include "ember/runtime/DType.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ember::ref {

/// Evaluates `node` in double precision and returns its elements in row-major
/// order. A node with `data` set (a leaf, or a realised op node) is read from
/// its data, converted from its dtype to double; any other node is computed
/// from its inputs. Each node is computed once per call, so DAGs with shared
/// subgraphs are not recomputed exponentially.
///
/// Floating-point nodes are computed entirely in double (this is a float64
/// oracle, float32 intermediates are not rounded). Integer nodes use integer
/// semantics: `div` truncates toward zero. Integers are exact up to 2^53.
///
/// Throws std::logic_error for an ill-formed graph (a leaf without data, a
/// data buffer too small for the node, wrong number of inputs, shapes or
/// dtypes inconsistent with the op) and std::domain_error for an integer
/// division by zero.
std::vector<double> evaluate(const fe::NodePtr &node);

/// Compares `actual` against `expected` elementwise: an element matches when
/// |a - e| <= atol + rtol * |e|; a NaN matches only a NaN and an infinity only
/// the same infinity. Returns "" when all elements match, else a message that
/// names the first mismatching element (as a multi-index into `shape`), both
/// of its values, and how many elements mismatch. A size mismatch between the
/// two vectors or with `shape` is reported too.
std::string compareClose(const std::vector<double> &actual,
                         const std::vector<double> &expected,
                         const Shape &shape, double rtol, double atol);

/// Reads `numel` elements of type `dtype` from `data` as doubles (a bool is 0
/// or 1, a uint8 is unsigned).
std::vector<double> toDoubles(const void *data, DType dtype, int64_t numel);

} // namespace ember::ref

#endif // EMBER_TEST_REFERENCE_REFERENCE_H
