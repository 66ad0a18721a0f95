//===- NNTest.cpp - Modules, losses, optimizers, checkpoints --------------===//
//
// Part of Ember.
//
//===----------------------------------------------------------------------===//

#include "HostCpu.h"
#include "QuickstartModel.h"
#include "Reference.h"
#include "ember/ember.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <sstream>
#include <unistd.h>

using namespace ember;

namespace {

using test::NeuralNetwork;

TEST(NNTest, PrintsLikePyTorch) {
  NeuralNetwork model;
  std::ostringstream os;
  os << model;
  // What PyTorch prints for the Quickstart's model (QUICKSTART.md).
  EXPECT_EQ(os.str(),
            "NeuralNetwork(\n"
            "  (flatten): Flatten(start_dim=1, end_dim=-1)\n"
            "  (linear_relu_stack): Sequential(\n"
            "    (0): Linear(in_features=784, out_features=512, bias=True)\n"
            "    (1): ReLU()\n"
            "    (2): Linear(in_features=512, out_features=512, bias=True)\n"
            "    (3): ReLU()\n"
            "    (4): Linear(in_features=512, out_features=10, bias=True)\n"
            "  )\n"
            ")");
  std::ostringstream lin;
  lin << nn::Linear(3, 2, false);
  EXPECT_EQ(lin.str(), "Linear(in_features=3, out_features=2, bias=False)");
  std::ostringstream activations;
  activations << nn::Sequential{nn::Sigmoid(), nn::Tanh(), nn::GELU()};
  EXPECT_EQ(activations.str(), "Sequential(\n"
                               "  (0): Sigmoid()\n"
                               "  (1): Tanh()\n"
                               "  (2): GELU(approximate='none')\n"
                               ")");
}

TEST(NNTest, Conv2dPrintsInitialisesAndChecksLikePyTorch) {
  // The strings PyTorch prints for the same modules.
  auto str = [](const nn::Module &m) {
    std::ostringstream os;
    os << m;
    return os.str();
  };
  EXPECT_EQ(str(nn::Conv2d(1, 32, 3, 1, 1)),
            "Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))");
  EXPECT_EQ(str(nn::Conv2d(4, 8, {3, 5}, 2)),
            "Conv2d(4, 8, kernel_size=(3, 5), stride=(2, 2))");
  EXPECT_EQ(str(nn::Conv2d(4, 8, 3, 1, 0, 2, 2, false)),
            "Conv2d(4, 8, kernel_size=(3, 3), stride=(1, 1), dilation=(2, 2), "
            "groups=2, bias=False)");
  manual_seed(3);
  nn::Conv2d conv(6, 16, 3, 1, 1, 1, 2);
  StateDict params = conv.named_parameters();
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params[0].first, "weight");
  EXPECT_EQ(params[0].second.shape(), (Shape{16, 3, 3, 3}));
  EXPECT_EQ(params[1].second.shape(), (Shape{16}));
  // U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = 6 / 2 * 3 * 3.
  double bound = 1 / std::sqrt(27.0), maxAbs = 0;
  for (float v : params[0].second.to_vector())
    maxAbs = std::max(maxAbs, std::abs(static_cast<double>(v)));
  EXPECT_LE(maxAbs, bound);
  EXPECT_GT(maxAbs, 0.9 * bound);
  // The module computes the functional form; one sample [C, H, W] too.
  Tensor x = randn({2, 6, 7, 5});
  Tensor y = conv(x);
  EXPECT_EQ(y.shape(), (Shape{2, 16, 7, 5}));
  EXPECT_EQ(ref::compareClose(y.to_vector<double>(), ref::evaluate(y.node()),
                              y.shape(), 1e-5, 1e-5),
            "");
  Tensor one = conv(x.sum({0}));
  EXPECT_EQ(one.shape(), (Shape{16, 7, 5}));
  // Wrong channels, a kernel larger than the input, groups that do not
  // divide: errors naming the module or op and the shapes.
  try {
    conv(randn({2, 5, 7, 5}));
    FAIL() << "expected an error";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("input of shape [2, 5, 7, 5] is not "
                                         "[N, 6, H, W]"),
              std::string::npos)
        << e.what();
  }
  try {
    conv2d(randn({1, 2, 2, 9}), randn({3, 2, 3, 3}));
    FAIL() << "expected an error";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("conv2d: the kernel 3x3"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("NNTest.cpp"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(nn::Conv2d(6, 16, 3, 1, 0, 1, 4), Error);
}

TEST(NNTest, PoolingModulesPrintAndComputeLikePyTorch) {
  auto str = [](const nn::Module &m) {
    std::ostringstream os;
    os << m;
    return os.str();
  };
  // PyTorch prints sizes as they were given.
  EXPECT_EQ(str(nn::MaxPool2d(2)), "MaxPool2d(kernel_size=2, stride=2, "
                                   "padding=0, dilation=1, ceil_mode=False)");
  EXPECT_EQ(str(nn::MaxPool2d({3, 2}, 1, {1, 0})),
            "MaxPool2d(kernel_size=(3, 2), stride=1, padding=(1, 0), "
            "dilation=1, ceil_mode=False)");
  EXPECT_EQ(str(nn::AvgPool2d(3, 2, 1)),
            "AvgPool2d(kernel_size=3, stride=2, padding=1)");
  EXPECT_EQ(str(nn::AdaptiveAvgPool2d({5, 7})),
            "AdaptiveAvgPool2d(output_size=(5, 7))");
  EXPECT_EQ(str(nn::AdaptiveAvgPool2d(1)), "AdaptiveAvgPool2d(output_size=1)");
  // 0..15 as one 4x4 image: the values torch.nn.functional gives.
  Tensor x = arange(16).reshape({1, 1, 4, 4});
  EXPECT_EQ(nn::MaxPool2d(2)(x).to_vector(),
            (std::vector<float>{5, 7, 13, 15}));
  EXPECT_EQ(nn::AvgPool2d(2)(x).to_vector(),
            (std::vector<float>{2.5, 4.5, 10.5, 12.5}));
  // Padding counts as zeros: the corner window holds 0, 1, 4, 5 of 9.
  std::vector<float> padded = nn::AvgPool2d(3, 2, 1)(x).to_vector();
  ASSERT_EQ(padded.size(), 4u);
  EXPECT_NEAR(padded[0], 10.0 / 9, 1e-6);
  EXPECT_NEAR(padded[3], (5 + 6 + 7 + 9 + 10 + 11 + 13 + 14 + 15) / 9.0, 1e-6);
  // Overlapping windows of 2 rows (and columns): [0, 2), [1, 3), [2, 4).
  std::vector<float> adaptive = nn::AdaptiveAvgPool2d(3)(x).to_vector();
  ASSERT_EQ(adaptive.size(), 9u);
  EXPECT_NEAR(adaptive[0], 2.5, 1e-6);
  EXPECT_NEAR(adaptive[4], 7.5, 1e-6);
  EXPECT_NEAR(adaptive[8], 12.5, 1e-6);
  std::vector<float> global = nn::AdaptiveAvgPool2d(1)(x).to_vector();
  EXPECT_EQ(global, (std::vector<float>{7.5}));
  // The gradient of a max goes to the first maximum in the window.
  Tensor ties = tensor({{{{1.0, 1.0}, {1.0, 0.0}}}});
  ties.requires_grad_();
  max_pool2d(ties, 2).sum().backward();
  EXPECT_EQ(ties.grad().to_vector(), (std::vector<float>{1, 0, 0, 0}));
  EXPECT_THROW(max_pool2d(x, 2, 2, 2), Error); // padding over half the window
  // A dilated window stepping over a 1-wide input holds no element: PyTorch
  // returns -inf there; Ember refuses.
  try {
    max_pool2d(randn({1, 1, 4, 1}), {1, 2}, Size2(1, 2), Size2(0, 1),
               Size2(1, 2));
    FAIL() << "expected an error";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find(
                  "window 0 along the width holds no element of the input "
                  "[1, 1, 4, 1]"),
              std::string::npos)
        << e.what();
  }
}

TEST(NNTest, BatchNorm2dNormalisesAndTracksRunningStatistics) {
  nn::BatchNorm2d bn(3);
  std::ostringstream os;
  os << bn;
  EXPECT_EQ(os.str(), "BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, "
                      "track_running_stats=True)");
  StateDict state = bn.state_dict();
  std::vector<std::string> names;
  for (const auto &[name, t] : state)
    names.push_back(name);
  // PyTorch's state_dict names and order.
  EXPECT_EQ(names,
            (std::vector<std::string>{"weight", "bias", "running_mean",
                                      "running_var", "num_batches_tracked"}));
  EXPECT_EQ(bn.parameters().size(), 2u);
  EXPECT_EQ(bn.buffers().size(), 3u);

  manual_seed(4);
  Tensor x = randn({4, 3, 5, 2}) * 2.0 + 1.0;
  std::vector<float> xv = x.to_vector();
  // The batch statistics per channel (mean, biased and unbiased variance).
  double mean[3] = {}, var[3] = {};
  const int per = 4 * 5 * 2;
  for (int i = 0; i < 4; ++i)
    for (int c = 0; c < 3; ++c)
      for (int k = 0; k < 10; ++k)
        mean[c] += xv[(i * 3 + c) * 10 + k] / per;
  for (int i = 0; i < 4; ++i)
    for (int c = 0; c < 3; ++c)
      for (int k = 0; k < 10; ++k) {
        double d = xv[(i * 3 + c) * 10 + k] - mean[c];
        var[c] += d * d / per;
      }
  // Two training forwards before anything runs: both updates count, and
  // reading a buffer computes them.
  Tensor y = bn(x);
  Tensor y2 = bn(x * 1.0);
  std::vector<float> rm = bn.running_mean.to_vector(),
                     rv = bn.running_var.to_vector();
  std::vector<float> yv = y.to_vector();
  for (int c = 0; c < 3; ++c) {
    double expected = (xv[c * 10] - mean[c]) / std::sqrt(var[c] + 1e-5);
    EXPECT_NEAR(yv[c * 10], expected, 1e-4) << c;
  }
  for (int c = 0; c < 3; ++c) {
    double m1 = 0.1 * mean[c], v1 = 0.9 + 0.1 * var[c] * per / (per - 1);
    EXPECT_NEAR(rm[c], 0.9 * m1 + 0.1 * mean[c], 1e-5) << c;
    EXPECT_NEAR(rv[c], 0.9 * v1 + 0.1 * var[c] * per / (per - 1), 1e-5) << c;
  }
  EXPECT_EQ(bn.num_batches_tracked.item<int64_t>(), 2);
  (void)y2;
  // Eval mode: the running statistics, no update.
  bn.eval();
  std::vector<float> ye = bn(x).to_vector();
  EXPECT_NEAR(ye[0], (xv[0] - rm[0]) / std::sqrt(rv[0] + 1e-5), 1e-4);
  EXPECT_EQ(bn.num_batches_tracked.item<int64_t>(), 2);
  // A state dict round trip carries the buffers.
  nn::BatchNorm2d other(3);
  other.load_state_dict(bn.state_dict());
  EXPECT_EQ(other.running_var.to_vector(), rv);
  EXPECT_EQ(other.num_batches_tracked.item<int64_t>(), 2);
  EXPECT_THROW(bn(randn({4, 2, 5, 2})), Error);
}

TEST(NNTest, DropoutDrawsPhiloxMasksInTheGraph) {
  nn::Dropout drop(0.25);
  std::ostringstream os;
  os << drop;
  EXPECT_EQ(os.str(), "Dropout(p=0.25, inplace=False)");
  // Philox4x32-10's known answer for key 0 and counter 0 is 0x6627e8d5
  // (Random123's test vectors): the first number after manual_seed(0) is
  // 0x6627e8 / 2^24 = 0.39904..., so p = 0.39 keeps the element and 0.40
  // drops it.
  for (auto [p, kept] : {std::pair{0.39, true}, std::pair{0.40, false}}) {
    manual_seed(0);
    float v = nn::functional::dropout(ones({1}), p).item();
    EXPECT_FLOAT_EQ(v, kept ? static_cast<float>(1 / (1 - p)) : 0.0f) << p;
  }
  // About 1 - p kept, scaled by 1 / (1 - p); a fresh mask each call; the
  // same masks after the same seed.
  manual_seed(12);
  Tensor x = ones({200000});
  Tensor a = drop(x), b = drop(x);
  std::vector<float> av = a.to_vector(), bv = b.to_vector();
  int64_t keptA = 0, same = 0;
  for (size_t i = 0; i < av.size(); ++i) {
    ASSERT_TRUE(av[i] == 0.0f || std::abs(av[i] - 1 / 0.75f) < 1e-6) << av[i];
    keptA += av[i] != 0;
    same += (av[i] != 0) == (bv[i] != 0);
  }
  EXPECT_NEAR(keptA / 200000.0, 0.75, 0.005);
  EXPECT_LT(same / 200000.0, 0.7); // independent masks agree 62.5% of the time
  manual_seed(12);
  EXPECT_EQ(drop(x).to_vector(), av);
  // The gradient is the mask, scaled.
  Tensor w = ones({1000});
  w.requires_grad_();
  manual_seed(3);
  Tensor y = drop(w * 2.0);
  y.sum().backward();
  std::vector<float> yv = y.to_vector(), g = w.grad().to_vector();
  for (size_t i = 0; i < g.size(); ++i)
    EXPECT_FLOAT_EQ(g[i], yv[i] == 0 ? 0.0f : 2 / 0.75f) << i;
  // Eval mode: the identity.
  drop.eval();
  EXPECT_EQ(drop(x).to_vector(), x.to_vector());
  EXPECT_THROW(nn::Dropout(1.5), Error);
}

TEST(NNTest, PyTorchStateDictLoadsIntoTheSameCnn) {
  // cnn_state.safetensors (gen_cnn_fixture.py): a CNN trained a few steps
  // in PyTorch, saved with safetensors.torch.save_file(model.state_dict()),
  // with an input and PyTorch's eval-mode output on it.
  nn::Sequential model{
      nn::Sequential{nn::Conv2d(1, 4, 3, 1, 1), nn::BatchNorm2d(4), nn::ReLU(),
                     nn::MaxPool2d(2), nn::Conv2d(4, 6, 3, 1, 1),
                     nn::BatchNorm2d(6), nn::ReLU(), nn::MaxPool2d(2)},
      nn::Sequential{nn::Flatten(), nn::Dropout(0.25),
                     nn::Linear(6 * 2 * 2, 5)}};
  StateDict file = load_safetensors(EMBER_CNN_FIXTURE), state;
  Tensor input, expected;
  for (const auto &[name, t] : file)
    if (name == "test.input")
      input = t;
    else if (name == "test.output")
      expected = t;
    else
      state.emplace_back(name, t);
  ASSERT_TRUE(input.defined() && expected.defined());
  // Every parameter and buffer under PyTorch's name, batch-norm statistics
  // and num_batches_tracked included.
  ASSERT_EQ(state.size(), model.state_dict().size());
  model.load_state_dict(state);
  EXPECT_EQ(model.named_buffers()[2].first, "0.1.num_batches_tracked");
  EXPECT_EQ(model.named_buffers()[2].second.item<int64_t>(), 3);
  model.eval();
  NoGradGuard noGrad;
  Tensor out = model(input);
  ASSERT_EQ(out.shape(), expected.shape());
  EXPECT_EQ(ref::compareClose(out.to_vector<double>(),
                              expected.to_vector<double>(), out.shape(), 1e-5,
                              1e-5),
            "");
}

TEST(NNTest, SmallCnnLearns) {
  manual_seed(7);
  // The class of an 8x8 image is where its bright 3x3 patch is: left,
  // middle or right.
  nn::Sequential model{nn::Conv2d(1, 4, 3, 1, 1),
                       nn::ReLU(),
                       nn::Conv2d(4, 4, 3, 2, 1),
                       nn::ReLU(),
                       nn::Flatten(),
                       nn::Linear(4 * 4 * 4, 3)};
  optim::Adam opt(model.parameters(), {.lr = 0.02});
  nn::CrossEntropyLoss lossFn;
  const int n = 24;
  std::vector<float> pixels(n * 64, 0.0f);
  std::vector<int64_t> labels(n);
  std::mt19937 rng(11);
  for (int i = 0; i < n; ++i) {
    labels[i] = i % 3;
    int row = static_cast<int>(rng() % 6),
        col = static_cast<int>(labels[i] * 2 + rng() % 2);
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c)
        pixels[i * 64 + (row + r) * 8 + col + c] = 1.0f;
  }
  Tensor x = tensor(pixels, {n, 1, 8, 8}), y = tensor(labels, {n});
  float first = 0, last = 0;
  for (int step = 0; step < 40; ++step) {
    Tensor loss = lossFn(model(x), y);
    loss.backward();
    opt.step();
    opt.zero_grad();
    (step == 0 ? first : last) = loss.item();
  }
  EXPECT_LT(last, 0.2 * first) << "first " << first << ", last " << last;
}

