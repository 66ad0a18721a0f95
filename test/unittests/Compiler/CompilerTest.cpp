//===- CompilerTest.cpp - The compiler facade ------------------------------===//
//
// Part of Ember. Drives the facade the way the frontend and graphc do: text
// in, every stage's output or a loadable shared object out, diagnostics as
// records.
//
//===----------------------------------------------------------------------===//

#include "ember/Compiler/Compiler.h"
#include "ember/Support/RunIsolated.h"
#include "MemoryCap.h"
#include "OpFamilyGraphs.h"
#include "ember/ember.h"
#include "QuickstartModel.h"
#include "ember/runtime/Cuda.h"
#include "ember/runtime/Executable.h"
#include "ember/runtime/GpuExecutable.h"
#include "ember/runtime/GpuPlan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <numeric>
#include <span>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace ember;
using compiler::Stage;

namespace {

const char *kGraph = R"mlir(
func.func @graph(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2xf32> {
  %0 = ember.broadcast_to %b : tensor<3xf32> -> tensor<2x3xf32>
  %1 = ember.mul %a, %0 : tensor<2x3xf32>
  %2 = ember.relu %1 : tensor<2x3xf32>
  %3 = ember.sum %2 dims = [1] : tensor<2x3xf32> -> tensor<2xf32>
  return %3 : tensor<2xf32>
}
)mlir";

compiler::Result compileTo(Stage stage, const char *source = kGraph) {
  compiler::Options options;
  options.stopAfter = stage;
  return compiler::compile(source, options);
}

TEST(CompilerTest, EveryStageProducesItsForm) {
  struct Expectation {
    Stage stage;
    const char *present;
    const char *absent;
  };
  const Expectation cases[] = {
      {Stage::Ember, "ember.relu", "linalg."},
      {Stage::Linalg, "linalg.generic", "ember."},
      {Stage::Bufferized, "memref<2x3xf32>", "tensor<"},
      {Stage::LLVMDialect, "llvm.func", "memref<"},
      {Stage::LLVMIR, "define void @ember_entry(ptr", "memref<"},
      {Stage::Assembly, "ember_entry:", "llvm.func"},
  };
  for (const Expectation &e : cases) {
    compiler::Result r = compileTo(e.stage);
    ASSERT_TRUE(r.ok) << r.errorMessage();
    EXPECT_NE(r.output.find(e.present), std::string::npos)
        << "stage " << static_cast<int>(e.stage) << ":\n" << r.output;
    EXPECT_EQ(r.output.find(e.absent), std::string::npos)
        << "stage " << static_cast<int>(e.stage) << ":\n" << r.output;
  }
  compiler::Result obj = compileTo(Stage::Object);
  ASSERT_TRUE(obj.ok);
  EXPECT_EQ(obj.output.substr(0, 4), "\x7f" "ELF");
}

// A child whose work throws (LLVM's fatal-error handler does, on some
// malformed bytecode) exits with its own code: it never unwinds into the
// caller's frames to go on running a copy of the program. One did: the
// fuzzer's regression replay left a copy spinning after every CI run.
TEST(CompilerTest, AnIsolatedChildThatThrowsExits) {
  ember::IsolatedOutcome outcome = ember::runIsolated(
      []() -> int { throw std::runtime_error("fatal"); },
      std::chrono::seconds(30));
  EXPECT_EQ(outcome.kind, ember::IsolatedOutcome::Kind::Exited);
  EXPECT_EQ(outcome.code, ember::kIsolatedBodyThrew);
}

// A child that spins is stopped once it has used its CPU time (SIGXCPU),
// one that blocks once four times that has passed on the wall clock; both
// count as out of time. Waiting behind other processes uses no CPU time:
// a crash on a busy machine is still reported as a crash (it was reported
// as out of time once, in CI, with a 5 s wall-clock limit).
TEST(CompilerTest, AnIsolatedChildRunsOutOfTime) {
  ember::IsolatedOutcome spin = ember::runIsolated(
      []() -> int {
        for (volatile uint64_t i = 0;; i = i + 1) {
        }
      },
      std::chrono::seconds(1));
  EXPECT_EQ(spin.kind, ember::IsolatedOutcome::Kind::TimedOut);
  ember::IsolatedOutcome block = ember::runIsolated(
      []() -> int {
        pause();
        return 0;
      },
      std::chrono::seconds(1));
  EXPECT_EQ(block.kind, ember::IsolatedOutcome::Kind::TimedOut);
  ember::IsolatedOutcome crash = ember::runIsolated(
      []() -> int {
        signal(SIGSEGV, SIG_DFL); // (a sanitizer's handler would exit)
        raise(SIGSEGV);
        return 0;
      },
      std::chrono::seconds(1));
  EXPECT_EQ(crash.kind, ember::IsolatedOutcome::Kind::Signaled);
  EXPECT_EQ(crash.code, SIGSEGV);
}

// What a child writes comes back whole, however much more than a pipe
// holds (the bytecode reader's child sends a module's text this way); a
// child that writes past the limit is stopped; one that crashes after
// writing is a crash, whatever it sent.
TEST(CompilerTest, AnIsolatedChildSendsItsOutput) {
  constexpr size_t bytes = 5 << 20; // 80 pipe buffers
  auto pattern = [](size_t i) { return char('a' + (i * 7 + i / 4099) % 26); };
  std::string output;
  ember::IsolatedOutcome sent = ember::runIsolatedWithOutput(
      [&](int fd) -> int {
        std::string chunk;
        for (size_t i = 0; i < bytes; i += chunk.size()) {
          chunk.clear();
          for (size_t j = i; j < std::min(bytes, i + 12345); ++j)
            chunk += pattern(j);
          if (!ember::detail::writeAll(fd, chunk.data(), chunk.size()))
            return 2;
        }
        return 0;
      },
      std::chrono::seconds(30), output, bytes);
  EXPECT_EQ(sent.kind, ember::IsolatedOutcome::Kind::Exited);
  EXPECT_EQ(sent.code, 0);
  ASSERT_EQ(output.size(), bytes);
  for (size_t i = 0; i < bytes; ++i)
    ASSERT_EQ(output[i], pattern(i)) << "byte " << i;

  ember::IsolatedOutcome endless = ember::runIsolatedWithOutput(
      [](int fd) -> int {
        std::string chunk(1 << 16, 'x');
        while (ember::detail::writeAll(fd, chunk.data(), chunk.size())) {
        }
        return 0;
      },
      std::chrono::seconds(30), output, 1 << 20);
  EXPECT_EQ(endless.kind, ember::IsolatedOutcome::Kind::TooMuchOutput);

  ember::IsolatedOutcome crashed = ember::runIsolatedWithOutput(
      [](int fd) -> int {
        ember::detail::writeAll(fd, "Tpartial", 8);
        signal(SIGSEGV, SIG_DFL); // (a sanitizer's handler would exit)
        raise(SIGSEGV);
        return 0;
      },
      std::chrono::seconds(30), output, 1 << 20);
  EXPECT_EQ(crashed.kind, ember::IsolatedOutcome::Kind::Signaled);
  EXPECT_EQ(crashed.code, SIGSEGV);
}

TEST(CompilerTest, SharedObjectRunsThroughTheRuntime) {
  compiler::Result r = compileTo(Stage::SharedObject);
  ASSERT_TRUE(r.ok) << r.errorMessage();
  auto exe = rt::Executable::load(
      std::span<const uint8_t>(
          reinterpret_cast<const uint8_t *>(r.output.data()), r.output.size()),
      r.entrySymbol);
  ASSERT_TRUE(exe) << exe.status().message();
  alignas(64) float a[6] = {1, -2, 3, 4, 5, -6};
  alignas(64) float b[3] = {2, 1, -1};
  alignas(64) float out[2] = {0, 0};
  void *args[] = {a, b, out};
  ASSERT_TRUE((*exe)->run(args));
  // relu(a * b) summed over rows: [2 + 0 + 0, 8 + 5 + 6].
  EXPECT_EQ(out[0], 2.0f);
  EXPECT_EQ(out[1], 19.0f);
}

TEST(CompilerTest, ParseErrorsAreDiagnosticsWithLocations) {
  compiler::Result r = compiler::compile("func.func @graph( {", {});
  EXPECT_FALSE(r.ok);
  ASSERT_FALSE(r.diagnostics.empty());
  EXPECT_EQ(r.diagnostics[0].severity, compiler::Diagnostic::Severity::Error);
  EXPECT_NE(r.diagnostics[0].location.find("graph:1:"), std::string::npos)
      << r.diagnostics[0].location;
}

// Found by fuzz_ember_ir (test/fuzz/regressions/ember_ir): the source is a
// string_view, which need not end in a NUL; MLIR's lexer read past its end
// (AddressSanitizer, which CI runs this test under, reports the overread).
TEST(CompilerTest, SourceNeedNotBeNulTerminated) {
  const std::string_view text = "func.func @brfunc.";
  // Exactly the text's bytes, in a buffer of their own.
  auto bytes = std::make_unique<char[]>(text.size());
  std::memcpy(bytes.get(), text.data(), text.size());
  compiler::Result r =
      compiler::compile(std::string_view(bytes.get(), text.size()), {});
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.diagnostics.empty());
}

