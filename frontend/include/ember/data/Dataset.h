//===- Dataset.h - Map-style datasets ---------------------------*- C++ -*-===//
//
// Part of Ember. A Dataset is PyTorch's map-style torch.utils.data.Dataset:
// it has a size and gives sample `i` as a (data, target) pair. DataLoader
// batches it.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_DATA_DATASET_H
#define EMBER_DATA_DATASET_H

#include "ember/frontend/Tensor.h"

#include <cstdint>
#include <source_location>
#include <span>
#include <vector>

namespace ember::data {

/// One sample, or one batch of samples: the input and its label. An aggregate,
/// so that `auto [x, y] = dataset.get(0);` works.
struct Example {
  Tensor data;
  Tensor target;
};

/// A batch: `data` and `target` stacked along a new leading dimension.
using Batch = Example;

/// A map-style dataset (torch.utils.data.Dataset): samples 0 ... size()-1.
class Dataset {
public:
  virtual ~Dataset() = default;

  /// The number of samples (PyTorch's len(dataset)).
  virtual int64_t size() const = 0;
  /// Sample `index`; negative indices count from the end. Throws ember::Error
  /// when it is out of range.
  virtual Example get(int64_t index) const = 0;
  /// The samples at `indices`, stacked into a batch (PyTorch's
  /// `__getitems__` followed by default_collate). The default calls get() for
  /// each index and stacks with collate(); datasets override it with a
  /// faster path that must give the same values.
  virtual Batch get_batch(std::span<const int64_t> indices) const;

  /// Same as get(index).
  Example operator[](int64_t index) const { return get(index); }

protected:
  Dataset() = default;
  Dataset(const Dataset &) = default;
  Dataset &operator=(const Dataset &) = default;
};

/// Stacks samples along a new leading dimension, as PyTorch's default_collate
/// does: `data` of shape S becomes [N, S...], `target` likewise. All data
/// must share one shape and dtype, and so must all targets; targets may all
/// be undefined, which gives an undefined batch target. Lazy samples are
/// realised.
Batch collate(std::span<const Example> examples,
              std::source_location loc = std::source_location::current());

} // namespace ember::data

#endif // EMBER_DATA_DATASET_H
