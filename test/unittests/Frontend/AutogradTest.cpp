//===- AutogradTest.cpp - Gradients against finite differences ------------===//
//
// Part of Ember. Each test differentiates a float64 expression with
// backward(), compiles and runs the gradient graph, and compares it with
// central finite differences of the same expression evaluated by the plain
// C++ reference evaluator. Random shapes and values; the seed is printed on
// failure and fixed by EMBER_TEST_SEED.
//
//===----------------------------------------------------------------------===//

#include "Realize.h"
#include "Reference.h"
#include "TestSeed.h"
#include "ember/ember.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <random>

using namespace ember;

namespace {

using Fn = std::function<Tensor(const std::vector<Tensor> &)>;

class AutogradTest : public ::testing::Test {
protected:
  void SetUp() override {
    rng = test::testGenerator();
  }

  int64_t randInt(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  }

  /// A float64 leaf requiring grad, values in [lo, hi) with a random sign
  /// when `signs`.
  Tensor leaf(const Shape &shape, double lo = -1, double hi = 1,
              bool signs = false) {
    std::vector<double> v(numelOf(shape));
    for (double &x : v) {
      x = std::uniform_real_distribution<double>(lo, hi)(rng);
      if (signs && randInt(0, 1))
        x = -x;
    }
    Tensor t = tensor(v, shape, DType::Float64);
    t.requires_grad_();
    return t;
  }

  /// Checks d(sum(f(inputs) * weights))/d(input) for every input.
  void checkGradients(const Fn &f, std::vector<Tensor> inputs) {
    SCOPED_TRACE(test::seedTrace());
    for (Tensor &t : inputs)
      t.zero_grad_();
    Tensor out = f(inputs);
    // Random weights make every output element matter differently.
    std::vector<double> w(out.numel());
    for (double &x : w)
      x = std::uniform_real_distribution<double>(0.5, 1.5)(rng);
    Tensor weights = tensor(w, out.shape(), DType::Float64);
    auto loss = [&](const std::vector<Tensor> &in) {
      return (f(in) * weights).sum();
    };
    loss(inputs).backward();
    for (size_t k = 0; k < inputs.size(); ++k) {
      ASSERT_TRUE(inputs[k].grad().defined()) << "input " << k;
      std::vector<double> analytic = inputs[k].grad().to_vector<double>();
      double *data = inputs[k].data_ptr<double>();
      std::vector<double> numeric(analytic.size());
      const double eps = 1e-6;
      NoGradGuard noGrad;
      for (size_t i = 0; i < numeric.size(); ++i) {
        double saved = data[i];
        data[i] = saved + eps;
        double plus = ref::evaluate(loss(inputs).node())[0];
        data[i] = saved - eps;
        double minus = ref::evaluate(loss(inputs).node())[0];
        data[i] = saved;
        numeric[i] = (plus - minus) / (2 * eps);
      }
      EXPECT_EQ(ref::compareClose(analytic, numeric, inputs[k].shape(), 1e-5,
                                  1e-6),
                "")
          << "gradient of input " << k;
    }
  }

  Shape randomShape(int64_t minRank = 1, int64_t maxRank = 3) {
    Shape s(randInt(minRank, maxRank));
    for (int64_t &d : s)
      d = randInt(1, 4);
    return s;
  }

