//===- DataLoader.cpp - Batches of a dataset ------------------------------===//
//
// Part of Ember. The loader cuts an epoch's sample order into batches and
// asks the dataset for each batch at once (Dataset::get_batch), so that a
// dataset with a fast path writes the batch tensor directly.
//
//===----------------------------------------------------------------------===//

#include "ember/data/DataLoader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <cxxabi.h>
#include <limits>
#include <numeric>
#include <typeinfo>

namespace ember::data {
namespace {

/// A uniform draw from [0, n), by rejection, so that the sequence of
/// permutations depends only on the seed (std::shuffle and the standard
/// distributions differ between library implementations).
uint64_t uniformBelow(std::mt19937_64 &generator, uint64_t n) {
  uint64_t max = std::numeric_limits<uint64_t>::max();
  uint64_t limit = max - max % n;
  uint64_t draw;
  do {
    draw = generator();
  } while (draw >= limit);
  return draw % n;
}

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
  if (options_.batch_size < 1)
    throw Error(fmt::format("DataLoader: batch_size must be at least 1, not "
                            "{} (at {})",
                            options_.batch_size, fe::formatLocation(loc)));
}

int64_t DataLoader::size() const {
  int64_t n = dataset_->size(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

DataLoader::Iterator DataLoader::begin() const {
  std::shared_ptr<std::vector<int64_t>> order;
  if (options_.shuffle) {
    order = std::make_shared<std::vector<int64_t>>(dataset_->size());
    std::iota(order->begin(), order->end(), int64_t{0});
    // Fisher-Yates.
    for (size_t i = order->size(); i > 1; --i)
      std::swap((*order)[i - 1], (*order)[uniformBelow(generator_, i)]);
  }
  return Iterator(this, std::move(order), 0);
}

DataLoader::Iterator DataLoader::end() const {
  return Iterator(this, nullptr, size());
}

const Batch &DataLoader::Iterator::operator*() const {
  if (current_)
    return *current_;
  if (!loader_ || batch_ < 0 || batch_ >= loader_->size())
    throw Error("DataLoader: dereferencing an iterator that is not at a "
                "batch");
  int64_t n = loader_->dataset_->size(), b = loader_->options_.batch_size;
  int64_t start = batch_ * b, stop = std::min(start + b, n);
  std::vector<int64_t> indices(static_cast<size_t>(stop - start));
  if (order_)
    std::copy(order_->begin() + start, order_->begin() + stop, indices.begin());
  else
    std::iota(indices.begin(), indices.end(), start);
  current_ = loader_->dataset_->get_batch(indices);
  return *current_;
}

DataLoader::Iterator &DataLoader::Iterator::operator++() {
  ++batch_;
  current_.reset();
  return *this;
}

} // namespace ember::data