TEST(NNTest, SigmoidTanhAndGeluModules) {
  Tensor x = tensor(std::vector<float>{-30, -1, 0, 0.5f, 30}, {5});
  std::vector<float> s = nn::Sigmoid()(x).to_vector(),
                     t = nn::Tanh()(x).to_vector(),
                     g = nn::GELU()(x).to_vector();
  const float in[] = {-30, -1, 0, 0.5f, 30};
  for (int i = 0; i < 5; ++i) {
    EXPECT_NEAR(s[i], 1 / (1 + std::exp(-double(in[i]))), 1e-6) << in[i];
    EXPECT_NEAR(t[i], std::tanh(double(in[i])), 1e-6) << in[i];
    double x = in[i], gelu = 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
    EXPECT_NEAR(g[i], gelu, 1e-5 * (1 + std::abs(gelu))) << in[i];
  }
}

TEST(NNTest, ParametersAndInitialisation) {
  manual_seed(1);
  NeuralNetwork model;
  StateDict params = model.named_parameters();
  ASSERT_EQ(params.size(), 6u);
  EXPECT_EQ(params[0].first, "linear_relu_stack.0.weight");
  EXPECT_EQ(params[5].first, "linear_relu_stack.4.bias");
  EXPECT_EQ(params[0].second.shape(), (Shape{512, 784}));
  // U(-1/sqrt(in), 1/sqrt(in)): bounded, centred, spread over the range.
  std::vector<float> w = params[0].second.to_vector();
  double bound = 1 / std::sqrt(784.0), mean = 0, maxAbs = 0;
  for (float v : w) {
    mean += v;
    maxAbs = std::max(maxAbs, std::abs(static_cast<double>(v)));
  }
  mean /= w.size();
  EXPECT_LE(maxAbs, bound);
  EXPECT_GT(maxAbs, 0.99 * bound);
  EXPECT_LT(std::abs(mean), 0.01 * bound);
  for (const auto &[name, t] : params)
    EXPECT_TRUE(t.requires_grad()) << name;
}

