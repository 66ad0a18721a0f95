//===- RuntimeTest.cpp - Buffers and executables --------------------------===//
//
// Part of Ember. The runtime on its own, with no compiler: the shared object
// under test is built by the system linker from hand-written assembly.
//
//===----------------------------------------------------------------------===//

#include "ember/runtime/Buffer.h"
#include "ember/runtime/Executable.h"
#include "ember/runtime/Half.h"
#include "ember/runtime/HostAllocator.h"

#include <cstring>

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <unistd.h>
#include <vector>

using namespace ember::rt;

namespace {

TEST(BufferTest, AlignedZeroedAndSized) {
  for (size_t bytes : {size_t(0), size_t(1), size_t(63), size_t(64), size_t(1000)}) {
    auto b = Buffer::allocate(bytes);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(b->data()) % kBufferAlignment, 0u);
    EXPECT_EQ(b->size(), bytes);
    for (size_t i = 0; i < bytes; ++i)
      ASSERT_EQ(static_cast<const uint8_t *>(b->data())[i], 0);
  }
}

TEST(BufferTest, ImpossibleSizeThrows) {
  EXPECT_THROW(Buffer::allocate(SIZE_MAX - 8), std::bad_alloc);
}

TEST(ExecutableTest, RejectsBytesThatAreNotAnElfObject) {
  std::vector<uint8_t> junk(100, 0x42);
  auto exe = Executable::load(junk, "ember_entry");
  ASSERT_FALSE(exe);
  EXPECT_NE(exe.status().message().find("not an ELF"), std::string::npos);
  auto empty = Executable::load({}, "ember_entry");
  EXPECT_FALSE(empty);
}

TEST(ExecutableTest, RejectsATruncatedElfFile) {
  std::vector<uint8_t> header = {0x7f, 'E', 'L', 'F'};
  header.resize(200, 0);
  auto exe = Executable::load(header, "ember_entry");
  ASSERT_FALSE(exe);
  EXPECT_NE(exe.status().message().find("dlopen failed"), std::string::npos)
      << exe.status().message();
}

/// Builds a shared object exporting `ember_entry(void **args)` that stores
/// 42.0f into *args[0], using the system assembler and linker.
std::vector<uint8_t> buildTinySharedObject() {
  std::string dir = "/tmp/ember-rt-test-" + std::to_string(::getpid());
  std::string cmd = "mkdir -p " + dir + " && cd " + dir +
                    " && printf '.globl ember_entry\\n.type ember_entry,@function\\n"
                    "ember_entry:\\n mov (%%rdi), %%rax\\n movl $0x42280000, (%%rax)\\n ret\\n' > e.s"
                    " && as e.s -o e.o && ld -shared e.o -o e.so";
  if (std::system(cmd.c_str()) != 0)
    return {};
  std::ifstream in(dir + "/e.so", std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  std::system(("rm -rf " + dir).c_str());
  return bytes;
}

TEST(ExecutableTest, LoadsFromMemoryAndRuns) {
  std::vector<uint8_t> so = buildTinySharedObject();
  // binutils is one of scripts/deps.sh's packages.
  ASSERT_FALSE(so.empty())
      << "no system assembler/linker to build the test object (apt-get "
      << "install binutils; scripts/deps.sh does)";
  auto exe = Executable::load(so, "ember_entry");
  ASSERT_TRUE(exe) << exe.status().message();
  float out = 0;
  void *args[] = {&out};
  ASSERT_TRUE((*exe)->run(args));
  EXPECT_EQ(out, 42.0f);

  auto missing = Executable::load(so, "no_such_symbol");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.status().message().find("no_such_symbol"),
            std::string::npos);
}

} // namespace

namespace {

TEST(HostAllocatorTest, FreedBlocksAreServedAgain) {
  HostAllocatorStats before = hostAllocatorStats();
  void *a = hostAllocate(100000);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % 64, 0u);
  std::memset(a, 0xab, 100000); // the whole size is usable
  hostFree(a);
  // A request of the same size class gets the same block back.
  void *b = hostAllocate(99000);
  EXPECT_EQ(b, a);
  HostAllocatorStats after = hostAllocatorStats();
  EXPECT_EQ(after.cacheHits, before.cacheHits + 1);
  hostFree(b);
  hostFree(nullptr); // ignored
  EXPECT_EQ(hostAllocate(size_t(1) << 60), nullptr);
}

