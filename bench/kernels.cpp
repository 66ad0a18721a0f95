//===- kernels.cpp - Ember's generated kernels against OpenBLAS -----------===//
//
// Part of Ember's benchmarks (Google Benchmark). Each Ember kernel is a
// one-op graph compiled through the same compiler facade the frontend uses
// and run through the runtime, on the Quickstart's shapes, next to what an
// eager framework runs for it on OpenBLAS (cblas_sgemm, with bias and ReLU
// as separate passes, which is what LibTorch does). Every benchmark runs at
// 1 and 2 threads and reports GFLOP/s (counter "GFLOPS", 2*M*N*K per call).
//
//   build/bin/bench_kernels                     # all
//   build/bin/bench_kernels --benchmark_filter=LinearRelu
//
// bench/run-kernels.sh runs it and prints Ember / OpenBLAS ratios.
//
//===----------------------------------------------------------------------===//

#include "ember/Compiler/Compiler.h"
#include "ember/runtime/Executable.h"
#include "ember/runtime/HostAllocator.h"
#include "ember/runtime/Threads.h"

#include <benchmark/benchmark.h>
#include <cblas.h>
#include <dlfcn.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace {

/// OpenBLAS's thread setter, when libblas.so.3 is OpenBLAS.
void setBlasThreads(int n) {
  using Fn = void (*)(int);
  static Fn fn = reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (fn)
    fn(n);
}

std::vector<float> randomVector(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1, 1);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(rng);
  return v;
}

std::string tensorType(std::vector<int64_t> shape) {
  std::string s = "tensor<";
  for (int64_t d : shape)
    s += std::to_string(d) + "x";
  return s + "f32>";
}

/// A compiled one-function graph, cached by its text. EMBER_CPU names the
/// CPU to generate code for (e.g. haswell for AVX2 code on an AVX-512
/// machine), as it does for the frontend; the host when unset.
const ember::rt::Executable &compileGraph(const std::string &text) {
  static std::map<std::string, std::unique_ptr<ember::rt::Executable>> cache;
  auto &slot = cache[text];
  if (!slot) {
    ember::compiler::Options options;
    if (const char *cpu = std::getenv("EMBER_CPU"))
      options.cpu = cpu;
    ember::compiler::Result r = ember::compiler::compile(text, options);
    if (!r.ok) {
      std::fprintf(stderr, "bench_kernels: compiling failed:\n%s\n%s\n",
                   r.errorMessage().c_str(), text.c_str());
      std::exit(1);
    }
    auto bytes = std::span<const uint8_t>(
        reinterpret_cast<const uint8_t *>(r.output.data()), r.output.size());
    auto exe = ember::rt::Executable::load(bytes, r.entrySymbol);
    if (!exe) {
      std::fprintf(stderr, "bench_kernels: %s\n", exe.status().message().c_str());
      std::exit(1);
    }
    slot = std::move(*exe);
  }
  return *slot;
}

struct Shape3 {
  int64_t m, k, n;
};

Shape3 shapeOf(const benchmark::State &state) {
  return {state.range(0), state.range(1), state.range(2)};
}

void setCounters(benchmark::State &state, Shape3 s) {
  state.counters["GFLOPS"] = benchmark::Counter(
      2.0 * s.m * s.n * s.k * state.iterations(), benchmark::Counter::kIsRate,
      benchmark::Counter::kIs1000);
  state.counters["threads"] = double(state.range(3));
}

/// Runs `graph` (inputs then one output of m x n) in the benchmark loop.
void runEmber(benchmark::State &state, const std::string &graph,
              std::vector<std::vector<float>> &inputs, size_t outputSize) {
  const ember::rt::Executable &exe = compileGraph(graph);
  ember::rt::setNumThreads(int(state.range(3)));
  std::vector<float> out(outputSize);
  std::vector<void *> args;
  for (auto &in : inputs)
    args.push_back(in.data());
  args.push_back(out.data());
  for (auto _ : state) {
    exe.run(args.data());
    benchmark::DoNotOptimize(out.data());
  }
  ember::rt::setNumThreads(0);
}

