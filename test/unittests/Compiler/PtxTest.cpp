//===- PtxTest.cpp - PTX for every op and the Quickstart, through ptxas ---===//
//
// Part of Ember. No GPU needed: every op's graph and the Quickstart's
// training-step and inference graphs are compiled to PTX by LLVM's NVPTX
// back end and assembled with the CUDA toolkit's ptxas for sm_90 and sm_80.
// Skipped (not passed) when ptxas is absent.
//
//===----------------------------------------------------------------------===//

#include "ember/Compiler/Compiler.h"
#include "ember/ember.h"
#include "OpFamilyGraphs.h"
#include "QuickstartModel.h"
#include "ember/runtime/GpuPlan.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <unistd.h>

using namespace ember;
namespace fs = std::filesystem;

namespace {

std::string ptxasPath() {
  for (const char *p : {"/usr/local/cuda/bin/ptxas", "/usr/bin/ptxas"})
    if (fs::exists(p))
      return p;
  return "";
}

/// The static gate on every kernel ptxas reports on (`ptxas -v`): no spills
/// and no stack frame (no local memory), and registers within the budget
/// (docs/gpu.md). Returns how many kernels the report covers.
constexpr int kRegisterBudget = 64;
int expectWithinBudget(const std::string &log, const std::string &file) {
  int kernels = 0;
  std::istringstream lines(log);
  std::string kernel;
  for (std::string line; std::getline(lines, line);) {
    size_t at;
    if ((at = line.find("Compiling entry function '")) != std::string::npos) {
      kernel = line.substr(at + 26, line.find('\'', at + 26) - at - 26);
      ++kernels;
    }
    long frame = -1, spillStores = -1, spillLoads = -1, registers = -1;
    if (std::sscanf(line.c_str(),
                    " %ld bytes stack frame, %ld bytes spill stores, %ld "
                    "bytes spill loads",
                    &frame, &spillStores, &spillLoads) == 3) {
      EXPECT_EQ(frame, 0) << kernel << " in " << file << " uses local memory";
      EXPECT_EQ(spillStores + spillLoads, 0)
          << kernel << " in " << file << " spills registers";
    }
    if ((at = line.find("Used ")) != std::string::npos &&
        std::sscanf(line.c_str() + at, "Used %ld registers", &registers) == 1)
      EXPECT_LE(registers, kRegisterBudget)
          << kernel << " in " << file << " uses " << registers
          << " registers";
  }
  return kernels;
}

/// Compiles `graph` to PTX for `chip` (with TF32 tensor cores allowed when
/// `tf32`) and assembles it with ptxas; the PTX in `ptx`.
void expectAssembles(const std::string &graph, const std::string &chip,
                     const std::string &what, bool tf32 = false,
                     std::string *ptx = nullptr) {
  SCOPED_TRACE(what + " for " + chip + (tf32 ? " with TF32" : ""));
  compiler::Options options;
  options.target = "cuda";
  options.chip = chip;
  options.stopAfter = compiler::Stage::PTX;
  options.allowTF32 = tf32;
  compiler::Result r = compiler::compile(graph, options);
  ASSERT_TRUE(r.ok) << r.errorMessage() << "\n" << graph;
  if (ptx)
    *ptx = r.output;
  EXPECT_NE(r.output.find(".target " + chip), std::string::npos);
  EXPECT_NE(r.output.find(".entry"), std::string::npos);
  std::string ptxas = ptxasPath();
  if (ptxas.empty())
    GTEST_SKIP() << "ptxas not found (install the CUDA toolkit)";
  // One PTX module for the whole graph (ember-gpu-merge-kernel-modules),
  // with distinct entry names: ptxas takes the output as it is.
  auto count = [&](const std::string &needle) {
    size_t n = 0;
    for (size_t at = 0; (at = r.output.find(needle, at)) != std::string::npos;
         at += needle.size())
      ++n;
    return static_cast<int>(n);
  };
  EXPECT_EQ(count(".version "), 1) << "one PTX module per graph";
  int entries = count(".entry ");
  EXPECT_GT(entries, 0);
  fs::path dir = fs::temp_directory_path() /
                 ("ember-ptx-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::path file = dir / "graph.ptx";
  std::ofstream(file) << r.output;
  std::string cmd =
      ptxas + " -v -arch=" + chip + " " + file.string() + " -o /dev/null 2>&1";
  FILE *pipe = popen(cmd.c_str(), "r");
  std::string log;
  char buf[256];
  while (pipe && fgets(buf, sizeof buf, pipe))
    log += buf;
  int rc = pipe ? pclose(pipe) : -1;
  EXPECT_EQ(rc, 0) << "ptxas rejected " << file << ":\n" << log;
  // ptxas -v reports every entry of the module, each within the budget.
  EXPECT_EQ(expectWithinBudget(log, what), entries)
      << "ptxas -v did not report each of the module's " << entries
      << " kernels once:\n"
      << log;
  fs::remove_all(dir);
}

using test::opFamilyGraphs;

using test::quickstartGraphs;

TEST(PtxTest, EveryOpAssemblesForSm90AndSm80) {
  for (const auto &[what, graph] : opFamilyGraphs()) {
    expectAssembles(graph, "sm_90", what);
    expectAssembles(graph, "sm_80", what);
  }
}

TEST(PtxTest, QuickstartGraphsAssemble) {
  for (const auto &[what, graph] : quickstartGraphs()) {
    // The export is the raw recording; fusion happens in the compiler.
    EXPECT_NE(graph.find("ember.linear "), std::string::npos);
    expectAssembles(graph, "sm_90", what);
  }
}

TEST(PtxTest, TensorCoresOnlyWithTF32) {
  // The Quickstart's graphs: float32 FMAs by default; with TF32 allowed,
  // the tiled products are tensor-core mmas (m16n8k8, TF32 in, f32
  // accumulators) within the same budget, for sm_90 and sm_80.
  const std::string mma = "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32";
  for (const auto &[what, graph] : quickstartGraphs()) {
    std::string fp32, tf32;
    expectAssembles(graph, "sm_90", what, false, &fp32);
    EXPECT_EQ(fp32.find("mma.sync"), std::string::npos) << what;
    EXPECT_NE(fp32.find("fma.rn.f32"), std::string::npos) << what;
    for (const char *chip : {"sm_90", "sm_80"}) {
      expectAssembles(graph, chip, what, true, &tf32);
      EXPECT_NE(tf32.find(mma), std::string::npos) << what << " " << chip;
    }
  }
}

TEST(PtxTest, BadChipIsAnError) {
  compiler::Options options;
  options.target = "cuda";
  options.chip = "sm_90},bogus{";
  options.stopAfter = compiler::Stage::PTX;
  compiler::Result r = compiler::compile(export_graph({rand({2}) * 2.0}), options);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.errorMessage().find("invalid CUDA chip"), std::string::npos);
  options.chip = "sm_90";
  options.target = "tpu";
  r = compiler::compile(export_graph({rand({2}) * 2.0}), options);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.errorMessage().find("unknown target"), std::string::npos);
}

} // namespace

