//===- DataLoader.cpp - Batches of a dataset ------------------------------===//
//
// Part of Ember. The loader cuts an epoch's sample order into batches and
// asks the dataset for each batch at once (Dataset::get_batch), so that a
// dataset with a fast path writes the batch tensor directly.
//
//===----------------------------------------------------------------------===//

#include "ember/data/DataLoader.h"
#include "ember/data/Transforms.h"

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <cxxabi.h>
#include <exception>
#include <limits>
#include <map>
#include <mutex>
#include <numeric>
#include <thread>
#include <typeinfo>

namespace ember::data {
namespace {

/// The dataset's class, for errors ("ember::data::FashionMNIST").
std::string datasetName(const Dataset &dataset) {
  const char *mangled = typeid(dataset).name();
  int status = 0;
  char *demangled = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string name = status == 0 && demangled ? demangled : mangled;
  std::free(demangled);
  return name;
}

} // namespace

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, Options options,
                       Loc loc)
    : dataset_(std::move(dataset)), options_(options),
      generator_(options.seed) {
  if (!dataset_)
    throw Error(fmt::format("DataLoader: the dataset is null (at {})",
                            fe::formatLocation(loc)));
  // As PyTorch's sampler does: an epoch of no batches only surfaces later,
  // as a loss or accuracy divided by zero ("Accuracy: -nan%").
  if (dataset_->size() == 0)
    throw Error(fmt::format("DataLoader: the dataset ({}) is empty: it has no "
                            "samples to batch (at {})",
                            datasetName(*dataset_), fe::formatLocation(loc)));
  if (options_.sampler && options_.shuffle)
    throw Error(fmt::format("DataLoader: a sampler and shuffle = true "
                            "exclude each other (the sampler gives the "
                            "order) (at {})",
                            fe::formatLocation(loc)));
  if (options_.num_workers < 0 || options_.prefetch_factor < 1)
    throw Error(fmt::format("DataLoader: num_workers must be >= 0 and "
                            "prefetch_factor >= 1, not {} and {} (at {})",
                            options_.num_workers, options_.prefetch_factor,
                            fe::formatLocation(loc)));
  if (options_.batch_size < 1)
    throw Error(fmt::format("DataLoader: batch_size must be at least 1, not "
                            "{} (at {})",
                            options_.batch_size, fe::formatLocation(loc)));
}

int64_t DataLoader::epochSamples() const {
  return options_.sampler ? options_.sampler->size() : dataset_->size();
}