/// Ember: linear + bias + ReLU as the training graph has it (x [M,K],
/// W [N,K] as PyTorch stores it, transposed inside the graph each call).
void EmberLinearRelu(benchmark::State &state) {
  Shape3 s = shapeOf(state);
  std::string x = tensorType({s.m, s.k}), w = tensorType({s.n, s.k}),
              b = tensorType({s.n}), y = tensorType({s.m, s.n});
  std::string graph = "func.func @f(%x: " + x + ", %w: " + w + ", %b: " + b +
                      ") -> " + y + " {\n  %0 = ember.linear_relu %x, %w, %b : (" +
                      x + ", " + w + ", " + b + ") -> " + y + "\n  return %0 : " +
                      y + "\n}\n";
  std::vector<std::vector<float>> in = {randomVector(s.m * s.k, 1),
                                        randomVector(s.n * s.k, 2),
                                        randomVector(s.n, 3)};
  runEmber(state, graph, in, s.m * s.n);
  setCounters(state, s);
}

/// Ember: matmul + bias + ReLU on a weight already laid out K x N (what an
/// inference graph with constant weights, or a pre-transposed parameter,
/// runs): the kernel alone.
void EmberMatmulBiasRelu(benchmark::State &state) {
  Shape3 s = shapeOf(state);
  std::string x = tensorType({s.m, s.k}), w = tensorType({s.k, s.n}),
              b = tensorType({s.n}), y = tensorType({s.m, s.n});
  std::string graph =
      "func.func @f(%x: " + x + ", %w: " + w + ", %b: " + b + ") -> " + y +
      " {\n  %0 = ember.matmul %x, %w : (" + x + ", " + w + ") -> " + y +
      "\n  %1 = ember.broadcast_to %b : " + b + " -> " + y +
      "\n  %2 = ember.add %0, %1 : " + y + "\n  %3 = ember.relu %2 : " + y +
      "\n  return %3 : " + y + "\n}\n";
  std::vector<std::vector<float>> in = {randomVector(s.m * s.k, 1),
                                        randomVector(s.k * s.n, 2),
                                        randomVector(s.n, 3)};
  runEmber(state, graph, in, s.m * s.n);
  setCounters(state, s);
}

/// Ember: the bare product, both operands as given.
void EmberMatmul(benchmark::State &state) {
  Shape3 s = shapeOf(state);
  std::string a = tensorType({s.m, s.k}), b = tensorType({s.k, s.n}),
              y = tensorType({s.m, s.n});
  std::string graph = "func.func @f(%a: " + a + ", %b: " + b + ") -> " + y +
                      " {\n  %0 = ember.matmul %a, %b : (" + a + ", " + b +
                      ") -> " + y + "\n  return %0 : " + y + "\n}\n";
  std::vector<std::vector<float>> in = {randomVector(s.m * s.k, 1),
                                        randomVector(s.k * s.n, 2)};
  runEmber(state, graph, in, s.m * s.n);
  setCounters(state, s);
}

/// Ember: a weight gradient as a training step has it, dW = g^T x with g
/// [K, M] (batch x outputs) transposed in the graph: the tiles read g's
/// rows through the transpose.
void EmberMatmulTransA(benchmark::State &state) {
  Shape3 s = shapeOf(state);
  std::string g = tensorType({s.k, s.m}), gt = tensorType({s.m, s.k}),
              x = tensorType({s.k, s.n}), y = tensorType({s.m, s.n});
  std::string graph = "func.func @f(%g: " + g + ", %x: " + x + ") -> " + y +
                      " {\n  %0 = ember.transpose %g [1, 0] : " + g + " -> " +
                      gt + "\n  %1 = ember.matmul %0, %x : (" + gt + ", " + x +
                      ") -> " + y + "\n  return %1 : " + y + "\n}\n";
  std::vector<std::vector<float>> in = {randomVector(s.k * s.m, 1),
                                        randomVector(s.k * s.n, 2)};
  runEmber(state, graph, in, s.m * s.n);
  setCounters(state, s);
}

/// OpenBLAS: the same weight gradient, g^T x (A transposed).
void BlasSgemmTransA(benchmark::State &state) {
  Shape3 s = shapeOf(state);
  setBlasThreads(int(state.range(3)));
  auto g = randomVector(s.k * s.m, 1), x = randomVector(s.k * s.n, 2);
  std::vector<float> y(s.m * s.n);
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, int(s.m), int(s.n),
                int(s.k), 1.0f, g.data(), int(s.m), x.data(), int(s.n), 0.0f,
                y.data(), int(s.n));
    benchmark::DoNotOptimize(y.data());
  }
  setCounters(state, s);
}

/// OpenBLAS: the bare product, x * W^T with W [N,K] (torch's linear).
void BlasSgemm(benchmark::State &state) {
  Shape3 s = shapeOf(state);
  setBlasThreads(int(state.range(3)));
  auto x = randomVector(s.m * s.k, 1), w = randomVector(s.n * s.k, 2);
  std::vector<float> y(s.m * s.n);
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(s.m), int(s.n),
                int(s.k), 1.0f, x.data(), int(s.k), w.data(), int(s.k), 0.0f,
                y.data(), int(s.n));
    benchmark::DoNotOptimize(y.data());
  }
  setCounters(state, s);
}

