//===- KernelVariantsTest.cpp - Every CPU kernel variant vs the reference -===//
//
// Part of Ember. The CPU code generator picks, per matmul, a register tile
// (Nr = N when N fits in two vector registers, else two, one or half a
// register's lanes, else the scalar loop; Mr in {16, 8, 4, 2, 1} rows (or
// M itself, under 16), as
// many as the target's accumulator registers allow, and no more than the
// L1's ways hold when A's rows fall in one set), whether the tile
// loops run on threads (from 4 MFLOP), whether a large product's columns
// are split into two-vector tiles and a rest, whether B is packed into
// column panels (and then in blocks of rows that fit in the L2, or, with
// too few rows for those, as products over parts of K), whether a
// convolution's product runs in blocks of images or output rows with its
// windows copied per block (and with the pooling that reads it, in blocks of
// images), whether an op reading through tensor.extract
// (pooling) reads a row by gathers or by one strided read, whether
// N = 10 takes the dot-product kernel, whether an
// elementwise consumer is fused into the tile, and per 2-D transpose a block
// size (16, 8 or none) and whether blocks run on threads (from 65536 elements),
// and whether an elementwise op's rows are shared by threads (from 65536
// elements). This test reaches every one of those choices with shapes that are
// not multiples of the tiles (1, primes, odd sizes) and runs each graph at 1, 2
// and 3 threads, against the reference evaluator, for the host CPU and for
// an AVX2 CPU (haswell: 256-bit registers, so other tiles; its code runs on
// any x86 machine with AVX2 and FMA, and the AVX2 run is skipped on one
// without). Values and the sizes' odd offsets are random (EMBER_TEST_SEED
// replays a run). Products whose B is a constant (packed at compile time)
// are only in graphs with constants, which realisation never makes:
// ToolsTest.PrepackedConstantWeightsMatchTheReference runs those, on both
// ISAs.
//
//===----------------------------------------------------------------------===//

#include "GraphCache.h"
#include "HostCpu.h"
#include "RandomTensors.h"
#include "Reference.h"
#include "TestSeed.h"
#include "ember/ember.h"

#include <gtest/gtest.h>

#include <random>

using namespace ember;

namespace {

class KernelVariantsTest : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    if (GetParam() == "haswell" && !test::canRunAvx2())
      GTEST_SKIP() << "this CPU cannot run AVX2 code";
    rng = test::testGenerator();
    set_cpu_target(GetParam());
  }
  void TearDown() override {
    set_num_threads(0);
    set_cpu_target("");
  }

  int64_t randInt(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  }

  Tensor randomTensor(const Shape &shape) {
    return test::randomTensor(rng, shape);
  }

  /// Builds the graph with fresh inputs at each thread count, and compares
  /// each result with the reference. `build` must record a new graph of the
  /// same structure each call (so the compiled code is shared).
  template <typename Build>
  void expectAllThreadCounts(Build build, double tol = 1e-4) {
    for (int threads : {1, 2, 3}) {
      set_num_threads(threads);
      ASSERT_EQ(get_num_threads(), threads);
      Tensor t = build();
      SCOPED_TRACE(test::seedTrace());
      SCOPED_TRACE("threads " + std::to_string(threads));
      std::vector<double> expected = ref::evaluate(t.node());
      t.realize();
      std::vector<double> actual =
          ref::toDoubles(t.node()->data->data(), t.dtype(), t.numel());
      EXPECT_EQ(ref::compareClose(actual, expected, t.shape(), tol, tol), "")
          << "shape " << ::testing::PrintToString(t.shape());
    }
  }

  void checkMatmul(int64_t m, int64_t k, int64_t n, double tol = 1e-4) {
    SCOPED_TRACE("matmul " + std::to_string(m) + "x" + std::to_string(k) +
                 "x" + std::to_string(n));
    expectAllThreadCounts(
        [&] {
          return randomTensor({m, k}).matmul(randomTensor({k, n}));
        },
        tol);
    // With an epilogue in the tile: linear (bias in the accumulator, a
    // transposed weight) and ReLU.
    expectAllThreadCounts(
        [&] {
          return linear(randomTensor({m, k}), randomTensor({n, k}),
                        randomTensor({n}))
              .relu();
        },
        tol);
    // A transposed in the graph, as a weight gradient's dY^T X has it: the
    // tiles read A's rows through the transpose.
    expectAllThreadCounts(
        [&] {
          return randomTensor({k, m}).t().matmul(randomTensor({k, n}));
        },
        tol);
  }

  std::mt19937_64 rng;
};

