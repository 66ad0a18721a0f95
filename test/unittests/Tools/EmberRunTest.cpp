//===- EmberRunTest.cpp - graphc + ember-run, end to end ------------------===//
//
// Part of Ember. A graph recorded by the frontend is exported, compiled by
// graphc into an artifact and run by ember-run on .npy files; the result
// must match the reference evaluator. Also: the .npy and artifact readers on
// good and malformed files, and ember-run's errors and exit codes.
//
//===----------------------------------------------------------------------===//

#include "HostCpu.h"
#include "QuickstartModel.h"
#include "RandomTensors.h"
#include "Reference.h"
#include "TestSeed.h"
#include "ember/ember.h"
#include "ember/runtime/Artifact.h"
#include "ember/runtime/Npy.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace ember;
namespace fs = std::filesystem;

namespace {

class ToolsTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("ember-run-test-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }

  std::string path(const std::string &name) { return (dir / name).string(); }

  /// Runs a shell command; returns its exit code, output in `out`.
  int run(const std::string &cmd, std::string *out = nullptr) {
    std::string full = cmd + " > " + path("out.txt") + " 2>&1";
    int status = std::system(full.c_str());
    if (out) {
      std::ifstream f(path("out.txt"));
      out->assign(std::istreambuf_iterator<char>(f), {});
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  void writeNpyOf(const Tensor &t, const std::string &name) {
    rt::NpyArray a;
    a.signature = {t.dtype(), t.shape()};
    std::vector<float> v = t.to_vector();
    a.data.assign(reinterpret_cast<const char *>(v.data()), v.size() * 4);
    ASSERT_TRUE(rt::writeNpy(path(name), a));
  }

  fs::path dir;
};

TEST_F(ToolsTest, ExportCompileAndRunMatchesTheReference) {
  std::mt19937_64 rng = test::testGenerator();
  auto random = [&](Shape s) { return test::randomTensor(rng, s); };
  Tensor x = random({5, 12}), w = random({7, 12}), b = random({7});
  Tensor y = linear(x, w, b).relu().sum({1}, true) * 0.5;
  std::vector<double> expected = ref::evaluate(y.node());
  std::ofstream(path("graph.mlir")) << export_graph({y});
  ASSERT_EQ(run(std::string(EMBER_GRAPHC) + " " + path("graph.mlir") + " -o " +
                path("graph.ember")),
            0);
  writeNpyOf(x, "x.npy");
  writeNpyOf(w, "w.npy");
  writeNpyOf(b, "b.npy");
  // The scalar 0.5 is an argument too (values never live in graph text).
  writeNpyOf(tensor(0.5), "half.npy");
  std::string out;
  ASSERT_EQ(run(std::string(EMBER_RUN) + " " + path("graph.ember") +
                    " --input " + path("x.npy") + " --input " + path("w.npy") +
                    " --input " + path("b.npy") + " --input " +
                    path("half.npy") + " --output " + path("y.npy") +
                    " --repeat 3 --threads 2",
                &out),
            0)
      << out;
  EXPECT_NE(out.find("3 runs, median"), std::string::npos) << out;
  EXPECT_NE(out.find("(2 threads)"), std::string::npos) << out;
  rt::StatusOr<rt::NpyArray> result = rt::readNpy(path("y.npy"));
  ASSERT_TRUE(result) << result.status().message();
  EXPECT_EQ(result->signature.shape, (std::vector<int64_t>{5, 1}));
  std::vector<double> actual =
      ref::toDoubles(result->data.data(), DType::Float32, 5);
  EXPECT_EQ(ref::compareClose(actual, expected, {5, 1}, 1e-5, 1e-5), "")
      << test::seedTrace();

  // Inputs that do not match the signature: exit 4, naming both.
  writeNpyOf(random({4, 12}), "wrong.npy");
  ASSERT_EQ(run(std::string(EMBER_RUN) + " " + path("graph.ember") +
                    " --input " + path("wrong.npy") + " --input " +
                    path("w.npy") + " --input " + path("b.npy") +
                    " --input " + path("half.npy") + " --output " +
                    path("y.npy"),
                &out),
            4);
  EXPECT_NE(out.find("float32 [4, 12]; the graph expects float32 [5, 12]"),
            std::string::npos)
      << out;
  // A malformed .npy input: exit 3, naming the file.
  std::ofstream(path("bad.npy"), std::ios::binary) << "\x93NUMPY\x01\x00garbage";
  EXPECT_EQ(run(std::string(EMBER_RUN) + " " + path("graph.ember") +
                    " --input " + path("bad.npy") + " --input " + path("w.npy") +
                    " --input " + path("b.npy") + " --input " +
                    path("half.npy") + " --output " + path("y.npy"),
                &out),
            3);
  EXPECT_NE(out.find("bad.npy: not a valid .npy file"), std::string::npos)
      << out;
  // A thread count out of range is a usage error.
  EXPECT_EQ(run(std::string(EMBER_RUN) + " " + path("graph.ember") +
                    " --input " + path("x.npy") + " --output " + path("y.npy") +
                    " --threads 0",
                &out),
            1);
  EXPECT_NE(out.find("--threads must be between 1 and 4096"), std::string::npos)
      << out;
  // Too few inputs, a missing file, a truncated artifact, garbage.
  EXPECT_EQ(run(std::string(EMBER_RUN) + " " + path("graph.ember") +
                " --input " + path("x.npy") + " --output " + path("y.npy")),
            4);
  EXPECT_EQ(run(std::string(EMBER_RUN) + " " + path("nope.ember") +
                " --output " + path("y.npy")),
            2);
  std::string bytes;
  {
    std::ifstream f(path("graph.ember"), std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  for (size_t cut : {size_t(0), size_t(7), size_t(30), bytes.size() / 2,
                     bytes.size() - 1}) {
    std::ofstream(path("cut.ember"), std::ios::binary) << bytes.substr(0, cut);
    EXPECT_EQ(run(std::string(EMBER_RUN) + " " + path("cut.ember") +
                  " --input " + path("x.npy") + " --output " + path("y.npy"),
                  &out),
              3)
        << "cut at " << cut << ": " << out;
  }
}

TEST_F(ToolsTest, NpyRoundTripsEveryDType) {
  for (DType t : {DType::Float32, DType::Float64, DType::Int64, DType::UInt8,
                  DType::Bool}) {
    rt::NpyArray a;
    a.signature = {t, {2, 3}};
    a.data.resize(6 * dtypeSize(t));
    for (size_t i = 0; i < a.data.size(); ++i)
      a.data[i] = static_cast<char>(t == DType::Bool ? i % 2 : i * 7);
    ASSERT_TRUE(rt::writeNpy(path("a.npy"), a));
    rt::StatusOr<rt::NpyArray> back = rt::readNpy(path("a.npy"));
    ASSERT_TRUE(back) << back.status().message();
    EXPECT_EQ(back->signature.str(), a.signature.str());
    EXPECT_EQ(back->data, a.data);
  }
  rt::NpyArray scalar;
  scalar.signature = {DType::Float64, {}};
  scalar.data.assign(8, '\0');
  ASSERT_TRUE(rt::writeNpy(path("s.npy"), scalar));
  EXPECT_TRUE(rt::readNpy(path("s.npy")));
}

TEST_F(ToolsTest, MalformedNpyFilesAreRejected) {
  auto rejects = [&](const std::string &bytes, const std::string &fragment) {
    std::ofstream(path("bad.npy"), std::ios::binary) << bytes;
    rt::StatusOr<rt::NpyArray> a = rt::readNpy(path("bad.npy"));
    ASSERT_FALSE(a);
    EXPECT_NE(a.status().message().find(fragment), std::string::npos)
        << a.status().message();
    EXPECT_NE(a.status().message().find("bad.npy"), std::string::npos);
  };
  auto header = [](const std::string &dict) {
    std::string h = dict + "\n";
    std::string out = "\x93NUMPY";
    out += '\x01';
    out += '\x00';
    out += static_cast<char>(h.size());
    out += '\x00';
    return out + h;
  };
  rejects("", "magic");
  rejects("PK\x03\x04 a zip file", "magic");
  rejects(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }") +
              std::string(7, 'x'),
          "needs 8");
  rejects(header("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }"),
          "unsupported dtype");
  rejects(header("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }"),
          "Fortran");
  rejects(header("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }"),
          "dimension");
  rejects(header("{'descr': '<f4', 'fortran_order': False, 'shape': "
                 "(1099511627776, 1099511627776), }"),
          "absurd");
  rejects(header("{'descr': '<f4'}"), "lacks");
  // NumPy takes the last of duplicate keys and Ember took the first: the
  // same file was two different arrays. Duplicate and unknown keys are
  // errors naming the key.
  rejects(header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), "
                 "'shape': (2,), }") +
              std::string(4, 'x'),
          "the header has the key 'shape' twice");
  rejects(header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), "
                 "'sahpe': (2,), }") +
              std::string(4, 'x'),
          "the header has the unknown key 'sahpe'");
  rejects(header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} x") +
              std::string(4, 'x'),
          "bytes after its dict");
  // A key spelled inside another value is not the key.
  rejects(header("{'descr': '<f4', 'fortran_order': False, 'x': 'shape', "
                 "'shape': (1,), }") +
              std::string(4, 'x'),
          "unknown key 'x'");
  std::string longHeader = "\x93NUMPY";
  longHeader += '\x01';
  longHeader += '\x00';
  longHeader += '\xff';
  longHeader += '\xff';
  rejects(longHeader, "longer than the file");
}