namespace {

/// Compiles `graph` for CUDA down to the host plan and parses it.
rt::GpuPlan planFor(const std::string &graph, const std::string &what) {
  compiler::Options options;
  options.target = "cuda";
  options.stopAfter = compiler::Stage::GPUPlan;
  compiler::Result r = compiler::compile(graph, options);
  EXPECT_TRUE(r.ok) << what << ": " << r.errorMessage();
  auto plan = rt::GpuPlan::parse(r.output);
  EXPECT_TRUE(plan) << what << ": " << plan.status().message();
  return plan ? *plan : rt::GpuPlan();
}

/// The launches of `plan`.
std::vector<rt::GpuStep> launchesOf(const rt::GpuPlan &plan) {
  std::vector<rt::GpuStep> launches;
  for (const rt::GpuStep &s : plan.steps)
    if (s.kind == rt::GpuStep::Kind::Launch)
      launches.push_back(s);
  return launches;
}

TEST(GpuPlanExtractionTest, ALongReductionUsesAWholeBlock) {
  // A sum to a scalar: one block whose 256 threads each sum a slice, not a
  // single thread walking all 6,400 elements.
  rt::GpuPlan plan = planFor(R"mlir(
func.func @graph(%x: tensor<64x100xf32>) -> tensor<f32> {
  %0 = ember.sum %x dims = [0, 1] : tensor<64x100xf32> -> tensor<f32>
  return %0 : tensor<f32>
}
)mlir",
                             "full sum");
  std::vector<rt::GpuStep> launches = launchesOf(plan);
  ASSERT_EQ(launches.size(), 1u);
  EXPECT_EQ(launches[0].grid, (std::array<uint32_t, 3>{1, 1, 1}));
  EXPECT_EQ(launches[0].block, (std::array<uint32_t, 3>{256, 1, 1}));
  // Each warp combines its 32 partials by shuffles (5 butterfly steps);
  // only its 8 warps' partials go through shared memory.
  ASSERT_EQ(plan.modules.size(), 1u);
  const std::string &ptx = plan.modules[0];
  size_t shuffles = 0;
  for (size_t at = ptx.find("shfl.sync.bfly.b32"); at != std::string::npos;
       at = ptx.find("shfl.sync.bfly.b32", at + 1))
    ++shuffles;
  EXPECT_EQ(shuffles, 5u) << ptx;
  EXPECT_NE(ptx.find(".b8 __wg_graph_kernel_0[32];"), std::string::npos) << ptx;
}