// Every row tile: Mr = 8, 4, 2 and 1 (M = 1 and primes) with 32-column
// tiles; 16 rows with tiles of one vector (N <= 16).
TEST_P(KernelVariantsTest, RowTiles) {
  int64_t k = 2 * randInt(1, 20) + 1; // odd
  for (int64_t m : {int64_t(8 * randInt(1, 4)), int64_t(4 * (2 * randInt(0, 3) + 1)),
                    int64_t(2 * (2 * randInt(0, 3) + 1)), int64_t(1), int64_t(13)})
    checkMatmul(m, k, 32);
  checkMatmul(16 * randInt(1, 4), k, 16);
  checkMatmul(48, k, 10);
}

// Every column tile: N within two registers whole (1, primes), two
// registers, one, half a register (AVX2: 4 columns), and none (a prime
// above two registers: the scalar loop).
TEST_P(KernelVariantsTest, ColumnTiles) {
  int64_t k = randInt(1, 40);
  for (int64_t n : {int64_t(1), int64_t(7), int64_t(10), int64_t(31),
                    int64_t(32 * randInt(2, 4)), int64_t(16 * (2 * randInt(1, 3) + 1)),
                    int64_t(8 * (2 * randInt(2, 4) + 1)),
                    int64_t(4 * (2 * randInt(2, 4) + 1)), int64_t(37)})
    checkMatmul(8, k, n);
}

// The dot-product kernel, for few columns that do not fill whole vector
// registers (N = 10: under AVX-512's 16 lanes, or 8 + 2 of AVX2's) and K a
// whole number of vectors (64 or more: 4 vectors of 16): each result
// element sums its own vector of partial sums along K. Row tiles of 8, 4,
// 2 and 1 (M = 1, primes) and column tiles dividing N (10, 5, 7, 13, 9);
// with a plain K x N B (transposed first when N is over one vector) and as
// linear + ReLU with the weight as stored (N x K), which one or two rows
// take at any N.
TEST_P(KernelVariantsTest, DotProductTiles) {
  int64_t k = 64 * randInt(1, 8);
  for (int64_t m : {int64_t(64), int64_t(8 * randInt(1, 4)),
                    int64_t(4 * (2 * randInt(0, 3) + 1)), int64_t(2),
                    int64_t(1), int64_t(13)})
    checkMatmul(m, k, 10);
  for (int64_t n : {int64_t(5), int64_t(7), int64_t(9), int64_t(13),
                    int64_t(3 * randInt(1, 3))})
    checkMatmul(16, k, n);
  // Shapes whose best tile would be square (4 x 4 of 8 or 4 columns with
  // AVX-512 code), which MLIR 22's canonicalizer miscompiles (see
  // chooseDotTile): another tile is taken.
  checkMatmul(60, 96, 8);
  checkMatmul(60, 64, 4);
  // Above the 4 MFLOP threshold: the tiles run on threads.
  checkMatmul(512, 1024, 10);
  // One or two rows of a linear's transposed weight, any width (batch-1
  // inference): the dot product reads the weight as stored. Widths whose
  // tiles' accumulators are a power of two (summed by the shuffle tree)
  // and a prime (one column a tile); 3 rows transpose the weight instead.
  for (int64_t m : {int64_t(1), int64_t(2), int64_t(3)})
    for (int64_t n : {int64_t(32 * randInt(1, 8)), int64_t(48), int64_t(37)})
      checkMatmul(m, k, n);
}

// Few rows (batch 1 or 2 inference) take wide tiles, four or eight
// registers a row, so that enough accumulators cover the FMA latency:
// N = 384 is a whole number of 128- and 64-float tiles; 320 of 64 only
// (AVX2's eight registers, AVX-512's four). A one-row tile is one vector
// FMA a K step. Fewer than 16 rows that 16, 8, 4 and 2 do not divide (3, 7,
// 13) are one tile of all of them.
TEST_P(KernelVariantsTest, WideTilesForFewRows) {
  int64_t k = randInt(1, 300);
  for (int64_t m : {1, 2, 3, 7, 13})
    for (int64_t n : {384, 320})
      checkMatmul(m, k, n);
}