// Opening a FIFO used to wait forever for a writer.
TEST_F(ToolsTest, NpyFifoIsRejectedWithoutBlocking) {
  ASSERT_EQ(::mkfifo(path("fifo.npy").c_str(), 0600), 0);
  ::alarm(60); // A hang kills the test instead of stalling the run.
  rt::StatusOr<rt::NpyArray> a = rt::readNpy(path("fifo.npy"));
  ::alarm(0);
  ASSERT_FALSE(a);
  EXPECT_NE(a.status().message().find("fifo.npy': it is a FIFO, not a "
                                      "regular file"),
            std::string::npos)
      << a.status().message();
}

// Writing an output replaces only a regular file: `ember-run --output
// /dev/null`, as root, renamed its temporary over the device node, leaving
// a regular file at /dev/null for every later program. A link to a device
// (to /dev/null here, never /dev/null itself) is written through, and stays
// a link; a link to a regular file stays a link, the file it names
// replaced; a link to a missing file creates it.
TEST_F(ToolsTest, NpyOutputsReplaceOnlyRegularFiles) {
  rt::NpyArray a;
  a.signature = {DType::Float32, {2}};
  float values[2] = {1.5f, -2.0f};
  a.data.assign(reinterpret_cast<const char *>(values), sizeof values);

  std::string null = path("null.npy");
  fs::create_symlink("/dev/null", null);
  rt::Status s = rt::writeNpy(null, a);
  EXPECT_TRUE(s) << s.message();
  EXPECT_TRUE(fs::is_symlink(null));
  EXPECT_TRUE(fs::is_character_file("/dev/null"));
  for (const fs::directory_entry &e : fs::directory_iterator(dir))
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos)
        << "a temporary was left: " << e.path();

  std::string target = path("target.npy"), link = path("link.npy");
  std::ofstream(target) << "old";
  fs::create_symlink(target, link);
  s = rt::writeNpy(link, a);
  ASSERT_TRUE(s) << s.message();
  EXPECT_TRUE(fs::is_symlink(link));
  rt::StatusOr<rt::NpyArray> back = rt::readNpy(target);
  ASSERT_TRUE(back) << back.status().message();
  EXPECT_EQ(back->data, a.data);

  // A link to a file not there yet creates it, and stays a link.
  std::string dangling = path("dangling.npy");
  fs::create_symlink(path("made.npy"), dangling);
  s = rt::writeNpy(dangling, a);
  ASSERT_TRUE(s) << s.message();
  EXPECT_TRUE(fs::is_symlink(dangling));
  back = rt::readNpy(path("made.npy"));
  ASSERT_TRUE(back) << back.status().message();
  EXPECT_EQ(back->data, a.data);
}

