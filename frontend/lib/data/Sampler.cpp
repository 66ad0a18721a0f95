//===- Sampler.cpp - The order of an epoch's samples ----------------------===//
//
// Part of Ember.
//
//===----------------------------------------------------------------------===//

#include "ember/data/Sampler.h"

#include "ember/distributed/Distributed.h"
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

DistributedSampler::DistributedSampler(int64_t n,
                                       DistributedSamplerOptions options)
    : n_(n), options_(options) {
  replicas_ = options.num_replicas >= 0 ? options.num_replicas
                                        : distributed::world_size();
  rank_ = options.rank >= 0 ? options.rank : distributed::rank();
  if (n < 0)
    throw Error(fmt::format("DistributedSampler: the dataset size is {}", n));
  if (replicas_ < 1 || rank_ < 0 || rank_ >= replicas_)
    throw Error(fmt::format("DistributedSampler: rank {} of {} replicas is "
                            "not a rank of the job (0 <= rank < "
                            "num_replicas)",
                            rank_, replicas_));
  // PyTorch's sizes: without drop_last ceil(n / R), with it floor(n / R).
  numSamples_ =
      options.drop_last ? n / replicas_ : (n + replicas_ - 1) / replicas_;
}

std::vector<int64_t> DistributedSampler::epoch() {
  std::vector<int64_t> order(static_cast<size_t>(n_));
  std::iota(order.begin(), order.end(), int64_t{0});
  if (options_.shuffle) {
    std::mt19937_64 generator(options_.seed + static_cast<uint64_t>(epoch_));
    shuffleInPlace(order, generator);
  }
  int64_t total = numSamples_ * replicas_;
  if (total > n_ && n_ > 0) // pad with the first indices, as PyTorch does
    for (int64_t i = n_; i < total; ++i)
      order.push_back(order[static_cast<size_t>((i - n_) % n_)]);
  order.resize(static_cast<size_t>(n_ == 0 ? 0 : total));
  std::vector<int64_t> mine;
  mine.reserve(static_cast<size_t>(numSamples_));
  for (int64_t i = rank_; i < static_cast<int64_t>(order.size());
       i += replicas_)
    mine.push_back(order[static_cast<size_t>(i)]);
  return mine;
}

} // namespace ember::data