TEST(HostAllocatorTest, CompiledCodeHooksUseTheCache) {
  void *p = _mlir_memref_to_llvm_aligned_alloc(64, 4096);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u);
  _mlir_memref_to_llvm_free(p);
  EXPECT_EQ(_mlir_memref_to_llvm_alloc(4096), p);
  _mlir_memref_to_llvm_free(p);
  EXPECT_EQ(_mlir_memref_to_llvm_aligned_alloc(128, 64), nullptr);
}

} // namespace

//===----------------------------------------------------------------------===//
// float16 and bfloat16 conversions (Half.h)
//===----------------------------------------------------------------------===//

namespace {

/// Floats to convert: edges (signed zeros, the formats' limits and the
/// midpoints between them, infinities, NaN) and many random bit patterns.
std::vector<float> halfTestFloats() {
  std::vector<float> v = {0.0f,
                          -0.0f,
                          1.0f,
                          -1.0f,
                          65504.0f,
                          65519.99f,
                          65520.0f,
                          1e9f,
                          5.9604645e-8f,
                          2.9802322e-8f,
                          2.9802326e-8f,
                          6.1035156e-5f,
                          6.1035149e-5f,
                          3.3895314e38f,
                          3.4028235e38f,
                          1e-40f,
                          std::numeric_limits<float>::infinity(),
                          -std::numeric_limits<float>::infinity(),
                          std::numeric_limits<float>::quiet_NaN()};
  std::mt19937 rng(12345);
  for (int i = 0; i < 1000000; ++i) {
    uint32_t bits = rng();
    v.push_back(std::bit_cast<float>(bits));
  }
  return v;
}

} // namespace

TEST(Half, Float16MatchesTheCompilersConversion) {
  for (float f : halfTestFloats()) {
    uint16_t ours = ember::rt::floatToHalfBits(f);
    _Float16 theirs = static_cast<_Float16>(f);
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(ember::rt::halfBitsToFloat(ours))) << f;
      continue;
    }
    ASSERT_EQ(ours, std::bit_cast<uint16_t>(theirs)) << f;
  }
  // Every float16 widens exactly and narrows back to itself.
  for (uint32_t h = 0; h < 0x10000; ++h) {
    float f = ember::rt::halfBitsToFloat(static_cast<uint16_t>(h));
    if (std::isnan(f))
      continue;
    ASSERT_EQ(f, static_cast<float>(
                     std::bit_cast<_Float16>(static_cast<uint16_t>(h))));
    ASSERT_EQ(ember::rt::floatToHalfBits(f), h);
  }
}

TEST(Half, BFloat16RoundsToNearestEven) {
  for (float f : halfTestFloats()) {
    uint16_t ours = ember::rt::floatToBFloat16Bits(f);
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(ember::rt::bfloat16BitsToFloat(ours))) << f;
      continue;
    }
    // Independently: the two bfloat16 values around f (truncation and the
    // next one up in magnitude), the nearer, ties to the even one.
    uint32_t x = std::bit_cast<uint32_t>(f);
    uint16_t down = static_cast<uint16_t>(x >> 16), up = down + 1;
    double lo = ember::rt::bfloat16BitsToFloat(down);
    double hi = (up & 0x7f80) == 0x7f80 && (down & 0x7f80) != 0x7f80
                    ? std::copysign(std::ldexp(1.0, 128), f) // past the top
                    : ember::rt::bfloat16BitsToFloat(up);
    double dl = std::fabs(f - lo), dh = std::fabs(hi - f);
    uint16_t expected = dl < dh ? down : dh < dl ? up : (down & 1 ? up : down);
    ASSERT_EQ(ours, expected) << f;
  }
  for (uint32_t b = 0; b < 0x10000; ++b) {
    float f = ember::rt::bfloat16BitsToFloat(static_cast<uint16_t>(b));
    if (!std::isnan(f))
      ASSERT_EQ(ember::rt::floatToBFloat16Bits(f), b);
  }
}