int64_t DataLoader::size() const {
  int64_t n = epochSamples(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

namespace {
/// SplitMix64's finaliser: well-spread seeds from consecutive numbers.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
} // namespace

/// Batch `batch` of `dataset`'s epoch of `samples` samples in the order
/// `order` (null: 0, 1, ...), batches of `b`, random transforms seeded from
/// `epochSeed` and the batch's number.
static Batch makeBatch(const Dataset &dataset, int64_t b, int64_t samples,
                       const std::vector<int64_t> *order, uint64_t epochSeed,
                       int64_t batch) {
  int64_t n = samples;
  int64_t start = batch * b, stop = std::min(start + b, n);
  std::vector<int64_t> indices(static_cast<size_t>(stop - start));
  if (order)
    std::copy(order->begin() + start, order->begin() + stop, indices.begin());
  else
    std::iota(indices.begin(), indices.end(), start);
  // The random transforms of this batch draw from a generator seeded by the
  // loader's seed, the epoch and the batch: the same on any thread.
  transforms::seed(mix(epochSeed ^ mix(static_cast<uint64_t>(batch))));
  return dataset.get_batch(indices);
}

/// An epoch's batches prepared on worker threads, in any order, at most
/// num_workers * prefetch_factor ahead of the one the caller takes. It
/// holds what it reads (the dataset, the order), not the loader: the
/// workers run whatever happens to the loader meanwhile.
class Prefetcher {
public:
  Prefetcher(std::shared_ptr<const Dataset> dataset,
             const DataLoaderOptions &options, int64_t samples, int64_t total,
             std::shared_ptr<const std::vector<int64_t>> order,
             uint64_t epochSeed)
      : dataset_(std::move(dataset)), batchSize_(options.batch_size),
        samples_(samples), order_(std::move(order)), epochSeed_(epochSeed),
        total_(total), ahead_(options.num_workers * options.prefetch_factor) {
    try {
      for (int64_t i = 0; i < options.num_workers; ++i)
        threads_.emplace_back([this] { work(); });
    } catch (...) {
      stop();
      throw;
    }
  }
  ~Prefetcher() { stop(); }
  Prefetcher(const Prefetcher &) = delete;
  Prefetcher &operator=(const Prefetcher &) = delete;

  int64_t batches() const { return total_; }

  /// Batch k, once a worker has it (its error, if making it failed).
  Batch take(int64_t k) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (k < taken_ && !done_.count(k))
      throw Error(fmt::format("DataLoader: batch {} of this epoch was already "
                              "read (by a copy of the iterator, or its making "
                              "failed); with num_workers > 0 each batch is "
                              "read once",
                              k));
    // The caller is past every batch before k (an iterator advanced
    // without reading some): they are dropped, and the window moves on,
    // so that batch k is made even when it lay beyond the window.
    if (k > taken_) {
      taken_ = k;
      room_.notify_all();
    }
    done_.erase(done_.begin(), done_.lower_bound(k));
    ready_.wait(lock, [&] { return done_.count(k) > 0; });
    Result result = std::move(done_.at(k));
    done_.erase(k);
    taken_ = std::max(taken_, k + 1);
    room_.notify_all();
    if (result.error)
      std::rethrow_exception(result.error);
    return std::move(result.batch);
  }

private:
  struct Result {
    Batch batch;
    std::exception_ptr error;
  };
  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    room_.notify_all();
    for (std::thread &t : threads_)
      if (t.joinable())
        t.join();
  }
  void work() {
    for (;;) {
      int64_t k;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        room_.wait(lock, [&] {
          return stop_ || next_ >= total_ || next_ < taken_ + ahead_;
        });
        if (stop_ || next_ >= total_)
          return;
        next_ = std::max(next_, taken_); // (batches skipped: not made)
        k = next_++;
      }
      Result result;
      try {
        result.batch = makeBatch(*dataset_, batchSize_, samples_, order_.get(),
                                 epochSeed_, k);
      } catch (...) {
        result.error = std::current_exception();
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        done_.emplace(k, std::move(result));
      }
      ready_.notify_all();
    }
  }

  std::shared_ptr<const Dataset> dataset_;
  int64_t batchSize_, samples_;
  std::shared_ptr<const std::vector<int64_t>> order_;
  uint64_t epochSeed_;
  int64_t total_, ahead_;
  std::mutex mutex_;
  std::condition_variable ready_, room_;
  int64_t next_ = 0, taken_ = 0;
  bool stop_ = false;
  std::map<int64_t, Result> done_;
  std::vector<std::thread> threads_;
};

DataLoader::Iterator DataLoader::begin() const {
  std::shared_ptr<std::vector<int64_t>> order;
  if (options_.sampler) {
    order = std::make_shared<std::vector<int64_t>>(options_.sampler->epoch());
    if (static_cast<int64_t>(order->size()) != options_.sampler->size())
      throw Error(fmt::format("DataLoader: the sampler's epoch has {} "
                              "indices, but its size() says {}",
                              order->size(), options_.sampler->size()));
  } else if (options_.shuffle) {
    order = std::make_shared<std::vector<int64_t>>(dataset_->size());
    std::iota(order->begin(), order->end(), int64_t{0});
    shuffleInPlace(*order, generator_);
  }
  uint64_t epochSeed = mix(options_.seed ^ mix(epochs_++));
  std::shared_ptr<Prefetcher> prefetcher;
  if (options_.num_workers > 0 && size() > 0)
    prefetcher = std::make_shared<Prefetcher>(
        dataset_, options_, epochSamples(), size(), order, epochSeed);
  return Iterator(this, std::move(order), epochSeed, 0, std::move(prefetcher));
}

DataLoader::Iterator DataLoader::end() const {
  return Iterator(this, nullptr, 0, size());
}

const Batch &DataLoader::Iterator::operator*() const {
  if (current_)
    return *current_;
  // (With workers, the loader is not read: it may be gone.)
  int64_t batches = prefetcher_ ? prefetcher_->batches()
                    : loader_   ? loader_->size()
                                : 0;
  if (batch_ < 0 || batch_ >= batches)
    throw Error("DataLoader: dereferencing an iterator that is not at a "
                "batch");
  current_ = prefetcher_
                 ? prefetcher_->take(batch_)
                 : makeBatch(*loader_->dataset_, loader_->options_.batch_size,
                             loader_->epochSamples(), order_.get(), epochSeed_,
                             batch_);
  return *current_;
}

DataLoader::Iterator &DataLoader::Iterator::operator++() {
  ++batch_;
  current_.reset();
  return *this;
}

} // namespace ember::data
