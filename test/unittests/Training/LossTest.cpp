//===- LossTest.cpp - Losses against PyTorch ------------------------------===//
//
// Part of Ember. Every loss, option and reduction against PyTorch 2.x's
// values and input gradients for the same inputs (loss_fixture.json,
// written by gen_loss_fixture.py), on the CPU and on a CUDA device (the
// emulated one with EMBER_FAKE_CUDA=1); the errors the losses give.
//
//===----------------------------------------------------------------------===//

#include "TrainingTest.h"

#include <cmath>

using namespace ember;
using json = nlohmann::json;
using nn::Reduction;

namespace {

const json &fixture() {
  static const json j = test::loadJson(EMBER_LOSS_FIXTURE);
  return j;
}

/// float32(sin(a * k + b) * scale) for k = 0, 1, ... (as the fixture's
/// Python).
Tensor values(Shape shape, double a, double b, double scale) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  std::vector<float> v;
  for (int64_t k = 0; k < n; ++k)
    v.push_back(static_cast<float>(std::sin(a * k + b) * scale));
  return tensor(v, shape);
}

Tensor indices(std::vector<int64_t> v, Shape shape) { return tensor(v, shape); }

/// One case: its inputs (on the host; the gradient is taken with respect
/// to inputs[gradOf]) and the loss of them at a reduction.
struct Case {
  std::vector<Tensor> inputs;
  std::function<Tensor(const std::vector<Tensor> &, Reduction, const Device &)>
      loss;
  size_t gradOf = 0;
};