// Inference's linear layers read their weights prepacked once (the weight
// cache: W^T's column panels of two registers' width when that divides N,
// else W^T): N a multiple of both ISAs' widths (64, 192), of AVX2's only
// (48: AVX-512 code reads the transpose), of neither (10, 37); one row to
// row blocks (1024 x 700: A over half a 2 MiB L2) and a prime M with such
// an A (1031, no row blocks), a unit and a random K, with and without a
// bias and a ReLU.
TEST_P(KernelVariantsTest, InferencePrepackedWeights) {
  NoGradGuard noGrad;
  int64_t width = fe::cpuPanelWidth();
  if (GetParam() == "haswell")
    EXPECT_EQ(width, 16); // two 8-float registers
  ASSERT_GT(width, 0);
  auto check = [&](int64_t m, int64_t k, int64_t n) {
    SCOPED_TRACE("linear " + std::to_string(m) + "x" + std::to_string(k) +
                 " by " + std::to_string(n) + "x" + std::to_string(k));
    bool bias = (m + n + k) % 2 == 0, relu = (m + n + k) % 3 == 0;
    Tensor w;
    expectAllThreadCounts([&] {
      w = randomTensor({n, k}).requires_grad_();
      Tensor y =
          linear(randomTensor({m, k}), w, bias ? randomTensor({n}) : Tensor());
      return relu ? y.relu() : y;
    });
    const fe::NodePtr &cached = w.node()->inferenceWeight;
    ASSERT_TRUE(cached);
    Shape expected = n % width == 0 ? Shape{n / width, k, width} : Shape{k, n};
    EXPECT_EQ(cached->shape, expected);
  };
  for (int64_t m : {int64_t(1), int64_t(7), int64_t(64), randInt(2, 130)})
    for (int64_t n : {64, 192, 48, 10, 37})
      for (int64_t k : {int64_t(1), randInt(2, 300)})
        check(m, k, n);
  check(1024, 700, 64);
  check(1031, 700, 64);
  // Batch 1 and 2 by a B of 2^18 elements or more: on threads.
  check(1, 784, 512);
  check(2, 784, 512);
}

// K = 1 and a large prime K.
TEST_P(KernelVariantsTest, ReductionSizes) {
  checkMatmul(8, 1, 48);
  checkMatmul(4, 1009, 16);
}

// Products above the 4 MFLOP threshold, whose tile loops run on threads:
// the Quickstart's shapes (forward, and the gradient products) and sizes
// with odd tiles (M = 2 rows, N = 8 columns, a prime K).
TEST_P(KernelVariantsTest, ParallelProducts) {
  checkMatmul(64, 784, 512);
  checkMatmul(512, 64, 784);
  checkMatmul(6, 2003, 200);
  // Packed, with a last row tile shorter than the others (AVX2 code: 6-row
  // tiles, then 4 rows of 64 or 1 of 67).
  checkMatmul(67, 784, 512);
  // Above the threshold but with no tile (N prime): the scalar loop.
  checkMatmul(64, 512, 131);
  // Under it, but B of 2^18 elements or more: few rows on threads.
  checkMatmul(1, 784, 512);
  checkMatmul(3, 1031, 256);
}

// A packed product whose A is larger than half the L2 (4.2 MB, above that
// of any x86 core today) runs its panels over blocks of rows, each a
// divisor of M (1022 = 2 x 7 x 73: 146 rows with a 2 MiB L2, 73 with 1
// MiB) with a short last row tile; K is prime. AVX2 code's panels (one
// cache line wide), read by every block, are packed once before the
// product (packPanelsOnce; and the linear's transposed weight,
// packTransposedPanelsOnce, where a register block divides K): the
// Quickstart's dX at batch 1024 (A 2 MB), with AVX2 code 49 panels of 16
// columns; with AVX-512 code split on N first (784 columns: 24 panels of
// 32, packed per block, and a rest of 16, packed once). With panels packed
// once, the block is the divisor whose tiles run best (rowBlockForPanels:
// 1024 x 784 with AVX2 code, 64 rows rather than 128).
TEST_P(KernelVariantsTest, RowBlocks) {
  checkMatmul(1022, 1031, 64);
  checkMatmul(1024, 512, 784);
  checkMatmul(1024, 784, 64);
}

// A's rows 4 KiB apart (K = 1024) fall in one set of the L1: the tile is at
// most as tall as the L1's ways (rowsInL1: 6 x 64 tiles with AVX-512 code
// on an 8-way L1, 12 x 32 on a 12-way one), M prime (a short last tile),
// N of 64-column panels and not (208 = 13 x 16).
TEST_P(KernelVariantsTest, RowsInOneL1Set) {
  checkMatmul(61, 1024, 128);
  checkMatmul(37, 1024, 208);
}