TEST(NNTest, CrossEntropyMatchesTheDefinition) {
  Tensor logits = tensor({{1.0, 2.0, 0.5}, {-1.0, 0.0, 3.0}});
  Tensor target = tensor(std::vector<int64_t>{1, 2}, {2});
  double expected = 0;
  std::vector<std::vector<double>> l = {{1.0, 2.0, 0.5}, {-1.0, 0.0, 3.0}};
  int t[2] = {1, 2};
  for (int i = 0; i < 2; ++i) {
    double z = 0;
    for (double v : l[i])
      z += std::exp(v);
    expected += -(l[i][t[i]] - std::log(z));
  }
  expected /= 2;
  EXPECT_NEAR(nn::CrossEntropyLoss()(logits, target).item(), expected, 1e-6);
  EXPECT_THROW(nn::functional::cross_entropy(logits, tensor({1.0, 2.0})), Error);
}

/// One SGD step with momentum and weight decay, against the same update
/// computed by hand from the realised gradient.
TEST(NNTest, SgdStepUpdatesParametersInPlace) {
  manual_seed(3);
  nn::Linear layer(4, 3);
  Tensor w0 = tensor(layer.weight.to_vector(), {3, 4});
  Tensor x = randn({5, 4});
  Tensor y = tensor(std::vector<int64_t>{0, 1, 2, 1, 0}, {5});
  optim::SGD opt(layer.parameters(), {.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01});
  Tensor loss = nn::CrossEntropyLoss()(layer(x), y);
  loss.backward();
  opt.step();
  // The loss was computed in the step's graph, with the old weights.
  EXPECT_TRUE(loss.is_realized());
  std::vector<float> g = layer.weight.grad().to_vector();
  std::vector<float> before = w0.to_vector(), after = layer.weight.to_vector();
  for (size_t i = 0; i < g.size(); ++i) {
    double d = g[i] + 0.01 * before[i]; // first step: buf = d
    EXPECT_NEAR(after[i], before[i] - 0.1 * d, 1e-6) << i;
  }
  // Every handle on the parameter sees the update.
  EXPECT_EQ(layer.parameters()[0].to_vector(), after);
}

