//===- DiskCache.h - Compiled graphs kept on disk between runs --*- C++ -*-===//
//
// Part of Ember. The frontend keeps every compiled CPU graph in memory for
// the life of the process; this cache also keeps them in files, so that
// the next process that records the same graph loads it in a millisecond
// instead of compiling it (about a second for a training step).
//
// An entry is one file named by a hash of its key, where the key is the
// compiler's fingerprint (version, build id of the compiler library, host
// CPU and features: see compiler::compilerFingerprint) and the graph's
// text. The file holds the whole key, the compiled code as an Ember
// artifact, and a checksum; anything that does not match (another key with
// the same hash, a truncated or corrupt file, another version) is a miss,
// and the entry is compiled and written again. Entries are written to a
// temporary file in the same folder and renamed into place, so concurrent
// writers (threads or processes) never leave a half-written entry, and a
// reader sees either no entry or a whole one.
//
// The folder is, in order: set_compile_cache_dir(); EMBER_CACHE_DIR (the
// value "off" or "" disables the cache); $XDG_CACHE_HOME/ember;
// $HOME/.cache/ember. A folder that is not this user's (or root's), or
// that its group or others may write, is not used: whoever can write an
// entry chooses the code this process runs (one warning on stderr, then the
// cache is off for that folder). Nothing is ever evicted: delete the
// folder to reclaim the space.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_FRONTEND_DISKCACHE_H
#define EMBER_FRONTEND_DISKCACHE_H

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

namespace ember::fe {

struct CachedCode {
  std::string entry; ///< entry symbol of the shared object
  std::string code;  ///< the shared object
};

class DiskCache {
public:
  static DiskCache &instance();

  /// Uses `dir` from now on ("" disables the cache).
  void setDirectory(std::string dir);
  /// The folder in use; "" when the cache is disabled.
  std::string directory();

  /// The entry for `key`, if a whole, matching one is on disk.
  std::optional<CachedCode> load(const std::string &key);
  /// Writes the entry for `key` (best effort: a cache that cannot be
  /// written is skipped silently; returns whether it was written).
  bool store(const std::string &key, const CachedCode &code);

private:
  DiskCache();
  std::string pathFor(const std::string &dir, const std::string &key) const;
  /// The folder in use if it is safe to load code from (see unsafeReason
  /// in DiskCache.cpp); otherwise "" after one warning on stderr.
  std::string safeDirectory();

  std::mutex mutex_;
  std::string dir_;
  std::string warned_; ///< the unsafe folder already warned about
  std::atomic<uint64_t> tempCounter_{0};
};

} // namespace ember::fe

#endif // EMBER_FRONTEND_DISKCACHE_H