std::map<std::string, Case> cases() {
  namespace F = nn::functional;
  const int64_t n = 7, c = 5;
  Tensor logits = values({n, c}, 0.9, 0.3, 2.0);
  std::vector<int64_t> t;
  for (int64_t i = 0; i < n; ++i)
    t.push_back((3 * i + 1) % c);
  std::vector<int64_t> ti = t;
  ti[2] = ti[5] = -100;
  std::vector<int64_t> t4;
  for (int64_t k = 0; k < 12; ++k)
    t4.push_back((k * 2 + 3) % c);
  Tensor weight = tensor({0.5, 0.75, 1.0, 1.25, 1.5});
  std::vector<float> probs;
  for (const json &v : fixture()["probs_target"])
    probs.push_back(v.get<float>());
  Tensor probsTarget = tensor(probs, {n, c});

  // (Targets and weights move to the device inside each loss.)
  auto ce = [=](std::vector<int64_t> target, Shape shape,
                nn::CrossEntropyLossOptions o) {
    return [=](const std::vector<Tensor> &in, Reduction r, const Device &d) {
      nn::CrossEntropyLossOptions opts = o;
      opts.reduction = r;
      if (opts.weight.defined())
        opts.weight = opts.weight.to(d);
      return F::cross_entropy(in[0], indices(target, shape).to(d), opts);
    };
  };
  std::map<std::string, Case> all;
  all["ce"] = {{logits}, ce(t, {n}, {})};
  all["ce_weight"] = {{logits}, ce(t, {n}, {.weight = weight})};
  all["ce_ignore"] = {{logits}, ce(ti, {n}, {})};
  all["ce_ignore_index_1"] = {{logits}, ce(t, {n}, {.ignore_index = 1})};
  all["ce_smoothing"] = {{logits}, ce(t, {n}, {.label_smoothing = 0.1})};
  all["ce_all"] = {{logits},
                   ce(ti, {n}, {.weight = weight, .label_smoothing = 0.2})};
  all["ce_4d"] = {{values({2, c, 3, 2}, 0.55, 0.1, 1.5)},
                  ce(t4, {2, 3, 2}, {.weight = weight})};
  all["ce_probs"] = {
      {logits},
      [=](const std::vector<Tensor> &in, Reduction r, const Device &d) {
        return F::cross_entropy(
            in[0], probsTarget.to(d),
            {.weight = weight.to(d), .reduction = r, .label_smoothing = 0.05});
      }};
  // (The gradient is the log-probabilities'.)
  all["nll"] = {
      {logits.log_softmax(1)},
      [=](const std::vector<Tensor> &in, Reduction r, const Device &d) {
        return F::nll_loss(in[0], indices(ti, {n}).to(d),
                           {.weight = weight.to(d), .reduction = r});
      }};

  Tensor a = values({4, 6}, 0.7, 0.2, 2.0), b = values({4, 6}, 0.3, 1.1, 1.5);
  auto pair = [](auto f) {
    return [=](const std::vector<Tensor> &in, Reduction r, const Device &) {
      return f(in[0], in[1], r);
    };
  };
  all["mse"] = {{a, b}, pair([](auto x, auto y, auto r) {
                  return F::mse_loss(x, y, r);
                })};
  all["l1"] = {
      {a, b}, pair([](auto x, auto y, auto r) { return F::l1_loss(x, y, r); })};
  all["mse_target_grad"] = {
      {a, b},
      pair([](auto x, auto y, auto r) { return F::mse_loss(x, y, r); }),
      1};

  std::vector<float> p = values({4, 6}, 0.8, 0.5, 3.0).sigmoid().to_vector();
  std::vector<float> tt = (values({4, 6}, 0.45, 0.7, 0.5) + 0.5).to_vector();
  p[0] = 0; // log(0) is clamped to -100, as PyTorch does
  p[7] = 1;
  tt[0] = 0.3f;
  tt[7] = 0.8f;
  Tensor bceTarget = tensor(tt, {4, 6});
  Tensor w6 = tensor({0.5, 1.0, 1.5, 2.0, 0.25, 1.25});
  std::vector<float> z = values({4, 6}, 0.8, 0.5, 6.0).to_vector();
  z[0] = 40;
  z[1] = -40;
  all["bce"] = {
      {tensor(p, {4, 6})},
      [=](const std::vector<Tensor> &in, Reduction r, const Device &d) {
        return F::binary_cross_entropy(in[0], bceTarget.to(d),
                                       {.weight = w6.to(d), .reduction = r});
      }};
  all["bce_logits"] = {
      {tensor(z, {4, 6})},
      [=](const std::vector<Tensor> &in, Reduction r, const Device &d) {
        return F::binary_cross_entropy_with_logits(in[0], bceTarget.to(d),
                                                   {.reduction = r});
      }};
  all["bce_logits_weights"] = {
      {tensor(z, {4, 6})},
      [=](const std::vector<Tensor> &in, Reduction r, const Device &d) {
        return F::binary_cross_entropy_with_logits(
            in[0], bceTarget.to(d),
            {.weight = w6.to(d), .pos_weight = (w6 * 2).to(d), .reduction = r});
      }};
  return all;
}

::testing::AssertionResult close(const std::vector<float> &actual,
                                 const json &expected) {
  if (actual.size() != expected.size())
    return ::testing::AssertionFailure()
           << actual.size() << " values, expected " << expected.size();
  for (size_t i = 0; i < actual.size(); ++i) {
    double e = expected[i].get<double>();
    if (!(std::abs(actual[i] - e) <= 1e-6 + 1e-5 * std::abs(e)))
      return ::testing::AssertionFailure()
             << "element " << i << ": " << actual[i] << ", PyTorch " << e;
  }
  return ::testing::AssertionSuccess();
}

using LossTest = test::OnEachDevice;

TEST_P(LossTest, ValuesAndGradientsArePyTorchs) {
  const json &expected = fixture()["cases"];
  std::map<std::string, Case> all = cases();
  ASSERT_EQ(all.size(), expected.size()) << "a case of the fixture is missing";
  const std::pair<const char *, Reduction> reductions[] = {
      {"none", Reduction::None},
      {"mean", Reduction::Mean},
      {"sum", Reduction::Sum}};
  for (auto &[name, c] : all)
    for (auto [reductionName, reduction] : reductions) {
      SCOPED_TRACE(name + " " + reductionName);
      const json &want = expected.at(name).at(reductionName);
      std::vector<Tensor> in;
      for (size_t i = 0; i < c.inputs.size(); ++i) {
        Tensor x = tensor(c.inputs[i].to_vector(), c.inputs[i].shape());
        x = x.to(device_);
        if (i == c.gradOf)
          x.requires_grad_();
        in.push_back(x);
      }
      Tensor loss = c.loss(in, reduction, device_);
      (reduction == Reduction::None ? loss.sum() : loss).backward();
      EXPECT_TRUE(close(loss.to_vector(), want["value"]));
      EXPECT_TRUE(close(in[c.gradOf].grad().to_vector(), want["grad"]));
    }
}