TEST_F(ToolsTest, GraphcWritesAnArtifactWithTheSignature) {
  std::ofstream(path("g.mlir")) << R"mlir(
func.func @graph(%a: tensor<2x3xf32>, %b: tensor<3xi64>) -> (tensor<2xf32>, tensor<3xi64>) {
  %0 = ember.sum %a dims = [1] : tensor<2x3xf32> -> tensor<2xf32>
  %1 = ember.neg %b : tensor<3xi64>
  return %0, %1 : tensor<2xf32>, tensor<3xi64>
}
)mlir";
  ASSERT_EQ(run(std::string(EMBER_GRAPHC) + " " + path("g.mlir") + " -o " +
                path("g.ember")),
            0);
  std::ifstream f(path("g.ember"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), {});
  rt::StatusOr<rt::Artifact> a = rt::Artifact::parse(bytes);
  ASSERT_TRUE(a) << a.status().message();
  ASSERT_EQ(a->inputs.size(), 2u);
  EXPECT_EQ(a->inputs[1].str(), "int64 [3]");
  EXPECT_EQ(a->outputs[0].str(), "float32 [2]");
  EXPECT_EQ(a->code.substr(0, 4), "\x7f" "ELF");
  EXPECT_EQ(a->entry, "ember_entry");
}

