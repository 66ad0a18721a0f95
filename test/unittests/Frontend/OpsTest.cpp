//===- OpsTest.cpp - Every op on the CPU against the reference ------------===//
//
// Part of Ember. The op table (test/reference/OpTable.h) on the CPU: with
// code for this machine's CPU (all its features: AVX-512 where it has
// them), and with AVX2 code (haswell; skipped on a CPU without AVX2).
// ctest runs them as unit.ops.cpu and unit.ops.cpu-avx2.
//
//===----------------------------------------------------------------------===//

#include "OpTableTest.h"

namespace ember::test {

INSTANTIATE_TEST_SUITE_P(Cpu, OpTableTest,
                         ::testing::ValuesIn(opTableOn(Backend::Cpu)),
                         opTableTestName);
INSTANTIATE_TEST_SUITE_P(CpuAvx2, OpTableTest,
                         ::testing::ValuesIn(opTableOn(Backend::CpuAvx2)),
                         opTableTestName);

} // namespace ember::test
