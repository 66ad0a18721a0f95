//===- DiskCache.cpp - Compiled graphs kept on disk between runs ----------===//
//
// Part of Ember. See DiskCache.h.
//
//===----------------------------------------------------------------------===//

#include "DiskCache.h"

#include "ember/runtime/Artifact.h"
#include "ember/runtime/File.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ember::fe {
namespace {

constexpr char kMagic[12] = {'E', 'M', 'B', 'E', 'R', 'C',
                             'A', 'C', 'H', 'E', '1', '\n'};

uint64_t fnv1a(const char *data, size_t n, uint64_t h = 1469598103934665603ull) {
  for (size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(data[i]);
    h *= 1099511628211ull;
  }
  return h;
}

std::string defaultDirectory() {
  if (const char *env = std::getenv("EMBER_CACHE_DIR")) {
    std::string dir = env;
    return dir == "off" ? "" : dir;
  }
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    return std::string(xdg) + "/ember";
  if (const char *home = std::getenv("HOME"); home && *home)
    return std::string(home) + "/.cache/ember";
  return "";
}

/// mkdir -p, mode 0700 for what it creates.
bool makeDirectories(const std::string &dir) {
  std::string path;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    path = dir.substr(0, pos);
    if (path.empty())
      continue;
    if (mkdir(path.c_str(), 0700) != 0 && errno != EEXIST)
      return false;
  }
  struct stat st;
  return stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool readFile(const std::string &path, std::string &out) {
  // Never blocks: a FIFO or device put where an entry should be is a miss.
  std::string why;
  struct stat st;
  int fd = rt::openRegularFile(path, why, &st);
  if (fd < 0)
    return false;
  bool ok = st.st_size < (off_t(1) << 32);
  if (ok) {
    out.resize(static_cast<size_t>(st.st_size));
    size_t done = 0;
    while (ok && done < out.size()) {
      ssize_t n = read(fd, out.data() + done, out.size() - done);
      if (n < 0 && errno == EINTR)
        continue;
      ok = n > 0;
      if (ok)
        done += static_cast<size_t>(n);
    }
  }
  close(fd);
  return ok;
}

/// Why `dir` is unsafe to load code from ("" when it is safe, or absent):
/// as ssh does for ~/.ssh, it must belong to this user (or root) and be
/// writable by no one else, since whoever can write an entry there chooses
/// the machine code this process runs.
std::string unsafeReason(const std::string &dir) {
  struct stat st;
  if (stat(dir.c_str(), &st) != 0)
    return ""; // Absent: store() creates it, mode 0700.
  if (!S_ISDIR(st.st_mode))
    return fmt::format("it is {}, not a directory", rt::fileKind(st.st_mode));
  if (st.st_uid != getuid() && st.st_uid != 0)
    return fmt::format("it belongs to the user id {}, not to this user ({})",
                       st.st_uid, getuid());
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return fmt::format("it is writable by {} (mode {:04o})",
                       st.st_mode & S_IWOTH ? "every user" : "its group",
                       st.st_mode & 07777);
  return "";
}

void appendU64(std::string &out, uint64_t v) {
  out.append(reinterpret_cast<const char *>(&v), sizeof v);
}

bool takeU64(const std::string &in, size_t &pos, uint64_t &v) {
  if (in.size() - pos < sizeof v)
    return false;
  std::memcpy(&v, in.data() + pos, sizeof v);
  pos += sizeof v;
  return true;
}

} // namespace

DiskCache &DiskCache::instance() {
  static DiskCache cache;
  return cache;
}

DiskCache::DiskCache() : dir_(defaultDirectory()) {}

void DiskCache::setDirectory(std::string dir) {
  std::lock_guard<std::mutex> lock(mutex_);
  dir_ = std::move(dir);
  warned_.clear(); // a folder set again is checked (and warned about) anew
}

std::string DiskCache::directory() {
  std::lock_guard<std::mutex> lock(mutex_);
  return dir_;
}