  std::mt19937_64 rng;
};

TEST_F(AutogradTest, Arithmetic) {
  Shape s = randomShape();
  checkGradients([](auto &in) { return in[0] + in[1]; }, {leaf(s), leaf(s)});
  checkGradients([](auto &in) { return in[0] - in[1] * 3.0; }, {leaf(s), leaf(s)});
  checkGradients([](auto &in) { return in[0] * in[1]; }, {leaf(s), leaf(s)});
  checkGradients([](auto &in) { return in[0] / in[1]; },
                 {leaf(s), leaf(s, 0.5, 2, true)});
  checkGradients([](auto &in) { return -in[0]; }, {leaf(s)});
}

TEST_F(AutogradTest, Broadcasting) {
  Shape big = randomShape(2, 3);
  Shape small(big.begin() + 1, big.end());
  small[0] = 1;
  checkGradients([](auto &in) { return in[0] * in[1] + in[1]; },
                 {leaf(big), leaf(small)});
  checkGradients([](auto &in) { return in[0] * 2.0 - 1.0; }, {leaf(big)});
}

TEST_F(AutogradTest, UnaryFunctions) {
  Shape s = randomShape();
  // Away from relu's kink at 0.
  checkGradients([](auto &in) { return in[0].relu(); }, {leaf(s, 0.1, 1, true)});
  checkGradients([](auto &in) { return in[0].exp(); }, {leaf(s)});
  checkGradients([](auto &in) { return in[0].log(); }, {leaf(s, 0.2, 2)});
  checkGradients([](auto &in) { return in[0].sqrt(); }, {leaf(s, 0.2, 2)});
}

TEST_F(AutogradTest, Contractions) {
  int64_t m = randInt(1, 5), k = randInt(1, 5), n = randInt(1, 5);
  checkGradients([](auto &in) { return in[0].matmul(in[1]); },
                 {leaf({m, k}), leaf({k, n})});
  checkGradients([](auto &in) { return linear(in[0], in[1], in[2]); },
                 {leaf({m, k}), leaf({n, k}), leaf({n})});
  checkGradients([](auto &in) { return linear(in[0], in[1], Tensor()); },
                 {leaf({m, k}), leaf({n, k})});
}

TEST_F(AutogradTest, Convolutions) {
  // Stride, padding, dilation and groups drawn; the input size fits them.
  int64_t groups = randInt(1, 2), kh = randInt(1, 3), kw = randInt(1, 3);
  Size2 stride(randInt(1, 2), randInt(1, 2)),
      padding(randInt(0, 1), randInt(0, 1)),
      dilation(randInt(1, 2), randInt(1, 2));
  int64_t n = randInt(1, 2), c = groups * randInt(1, 2),
          f = groups * randInt(1, 2);
  int64_t h = dilation.h * (kh - 1) + randInt(1, 4),
          w = dilation.w * (kw - 1) + randInt(1, 4);
  Shape xs = {n, c, h, w}, ws = {f, c / groups, kh, kw};
  auto conv = [=](const std::vector<Tensor> &in) {
    return conv2d(in[0], in[1], in.size() > 2 ? in[2] : Tensor(), stride,
                  padding, dilation, groups);
  };
  checkGradients(conv, {leaf(xs), leaf(ws), leaf({f})});
  Shape ys = conv({leaf(xs), leaf(ws)}).shape();
  // The gradient ops' own gradients (second derivatives of a convolution).
  checkGradients(
      [=](auto &in) {
        return conv2d_grad_input(in[0], in[1], xs, stride, padding, dilation,
                                 groups);
      },
      {leaf(ys), leaf(ws)});
  checkGradients(
      [=](auto &in) {
        return conv2d_grad_weight(in[0], in[1], ws, stride, padding, dilation,
                                  groups);
      },
      {leaf(xs), leaf(ys)});
}

TEST_F(AutogradTest, BatchNormAndPooling) {
  Shape s = {randInt(2, 3), randInt(1, 3), randInt(1, 4), randInt(1, 4)};
  int64_t c = s[1];
  checkGradients(
      [](auto &in) {
        return nn::functional::batch_norm(in[0], Tensor(), Tensor(), in[1],
                                          in[2], /*training=*/true);
      },
      {leaf(s), leaf({c}, 0.5, 2), leaf({c})});
  // Distinct values (no ties), so that the maximum is differentiable.
  checkGradients([](auto &in) { return max_pool2d(in[0], 2, 1, 1) * 1.0; },
                 {leaf({1, 2, 3, 3}, 0.1, 1, true)});
  checkGradients([](auto &in) { return avg_pool2d(in[0], 2, 1, 1); },
                 {leaf({1, 2, 3, 3})});
  checkGradients(
      [](auto &in) {
        return adaptive_avg_pool2d(in[0], {2, 3});
      },
      {leaf({1, 2, 5, 4})});
}

TEST_F(AutogradTest, DataMovement) {
  checkGradients([](auto &in) { return in[0].reshape({-1}); }, {leaf({2, 3})});
  checkGradients([](auto &in) { return in[0].permute({2, 0, 1}); },
                 {leaf({2, 3, 4})});
  checkGradients([](auto &in) { return in[0].t(); }, {leaf({3, 2})});
  checkGradients([](auto &in) { return in[0].broadcast_to({3, 2, 4}); },
                 {leaf({2, 1})});
}

TEST_F(AutogradTest, IndexingAndJoining) {
  using namespace ember::indexing;
  // ember.slice: strided boxes, an integer index dropping a dimension.
  checkGradients(
      [](auto &in) {
        return in[0].index({Slice(1, None, 2), 1});
      },
      {leaf({5, 3})});
  checkGradients(
      [](auto &in) {
        return in[0].index({"...", Slice(None, -1), None});
      },
      {leaf({2, 3, 4})});
  // ember.slice_scatter, through an in-place write into a non-leaf: the
  // gradient of what was written over is zero, the written value's flows.
  checkGradients(
      [](auto &in) {
        Tensor r = in[0] * 1.0;
        r.index_put_({Slice(), Slice(0, None, 2)}, in[1] * in[1]);
        return r;
      },
      {leaf({3, 5}), leaf({3, 3})});
  checkGradients(
      [](auto &in) {
        return cat({in[0], in[1] * 2.0, in[0]}, 1);
      },
      {leaf({2, 3}), leaf({2, 1})});
  checkGradients(
      [](auto &in) {
        return stack({in[0], in[1]}, 0);
      },
      {leaf({4}), leaf({4})});
  checkGradients(
      [](auto &in) {
        std::vector<Tensor> parts = in[0].chunk(3, 0);
        return parts[2] * parts[0];
      },
      {leaf({6, 2})});
}

TEST_F(AutogradTest, Losses) {
  using namespace nn::functional;
  Shape s = {3, 4};
  Tensor labels = tensor(std::vector<int64_t>{3, 0, 2}, {3});
  Tensor weight =
      tensor(std::vector<double>{0.5, 1.5, 1, 2}, {4}, DType::Float64);
  checkGradients([&](auto &in) { return mse_loss(in[0], in[1]); },
                 {leaf(s), leaf(s)});
  checkGradients(
      [&](auto &in) { return l1_loss(in[0], in[1], nn::Reduction::Sum); },
      {leaf(s), leaf(s)});
  checkGradients(
      [&](auto &in) {
        return cross_entropy(
            in[0], labels,
            {.weight = weight, .ignore_index = 0, .label_smoothing = 0.2});
      },
      {leaf(s)});
  checkGradients(
      [&](auto &in) {
        return nll_loss(in[0].log_softmax(1), labels,
                        {.reduction = nn::Reduction::None});
      },
      {leaf(s)});
  Tensor probs = leaf(s, 0.1, 0.9).detach(); // no target gradient (yet)
  checkGradients(
      [&](auto &in) { return binary_cross_entropy(in[0].sigmoid(), probs); },
      {leaf(s)});
  checkGradients(
      [&](auto &in) {
        return binary_cross_entropy_with_logits(in[0], in[1],
                                                {.pos_weight = weight});
      },
      {leaf(s, -3, 3), leaf(s, 0, 1)});
}

TEST_F(AutogradTest, ElementwiseCompositions) {
  Shape s = {2, 5};
  // Away from the kinks (0 for abs, the bounds for clamp, the mask's edge).
  checkGradients([](auto &in) { return in[0].abs(); }, {leaf(s, 0.1, 1, true)});
  checkGradients([](auto &in) { return in[0].clamp(-0.5, 0.5); },
                 {leaf(s, 0.6, 1, true)});
  checkGradients([](auto &in) { return in[0].clamp(-2.0, 2.0); },
                 {leaf(s, -1, 1)});
  checkGradients([](auto &in) { return in[0].masked_fill(in[0].gt(0.0), 3.0); },
                 {leaf(s, 0.1, 1, true)});
  checkGradients(
      [](auto &in) {
        return in[0].pow(3) + in[0].pow(-0.5) + in[0].pow(-2) + in[0].square();
      },
      {leaf(s, 0.3, 2)});
}

TEST_F(AutogradTest, Reductions) {
  Shape s = {randInt(1, 4), randInt(1, 4), randInt(1, 4)};
  checkGradients([](auto &in) { return in[0].sum({1}); }, {leaf(s)});
  checkGradients([](auto &in) { return in[0].sum({0, 2}, true); }, {leaf(s)});
  checkGradients([](auto &in) { return in[0].mean({2}); }, {leaf(s)});
  checkGradients([](auto &in) { return in[0].mean(); }, {leaf(s)});
  // Distinct values so that the maximum is unique.
  std::vector<double> v(numelOf(s));
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = static_cast<double>(i) * 0.37 - 1;
  std::shuffle(v.begin(), v.end(), rng);
  Tensor distinct = tensor(v, s, DType::Float64);
  distinct.requires_grad_();
  checkGradients([](auto &in) { return in[0].amax({1}); }, {distinct});
  checkGradients([](auto &in) { return in[0].amin({0, 2}, true); }, {distinct});
}

TEST_F(AutogradTest, SoftmaxFamilyAndWhere) {
  Shape s = {randInt(1, 5), randInt(2, 6)};
  checkGradients([](auto &in) { return in[0].softmax(1); }, {leaf(s, -3, 3)});
  checkGradients([](auto &in) { return in[0].log_softmax(1); }, {leaf(s, -3, 3)});
  checkGradients([](auto &in) { return where(in[0].gt(0.0), in[0], in[1]); },
                 {leaf(s, 0.1, 1, true), leaf(s)});
}

TEST(AutogradApiTest, GradientsAccumulateUntilZeroed) {
  Tensor x = tensor({1.0, 2.0, 3.0}, DType::Float64);
  x.requires_grad_();
  (x * x).sum().backward();
  (x * 2.0).sum().backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{4, 6, 8}));
  x.zero_grad_();
  EXPECT_FALSE(x.grad().defined());
}

