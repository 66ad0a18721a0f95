//===- CudaTest.cpp - The runtime's CUDA layer ----------------------------===//
//
// Part of Ember. Most tests run against the in-process fake driver
// (DriverKind::Fake, what EMBER_FAKE_CUDA=1 selects), so allocation, copy and
// launch logic is checked on every machine. The SystemDriver tests use
// libcuda.so.1 and are skipped, with the reason, where there is no GPU.
//
//===----------------------------------------------------------------------===//

#include "ember/runtime/Cuda.h"
#include "ember/runtime/GpuExecutable.h"
#include "ember/runtime/Nccl.h"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <numeric>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

using namespace ember::rt;
using namespace ember::rt::cuda;

namespace {

constexpr size_t kGiB = size_t(1) << 30;
constexpr size_t kMiB = size_t(1) << 20;

/// ember_test_fill(float *out, float value): out[blockIdx.x * blockDim.x +
/// threadIdx.x] = value. Real PTX (checked with ptxas -arch=sm_90), so the
/// same test runs on a GPU; the fake driver knows the kernel by name.
const char *kFillPtx = R"(
.version 7.0
.target sm_52
.address_size 64

.visible .entry ember_test_fill(
	.param .u64 ember_test_fill_param_0,
	.param .f32 ember_test_fill_param_1
)
{
	.reg .b32 %r<5>;
	.reg .f32 %f<2>;
	.reg .b64 %rd<5>;

	ld.param.u64 %rd1, [ember_test_fill_param_0];
	ld.param.f32 %f1, [ember_test_fill_param_1];
	cvta.to.global.u64 %rd2, %rd1;
	mov.u32 %r1, %ctaid.x;
	mov.u32 %r2, %ntid.x;
	mov.u32 %r3, %tid.x;
	mad.lo.s32 %r4, %r1, %r2, %r3;
	mul.wide.u32 %rd3, %r4, 4;
	add.s64 %rd4, %rd2, %rd3;
	st.global.f32 [%rd4], %f1;
	ret;
}
)";

bool contains(const std::string &haystack, const std::string &needle) {
  return haystack.find(needle) != std::string::npos;
}