std::string DiskCache::safeDirectory() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (dir_.empty())
    return "";
  std::string why = unsafeReason(dir_);
  if (why.empty())
    return dir_;
  if (warned_ != dir_) {
    warned_ = dir_;
    std::fprintf(stderr,
                 "ember: warning: not using the compile cache '%s': %s (it "
                 "must belong to you and be writable by no one else, e.g. "
                 "chmod 700)\n",
                 dir_.c_str(), why.c_str());
  }
  return "";
}

std::string DiskCache::pathFor(const std::string &dir,
                               const std::string &key) const {
  // Two independent 64-bit hashes: a collision only costs a miss (the
  // whole key is compared), but should not make two graphs thrash.
  uint64_t a = fnv1a(key.data(), key.size());
  uint64_t b = fnv1a(key.data(), key.size(), a ^ 0x9e3779b97f4a7c15ull);
  char name[48];
  std::snprintf(name, sizeof name, "%016llx%016llx.graph",
                static_cast<unsigned long long>(a),
                static_cast<unsigned long long>(b));
  return dir + "/" + name;
}

std::optional<CachedCode> DiskCache::load(const std::string &key) {
  std::string dir = safeDirectory();
  if (dir.empty())
    return std::nullopt;
  std::string bytes;
  if (!readFile(pathFor(dir, key), bytes))
    return std::nullopt;
  // magic | key length | key | artifact length | artifact | checksum of
  // everything before it.
  size_t pos = sizeof kMagic;
  uint64_t keyLen = 0, artifactLen = 0, checksum = 0;
  if (bytes.size() < pos + 8 || std::memcmp(bytes.data(), kMagic, pos) != 0 ||
      !takeU64(bytes, pos, keyLen) || bytes.size() - pos < keyLen ||
      bytes.compare(pos, keyLen, key) != 0)
    return std::nullopt;
  pos += keyLen;
  if (!takeU64(bytes, pos, artifactLen) || bytes.size() - pos < artifactLen)
    return std::nullopt;
  size_t artifactPos = pos;
  pos += artifactLen;
  if (!takeU64(bytes, pos, checksum) || pos != bytes.size() ||
      checksum != fnv1a(bytes.data(), pos - sizeof checksum))
    return std::nullopt;
  rt::StatusOr<rt::Artifact> artifact =
      rt::Artifact::parse(bytes.substr(artifactPos, artifactLen));
  if (!artifact || artifact->target != rt::Artifact::Target::CPU)
    return std::nullopt;
  return CachedCode{std::move(artifact->entry), std::move(artifact->code)};
}

bool DiskCache::store(const std::string &key, const CachedCode &code) {
  std::string dir = directory();
  if (dir.empty() || !makeDirectories(dir))
    return false;
  // Checked once it exists, as mkdir -p may have found it there.
  if (safeDirectory() != dir)
    return false;
  rt::Artifact artifact;
  artifact.entry = code.entry;
  artifact.code = code.code;
  std::string payload = artifact.serialize();
  std::string bytes(kMagic, sizeof kMagic);
  appendU64(bytes, key.size());
  bytes += key;
  appendU64(bytes, payload.size());
  bytes += payload;
  appendU64(bytes, fnv1a(bytes.data(), bytes.size()));

  std::string path = pathFor(dir, key);
  std::string temp = path + ".tmp-" + std::to_string(getpid()) + "-" +
                     std::to_string(tempCounter_.fetch_add(1));
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return false;
  size_t done = 0;
  bool ok = true;
  while (ok && done < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    ok = n > 0;
    if (ok)
      done += static_cast<size_t>(n);
  }
  ok = close(fd) == 0 && ok;
  if (!ok || std::rename(temp.c_str(), path.c_str()) != 0) {
    std::remove(temp.c_str());
    return false;
  }
  return true;
}

} // namespace ember::fe
