//===- ResourceLimitsTest.cpp - Absurd sizes and running out of memory ----===//
//
// Part of Ember. Files that declare absurd sizes are rejected before
// anything is allocated: each loader runs in a child process whose address
// space is capped 512 MiB above what it uses, so an attempt to allocate
// what the file claims fails loudly (std::bad_alloc or a crash: the child's
// exit status) instead of passing. Shapes too large to exist, and host
// allocations the system refuses, are ember::Errors after which the process
// keeps working.
//
//===----------------------------------------------------------------------===//

#include "MemoryCap.h"
#include "ember/ember.h"
#include "ember/runtime/Artifact.h"
#include "ember/runtime/HostAllocator.h"
#include "ember/runtime/Npy.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <malloc.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace ember;

namespace {

std::string tempPath(const std::string &name) {
  static const std::string dir = [] {
    char tmpl[] = "/tmp/ember-limits-XXXXXX";
    if (!mkdtemp(tmpl))
      std::abort();
    return std::string(tmpl);
  }();
  return dir + "/" + name;
}

void writeBytes(const std::string &path, const std::string &bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string be32(uint32_t v) {
  return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
}

/// Runs `load` in a child with a capped address space. The child exits 0
/// when `load` returns true (the file was rejected with a proper error), 1
/// when it returns false (accepted), 2 on std::bad_alloc; a crash is a
/// signal.
void expectRejectedWithoutAllocating(const std::string &what,
                                     const std::function<bool()> &load) {
  SCOPED_TRACE(what);
  std::fflush(nullptr);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    test::capAddressSpace((rlim_t(512) << 20));
    int code;
    try {
      code = load() ? 0 : 1;
    } catch (const std::bad_alloc &) {
      code = 2;
    }
    _exit(code);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "the loader crashed (signal "
                                 << (WIFSIGNALED(status) ? WTERMSIG(status) : 0)
                                 << ")";
  EXPECT_NE(WEXITSTATUS(status), 2) << "it tried to allocate what the file claims";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the file was accepted";
}

bool throwsEmberError(const std::function<void()> &f) {
  try {
    f();
  } catch (const Error &) {
    return true;
  }
  return false;
}

TEST(ResourceLimitsTest, IdxDeclaringTerabytes) {
  // 2^31 - 1 images of 28 x 28: 1.7 TB promised, 16 bytes delivered.
  std::string images = be32(0x00000803) + be32(0x7fffffff) + be32(28) + be32(28);
  writeBytes(tempPath("train-images-idx3-ubyte"), images);
  writeBytes(tempPath("train-labels-idx1-ubyte"),
             be32(0x00000801) + be32(0x7fffffff));
  expectRejectedWithoutAllocating("idx", [] {
    return throwsEmberError([] {
      data::FashionMNIST set(std::filesystem::path(tempPath("")).parent_path(),
                             {.train = true});
    });
  });
}

TEST(ResourceLimitsTest, NpyDeclaringAbsurdShapes) {
  auto npy = [](const std::string &shape) {
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " +
                         shape + ", }";
    header.resize(((header.size() + 11 + 63) / 64) * 64 - 11, ' ');
    header += '\n';
    std::string bytes = "\x93NUMPY\x01\x00";
    bytes += char(header.size() & 0xff);
    bytes += char(header.size() >> 8);
    return bytes + header;
  };
  for (const std::string &shape :
       {std::string("(1099511627776,)"), std::string("(4294967296, 4294967296, 4294967296)"),
        std::string("(-1, 3)"), std::string("(99999999999999999999999,)")}) {
    std::string path = tempPath("absurd.npy");
    writeBytes(path, npy(shape));
    expectRejectedWithoutAllocating("npy " + shape,
                                    [path] { return !rt::readNpy(path); });
  }
}

TEST(ResourceLimitsTest, SafetensorsDeclaringAbsurdShapes) {
  auto file = [](const std::string &json) {
    std::string bytes;
    uint64_t n = json.size();
    bytes.append(reinterpret_cast<const char *>(&n), 8);
    return bytes + json;
  };
  for (const std::string &entry :
       {std::string(R"({"w":{"dtype":"F32","shape":[1099511627776],"data_offsets":[0,4398046511104]}})"),
        std::string(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}})"),
        std::string(R"({"w":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}})")}) {
    std::string path = tempPath("absurd.safetensors");
    writeBytes(path, file(entry));
    expectRejectedWithoutAllocating(entry, [path] {
      return throwsEmberError([path] { load_safetensors(path); });
    });
  }
  // A header length of 2^63: rejected before the header is read.
  std::string huge(8, '\0');
  huge[7] = char(0x80);
  writeBytes(tempPath("huge-header.safetensors"), huge + "{}");
  expectRejectedWithoutAllocating("header length 2^63", [] {
    return throwsEmberError(
        [] { load_safetensors(tempPath("huge-header.safetensors")); });
  });
}

TEST(ResourceLimitsTest, ArtifactDeclaringAbsurdShapes) {
  rt::Artifact a;
  a.inputs.push_back({DType::Float32, {int64_t(1) << 40}});
  a.entry = "ember_entry";
  std::string bytes = a.serialize();
  expectRejectedWithoutAllocating("artifact", [bytes] {
    return !rt::Artifact::parse(bytes);
  });
}

