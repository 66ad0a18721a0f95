//===- OpsTest.cpp - Every op compiled and run against the reference ------===//
//
// Part of Ember. Each test records a graph through the public Tensor API on
// random shapes and values, evaluates it with the plain C++ reference
// evaluator (in double), then realises it through the compiler and runtime
// and compares. The seed is fresh each run (EMBER_TEST_SEED fixes it) and is
// printed with every failure.
//
//===----------------------------------------------------------------------===//

#include "Reference.h"
#include "TestSeed.h"
#include "ember/ember.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <numeric>
#include <random>

using namespace ember;

namespace {

class OpsTest : public ::testing::Test {
protected:
  void SetUp() override {
    // Each test gets its own stream derived from the run's seed, so a
    // failing test can be replayed alone with EMBER_TEST_SEED.
    rng = test::testGenerator();
  }

  int64_t randInt(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  }

  Shape randomShape(int64_t minRank = 0, int64_t maxRank = 4,
                    int64_t maxDim = 7) {
    Shape s(randInt(minRank, maxRank));
    for (int64_t &d : s)
      d = randInt(1, maxDim);
    return s;
  }

  /// A float32 tensor with values uniform in [lo, hi), a random sign when
  /// `signs` is set.
  Tensor randomTensor(const Shape &shape, double lo = -2, double hi = 2,
                      bool signs = false) {
    std::uniform_real_distribution<double> dist(lo, hi);
    std::vector<float> v(numelOf(shape));
    for (float &x : v) {
      x = static_cast<float>(dist(rng));
      if (signs && randInt(0, 1))
        x = -x;
    }
    return tensor(v, shape);
  }

  Tensor randomIntTensor(const Shape &shape, int64_t lo, int64_t hi) {
    std::vector<int64_t> v(numelOf(shape));
    for (int64_t &x : v)
      x = randInt(lo, hi);
    return tensor(v, shape);
  }

  /// Evaluates `t` with the reference, then realises it, and compares.
  void expectMatchesReference(const Tensor &t, double rtol = 1e-5,
                              double atol = 1e-5) {
    SCOPED_TRACE(test::seedTrace());
    std::vector<double> expected = ref::evaluate(t.node());
    t.realize();
    std::vector<double> actual =
        ref::toDoubles(t.node()->data->data(), t.dtype(), t.numel());
    EXPECT_EQ(ref::compareClose(actual, expected, t.shape(), rtol, atol), "")
        << "shape " << ::testing::PrintToString(t.shape());
  }

