//===- OpTable.h - Every op's test case, written once -----------*- C++ -*-===//
//
// Part of Ember's tests. One table of op cases, run on every backend (the
// CPU, the CPU with AVX2 code, the emulated GPU, a real GPU) against the
// plain C++ reference evaluator by OpTableTest. A case draws its inputs
// (shapes with 1 and primes, values, dtypes) from a generator, records its
// op(s) on them, and says how close the results must be, and whether (and
// how close) the gradients of its floating-point inputs are checked too.
//
// To add an op: append a case to opTable() in OpTable.cpp. Its name must be
// unique and a valid C identifier (it names the test on each backend).
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_TEST_REFERENCE_OPTABLE_H
#define EMBER_TEST_REFERENCE_OPTABLE_H

#include "ember/ember.h"

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace ember::test {

/// Random sizes, shapes and tensors for a case's inputs.
class Draw {
public:
  explicit Draw(std::mt19937_64 &rng) : rng_(rng) {}

  int64_t integer(int64_t lo, int64_t hi);
  bool coin() { return integer(0, 1) != 0; }
  /// A size in [1, max]: 1, a prime or any size (each often).
  int64_t size(int64_t max = 70);
  /// A shape of rank in [minRank, maxRank] with at most about 5000
  /// elements (sizes up to 70 at rank 2, 17 at rank 3, 8 at rank 4).
  Shape shape(int64_t minRank = 0, int64_t maxRank = 4);
  /// A shape that broadcasts to `to`: some leading dims dropped, some
  /// others set to 1.
  Shape broadcastable(const Shape &to);
  /// A non-empty set of dimensions of a rank-`rank` shape, each counted
  /// from the end (negative) when `negative` and a coin says so.
  std::vector<int64_t> someDims(int64_t rank, bool negative = false);
  std::vector<int64_t> permutation(int64_t rank);

  /// Values uniform in [lo, hi), a random sign when `signs` is set.
  Tensor floats(const Shape &shape, double lo = -2, double hi = 2,
                bool signs = false, DType dtype = DType::Float32);
  /// Int64 values uniform in [lo, hi].
  Tensor ints(const Shape &shape, int64_t lo, int64_t hi);
  /// Float32 values that are small integers in [lo, hi] (so comparisons
  /// see equal elements often).
  Tensor integralFloats(const Shape &shape, int64_t lo, int64_t hi);
  /// Float32 multiples of 1/8 in [lo, hi], plus `offset`. Products of two
  /// are multiples of 1/64, so contractions of them (up to millions of
  /// terms of magnitude ~1) are exact in float32 in any order: on every
  /// backend as in the reference. With an offset of 1/128 (a bias), such
  /// a sum plus the bias is never 0, so a ReLU after it is never at its
  /// kink, where a float32 result and the reference could fall on
  /// different sides and disagree on the whole gradient row.
  Tensor eighths(const Shape &shape, double lo, double hi, double offset = 0);

  std::mt19937_64 &generator() { return rng_; }

private:
  std::mt19937_64 &rng_;
};

using OpInputs = std::vector<Tensor>;

/// What a case computes: one tensor, or several realised one after the
/// other (so a later one may reuse a lazy subgraph of an earlier one).
struct OpOutputs {
  OpOutputs(Tensor t) : tensors{std::move(t)} {}
  OpOutputs(std::initializer_list<Tensor> ts) : tensors(ts) {}
  std::vector<Tensor> tensors;
};

/// |actual - expected| <= atol + rtol * |expected|, per element.
struct Tolerance {
  double rtol;
  double atol;
};

using OpFn = std::function<OpOutputs(const OpInputs &)>;

/// One draw of a case: its inputs, on the host (the runner copies them to
/// the backend), and its op(s), recorded on them for the reference and on
/// the backend's copies (so parameters the op needs, such as dims or a
/// permutation, are drawn with the inputs and captured).
struct OpInstance {
  OpInputs inputs;
  OpFn op;
};

struct OpCase {
  std::string name;
  std::function<OpInstance(Draw &)> draw;
  Tolerance values;
  /// When set, the gradient of sum(output * random weights) with respect
  /// to every floating-point input is compared too (the reference
  /// evaluates the recorded backward graph).
  std::optional<Tolerance> gradients;
  /// Why the case cannot run on a CUDA device yet (empty: it runs there).
  std::string notOnCuda;
};

/// Every case, in a fixed order.
const std::vector<OpCase> &opTable();

} // namespace ember::test

#endif // EMBER_TEST_REFERENCE_OPTABLE_H