TEST(CompilerTest, VerifierErrorsAreReported) {
  compiler::Result r = compiler::compile(R"mlir(
func.func @graph(%a: tensor<2x3xf32>, %b: tensor<4x3xf32>) -> tensor<2x4xf32> {
  %0 = ember.matmul %a, %b : (tensor<2x3xf32>, tensor<4x3xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}
)mlir");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.errorMessage().find("contracting dimensions differ"),
            std::string::npos)
      << r.errorMessage();
}

TEST(CompilerTest, ModuleWithoutOnePublicFunctionIsRejected) {
  compiler::Result none = compiler::compile("module {}");
  EXPECT_FALSE(none.ok);
  EXPECT_NE(none.errorMessage().find("one public func.func"), std::string::npos);
  compiler::Result two = compiler::compile(R"mlir(
func.func @f() { return }
func.func @g() { return }
)mlir");
  EXPECT_FALSE(two.ok);
  EXPECT_NE(two.errorMessage().find("one public function"), std::string::npos)
      << two.errorMessage();
}

// The vector width follows the target CPU: a product compiled for an AVX2
// CPU uses 256-bit registers only, for an AVX-512 CPU its 512-bit ones.
TEST(CompilerTest, TargetCpuChoosesTheVectorWidth) {
  const char *product = R"mlir(
func.func @graph(%a: tensor<64x128xf32>, %w: tensor<128x64xf32>) -> tensor<64x64xf32> {
  %0 = ember.matmul %a, %w : (tensor<64x128xf32>, tensor<128x64xf32>) -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}
)mlir";
  auto assemblyFor = [&](const char *cpu) {
    compiler::Options options;
    options.stopAfter = Stage::Assembly;
    options.cpu = cpu;
    compiler::Result r = compiler::compile(product, options);
    EXPECT_TRUE(r.ok) << cpu << ": " << r.errorMessage();
    return r.output;
  };
  std::string avx2 = assemblyFor("haswell");
  EXPECT_NE(avx2.find("vfmadd"), std::string::npos);
  EXPECT_NE(avx2.find("%ymm"), std::string::npos);
  EXPECT_EQ(avx2.find("%zmm"), std::string::npos);
  std::string avx512 = assemblyFor("skylake-avx512");
  EXPECT_NE(avx512.find("%zmm"), std::string::npos);

  compiler::Options options;
  options.cpu = "no-such-cpu";
  compiler::Result r = compiler::compile(product, options);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.failure, compiler::Failure::Unsupported);
  EXPECT_NE(r.errorMessage().find("unknown CPU 'no-such-cpu'"),
            std::string::npos)
      << r.errorMessage();
}