// A product whose A is over half the L2 (1.1 MB: 2 MiB is the largest x86
// L2 a core has today) with too few rows for row blocks (31, prime) runs as
// products over parts of K, each accumulating into the one before, the
// last with the epilogue; K is prime, so the last part is shorter. The
// tolerance is float32 rounding over 9001 products (elements of about 30
// carry errors of about 1e-4; a part lost or counted twice moves an
// element by about 10).
TEST_P(KernelVariantsTest, DepthParts) { checkMatmul(31, 9001, 64, 1e-3); }

// A deep convolution's product at inference (its windows read by the
// product alone) whose windows are over half the L2 (4.7 and 4.3 MB: 2 MiB
// is the largest x86 L2 a core has today) runs in blocks of its rows, each
// block's windows copied just before its product: blocks of whole images
// (8x8 images, 576-byte windows: several a block), and of output rows of
// one image when an image is too large (61x61, prime: one row a block).
// With and without a bias, F not a multiple of the vector width.
TEST_P(KernelVariantsTest, WindowBlocks) {
  for (Shape s : {Shape{128, 16, 8, 8}, Shape{2, 16, 61, 61}}) {
    SCOPED_TRACE("conv2d of " + ::testing::PrintToString(s));
    int64_t f = 24 + randInt(0, 1);
    expectAllThreadCounts(
        [&] {
          return conv2d(randomTensor(s), randomTensor({f, 16, 3, 3}), Tensor(),
                        1, 1);
        },
        1e-4);
    expectAllThreadCounts(
        [&] {
          return conv2d(randomTensor(s), randomTensor({f, 16, 3, 3}),
                        randomTensor({f}), 1, 1)
              .relu();
        },
        1e-4);
  }
}

// Ops that read through tensor.extract (pooling, with its producer computed
// at each read point) run a row of output columns at a time, the reads
// gathers; a read whose columns step by 1 to 4 elements is one contiguous
// read and a shuffle; reads contiguous along another loop (a pooling of a
// channels-last product: its channels) take that loop as the row. Max and
// average pooling of a rectified biased convolution (shallow: its product
// is [F, N * OH * OW]; deep: channels-last, 17 channels) and of a plain
// input, windows stepping by 1, 2, 3 (strided reads), 5 (a gather), with
// and without padding, odd widths.
TEST_P(KernelVariantsTest, ExtractRows) {
  int64_t h = randInt(9, 13), w = 2 * randInt(4, 8) + 1;
  for (int64_t stride : {1, 2, 3, 5}) {
    SCOPED_TRACE("stride " + std::to_string(stride));
    expectAllThreadCounts(
        [&] {
          Tensor y = conv2d(randomTensor({3, 2, h, w}),
                            randomTensor({4, 2, 3, 3}), randomTensor({4}), 1, 1)
                         .relu();
          return max_pool2d(y, 3, stride, 1) +
                 avg_pool2d(y, 3, stride, 1) * 0.5;
        },
        1e-5);
    expectAllThreadCounts(
        [&] {
          return max_pool2d(randomTensor({2, 3, h, w}), 2, stride);
        },
        0);
    // A deep convolution's product is channels-last ([N * OH * OW, F]):
    // the pooling reads it contiguously along its channels, and runs a
    // row of channels at a time.
    expectAllThreadCounts(
        [&] {
          Tensor y =
              conv2d(randomTensor({3, 8, h, w}), randomTensor({17, 8, 3, 3}),
                     randomTensor({17}), 1, 1)
                  .relu();
          return max_pool2d(y, 2, stride);
        },
        1e-5);
  }
}

// A convolution's product read only by its pooling, and over half the L2
// (1.5-2.3 MB: 2 MiB is the largest x86 L2 a core has today), runs with
// its pooling in blocks of images (ember-cpu-fuse-gather-blocks): each
// block computes its images' windows and product, then their pooling
// gathering from the block's product. A shallow convolution (one input
// channel: the product [F, N * OH * OW], images along its columns; 23
// images, a prime: blocks of one) with 2x2 windows, and a deep one
// (channels-last, images along its rows; 24 images: blocks of several)
// with overlapping, padded 3x3 windows and an odd number of filters.
TEST_P(KernelVariantsTest, GatherBlocks) {
  expectAllThreadCounts(
      [&] {
        Tensor y = conv2d(randomTensor({23, 1, 28, 28}),
                          randomTensor({32, 1, 3, 3}), randomTensor({32}), 1, 1)
                       .relu();
        return max_pool2d(y, 2);
      },
      1e-5);
  int64_t f = 63 + 2 * randInt(0, 1);
  expectAllThreadCounts(
      [&] {
        Tensor y = conv2d(randomTensor({24, 16, 16, 16}),
                          randomTensor({f, 16, 3, 3}), randomTensor({f}), 1, 1)
                       .relu();
        return max_pool2d(y, 3, 2, 1);
      },
      1e-4);
}