TEST(ResourceLimitsTest, ShapesTooLargeToExistAreErrors) {
  EXPECT_THROW(zeros({int64_t(1) << 40, int64_t(1) << 40}), Error);
  EXPECT_THROW(zeros({4, -1}), Error);
  // Lazily: the result's size is checked when it is realised.
  Tensor a = ones({int64_t(1) << 10, 1});
  EXPECT_THROW(
      (a.broadcast_to({int64_t(1) << 10, int64_t(1) << 55}) * 2.0).realize(),
      Error);
  // And the process goes on.
  EXPECT_EQ((ones({3}) * 2.0).to_vector(), std::vector<float>(3, 2.0f));
}

TEST(ResourceLimitsTest, HostOutOfMemoryIsAnErrorAndTheProcessGoesOn) {
  // 4 TiB: more than this machine has; the system refuses it.
  try {
    zeros({int64_t(1) << 20, int64_t(1) << 20});
    FAIL() << "a 4 TiB tensor was allocated";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("out of host memory"),
              std::string::npos)
        << e.what();
  }
  // A result too large for memory, found when the graph is realised, and
  // before the graph is compiled.
  Tensor row = ones({1, int64_t(1) << 20});
  (void)row.to_vector();
  uint64_t compiled = cache_stats().compilations;
  try {
    (row.broadcast_to({int64_t(1) << 20, int64_t(1) << 20}) + 1.0).realize();
    FAIL() << "a 4 TiB result was allocated";
  } catch (const Error &e) {
    std::string what = e.what();
    EXPECT_NE(what.find("out of host memory"), std::string::npos) << what;
    EXPECT_NE(what.find("the result of ember.add"), std::string::npos) << what;
  }
  EXPECT_EQ(cache_stats().compilations, compiled)
      << "the graph was compiled before its result was allocated";
  EXPECT_EQ((ones({2, 2}) + 1.0).to_vector(), std::vector<float>(4, 2.0f));
}

// Compiled code asking for a temporary the system refuses: an ember::Error
// naming the graph, the user's line and the bytes, and the process goes on
// (it wrote through the null pointer and died of SIGSEGV before). In a
// child whose address space is capped 1 GiB above what it uses: the graph's
// 3.6 GB temporaries cannot exist.
TEST(ResourceLimitsTest, OutOfMemoryInsideCompiledCodeIsAnError) {
  std::fflush(nullptr);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    test::capAddressSpace((rlim_t(1) << 30));
    int code = 1; // no error
    try {
      Tensor a = tensor({{2.0}}).broadcast_to({30000, 30000}) * 2.0;
      (void)a.matmul(a).sum().item();
    } catch (const Error &e) {
      std::string what = e.what();
      bool named = what.find("out of memory") != std::string::npos &&
                   what.find("bytes") != std::string::npos &&
                   what.find("ResourceLimitsTest.cpp") != std::string::npos &&
                   what.find("ember.") != std::string::npos;
      if (!named)
        std::fprintf(stderr, "unexpected message: %s\n", what.c_str());
      code = named ? 0 : 3;
    }
    // The process goes on: a small graph still computes.
    if (code == 0 && (ones({2, 2}) + 1.0).to_vector() !=
                         std::vector<float>(4, 2.0f))
      code = 4;
    _exit(code);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status))
      << "the process died (signal "
      << (WIFSIGNALED(status) ? WTERMSIG(status) : 0) << ")";
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "1: no error, 3: the error did not name the bytes, graph and line, "
         "4: the next graph failed";
}

// Reading a data set with too little memory for it is an ember::Error
// naming the file, not std::bad_alloc or an abort (the IDX reader's vector
// growth once needed 2-3x the data). 120,000 images (94 MB, more than any
// malloc arena reserves, so that no reservation an earlier test left can
// serve them) in a child capped 16 MiB above its use.
TEST(ResourceLimitsTest, ReadingADataSetWithoutTheMemoryForItIsAnError) {
  const int64_t count = 120000;
  std::string dir = tempPath("big-dataset");
  std::filesystem::create_directories(dir);
  {
    std::ofstream images(dir + "/train-images-idx3-ubyte", std::ios::binary);
    images << be32(0x803) << be32(count) << be32(28) << be32(28);
    std::string row(28 * 28, '\x7f');
    for (int64_t i = 0; i < count; ++i)
      images << row;
    std::ofstream labels(dir + "/train-labels-idx1-ubyte", std::ios::binary);
    labels << be32(0x801) << be32(count) << std::string(count, '\x03');
  }
  std::fflush(nullptr);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Blocks earlier tests left in the allocator's cache, or free memory at
    // the top of malloc's heap, would serve the images without asking the
    // system.
    rt::hostReleaseCached();
    malloc_trim(0);
    test::capAddressSpace((rlim_t(16) << 20));
    int code = 1; // loaded: the cap did not bite
    try {
      data::FashionMNIST training(dir, {.train = true});
    } catch (const Error &e) {
      std::string what = e.what();
      bool named = what.find("memory") != std::string::npos &&
                   what.find("train-images") != std::string::npos;
      if (!named)
        std::fprintf(stderr, "unexpected message: %s\n", what.c_str());
      code = named ? 0 : 3;
    } catch (const std::bad_alloc &) {
      code = 5;
    }
    _exit(code);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(WIFEXITED(status))
      << "the process died (signal "
      << (WIFSIGNALED(status) ? WTERMSIG(status) : 0) << ")";
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "1: it loaded, 3: the error did not name the file and memory, 5: "
         "std::bad_alloc escaped";
}

} // namespace