TEST(CompilerTest, HostTargetDescriptionNamesTheCpu) {
  std::string desc = compiler::hostTargetDescription();
  EXPECT_NE(desc.find("x86_64"), std::string::npos) << desc;
  EXPECT_FALSE(compiler::compilerVersion().empty());
}

} // namespace

namespace {

/// Compiles `source` to a shared object and loads it.
std::unique_ptr<rt::Executable> load(const char *source) {
  compiler::Result r = compiler::compile(source);
  EXPECT_TRUE(r.ok) << r.errorMessage();
  if (!r.ok)
    return nullptr;
  auto exe = rt::Executable::load(
      std::span<const uint8_t>(
          reinterpret_cast<const uint8_t *>(r.output.data()), r.output.size()),
      r.entrySymbol);
  EXPECT_TRUE(exe) << exe.status().message();
  return exe ? std::move(*exe) : nullptr;
}

TEST(CompilerTest, ConstantsAreMaterialised) {
  // ember.constant is not produced by the frontend (values travel as
  // arguments), so it is exercised here: a dense and a splat constant.
  auto exe = load(R"mlir(
func.func @graph(%a: tensor<2x2xf32>) -> (tensor<2x2xf32>, tensor<i64>) {
  %c = ember.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %0 = ember.mul %a, %c : tensor<2x2xf32>
  %k = ember.constant dense<7> : tensor<i64>
  %1 = ember.neg %k : tensor<i64>
  return %0, %1 : tensor<2x2xf32>, tensor<i64>
}
)mlir");
  ASSERT_TRUE(exe);
  alignas(64) float a[4] = {0.5f, -1.0f, 2.0f, 0.25f};
  alignas(64) float out[4] = {};
  alignas(64) int64_t k = 0;
  void *args[] = {a, out, &k};
  ASSERT_TRUE(exe->run(args));
  EXPECT_EQ(std::vector<float>(out, out + 4),
            (std::vector<float>{0.5f, -2.0f, 6.0f, 1.0f}));
  EXPECT_EQ(k, -7);
}

} // namespace

namespace {

/// Compiles `graph` in a child whose address space is capped `headroom`
/// bytes above what it uses. Exit 0: compiled; 2: failed with a
/// diagnostic that says why; 3: failed without one; 4: an exception.
int compileWithHeadroom(const std::string &graph, rlim_t headroom,
                        std::string *message) {
  int pipeFds[2];
  if (pipe(pipeFds) != 0)
    return -1;
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    close(pipeFds[0]);
    test::capAddressSpace(headroom);
    int code;
    try {
      compiler::Options options;
      options.stopAfter = Stage::SharedObject;
      compiler::Result r = compiler::compile(graph, options);
      std::string m = r.errorMessage();
      (void)!write(pipeFds[1], m.data(), m.size());
      code = r.ok ? 0 : m.empty() ? 3 : 2;
    } catch (...) {
      code = 4;
    }
    _exit(code);
  }
  close(pipeFds[1]);
  char buf[4096];
  for (ssize_t n; (n = read(pipeFds[0], buf, sizeof buf)) > 0;)
    message->append(buf, size_t(n));
  close(pipeFds[0]);
  int status = 0;
  if (waitpid(pid, &status, 0) != pid)
    return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

} // namespace

// The compiler running out of memory is a failed Result that says so, not
// an abort ("LLVM ERROR: out of memory", exit 134): LLVM's fatal-error and
// bad-alloc handlers throw, and compile() catches. Whatever the headroom,
// compiling either succeeds or fails with a diagnostic; at least one small
// headroom fails.
TEST(CompilerTest, OutOfMemoryWhileCompilingIsAFailedResult) {
  compiler::Options warm;
  warm.stopAfter = Stage::Ember;
  (void)compiler::compile("func.func @w(%x: tensor<2xf32>) -> tensor<2xf32> {\n"
                          "  return %x : tensor<2xf32>\n}\n",
                          warm);
  // A 4 MiB constant: the compiler's copies of it are large blocks, which
  // the allocator maps afresh (free lists left by earlier tests cannot
  // serve them), so the small headrooms must fail.
  std::string hex(size_t(1) << 23, '3');
  std::string graph =
      "func.func @g(%x: tensor<1048576xf32>) -> tensor<1048576xf32> {\n"
      "  %c = ember.constant dense<\"0x" + hex + "\"> : tensor<1048576xf32>\n"
      "  %0 = ember.add %x, %c : tensor<1048576xf32>\n"
      "  return %0 : tensor<1048576xf32>\n}\n";
  int failures = 0;
  for (rlim_t mib : {1, 2, 4, 8, 16, 32, 64, 256}) {
    std::string message;
    int code = compileWithHeadroom(graph, mib << 20, &message);
    SCOPED_TRACE(std::to_string(mib) + " MiB of headroom: " + message);
    EXPECT_TRUE(code == 0 || code == 2)
        << "exit " << code << " (3: no diagnostic, 4: an exception escaped, "
        << ">128: killed by a signal)";
    if (code == 2) {
      ++failures;
      EXPECT_NE(message.find("memory"), std::string::npos);
    }
  }
  EXPECT_GT(failures, 0) << "no headroom was small enough to fail";
}


