//===- peak_fma.cpp - The machine's fp32 FMA peak, measured ---------------===//
//
// Part of Ember's benchmarks. The limit every fp32 kernel on this machine
// is held to: independent chains of fused multiply-adds with no memory
// traffic, on 1 to N threads, for each vector ISA the CPU has (AVX2+FMA with
// 256-bit vectors, AVX-512F with 512-bit ones). Prints one line per ISA and
// thread count:
//   peak isa=<avx2|avx512> threads=<T> gflops=<G>
// after the CPU model. bench/run-all.sh compares the training step with it.
//
//   build/bin/peak_fma [MAX_THREADS]      # default: the CPUs this process may use
//
//===----------------------------------------------------------------------===//

#include <immintrin.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

/// Independent accumulators: enough to cover an FMA's latency (4-5 cycles)
/// on two FMA pipes, fewer than the 16 (AVX2) or 32 (AVX-512) registers.
constexpr int kChains = 12;
constexpr long kIterations = 20'000'000;

/// Runs kIterations steps of kChains 8-lane FMAs; returns a value that
/// depends on every chain, so none is optimised away.
__attribute__((target("avx2,fma"))) float fmaLoopAvx2(float seed) {
  __m256 acc[kChains];
  for (int c = 0; c < kChains; ++c)
    acc[c] = _mm256_set1_ps(seed + static_cast<float>(c));
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (long i = 0; i < kIterations; ++i)
    for (int c = 0; c < kChains; ++c)
      acc[c] = _mm256_fmadd_ps(acc[c], a, b);
  __m256 sum = acc[0];
  for (int c = 1; c < kChains; ++c)
    sum = _mm256_add_ps(sum, acc[c]);
  return _mm256_cvtss_f32(sum);
}

/// The same with 16 lanes.
__attribute__((target("avx512f"))) float fmaLoopAvx512(float seed) {
  __m512 acc[kChains];
  for (int c = 0; c < kChains; ++c)
    acc[c] = _mm512_set1_ps(seed + static_cast<float>(c));
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (long i = 0; i < kIterations; ++i)
    for (int c = 0; c < kChains; ++c)
      acc[c] = _mm512_fmadd_ps(acc[c], a, b);
  // Every chain feeds the result, or the compiler drops the unused ones.
  __m512 sum = acc[0];
  for (int c = 1; c < kChains; ++c)
    sum = _mm512_add_ps(sum, acc[c]);
  return _mm512_reduce_add_ps(sum);
}

std::string cpuModel() {
  std::ifstream info("/proc/cpuinfo");
  for (std::string line; std::getline(info, line);)
    if (line.rfind("model name", 0) == 0)
      return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

/// GFLOP/s of `loop` on `threads` threads at once (2 FLOPs per lane).
template <typename Loop>
double measure(Loop loop, int lanes, int threads) {
  std::vector<std::thread> pool;
  std::vector<float> sinks(threads);
  auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] { sinks[t] = loop(static_cast<float>(t)); });
  for (std::thread &t : pool)
    t.join();
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  float sink = 0;
  for (float s : sinks)
    sink += s;
  if (sink == 42.0f) // never; keeps the results alive
    std::puts("");
  return 2.0 * lanes * kChains * static_cast<double>(kIterations) * threads /
         seconds / 1e9;
}

} // namespace

int main(int argc, char **argv) {
  cpu_set_t set;
  int cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set)
                                                         : 1;
  int maxThreads = argc > 1 ? std::max(1, std::atoi(argv[1])) : cpus;
  std::printf("peak: %s, %d CPUs for this process\n", cpuModel().c_str(), cpus);
  __builtin_cpu_init();
  struct Isa {
    const char *name;
    bool present;
    float (*loop)(float);
    int lanes;
  } isas[] = {
      {"avx2", __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"),
       fmaLoopAvx2, 8},
      {"avx512", __builtin_cpu_supports("avx512f") != 0, fmaLoopAvx512, 16},
  };
  for (const Isa &isa : isas) {
    if (!isa.present) {
      std::printf("peak isa=%s: not on this CPU\n", isa.name);
      continue;
    }
    for (int t = 1; t <= maxThreads; ++t) {
      // The best of three: a busy machine only lowers a run.
      double best = 0;
      for (int r = 0; r < 3; ++r)
        best = std::max(best, measure(isa.loop, isa.lanes, t));
      std::printf("peak isa=%s threads=%d gflops=%.1f\n", isa.name, t, best);
    }
  }
  return 0;
}