// An artifact carries a checksum of its whole content, verified before its
// code is mapped: a flipped bit anywhere (the code, the signature, the
// checksum itself) and an edited output shape are rejected by the parser
// and by ember-run, which exits 3 naming the checksum and never runs the
// code. (Before: 16 of 250 flips in the code crashed ember-run and 4 gave
// wrong outputs with exit 0.)
TEST_F(ToolsTest, CorruptedArtifactsAreRejectedBeforeTheirCodeRuns) {
  std::ofstream(path("g.mlir")) << R"mlir(
func.func @graph(%a: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = ember.relu %a : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
)mlir";
  ASSERT_EQ(run(std::string(EMBER_GRAPHC) + " " + path("g.mlir") + " -o " +
                path("g.ember")),
            0);
  std::ifstream f(path("g.ember"), std::ios::binary);
  std::string good((std::istreambuf_iterator<char>(f)), {});
  ASSERT_TRUE(rt::Artifact::parse(good));
  ASSERT_GT(good.size(), 64u);
  // Every bit of the first 64 bytes (header, signature) and of the last 64
  // (code, checksum), and 2,000 random bits between.
  std::mt19937_64 rng = test::testGenerator();
  std::vector<size_t> bits;
  for (size_t b = 0; b < 64 * 8; ++b) {
    bits.push_back(b);
    bits.push_back(good.size() * 8 - 1 - b);
  }
  for (int i = 0; i < 2000; ++i)
    bits.push_back(std::uniform_int_distribution<size_t>(
        0, good.size() * 8 - 1)(rng));
  for (size_t bit : bits) {
    std::string bad = good;
    bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
    ASSERT_FALSE(rt::Artifact::parse(bad))
        << test::seedTrace() << ": bit " << bit << " of " << good.size() * 8;
  }
  // Through ember-run: the output shape edited to [1, 1]. The header is 24
  // bytes, the input's signature 21 (dtype, rank, two dims): the output's
  // dims are the u64s at 50 and 58.
  std::string edited = good;
  ASSERT_EQ(edited[50], 2);
  ASSERT_EQ(edited[58], 3);
  edited[50] = 1;
  edited[58] = 1;
  std::ofstream(path("edited.ember"), std::ios::binary) << edited;
  writeNpyOf(rand({2, 3}), "x.npy");
  std::string out;
  EXPECT_EQ(run(std::string(EMBER_RUN) + " " + path("edited.ember") +
                    " --input " + path("x.npy") + " --output " + path("y.npy"),
                &out),
            3); // an invalid artifact
  EXPECT_NE(out.find("the checksum does not match the content"),
            std::string::npos)
      << out;
  // A version 1 artifact (no checksum) is named as such.
  std::string v1 = good.substr(0, good.size() - 8);
  v1[8] = 1;
  rt::StatusOr<rt::Artifact> old = rt::Artifact::parse(v1);
  ASSERT_FALSE(old);
  EXPECT_NE(old.status().message().find("version 1 (no checksum)"),
            std::string::npos);
}

} // namespace