//===----------------------------------------------------------------------===//
// The kernels compiled for the host (Options::gpuHostCode), run on the
// runtime's emulated device (the fake driver, asked for by kind, whatever
// EMBER_FAKE_CUDA says): fresh allocations are NaN, blocks run in parallel,
// the threads of a block as fibers where the kernel has barriers.
//===----------------------------------------------------------------------===//

namespace {

/// A graph buffer in host memory.
struct HostArg {
  void *data;
  size_t bytes;
};

/// Runs `plan` on the emulated device: `args` are the graph's buffers
/// (inputs, then outputs) in host memory, copied in and out.
void runPlanEmulated(const rt::GpuPlan &plan, const std::vector<HostArg> &args) {
  ASSERT_EQ(static_cast<int64_t>(args.size()), plan.numArgs);
  rt::StatusOr<rt::cuda::Device *> device =
      rt::cuda::Device::get(0, rt::cuda::DriverKind::Fake);
  ASSERT_TRUE(device) << device.status().message();
  auto exe = rt::cuda::GpuExecutable::load(**device, plan);
  ASSERT_TRUE(exe) << exe.status().message();
  std::vector<rt::cuda::DeviceBuffer> buffers;
  std::vector<rt::cuda::DevicePtr> addresses;
  for (const HostArg &arg : args) {
    auto buffer = (*device)->allocate(std::max<size_t>(arg.bytes, 1));
    ASSERT_TRUE(buffer) << buffer.status().message();
    ASSERT_TRUE(
        (*device)->copyToDevice(*buffer, arg.data, arg.bytes).isOk());
    addresses.push_back(buffer->address());
    buffers.push_back(std::move(*buffer));
  }
  rt::Status run = (*exe)->run(addresses);
  ASSERT_TRUE(run.isOk()) << run.message();
  ASSERT_TRUE((*device)->synchronize().isOk());
  for (size_t i = 0; i < args.size(); ++i)
    ASSERT_TRUE(
        (*device)->copyToHost(args[i].data, buffers[i], args[i].bytes).isOk());
}

compiler::Result compileEmulated(const std::string &source) {
  compiler::Options options;
  options.target = "cuda";
  options.stopAfter = Stage::GPUPlan;
  options.gpuHostCode = true;
  return compiler::compile(source, options);
}

/// Compiles `source` for cuda with host code and runs its plan on `inputs`;
/// `outputs` must have the results' sizes. Skips where CUDA's libdevice,
/// which PTX for exp and log needs, is missing.
void runEmulated(const std::string &source,
                 std::vector<std::vector<float>> inputs,
                 std::vector<std::vector<float>> &outputs) {
  compiler::Result r = compileEmulated(source);
  if (!r.ok && r.errorMessage().find("libdevice") != std::string::npos)
    GTEST_SKIP() << r.errorMessage();
  ASSERT_TRUE(r.ok) << r.errorMessage();
  rt::StatusOr<rt::GpuPlan> plan = rt::GpuPlan::parse(r.output);
  ASSERT_TRUE(plan) << plan.status().message();
  ASSERT_FALSE(plan->hostCode.empty());
  ASSERT_FALSE(plan->kernels.empty());
  std::vector<HostArg> args;
  for (std::vector<float> &in : inputs)
    args.push_back({in.data(), in.size() * sizeof(float)});
  for (std::vector<float> &out : outputs) {
    std::fill(out.begin(), out.end(), NAN);
    args.push_back({out.data(), out.size() * sizeof(float)});
  }
  runPlanEmulated(*plan, args);
}

std::vector<float> iota(size_t n, float scale, float offset = 0) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = std::sin(static_cast<float>(i) * 0.7f + offset) * scale;
  return v;
}

void expectNear(const std::vector<float> &got, const std::vector<float> &want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], 1e-5f * std::max(1.0f, std::fabs(want[i])))
        << "element " << i;
}

} // namespace

TEST(GpuHostCodeTest, OnlyWhenAskedFor) {
  compiler::Options options;
  options.target = "cuda";
  options.stopAfter = Stage::GPUPlan;
  compiler::Result r = compiler::compile(kGraph, options);
  ASSERT_TRUE(r.ok) << r.errorMessage();
  rt::StatusOr<rt::GpuPlan> plan = rt::GpuPlan::parse(r.output);
  ASSERT_TRUE(plan) << plan.status().message();
  EXPECT_TRUE(plan->hostCode.empty());
  EXPECT_EQ(r.output.find("hostcode"), std::string::npos);
}

