//===- Sampler.h - The order of an epoch's samples --------------*- C++ -*-===//
//
// Part of Ember. torch.utils.data's samplers: each epoch() gives the
// indices a DataLoader visits, in order. A loader given a sampler
// (DataLoaderOptions::sampler) asks it at the start of every epoch.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_DATA_SAMPLER_H
#define EMBER_DATA_SAMPLER_H

#include <cstdint>
#include <random>
#include <vector>

namespace ember::data {

class Sampler {
public:
  virtual ~Sampler() = default;
  /// The indices of the next epoch, in the order to visit them.
  virtual std::vector<int64_t> epoch() = 0;
  /// The number of indices an epoch has (PyTorch's len(sampler)).
  virtual int64_t size() const = 0;
};

/// 0, 1, ..., n-1.
class SequentialSampler : public Sampler {
public:
  explicit SequentialSampler(int64_t n);
  std::vector<int64_t> epoch() override;
  int64_t size() const override { return n_; }

private:
  int64_t n_;
};

struct RandomSamplerOptions {
  /// Draw each index independently (an index may come twice).
  bool replacement = false;
  /// Indices per epoch; -1 for n. Without replacement, more than n takes
  /// further permutations.
  int64_t num_samples = -1;
  /// The sampler's own generator's seed: the same seed gives the same
  /// sequence of epochs.
  uint64_t seed = 0;
};

/// A random order of 0 ... n-1, a new one each epoch.
class RandomSampler : public Sampler {
public:
  explicit RandomSampler(int64_t n, RandomSamplerOptions options = {});
  std::vector<int64_t> epoch() override;
  int64_t size() const override;

private:
  int64_t n_;
  RandomSamplerOptions options_;
  std::mt19937_64 generator_;
};

/// The given indices in a random order, a new one each epoch (a validation
/// split: two SubsetRandomSamplers over disjoint index lists).
class SubsetRandomSampler : public Sampler {
public:
  explicit SubsetRandomSampler(std::vector<int64_t> indices, uint64_t seed = 0);
  std::vector<int64_t> epoch() override;
  int64_t size() const override {
    return static_cast<int64_t>(indices_.size());
  }

private:
  std::vector<int64_t> indices_;
  std::mt19937_64 generator_;
};

struct DistributedSamplerOptions {
  /// The number of ranks sharing the data, and this one's: -1 takes them
  /// from ember::distributed (world_size(), rank()).
  int64_t num_replicas = -1;
  int64_t rank = -1;
  /// A new permutation each epoch (of seed + epoch: set_epoch), the same on
  /// every rank.
  bool shuffle = true;
  uint64_t seed = 0;
  /// Drop the tail that does not divide between the ranks, rather than
  /// repeat the first samples to fill it.
  bool drop_last = false;
};

/// Each rank's share of a dataset, as torch.utils.data.DistributedSampler:
/// one order of the n indices for all ranks (shuffled by seed + epoch),
/// padded with its first indices to a multiple of the ranks (or cut, with
/// drop_last), rank r taking positions r, r + R, r + 2R, ... So the shares
/// are disjoint (but for the padding) and equal: every rank has the same
/// number of batches. Call set_epoch() before each epoch, or every epoch
/// has the same order.
class DistributedSampler : public Sampler {
public:
  explicit DistributedSampler(int64_t n,
                              DistributedSamplerOptions options = {});
  std::vector<int64_t> epoch() override;
  /// Indices per rank per epoch.
  int64_t size() const override { return numSamples_; }
  void set_epoch(int64_t epoch) { epoch_ = epoch; }
  int64_t num_replicas() const { return replicas_; }
  int64_t rank() const { return rank_; }

private:
  int64_t n_, replicas_, rank_, numSamples_, epoch_ = 0;
  DistributedSamplerOptions options_;
};

/// A uniform draw from [0, n), by rejection, so that the sequence depends
/// only on the generator's seed (the standard distributions differ between
/// library implementations).
uint64_t uniformBelow(std::mt19937_64 &generator, uint64_t n);
/// Fisher-Yates, with uniformBelow.
void shuffleInPlace(std::vector<int64_t> &values, std::mt19937_64 &generator);

} // namespace ember::data

#endif // EMBER_DATA_SAMPLER_H
