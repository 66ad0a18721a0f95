//===- CIFAR10.h - The CIFAR-10 dataset -------------------------*- C++ -*-===//
//
// Part of Ember. torchvision.datasets.CIFAR10, read from the data set's
// binary version (cifar-10-binary.tar.gz, extracted): 32x32 colour images
// in ten classes, 50000 for training (data_batch_1.bin ... data_batch_5.bin)
// and 10000 for testing (test_batch.bin). Debian has no package of it and
// Ember has no network code: the files come from a folder the user gives.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_DATA_CIFAR10_H
#define EMBER_DATA_CIFAR10_H

#include "ember/data/Dataset.h"
#include "ember/data/Transforms.h"

#include <filesystem>
#include <string>
#include <vector>

namespace ember::data {

struct CIFAR10Options {
  /// The training split (data_batch_*.bin) rather than test_batch.bin.
  bool train = true;
  /// Applied to each image, a uint8 tensor [32, 32, 3] (height, width,
  /// channel, as torchvision's image; ToTensor makes it [3, 32, 32]).
  transforms::Transform transform;
  /// Applied to each label, an int64 tensor of rank 0.
  transforms::Transform target_transform;
};

class CIFAR10 : public Dataset {
public:
  using Options = CIFAR10Options;
  using Loc = std::source_location;

  /// Reads the split from `root/cifar-10-batches-bin` or from `root`
  /// itself (the first that holds any of the files; its files are used
  /// whole). Every record is checked: a file whose size is not a multiple
  /// of 3073 bytes or a label above 9 is an error naming the file (and the
  /// record); so is a missing file of the split.
  explicit CIFAR10(std::filesystem::path root, Options options = {},
                   Loc loc = Loc::current());

  int64_t size() const override { return count_; }
  /// Image `index` (uint8 [32, 32, 3] before the transform) and its label.
  Example get(int64_t index) const override;

  /// "airplane", "automobile", ..., "truck", indexed by label.
  static const std::vector<std::string> &classes();
  /// All images, uint8 [N, 32, 32, 3] (torchvision's `.data`).
  const Tensor &data() const { return images_; }
  /// All labels, int64 [N] (torchvision's `.targets`).
  const Tensor &targets() const { return labels_; }

  static constexpr int64_t kSide = 32;
  static constexpr int64_t kChannels = 3;
  static constexpr int64_t kRecordBytes = 1 + kSide * kSide * kChannels;

private:
  int64_t count_ = 0;
  Tensor images_, labels_;
  const uint8_t *pixels_ = nullptr;  ///< images_'s elements
  const int64_t *targets_ = nullptr; ///< labels_'s elements
  transforms::Transform transform_, targetTransform_;
};

} // namespace ember::data

#endif // EMBER_DATA_CIFAR10_H
