//===- TestSeed.h - Fresh, reproducible random seeds for tests -*- C++ -*-===//
//
// Part of Ember. Every randomised test draws from a generator seeded with
// the run's seed (fresh each run, or EMBER_TEST_SEED) mixed with the test's
// name, so a failing test can be replayed alone. Print the seed on failure
// with SCOPED_TRACE(seedTrace()).
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_TEST_REFERENCE_TESTSEED_H
#define EMBER_TEST_REFERENCE_TESTSEED_H

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>

namespace ember::test {

/// The run's seed: EMBER_TEST_SEED if set, else fresh from the system.
inline uint64_t runSeed() {
  static const uint64_t seed = [] {
    if (const char *env = std::getenv("EMBER_TEST_SEED"))
      return static_cast<uint64_t>(std::strtoull(env, nullptr, 10));
    return static_cast<uint64_t>(std::random_device{}());
  }();
  return seed;
}

/// A generator for the current test: the run's seed and the test's name.
inline std::mt19937_64 testGenerator() {
  const auto *info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::seed_seq seq{runSeed(), std::hash<std::string>{}(info->name())};
  return std::mt19937_64(seq);
}

/// "EMBER_TEST_SEED=<seed>", for SCOPED_TRACE.
inline std::string seedTrace() {
  return "EMBER_TEST_SEED=" + std::to_string(runSeed());
}

} // namespace ember::test

#endif // EMBER_TEST_REFERENCE_TESTSEED_H