namespace {

using test::NeuralNetwork;

TEST_F(ToolsTest, QuickstartModelExportedWithItsWeightsRunsAlone) {
  // The Quickstart's model, its weights written into the graph: the
  // artifact takes only the images.
  manual_seed(9);
  NeuralNetwork model;
  Tensor x = rand({3, 1, 28, 28});
  NoGradGuard noGrad;
  Tensor logits = model(x);
  std::vector<double> expected = ref::evaluate(logits.node());
  std::string graph = export_graph({logits}, {x});
  EXPECT_NE(graph.find("ember.constant dense<\"0x"), std::string::npos);
  std::ofstream(path("model.mlir")) << graph;
  ASSERT_EQ(run(std::string(EMBER_GRAPHC) + " " + path("model.mlir") + " -o " +
                path("model.ember")),
            0);
  std::ifstream f(path("model.ember"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), {});
  rt::StatusOr<rt::Artifact> a = rt::Artifact::parse(bytes);
  ASSERT_TRUE(a) << a.status().message();
  ASSERT_EQ(a->inputs.size(), 1u);
  EXPECT_EQ(a->inputs[0].str(), "float32 [3, 1, 28, 28]");
  writeNpyOf(x, "x.npy");
  std::string out;
  ASSERT_EQ(run(std::string(EMBER_RUN) + " " + path("model.ember") +
                    " --input " + path("x.npy") + " --output " +
                    path("logits.npy"),
                &out),
            0)
      << out;
  rt::StatusOr<rt::NpyArray> result = rt::readNpy(path("logits.npy"));
  ASSERT_TRUE(result) << result.status().message();
  std::vector<double> actual =
      ref::toDoubles(result->data.data(), DType::Float32, 30);
  EXPECT_EQ(ref::compareClose(actual, expected, {3, 10}, 1e-4, 1e-5), "");
}

// A graph whose weights are constants (as every ONNX model's are) has them
// packed into the products' column panels at compile time
// (prepackConstant in ember-cpu-vectorize-contractions): small products and
// large, parallel ones with blocks of rows, odd sizes, the weight
// transposed by linear or given as a matmul's B, with AVX2 code and this
// CPU's, on one and two threads.
TEST_F(ToolsTest, PrepackedConstantWeightsMatchTheReference) {
  SCOPED_TRACE(test::seedTrace());
  std::mt19937_64 rng = test::testGenerator();
  auto random = [&](Shape s) { return test::randomTensor(rng, s); };
  auto size = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  for (int64_t rows : {size(1, 13), size(300, 420)}) {
    int64_t k = size(20, 90), n1 = 16 * size(1, 8), n2 = 8 * size(1, 12);
    SCOPED_TRACE("rows " + std::to_string(rows) + ", K " + std::to_string(k) +
                 ", N " + std::to_string(n1) + " and " + std::to_string(n2));
    Tensor x = random({rows, k}), w1 = random({n1, k}), b1 = random({n1}),
           w2 = random({n1, n2});
    NoGradGuard noGrad;
    Tensor y = linear(x, w1, b1).relu().matmul(w2);
    std::vector<double> expected = ref::evaluate(y.node());
    std::ofstream(path("graph.mlir")) << export_graph({y}, {x});
    writeNpyOf(x, "x.npy");
    for (std::string cpu : {"", "haswell"}) {
      if (cpu == "haswell" && !test::canRunAvx2())
        continue;
      SCOPED_TRACE("cpu '" + cpu + "'");
      std::string out;
      ASSERT_EQ(run(std::string(EMBER_GRAPHC) + " " + path("graph.mlir") +
                        (cpu.empty() ? "" : " --cpu=" + cpu) + " -o " +
                        path("graph.ember"),
                    &out),
                0)
          << out;
      for (int threads : {1, 2}) {
        ASSERT_EQ(run(std::string(EMBER_RUN) + " " + path("graph.ember") +
                          " --input " + path("x.npy") + " --output " +
                          path("y.npy") + " --threads " +
                          std::to_string(threads),
                      &out),
                  0)
            << out;
        rt::StatusOr<rt::NpyArray> result = rt::readNpy(path("y.npy"));
        ASSERT_TRUE(result) << result.status().message();
        std::vector<double> actual =
            ref::toDoubles(result->data.data(), DType::Float32, rows * n2);
        EXPECT_EQ(ref::compareClose(actual, expected, {rows, n2}, 1e-4, 1e-4),
                  "")
            << threads << " threads";
      }
    }
  }
}

TEST_F(ToolsTest, ExportedConstantsOfEveryDType) {
  Tensor x = tensor({1.0, 2.0});
  Tensor mask = tensor({{1.0, 0.0}, {0.0, 1.0}}).gt(0.5);
  mask.realize();
  Tensor ints = arange(2, DType::Int64);
  Tensor y = where(mask, x.broadcast_to({2, 2}), x.broadcast_to({2, 2}) * 10.0) +
             ints.to(DType::Float32);
  std::vector<double> expected = ref::evaluate(y.node());
  std::string graph = export_graph({y}, {x});
  std::ofstream(path("c.mlir")) << graph;
  ASSERT_EQ(run(std::string(EMBER_GRAPHC) + " " + path("c.mlir") + " -o " +
                path("c.ember")),
            0)
      << graph;
  writeNpyOf(x, "x.npy");
  ASSERT_EQ(run(std::string(EMBER_RUN) + " " + path("c.ember") + " --input " +
                path("x.npy") + " --output " + path("y.npy")),
            0);
  rt::StatusOr<rt::NpyArray> result = rt::readNpy(path("y.npy"));
  ASSERT_TRUE(result);
  EXPECT_EQ(ref::toDoubles(result->data.data(), DType::Float32, 4), expected);
}

} // namespace