/// Sets an environment variable for a scope, then restores it.
class ScopedEnv {
public:
  ScopedEnv(const char *name, const char *value) : name_(name) {
    if (const char *old = std::getenv(name))
      saved_ = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (saved_)
      ::setenv(name_, saved_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

private:
  const char *name_;
  std::optional<std::string> saved_;
};

/// Runs `body` in a process of its own (a gtest death test in the
/// "threadsafe" style: the test binary runs again for just this test), for
/// work that leaves the fake device with a sticky error, as a kernel fault
/// does. The test passes when `body` records no failure; the child's
/// failures are printed in the parent's report.
void inOwnProcess(const std::function<void()> &body) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        ::testing::TestPartResultArray failures;
        {
          ::testing::ScopedFakeTestPartResultReporter reporter(
              ::testing::ScopedFakeTestPartResultReporter::
                  INTERCEPT_ALL_THREADS,
              &failures);
          body();
        }
        for (int i = 0; i < failures.size(); ++i) {
          const ::testing::TestPartResult &r = failures.GetTestPartResult(i);
          std::fprintf(stderr, "%s:%d: %s\n", r.file_name(), r.line_number(),
                       r.message());
        }
        std::fflush(nullptr);
        std::_Exit(failures.size() == 0 ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

Device &fakeDevice() {
  StatusOr<Device *> device = Device::get(0, DriverKind::Fake);
  EXPECT_TRUE(device) << device.status().message();
  return **device;
}

/// Allocates, copies in, copies back and compares; then fills with the
/// ember_test_fill kernel. Shared by the real and the fake driver.
void roundTripAndFill(Device &device) {
  std::vector<float> in(1000);
  std::iota(in.begin(), in.end(), 0.5f);
  StatusOr<DeviceBuffer> buffer = device.allocate(in.size() * sizeof(float));
  ASSERT_TRUE(buffer) << buffer.status().message();
  Status s = device.copyToDevice(*buffer, in.data(), in.size() * sizeof(float));
  ASSERT_TRUE(s) << s.message();
  std::vector<float> out(in.size(), -1.0f);
  s = device.copyToHost(out.data(), *buffer, out.size() * sizeof(float));
  ASSERT_TRUE(s) << s.message();
  s = device.synchronize();
  ASSERT_TRUE(s) << s.message();
  EXPECT_EQ(in, out);

  StatusOr<std::unique_ptr<Module>> module = device.loadModule(kFillPtx);
  ASSERT_TRUE(module) << module.status().message();
  StatusOr<Function> fill = (*module)->function("ember_test_fill");
  ASSERT_TRUE(fill) << fill.status().message();
  EXPECT_EQ(fill->name(), "ember_test_fill");
  DevicePtr address = buffer->address();
  float value = 7.25f;
  // 3 blocks of 128 threads: the first 384 floats.
  s = device.launch(*fill, {3, 1, 1}, {128, 1, 1}, 0, {&address, &value});
  ASSERT_TRUE(s) << s.message();
  s = device.copyToHost(out.data(), *buffer, out.size() * sizeof(float));
  ASSERT_TRUE(s) << s.message();
  s = device.synchronize();
  ASSERT_TRUE(s) << s.message();
  for (size_t i = 0; i < out.size(); ++i)
    ASSERT_EQ(out[i], i < 384 ? value : in[i]) << "at " << i;
}

//===----------------------------------------------------------------------===//
// The real driver
//===----------------------------------------------------------------------===//

TEST(SystemDriverTest, AllocateCopyAndLaunch) {
  if (!available(DriverKind::System))
    GTEST_SKIP() << unavailableReason(DriverKind::System);
  StatusOr<DeviceInfo> info = deviceInfo(0, DriverKind::System);
  ASSERT_TRUE(info) << info.status().message();
  EXPECT_FALSE(info->name.empty());
  EXPECT_GE(info->computeMajor, 3);
  EXPECT_GT(info->totalMemory, 0u);
  EXPECT_LE(info->freeMemory, info->totalMemory);
  std::cout << "device 0: " << info->name << ", " << info->arch() << ", "
            << info->totalMemory / kMiB << " MiB\n";
  StatusOr<Device *> device = Device::get(0, DriverKind::System);
  ASSERT_TRUE(device) << device.status().message();
  roundTripAndFill(**device);
}

TEST(SystemDriverTest, UnavailableDriverExplainsItself) {
  if (available(DriverKind::System))
    GTEST_SKIP() << "a CUDA device is available";
  std::string reason = unavailableReason(DriverKind::System);
  EXPECT_FALSE(reason.empty());
  EXPECT_EQ(deviceCount(DriverKind::System), 0);
  StatusOr<Device *> device = Device::get(0, DriverKind::System);
  ASSERT_FALSE(device);
  EXPECT_TRUE(contains(device.status().message(), reason))
      << device.status().message();
}

//===----------------------------------------------------------------------===//
// The fake driver
//===----------------------------------------------------------------------===//

TEST(FakeDriverTest, SelectedByEnvironment) {
  const char *old = std::getenv("EMBER_FAKE_CUDA");
  std::string saved = old ? old : "";
  ::setenv("EMBER_FAKE_CUDA", "1", 1);
  EXPECT_EQ(defaultDriverKind(), DriverKind::Fake);
  ::setenv("EMBER_FAKE_CUDA", "0", 1);
  EXPECT_EQ(defaultDriverKind(), DriverKind::System);
  ::unsetenv("EMBER_FAKE_CUDA");
  EXPECT_EQ(defaultDriverKind(), DriverKind::System);
  if (old)
    ::setenv("EMBER_FAKE_CUDA", saved.c_str(), 1);
}

TEST(FakeDriverTest, IsAvailableWithOneDevice) {
  EXPECT_TRUE(available(DriverKind::Fake));
  EXPECT_EQ(unavailableReason(DriverKind::Fake), "");
  EXPECT_EQ(deviceCount(DriverKind::Fake), 1);
}

TEST(FakeDriverTest, DeviceInfo) {
  StatusOr<DeviceInfo> info = deviceInfo(0, DriverKind::Fake);
  ASSERT_TRUE(info) << info.status().message();
  EXPECT_EQ(info->ordinal, 0);
  EXPECT_EQ(info->name, "Ember Fake GPU");
  EXPECT_EQ(info->computeMajor, 9);
  EXPECT_EQ(info->computeMinor, 0);
  EXPECT_EQ(info->arch(), "sm_90");
  EXPECT_EQ(info->totalMemory, kGiB);
  EXPECT_LE(info->freeMemory, kGiB);

  StatusOr<DeviceInfo> missing = deviceInfo(1, DriverKind::Fake);
  ASSERT_FALSE(missing);
  EXPECT_TRUE(contains(missing.status().message(), "does not exist"))
      << missing.status().message();
}

TEST(FakeDriverTest, SizeClasses) {
  EXPECT_EQ(allocationSizeClass(0), 256u);
  EXPECT_EQ(allocationSizeClass(1), 256u);
  EXPECT_EQ(allocationSizeClass(256), 256u);
  EXPECT_EQ(allocationSizeClass(257), 320u);
  EXPECT_EQ(allocationSizeClass(448), 448u);
  EXPECT_EQ(allocationSizeClass(449), 512u);
  EXPECT_EQ(allocationSizeClass(513), 640u);
  EXPECT_EQ(allocationSizeClass(4000), 4096u);
  EXPECT_EQ(allocationSizeClass(kGiB + 1), kGiB + kGiB / 4);
  for (size_t bytes = 1; bytes < 100000; bytes += 37) {
    size_t c = allocationSizeClass(bytes);
    ASSERT_GE(c, bytes);
    ASSERT_LE(c, std::max<size_t>(256, bytes + bytes / 4));
  }
}

TEST(FakeDriverTest, CacheServesAFreedBlockAgain) {
  Device &device = fakeDevice();
  ASSERT_TRUE(device.emptyCache());
  AllocatorStats before = device.allocatorStats();

  StatusOr<DeviceBuffer> a = device.allocate(1000);
  ASSERT_TRUE(a) << a.status().message();
  EXPECT_EQ(a->size(), 1000u);
  EXPECT_EQ(a->capacity(), 1024u);
  EXPECT_EQ(a->device(), &device);
  EXPECT_NE(a->address(), 0u);
  DevicePtr first = a->address();
  AllocatorStats live = device.allocatorStats();
  EXPECT_EQ(live.driverAllocations, before.driverAllocations + 1);
  EXPECT_EQ(live.bytesInUse, before.bytesInUse + 1024);

  a->reset();
  EXPECT_FALSE(*a);
  AllocatorStats freed = device.allocatorStats();
  EXPECT_EQ(freed.bytesInUse, before.bytesInUse);
  EXPECT_EQ(freed.bytesCached, 1024u);

  // 900 bytes falls in the same 1024-byte class: the freed block comes back,
  // without asking the driver.
  StatusOr<DeviceBuffer> b = device.allocate(900);
  ASSERT_TRUE(b) << b.status().message();
  EXPECT_EQ(b->address(), first);
  AllocatorStats reused = device.allocatorStats();
  EXPECT_EQ(reused.cacheHits, before.cacheHits + 1);
  EXPECT_EQ(reused.driverAllocations, before.driverAllocations + 1);
  EXPECT_EQ(reused.bytesCached, 0u);

  // Another class is a new block.
  StatusOr<DeviceBuffer> c = device.allocate(5000);
  ASSERT_TRUE(c) << c.status().message();
  EXPECT_NE(c->address(), first);
  EXPECT_EQ(device.allocatorStats().driverAllocations,
            before.driverAllocations + 2);

  // Moving hands over ownership; the moved-from buffer frees nothing.
  DeviceBuffer moved = std::move(*b);
  EXPECT_FALSE(*b);
  EXPECT_EQ(moved.address(), first);
  moved.reset();
  c->reset();
  EXPECT_EQ(device.allocatorStats().bytesCached, 1024u + 5120u);

  // Emptying the cache gives the memory back to the driver.
  ASSERT_TRUE(device.emptyCache());
  EXPECT_EQ(device.allocatorStats().bytesCached, 0u);
  StatusOr<DeviceInfo> info = device.info();
  ASSERT_TRUE(info);
  EXPECT_EQ(info->freeMemory, kGiB);
}

TEST(FakeDriverTest, OutOfMemoryNamesBothAmounts) {
  Device &device = fakeDevice();
  StatusOr<DeviceBuffer> huge = device.allocate(2 * kGiB);
  ASSERT_FALSE(huge);
  const std::string &message = huge.status().message();
  EXPECT_TRUE(contains(message, "cuMemAlloc_v2 failed: "
                                "CUDA_ERROR_OUT_OF_MEMORY (out of memory)"))
      << message;
  EXPECT_TRUE(contains(message, "asked for 2147483648 bytes (2.00 GiB)"))
      << message;
  EXPECT_TRUE(contains(message, "1073741824 bytes (1.00 GiB) free of "
                                "1073741824 bytes (1.00 GiB) per cuMemGetInfo"))
      << message;
}

TEST(FakeDriverTest, OutOfMemoryEmptiesTheCacheAndRetries) {
  Device &device = fakeDevice();
  {
    StatusOr<DeviceBuffer> big = device.allocate(600 * kMiB);
    ASSERT_TRUE(big) << big.status().message();
  }
  EXPECT_GE(device.allocatorStats().bytesCached, 600 * kMiB);
  // 700 MiB fits only once the cached 600 MiB block is freed.
  StatusOr<DeviceBuffer> other = device.allocate(700 * kMiB);
  ASSERT_TRUE(other) << other.status().message();
  EXPECT_EQ(device.allocatorStats().bytesCached, 0u);
  other->reset();
  ASSERT_TRUE(device.emptyCache());
}

TEST(FakeDriverTest, CopiesRoundTripAndCheckBounds) {
  Device &device = fakeDevice();
  StatusOr<DeviceBuffer> buffer = device.allocate(64);
  ASSERT_TRUE(buffer) << buffer.status().message();
  ASSERT_TRUE(device.setBytes(*buffer, 0xab, 64));
  const char text[] = "hello, device";
  ASSERT_TRUE(device.copyToDevice(*buffer, text, sizeof(text), 8));
  char out[64] = {};
  ASSERT_TRUE(device.copyToHost(out, *buffer, 64));
  ASSERT_TRUE(device.synchronize());
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(static_cast<unsigned char>(out[i]), 0xab);
  EXPECT_STREQ(out + 8, text);
  EXPECT_EQ(static_cast<unsigned char>(out[8 + sizeof(text)]), 0xab);

  char partial[4] = {};
  ASSERT_TRUE(device.copyToHost(partial, *buffer, 4, 8));
  EXPECT_EQ(std::string(partial, 4), "hell");

  // The buffer is 64 bytes, though its block holds 256.
  Status tooFar = device.copyToDevice(*buffer, text, sizeof(text), 60);
  ASSERT_FALSE(tooFar);
  EXPECT_TRUE(contains(tooFar.message(), "outside the 64-byte buffer"))
      << tooFar.message();
  Status empty = device.copyToHost(out, DeviceBuffer(), 1);
  ASSERT_FALSE(empty);
  EXPECT_TRUE(contains(empty.message(), "empty DeviceBuffer"))
      << empty.message();
}

TEST(FakeDriverTest, LaunchesTheFillKernel) { roundTripAndFill(fakeDevice()); }

TEST(FakeDriverTest, LaunchPastTheEndIsAnIllegalAddressThatSticks) {
  inOwnProcess([] {
    Device &device = fakeDevice();
    StatusOr<DeviceBuffer> buffer = device.allocate(100 * sizeof(float));
    ASSERT_TRUE(buffer);
    auto module = device.loadModule(kFillPtx);
    ASSERT_TRUE(module) << module.status().message();
    auto fill = (*module)->function("ember_test_fill");
    ASSERT_TRUE(fill) << fill.status().message();
    DevicePtr address = buffer->address();
    float value = 1.0f;
    // 1024 floats into a block of 512 bytes.
    Status s =
        device.launch(*fill, {4, 1, 1}, {256, 1, 1}, 0, {&address, &value});
    ASSERT_FALSE(s);
    const std::string first =
        "cuLaunchKernel failed: CUDA_ERROR_ILLEGAL_ADDRESS (an illegal memory "
        "access was encountered)";
    EXPECT_TRUE(contains(s.message(), first)) << s.message();
    EXPECT_TRUE(contains(s.message(), "ember_test_fill")) << s.message();
    EXPECT_TRUE(contains(s.message(),
                         "This error is sticky: CUDA device 0 (Ember Fake "
                         "GPU) cannot run anything more in this process"))
        << s.message();

    // Every later call fails fast, naming the first fault, as the driver
    // would fail it anyway.
    float out[4];
    const std::string lost = "CUDA device 0 (Ember Fake GPU) cannot be used "
                             "any more in this process";
    for (Status later :
         {device.copyToHost(out, *buffer, sizeof(out)), device.synchronize(),
          device.allocate(64).status(),
          device.launch(*fill, {1, 1, 1}, {1, 1, 1}, 0, {&address, &value})}) {
      ASSERT_FALSE(later);
      EXPECT_TRUE(contains(later.message(), lost)) << later.message();
      EXPECT_TRUE(contains(later.message(), first)) << later.message();
      EXPECT_TRUE(contains(later.message(), "restart the process"))
          << later.message();
    }
  });
}

TEST(FakeDriverTest, FailingCallNamesTheCallAndTheError) {
  Device &device = fakeDevice();
  auto module = device.loadModule("any text at all");
  ASSERT_TRUE(module) << module.status().message();
  StatusOr<Function> missing = (*module)->function("no_such_kernel");
  ASSERT_FALSE(missing);
  const std::string &message = missing.status().message();
  EXPECT_EQ(message.rfind("cuModuleGetFunction failed: CUDA_ERROR_NOT_FOUND "
                          "(named symbol not found)",
                          0),
            0u)
      << message;
  EXPECT_TRUE(contains(message, "'no_such_kernel'")) << message;
}

//===----------------------------------------------------------------------===//
// The emulated device: kernels compiled for the host
//===----------------------------------------------------------------------===//

/// Host code in the GpuPlan.h ABI (one call runs one thread; ids holds
/// blockIdx, threadIdx, gridDim, blockDim; `shared` is the block's shared
/// memory, of <kernel>_shared_bytes; <kernel>_barriers says whether it
/// calls the barrier, through ember_emu_barrier_hook):
///   kernel 0 (float *out, const float *in, float a):
///     i = blockIdx.x * blockDim.x + threadIdx.x; out[i] = in[i] * 2 + a
///   kernel 1 (uint32_t *out): thread t of block b (both linear, x fastest)
///     writes its 12 ids to out[(b * threads + t) * 12 ...]
///   kernel 2 (uint32_t *out), for one block: appends threadIdx.x to the
///     list out[1 .. out[0]], recording the order threads ran in
///   kernel 3 (float *out, const float *in), 1-d blocks of a power of two
///     threads up to 1024: out[blockIdx.x] = the sum of the block's inputs
///     in[blockIdx.x * blockDim.x ...], a tree reduction in shared memory
///     with a barrier after each step
///   kernel 4: kernel 3 without the barriers of the steps (a bug)
///   kernel 5 (float *out): threads of threadIdx.x 0 return early; the
///     others wait at a barrier (a divergent barrier)
///   kernel 6 (float *out): needs one byte more than sm_90's 48 KiB
///   kernel 7 (float *out), no barrier: each thread reads its float of the
///     block's shared memory into out[blockIdx.x * blockDim.x +
///     threadIdx.x], then writes 1 there
///   kernel 8 (uint32_t *out), for one block: appends threadIdx.x to the
///     list out[1 .. out[0]], waits at a barrier, appends it again: the
///     orders of the two phases
///   kernel 9 (float *out): calls the barrier, but says it has none
///   kernel 10: kernel 6 with 48 KiB, the limit itself
///   kernel 11 (float *out, const float *in, int mode, int offset, int
///     width), warp shuffles (through ember_emu_shuffle_hook): thread i
///     (global, 1-d) writes in[i] shuffled as the arguments say to out[i],
///     or -1 when the source lane is not valid
///   kernel 12 (float *out, const float *in): every thread writes the sum
///     of its warp's inputs, a butterfly of xor shuffles, to out[i]
///   kernel 13 (float *out): threads of threadIdx.x < 16 return; the
///     others shuffle (a divergent shuffle)
const char *kHostKernelsC = R"(
#include <stdint.h>
#include <string.h>
void (*ember_emu_barrier_hook)(void);
static void barrier(void) { ember_emu_barrier_hook(); }
uint64_t (*ember_emu_shuffle_hook)(uint32_t, uint32_t, uint32_t, uint32_t);
static float shuffle(float v, uint32_t offset, uint32_t width, uint32_t mode,
                     int *valid) {
  uint32_t bits;
  memcpy(&bits, &v, 4);
  uint64_t r = ember_emu_shuffle_hook(bits, offset, width, mode);
  bits = (uint32_t)r;
  memcpy(&v, &bits, 4);
  *valid = (int)(r >> 32);
  return v;
}

const uint32_t ember_emu_kernel_0_params = 3;
const uint32_t ember_emu_kernel_0_param_bytes[3] = {8, 8, 4};
void ember_emu_kernel_0(void **params, const uint32_t ids[12], void *shared) {
  float *out = *(float **)params[0];
  const float *in = *(const float **)params[1];
  float a = *(const float *)params[2];
  uint32_t i = ids[0] * ids[9] + ids[3];
  out[i] = in[i] * 2.0f + a;
}
void ember_emu_kernel_1(void **params, const uint32_t ids[12], void *shared) {
  uint32_t *out = *(uint32_t **)params[0];
  uint32_t block = (ids[2] * ids[7] + ids[1]) * ids[6] + ids[0];
  uint32_t thread = (ids[5] * ids[10] + ids[4]) * ids[9] + ids[3];
  uint32_t threads = ids[9] * ids[10] * ids[11];
  for (int k = 0; k < 12; ++k)
    out[(block * threads + thread) * 12 + k] = ids[k];
}
void ember_emu_kernel_2(void **params, const uint32_t ids[12], void *shared) {
  uint32_t *out = *(uint32_t **)params[0];
  out[1 + out[0]++] = ids[3];
}

const uint64_t ember_emu_kernel_3_shared_bytes = 1024 * sizeof(float);
const uint32_t ember_emu_kernel_3_barriers = 1;
void ember_emu_kernel_3(void **params, const uint32_t ids[12], void *shared) {
  float *out = *(float **)params[0];
  const float *in = *(const float **)params[1];
  float *tile = (float *)shared;
  uint32_t t = ids[3], n = ids[9], b = ids[0];
  tile[t] = in[b * n + t];
  barrier();
  for (uint32_t s = n / 2; s > 0; s /= 2) {
    if (t < s)
      tile[t] += tile[t + s];
    barrier();
  }
  if (t == 0)
    out[b] = tile[0];
}

const uint64_t ember_emu_kernel_4_shared_bytes = 1024 * sizeof(float);
const uint32_t ember_emu_kernel_4_barriers = 1;
void ember_emu_kernel_4(void **params, const uint32_t ids[12], void *shared) {
  float *out = *(float **)params[0];
  const float *in = *(const float **)params[1];
  float *tile = (float *)shared;
  uint32_t t = ids[3], n = ids[9], b = ids[0];
  tile[t] = in[b * n + t];
  barrier();
  for (uint32_t s = n / 2; s > 0; s /= 2)
    if (t < s)
      tile[t] += tile[t + s];
  if (t == 0)
    out[b] = tile[0];
}

const uint64_t ember_emu_kernel_5_shared_bytes = 0;
const uint32_t ember_emu_kernel_5_barriers = 1;
void ember_emu_kernel_5(void **params, const uint32_t ids[12], void *shared) {
  float *out = *(float **)params[0];
  if (ids[3] == 0)
    return;
  barrier();
  out[ids[3]] = 1.0f;
}

const uint64_t ember_emu_kernel_6_shared_bytes = 48 * 1024 + 1;
const uint32_t ember_emu_kernel_6_barriers = 0;
void ember_emu_kernel_6(void **params, const uint32_t ids[12], void *shared) {
  float *out = *(float **)params[0];
  ((char *)shared)[48 * 1024] = 1;
  out[ids[3]] = 1.0f;
}

const uint64_t ember_emu_kernel_7_shared_bytes = 1024 * sizeof(float);
void ember_emu_kernel_7(void **params, const uint32_t ids[12], void *shared) {
  float *out = *(float **)params[0];
  float *tile = (float *)shared;
  out[ids[0] * ids[9] + ids[3]] = tile[ids[3]];
  tile[ids[3]] = 1.0f;
}

const uint32_t ember_emu_kernel_8_barriers = 1;
void ember_emu_kernel_8(void **params, const uint32_t ids[12], void *shared) {
  uint32_t *out = *(uint32_t **)params[0];
  out[1 + out[0]++] = ids[3];
  barrier();
  out[1 + out[0]++] = ids[3];
}

void ember_emu_kernel_9(void **params, const uint32_t ids[12], void *shared) {
  barrier();
}

const uint64_t ember_emu_kernel_10_shared_bytes = 48 * 1024;
void ember_emu_kernel_10(void **params, const uint32_t ids[12], void *shared) {
  float *out = *(float **)params[0];
  ((char *)shared)[48 * 1024 - 1] = 1;
  out[ids[3]] = 1.0f;
}

const uint32_t ember_emu_kernel_11_barriers = 1;
void ember_emu_kernel_11(void **params, const uint32_t ids[12], void *shared) {
  float *out = *(float **)params[0];
  const float *in = *(const float **)params[1];
  int mode = *(const int *)params[2], offset = *(const int *)params[3];
  int width = *(const int *)params[4], valid;
  uint32_t i = ids[0] * ids[9] + ids[3];
  float v = shuffle(in[i], offset, width, mode, &valid);
  out[i] = valid ? v : -1.0f;
}

const uint32_t ember_emu_kernel_12_barriers = 1;
void ember_emu_kernel_12(void **params, const uint32_t ids[12], void *shared) {
  float *out = *(float **)params[0];
  const float *in = *(const float **)params[1];
  uint32_t i = ids[0] * ids[9] + ids[3];
  float v = in[i];
  int valid;
  for (uint32_t o = 16; o > 0; o /= 2)
    v += shuffle(v, o, 32, 0, &valid);
  out[i] = v;
}

const uint32_t ember_emu_kernel_13_barriers = 1;
void ember_emu_kernel_13(void **params, const uint32_t ids[12], void *shared) {
  float *out = *(float **)params[0];
  int valid;
  if (ids[3] < 16)
    return;
  out[ids[3]] = shuffle(1.0f, 1, 32, 0, &valid);
}
)";

/// Compiles kHostKernelsC into a shared object with the system C compiler;
/// empty when there is none. Built once.
const std::string &hostKernels() {
  static const std::string bytes = [] {
    std::string dir = "/tmp/ember-cuda-test-" + std::to_string(::getpid());
    if (std::system(("mkdir -p " + dir).c_str()) != 0)
      return std::string();
    std::ofstream(dir + "/k.c") << kHostKernelsC;
    std::string cmd = "cd " + dir + " && cc -O1 -fPIC -shared k.c -o k.so";
    std::string result;
    if (std::system(cmd.c_str()) == 0) {
      std::ifstream in(dir + "/k.so", std::ios::binary);
      result.assign(std::istreambuf_iterator<char>(in),
                    std::istreambuf_iterator<char>());
    }
    std::system(("rm -rf " + dir).c_str());
    return result;
  }();
  return bytes;
}

#define REQUIRE_HOST_KERNELS()                                                 \
  do {                                                                         \
    /* cc comes with scripts/deps.sh's packages (g++, binutils). */            \
    ASSERT_FALSE(hostKernels().empty())                                        \
        << "no system C compiler to build the host kernels (apt-get install "  \
           "gcc binutils; scripts/deps.sh does)";                              \
  } while (false)

std::vector<float> readFloats(Device &device, const DeviceBuffer &buffer,
                              size_t count) {
  std::vector<float> host(count, 0.0f);
  EXPECT_TRUE(device.copyToHost(host.data(), buffer, count * sizeof(float)));
  EXPECT_TRUE(device.synchronize());
  return host;
}

TEST(FakeDriverTest, FreshAllocationsReadAsNaN) {
  Device &device = fakeDevice();
  // Emptying the cache makes the next allocation come from the driver.
  ASSERT_TRUE(device.emptyCache());
  size_t before = device.allocatorStats().driverAllocations;
  StatusOr<DeviceBuffer> buffer = device.allocate(1000 * sizeof(float));
  ASSERT_TRUE(buffer) << buffer.status().message();
  EXPECT_EQ(device.allocatorStats().driverAllocations, before + 1);
  std::vector<unsigned char> bytes(1000 * sizeof(float), 0);
  ASSERT_TRUE(device.copyToHost(bytes.data(), *buffer, bytes.size()));
  ASSERT_TRUE(device.synchronize());
  for (size_t i = 0; i < bytes.size(); ++i)
    ASSERT_EQ(bytes[i], 0xff) << "at byte " << i;
  for (float f : readFloats(device, *buffer, 1000))
    ASSERT_TRUE(std::isnan(f)) << f;
  // A device address is the host address of the bytes.
  EXPECT_EQ(*reinterpret_cast<const uint32_t *>(buffer->address()),
            0xffffffffu);
}

TEST(FakeDriverTest, EmulatedKernelRunsEveryThreadOfEveryBlock) {
  REQUIRE_HOST_KERNELS();
  Device &device = fakeDevice();
  ASSERT_TRUE(device.emptyCache());
  std::vector<float> in(1000);
  std::iota(in.begin(), in.end(), -100.0f);
  StatusOr<DeviceBuffer> input = device.allocate(in.size() * sizeof(float));
  StatusOr<DeviceBuffer> output = device.allocate(in.size() * sizeof(float));
  ASSERT_TRUE(input && output);
  ASSERT_TRUE(device.copyToDevice(*input, in.data(), in.size() * sizeof(float)));

  StatusOr<std::unique_ptr<Module>> module = device.loadModule(hostKernels());
  ASSERT_TRUE(module) << module.status().message();
  StatusOr<Function> scale = (*module)->function("ember_emu_kernel_0");
  ASSERT_TRUE(scale) << scale.status().message();
  DevicePtr out = output->address(), src = input->address();
  float a = 0.5f;
  // 7 blocks of 96 threads: the first 672 floats; the rest stays unwritten.
  for (int run = 0; run < 2; ++run) {
    Status s = device.launch(*scale, {7, 1, 1}, {96, 1, 1}, 0, {&out, &src, &a});
    ASSERT_TRUE(s) << s.message();
    std::vector<float> host = readFloats(device, *output, in.size());
    for (size_t i = 0; i < host.size(); ++i) {
      if (i < 7 * 96)
        ASSERT_EQ(host[i], in[i] * 2.0f + a) << "at " << i;
      else
        ASSERT_TRUE(std::isnan(host[i])) << "at " << i << ": " << host[i];
    }
  }

  // Every thread of a 3-d grid of 3-d blocks runs once, with its own ids.
  const unsigned grid[3] = {3, 2, 2}, block[3] = {4, 3, 2};
  const size_t blocks = 12, threads = 24;
  StatusOr<DeviceBuffer> idsBuffer =
      device.allocate(blocks * threads * 12 * sizeof(uint32_t));
  ASSERT_TRUE(idsBuffer);
  StatusOr<Function> where = (*module)->function("ember_emu_kernel_1");
  ASSERT_TRUE(where) << where.status().message();
  DevicePtr idsAddress = idsBuffer->address();
  Status s = device.launch(*where, {grid[0], grid[1], grid[2]},
                           {block[0], block[1], block[2]}, 0, {&idsAddress});
  ASSERT_TRUE(s) << s.message();
  std::vector<uint32_t> ids(blocks * threads * 12);
  ASSERT_TRUE(device.copyToHost(ids.data(), *idsBuffer,
                                ids.size() * sizeof(uint32_t)));
  ASSERT_TRUE(device.synchronize());
  for (size_t b = 0; b < blocks; ++b) {
    for (size_t t = 0; t < threads; ++t) {
      const uint32_t *got = &ids[(b * threads + t) * 12];
      uint32_t want[12] = {
          uint32_t(b % 3), uint32_t(b / 3 % 2), uint32_t(b / 6),
          uint32_t(t % 4), uint32_t(t / 4 % 3), uint32_t(t / 12),
          grid[0],         grid[1],             grid[2],
          block[0],        block[1],            block[2]};
      for (int k = 0; k < 12; ++k)
        ASSERT_EQ(got[k], want[k]) << "block " << b << " thread " << t
                                   << " id " << k;
    }
  }
}

/// Runs a recording kernel (2 or 8) on one block of 256 threads twice, and
/// returns each run's list out[1 .. out[0]] of thread ids as it ran, with
/// `entries` expected in it.
std::vector<std::vector<uint32_t>> recordedOrders(Device &device,
                                                  const Function &record,
                                                  uint32_t entries) {
  std::vector<std::vector<uint32_t>> orders;
  StatusOr<DeviceBuffer> buffer = device.allocate((entries + 1) * sizeof(uint32_t));
  EXPECT_TRUE(buffer);
  if (!buffer)
    return orders;
  DevicePtr address = buffer->address();
  for (int run = 0; run < 2; ++run) {
    EXPECT_TRUE(device.setBytes(*buffer, 0, (entries + 1) * sizeof(uint32_t)));
    Status s = device.launch(record, {1, 1, 1}, {256, 1, 1}, 0, {&address});
    EXPECT_TRUE(s) << s.message();
    std::vector<uint32_t> order(entries + 1);
    EXPECT_TRUE(device.copyToHost(order.data(), *buffer,
                                  order.size() * sizeof(uint32_t)));
    EXPECT_TRUE(device.synchronize());
    EXPECT_EQ(order[0], entries);
    order.erase(order.begin());
    orders.push_back(std::move(order));
  }
  return orders;
}

TEST(FakeDriverTest, EmulatedThreadsRunInAFixedShuffledOrder) {
  REQUIRE_HOST_KERNELS();
  Device &device = fakeDevice();
  StatusOr<std::unique_ptr<Module>> module = device.loadModule(hostKernels());
  ASSERT_TRUE(module) << module.status().message();
  StatusOr<Function> record = (*module)->function("ember_emu_kernel_2");
  ASSERT_TRUE(record) << record.status().message();
  std::vector<std::vector<uint32_t>> orders =
      recordedOrders(device, *record, 256);
  ASSERT_EQ(orders.size(), 2u);
  // Every thread ran once, not in threadIdx order (that would hide a kernel
  // relying on an order or a barrier) ...
  std::vector<uint32_t> sorted = orders[0], identity(256);
  std::sort(sorted.begin(), sorted.end());
  std::iota(identity.begin(), identity.end(), 0u);
  EXPECT_EQ(sorted, identity);
  EXPECT_NE(orders[0], identity);
  // ... and in the same order every time: runs are reproducible.
  EXPECT_EQ(orders[1], orders[0]);
}

TEST(FakeDriverTest, EmulatedLaunchesKeepTheChipsLimits) {
  REQUIRE_HOST_KERNELS();
  Device &device = fakeDevice();
  StatusOr<std::unique_ptr<Module>> module = device.loadModule(hostKernels());
  ASSERT_TRUE(module) << module.status().message();
  StatusOr<Function> scale = (*module)->function("ember_emu_kernel_0");
  ASSERT_TRUE(scale) << scale.status().message();
  StatusOr<DeviceBuffer> buffer = device.allocate(4096);
  ASSERT_TRUE(buffer);
  DevicePtr address = buffer->address();
  float a = 1.0f;
  auto rejects = [&](std::array<unsigned, 3> grid,
                     std::array<unsigned, 3> block, unsigned shared,
                     const std::string &limit) {
    Status s = device.launch(*scale, grid, block, shared,
                             {&address, &address, &a});
    ASSERT_FALSE(s) << limit;
    EXPECT_TRUE(contains(s.message(), "cuLaunchKernel failed: "
                                      "CUDA_ERROR_INVALID_VALUE (invalid "
                                      "argument): "))
        << s.message();
    EXPECT_TRUE(contains(s.message(), limit)) << s.message();
    EXPECT_TRUE(contains(s.message(), "ember_emu_kernel_0")) << s.message();
  };
  rejects({1, 1, 1}, {1025, 1, 1}, 0,
          "blockDim.x = 1025 exceeds sm_90's limit of 1024");
  rejects({1, 1, 1}, {41, 25, 1}, 0,
          "a block of 1025 threads (blockDim 41x25x1) exceeds sm_90's limit "
          "of 1024 threads per block");
  rejects({1, 1, 1}, {1, 1, 65}, 0,
          "blockDim.z = 65 exceeds sm_90's limit of 64");
  rejects({1, 65536, 1}, {1, 1, 1}, 0,
          "gridDim.y = 65536 exceeds sm_90's limit of 65535");
  rejects({1, 1, 65536}, {1, 1, 1}, 0,
          "gridDim.z = 65536 exceeds sm_90's limit of 65535");
  rejects({0x80000000u, 1, 1}, {1, 1, 1}, 0,
          "gridDim.x = 2147483648 exceeds sm_90's limit of 2147483647");
  rejects({1, 0, 1}, {1, 1, 1}, 0, "gridDim.y is 0");
  rejects({1, 1, 1}, {32, 1, 1}, 1024,
          "dynamic shared memory (1024 bytes) is not supported by the "
          "emulated device");
  // At the limits themselves, launches run.
  std::vector<float> zeros(1024, 0.0f);
  ASSERT_TRUE(device.copyToDevice(*buffer, zeros.data(), 4096));
  Status s = device.launch(*scale, {1, 1, 1}, {1024, 1, 1}, 0,
                           {&address, &address, &a});
  ASSERT_TRUE(s) << s.message();
  EXPECT_EQ(readFloats(device, *buffer, 1024), std::vector<float>(1024, 1.0f));
}

TEST(FakeDriverTest, EmulatedModulesFindOnlyTheirOwnSymbols) {
  REQUIRE_HOST_KERNELS();
  Device &device = fakeDevice();
  StatusOr<std::unique_ptr<Module>> module = device.loadModule(hostKernels());
  ASSERT_TRUE(module) << module.status().message();
  for (const char *name : {"ember_emu_kernel_99", "malloc", "ember_test_fill"}) {
    StatusOr<Function> fn = (*module)->function(name);
    ASSERT_FALSE(fn) << name;
    EXPECT_EQ(fn.status().message().rfind(
                  "cuModuleGetFunction failed: CUDA_ERROR_NOT_FOUND", 0),
              0u)
        << fn.status().message();
    EXPECT_TRUE(contains(fn.status().message(),
                         "the emulated module defines no '" +
                             std::string(name) + "'"))
        << fn.status().message();
  }
  // An ELF image whose header does not say where it ends is not loaded.
  std::string broken = hostKernels();
  broken[60] = broken[61] = 0; // e_shnum
  StatusOr<std::unique_ptr<Module>> bad = device.loadModule(broken);
  ASSERT_FALSE(bad);
  // The reason arrives through the JIT's error log, as ptxas's does.
  EXPECT_TRUE(contains(bad.status().message(),
                       "cuModuleLoadDataEx failed: CUDA_ERROR_INVALID_IMAGE "
                       "(device kernel image is invalid); the JIT's error "
                       "log:\nthe emulated module's ELF header is not sane"))
      << bad.status().message();
}

} // namespace

//===----------------------------------------------------------------------===//
// Plans: the host side of compiled GPU graphs
//===----------------------------------------------------------------------===//

namespace {

/// A plan over one argument (the output, 16 floats): fill a temporary with
/// `value` by a kernel, copy it to the output, free it.
GpuPlan fillPlan(float value) {
  GpuPlan plan;
  plan.numArgs = 1;
  plan.modules.push_back(kFillPtx);
  plan.kernels.push_back({"ember_test_fill", 0});
  GpuStep alloc;
  alloc.kind = GpuStep::Kind::Alloc;
  alloc.buffer = 1;
  alloc.bytes = 16 * sizeof(float);
  GpuStep launch;
  launch.kind = GpuStep::Kind::Launch;
  launch.kernel = 0;
  launch.grid = {2, 1, 1};
  launch.block = {8, 1, 1};
  launch.args = {{GpuArg::Kind::Buffer, 1}, {GpuArg::Kind::F32, floatBits(value)}};
  GpuStep copy;
  copy.kind = GpuStep::Kind::Copy;
  copy.buffer = 0;
  copy.source = 1;
  copy.bytes = 16 * sizeof(float);
  GpuStep free;
  free.kind = GpuStep::Kind::Free;
  free.buffer = 1;
  plan.steps = {alloc, launch, copy, free};
  return plan;
}

/// The module of kHostKernelsC, loaded on the fake device.
std::unique_ptr<Module> loadHostKernels(Device &device) {
  StatusOr<std::unique_ptr<Module>> module = device.loadModule(hostKernels());
  EXPECT_TRUE(module) << module.status().message();
  return module ? std::move(*module) : nullptr;
}

/// Launches host kernel `kernel` of `module` (loaded on `device`) on a
/// grid of `grid` blocks of `block` threads, its one parameter a fresh
/// 4 KiB buffer; returns the launch's status.
Status launchOnFreshBuffer(Device &device, const Module &module,
                           const char *kernel, std::array<unsigned, 3> grid,
                           std::array<unsigned, 3> block) {
  StatusOr<DeviceBuffer> buffer = device.allocate(4096);
  if (!buffer)
    return buffer.status();
  StatusOr<Function> fn = module.function(kernel);
  if (!fn)
    return fn.status();
  DevicePtr address = buffer->address();
  return device.launch(*fn, grid, block, 0, {&address});
}

/// Sums of `blocks` blocks of `threads` inputs each by kernel 3 or 4 (the
/// inputs: 0, 1, 2, ..., exact in float).
std::vector<float> blockSums(Device &device, Module &module,
                             const char *kernel, unsigned blocks,
                             unsigned threads) {
  std::vector<float> in(size_t(blocks) * threads);
  std::iota(in.begin(), in.end(), 0.0f);
  StatusOr<DeviceBuffer> input = device.allocate(in.size() * sizeof(float));
  StatusOr<DeviceBuffer> output = device.allocate(blocks * sizeof(float));
  EXPECT_TRUE(input && output);
  if (!input || !output)
    return {};
  EXPECT_TRUE(
      device.copyToDevice(*input, in.data(), in.size() * sizeof(float)));
  StatusOr<Function> sum = module.function(kernel);
  EXPECT_TRUE(sum) << sum.status().message();
  DevicePtr out = output->address(), src = input->address();
  Status s = device.launch(*sum, {blocks, 1, 1}, {threads, 1, 1}, 0,
                           {&out, &src});
  EXPECT_TRUE(s) << s.message();
  return readFloats(device, *output, blocks);
}

TEST(FakeDriverTest, EmulatedBarriersSynchroniseTheThreadsOfABlock) {
  REQUIRE_HOST_KERNELS();
  Device &device = fakeDevice();
  std::unique_ptr<Module> module = loadHostKernels(device);
  ASSERT_TRUE(module);
  // Blocks of 2 .. 1024 threads, 13 blocks over the host threads: each sum
  // is exact, every time.
  for (unsigned threads : {2u, 64u, 256u, 1024u}) {
    for (int run = 0; run < 2; ++run) {
      std::vector<float> sums =
          blockSums(device, *module, "ember_emu_kernel_3", 13, threads);
      ASSERT_EQ(sums.size(), 13u);
      for (unsigned b = 0; b < 13; ++b) {
        double first = double(b) * threads;
        double want = threads * first + double(threads) * (threads - 1) / 2;
        ASSERT_EQ(sums[b], static_cast<float>(want))
            << "block " << b << " of " << threads << " threads";
      }
    }
  }
}

TEST(FakeDriverTest, EmulatedKernelWithoutItsBarriersGivesWrongSums) {
  REQUIRE_HOST_KERNELS();
  Device &device = fakeDevice();
  std::unique_ptr<Module> module = loadHostKernels(device);
  ASSERT_TRUE(module);
  // Kernel 4 lacks the barriers between the steps of its reduction: a
  // thread adds what its partner has not written yet. A GPU may hide that
  // (warps run in lockstep); the emulated device's shuffled order does not.
  std::vector<float> right =
      blockSums(device, *module, "ember_emu_kernel_3", 8, 256);
  std::vector<float> wrong =
      blockSums(device, *module, "ember_emu_kernel_4", 8, 256);
  ASSERT_EQ(right.size(), 8u);
  ASSERT_EQ(wrong.size(), 8u);
  for (unsigned b = 0; b < 8; ++b)
    EXPECT_NE(wrong[b], right[b]) << "block " << b;
  // The same wrong sums every time: the order is reproducible.
  EXPECT_EQ(blockSums(device, *module, "ember_emu_kernel_4", 8, 256), wrong);
}

TEST(FakeDriverTest, EmulatedBarrierPhasesRunInFreshShuffledOrders) {
  REQUIRE_HOST_KERNELS();
  Device &device = fakeDevice();
  std::unique_ptr<Module> module = loadHostKernels(device);
  ASSERT_TRUE(module);
  StatusOr<Function> record = module->function("ember_emu_kernel_8");
  ASSERT_TRUE(record) << record.status().message();
  std::vector<std::vector<uint32_t>> orders =
      recordedOrders(device, *record, 512);
  ASSERT_EQ(orders.size(), 2u);
  const std::vector<uint32_t> &order = orders[0];
  // Every thread appended before the barrier before any after it ...
  std::vector<uint32_t> before(order.begin(), order.begin() + 256);
  std::vector<uint32_t> after(order.begin() + 256, order.end());
  std::vector<uint32_t> identity(256);
  std::iota(identity.begin(), identity.end(), 0u);
  for (std::vector<uint32_t> phase : {before, after}) {
    std::sort(phase.begin(), phase.end());
    EXPECT_EQ(phase, identity);
  }
  // ... and the threads were released in another shuffled order, the same
  // in every run.
  EXPECT_NE(after, before);
  EXPECT_NE(after, identity);
  EXPECT_EQ(orders[1], orders[0]);
}

TEST(FakeDriverTest, EmulatedSharedMemoryIsFreshNaNForEveryBlock) {
  REQUIRE_HOST_KERNELS();
  Device &device = fakeDevice();
  std::unique_ptr<Module> module = loadHostKernels(device);
  ASSERT_TRUE(module);
  StatusOr<Function> read = module->function("ember_emu_kernel_7");
  ASSERT_TRUE(read) << read.status().message();
  // 40 blocks on at most 4 host threads: blocks share a host thread's
  // buffer, and each still reads what no thread of its own wrote.
  StatusOr<DeviceBuffer> buffer = device.allocate(40 * 64 * sizeof(float));
  ASSERT_TRUE(buffer);
  std::vector<float> zeros(40 * 64, 0.0f);
  ASSERT_TRUE(device.copyToDevice(*buffer, zeros.data(),
                                  zeros.size() * sizeof(float)));
  DevicePtr address = buffer->address();
  Status s = device.launch(*read, {40, 1, 1}, {64, 1, 1}, 0, {&address});
  ASSERT_TRUE(s) << s.message();
  for (float f : readFloats(device, *buffer, 40 * 64))
    ASSERT_TRUE(std::isnan(f)) << f;
}

TEST(FakeDriverTest, EmulatedDivergentBarrierFailsTheLaunch) {
  REQUIRE_HOST_KERNELS();
  inOwnProcess([] {
    Device &device = fakeDevice();
    std::unique_ptr<Module> module = loadHostKernels(device);
    ASSERT_TRUE(module);
    const std::string why =
        "cuLaunchKernel failed: CUDA_ERROR_LAUNCH_FAILED (unspecified launch "
        "failure): divergent barrier in kernel ember_emu_kernel_5: thread "
        "(0, 0, 0) of block (0, 0, 0) returned while 14 of the 16 threads of "
        "its block wait at a barrier (after 0 completed barriers)";
    Status s = launchOnFreshBuffer(device, *module, "ember_emu_kernel_5",
                                   {3, 1, 1}, {8, 2, 1});
    ASSERT_FALSE(s);
    EXPECT_TRUE(contains(s.message(), why)) << s.message();
    // A launch failure is sticky: the next launch names it.
    StatusOr<Function> sum = module->function("ember_emu_kernel_3");
    ASSERT_FALSE(sum);
    EXPECT_TRUE(contains(sum.status().message(), "cannot be used any more"))
        << sum.status().message();
    EXPECT_TRUE(contains(sum.status().message(), why))
        << sum.status().message();
  });
}

/// Kernel 11 over `threads` inputs 0, 1, 2, ... in blocks of `block`: what
/// each thread read, or the launch's error.
StatusOr<std::vector<float>> shuffled(Device &device, Module &module,
                                      unsigned threads, unsigned block,
                                      int mode, int offset, int width) {
  std::vector<float> in(threads);
  std::iota(in.begin(), in.end(), 0.0f);
  StatusOr<DeviceBuffer> input = device.allocate(threads * sizeof(float));
  StatusOr<DeviceBuffer> output = device.allocate(threads * sizeof(float));
  if (!input || !output)
    return Status::error("allocation failed");
  EXPECT_TRUE(device.copyToDevice(*input, in.data(), threads * sizeof(float)));
  StatusOr<Function> fn = module.function("ember_emu_kernel_11");
  if (!fn)
    return fn.status();
  DevicePtr out = output->address(), src = input->address();
  if (Status s = device.launch(*fn, {threads / block, 1, 1}, {block, 1, 1}, 0,
                               {&out, &src, &mode, &offset, &width});
      !s)
    return s;
  return readFloats(device, *output, threads);
}

TEST(FakeDriverTest, EmulatedWarpShufflesReadTheirSourceLane) {
  REQUIRE_HOST_KERNELS();
  Device &device = fakeDevice();
  std::unique_ptr<Module> module = loadHostKernels(device);
  ASSERT_TRUE(module);
  // 4 blocks of 96 threads (3 warps each); gpu.shuffle's modes: 0 xor,
  // 1 up, 2 down, 3 idx.
  struct Case {
    int mode, offset, width;
  };
  for (Case c : {Case{0, 1, 32}, Case{0, 16, 32}, Case{0, 5, 8}, Case{1, 3, 32},
                 Case{2, 7, 32}, Case{2, 1, 16}, Case{3, 9, 32}}) {
    StatusOr<std::vector<float>> got =
        shuffled(device, *module, 384, 96, c.mode, c.offset, c.width);
    ASSERT_TRUE(got) << got.status().message();
    for (unsigned i = 0; i < 384; ++i) {
      int lane = i % 32, first = i - lane;
      int source = c.mode == 0   ? lane ^ c.offset
                   : c.mode == 1 ? lane - c.offset
                   : c.mode == 2 ? lane + c.offset
                                 : c.offset;
      float want = source >= 0 && source < c.width ? float(first + source) : -1;
      ASSERT_EQ((*got)[i], want)
          << "thread " << i << ", mode " << c.mode << " offset " << c.offset
          << " width " << c.width;
    }
  }
}

TEST(FakeDriverTest, EmulatedWarpShufflesWaitForTheWholeWarp) {
  REQUIRE_HOST_KERNELS();
  Device &device = fakeDevice();
  std::unique_ptr<Module> module = loadHostKernels(device);
  ASSERT_TRUE(module);
  // Every thread of a warp gets the warp's sum, five shuffles deep: each
  // exchange waits for the other 31 threads (run one after another in a
  // shuffled order, a thread that read early would read a stale value).
  StatusOr<Function> sum = module->function("ember_emu_kernel_12");
  ASSERT_TRUE(sum) << sum.status().message();
  for (unsigned block : {32u, 64u, 256u, 1024u}) {
    unsigned threads = 2048;
    std::vector<float> in(threads);
    std::iota(in.begin(), in.end(), 0.0f);
    StatusOr<DeviceBuffer> input = device.allocate(threads * sizeof(float));
    StatusOr<DeviceBuffer> output = device.allocate(threads * sizeof(float));
    ASSERT_TRUE(input && output);
    ASSERT_TRUE(
        device.copyToDevice(*input, in.data(), threads * sizeof(float)));
    DevicePtr out = output->address(), src = input->address();
    Status s = device.launch(*sum, {threads / block, 1, 1}, {block, 1, 1}, 0,
                             {&out, &src});
    ASSERT_TRUE(s) << s.message();
    std::vector<float> got = readFloats(device, *output, threads);
    for (unsigned i = 0; i < threads; ++i) {
      unsigned first = i - i % 32;
      ASSERT_EQ(got[i], float(32 * first + 31 * 32 / 2))
          << "thread " << i << ", blocks of " << block;
    }
  }
}

TEST(FakeDriverTest, EmulatedShuffleFromAMissingLaneFailsTheLaunch) {
  REQUIRE_HOST_KERNELS();
  inOwnProcess([] {
    Device &device = fakeDevice();
    std::unique_ptr<Module> module = loadHostKernels(device);
    ASSERT_TRUE(module);
    // Blocks of 40 threads: the second warp has lanes 0 .. 7 only.
    StatusOr<std::vector<float>> got =
        shuffled(device, *module, 80, 40, 0, 16, 32);
    ASSERT_FALSE(got);
    // (Which of threads 32 .. 39 reports first depends on the order.)
    const std::string &why = got.status().message();
    EXPECT_TRUE(contains(why, "in kernel ember_emu_kernel_11, thread (3"))
        << why;
    EXPECT_TRUE(contains(why, ", 0, 0) of block (0, 0, 0) shuffled from lane "))
        << why;
    EXPECT_TRUE(contains(why, " of its warp, which the block (40 threads) "
                              "does not have"))
        << why;
  });
}

TEST(FakeDriverTest, EmulatedDivergentShuffleFailsTheLaunch) {
  REQUIRE_HOST_KERNELS();
  inOwnProcess([] {
    Device &device = fakeDevice();
    std::unique_ptr<Module> module = loadHostKernels(device);
    ASSERT_TRUE(module);
    Status s = launchOnFreshBuffer(device, *module, "ember_emu_kernel_13",
                                   {2, 1, 1}, {64, 1, 1});
    ASSERT_FALSE(s);
    EXPECT_TRUE(contains(s.message(), "divergent warp shuffle or mma in kernel "
                                      "ember_emu_kernel_13: thread ("))
        << s.message();
    EXPECT_TRUE(contains(s.message(), " returned while 16 of the 32 threads "
                                      "of its warp wait at a shuffle or mma"))
        << s.message();
  });
}

TEST(FakeDriverTest, EmulatedBarrierUndeclaredByTheHostCodeFailsTheLaunch) {
  REQUIRE_HOST_KERNELS();
  inOwnProcess([] {
    Device &device = fakeDevice();
    std::unique_ptr<Module> module = loadHostKernels(device);
    ASSERT_TRUE(module);
    Status s = launchOnFreshBuffer(device, *module, "ember_emu_kernel_9",
                                   {1, 1, 1}, {2, 1, 1});
    ASSERT_FALSE(s);
    EXPECT_TRUE(contains(s.message(),
                         "kernel ember_emu_kernel_9 called the barrier, but "
                         "its host code says it has none"))
        << s.message();
  });
}

TEST(FakeDriverTest, EmulatedSharedMemoryKeepsTheChipsLimit) {
  REQUIRE_HOST_KERNELS();
  Device &device = fakeDevice();
  std::unique_ptr<Module> module = loadHostKernels(device);
  ASSERT_TRUE(module);
  StatusOr<DeviceBuffer> buffer = device.allocate(4096);
  ASSERT_TRUE(buffer);
  DevicePtr address = buffer->address();
  StatusOr<Function> over = module->function("ember_emu_kernel_6");
  ASSERT_TRUE(over) << over.status().message();
  Status s = device.launch(*over, {1, 1, 1}, {32, 1, 1}, 0, {&address});
  ASSERT_FALSE(s);
  EXPECT_TRUE(contains(s.message(),
                       "cuLaunchKernel failed: CUDA_ERROR_INVALID_VALUE "
                       "(invalid argument): the kernel's 49153 bytes of "
                       "static shared memory exceed sm_90's limit of 49152 "
                       "(48 KiB) per block"))
      << s.message();
  // At the limit itself, the launch runs (and may use every byte).
  StatusOr<Function> at = module->function("ember_emu_kernel_10");
  ASSERT_TRUE(at) << at.status().message();
  s = device.launch(*at, {2, 1, 1}, {32, 1, 1}, 0, {&address});
  ASSERT_TRUE(s) << s.message();
  std::vector<float> out = readFloats(device, *buffer, 32);
  EXPECT_EQ(out, std::vector<float>(32, 1.0f));
}

} // namespace

TEST(GpuPlanTest, SerializeParseRoundTrip) {
  GpuPlan plan = fillPlan(2.5f);
  StatusOr<GpuPlan> parsed = GpuPlan::parse(plan.serialize());
  ASSERT_TRUE(parsed) << parsed.status().message();
  EXPECT_EQ(parsed->serialize(), plan.serialize());
  ASSERT_EQ(parsed->modules.size(), 1u);
  EXPECT_EQ(parsed->modules[0], kFillPtx);
  EXPECT_EQ(parsed->kernels[0].name, "ember_test_fill");
  EXPECT_EQ(parsed->kernels[0].module, 0);
  EXPECT_EQ(parsed->numBuffers(), 2);
}

TEST(GpuPlanTest, KernelsShareAModule) {
  // Version 2: a module's PTX is stored once, kernels name it by index.
  GpuPlan plan = fillPlan(1.0f);
  plan.modules.push_back("// a second module");
  plan.kernels.push_back({"second", 1});
  plan.kernels.push_back({"third", 0});
  std::string text = plan.serialize();
  EXPECT_EQ(text.rfind("ember-gpu-plan 2\nargs 1\nmodule ", 0), 0u) << text;
  EXPECT_TRUE(contains(text, "\nkernel ember_test_fill 0\nkernel second 1\n"
                             "kernel third 0\n"))
      << text;
  StatusOr<GpuPlan> parsed = GpuPlan::parse(text);
  ASSERT_TRUE(parsed) << parsed.status().message();
  ASSERT_EQ(parsed->modules.size(), 2u);
  EXPECT_EQ(parsed->modules[1], "// a second module");
  ASSERT_EQ(parsed->kernels.size(), 3u);
  EXPECT_EQ(parsed->kernels[1].module, 1);
  EXPECT_EQ(parsed->kernels[2].module, 0);
  EXPECT_EQ(parsed->serialize(), text);
}

TEST(GpuPlanTest, MalformedPlansAreRejected) {
  std::string good = fillPlan(1.0f).serialize();
  auto rejects = [](const std::string &text, const std::string &fragment) {
    StatusOr<GpuPlan> p = GpuPlan::parse(text);
    ASSERT_FALSE(p) << text;
    EXPECT_NE(p.status().message().find(fragment), std::string::npos)
        << p.status().message();
  };
  rejects("", "header");
  rejects("ember-gpu-plan 3\n", "version 3, expected 2");
  // Version 1 (one PTX module per kernel) is not read any more.
  rejects("ember-gpu-plan 1\nargs 1\nkernel k 2\n//\nend\n",
          "version 1, expected 2");
  rejects(good.substr(0, good.size() - 4), "missing 'end'");
  rejects(good.substr(0, 120), "truncated");
  rejects("ember-gpu-plan 2\nargs 1\nlaunch 0 1 1 1 1 1 1 0\nend\n", "unknown kernel");
  rejects("ember-gpu-plan 2\nargs 1\nkernel k 0\nend\n",
          "kernel 'k' names module 0, which is not there");
  rejects("ember-gpu-plan 2\nargs 1\nmodule 2\n//\nkernel k 1\nend\n",
          "names module 1");
  rejects("ember-gpu-plan 2\nargs 1\nmodule 2\n//\nkernel k -1\nend\n",
          "names module -1");
  rejects("ember-gpu-plan 2\nargs 1\nmodule 2\n//\nkernel k\nend\n",
          "invalid kernel header");
  rejects("ember-gpu-plan 2\nargs 1\nmodule -5\nend\n", "invalid module header");
  rejects("ember-gpu-plan 2\nargs 1\nfree 0\nend\n", "invalid free");
  rejects("ember-gpu-plan 2\nargs 1\ncopy 0 5 4\nend\n", "invalid copy");
  rejects("ember-gpu-plan 2\nargs 1\nalloc 1 99999999999999999\nend\n", "invalid alloc");
  rejects("ember-gpu-plan 2\nargs -3\nend\n", "args");
  rejects("ember-gpu-plan 2\nargs 1\nfrobnicate\nend\n", "unknown item");
  rejects("ember-gpu-plan 2\nargs 1\nallreduce 1 4 float32\nend\n",
          "invalid allreduce");
  rejects("ember-gpu-plan 2\nargs 1\nallreduce 0 -4 float32\nend\n",
          "invalid allreduce");
  rejects("ember-gpu-plan 2\nargs 1\nalloc 1 16\nallreduce 1 5 float32\nend\n",
          "allreduce of 5 elements in buffer 1 of 16 bytes");
  rejects("ember-gpu-plan 2\nargs 1\nallreduce 0 4 int32\nend\n",
          "allreduce of 'int32' (float32 and float64 only)");
}

TEST(GpuPlanTest, AllReduceStepsRoundTrip) {
  GpuPlan plan = fillPlan(1.0f);
  GpuStep sum;
  sum.kind = GpuStep::Kind::AllReduce;
  sum.buffer = 0;
  sum.count = 16;
  sum.dtype = ember::DType::Float64;
  plan.steps.push_back(sum);
  std::string text = plan.serialize();
  EXPECT_TRUE(contains(text, "\nallreduce 0 16 float64\nend\n")) << text;
  StatusOr<GpuPlan> parsed = GpuPlan::parse(text);
  ASSERT_TRUE(parsed) << parsed.status().message();
  const GpuStep &back = parsed->steps.back();
  EXPECT_EQ(back.kind, GpuStep::Kind::AllReduce);
  EXPECT_EQ(back.buffer, 0);
  EXPECT_EQ(back.count, 16);
  EXPECT_EQ(back.dtype, ember::DType::Float64);
  EXPECT_EQ(parsed->serialize(), text);
}

/// A plan over two arguments (16 floats in, 16 floats out) that runs kernel 0
/// of the host code (out = in * 2 + a) into a temporary, copies it to the
/// output and frees it. Its kernel's PTX is a placeholder: on the emulated
/// device only the host code runs.
GpuPlan scalePlan(float a, std::string hostCode) {
  GpuPlan plan;
  plan.numArgs = 2;
  plan.modules.push_back("// PTX the emulated device never reads");
  plan.kernels.push_back({"scale", 0});
  plan.hostCode = std::move(hostCode);
  GpuStep alloc;
  alloc.kind = GpuStep::Kind::Alloc;
  alloc.buffer = 2;
  alloc.bytes = 16 * sizeof(float);
  GpuStep launch;
  launch.kind = GpuStep::Kind::Launch;
  launch.kernel = 0;
  launch.grid = {4, 1, 1};
  launch.block = {4, 1, 1};
  launch.args = {{GpuArg::Kind::Buffer, 2},
                 {GpuArg::Kind::Buffer, 0},
                 {GpuArg::Kind::F32, floatBits(a)}};
  GpuStep copy;
  copy.kind = GpuStep::Kind::Copy;
  copy.buffer = 1;
  copy.source = 2;
  copy.bytes = 16 * sizeof(float);
  GpuStep free;
  free.kind = GpuStep::Kind::Free;
  free.buffer = 2;
  plan.steps = {alloc, launch, copy, free};
  return plan;
}

TEST(GpuPlanTest, FakeDeviceRunsAPlansHostCode) {
  REQUIRE_HOST_KERNELS();
  Device &device = fakeDevice();
  // Through the text form, as a compiled plan arrives.
  StatusOr<GpuPlan> plan =
      GpuPlan::parse(scalePlan(3.5f, hostKernels()).serialize());
  ASSERT_TRUE(plan) << plan.status().message();
  StatusOr<std::unique_ptr<GpuExecutable>> exe =
      GpuExecutable::load(device, std::move(*plan));
  ASSERT_TRUE(exe) << exe.status().message();
  std::vector<float> in(16);
  std::iota(in.begin(), in.end(), 1.0f);
  StatusOr<DeviceBuffer> input = device.allocate(16 * sizeof(float));
  StatusOr<DeviceBuffer> out = device.allocate(16 * sizeof(float));
  ASSERT_TRUE(input && out);
  ASSERT_TRUE(device.copyToDevice(*input, in.data(), 16 * sizeof(float)));
  DevicePtr args[] = {input->address(), out->address()};
  Status s = (*exe)->run(args);
  ASSERT_TRUE(s) << s.message();
  std::vector<float> host = readFloats(device, *out, 16);
  for (size_t i = 0; i < 16; ++i)
    EXPECT_EQ(host[i], in[i] * 2.0f + 3.5f) << "at " << i;
  // Kernel by kernel, the temporary goes back to the cache: a second run
  // allocates nothing new.
  {
    ScopedEnv direct("EMBER_CUDA_GRAPHS", "0");
    ASSERT_TRUE((*exe)->run(args));
    AllocatorStats before = device.allocatorStats();
    ASSERT_TRUE((*exe)->run(args));
    EXPECT_GT(device.allocatorStats().cacheHits, before.cacheHits);
  }
  // Wrong number of arguments.
  std::vector<DevicePtr> none;
  Status wrong = (*exe)->run(none);
  EXPECT_FALSE(wrong);
  EXPECT_NE(wrong.message().find("takes 2 buffers, got 0"), std::string::npos);
  // A buffer not 16-byte aligned (a kernel's vector loads would fault).
  DevicePtr unaligned[] = {input->address(), out->address() + 4};
  Status misaligned = (*exe)->run(unaligned);
  EXPECT_FALSE(misaligned);
  EXPECT_TRUE(contains(misaligned.message(), "GPU graph argument 1 is at 0x"))
      << misaligned.message();
  EXPECT_TRUE(contains(misaligned.message(), ", not a multiple of 16 bytes"))
      << misaligned.message();
}

TEST(GpuPlanTest, RunsReplayOneCapturedGraphPerArgumentSet) {
  REQUIRE_HOST_KERNELS();
  Device &device = fakeDevice();
  StatusOr<std::unique_ptr<GpuExecutable>> exe =
      GpuExecutable::load(device, scalePlan(0.5f, hostKernels()));
  ASSERT_TRUE(exe) << exe.status().message();
  StatusOr<DeviceBuffer> input = device.allocate(16 * sizeof(float));
  StatusOr<DeviceBuffer> out1 = device.allocate(16 * sizeof(float));
  StatusOr<DeviceBuffer> out2 = device.allocate(16 * sizeof(float));
  ASSERT_TRUE(input && out1 && out2);
  // Two argument sets in turn, with fresh inputs every run: a replay reads
  // the buffers' contents at its launch, not at the capture.
  for (int run = 0; run < 6; ++run) {
    std::vector<float> in(16, static_cast<float>(run));
    ASSERT_TRUE(device.copyToDevice(*input, in.data(), 16 * sizeof(float)));
    const DeviceBuffer &out = run % 2 ? *out2 : *out1;
    DevicePtr args[] = {input->address(), out.address()};
    ASSERT_TRUE((*exe)->run(args));
    std::vector<float> host = readFloats(device, out, 16);
    for (float v : host)
      ASSERT_EQ(v, run * 2.0f + 0.5f) << "run " << run;
  }
  GpuExecutable::GraphStats stats = (*exe)->graphStats();
  EXPECT_EQ(stats.captures, 2u);
  EXPECT_EQ(stats.replays, 4u);
  EXPECT_EQ(stats.direct, 0u);
}

TEST(GpuPlanTest, ArgumentsThatNeverComeBackStopTheCaptures) {
  REQUIRE_HOST_KERNELS();
  Device &device = fakeDevice();
  StatusOr<std::unique_ptr<GpuExecutable>> exe =
      GpuExecutable::load(device, scalePlan(1.0f, hostKernels()));
  ASSERT_TRUE(exe) << exe.status().message();
  StatusOr<DeviceBuffer> input = device.allocate(16 * sizeof(float));
  ASSERT_TRUE(input);
  std::vector<DeviceBuffer> outs;
  size_t runs = GpuExecutable::kMaxMisses + 3;
  for (size_t i = 0; i < runs; ++i) {
    outs.push_back(std::move(*device.allocate(16 * sizeof(float))));
    DevicePtr args[] = {input->address(), outs.back().address()};
    ASSERT_TRUE((*exe)->run(args));
  }
  GpuExecutable::GraphStats stats = (*exe)->graphStats();
  EXPECT_EQ(stats.captures, GpuExecutable::kMaxMisses);
  EXPECT_EQ(stats.direct, runs - GpuExecutable::kMaxMisses);
}

TEST(GpuPlanTest, ACaptureRefusesHostCopiesAndLeavesTheStreamUsable) {
  Device &device = fakeDevice();
  StatusOr<DeviceBuffer> buffer = device.allocate(64);
  ASSERT_TRUE(buffer);
  std::vector<uint8_t> host(64, 7);
  StatusOr<std::unique_ptr<Graph>> graph = device.capture(
      [&] { return device.copyToDevice(*buffer, host.data(), 64); });
  ASSERT_FALSE(graph);
  EXPECT_TRUE(contains(graph.status().message(),
                       "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED"))
      << graph.status().message();
  // A memset is recorded, not run, until the graph is launched.
  ASSERT_TRUE(device.setBytes(*buffer, 1, 64));
  graph = device.capture([&] { return device.setBytes(*buffer, 9, 64); });
  ASSERT_TRUE(graph) << graph.status().message();
  ASSERT_TRUE(device.copyToHost(host.data(), *buffer, 64));
  EXPECT_EQ(host[0], 1);
  ASSERT_TRUE(device.launch(**graph));
  ASSERT_TRUE(device.copyToHost(host.data(), *buffer, 64));
  EXPECT_EQ(host[63], 9);
}

TEST(GpuPlanTest, FakeDeviceNeedsHostCode) {
  Device &device = fakeDevice();
  // PTX alone cannot run on the emulated device.
  StatusOr<std::unique_ptr<GpuExecutable>> exe =
      GpuExecutable::load(device, fillPlan(1.0f));
  ASSERT_FALSE(exe);
  EXPECT_TRUE(contains(exe.status().message(),
                       "the plan has no host code for the emulated device"))
      << exe.status().message();
  EXPECT_TRUE(contains(exe.status().message(), "compile with gpuHostCode"))
      << exe.status().message();
}

TEST(GpuPlanTest, HostCodeMustDefineEveryKernel) {
  REQUIRE_HOST_KERNELS();
  GpuPlan plan = scalePlan(1.0f, hostKernels());
  // Kernels 0 to 13 are defined; kernel 14 is not.
  for (int i = 1; i <= 13; ++i)
    plan.kernels.push_back({"defined" + std::to_string(i), 0});
  plan.kernels.push_back({"missing", 0});
  StatusOr<std::unique_ptr<GpuExecutable>> exe =
      GpuExecutable::load(fakeDevice(), std::move(plan));
  ASSERT_FALSE(exe);
  EXPECT_TRUE(contains(exe.status().message(),
                       "the host code of kernel 'missing': cuModuleGetFunction "
                       "failed: CUDA_ERROR_NOT_FOUND"))
      << exe.status().message();
  EXPECT_TRUE(contains(exe.status().message(), "ember_emu_kernel_14"))
      << exe.status().message();
}

//===----------------------------------------------------------------------===//
// NCCL
//===----------------------------------------------------------------------===//

TEST(NcclTest, SystemLibraryLoadsOrSaysWhy) {
  // libnccl.so.2 (EMBER_NCCL_LIBRARY, the loader's path, /usr/local/cuda):
  // where it loads, its version is one Ember takes; where not, the reason
  // names it.
  if (!nccl::available(DriverKind::System)) {
    EXPECT_TRUE(
        contains(nccl::unavailableReason(DriverKind::System), "libnccl.so.2"))
        << nccl::unavailableReason(DriverKind::System);
    GTEST_SKIP() << nccl::unavailableReason(DriverKind::System);
  }
  StatusOr<int> version = nccl::version(DriverKind::System);
  ASSERT_TRUE(version) << version.status().message();
  EXPECT_GE(*version, 21300);
  EXPECT_EQ(nccl::unavailableReason(DriverKind::System), "");
}

TEST(NcclTest, FakeRefusesWhatNcclRefuses) {
  Device &device = fakeDevice();
  ASSERT_TRUE(nccl::available(DriverKind::Fake));
  StatusOr<nccl::UniqueId> id = nccl::newUniqueId(DriverKind::Fake);
  ASSERT_TRUE(id) << id.status().message();
  // A job of two cannot be made by one process without simulated peers.
  StatusOr<std::unique_ptr<nccl::Communicator>> two =
      nccl::Communicator::create(device, 2, 0, *id);
  ASSERT_FALSE(two);
  EXPECT_TRUE(contains(two.status().message(),
                       "ncclCommInitRank failed: invalid usage"))
      << two.status().message();
  EXPECT_TRUE(contains(two.status().message(), "runs jobs of one process"))
      << two.status().message();
  // An id of the fake's own, or nothing.
  nccl::UniqueId foreign;
  foreign.bytes[0] = 'x';
  EXPECT_FALSE(nccl::Communicator::create(device, 1, 0, foreign));

  StatusOr<std::unique_ptr<nccl::Communicator>> one =
      nccl::Communicator::create(device, 1, 0, *id);
  ASSERT_TRUE(one) << one.status().message();
  StatusOr<DeviceBuffer> buffer = device.allocate(64 * sizeof(float));
  ASSERT_TRUE(buffer) << buffer.status().message();
  nccl::fake::clearCalls();
  EXPECT_TRUE(
      (*one)->allReduceSum(buffer->address(), 64, ember::DType::Float32));
  // Past the allocation's end, or not device memory at all.
  Status past =
      (*one)->allReduceSum(buffer->address(), 1 << 20, ember::DType::Float32);
  EXPECT_TRUE(contains(past.message(), "ncclAllReduce failed: unhandled cuda "
                                       "error"))
      << past.message();
  EXPECT_TRUE(contains(past.message(), "outside every live allocation"))
      << past.message();
  Status types =
      (*one)->allReduceSum(buffer->address(), 4, ember::DType::Int64);
  EXPECT_TRUE(contains(types.message(), "only float32 and float64"))
      << types.message();
  std::vector<nccl::fake::Call> calls = nccl::fake::calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].count, 64u);
  EXPECT_EQ(calls[0].send, calls[0].recv);
  EXPECT_FALSE(calls[0].captured);
}