  std::mt19937_64 rng;
};

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

TEST_F(OpsTest, BinaryOpsSameShape) {
  for (int i = 0; i < 4; ++i) {
    Shape s = randomShape();
    Tensor a = randomTensor(s), b = randomTensor(s);
    expectMatchesReference(a + b);
    expectMatchesReference(a - b);
    expectMatchesReference(a * b);
    expectMatchesReference(a / randomTensor(s, 0.5, 2, /*signs=*/true));
  }
}

TEST_F(OpsTest, BinaryOpsBroadcast) {
  for (int i = 0; i < 4; ++i) {
    Shape big = randomShape(1, 4);
    // A broadcastable partner: drop some leading dims, set some to 1.
    Shape small(big.begin() + randInt(0, big.size()), big.end());
    for (int64_t &d : small)
      if (randInt(0, 2) == 0)
        d = 1;
    Tensor a = randomTensor(big), b = randomTensor(small);
    expectMatchesReference(a + b);
    expectMatchesReference(b - a);
    expectMatchesReference(a * b);
  }
}

TEST_F(OpsTest, ScalarOperands) {
  Tensor a = randomTensor(randomShape(1));
  expectMatchesReference(a * 2.5 + 1.0);
  expectMatchesReference(3.0 - a);
  expectMatchesReference(1.0 / (a * a + 1.0));
}

TEST_F(OpsTest, UnaryOps) {
  for (int i = 0; i < 3; ++i) {
    Shape s = randomShape();
    Tensor a = randomTensor(s);
    expectMatchesReference(a.relu());
    expectMatchesReference(-a);
    expectMatchesReference(relu(-a) + a.relu());
  }
}

// Large elementwise ops are split into row blocks run by threads. Row
// counts that 8 to 64 blocks divide (512 = 8 x 64) give even blocks; a
// prime (1031), a prime square (67 x 67 = 4489) and 2 x a large prime give
// 8 blocks with a shorter last one. Each is compared in full.
TEST_F(OpsTest, LargeElementwiseInRowBlocks) {
  for (int64_t rows : {int64_t(512), int64_t(1031), int64_t(4489),
                       int64_t(2 * 32771)}) {
    int64_t cols = std::max<int64_t>(2, (int64_t(1) << 17) / rows);
    SCOPED_TRACE("rows " + std::to_string(rows));
    Tensor a = randomTensor({rows, cols}), b = randomTensor({rows, cols});
    expectMatchesReference(a * 0.5 - b);
  }
}

// A long elementwise chain is fused into ops of at most 64 body ops (see
// FuseElementwise.cpp); nothing may be lost or reordered at the groups'
// edges. 900 ops that do not fold into each other, against the reference.
TEST_F(OpsTest, LongElementwiseChainInBoundedFusions) {
  Tensor x = randomTensor({randInt(1, 5), randInt(1, 7)});
  Tensor y = x;
  for (int i = 0; i < 300; ++i)
    y = (y * 0.99 + 0.01 * double(i % 7 - 3)).relu();
  expectMatchesReference(y, 1e-4, 1e-5);
}

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

TEST_F(OpsTest, Matmul) {
  for (int i = 0; i < 4; ++i) {
    int64_t m = randInt(1, 40), k = randInt(1, 40), n = randInt(1, 40);
    expectMatchesReference(randomTensor({m, k}).matmul(randomTensor({k, n})),
                           1e-4, 1e-4);
  }
}

TEST_F(OpsTest, Linear) {
  for (int i = 0; i < 3; ++i) {
    int64_t m = randInt(1, 32), in = randInt(1, 48), out = randInt(1, 24);
    Tensor x = randomTensor({m, in}), w = randomTensor({out, in});
    expectMatchesReference(linear(x, w, randomTensor({out})), 1e-4, 1e-4);
    expectMatchesReference(linear(x, w, Tensor()), 1e-4, 1e-4);
  }
}

//===----------------------------------------------------------------------===//
// Data movement and reductions
//===----------------------------------------------------------------------===//

TEST_F(OpsTest, Reshape) {
  for (int i = 0; i < 4; ++i) {
    Shape s = randomShape(1);
    Tensor a = randomTensor(s);
    // Reshape to a random factorisation of the element count, through
    // arithmetic so the reshape is part of a compiled graph.
    int64_t n = numelOf(s);
    Shape target;
    int64_t rest = n;
    for (int64_t f = 2; f <= rest; ++f)
      while (rest % f == 0 && randInt(0, 1)) {
        target.push_back(f);
        rest /= f;
      }
    target.push_back(rest);
    std::shuffle(target.begin(), target.end(), rng);
    expectMatchesReference((a * 2.0).reshape(target));
    expectMatchesReference((a + 1.0).reshape({-1}));
  }
  expectMatchesReference((randomTensor({1, 1}) * 3.0).reshape({}));
}

TEST_F(OpsTest, Transpose) {
  for (int i = 0; i < 4; ++i) {
    Shape s = randomShape(2, 4);
    std::vector<int64_t> perm(s.size());
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    Tensor a = randomTensor(s);
    expectMatchesReference(a.permute(perm) * 1.0);
    expectMatchesReference(a.transpose(0, -1) + 0.0);
  }
  expectMatchesReference(randomTensor({5, 3}).t());
}

TEST_F(OpsTest, BroadcastTo) {
  for (int i = 0; i < 4; ++i) {
    Shape target = randomShape(1, 4);
    Shape from(target.begin() + randInt(0, target.size()), target.end());
    for (int64_t &d : from)
      if (randInt(0, 1))
        d = 1;
    expectMatchesReference(randomTensor(from).broadcast_to(target));
  }
}

TEST_F(OpsTest, Sum) {
  for (int i = 0; i < 6; ++i) {
    Shape s = randomShape(1, 4, 9);
    std::vector<int64_t> dims;
    for (int64_t d = 0; d < static_cast<int64_t>(s.size()); ++d)
      if (randInt(0, 1))
        dims.push_back(d - (randInt(0, 1) ? static_cast<int64_t>(s.size()) : 0));
    if (dims.empty())
      dims.push_back(0);
    bool keepdim = randInt(0, 1);
    Tensor a = randomTensor(s);
    expectMatchesReference(a.sum(dims, keepdim), 1e-4, 1e-4);
  }
  expectMatchesReference(randomTensor(randomShape(1)).sum(), 1e-4, 1e-4);
}

//===----------------------------------------------------------------------===//
// Other element types and whole graphs
//===----------------------------------------------------------------------===//

TEST_F(OpsTest, Int64Arithmetic) {
  Shape s = randomShape(1, 3);
  Tensor a = randomIntTensor(s, -50, 50), b = randomIntTensor(s, 1, 9);
  expectMatchesReference(a + b, 0, 0);
  expectMatchesReference(a * b - a, 0, 0);
  expectMatchesReference(a / b, 0, 0); // truncating, as C++ and ember.div
  expectMatchesReference((-a).relu().sum(), 0, 0);
  int64_t m = randInt(1, 9), k = randInt(1, 9), n = randInt(1, 9);
  expectMatchesReference(
      randomIntTensor({m, k}, -9, 9).matmul(randomIntTensor({k, n}, -9, 9)), 0,
      0);
}

TEST_F(OpsTest, Float64) {
  Shape s = randomShape(1, 3);
  std::vector<double> v(numelOf(s));
  for (double &x : v)
    x = std::uniform_real_distribution<double>(-1, 1)(rng);
  Tensor a = tensor(v, s, DType::Float64);
  EXPECT_EQ(a.dtype(), DType::Float64);
  expectMatchesReference((a * a + 1.0).sum(), 1e-12, 1e-12);
}

TEST_F(OpsTest, MlpGraph) {
  // The Quickstart's shape of computation, at a random batch size.
  int64_t batch = randInt(1, 16);
  Tensor x = randomTensor({batch, 1, 4, 7});
  Tensor w1 = randomTensor({12, 28}, -0.2, 0.2), b1 = randomTensor({12});
  Tensor w2 = randomTensor({5, 12}, -0.2, 0.2), b2 = randomTensor({5});
  Tensor h = linear(x.reshape({batch, -1}), w1, b1).relu();
  Tensor logits = linear(h, w2, b2);
  expectMatchesReference(logits, 1e-4, 1e-4);
  expectMatchesReference((logits * logits).sum({1}, true), 1e-4, 1e-4);
}

TEST_F(OpsTest, SharedSubgraphsAndSeveralUses) {
  Tensor a = randomTensor({6, 5});
  Tensor shared = (a * 2.0).relu();
  Tensor r = shared.matmul(shared.t()) + shared.sum({1}, true);
  expectMatchesReference(r, 1e-4, 1e-4);
  // `shared` was not a target: it is still lazy and computes on its own.
  expectMatchesReference(shared - 1.0);
}

//===----------------------------------------------------------------------===//
// Training ops: exp/log, reductions, comparisons, select, casts
//===----------------------------------------------------------------------===//

TEST_F(OpsTest, ExpLog) {
  Shape s = randomShape();
  expectMatchesReference(randomTensor(s).exp(), 1e-5, 1e-6);
  expectMatchesReference(randomTensor(s, 0.1, 5).log(), 1e-5, 1e-6);
  expectMatchesReference(randomTensor(s, 0, 5).sqrt(), 1e-6, 1e-6);
}

TEST_F(OpsTest, MaxMinMean) {
  for (int i = 0; i < 4; ++i) {
    Shape s = randomShape(1, 4);
    std::vector<int64_t> dims;
    for (int64_t d = 0; d < static_cast<int64_t>(s.size()); ++d)
      if (randInt(0, 1))
        dims.push_back(d);
    if (dims.empty())
      dims.push_back(static_cast<int64_t>(s.size()) - 1);
    bool keepdim = randInt(0, 1);
    Tensor a = randomTensor(s);
    expectMatchesReference(a.amax(dims, keepdim), 0, 0);
    expectMatchesReference(a.amin(dims, keepdim), 0, 0);
    expectMatchesReference(a.mean(dims, keepdim), 1e-5, 1e-5);
  }
  Tensor a = randomTensor(randomShape(1));
  expectMatchesReference(a.max(), 0, 0);
  expectMatchesReference(a.min(), 0, 0);
  expectMatchesReference(randomIntTensor({3, 4}, -9, 9).amax({1}), 0, 0);
}

TEST_F(OpsTest, Argmax) {
  for (int i = 0; i < 4; ++i) {
    Shape s = randomShape(1, 3);
    int64_t dim = randInt(0, static_cast<int64_t>(s.size()) - 1);
    expectMatchesReference(randomTensor(s).argmax(dim, randInt(0, 1)), 0, 0);
  }
  // Ties: the first maximum wins, as in PyTorch.
  Tensor ties = tensor({{1.0, 3.0, 3.0}, {2.0, 2.0, 1.0}});
  EXPECT_EQ(ties.argmax(1).to_vector<int64_t>(), (std::vector<int64_t>{1, 0}));
  expectMatchesReference(randomIntTensor({5, 6}, 0, 3).argmax(0), 0, 0);
}

TEST_F(OpsTest, ComparisonsSelectAndCasts) {
  Shape s = randomShape(1, 3);
  // Small integers in float so that equality happens often.
  Tensor a = randomIntTensor(s, -2, 2).to(DType::Float32);
  Tensor b = randomIntTensor(s, -2, 2).to(DType::Float32);
  for (Tensor c : {a.eq(b), a.ne(b), a.lt(b), a.le(b), a.gt(b), a.ge(b)}) {
    EXPECT_EQ(c.dtype(), DType::Bool);
    expectMatchesReference(c, 0, 0);
  }
  expectMatchesReference(where(a.gt(b), a, b * 2.0), 0, 0);
  expectMatchesReference(a.gt(0.0).to(DType::Float32).sum(), 0, 0);
  Tensor f = randomTensor(s, -50, 50);
  expectMatchesReference(f.to(DType::Int64), 0, 0);
  expectMatchesReference(f.to(DType::Float64), 0, 0);
  expectMatchesReference(f.to(DType::Bool), 0, 0);
  expectMatchesReference(randomIntTensor(s, 0, 255).to(DType::UInt8).to(DType::Float32), 0, 0);
  // The classification accuracy idiom.
  Tensor logits = randomTensor({8, 10});
  Tensor labels = randomIntTensor({8}, 0, 9);
  expectMatchesReference(logits.argmax(1).eq(labels).to(DType::Float32).sum(), 0, 0);
}

TEST_F(OpsTest, SoftmaxAndLogSoftmax) {
  Tensor x = randomTensor({randInt(1, 9), randInt(1, 12)}, -5, 5);
  expectMatchesReference(x.softmax(1), 1e-5, 1e-6);
  expectMatchesReference(x.log_softmax(1), 1e-5, 1e-5);
  expectMatchesReference(x.softmax(0).sum({0}), 1e-5, 1e-5);
}

} // namespace
