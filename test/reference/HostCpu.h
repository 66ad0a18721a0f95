//===- HostCpu.h - What this machine's CPU can run -------------*- C++ -*-===//
//
// Part of Ember's tests: the tests that run AVX2 code (set_cpu_target
// "haswell") skip where this CPU cannot run it.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_TEST_REFERENCE_HOSTCPU_H
#define EMBER_TEST_REFERENCE_HOSTCPU_H

namespace ember::test {

/// Whether this CPU runs code for haswell (AVX2 and FMA).
inline bool canRunAvx2() {
#if defined(__x86_64__) || defined(__i386__)
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

} // namespace ember::test

#endif // EMBER_TEST_REFERENCE_HOSTCPU_H