namespace {

/// ONNX fixtures made by test/onnx/make_fixtures.py with PyTorch (opset
/// 13; the CNN also at opset 11: Conv, BatchNormalization, MaxPool,
/// AveragePool after a Pad of nothing, GlobalAveragePool; its output is
/// also onnxruntime's within 2e-7), and softmax_opset11 by
/// test/onnx/make_opset_fixtures.py (opset 11:
/// Softmax and LogSoftmax take a rank-4 input as 2-D, the old meaning, with
/// onnxruntime's output; shape_folding, a traced view's Shape, Gather,
/// Unsqueeze and Concat folded, with Where, Clip and Cast; clip_opset7, the
/// attribute forms of Clip, Squeeze, Unsqueeze and the reductions), and
/// reductions (PyTorch's clamp, mean, sum, a comparison cast to float):
/// graphc imports and compiles each, ember-run runs
/// it on the stored input, and the output matches the stored output within
/// 1e-5 relative.
TEST_F(ToolsTest, OnnxFixturesMatchPyTorch) {
  for (const char *name :
       {"mlp", "ops", "logsoftmax", "activations", "softmax_opset11",
        "gelu_opset20", "cnn", "cnn_opset11", "reductions", "shape_folding",
        "clip_opset7", "matmul_3d"}) {
    SCOPED_TRACE(name);
    std::string base = std::string(EMBER_ONNX_FIXTURES) + "/" + name;
    std::string out;
    ASSERT_EQ(run(std::string(EMBER_GRAPHC) + " " + base + ".onnx -o " +
                      path("m.ember"),
                  &out),
              0)
        << out;
    ASSERT_EQ(run(std::string(EMBER_RUN) + " " + path("m.ember") +
                      " --input " + base + ".input.npy --output " +
                      path("y.npy"),
                  &out),
              0)
        << out;
    rt::StatusOr<rt::NpyArray> actual = rt::readNpy(path("y.npy"));
    rt::StatusOr<rt::NpyArray> expected = rt::readNpy(base + ".output.npy");
    ASSERT_TRUE(actual && expected);
    ASSERT_EQ(actual->signature.str(), expected->signature.str());
    int64_t n = expected->signature.numel();
    EXPECT_EQ(ref::compareClose(
                  ref::toDoubles(actual->data.data(), DType::Float32, n),
                  ref::toDoubles(expected->data.data(), DType::Float32, n),
                  expected->signature.shape, 1e-5, 1e-6),
              "");
  }
}

TEST_F(ToolsTest, BadOnnxFilesGetADiagnosticAndAnExitCode) {
  std::string out;
  // An op Ember does not support: exit 5, naming the op type and the node.
  EXPECT_EQ(run(std::string(EMBER_GRAPHC) + " " + EMBER_ONNX_FIXTURES +
                    "/unsupported.onnx --emit=ember",
                &out),
            5);
  EXPECT_NE(out.find("unsupported ONNX op 'Sin' (node '"), std::string::npos)
      << out;
  // A Concat of tensors (not of constant shapes, which are folded).
  EXPECT_EQ(run(std::string(EMBER_GRAPHC) + " " + EMBER_ONNX_FIXTURES +
                    "/concat_tensors.onnx --emit=ember",
                &out),
            5);
  EXPECT_NE(out.find("node 'twice' (Concat): only a Concat of constant 1-D "
                     "int64 tensors (a shape being built, folded) is "
                     "supported"),
            std::string::npos)
      << out;
  // A node of another domain, and an opset whose ops mean something else.
  EXPECT_EQ(run(std::string(EMBER_GRAPHC) + " " + EMBER_ONNX_FIXTURES +
                    "/custom_domain.onnx --emit=ember",
                &out),
            5);
  EXPECT_NE(out.find("(Relu) is in domain 'com.example', which Ember does "
                     "not read (only the default ONNX domain, ai.onnx)"),
            std::string::npos)
      << out;
  EXPECT_EQ(run(std::string(EMBER_GRAPHC) + " " + EMBER_ONNX_FIXTURES +
                    "/gelu_tanh.onnx --emit=ember",
                &out),
            5);
  EXPECT_NE(out.find("unsupported attribute 'approximate' = 'tanh' of ONNX "
                     "op 'Gelu'"),
            std::string::npos)
      << out;
  EXPECT_EQ(run(std::string(EMBER_GRAPHC) + " " + EMBER_ONNX_FIXTURES +
                    "/opset6.onnx --emit=ember",
                &out),
            5);
  EXPECT_NE(out.find("ONNX opset 6 (domain ai.onnx) is not supported: Ember "
                     "reads opsets 7 to 22"),
            std::string::npos)
      << out;
  // Not a protobuf, and a truncated model: parse errors, exit 3.
  std::ofstream(path("junk.onnx")) << "this is not a protobuf \x01\x02\xff";
  EXPECT_EQ(run(std::string(EMBER_GRAPHC) + " " + path("junk.onnx") +
                    " --emit=ember",
                &out),
            3)
      << out;
  std::ifstream f(std::string(EMBER_ONNX_FIXTURES) + "/mlp.onnx",
                  std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), {});
  for (size_t cut : {size_t(10), bytes.size() / 2, bytes.size() - 3}) {
    std::ofstream(path("cut.onnx"), std::ios::binary) << bytes.substr(0, cut);
    int code = run(std::string(EMBER_GRAPHC) + " " + path("cut.onnx") +
                       " --emit=ember",
                   &out);
    EXPECT_TRUE(code == 3 || code == 5) << "cut at " << cut << ": " << out;
  }
  // Found by fuzz_onnx (test/fuzz/regressions/onnx): a graph with no
  // outputs imported to a function graphc could not parse.
  EXPECT_EQ(run(std::string(EMBER_GRAPHC) + " " + EMBER_FUZZ_REGRESSIONS +
                    "/onnx/no-graph-outputs.onnx --emit=ember",
                &out),
            5)
      << out;
  EXPECT_NE(out.find("the graph has no outputs"), std::string::npos) << out;
  // Also from fuzz_onnx: a node with fewer inputs than its op takes was
  // read past its end (test/onnx/make_opset_fixtures.py writes the file).
  EXPECT_EQ(run(std::string(EMBER_GRAPHC) + " " + EMBER_FUZZ_REGRESSIONS +
                    "/onnx/where-one-input.onnx --emit=ember",
                &out),
            5)
      << out;
  EXPECT_NE(out.find("node 'short' (Where) has 1 input; ONNX's Where takes 3"),
            std::string::npos)
      << out;
}

