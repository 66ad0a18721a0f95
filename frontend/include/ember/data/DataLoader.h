//===- DataLoader.h - Batches of a dataset ----------------------*- C++ -*-===//
//
// Part of Ember. torch.utils.data.DataLoader for map-style datasets: an
// iterable of batches, optionally shuffled anew each epoch (or in the order
// a sampler gives), optionally prepared on worker threads ahead of use.
//
//   data::DataLoader train_loader(training_data, {.batch_size = 64,
//                                                 .shuffle = true});
//   for (auto [X, y] : train_loader) ...
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_DATA_DATALOADER_H
#define EMBER_DATA_DATALOADER_H

#include "ember/data/Dataset.h"
#include "ember/data/Sampler.h"

#include <concepts>
#include <cstddef>
#include <iterator>
#include <memory>
#include <optional>
#include <random>
#include <source_location>
#include <vector>

namespace ember::data {

/// Options of DataLoader, named as PyTorch's arguments.
struct DataLoaderOptions {
  /// Samples per batch.
  int64_t batch_size = 1;
  /// Visit the samples in a new random order each epoch.
  bool shuffle = false;
  /// Leave out the last batch when it would be smaller than batch_size.
  bool drop_last = false;
  /// Seed of the loader's own generator: the same seed gives the same
  /// sequence of epoch orders, and the same draws of random transforms.
  uint64_t seed = 0;
  /// The order of each epoch's samples (PyTorch's sampler=); exclusive
  /// with shuffle. Shared: the loader asks it for each epoch's indices.
  std::shared_ptr<Sampler> sampler;
  /// Threads that prepare the next batches (fetching and transforming the
  /// samples) while the caller computes; 0 prepares each batch on the
  /// caller's thread when it is reached. The batches are the same either
  /// way: random transforms draw from a generator seeded per batch. The
  /// dataset's get()/get_batch() and its transforms then run on those
  /// threads, several at once.
  int64_t num_workers = 0;
  /// Batches prepared ahead per worker (PyTorch's prefetch_factor).
  int64_t prefetch_factor = 2;
};

class Prefetcher;

/// Batches of a map-style dataset. Each range-for over the loader is one
/// epoch; with shuffle, each epoch (each begin()) draws a new permutation.
class DataLoader {
public:
  using Options = DataLoaderOptions;
  using Loc = std::source_location;

  /// Batches a copy of `dataset` (FashionMNIST copies share their data).
  template <typename D>
    requires std::derived_from<D, Dataset>
  DataLoader(D dataset, Options options = {}, Loc loc = Loc::current())
      : DataLoader(std::shared_ptr<const Dataset>(
                       std::make_shared<D>(std::move(dataset))),
                   options, loc) {}
  /// Batches a shared dataset.
  DataLoader(std::shared_ptr<const Dataset> dataset, Options options = {},
             Loc loc = Loc::current());

  /// An input iterator over the batches of one epoch.
  class Iterator {
  public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;
    using pointer = const Batch *;
    using reference = const Batch &;

    Iterator() = default;
    /// The current batch, built on first access.
    const Batch &operator*() const;
    const Batch *operator->() const { return &**this; }
    Iterator &operator++();
    void operator++(int) { ++*this; }
    bool operator==(const Iterator &other) const {
      return batch_ == other.batch_;
    }

  private:
    friend class DataLoader;
    Iterator(const DataLoader *loader,
             std::shared_ptr<const std::vector<int64_t>> order,
             uint64_t epochSeed, int64_t batch,
             std::shared_ptr<Prefetcher> prefetcher = nullptr)
        : loader_(loader), order_(std::move(order)), epochSeed_(epochSeed),
          batch_(batch), prefetcher_(std::move(prefetcher)) {}

    const DataLoader *loader_ = nullptr;
    /// The epoch's sample order; null for 0, 1, ...
    std::shared_ptr<const std::vector<int64_t>> order_;
    uint64_t epochSeed_ = 0;
    int64_t batch_ = 0;
    /// The epoch's worker threads, when it has some.
    std::shared_ptr<Prefetcher> prefetcher_;
    mutable std::optional<Batch> current_;
  };

  /// Starts an epoch; with shuffle, draws its permutation.
  Iterator begin() const;
  Iterator end() const;

  /// The number of batches in an epoch (PyTorch's len(loader)).
  int64_t size() const;
  const Dataset &dataset() const { return *dataset_; }
  const Options &options() const { return options_; }

private:
  /// The number of samples an epoch visits.
  int64_t epochSamples() const;

  std::shared_ptr<const Dataset> dataset_;
  Options options_;
  /// Draws the shuffled orders; begin() is const, as iterating is.
  mutable std::mt19937_64 generator_;
  /// Epochs begun, for the random transforms' seeds.
  mutable uint64_t epochs_ = 0;
};

} // namespace ember::data

#endif // EMBER_DATA_DATALOADER_H