TEST(NNTest, TrainingLoopCompilesOnceAndLearns) {
  manual_seed(5);
  nn::Sequential model{nn::Linear(6, 16), nn::ReLU(), nn::Linear(16, 3)};
  optim::SGD opt(model.parameters(), {.lr = 0.5});
  nn::CrossEntropyLoss lossFn;
  // A separable toy problem: the class is the argmax of the first 3 inputs.
  Tensor x = randn({32, 6});
  Tensor y;
  std::vector<float> xv = x.to_vector();
  std::vector<int64_t> labels(32);
  for (int i = 0; i < 32; ++i) {
    int best = 0;
    for (int c = 1; c < 3; ++c)
      if (xv[i * 6 + c] > xv[i * 6 + best])
        best = c;
    labels[i] = best;
  }
  y = tensor(labels, {32});
  float first = 0, last = 0;
  uint64_t compilationsAfterFirstStep = 0;
  for (int step = 0; step < 60; ++step) {
    Tensor loss = lossFn(model(x), y);
    loss.backward();
    opt.step();
    opt.zero_grad();
    if (step == 0) {
      first = loss.item();
      compilationsAfterFirstStep = cache_stats().compilations;
    }
    last = loss.item();
  }
  EXPECT_LT(last, 0.5 * first);
  // Steps 2..60 reuse the first step's graph; item() reads the realised loss.
  EXPECT_EQ(cache_stats().compilations, compilationsAfterFirstStep);
}

