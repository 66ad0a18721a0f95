//===- RecompileLogTest.cpp - EMBER_LOG=recompiles ------------------------===//
//
// Part of Ember. Each compilation is logged with the line that realised it
// and why the graph is new; cache_stats() counts the kinds.
//
//===----------------------------------------------------------------------===//

#include "TrainingTest.h"

#include <regex>
#include <sstream>

using namespace ember;

namespace {

TEST(RecompileLog, SaysWhyEachGraphCompiles) {
  Tensor w = full({13, 7}, 0.5);
  auto run = [&](int64_t batch, bool relu) {
    Tensor h = ones({batch, 13}).matmul(w);
    return (relu ? h.relu() : h).sum().item();
  };
  CacheStats before = cache_stats();
  set_log("recompiles");
  ::testing::internal::CaptureStderr();
  run(37, true);
  run(37, true); // cached: nothing to say
  run(29, true);
  run(29, false);
  set_cpu_target("haswell");
  run(37, true);
  set_cpu_target("");
  std::string log = ::testing::internal::GetCapturedStderr();
  set_log("");
  CacheStats after = cache_stats();

  std::vector<std::string> lines;
  std::regex line("ember: graph ([0-9]+) for ([^(]+) \\((compiled|loaded "
                  "from the on-disk cache) in [0-9.]+ s\\), realised at "
                  "[^:]*RecompileLogTest.cpp:[0-9]+[^:]*: (.*)");
  std::smatch m;
  std::istringstream in(log);
  std::vector<std::string> ids, reasons;
  for (std::string l; std::getline(in, l);) {
    ASSERT_TRUE(std::regex_match(l, m, line)) << l;
    ids.push_back(m[1]);
    reasons.push_back(m[4]);
  }
  ASSERT_EQ(reasons.size(), 4u) << log;
  // (The first may be the first graph of the process, or new ops.)
  EXPECT_TRUE(std::regex_search(
      reasons[1], std::regex("^the ops of graph " + ids[0] +
                             " with other inputs: input [0-9]+ is "
                             "tensor<29x13xf32>, cached tensor<37x13xf32>$")))
      << reasons[1];
  EXPECT_TRUE(std::regex_search(
      reasons[2],
      std::regex("^new ops; the nearest cached graph, " + ids[1] +
                 ", differs at line [0-9]+: `%[0-9]+ = ember.sum.*`, cached "
                 "`%[0-9]+ = ember.relu.*`$")))
      << reasons[2];
  EXPECT_EQ(reasons[3], "graph " + ids[0] +
                            " again, for cpu haswell (it was compiled for "
                            "cpu)");
  EXPECT_NE(log.find("for cpu haswell"), std::string::npos);
  EXPECT_EQ(after.newShapes - before.newShapes, 1u);
  EXPECT_EQ(after.newTargets - before.newTargets, 1u);
}

TEST(RecompileLog, QuietUnlessAsked) {
  set_log("");
  ::testing::internal::CaptureStderr();
  ones({41, 3}).sum().item();
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

} // namespace
