//===- DiskCacheTest.cpp - The on-disk cache of compiled graphs -----------===//
//
// Part of Ember. A graph compiled once is loaded, not compiled, after the
// in-memory cache is dropped (as in a new process); corrupt, truncated and
// foreign entries are misses that compile again and repair the entry;
// concurrent writers never leave a partial entry.
//
//===----------------------------------------------------------------------===//

#include "DiskCache.h"
#include "RandomTensors.h"
#include "Reference.h"
#include "TestSeed.h"
#include "ember/ember.h"

#include <gtest/gtest.h>

#include <dirent.h>
#include <sys/stat.h>
#include <fstream>
#include <random>
#include <thread>
#include <unistd.h>

using namespace ember;

namespace {

std::vector<std::string> listGraphs(const std::string &dir) {
  std::vector<std::string> files;
  if (DIR *d = opendir(dir.c_str())) {
    while (dirent *e = readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..")
        files.push_back(dir + "/" + name);
    }
    closedir(d);
  }
  return files;
}

std::string readAll(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeAll(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

class DiskCacheTest : public ::testing::Test {
protected:
  void SetUp() override {
    rng = test::testGenerator();
    char tmpl[] = "/tmp/ember-disk-cache-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir = tmpl;
    // A subfolder that does not exist yet: the cache creates it.
    set_compile_cache_dir(dir + "/cache");
    // Shapes unique to this test, so no other test's graph is in memory.
    m = std::uniform_int_distribution<int64_t>(50, 90)(rng);
    n = std::uniform_int_distribution<int64_t>(50, 90)(rng);
  }
  void TearDown() override {
    set_compile_cache_dir("");
    for (const std::string &f : listGraphs(dir + "/cache"))
      std::remove(f.c_str());
    rmdir((dir + "/cache").c_str());
    rmdir(dir.c_str());
  }

  Tensor randomTensor(const Shape &shape) {
    return test::randomTensor(rng, shape);
  }

  /// Records the test's graph on fresh values, realises it and checks it
  /// against the reference.
  void realiseAndCheck() {
    Tensor a = randomTensor({m, n}), b = randomTensor({n});
    Tensor t = (a * 2.0 + b).relu().sum({1});
    std::vector<double> expected = ref::evaluate(t.node());
    t.realize();
    std::vector<double> actual =
        ref::toDoubles(t.node()->data->data(), t.dtype(), t.numel());
    EXPECT_EQ(ref::compareClose(actual, expected, t.shape(), 1e-5, 1e-5), "")
        << test::seedTrace();
  }

  std::string dir;
  int64_t m = 0, n = 0;
  std::mt19937_64 rng;
};

TEST_F(DiskCacheTest, SecondRunLoadsInsteadOfCompiling) {
  CacheStats before = cache_stats();
  realiseAndCheck();
  CacheStats first = cache_stats();
  EXPECT_EQ(first.compilations, before.compilations + 1);
  EXPECT_EQ(first.stored, before.stored + 1);
  std::vector<std::string> files = listGraphs(dir + "/cache");
  ASSERT_EQ(files.size(), 1u) << "one entry, no temporary files left";
  EXPECT_NE(files[0].find(".graph"), std::string::npos);

  // As a new process would: nothing in memory.
  clear_compile_cache();
  realiseAndCheck();
  CacheStats second = cache_stats();
  EXPECT_EQ(second.compilations, first.compilations);
  EXPECT_EQ(second.loaded, first.loaded + 1);
  // And held in memory again: no second load.
  realiseAndCheck();
  EXPECT_EQ(cache_stats().loaded, second.loaded);
}

TEST_F(DiskCacheTest, DamagedEntriesCompileAgainAndAreRepaired) {
  realiseAndCheck();
  std::vector<std::string> files = listGraphs(dir + "/cache");
  ASSERT_EQ(files.size(), 1u);
  const std::string path = files[0];
  const std::string good = readAll(path);
  ASSERT_GT(good.size(), 64u);

  std::uniform_int_distribution<size_t> anywhere(0, good.size() - 1);
  std::vector<std::pair<std::string, std::string>> damage = {
      {"empty", ""},
      {"truncated header", good.substr(0, 7)},
      {"truncated anywhere", good.substr(0, anywhere(rng))},
      {"one byte short", good.substr(0, good.size() - 1)},
      {"one byte more", good + "x"},
      {"garbage", std::string(good.size(), '\x5a')},
  };
  for (int i = 0; i < 4; ++i) {
    std::string flipped = good;
    flipped[anywhere(rng)] ^= static_cast<char>(1 << (i % 8));
    damage.push_back({"bit flip " + std::to_string(i), flipped});
  }
  // Another key in this file (say a hash collision, or another compiler
  // build): the key is compared whole.
  {
    std::string other = good;
    size_t keyStart = 12 + 8;
    other[keyStart + 5] ^= 1;
    damage.push_back({"another key", other});
  }

  for (const auto &[what, bytes] : damage) {
    SCOPED_TRACE(what);
    writeAll(path, bytes);
    clear_compile_cache();
    CacheStats before = cache_stats();
    realiseAndCheck();
    CacheStats after = cache_stats();
    EXPECT_EQ(after.loaded, before.loaded);
    EXPECT_EQ(after.compilations, before.compilations + 1);
    EXPECT_EQ(readAll(path), good) << "the entry is written again";
  }
}

TEST_F(DiskCacheTest, DisabledWritesNothing) {
  set_compile_cache_dir("");
  EXPECT_EQ(compile_cache_dir(), "");
  CacheStats before = cache_stats();
  realiseAndCheck();
  EXPECT_EQ(cache_stats().stored, before.stored);
  EXPECT_TRUE(listGraphs(dir + "/cache").empty());
}

TEST_F(DiskCacheTest, UnwritableFolderIsSkipped) {
  // A path under a regular file can never be created.
  writeAll(dir + "/file", "x");
  set_compile_cache_dir(dir + "/file/cache");
  CacheStats before = cache_stats();
  realiseAndCheck();
  EXPECT_EQ(cache_stats().compilations, before.compilations + 1);
  EXPECT_EQ(cache_stats().stored, before.stored);
  std::remove((dir + "/file").c_str());
}

// A FIFO where an entry should be is a miss at once: opening it must not
// wait for a writer (it did, forever).
TEST_F(DiskCacheTest, FifoEntryIsAMissWithoutBlocking) {
  fe::DiskCache &cache = fe::DiskCache::instance();
  const std::string key = "fifo key " + std::to_string(m * 1000 + n);
  ASSERT_TRUE(cache.store(key, {"entry", "code"}));
  std::vector<std::string> files = listGraphs(dir + "/cache");
  ASSERT_EQ(files.size(), 1u);
  ASSERT_EQ(std::remove(files[0].c_str()), 0);
  ASSERT_EQ(mkfifo(files[0].c_str(), 0600), 0);
  alarm(60); // A hang kills the test instead of stalling the run.
  EXPECT_FALSE(cache.load(key).has_value());
  alarm(0);
}

// A folder others may write is never read or written (whoever writes an
// entry chooses the code that runs), with one warning.
TEST_F(DiskCacheTest, UnsafeFolderIsNotUsed) {
  fe::DiskCache &cache = fe::DiskCache::instance();
  const std::string key = "unsafe key " + std::to_string(m * 1000 + n);
  const fe::CachedCode code{"entry", "code"};
  ASSERT_TRUE(cache.store(key, code));
  ASSERT_TRUE(cache.load(key).has_value());
  const std::string folder = dir + "/cache";

  // World-writable, then group-writable.
  for (mode_t mode : {mode_t(0777), mode_t(0770)}) {
    SCOPED_TRACE(mode);
    set_compile_cache_dir(folder); // forget earlier warnings
    ASSERT_EQ(chmod(folder.c_str(), mode), 0);
    testing::internal::CaptureStderr();
    EXPECT_FALSE(cache.load(key).has_value()) << "an entry was trusted";
    EXPECT_FALSE(cache.store(key + "2", code));
    EXPECT_FALSE(cache.load(key).has_value());
    std::string err = testing::internal::GetCapturedStderr();
    size_t first = err.find("not using the compile cache '" + folder + "'");
    EXPECT_NE(first, std::string::npos) << err;
    EXPECT_NE(err.find("writable by"), std::string::npos) << err;
    EXPECT_EQ(err.find("warning", first + 1), std::string::npos)
        << "warned more than once: " << err;
    EXPECT_EQ(listGraphs(folder).size(), 1u) << "nothing written";
  }

  // Safe again: used again.
  ASSERT_EQ(chmod(folder.c_str(), 0700), 0);
  EXPECT_TRUE(cache.load(key).has_value());

  // Another user's folder (only root can make one to test with).
  if (geteuid() == 0) {
    ASSERT_EQ(chown(folder.c_str(), 65534, 65534), 0);
    set_compile_cache_dir(folder);
    testing::internal::CaptureStderr();
    EXPECT_FALSE(cache.load(key).has_value());
    std::string err = testing::internal::GetCapturedStderr();
    EXPECT_NE(err.find("belongs to the user id 65534"), std::string::npos)
        << err;
    ASSERT_EQ(chown(folder.c_str(), 0, 0), 0);
  }
}

// Writers and readers of one key from 8 threads: every read is a miss or
// one of the whole entries written, never a mix or a partial file.
TEST_F(DiskCacheTest, ConcurrentWritersLeaveWholeEntries) {
  fe::DiskCache &cache = fe::DiskCache::instance();
  const std::string key = "test key " + std::to_string(m * 1000 + n);
  std::atomic<int> bad{0}, hits{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      // Each writer's entry is its own size and filler.
      fe::CachedCode mine{"entry" + std::to_string(t),
                          std::string(1000 + 7919 * t, char('a' + t))};
      for (int i = 0; i < 40; ++i) {
        if ((i + t) % 2)
          cache.store(key, mine);
        else if (auto got = cache.load(key)) {
          ++hits;
          int w = got->entry.size() == 6 ? got->entry[5] - '0' : -1;
          if (w < 0 || w >= 8 ||
              got->code != std::string(1000 + 7919 * w, char('a' + w)))
            ++bad;
        }
      }
    });
  for (std::thread &t : threads)
    t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(hits.load(), 0);
  EXPECT_EQ(listGraphs(dir + "/cache").size(), 1u)
      << "no temporary files left behind";
}

} // namespace