TEST(NNTest, GradientsAfterAStepAreThoseOfTheOldWeights) {
  // loss = sum(w * w), so grad = 2w. The step does not compute the
  // gradient as a result of its graph; reading it afterwards must still give
  // the gradient at the weights the step started from, and a second
  // backward() without zero_grad() accumulates onto that one, as in
  // PyTorch.
  Tensor w = tensor({1.0f, -2.0f});
  w.requires_grad_();
  optim::SGD opt({w}, {.lr = 0.1});
  (w * w).sum().backward();
  opt.step(); // w1 = w0 - 0.1 * 2 w0 = 0.8 w0
  EXPECT_FALSE(w.grad().is_realized());
  std::vector<float> g1 = w.grad().to_vector();
  EXPECT_FLOAT_EQ(g1[0], 2.0f);
  EXPECT_FLOAT_EQ(g1[1], -4.0f);
  std::vector<float> w1 = w.to_vector();
  EXPECT_FLOAT_EQ(w1[0], 0.8f);
  EXPECT_FLOAT_EQ(w1[1], -1.6f);

  (w * w).sum().backward(); // grad = 2 w0 + 2 w1 = 3.6 w0
  opt.step();               // w2 = w1 - 0.1 * 3.6 w0 = 0.44 w0
  std::vector<float> g2 = w.grad().to_vector();
  EXPECT_FLOAT_EQ(g2[0], 3.6f);
  EXPECT_FLOAT_EQ(g2[1], -7.2f);
  std::vector<float> w2 = w.to_vector();
  EXPECT_FLOAT_EQ(w2[0], 0.44f);
  EXPECT_FLOAT_EQ(w2[1], -0.88f);

  // Without the gradient's readers, zero_grad() drops it unread.
  opt.zero_grad();
  (w * w).sum().backward();
  opt.step();
  opt.zero_grad();
  EXPECT_FALSE(w.grad().defined());
  std::vector<float> w3 = w.to_vector(); // w3 = w2 - 0.2 w2 = 0.352 w0
  EXPECT_FLOAT_EQ(w3[0], 0.352f);
  EXPECT_FLOAT_EQ(w3[1], -0.704f);
}

