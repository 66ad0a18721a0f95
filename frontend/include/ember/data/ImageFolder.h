//===- ImageFolder.h - A folder of images, one subfolder per class -*- C++
//-*-===//
//
// Part of Ember. torchvision.datasets.ImageFolder: `root/<class>/.../<image>`,
// classes named by the subfolders (sorted), images decoded with libpng and
// libjpeg (Debian's libpng-dev, libjpeg-dev) as torchvision's default
// loader decodes them (PIL's convert("RGB")).
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_DATA_IMAGEFOLDER_H
#define EMBER_DATA_IMAGEFOLDER_H

#include "ember/data/Dataset.h"
#include "ember/data/Transforms.h"

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace ember::data {

struct ImageFolderOptions {
  /// Applied to each image, a uint8 tensor [H, W, 3] (height, width, RGB,
  /// as torchvision's image; ToTensor makes it float32 [3, H, W]).
  transforms::Transform transform;
  /// Applied to each label, an int64 tensor of rank 0.
  transforms::Transform target_transform;
};

class ImageFolder : public Dataset {
public:
  using Options = ImageFolderOptions;
  using Loc = std::source_location;

  /// Lists `root`'s subfolders (the classes, sorted by name) and, in each,
  /// every file below it (sorted, symbolic links followed) whose extension
  /// torchvision counts as an image's (.png, .jpg, .jpeg, .ppm, .bmp, .pgm,
  /// .tif, .tiff, .webp, any case). Ember decodes PNG and JPEG: a file with one
  /// of the other image extensions is an error naming it (skipping it would
  /// give another data set than torchvision's), as is a class without images or
  /// a root without classes. Images are decoded when get() asks for them.
  explicit ImageFolder(std::filesystem::path root, Options options = {},
                       Loc loc = Loc::current());

  int64_t size() const override {
    return static_cast<int64_t>(samples_.size());
  }
  /// Image `index` (uint8 [H, W, 3] before the transform) and its class.
  /// A file that is not a PNG or JPEG it can decode, a 16-bit PNG (whose
  /// conversion PIL does its own way) or a CMYK JPEG is an error naming
  /// the file.
  Example get(int64_t index) const override;

  /// The class names, indexed by label (torchvision's `.classes`).
  const std::vector<std::string> &classes() const { return classes_; }
  /// Class name to label (`.class_to_idx`).
  const std::map<std::string, int64_t> &class_to_idx() const {
    return classToIdx_;
  }
  /// Every image's path and label, in order (`.samples`).
  const std::vector<std::pair<std::filesystem::path, int64_t>> &
  samples() const {
    return samples_;
  }

private:
  std::vector<std::string> classes_;
  std::map<std::string, int64_t> classToIdx_;
  std::vector<std::pair<std::filesystem::path, int64_t>> samples_;
  transforms::Transform transform_, targetTransform_;
};

/// Decodes the PNG or JPEG file at `path` (told apart by its first bytes)
/// into a uint8 tensor [H, W, 3], RGB, as PIL's Image.open(path)
/// .convert("RGB") does: grey is repeated in the three channels, an alpha
/// channel dropped, a palette expanded.
Tensor
read_image_rgb(const std::filesystem::path &path,
               std::source_location loc = std::source_location::current());

} // namespace ember::data

#endif // EMBER_DATA_IMAGEFOLDER_H
