//===- OpTableTest.h - The op table on one backend ------------*- C++ -*-===//
//
// Part of Ember. OpTableTest runs each case of the op table (OpTable.h) on
// a backend and compares its results, and its gradients where the case
// asks, with the reference evaluator's. A test binary instantiates it for
// the backends it covers:
//
//   namespace ember::test {
//   INSTANTIATE_TEST_SUITE_P(Cpu, OpTableTest,
//                            ::testing::ValuesIn(opTableOn(Backend::Cpu)),
//                            opTableTestName);
//   }
//
// names the tests Cpu/OpTableTest.MatchesTheReference/<case>. The inputs
// are the same on every backend for a run's seed (EMBER_TEST_SEED replays
// a run; the seed is printed with every failure).
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_TEST_FRONTEND_OPTABLETEST_H
#define EMBER_TEST_FRONTEND_OPTABLETEST_H

#include "OpTable.h"

#include <gtest/gtest.h>

#include <ostream>
#include <vector>

namespace ember::test {

enum class Backend {
  Cpu,     ///< this machine's CPU, all its features
  CpuAvx2, ///< CPU code for haswell (skipped on a CPU without AVX2)
  Cuda,    ///< cuda:0: a GPU, or the emulated one (EMBER_FAKE_CUDA=1)
};

struct OpTableParam {
  Backend backend;
  const OpCase *opCase;
};
void PrintTo(const OpTableParam &param, std::ostream *os);

/// Every case of the table on `backend`.
std::vector<OpTableParam> opTableOn(Backend backend);
std::string opTableTestName(const ::testing::TestParamInfo<OpTableParam> &info);

class OpTableTest : public ::testing::TestWithParam<OpTableParam> {
protected:
  void SetUp() override;
  void TearDown() override;
  /// Runs the case on the backend and compares.
  void check();
};

} // namespace ember::test

#endif // EMBER_TEST_FRONTEND_OPTABLETEST_H
