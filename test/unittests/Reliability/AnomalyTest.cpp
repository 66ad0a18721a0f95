//===- AnomalyTest.cpp - NaN and infinity named at the op that made them --===//
//
// Part of Ember. With anomaly detection on, a realised graph whose results
// hold NaN or infinity throws ember::Error naming the first op (in
// recording order) whose value is not finite, and the user's line that
// recorded it; an optimizer step that would write NaN leaves the
// parameters as they were; the process keeps working.
//
//===----------------------------------------------------------------------===//

#include "ember/ember.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

using namespace ember;

namespace {

struct AnomalyGuard {
  explicit AnomalyGuard(bool on) { set_detect_anomaly(on); }
  ~AnomalyGuard() { set_detect_anomaly(false); }
};

std::string thisFileLine(int line) {
  return std::string("AnomalyTest.cpp:") + std::to_string(line);
}

TEST(AnomalyTest, OffByDefaultNaNIsAValue) {
  ASSERT_FALSE(is_anomaly_enabled());
  Tensor x = tensor(std::vector<float>{1, -1}, {2});
  std::vector<float> v = ((x * 2.0).log() + 1.0).to_vector();
  EXPECT_TRUE(std::isnan(v[1]));
}

TEST(AnomalyTest, NamesTheFirstOpAndItsLine) {
  AnomalyGuard on(true);
  Tensor x = tensor(std::vector<float>{1, -1, 4}, {3});
  Tensor doubled = x * 2.0;
  int line = __LINE__ + 1;
  Tensor logged = doubled.log();
  // Later ops carry the NaN on; the report names where it started.
  Tensor y = (logged * 3.0 + 1.0).sum({0});
  try {
    y.realize();
    FAIL() << "no error for a NaN result";
  } catch (const Error &e) {
    std::string what = e.what();
    EXPECT_NE(what.find("produced nan"), std::string::npos) << what;
    EXPECT_NE(what.find("ember.log recorded at"), std::string::npos) << what;
    EXPECT_NE(what.find(thisFileLine(line)), std::string::npos) << what;
    EXPECT_NE(what.find("result shape [3]"), std::string::npos) << what;
  }
}

TEST(AnomalyTest, InfinityFromADivision) {
  AnomalyGuard on(true);
  Tensor a = tensor(std::vector<float>{1, 2}, {2});
  Tensor b = tensor(std::vector<float>{0, 1}, {2});
  int line = __LINE__ + 1;
  Tensor q = a / b;
  try {
    (q - 1.0).realize();
    FAIL() << "no error for an infinite result";
  } catch (const Error &e) {
    std::string what = e.what();
    EXPECT_NE(what.find("(inf) is ember.div recorded at " + std::string()),
              std::string::npos)
        << what;
    EXPECT_NE(what.find(thisFileLine(line)), std::string::npos) << what;
  }
}

TEST(AnomalyTest, FiniteGraphsPassAndIntegersAreNotChecked) {
  AnomalyGuard on(true);
  Tensor x = tensor(std::vector<float>{1, 2, 3}, {3});
  EXPECT_NO_THROW((x.log() + x.exp()).realize());
  Tensor i = tensor(std::vector<int64_t>{1, 2, 3}, {3});
  EXPECT_NO_THROW((i * 2).realize());
}

TEST(AnomalyTest, AStepThatWouldWriteNaNLeavesTheParameters) {
  AnomalyGuard on(true);
  Tensor w = tensor(std::vector<float>{0.5f, -0.25f}, {2}).requires_grad_();
  optim::SGD opt({w}, {.lr = 0.1});
  std::vector<float> before = w.to_vector();
  // log of a negative weight: NaN loss and NaN gradient.
  Tensor loss = (w * tensor(std::vector<float>{1, 1}, {2})).log().sum({0});
  EXPECT_THROW(
      {
        loss.backward();
        opt.step();
      },
      Error);
  EXPECT_EQ(w.to_vector(), before);

  // The process keeps working: a good step afterwards updates the weight.
  set_detect_anomaly(false);
  opt.zero_grad();
  Tensor good = (w * w).sum({0});
  good.backward();
  opt.step();
  std::vector<float> after = w.to_vector();
  EXPECT_FLOAT_EQ(after[0], before[0] - 0.1f * 2 * before[0]);
  EXPECT_FLOAT_EQ(after[1], before[1] - 0.1f * 2 * before[1]);
}

// An anomaly first produced by an optimizer's own op names the user's
// step() call, not a line inside the library (it named Optimizer.cpp).
TEST(AnomalyTest, AnOptimizersOpIsLocatedAtTheUsersStep) {
  AnomalyGuard on(true);
  Tensor w = tensor(std::vector<float>{2, 3}, {2}).requires_grad_();
  // lr * grad (4e38, 6e38) overflows float32 in the update's multiply.
  optim::SGD opt({w}, {.lr = 1e38});
  (w * w).sum({0}).backward();
  int line = __LINE__ + 2;
  try {
    opt.step();
    FAIL() << "the overflowing step passed";
  } catch (const Error &e) {
    std::string what = e.what();
    EXPECT_NE(what.find("mul recorded at Reliability/AnomalyTest.cpp:" +
                        std::to_string(line)),
              std::string::npos)
        << what;
    EXPECT_EQ(what.find("Optimizer.cpp"), std::string::npos) << what;
  }
  // w's gradient is a lazy graph that reads w: dropping it breaks the
  // cycle (modules do this for their parameters; a bare tensor needs it).
  opt.zero_grad();
}

} // namespace
