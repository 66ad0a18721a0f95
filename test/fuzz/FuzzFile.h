//===- FuzzFile.h - Hand a fuzz input to a loader that reads a path -------===//
//
// Part of Ember's fuzzers. The loaders users call take paths; each fuzzer
// writes its input to a file in a private folder under /dev/shm (or /tmp)
// and calls the real loader on it.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_TEST_FUZZ_FUZZFILE_H
#define EMBER_TEST_FUZZ_FUZZFILE_H

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace ember::fuzz {

/// A folder of this process's own, made once.
inline const std::string &scratchDir() {
  static const std::string dir = [] {
    std::string base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    std::string tmpl = base + "/ember-fuzz-XXXXXX";
    if (!mkdtemp(tmpl.data()))
      std::abort();
    return tmpl;
  }();
  return dir;
}

/// Writes `size` bytes to `name` in scratchDir() and returns its path.
inline std::string writeFile(const std::string &name, const uint8_t *data,
                             size_t size) {
  std::string path = scratchDir() + "/" + name;
  std::FILE *f = std::fopen(path.c_str(), "wb");
  if (!f || (size && std::fwrite(data, 1, size, f) != size))
    std::abort();
  std::fclose(f);
  return path;
}

} // namespace ember::fuzz

#endif // EMBER_TEST_FUZZ_FUZZFILE_H