TEST(AutogradApiTest, LeavesListedOnceWhateverTheSteps) {
  // Every backward() lists the leaves it gave a gradient to, for the
  // optimizers' steps; the list is pruned as the gradients go, so its
  // length follows the leaves, not the steps (it grew by the parameters
  // each step, and each step read all of it).
  Tensor w = tensor({0.5, -1.0, 2.0}, DType::Float64);
  Tensor b = tensor({0.25}, DType::Float64);
  w.requires_grad_();
  b.requires_grad_();
  optim::SGD optimizer({w, b}, {.lr = 0.1});
  Tensor x = tensor({1.0, 2.0, 3.0}, DType::Float64);
  size_t listed = 0;
  for (int step = 0; step < 20; ++step) {
    ((w * x).sum() + b.sum()).square().backward();
    optimizer.step();
    optimizer.zero_grad();
    if (step == 1)
      listed = fe::gradientLeavesListed();
  }
  EXPECT_LE(listed, 2u);
  EXPECT_EQ(fe::gradientLeavesListed(), listed);
  // backward() and zero_grad_() without an optimizer: the same.
  for (int i = 0; i < 20; ++i) {
    (w * x).sum().backward();
    w.zero_grad_();
  }
  EXPECT_LE(fe::gradientLeavesListed(), 2u);
  // A leaf listed with a lazy gradient is still found by a step.
  (w * x).sum().backward();
  EXPECT_EQ(fe::leavesWithLazyGradients().size(), 1u);
  EXPECT_EQ(w.grad().to_vector<double>(), (std::vector<double>{1, 2, 3}));
}

