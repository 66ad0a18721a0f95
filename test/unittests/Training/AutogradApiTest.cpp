//===- AutogradApiTest.cpp - backward(gradient), grad(), create_graph -----===//
//
// Part of Ember. The Autograd chapter of PyTorch's basics: backward() of a
// non-scalar with a gradient, accumulation and zeroing, ember::grad for
// leaves and intermediate tensors, second derivatives, and the errors.
//
//===----------------------------------------------------------------------===//

#include "TrainingTest.h"

using namespace ember;

namespace {

class AutogradApiTest : public test::OnEachDevice {
protected:
  Tensor leaf(std::vector<float> v, Shape shape) {
    Tensor t = tensor(v, shape).to(device_);
    t.requires_grad_();
    return t;
  }
};

/// The tutorial's example: out = (inp + 1)^2 transposed, backward with
/// ones twice (the gradients add up), then again after zeroing.
TEST_P(AutogradApiTest, BackwardWithAGradientAccumulates) {
  std::vector<float> values;
  for (int i = 0; i < 20; ++i)
    values.push_back(i % 6 == 0 ? 1.0f : 0.0f); // eye(4, 5)
  Tensor inp = leaf(values, {4, 5});
  Tensor out = ((inp + 1) * (inp + 1)).t();
  Tensor ones5x4 = ones({5, 4}).to(device_);
  out.backward(ones5x4, /*retain_graph=*/true);
  std::vector<float> first = inp.grad().to_vector();
  for (size_t i = 0; i < values.size(); ++i)
    EXPECT_EQ(first[i], 2 * (values[i] + 1)) << i;
  out.backward(ones5x4, true);
  std::vector<float> second = inp.grad().to_vector();
  for (size_t i = 0; i < values.size(); ++i)
    EXPECT_EQ(second[i], 2 * first[i]) << i;
  inp.zero_grad_();
  out.backward(ones5x4 * 0.5);
  std::vector<float> third = inp.grad().to_vector();
  for (size_t i = 0; i < values.size(); ++i)
    EXPECT_EQ(third[i], first[i] / 2) << i;
}

TEST_P(AutogradApiTest, GradOfLeavesAndIntermediatesLeavesGradAlone) {
  Tensor x = leaf({1, -2, 3}, {3});
  Tensor w = leaf({0.5, 2, -1}, {3});
  Tensor h = x * w; // intermediate
  Tensor y = (h * h).sum() + x.sum();
  std::vector<Tensor> g = grad({y}, {x, h, w});
  // dy/dx = 2 h w + 1, dy/dh = 2 h, dy/dw = 2 h x.
  std::vector<float> xs = {1, -2, 3}, ws = {0.5, 2, -1};
  std::vector<float> gx = g[0].to_vector(), gh = g[1].to_vector(),
                     gw = g[2].to_vector();
  for (int i = 0; i < 3; ++i) {
    float hi = xs[i] * ws[i];
    EXPECT_FLOAT_EQ(gx[i], 2 * hi * ws[i] + 1);
    EXPECT_FLOAT_EQ(gh[i], 2 * hi);
    EXPECT_FLOAT_EQ(gw[i], 2 * hi * xs[i]);
  }
  EXPECT_FALSE(x.grad().defined());
  EXPECT_FALSE(w.grad().defined());
  // Two outputs, seeded.
  std::vector<Tensor> two =
      grad({x * 3, w * w}, {x, w},
           {ones({3}).to(device_), full({3}, 2.0).to(device_)});
  EXPECT_EQ(two[0].to_vector(), std::vector<float>(3, 3.0f));
  EXPECT_EQ(two[1].to_vector(), (std::vector<float>{2, 8, -4}));
}

TEST_P(AutogradApiTest, SecondDerivatives) {
  Tensor x = leaf({0.5, -1.5, 2}, {3});
  Tensor y = (x * x * x).sum();
  Tensor dx = grad({y}, {x}, {}, false, /*create_graph=*/true)[0]; // 3x^2
  EXPECT_TRUE(dx.requires_grad());
  Tensor ddx = grad({dx.sum()}, {x})[0]; // 6x
  std::vector<float> d1 = dx.to_vector(), d2 = ddx.to_vector();
  std::vector<float> xs = {0.5, -1.5, 2};
  for (int i = 0; i < 3; ++i) {
    EXPECT_FLOAT_EQ(d1[i], 3 * xs[i] * xs[i]);
    EXPECT_FLOAT_EQ(d2[i], 6 * xs[i]);
  }
  // Without create_graph the gradient is a constant.
  EXPECT_FALSE(grad({(x * x * x).sum()}, {x})[0].requires_grad());
  // backward(create_graph) leaves a differentiable grad().
  (x * x * x).sum().backward(Tensor(), false, /*create_graph=*/true);
  EXPECT_TRUE(x.grad().requires_grad());
  std::vector<float> again = grad({x.grad().sum()}, {x})[0].to_vector();
  for (int i = 0; i < 3; ++i)
    EXPECT_FLOAT_EQ(again[i], 6 * xs[i]);
  // Such a grad() refers to a graph that refers back to x: dropped, as
  // PyTorch also asks, or the two keep each other alive (LeakSanitizer).
  x.zero_grad_();
}

EMBER_ON_EACH_DEVICE(AutogradApiTest);

using test::errorOf;

TEST(AutogradApiErrors, NameWhatIsWrong) {
  Tensor x = tensor({1.0, 2.0});
  x.requires_grad_();
  Tensor unused = tensor({3.0});
  unused.requires_grad_();
  Tensor y = x * 2;
  std::string e = errorOf([&] { y.backward(); });
  EXPECT_NE(e.find("backward: the tensor has shape [2]; without a gradient "
                   "argument it needs a single element"),
            std::string::npos)
      << e;
  e = errorOf([&] { y.backward(ones({3})); });
  EXPECT_NE(e.find("backward: the gradient is float32 [3], the tensor "
                   "float32 [2]"),
            std::string::npos)
      << e;
  e = errorOf([&] { grad({y.sum()}, {unused}); });
  EXPECT_NE(e.find("grad: input 0 (shape [1]) is not used"), std::string::npos)
      << e;
  std::vector<Tensor> g = grad({y.sum()}, {x, unused}, {}, false, false,
                               /*allow_unused=*/true);
  EXPECT_TRUE(g[0].defined());
  EXPECT_FALSE(g[1].defined());
  e = errorOf([&] { grad({y.sum()}, {tensor({1.0})}); });
  EXPECT_NE(e.find("grad: input 0 does not require grad"), std::string::npos)
      << e;
  e = errorOf([&] { grad({y.sum(), y.sum()}, {x}, {ones({})}); });
  EXPECT_NE(e.find("grad: 1 grad_outputs for 2 outputs"), std::string::npos)
      << e;
  EXPECT_NE(e.find("AutogradApiTest.cpp"), std::string::npos) << e;
}

} // namespace
