//===- FashionMNIST.h - The Fashion-MNIST dataset ---------------*- C++ -*-===//
//
// Part of Ember. torchvision.datasets.FashionMNIST: 28x28 grey images of
// clothing in ten classes, 60000 for training and 10000 for testing, read
// from the four IDX files (plain or gzipped) the dataset is distributed as.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_DATA_FASHIONMNIST_H
#define EMBER_DATA_FASHIONMNIST_H

#include "ember/data/Dataset.h"
#include "ember/data/Transforms.h"

#include <filesystem>
#include <source_location>
#include <string>
#include <vector>

namespace ember::data {

/// Options of FashionMNIST, named as torchvision's arguments.
struct FashionMNISTOptions {
  /// The training split (train-*) rather than the test split (t10k-*).
  bool train = true;
  /// Allow fetching the dataset when no copy is found. Ember has no network
  /// code: the system copy is its download, and without one the error says
  /// how to install it.
  bool download = false;
  /// Applied to each image, a uint8 tensor [28, 28].
  transforms::Transform transform = {};
  /// Applied to each label, an int64 tensor of rank 0.
  transforms::Transform target_transform = {};
  /// Folders searched after `root` and `root/FashionMNIST/raw`: by default
  /// where Debian's dataset-fashion-mnist package installs the files.
  std::vector<std::filesystem::path> system_paths = {
      "/usr/share/datasets/fashion-mnist"};
};

/// The Fashion-MNIST dataset, held in memory as uint8. Copies share the data.
///
///   auto training_data = data::FashionMNIST(
///       "data", {.train = true, .download = true,
///                .transform = transforms::ToTensor()});
class FashionMNIST : public Dataset {
public:
  using Options = FashionMNISTOptions;
  using Loc = std::source_location;

  /// Loads the split named by `options.train` from the first folder of
  /// `root`, `root/FashionMNIST/raw` and `options.system_paths` that holds
  /// any of the data set's four IDX files (`train-images-idx3-ubyte`,
  /// `train-labels-idx1-ubyte`, `t10k-...`, each optionally `.gz`). That
  /// folder is used whole: if it lacks a file of the split, the error names
  /// it (no file is taken from another copy). Throws ember::Error when no
  /// folder holds the data set, or when a file is malformed.
  explicit FashionMNIST(std::filesystem::path root, Options options = {},
                        Loc loc = Loc::current());

  int64_t size() const override { return count_; }
  /// Image `index` (uint8 [28, 28] before the transform) and its label
  /// (int64 of rank 0 before the target transform).
  Example get(int64_t index) const override;
  /// Writes the batch directly when the transform is empty, ToTensor, or
  /// ToTensor followed by single-channel Normalize (data then float32
  /// [N, 1, 28, 28]) and likewise for an empty target transform (target
  /// int64 [N]); otherwise stacks the transformed samples.
  Batch get_batch(std::span<const int64_t> indices) const override;

  /// The class names, indexed by label: "T-shirt/top", ..., "Ankle boot".
  static const std::vector<std::string> &classes();

  /// All images, uint8 [N, 28, 28] (torchvision's `.data`).
  const Tensor &data() const { return images_; }
  /// All labels, int64 [N] (torchvision's `.targets`).
  const Tensor &targets() const { return labels_; }
  bool train() const { return train_; }
  /// The image and label files the dataset was read from.
  const std::filesystem::path &images_file() const { return imagesFile_; }
  const std::filesystem::path &labels_file() const { return labelsFile_; }
  const transforms::Transform &transform() const { return transform_; }
  const transforms::Transform &target_transform() const {
    return targetTransform_;
  }

  static constexpr int64_t kRows = 28;
  static constexpr int64_t kCols = 28;
  static constexpr int64_t kNumClasses = 10;

protected:
  /// What differs between the IDX datasets of this layout.
  struct Variant {
    const char *name;    ///< in errors and the folder root/<name>/raw
    const char *title;   ///< the data set's name in prose
    const char *install; ///< how to get it, before the root folder
  };
  static const Variant kFashion;
  FashionMNIST(std::filesystem::path root, Options options, Loc loc,
               const Variant &variant);

private:
  /// The raw image `index` as a uint8 [28, 28] tensor.
  Tensor rawImage(int64_t index) const;
  /// The raw label `index` as an int64 tensor of rank 0.
  Tensor rawLabel(int64_t index) const;
  /// `index` checked against size() and made non-negative.
  int64_t checkIndex(int64_t index) const;

  const char *name_ = "FashionMNIST";
  bool train_ = true;
  int64_t count_ = 0;
  Tensor images_;
  Tensor labels_;
  const uint8_t *pixels_ = nullptr;  ///< images_'s elements
  const int64_t *targets_ = nullptr; ///< labels_'s elements
  std::filesystem::path imagesFile_;
  std::filesystem::path labelsFile_;
  transforms::Transform transform_;
  transforms::Transform targetTransform_;
};

/// Options of MNIST, named as torchvision's arguments.
struct MNISTOptions {
  bool train = true;
  /// As FashionMNIST's: Ember cannot download; the error says where to
  /// put the files.
  bool download = false;
  transforms::Transform transform = {};
  transforms::Transform target_transform = {};
};

/// The MNIST digits (torchvision.datasets.MNIST): the same IDX files and
/// names as Fashion-MNIST's, read from `root` or `root/MNIST/raw` (Debian
/// has no package of them, so no system folder is searched).
class MNIST : public FashionMNIST {
public:
  explicit MNIST(std::filesystem::path root, MNISTOptions options = {},
                 Loc loc = Loc::current());
  /// "0 - zero", ..., "9 - nine", as torchvision's.
  static const std::vector<std::string> &classes();

private:
  static const Variant kDigits;
};

} // namespace ember::data

#endif // EMBER_DATA_FASHIONMNIST_H