// The runtime loads the host code like a graph's shared object, and finds
// every kernel's entry point in it, and no more.
TEST(GpuHostCodeTest, EveryKernelHasItsSymbol) {
  compiler::Result r = compileEmulated(kGraph);
  ASSERT_TRUE(r.ok) << r.errorMessage();
  rt::StatusOr<rt::GpuPlan> plan = rt::GpuPlan::parse(r.output);
  ASSERT_TRUE(plan) << plan.status().message();
  ASSERT_EQ(plan->hostCode.compare(0, 4, "\x7f" "ELF"), 0);
  ASSERT_FALSE(plan->kernels.empty());
  std::span<const uint8_t> bytes(
      reinterpret_cast<const uint8_t *>(plan->hostCode.data()),
      plan->hostCode.size());
  for (size_t i = 0; i < plan->kernels.size(); ++i) {
    auto exe = rt::Executable::load(bytes, rt::hostKernelSymbol(i));
    EXPECT_TRUE(exe) << i << ": " << exe.status().message();
  }
  EXPECT_FALSE(rt::Executable::load(
      bytes, rt::hostKernelSymbol(plan->kernels.size())));
  // The plan's text round-trips with the host code in it.
  EXPECT_EQ(plan->serialize(), r.output);
}

// kGraph: relu(a * broadcast(b)) summed over rows.
TEST(GpuHostCodeTest, BroadcastReluSum) {
  std::vector<std::vector<float>> out = {std::vector<float>(2)};
  runEmulated(kGraph, {{1, -2, 3, 4, 5, -6}, {2, 1, -1}}, out);
  if (HasFatalFailure() || IsSkipped())
    return;
  expectNear(out[0], {2, 19});
}

TEST(GpuHostCodeTest, ElementwiseWithBroadcast) {
  const char *graph = R"mlir(
func.func @graph(%a: tensor<4x3xf32>, %b: tensor<3xf32>, %c: tensor<4x1xf32>) -> tensor<4x3xf32> {
  %0 = ember.broadcast_to %b : tensor<3xf32> -> tensor<4x3xf32>
  %1 = ember.broadcast_to %c : tensor<4x1xf32> -> tensor<4x3xf32>
  %2 = ember.add %a, %0 : tensor<4x3xf32>
  %3 = ember.mul %2, %1 : tensor<4x3xf32>
  %4 = ember.sub %3, %a : tensor<4x3xf32>
  return %4 : tensor<4x3xf32>
}
)mlir";
  std::vector<float> a = iota(12, 2), b = iota(3, 1, 1), c = iota(4, 3, 2);
  std::vector<std::vector<float>> out = {std::vector<float>(12)};
  runEmulated(graph, {a, b, c}, out);
  if (HasFatalFailure() || IsSkipped())
    return;
  std::vector<float> want(12);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 3; ++j)
      want[i * 3 + j] = (a[i * 3 + j] + b[j]) * c[i] - a[i * 3 + j];
  expectNear(out[0], want);
}

TEST(GpuHostCodeTest, Matmul) {
  const char *graph = R"mlir(
func.func @graph(%a: tensor<3x4xf32>, %b: tensor<4x6xf32>) -> tensor<3x6xf32> {
  %0 = ember.matmul %a, %b : (tensor<3x4xf32>, tensor<4x6xf32>) -> tensor<3x6xf32>
  return %0 : tensor<3x6xf32>
}
)mlir";
  std::vector<float> a = iota(12, 1), b = iota(24, 2, 0.5f);
  std::vector<std::vector<float>> out = {std::vector<float>(18)};
  runEmulated(graph, {a, b}, out);
  if (HasFatalFailure() || IsSkipped())
    return;
  std::vector<float> want(18, 0);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 6; ++j)
      for (int k = 0; k < 4; ++k)
        want[i * 6 + j] += a[i * 4 + k] * b[k * 6 + j];
  expectNear(out[0], want);
}

// ember.linear + ember.relu fuse into linear_relu: y = relu(x W^T + b).
TEST(GpuHostCodeTest, LinearRelu) {
  const char *graph = R"mlir(
func.func @graph(%x: tensor<4x8xf32>, %w: tensor<5x8xf32>, %b: tensor<5xf32>) -> tensor<4x5xf32> {
  %0 = ember.linear %x, %w, %b : (tensor<4x8xf32>, tensor<5x8xf32>, tensor<5xf32>) -> tensor<4x5xf32>
  %1 = ember.relu %0 : tensor<4x5xf32>
  return %1 : tensor<4x5xf32>
}
)mlir";
  std::vector<float> x = iota(32, 1), w = iota(40, 0.5f, 1), b = iota(5, 0.3f, 2);
  std::vector<std::vector<float>> out = {std::vector<float>(20)};
  runEmulated(graph, {x, w, b}, out);
  if (HasFatalFailure() || IsSkipped())
    return;
  std::vector<float> want(20);
  int positive = 0;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 5; ++j) {
      float acc = b[j];
      for (int k = 0; k < 8; ++k)
        acc += x[i * 8 + k] * w[j * 8 + k];
      want[i * 5 + j] = std::max(acc, 0.0f);
      positive += acc > 0;
    }
  ASSERT_GT(positive, 0);
  ASSERT_LT(positive, 20); // the ReLU matters
  expectNear(out[0], want);
}

