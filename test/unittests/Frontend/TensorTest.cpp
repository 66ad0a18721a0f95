//===- TensorTest.cpp - The Tensor API: laziness, caching, errors ---------===//
//
// Part of Ember.
//
//===----------------------------------------------------------------------===//

#include "ember/ember.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <unistd.h>
#include <sstream>

using namespace ember;

namespace {

std::string str(const Tensor &t) {
  std::ostringstream os;
  os << t;
  return os.str();
}

TEST(TensorTest, OpsOnlyRecordUntilRealised) {
  Tensor a = ones({3, 4}), b = full({3, 4}, 2.0);
  Tensor c = (a + b) * b;
  EXPECT_FALSE(c.is_realized());
  EXPECT_EQ(c.shape(), (Shape{3, 4}));
  EXPECT_EQ(c.node()->kind, fe::OpKind::Mul);
  std::vector<float> v = c.to_vector();
  EXPECT_TRUE(c.is_realized());
  EXPECT_EQ(v, std::vector<float>(12, 6.0f));
}

TEST(TensorTest, SecondRealisationOfSameStructureDoesNotCompile) {
  // Shapes no other test uses, so the first realisation must compile.
  auto build = [](float v) {
    Tensor x = full({3, 17}, v);
    Tensor w = full({5, 17}, 0.5);
    return linear(x, w, full({5}, 1.0)).relu().sum({1});
  };
  CacheStats before = cache_stats();
  Tensor first = build(1.0f);
  first.realize();
  CacheStats afterFirst = cache_stats();
  // Compiled (or, with the on-disk cache enabled, loaded from it).
  EXPECT_EQ(afterFirst.compilations + afterFirst.loaded,
            before.compilations + before.loaded + 1);

  // Different values, same ops, shapes and dtypes: served from the cache.
  Tensor second = build(-2.0f);
  std::vector<float> values = second.to_vector();
  CacheStats afterSecond = cache_stats();
  EXPECT_EQ(afterSecond.compilations, afterFirst.compilations);
  EXPECT_EQ(afterSecond.loaded, afterFirst.loaded);
  EXPECT_EQ(afterSecond.hits, afterFirst.hits + 1);
  // And the values are the second graph's, not the first's.
  EXPECT_EQ(first.to_vector(), std::vector<float>(3, 5 * (17 * 0.5f + 1)));
  EXPECT_EQ(values, std::vector<float>(3, 0.0f));

  // A different shape is a different graph.
  Tensor third = linear(full({4, 17}, 1.0), full({5, 17}, 0.5), full({5}, 1.0))
                     .relu()
                     .sum({1});
  third.realize();
  CacheStats afterThird = cache_stats();
  EXPECT_EQ(afterThird.compilations + afterThird.loaded,
            afterSecond.compilations + afterSecond.loaded + 1);
}

TEST(TensorTest, ShapeMismatchNamesOpShapesAndLine) {
  int line = 0;
  try {
    line = __LINE__ + 1;
    Tensor c = ones({2, 3}) + ones({4, 5});
    FAIL() << "no error thrown";
  } catch (const Error &e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("add"), std::string::npos) << msg;
    EXPECT_NE(msg.find("[2, 3]"), std::string::npos) << msg;
    EXPECT_NE(msg.find("[4, 5]"), std::string::npos) << msg;
    EXPECT_NE(msg.find("TensorTest.cpp:" + std::to_string(line)),
              std::string::npos)
        << msg;
  }
}

TEST(TensorTest, OtherErrorsAreEmberErrors) {
  EXPECT_THROW(ones({2, 3}).matmul(ones({2, 3})), Error);
  EXPECT_THROW(ones({6}).reshape({4, -1}), Error);
  EXPECT_THROW(ones({6}).reshape({-1, -1}), Error);
  EXPECT_THROW(ones({2, 3}).sum({2}), Error);
  EXPECT_THROW(ones({2, 3}).sum({1, -1}), Error);
  EXPECT_THROW(ones({2, 3}).permute({0, 0}), Error);
  EXPECT_THROW(ones({2, 3}).broadcast_to({3, 3}), Error);
  EXPECT_THROW(ones({2, 3}).item(), Error);
  EXPECT_THROW(ones({2}) + ones({2}, DType::Int64), Error);
  EXPECT_THROW(linear(ones({2, 3}), ones({4, 2}), Tensor()), Error);
  EXPECT_THROW(tensor({{1.0, 2.0}, {3.0}}), Error);
  EXPECT_THROW(tensor(std::vector<float>{1, 2, 3}, {2, 2}), Error);
  EXPECT_THROW(Tensor().shape(), Error);
}