TEST(NNTest, AValueRecordedBeforeAStepCannotBeComputedAfterIt) {
  // PyTorch computes `pred` eagerly, from the weights before the step. A
  // lazy `pred` computed after the step would read the new weights: an
  // error naming it, not a silently different value. Realised before the
  // step, it keeps its value; recorded after, it uses the new weights.
  manual_seed(1);
  nn::Linear lin(3, 2);
  optim::SGD opt(lin.parameters(), {.lr = 1.0});
  Tensor x = tensor(std::vector<float>{1, 2, 3}, {1, 3});
  Tensor pred = lin(x), kept = lin(x);
  kept.realize();
  std::vector<float> before = kept.to_vector();
  pred.sum().backward();
  opt.step();
  try {
    pred.realize();
    ADD_FAILURE() << "computed a value recorded before the step";
  } catch (const Error &e) {
    std::string what = e.what();
    EXPECT_NE(what.find("ember.linear (shape [1, 2]) recorded at "),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("whose value was replaced in place after it was "
                        "recorded (an optimizer step or load_state_dict "
                        "updated it)"),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("NNTest.cpp"), std::string::npos) << what;
  }
  EXPECT_EQ(kept.to_vector(), before);
  EXPECT_NE(lin(x).to_vector(), before);
  // The same after load_state_dict.
  Tensor again = lin(x);
  lin.load_state_dict(lin.state_dict());
  EXPECT_THROW(again.realize(), Error);
}

TEST(NNTest, TwoOptimizersShareOneBackward) {
  // An encoder and a decoder, each with an optimizer of its own, one
  // backward() for both, then both steps (PyTorch's encoder/decoder loop):
  // the decoder's gradient is that of the weights before either step.
  auto run = [](bool split) {
    manual_seed(3);
    nn::Linear enc(4, 3), dec(3, 2);
    std::vector<Tensor> all = enc.parameters();
    for (const Tensor &p : dec.parameters())
      all.push_back(p);
    optim::SGD one(all, {.lr = 0.5});
    optim::SGD optEnc(enc.parameters(), {.lr = 0.5});
    optim::SGD optDec(dec.parameters(), {.lr = 0.5});
    Tensor x = tensor(std::vector<float>{1, -2, 3, 0.5f}, {1, 4});
    for (int step = 0; step < 3; ++step) {
      (dec(enc(x).relu()) * dec(enc(x).relu())).sum().backward();
      if (split) {
        optEnc.step();
        optDec.step();
      } else {
        one.step();
      }
      one.zero_grad();
    }
    std::vector<float> out = dec(enc(x)).to_vector();
    return out;
  };
  std::vector<float> together = run(false), apart = run(true);
  ASSERT_EQ(together.size(), apart.size());
  for (size_t i = 0; i < together.size(); ++i)
    EXPECT_NEAR(apart[i], together[i], 1e-5 * (1 + std::abs(together[i])));
}