// Sums over dimensions, one of them to a scalar (a one-thread kernel from
// ember-gpu-wrap-sequential).
TEST(GpuHostCodeTest, ReductionSums) {
  const char *graph = R"mlir(
func.func @graph(%x: tensor<2x3x4xf32>) -> (tensor<3xf32>, tensor<2x4xf32>, tensor<f32>) {
  %0 = ember.sum %x dims = [2, 0] : tensor<2x3x4xf32> -> tensor<3xf32>
  %1 = ember.sum %x dims = [1] : tensor<2x3x4xf32> -> tensor<2x4xf32>
  %2 = ember.sum %x dims = [0, 1, 2] : tensor<2x3x4xf32> -> tensor<f32>
  return %0, %1, %2 : tensor<3xf32>, tensor<2x4xf32>, tensor<f32>
}
)mlir";
  std::vector<float> x = iota(24, 1);
  std::vector<std::vector<float>> out = {std::vector<float>(3),
                                         std::vector<float>(8),
                                         std::vector<float>(1)};
  runEmulated(graph, {x}, out);
  if (HasFatalFailure() || IsSkipped())
    return;
  std::vector<float> s20(3, 0), s1(8, 0), all(1, 0);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) {
        float v = x[(i * 3 + j) * 4 + k];
        s20[j] += v;
        s1[i * 4 + k] += v;
        all[0] += v;
      }
  expectNear(out[0], s20);
  expectNear(out[1], s1);
  expectNear(out[2], all);
}

TEST(GpuHostCodeTest, ExpAndLog) {
  const char *graph = R"mlir(
func.func @graph(%a: tensor<2x5xf32>, %b: tensor<2x5xf32>) -> (tensor<2x5xf32>, tensor<2x5xf32>) {
  %0 = ember.exp %a : tensor<2x5xf32>
  %1 = ember.log %b : tensor<2x5xf32>
  %2 = ember.add %0, %1 : tensor<2x5xf32>
  return %0, %2 : tensor<2x5xf32>, tensor<2x5xf32>
}
)mlir";
  std::vector<float> a = iota(10, 3), b(10);
  for (size_t i = 0; i < b.size(); ++i)
    b[i] = 0.25f + static_cast<float>(i);
  std::vector<std::vector<float>> out = {std::vector<float>(10),
                                         std::vector<float>(10)};
  runEmulated(graph, {a, b}, out);
  if (HasFatalFailure() || IsSkipped())
    return;
  std::vector<float> e(10), sum(10);
  for (size_t i = 0; i < 10; ++i) {
    e[i] = std::exp(a[i]);
    sum[i] = e[i] + std::log(b[i]);
  }
  expectNear(out[0], e);
  expectNear(out[1], sum);
}

TEST(GpuHostCodeTest, Transpose) {
  const char *graph = R"mlir(
func.func @graph(%x: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
  %0 = ember.transpose %x [2, 0, 1] : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
  return %0 : tensor<4x2x3xf32>
}
)mlir";
  std::vector<float> x = iota(24, 1);
  std::vector<std::vector<float>> out = {std::vector<float>(24)};
  runEmulated(graph, {x}, out);
  if (HasFatalFailure() || IsSkipped())
    return;
  std::vector<float> want(24);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k)
        want[(k * 2 + i) * 3 + j] = x[(i * 3 + j) * 4 + k];
  expectNear(out[0], want);
}