/// OpenBLAS with bias and ReLU as an eager framework runs them: sgemm,
/// then a pass for the bias and one for the ReLU.
void BlasSgemmBiasRelu(benchmark::State &state) {
  Shape3 s = shapeOf(state);
  setBlasThreads(int(state.range(3)));
  auto x = randomVector(s.m * s.k, 1), w = randomVector(s.n * s.k, 2),
       b = randomVector(s.n, 3);
  std::vector<float> y(s.m * s.n), z(s.m * s.n);
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(s.m), int(s.n),
                int(s.k), 1.0f, x.data(), int(s.k), w.data(), int(s.k), 0.0f,
                y.data(), int(s.n));
    for (int64_t i = 0; i < s.m; ++i)
      for (int64_t j = 0; j < s.n; ++j)
        y[i * s.n + j] += b[j];
    for (int64_t i = 0; i < s.m * s.n; ++i)
      z[i] = std::max(y[i], 0.0f);
    benchmark::DoNotOptimize(z.data());
  }
  setCounters(state, s);
}

/// The shapes: the Quickstart's layers (784 -> 512 -> 512 -> 10) at batch
/// 64 and 1024: forward (x [B,K] times the weight), and the gradient
/// products of each layer, dX = g W (M = B, K = the layer's outputs, N = its
/// inputs) and dW = g^T x (M = the outputs, K = B, N = the inputs); and a
/// large square product (the floor's rate).
void quickstartShapes(benchmark::internal::Benchmark *b) {
  for (int threads : {1, 2})
    for (int batch : {64, 1024}) {
      b->Args({batch, 784, 512, threads});
      b->Args({batch, 512, 512, threads});
      b->Args({batch, 512, 10, threads});
    }
  b->ArgNames({"M", "K", "N", "threads"});
  b->UseRealTime();
}

void gradientShapes(benchmark::internal::Benchmark *b) {
  for (int threads : {1, 2}) {
    for (int batch : {64, 1024})
      for (auto [in, out] : {std::pair{784, 512}, {512, 512}, {512, 10}}) {
        b->Args({batch, out, in, threads}); // dX = g W
        b->Args({out, batch, in, threads}); // dW = g^T x
      }
    b->Args({1024, 1024, 1024, threads});
  }
  b->ArgNames({"M", "K", "N", "threads"});
  b->UseRealTime();
}

/// The weight gradients dW = g^T x (M = the layer's outputs, K = the batch,
/// N = its inputs), g transposed in the graph.
void weightGradientShapes(benchmark::internal::Benchmark *b) {
  for (int threads : {1, 2})
    for (int batch : {64, 1024})
      for (auto [in, out] : {std::pair{784, 512}, {512, 512}, {512, 10}})
        b->Args({out, batch, in, threads});
  b->ArgNames({"M", "K", "N", "threads"});
  b->UseRealTime();
}

/// Few rows: batch-1 inference and a prime batch (one-row register tiles,
/// wide: four or eight vectors a row), on the Quickstart's first layer.
void fewRowShapes(benchmark::internal::Benchmark *b) {
  for (int threads : {1, 2})
    for (int batch : {1, 13})
      b->Args({batch, 784, 512, threads});
  b->ArgNames({"M", "K", "N", "threads"});
  b->UseRealTime();
}

BENCHMARK(EmberLinearRelu)->Apply(quickstartShapes);
BENCHMARK(EmberMatmulBiasRelu)->Apply(quickstartShapes);
BENCHMARK(BlasSgemmBiasRelu)->Apply(quickstartShapes);
BENCHMARK(BlasSgemm)->Apply(quickstartShapes);
BENCHMARK(EmberMatmul)->Apply(gradientShapes);
BENCHMARK(BlasSgemm)->Apply(gradientShapes);
BENCHMARK(EmberMatmulTransA)->Apply(weightGradientShapes);
BENCHMARK(BlasSgemmTransA)->Apply(weightGradientShapes);
BENCHMARK(EmberLinearRelu)->Apply(fewRowShapes);
BENCHMARK(EmberMatmulBiasRelu)->Apply(fewRowShapes);
BENCHMARK(EmberMatmul)->Apply(fewRowShapes);
BENCHMARK(BlasSgemm)->Apply(fewRowShapes);

} // namespace

BENCHMARK_MAIN();