TEST(GpuPlanExtractionTest, QuickstartKernelCounts) {
  // The issue's budget: at most 12 kernels for the training step and 3 for
  // inference (ember-gpu-map-linalg: epilogues, prologues, folded
  // transposes, one block for the small ops), and no copies.
  std::map<std::string, size_t> budget = {{"quickstart-train-step", 12},
                                          {"quickstart-inference", 3}};
  for (const auto &[what, graph] : quickstartGraphs()) {
    rt::GpuPlan plan = planFor(graph, what);
    size_t launches = launchesOf(plan).size();
    EXPECT_LE(launches, budget.at(what)) << what;
    EXPECT_GT(launches, 0u) << what;
    for (const rt::GpuStep &s : plan.steps)
      EXPECT_NE(s.kind, rt::GpuStep::Kind::Copy) << what;
    std::printf("%s: %zu kernels\n", what.c_str(), launches);
  }
}

TEST(GpuPlanExtractionTest, QuickstartGraphsBecomePlans) {
  for (const auto &[what, graph] : quickstartGraphs()) {
    rt::GpuPlan plan = planFor(graph, what);
    EXPECT_FALSE(plan.kernels.empty()) << what;
  }
}

TEST(GpuPlanExtractionTest, LinearReluLayer) {
  compiler::Options options;
  options.target = "cuda";
  options.stopAfter = compiler::Stage::GPUPlan;
  compiler::Result r = compiler::compile(R"mlir(
func.func @graph(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf32>) -> tensor<4x16xf32> {
  %0 = ember.linear %x, %w, %b : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  %1 = ember.relu %0 : tensor<4x16xf32>
  return %1 : tensor<4x16xf32>
}
)mlir",
                                         options);
  ASSERT_TRUE(r.ok) << r.errorMessage();
  auto plan = rt::GpuPlan::parse(r.output);
  ASSERT_TRUE(plan) << plan.status().message() << "\n" << r.output;
  // x, w, b and the output.
  EXPECT_EQ(plan->numArgs, 4);
  ASSERT_FALSE(plan->kernels.empty());
  int launches = 0, allocs = 0;
  for (const rt::GpuStep &s : plan->steps) {
    launches += s.kind == rt::GpuStep::Kind::Launch;
    allocs += s.kind == rt::GpuStep::Kind::Alloc;
  }
  // Matmul, bias and ReLU in one kernel; the pre-activation and the
  // transposed weight never reach memory.
  EXPECT_EQ(launches, 1);
  EXPECT_EQ(allocs, 0);
  // One PTX module defines every kernel, each under its own name.
  ASSERT_EQ(plan->modules.size(), 1u);
  std::set<std::string> names;
  for (const rt::GpuKernel &k : plan->kernels) {
    EXPECT_EQ(k.module, 0);
    EXPECT_TRUE(names.insert(k.name).second) << "two kernels named " << k.name;
    EXPECT_NE(plan->modules[0].find(".entry " + k.name + "("),
              std::string::npos)
        << k.name;
  }
}

} // namespace