TEST(AutogradApiTest, TwoOptimizersOneBackwardWithoutZeroGrad) {
  // Two optimizers share each backward(), and nobody zeroes the gradients:
  // they accumulate, a step writes its own (the previous step's is still
  // readable), and each step must still find the other's lazy gradient
  // (it read the old buffers of the parameters the first step replaced).
  Tensor w1 = tensor({0.5, -1.0}, DType::Float64);
  Tensor w2 = tensor({0.25, 2.0}, DType::Float64);
  w1.requires_grad_();
  w2.requires_grad_();
  const double lr = 0.01;
  optim::SGD a({w1}, {.lr = lr});
  optim::SGD b({w2}, {.lr = lr});
  Tensor x = tensor({1.0, 2.0}, DType::Float64);
  double v1[2] = {0.5, -1.0}, v2[2] = {0.25, 2.0}, g1[2] = {}, g2[2] = {};
  for (int step = 0; step < 4; ++step) {
    ((w1 * x).sum() * (w2 * x).sum()).backward();
    ASSERT_NO_THROW(a.step()) << "step " << step;
    ASSERT_NO_THROW(b.step()) << "step " << step;
    // The reference: both gradients at the weights before either step.
    double d1 = v1[0] + 2 * v1[1], d2 = v2[0] + 2 * v2[1];
    for (int i = 0; i < 2; ++i) {
      g1[i] += d2 * (i + 1);
      g2[i] += d1 * (i + 1);
    }
    for (int i = 0; i < 2; ++i) {
      v1[i] -= lr * g1[i];
      v2[i] -= lr * g2[i];
    }
  }
  std::vector<double> got1 = w1.to_vector<double>(),
                      got2 = w2.to_vector<double>();
  for (int i = 0; i < 2; ++i) {
    EXPECT_NEAR(got1[i], v1[i], 1e-12);
    EXPECT_NEAR(got2[i], v2[i], 1e-12);
  }
  EXPECT_LE(fe::gradientLeavesListed(), 2u);
}

TEST(AutogradApiTest, NoGradGuardAndDetachStopGradients) {
  Tensor x = ones({3});
  x.requires_grad_();
  {
    NoGradGuard guard;
    EXPECT_FALSE((x * 2.0).requires_grad());
  }
  EXPECT_TRUE((x * 2.0).requires_grad());
  EXPECT_FALSE((x * 2.0).detach().requires_grad());
  EXPECT_FALSE(x.gt(0.0).requires_grad());
  EXPECT_THROW((x * 2.0).backward(), Error);         // not a scalar
  EXPECT_THROW(ones({1}).sum().backward(), Error);   // requires no grad
  EXPECT_THROW((x * 2.0).requires_grad_(), Error);   // not a leaf
  EXPECT_THROW(zeros({2}, DType::Int64).requires_grad_(), Error);
}

TEST(AutogradApiTest, BackwardAfterTheLossWasPrinted) {
  // Realising the loss first keeps the graph needed to differentiate it.
  Tensor w = tensor({0.5, -1.0});
  w.requires_grad_();
  Tensor loss = (w * w).sum();
  EXPECT_FLOAT_EQ(loss.item(), 1.25f);
  loss.backward();
  EXPECT_EQ(w.grad().to_vector(), (std::vector<float>{1.0f, -2.0f}));
}

} // namespace