// Large products whose N is a whole number of vectors but not of two are
// split into two-vector columns and the rest, each with its share of the
// epilogue (linear + ReLU): N = 784 (16 lanes: 768 + 16) for AVX-512 code,
// N = 520 (8 lanes: 512 + 8) for AVX2 code; M odd, so the row tiles of a
// packed panel end short.
TEST_P(KernelVariantsTest, SplitColumnProducts) {
  int64_t k = 128 + 2 * randInt(0, 32) + 1; // odd
  checkMatmul(67, k, 784);
  checkMatmul(67, k, 520);
}

// Transposes: 16x16 blocks (parallel from 65536 elements, and serial),
// 8x8 blocks, and none.
TEST_P(KernelVariantsTest, Transposes) {
  for (Shape s : {Shape{512, 784}, Shape{48, 64}, Shape{24, 40}, Shape{64, 10},
                  Shape{1, 16}, Shape{17, 13}}) {
    SCOPED_TRACE("transpose " + ::testing::PrintToString(s));
    expectAllThreadCounts([&] { return randomTensor(s).t() * 2.0; }, 0);
  }
}

// Elementwise ops from 65536 elements run in blocks of rows on threads:
// rows with many divisors, a prime number of rows (blocks of one row), and
// just below the threshold.
TEST_P(KernelVariantsTest, ElementwiseBlocks) {
  for (Shape s : {Shape{512, 130}, Shape{521, 127}, Shape{4, 16411}, Shape{255, 257}}) {
    SCOPED_TRACE("elementwise " + ::testing::PrintToString(s));
    expectAllThreadCounts(
        [&] {
          return (randomTensor(s) * 0.5 - randomTensor(s)).relu() +
                 randomTensor({s[1]});
        },
        1e-6);
  }
}

// Reductions of 65536 elements or more over trailing dims and some before
// them run in two stages (partial results per kept index and trailing
// position, shared by threads; then over the trailing dim): a batch
// norm's sum over N, H and W with prime sizes, keepdim, a maximum, one
// trailing dim, and a minimum with a kept dim of one (threads then share
// nothing). Below the threshold, and with no leading reduced dim, the
// reductions stay whole.
TEST_P(KernelVariantsTest, TrailingReductions) {
  int64_t c = randInt(2, 9);
  Shape big = {67, c, 13, 17 + 2 * randInt(0, 5)};
  // Up to 23517 terms in [-1, 1] per result: the partial sums reach ~100,
  // where each float32 addition rounds by up to ~4e-6, and the results
  // are near 0; 1e-4 is within that rounding (2.1e-4 was seen).
  double summed = 1e-3;
  expectAllThreadCounts(
      [&] {
        return randomTensor(big).sum({0, 2, 3});
      },
      summed);
  expectAllThreadCounts(
      [&] {
        return randomTensor(big).sum({0, 2, 3}, /*keepdim=*/true);
      },
      summed);
  expectAllThreadCounts([&] { return randomTensor(big).amax({0, 3}); }, 0);
  expectAllThreadCounts(
      [&] {
        return randomTensor({257, 1, 263}).amin({0, 2});
      },
      0);
  expectAllThreadCounts([&] {
    return randomTensor({7, c, 5, 3}).sum({0, 2, 3});
  });
  expectAllThreadCounts([&] { return randomTensor({1031, 67}).sum({0}); });
}

TEST_P(KernelVariantsTest, ThreadCountSetting) {
  set_num_threads(5);
  EXPECT_EQ(get_num_threads(), 5);
  set_num_threads(0);
  EXPECT_GE(get_num_threads(), 1);
}

INSTANTIATE_TEST_SUITE_P(Cpus, KernelVariantsTest,
                         ::testing::Values(std::string(), "haswell"),
                         [](const ::testing::TestParamInfo<std::string> &p) {
                           return p.param.empty() ? std::string("Host")
                                                  : p.param;
                         });

TEST(CpuTargetTest, UnknownCpuIsAnErrorNamingIt) {
  set_cpu_target("no-such-cpu");
  EXPECT_EQ(cpu_target(), "no-such-cpu");
  Tensor t = ones({3}) * 2.0;
  try {
    t.realize();
    ADD_FAILURE() << "compiled for an unknown CPU";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("unknown CPU 'no-such-cpu'"),
              std::string::npos)
        << e.what();
  }
  set_cpu_target("");
  EXPECT_EQ(t.to_vector(), (std::vector<float>{2, 2, 2}));
}

} // namespace