namespace {

/// A 64-byte aligned buffer of `bytes` (at least one byte).
struct AlignedBuffer {
  explicit AlignedBuffer(size_t bytes)
      : size(bytes),
        data(static_cast<uint8_t *>(
            std::aligned_alloc(64, (std::max<size_t>(bytes, 1) + 63) / 64 * 64))) {}
  ~AlignedBuffer() { std::free(data); }
  AlignedBuffer(const AlignedBuffer &) = delete;
  size_t size;
  uint8_t *data;
};

/// Deterministic inputs for a signature: floats in [-scale, scale),
/// integers 0, 1, 2 (valid class labels), booleans alternating.
std::unique_ptr<AlignedBuffer> makeInput(const rt::TensorSignature &sig,
                                         uint32_t seed, double scale) {
  auto buffer = std::make_unique<AlignedBuffer>(sig.numel() *
                                                ember::dtypeSize(sig.dtype));
  uint32_t state = seed * 2654435761u + 1;
  for (int64_t i = 0; i < sig.numel(); ++i) {
    state = state * 1664525u + 1013904223u;
    double u = (static_cast<double>(state >> 8) / (1 << 24) * 2 - 1) * scale;
    switch (sig.dtype) {
    case DType::Float32: reinterpret_cast<float *>(buffer->data)[i] = static_cast<float>(u); break;
    case DType::Float64: reinterpret_cast<double *>(buffer->data)[i] = u; break;
    case DType::Int64: reinterpret_cast<int64_t *>(buffer->data)[i] = i % 3; break;
    case DType::UInt8:
    case DType::Bool: buffer->data[i] = static_cast<uint8_t>(i % 2); break;
    }
  }
  return buffer;
}

/// Runs `graph` through the CPU path and through its GPU plan with the
/// kernels compiled for the host, on the same inputs, and compares every
/// output (floats within 1e-4 relative: summation orders differ). Float
/// inputs are in [-scale, scale): weights of a real layer are small.
void expectHostKernelsMatchTheCpu(const std::string &graph,
                                  const std::string &what,
                                  double scale = 1.0) {
  SCOPED_TRACE(what);
  compiler::Options cpuOptions;
  compiler::Result cpu = compiler::compile(graph, cpuOptions);
  ASSERT_TRUE(cpu.ok) << cpu.errorMessage();
  ASSERT_FALSE(cpu.outputs.empty());
  auto exe = rt::Executable::load(
      std::span<const uint8_t>(
          reinterpret_cast<const uint8_t *>(cpu.output.data()),
          cpu.output.size()),
      cpu.entrySymbol);
  ASSERT_TRUE(exe) << exe.status().message();

  compiler::Result gpu = compileEmulated(graph);
  if (!gpu.ok && gpu.errorMessage().find("libdevice") != std::string::npos)
    GTEST_SKIP() << gpu.errorMessage();
  ASSERT_TRUE(gpu.ok) << gpu.errorMessage();
  rt::StatusOr<rt::GpuPlan> plan = rt::GpuPlan::parse(gpu.output);
  ASSERT_TRUE(plan) << plan.status().message();
  std::vector<std::unique_ptr<AlignedBuffer>> inputs, cpuOut, gpuOut;
  for (size_t i = 0; i < cpu.inputs.size(); ++i)
    inputs.push_back(makeInput(cpu.inputs[i], static_cast<uint32_t>(i), scale));
  for (const rt::TensorSignature &sig : cpu.outputs) {
    size_t bytes = sig.numel() * ember::dtypeSize(sig.dtype);
    cpuOut.push_back(std::make_unique<AlignedBuffer>(bytes));
    gpuOut.push_back(std::make_unique<AlignedBuffer>(bytes));
    std::memset(gpuOut.back()->data, 0xff, bytes);
  }
  std::vector<void *> cpuArgs;
  std::vector<HostArg> gpuArgs;
  for (auto &in : inputs) {
    cpuArgs.push_back(in->data);
    gpuArgs.push_back({in->data, in->size});
  }
  for (size_t i = 0; i < cpuOut.size(); ++i) {
    cpuArgs.push_back(cpuOut[i]->data);
    gpuArgs.push_back({gpuOut[i]->data, gpuOut[i]->size});
  }
  ASSERT_TRUE((*exe)->run(cpuArgs.data()));
  runPlanEmulated(*plan, gpuArgs);
  if (::testing::Test::HasFatalFailure())
    return;

  for (size_t o = 0; o < cpu.outputs.size(); ++o) {
    const rt::TensorSignature &sig = cpu.outputs[o];
    int mismatches = 0;
    for (int64_t i = 0; i < sig.numel() && mismatches < 5; ++i) {
      double want = 0, got = 0;
      bool exact = true;
      switch (sig.dtype) {
      case DType::Float32:
        want = reinterpret_cast<float *>(cpuOut[o]->data)[i];
        got = reinterpret_cast<float *>(gpuOut[o]->data)[i];
        exact = false;
        break;
      case DType::Float64:
        want = reinterpret_cast<double *>(cpuOut[o]->data)[i];
        got = reinterpret_cast<double *>(gpuOut[o]->data)[i];
        exact = false;
        break;
      case DType::Int64:
        want = static_cast<double>(reinterpret_cast<int64_t *>(cpuOut[o]->data)[i]);
        got = static_cast<double>(reinterpret_cast<int64_t *>(gpuOut[o]->data)[i]);
        break;
      case DType::UInt8:
      case DType::Bool:
        want = cpuOut[o]->data[i];
        got = gpuOut[o]->data[i];
        break;
      }
      bool same = exact ? want == got
                        : (std::isnan(want) && std::isnan(got)) ||
                              std::fabs(got - want) <=
                                  1e-4 * std::max(1.0, std::fabs(want));
      if (!same) {
        ++mismatches;
        ADD_FAILURE() << "output " << o << " element " << i << ": emulated "
                      << got << ", cpu " << want;
      }
    }
  }
}

} // namespace

// Every op family, recorded through the frontend: the kernels compiled for
// the host compute what the CPU path computes.
TEST(GpuHostCodeTest, OpFamiliesMatchTheCpu) {
  for (const auto &[what, graph] : test::opFamilyGraphs()) {
    expectHostKernelsMatchTheCpu(graph, what);
    if (IsSkipped())
      return;
  }
}

// The Quickstart's training step (forward, backward, SGD update) and its
// inference graph at batch 64: dozens of kernels, run thread by thread.
TEST(GpuHostCodeTest, QuickstartGraphsMatchTheCpu) {
  for (const auto &[what, graph] : test::quickstartGraphs())
    expectHostKernelsMatchTheCpu(graph, what, 0.05);
}

//===----------------------------------------------------------------------===//
// Kernels with shared memory and barriers, compiled for the host by the
// real pipeline (ember-gpu-kernels-to-host and on) and run on the runtime's
// emulated device (the fake CUDA driver).
//===----------------------------------------------------------------------===//