// Without zero_grad() the gradients accumulate across steps (as in
// PyTorch). A step leaves its gradients unwritten (recomputable); the next
// one, finding one still alive, writes them, so the lazy chain never grows
// beyond a step: the values follow the definition and the graphs compiled
// stay few however many steps run.
TEST(NNTest, StepsWithoutZeroGradAccumulateInBoundedGraphs) {
  Tensor w = tensor({1.0f, -2.0f});
  w.requires_grad_();
  optim::SGD opt({w}, {.lr = 0.05});
  double w0 = 1.0, w1 = -2.0, g0 = 0, g1 = 0;
  uint64_t compilationsAfterWarmup = 0;
  for (int step = 0; step < 12; ++step) {
    (w * w).sum().backward(); // grad += 2w
    opt.step();
    g0 += 2 * w0;
    g1 += 2 * w1;
    w0 -= 0.05 * g0;
    w1 -= 0.05 * g1;
    if (step == 3)
      compilationsAfterWarmup = cache_stats().compilations;
  }
  std::vector<float> got = w.to_vector();
  EXPECT_NEAR(got[0], w0, 1e-5 * std::abs(w0) + 1e-6);
  EXPECT_NEAR(got[1], w1, 1e-5 * std::abs(w1) + 1e-6);
  std::vector<float> grad = w.grad().to_vector();
  EXPECT_NEAR(grad[0], g0, 1e-4 * std::abs(g0));
  EXPECT_NEAR(grad[1], g1, 1e-4 * std::abs(g1));
  // Steps alternate between at most two graph shapes after the first few.
  EXPECT_EQ(cache_stats().compilations, compilationsAfterWarmup);
}

// Inference reads a weight prepacked once (the first layer's in column
// panels: 64 outputs; the second's transposed); it must follow the weight
// through an optimizer step, a write through data_ptr() and
// load_state_dict, and never serve stale values.
TEST(NNTest, InferenceReusesPrepackedWeightsUntilTheWeightsChange) {
  manual_seed(7);
  nn::Sequential model{nn::Linear(6, 64), nn::ReLU(), nn::Linear(64, 3)};
  Tensor x = randn({4, 6});
  auto checkPrediction = [&](const char *when) {
    SCOPED_TRACE(when);
    NoGradGuard noGrad;
    Tensor y = model(x);
    std::vector<double> expected = ref::evaluate(y.node());
    std::vector<float> got = y.to_vector();
    EXPECT_EQ(ref::compareClose(std::vector<double>(got.begin(), got.end()),
                                expected, y.shape(), 1e-5, 1e-6),
              "");
  };
  fe::Node &w = *model.parameters()[0].node();
  checkPrediction("first inference");
  ASSERT_TRUE(w.inferenceWeight);
  EXPECT_EQ(w.inferenceWeight->shape.size(), 3u); // panels
  fe::NodePtr first = w.inferenceWeight;
  checkPrediction("second inference");
  EXPECT_EQ(w.inferenceWeight, first); // reused, not recomputed

  // A training step (autograd on: the graph transposes in place) changes
  // the weights; the next inference transposes the new ones.
  optim::SGD opt(model.parameters(), {.lr = 0.5});
  Tensor loss = model(x).sum();
  loss.backward();
  opt.step();
  opt.zero_grad();
  checkPrediction("after a step");
  EXPECT_NE(w.inferenceWeight, first);

  // A write through data_ptr().
  fe::NodePtr beforeWrite = w.inferenceWeight;
  model.parameters()[0].data_ptr<float>()[7] += 3.0f;
  checkPrediction("after writing through data_ptr");
  EXPECT_NE(w.inferenceWeight, beforeWrite);

  // New values loaded into the parameters.
  nn::Sequential other{nn::Linear(6, 64), nn::ReLU(), nn::Linear(64, 3)};
  model.load_state_dict(other.state_dict());
  checkPrediction("after load_state_dict");

  // Another CPU target: AVX2 code's panels are 16 wide.
  if (test::canRunAvx2()) {
    set_cpu_target("haswell");
    checkPrediction("for haswell");
    EXPECT_EQ(w.inferenceWeight->shape, (Shape{4, 6, 16}));
    set_cpu_target("");
  }
}

TEST(NNTest, AdamStepMatchesTheFormula) {
  Tensor p = tensor({1.0, -2.0});
  p.requires_grad_();
  optim::Adam opt({p}, {.lr = 0.1});
  (p * p).sum().backward(); // grad = 2p
  opt.step();
  std::vector<float> v = p.to_vector();
  // First step: m̂ = g, v̂ = g², update = lr * g / (|g| + eps) = lr * sign(g).
  EXPECT_NEAR(v[0], 1.0 - 0.1, 1e-6);
  EXPECT_NEAR(v[1], -2.0 + 0.1, 1e-6);
}

