//===- Sampler.cpp - The order of an epoch's samples ----------------------===//
//
// Part of Ember.
//
//===----------------------------------------------------------------------===//

#include "ember/data/Sampler.h"

#include "ember/frontend/Error.h"

#include <fmt/format.h>

#include <limits>
#include <numeric>

namespace ember::data {

uint64_t uniformBelow(std::mt19937_64 &generator, uint64_t n) {
  uint64_t max = std::numeric_limits<uint64_t>::max();
  uint64_t limit = max - max % n;
  uint64_t draw;
  do {
    draw = generator();
  } while (draw >= limit);
  return draw % n;
}

void shuffleInPlace(std::vector<int64_t> &values, std::mt19937_64 &generator) {
  for (size_t i = values.size(); i > 1; --i)
    std::swap(values[i - 1], values[uniformBelow(generator, i)]);
}

namespace {
std::vector<int64_t> range(int64_t n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), int64_t{0});
  return v;
}
} // namespace

SequentialSampler::SequentialSampler(int64_t n) : n_(n) {
  if (n < 0)
    throw Error(fmt::format("SequentialSampler: n must be >= 0, not {}", n));
}

std::vector<int64_t> SequentialSampler::epoch() { return range(n_); }

RandomSampler::RandomSampler(int64_t n, RandomSamplerOptions options)
    : n_(n), options_(options), generator_(options.seed) {
  if (n < 1)
    throw Error(fmt::format("RandomSampler: n must be >= 1, not {}", n));
  if (options.num_samples == 0 || options.num_samples < -1)
    throw Error(fmt::format("RandomSampler: num_samples must be positive (or "
                            "-1 for n), not {}",
                            options.num_samples));
}

int64_t RandomSampler::size() const {
  return options_.num_samples == -1 ? n_ : options_.num_samples;
}

std::vector<int64_t> RandomSampler::epoch() {
  int64_t count = size();
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(count));
  if (options_.replacement) {
    for (int64_t i = 0; i < count; ++i)
      out.push_back(static_cast<int64_t>(
          uniformBelow(generator_, static_cast<uint64_t>(n_))));
    return out;
  }
  while (static_cast<int64_t>(out.size()) < count) {
    std::vector<int64_t> permutation = range(n_);
    shuffleInPlace(permutation, generator_);
    size_t take = static_cast<size_t>(
        std::min<int64_t>(n_, count - static_cast<int64_t>(out.size())));
    out.insert(out.end(), permutation.begin(), permutation.begin() + take);
  }
  return out;
}

SubsetRandomSampler::SubsetRandomSampler(std::vector<int64_t> indices,
                                         uint64_t seed)
    : indices_(std::move(indices)), generator_(seed) {}

std::vector<int64_t> SubsetRandomSampler::epoch() {
  std::vector<int64_t> out = indices_;
  shuffleInPlace(out, generator_);
  return out;
}

} // namespace ember::data
