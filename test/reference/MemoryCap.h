//===- MemoryCap.h - Cap a test child's address space -----------*- C++ -*-===//
//
// Part of Ember's tests. Out-of-memory tests run in a forked child whose
// address space (RLIMIT_AS) is capped a little above what it already uses,
// so that the allocation under test is refused by the system as it would
// be on a full machine, and the parent goes on.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_TEST_MEMORYCAP_H
#define EMBER_TEST_MEMORYCAP_H

#include <cstdio>
#include <sys/resource.h>
#include <unistd.h>

namespace ember::test {

/// The address space this process uses now, in bytes (/proc/self/statm).
inline rlim_t addressSpaceInUse() {
  long pages = 0;
  if (std::FILE *f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld", &pages) != 1)
      pages = 0;
    std::fclose(f);
  }
  return rlim_t(pages) * rlim_t(sysconf(_SC_PAGESIZE));
}

/// Caps this process's address space `headroom` bytes above its use. For a
/// forked child only: the cap cannot be raised again.
inline void capAddressSpace(rlim_t headroom) {
  rlim_t cap = addressSpaceInUse() + headroom;
  rlimit limit{cap, cap};
  setrlimit(RLIMIT_AS, &limit);
}

} // namespace ember::test

#endif // EMBER_TEST_MEMORYCAP_H
