//===- DataLoader.h - Batches of a dataset ----------------------*- C++ -*-===//
//
// Part of Ember. torch.utils.data.DataLoader for map-style datasets: an
// iterable of batches, optionally shuffled anew each epoch.
//
//   data::DataLoader train_loader(training_data, {.batch_size = 64,
//                                                 .shuffle = true});
//   for (auto [X, y] : train_loader) ...
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_DATA_DATALOADER_H
#define EMBER_DATA_DATALOADER_H

#include "ember/data/Dataset.h"

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
  /// sequence of epoch orders.
  uint64_t seed = 0;
};

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
             std::shared_ptr<const std::vector<int64_t>> order, int64_t batch)
        : loader_(loader), order_(std::move(order)), batch_(batch) {}

    const DataLoader *loader_ = nullptr;
    /// The epoch's sample order; null when not shuffled.
    std::shared_ptr<const std::vector<int64_t>> order_;
    int64_t batch_ = 0;
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
  std::shared_ptr<const Dataset> dataset_;
  Options options_;
  /// Draws the shuffled orders; begin() is const, as iterating is.
  mutable std::mt19937_64 generator_;
};

} // namespace ember::data

#endif // EMBER_DATA_DATALOADER_H
