//===- ElementwiseTest.cpp - abs, clamp, masked_fill, pow -----------------===//
//
// Part of Ember. The Tensors chapter's elementwise methods that are exact
// compositions of Ember's ops, against plain C++ values and PyTorch's
// gradient rules, on the CPU and on a CUDA device (the emulated one with
// EMBER_FAKE_CUDA=1).
//
//===----------------------------------------------------------------------===//

#include "TrainingTest.h"

#include <cmath>

using namespace ember;

namespace {

class ElementwiseTest : public test::OnEachDevice {
protected:
  /// A leaf of `v` on the device, requiring grad.
  Tensor leaf(const std::vector<float> &v) {
    Tensor t = tensor(v, {static_cast<int64_t>(v.size())}).to(device_);
    t.requires_grad_();
    return t;
  }
  /// f(x)'s values and the gradient of their sum.
  std::pair<std::vector<float>, std::vector<float>>
  run(const std::vector<float> &x, const std::function<Tensor(Tensor)> &f) {
    Tensor t = leaf(x);
    Tensor y = f(t);
    y.sum().backward();
    std::pair<std::vector<float>, std::vector<float>> out{y.to_vector(),
                                                          t.grad().to_vector()};
    t.zero_grad_();
    return out;
  }
};

TEST_P(ElementwiseTest, AbsHasPyTorchsGradientAtZero) {
  auto [y, g] = run({-2, -0.0f, 0, 3.5f}, [](Tensor t) { return t.abs(); });
  EXPECT_EQ(y, (std::vector<float>{2, 0, 0, 3.5f}));
  EXPECT_EQ(g, (std::vector<float>{-1, 0, 0, 1}));
  auto [n, gn] = run({NAN}, [](Tensor t) { return t.abs(); });
  EXPECT_TRUE(std::isnan(n[0]));
}

TEST_P(ElementwiseTest, ClampPassesTheGradientInsideTheBounds) {
  std::vector<float> x = {-3, -1, 0, 1, 2, 5};
  auto [y, g] = run(x, [](Tensor t) { return t.clamp(-1, 2); });
  EXPECT_EQ(y, (std::vector<float>{-1, -1, 0, 1, 2, 2}));
  EXPECT_EQ(g, (std::vector<float>{0, 1, 1, 1, 1, 0})); // bounds included
  EXPECT_EQ(run(x, [](Tensor t) { return t.clamp_min(0.5); }).first,
            (std::vector<float>{0.5f, 0.5f, 0.5f, 1, 2, 5}));
  EXPECT_EQ(run(x, [](Tensor t) { return t.clamp_max(0.5); }).first,
            (std::vector<float>{-3, -1, 0, 0.5f, 0.5f, 0.5f}));
  EXPECT_TRUE(
      std::isnan(run({NAN}, [](Tensor t) { return t.clamp(0, 1); }).first[0]));
}

TEST_P(ElementwiseTest, MaskedFill) {
  Tensor x = tensor(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3}).to(device_);
  x.requires_grad_();
  Tensor mask = tensor({1.0, 0.0, 1.0}).to(device_).gt(0.5); // [3]: broadcast
  Tensor y = x.masked_fill(mask, -7);
  (y * y).sum().backward();
  EXPECT_EQ(y.to_vector(), (std::vector<float>{-7, 2, -7, -7, 5, -7}));
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{0, 4, 0, 0, 10, 0}));
  x.zero_grad_();
}

TEST_P(ElementwiseTest, PowForPyTorchsClosedForms) {
  std::vector<float> x = {0.5f, 1.5f, 2, 3.25f};
  for (double e : {1.0, 2.0, 3.0, 0.5, -0.5, -1.0, -2.0}) {
    SCOPED_TRACE(e);
    auto [y, g] = run(x, [e](Tensor t) { return t.pow(e); });
    for (size_t i = 0; i < x.size(); ++i) {
      double v = x[i];
      EXPECT_NEAR(y[i], std::pow(v, e), 1e-6 * std::abs(std::pow(v, e)));
      EXPECT_NEAR(g[i], e * std::pow(v, e - 1),
                  2e-6 * std::abs(e * std::pow(v, e - 1)));
    }
  }
  // x * x exactly, as PyTorch's pow(x, 2).
  EXPECT_EQ(run({1.1f}, [](Tensor t) { return t.pow(2); }).first[0],
            1.1f * 1.1f);
}

EMBER_ON_EACH_DEVICE(ElementwiseTest);

TEST(ElementwiseErrors, NameTheMethod) {
  Tensor x = tensor({1.0, 2.0});
  std::string e = test::errorOf([&] { x.pow(2.5); });
  EXPECT_NE(e.find("pow: exponent 2.5 is not supported"), std::string::npos)
      << e;
  EXPECT_NE(e.find("ElementwiseTest.cpp"), std::string::npos) << e;
  e = test::errorOf([&] { x.clamp(std::nullopt, std::nullopt); });
  EXPECT_NE(e.find("clamp: at least one of min and max"), std::string::npos)
      << e;
  e = test::errorOf([&] { x.masked_fill(tensor({1.0, 0.0}), 0); });
  EXPECT_NE(e.find("masked_fill: the mask must be bool"), std::string::npos)
      << e;
  e = test::errorOf([&] { x.masked_fill(zeros({3}).gt(0.0), 0); });
  EXPECT_NE(e.find("masked_fill"), std::string::npos) << e;
  e = test::errorOf([&] {
    tensor(std::vector<int64_t>{1, 2}, {2}).clamp(0, 1);
  });
  EXPECT_NE(e.find("clamp: only floating-point tensors, not int64"),
            std::string::npos)
      << e;
}

} // namespace
