//===- CompilerTest.cpp - The compiler facade ------------------------------===//
//
// Part of Ember. Drives the facade the way the frontend and graphc do: text
// in, every stage's output or a loadable shared object out, diagnostics as
// records.
//
//===----------------------------------------------------------------------===//

#include "ember/Compiler/Compiler.h"
#include "ember/runtime/Executable.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <memory>
#include <span>

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
  (*exe)->run(args);
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
  exe->run(args);
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
    long pages = 0;
    if (std::FILE *f = std::fopen("/proc/self/statm", "r")) {
      if (std::fscanf(f, "%ld", &pages) != 1)
        pages = 0;
      std::fclose(f);
    }
    rlim_t used = rlim_t(pages) * rlim_t(sysconf(_SC_PAGESIZE));
    rlimit limit{used + headroom, used + headroom};
    setrlimit(RLIMIT_AS, &limit);
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