TEST(TensorTest, Creation) {
  Tensor t = tensor({{0.0, 1.3}, {2.8, 3.3}, {4.1, 5.2}, {6.9, 7.0}});
  EXPECT_EQ(t.shape(), (Shape{4, 2}));
  EXPECT_EQ(t.dtype(), DType::Float32);
  EXPECT_FLOAT_EQ(t.to_vector()[3], 3.3f);
  EXPECT_EQ(arange(5).to_vector(), (std::vector<float>{0, 1, 2, 3, 4}));
  EXPECT_EQ(arange(1, 2, 0.25).numel(), 4);
  EXPECT_EQ(zeros({2, 2}, DType::Int64).to_vector<int64_t>(),
            (std::vector<int64_t>(4, 0)));
  EXPECT_EQ(tensor(3.5).item(), 3.5f);
  EXPECT_EQ(tensor(3.5).dim(), 0);

  manual_seed(7);
  std::vector<float> r1 = rand({100}).to_vector();
  std::vector<float> n1 = randn({100}).to_vector();
  manual_seed(7);
  EXPECT_EQ(rand({100}).to_vector(), r1);
  EXPECT_EQ(randn({100}).to_vector(), n1);
  for (float v : r1) {
    EXPECT_GE(v, 0.0f);
    EXPECT_LT(v, 1.0f);
  }
}

TEST(TensorTest, PrintsLikePyTorch) {
  Tensor t = tensor({{0.0, 1.3}, {2.8, 3.3}, {4.1, 5.2}, {6.9, 7.0}});
  EXPECT_EQ(str(t), "tensor([[0.0000, 1.3000],\n"
                    "        [2.8000, 3.3000],\n"
                    "        [4.1000, 5.2000],\n"
                    "        [6.9000, 7.0000]])");
  // Printing a lazy result realises it first.
  EXPECT_EQ(str(t.sum({0}) * 0.5), "tensor([6.9000, 8.4000])");
  EXPECT_EQ(str(ones({3})), "tensor([1., 1., 1.])");
  EXPECT_EQ(str(arange(3, DType::Int64)), "tensor([0, 1, 2])");
  EXPECT_EQ(str(Tensor()), "[ Tensor (undefined) ]");
}

TEST(TensorTest, DumpIrWritesEveryStageInOrder) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() /
                 ("ember-dump-test-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  ::setenv("EMBER_DUMP_IR", dir.c_str(), 1);
  // A structure no other test compiles, so it is not served from the cache.
  Tensor r = (ones({7, 3, 2}) * 3.0).sum({0, 2}, true);
  r.realize();
  ::unsetenv("EMBER_DUMP_IR");
  std::vector<std::string> names;
  ASSERT_TRUE(fs::exists(dir));
  fs::path graphDir = fs::directory_iterator(dir)->path();
  for (const auto &entry : fs::directory_iterator(graphDir))
    if (entry.is_regular_file())
      names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{
                       "00-cpu-model.txt", "00-input.mlir", "01-ember.mlir",
                       "02-linalg.mlir", "03-vectorized.mlir",
                       "04-bufferized.mlir", "05-llvm-dialect.mlir",
                       "06-llvm-ir.ll", "07-llvm-ir-opt.ll", "08-assembly.s",
                       "09-shared-object.so"}));
  EXPECT_TRUE(fs::is_directory(graphDir / "passes"));
  // The code as loaded: an ELF shared object exporting the entry point, for
  // scripts/perf-graph.py to map a profile to.
  std::ifstream so(graphDir / "09-shared-object.so", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(so)), {});
  EXPECT_EQ(bytes.substr(0, 4), "\x7f" "ELF");
  EXPECT_NE(bytes.find("ember_entry"), std::string::npos);
  fs::remove_all(dir);
}

} // namespace