TEST(NNTest, StateDictRoundTripGivesIdenticalPredictions) {
  manual_seed(11);
  NeuralNetwork model;
  Tensor x = rand({4, 1, 28, 28});
  std::vector<float> before;
  {
    NoGradGuard noGrad;
    before = model(x).to_vector();
  }
  std::string path = (std::filesystem::temp_directory_path() /
                      ("ember-nn-" + std::to_string(::getpid()) + ".safetensors"))
                         .string();
  save_safetensors(model.state_dict(), path);
  manual_seed(12);
  NeuralNetwork fresh;
  fresh.load_state_dict(load_safetensors(path));
  std::filesystem::remove(path);
  NoGradGuard noGrad;
  EXPECT_EQ(fresh(x).to_vector(), before); // bit-identical
  // Mismatched names and shapes are rejected.
  StateDict wrong = {{"linear_relu_stack.0.weight", zeros({2, 2})}};
  EXPECT_THROW(fresh.load_state_dict(wrong, false), Error);
  EXPECT_THROW(fresh.load_state_dict({{"nope", zeros({1})}}), Error);
  // (Without strict an unknown name is skipped and reported.)
  EXPECT_EQ(
      fresh.load_state_dict({{"nope", zeros({1})}}, false).unexpected_keys,
      std::vector<std::string>{"nope"});
  EXPECT_THROW(fresh.load_state_dict({}), Error);
}

// A failed load_state_dict changes nothing: it used to copy every entry
// before finding an extra key, and overwrite a weight before finding that
// the bias beside it had the wrong shape.
TEST(NNTest, FailedLoadStateDictLeavesEveryParameterAsItWas) {
  manual_seed(21);
  nn::Sequential model{nn::Linear(6, 5), nn::ReLU(), nn::Linear(5, 3)};
  StateDict old = model.state_dict();
  std::vector<std::vector<float>> oldValues;
  for (const auto &[name, value] : old)
    oldValues.push_back(value.to_vector());
  auto expectUnchanged = [&](const std::string &what) {
    StateDict now = model.state_dict();
    ASSERT_EQ(now.size(), old.size());
    for (size_t i = 0; i < now.size(); ++i)
      EXPECT_EQ(now[i].second.to_vector(), oldValues[i])
          << now[i].first << " changed by " << what;
  };
  auto full = [&](float value) {
    StateDict state;
    for (const auto &[name, param] : old)
      state.emplace_back(name, ember::full(param.shape(), value));
    return state;
  };
  auto expectError = [&](const StateDict &state, bool strict,
                         const std::string &fragment) {
    try {
      model.load_state_dict(state, strict);
      ADD_FAILURE() << "no error; expected " << fragment;
    } catch (const Error &e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
          << e.what();
    }
    expectUnchanged(fragment);
  };

  // Every parameter given, then an extra key.
  StateDict extra = full(7);
  extra.emplace_back("2.scale", zeros({3}));
  expectError(extra, true, "has no parameter or buffer '2.scale'");
  // A right weight before a wrong-shaped bias.
  StateDict wrongBias = full(7);
  ASSERT_EQ(wrongBias[1].first, "0.bias");
  wrongBias[1].second = zeros({4});
  expectError(wrongBias, true, "'0.bias' is float32 [4] in the state");
  // A wrong dtype last.
  StateDict wrongType = full(7);
  wrongType.back().second = zeros({3}, DType::Float64);
  expectError(wrongType, true, "'2.bias' is float64");
  // A missing entry under strict.
  StateDict missing = full(7);
  missing.pop_back();
  expectError(missing, true, "the state has no '2.bias'");
  // A duplicate.
  StateDict twice = full(7);
  twice.push_back(twice.front());
  expectError(twice, true, "the state has '0.weight' twice");

  // Without strict a wrong shape is still an error (as in PyTorch).
  expectError(wrongBias, false, "'0.bias' is float32 [4] in the state");

  // And a valid state still loads whole.
  nn::IncompatibleKeys keys = model.load_state_dict(full(7));
  EXPECT_TRUE(keys.missing_keys.empty() && keys.unexpected_keys.empty());
  for (const auto &[name, value] : model.state_dict())
    for (float v : value.to_vector())
      ASSERT_EQ(v, 7.0f) << name;
  // Without strict, as PyTorch's: extra entries are skipped, missing
  // parameters keep their values, and both are named.
  StateDict partial = full(3);
  partial.pop_back(); // no 2.bias
  partial.emplace_back("2.scale", zeros({3}));
  keys = model.load_state_dict(partial, /*strict=*/false);
  EXPECT_EQ(keys.missing_keys, std::vector<std::string>{"2.bias"});
  EXPECT_EQ(keys.unexpected_keys, std::vector<std::string>{"2.scale"});
  StateDict now = model.state_dict();
  EXPECT_EQ(now.front().second.to_vector()[0], 3.0f);
  EXPECT_EQ(now.back().second.to_vector()[0], 7.0f);
}

TEST(NNTest, DevicesAndTrainMode) {
  NeuralNetwork model;
  EXPECT_TRUE(model.is_training());
  model.eval();
  EXPECT_FALSE(model.linear_relu_stack[0].is_training());
  EXPECT_NO_THROW(model.to(Device::cpu()));
  EXPECT_FALSE(cuda::is_available());
  EXPECT_THROW(model.to(Device::cuda()), Error);
  EXPECT_EQ(Device::cuda(1).str(), "cuda:1");
}

} // namespace
