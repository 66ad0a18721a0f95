//===- Dataset.cpp - Map-style datasets and collation ---------------------===//
//
// Part of Ember. The default batched fetch of a dataset, and stacking of
// samples into batches (PyTorch's default_collate).
//
//===----------------------------------------------------------------------===//

#include "ember/data/Dataset.h"

#include "../Realize.h"
#include "Stack.h"

#include <fmt/format.h>

#include <cstring>

namespace ember::data {

std::string formatShape(const Shape &shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

Tensor stackSamples(std::span<const Tensor> tensors, std::string_view op,
                    std::string_view what,
                    std::optional<std::source_location> loc) {
  auto fail = [&](const std::string &message) {
    throw Error(
        fmt::format("{}: {}{}", op, message,
                    loc ? " (at " + fe::formatLocation(*loc) + ")" : ""));
  };
  if (tensors.empty())
    fail("no samples to stack");
  const Tensor &first = tensors.front();
  for (size_t i = 0; i < tensors.size(); ++i)
    if (tensors[i].defined() != first.defined())
      fail(fmt::format("sample {} has {} {} but sample 0 has {}", i,
                       tensors[i].defined() ? "a" : "no", what,
                       first.defined() ? "one" : "none"));
  if (!first.defined())
    return Tensor();

  const Shape &shape = first.shape();
  DType dtype = first.dtype();
  for (size_t i = 1; i < tensors.size(); ++i)
    if (tensors[i].shape() != shape || tensors[i].dtype() != dtype)
      fail(fmt::format("cannot stack the {} of sample {} ({} {}) with that of "
                       "sample 0 ({} {})",
                       what, i, dtypeName(tensors[i].dtype()),
                       formatShape(tensors[i].shape()), dtypeName(dtype),
                       formatShape(shape)));

  Shape batchShape{static_cast<int64_t>(tensors.size())};
  batchShape.insert(batchShape.end(), shape.begin(), shape.end());
  Tensor batch = fe::uninitialized(std::move(batchShape), dtype);
  auto *out = static_cast<uint8_t *>(batch.node()->data->data());
  size_t bytes = static_cast<size_t>(numelOf(shape)) * dtypeSize(dtype);
  for (const Tensor &t : tensors) {
    t.realize(loc.value_or(std::source_location::current()));
    std::memcpy(out, t.node()->data->data(), bytes);
    out += bytes;
  }
  return batch;
}

Batch Dataset::get_batch(std::span<const int64_t> indices) const {
  std::vector<Example> examples;
  examples.reserve(indices.size());
  for (int64_t index : indices)
    examples.push_back(get(index));
  return collate(examples);
}

Batch collate(std::span<const Example> examples, std::source_location loc) {
  std::vector<Tensor> data, targets;
  data.reserve(examples.size());
  targets.reserve(examples.size());
  for (const Example &example : examples) {
    data.push_back(example.data);
    targets.push_back(example.target);
  }
  return {stackSamples(data, "collate", "data", loc),
          stackSamples(targets, "collate", "target", loc)};
}

} // namespace ember::data