// Every input a fuzzer once crashed on (test/fuzz/regressions/) that
// graphc reads is compiled, or gets a diagnostic and a parse, verify or
// unsupported-input exit code; never a crash.
TEST_F(ToolsTest, FuzzRegressionsAreRejectedCleanly) {
  namespace fs = std::filesystem;
  int checked = 0;
  for (const char *kind : {"ember_ir", "onnx"}) {
    fs::path dir = fs::path(EMBER_FUZZ_REGRESSIONS) / kind;
    if (!fs::exists(dir))
      continue;
    for (const fs::directory_entry &e : fs::directory_iterator(dir)) {
      // graphc picks the reader by extension: give each file its kind's.
      std::string ext = std::string(kind) == "onnx" ? ".onnx"
                        : e.path().extension() == ".mlirbc" ? ".mlirbc"
                                                            : ".mlir";
      fs::copy_file(e.path(), path("input" + ext),
                    fs::copy_options::overwrite_existing);
      std::string out;
      int code = run(std::string(EMBER_GRAPHC) + " " + path("input" + ext) +
                         " --emit=linalg",
                     &out);
      // Compiled (some inputs were valid, only mishandled) or rejected
      // with a diagnostic; never a crash or a codegen failure.
      EXPECT_TRUE(code == 0 || code == 3 || code == 4 || code == 5)
          << e.path() << " exit " << code << ": " << out;
      if (code != 0)
        EXPECT_NE(out.find("graphc: "), std::string::npos) << out;
      ++checked;
    }
  }
  EXPECT_GE(checked, 2);
}

} // namespace