EMBER_ON_EACH_DEVICE(LossTest);

using test::errorOf;

TEST(LossErrors, NameTheLossTheShapesAndTheLine) {
  namespace F = nn::functional;
  Tensor logits = zeros({4, 3});
  std::string e = errorOf([&] {
    F::cross_entropy(logits, indices({0, 1, 3, 2}, {4}));
  });
  EXPECT_NE(e.find("cross_entropy: target 3 (element 2 of [4]) is not a "
                   "class index in [0, 3) nor ignore_index -100"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("LossTest.cpp"), std::string::npos) << e;
  e = errorOf([&] { F::cross_entropy(logits, indices({0, 1, 2}, {3})); });
  EXPECT_NE(e.find("the input [4, 3] needs class-index targets of shape "
                   "[4], not [3]"),
            std::string::npos)
      << e;
  e = errorOf([&] { F::cross_entropy(logits, zeros({4})); });
  EXPECT_NE(e.find("int64 class indices or class probabilities"),
            std::string::npos)
      << e;
  e = errorOf([&] {
    F::cross_entropy(logits, indices({0, 1, 2, 0}, {4}), {.weight = ones({4})});
  });
  EXPECT_NE(e.find("the class weights are [4]; expected [3]"),
            std::string::npos)
      << e;
  e = errorOf([&] {
    F::cross_entropy(logits, indices({0, 1, 2, 0}, {4}),
                     {.label_smoothing = 1.5});
  });
  EXPECT_NE(e.find("label_smoothing must be in [0, 1]"), std::string::npos);
  e = errorOf([&] { F::mse_loss(zeros({64, 1}), zeros({64})); });
  EXPECT_NE(e.find("mse_loss: the input [64, 1] and the target [64] differ "
                   "in shape"),
            std::string::npos)
      << e;
  Tensor t = zeros({3});
  t.requires_grad_();
  e = errorOf([&] { F::binary_cross_entropy(full({3}, 0.5), t); });
  EXPECT_NE(e.find("gradient with respect to the target"), std::string::npos)
      << e;
  e = errorOf([&] { F::nll_loss(logits, zeros({4})); });
  EXPECT_NE(e.find("nll_loss: the target must hold int64"), std::string::npos)
      << e;
}

/// The Quickstart's loss keeps one graph: with targets on the host the
/// mean's divisor (the count of targets not ignored) is a scalar input.
TEST(CrossEntropyGraph, HostTargetsKeepOneGraph) {
  nn::CrossEntropyLoss lossFn;
  Tensor logits = values({4, 3}, 0.3, 0.2, 1.0);
  std::vector<float> seen;
  uint64_t compiled = 0;
  for (int i = 0; i < 3; ++i) {
    Tensor y = indices({0, 2, 1, i == 2 ? -100 : 1}, {4});
    seen.push_back(lossFn(logits, y).item());
    if (i == 0)
      compiled = cache_stats().compilations;
  }
  EXPECT_EQ(cache_stats().compilations, compiled);
  EXPECT_EQ(seen[0], seen[1]);
  EXPECT_NE(seen[1], seen[2]); // the ignored target left the mean
}

TEST(LossErrors, AllTargetsIgnoredGiveNaNAsInPyTorch) {
  Tensor logits = values({2, 3}, 0.3, 0.2, 1.0);
  EXPECT_TRUE(std::isnan(
      nn::functional::cross_entropy(logits, indices({-100, -100}, {2}))
          .item()));
  // Sum: 0.
  EXPECT_EQ(nn::functional::cross_entropy(logits, indices({-100, -100}, {2}),
                                          {.reduction = Reduction::Sum})
                .item(),
            0.0f);
}

} // namespace