namespace {

/// A block-wide tree reduction: out[blockIdx.x] = the sum of the block's
/// 256 inputs, halving the active threads each step through a workgroup
/// attribution, with a barrier between steps (`@STEP_BARRIER@`); and a
/// kernel whose shared memory is one float over sm_90's 48 KiB.
const char *kBlockSumKernels = R"mlir(
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @block_sum(%in: memref<1024xf32>, %out: memref<4xf32>)
        workgroup(%tile: memref<256xf32, #gpu.address_space<workgroup>>)
        kernel {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c8 = arith.constant 8 : index
      %c128 = arith.constant 128 : index
      %tx = gpu.thread_id x
      %bx = gpu.block_id x
      %dx = gpu.block_dim x
      %base = arith.muli %bx, %dx : index
      %i = arith.addi %base, %tx : index
      %v = memref.load %in[%i] : memref<1024xf32>
      memref.store %v, %tile[%tx] : memref<256xf32, #gpu.address_space<workgroup>>
      gpu.barrier
      scf.for %k = %c0 to %c8 step %c1 {
        %s = arith.shrui %c128, %k : index
        %active = arith.cmpi ult, %tx, %s : index
        scf.if %active {
          %j = arith.addi %tx, %s : index
          %a = memref.load %tile[%tx] : memref<256xf32, #gpu.address_space<workgroup>>
          %b = memref.load %tile[%j] : memref<256xf32, #gpu.address_space<workgroup>>
          %sum = arith.addf %a, %b : f32
          memref.store %sum, %tile[%tx] : memref<256xf32, #gpu.address_space<workgroup>>
        }
        @STEP_BARRIER@
      }
      %first = arith.cmpi eq, %tx, %c0 : index
      scf.if %first {
        %r = memref.load %tile[%c0] : memref<256xf32, #gpu.address_space<workgroup>>
        memref.store %r, %out[%bx] : memref<4xf32>
      }
      gpu.return
    }
    gpu.func @too_big(%out: memref<4xf32>)
        workgroup(%tile: memref<12289xf32, #gpu.address_space<workgroup>>)
        kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %tile[%c0] : memref<12289xf32, #gpu.address_space<workgroup>>
      memref.store %v, %out[%c0] : memref<4xf32>
      gpu.return
    }
  }
}
)mlir";

/// The block sums of 0, 1, ..., 1023 in 4 blocks of 256 threads by
/// @block_sum, its step barrier `stepBarrier`, on the emulated device.
std::vector<float> emulatedBlockSums(const std::string &stepBarrier) {
  std::string source = kBlockSumKernels;
  source.replace(source.find("@STEP_BARRIER@"), 14, stepBarrier);
  compiler::Result code =
      compiler::compileHostKernels(source, {"block_sum", "too_big"});
  EXPECT_TRUE(code.ok) << code.errorMessage();
  if (!code.ok)
    return {};
  rt::StatusOr<rt::cuda::Device *> device = rt::cuda::Device::get(0, rt::cuda::DriverKind::Fake);
  EXPECT_TRUE(device) << device.status().message();
  if (!device)
    return {};
  rt::cuda::Device &gpu = **device;
  rt::StatusOr<std::unique_ptr<rt::cuda::Module>> module =
      gpu.loadModule(code.output);
  EXPECT_TRUE(module) << module.status().message();
  if (!module)
    return {};
  rt::StatusOr<rt::cuda::Function> sum =
      (*module)->function(rt::hostKernelSymbol(0));
  rt::StatusOr<rt::cuda::Function> tooBig =
      (*module)->function(rt::hostKernelSymbol(1));
  EXPECT_TRUE(sum && tooBig);
  std::vector<float> in(1024), out(4, 0.0f);
  std::iota(in.begin(), in.end(), 0.0f);
  rt::StatusOr<rt::cuda::DeviceBuffer> input = gpu.allocate(1024 * sizeof(float));
  rt::StatusOr<rt::cuda::DeviceBuffer> output = gpu.allocate(4 * sizeof(float));
  EXPECT_TRUE(input && output);
  if (!sum || !tooBig || !input || !output)
    return {};
  EXPECT_TRUE(gpu.copyToDevice(*input, in.data(), 1024 * sizeof(float)));
  rt::cuda::DevicePtr src = input->address(), dst = output->address();
  rt::Status s = gpu.launch(*sum, {4, 1, 1}, {256, 1, 1}, 0, {&src, &dst});
  EXPECT_TRUE(s) << s.message();
  EXPECT_TRUE(gpu.copyToHost(out.data(), *output, 4 * sizeof(float)));
  EXPECT_TRUE(gpu.synchronize());
  // The other kernel's 49156 bytes of shared memory do not fit a block.
  s = gpu.launch(*tooBig, {1, 1, 1}, {1, 1, 1}, 0, {&dst});
  EXPECT_FALSE(s);
  EXPECT_NE(s.message().find("the kernel's 49156 bytes of static shared "
                             "memory exceed sm_90's limit of 49152"),
            std::string::npos)
      << s.message();
  return out;
}

} // namespace

TEST(GpuHostCodeTest, SharedMemoryAndBarriersRunOnTheEmulatedDevice) {
  std::vector<float> want(4);
  for (int b = 0; b < 4; ++b)
    want[b] = 256.0f * (256 * b) + 255.0f * 256 / 2; // exact in float
  EXPECT_EQ(emulatedBlockSums("gpu.barrier"), want);
}

TEST(GpuHostCodeTest, WithoutItsBarrierAReductionGoesWrong) {
  // Without the barrier between steps, a thread adds its partner's value
  // before the partner has written it: the emulated device's shuffled
  // threads show it (a GPU's lockstep warps may hide it).
  std::vector<float> sums = emulatedBlockSums("");
  ASSERT_EQ(sums.size(), 4u);
  for (int b = 0; b < 4; ++b)
    EXPECT_NE(sums[b], 256.0f * (256 * b) + 255.0f * 256 / 2) << "block " << b;
}
