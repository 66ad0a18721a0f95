//===- Transforms.h - Sample transforms -------------------------*- C++ -*-===//
//
// Part of Ember. The transforms of torchvision.transforms that a vision
// dataset applies to each sample: ToTensor, Normalize, Lambda, Compose and
// the random augmentations RandomHorizontalFlip and RandomCrop. They run
// eagerly on the host when a sample is fetched, as torchvision's do.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_DATA_TRANSFORMS_H
#define EMBER_DATA_TRANSFORMS_H

#include "ember/frontend/Tensor.h"

#include <array>
#include <concepts>
#include <functional>
#include <initializer_list>
#include <memory>
#include <random>
#include <source_location>
#include <type_traits>
#include <vector>

namespace ember::transforms {

/// A function from tensor to tensor, with value semantics. A default-made
/// Transform is empty: it converts to false and applies as the identity (a
/// dataset given no transform returns its raw samples).
///
/// Besides the function, a transform may describe itself in a form that
/// batch loaders use to skip per-sample work (pixelTable(), elementwise());
/// these descriptions always agree exactly with the function.
class Transform {
public:
  using Fn = std::function<Tensor(const Tensor &)>;
  /// A pixel value (0 ... 255) to its float result.
  using PixelTable = std::array<float, 256>;

  Transform() = default;
  /// Wraps any callable taking a Tensor and returning one.
  template <typename F>
    requires(!std::is_base_of_v<Transform, std::remove_cvref_t<F>> &&
             std::is_invocable_r_v<Tensor, F &, const Tensor &>)
  Transform(F fn) : fn_(std::move(fn)) {}

  /// Applies the transform (the identity when empty).
  Tensor operator()(const Tensor &x) const;
  /// Whether the transform is not empty.
  explicit operator bool() const { return static_cast<bool>(fn_); }

  /// When not null, applying the transform to a uint8 image [H, W] gives the
  /// float32 tensor [1, H, W] whose element (0, i, j) is
  /// (*pixelTable())[image[i][j]].
  const PixelTable *pixelTable() const { return pixelTable_.get(); }
  /// When not empty, the transform maps a float32 tensor to a float32 tensor
  /// of the same shape, each element x becoming elementwise()(x).
  const std::function<float(float)> &elementwise() const {
    return elementwise_;
  }

protected:
  Fn fn_;
  std::shared_ptr<const PixelTable> pixelTable_;
  std::function<float(float)> elementwise_;
};

/// Converts a uint8 image [H, W] to float32 [1, H, W], and a uint8 image
/// [H, W, C] to float32 [C, H, W], dividing by 255 (torchvision's ToTensor).
class ToTensor : public Transform {
public:
  explicit ToTensor(std::source_location loc = std::source_location::current());
};

/// Normalises a float32 tensor [..., C, H, W] channel by channel:
/// (x - mean[c]) / std[c] (torchvision's Normalize). With one mean and one
/// standard deviation, any float32 tensor is normalised elementwise.
class Normalize : public Transform {
public:
  Normalize(std::vector<double> mean, std::vector<double> stddev,
            std::source_location loc = std::source_location::current());
};

/// A user function as a transform (torchvision's Lambda).
class Lambda : public Transform {
public:
  explicit Lambda(Fn fn,
                  std::source_location loc = std::source_location::current());
};

/// Applies transforms in order (torchvision's Compose). Empty transforms in
/// the list are skipped; an empty list is the identity.
class Compose : public Transform {
public:
  explicit Compose(std::vector<Transform> transforms);
  Compose(std::initializer_list<Transform> transforms)
      : Compose(std::vector<Transform>(transforms)) {}

  /// The transforms, in the order they apply.
  const std::vector<Transform> &transforms() const { return transforms_; }

private:
  std::vector<Transform> transforms_;
};

/// The generator random transforms draw from (one per thread). A
/// DataLoader seeds it before each batch from its seed, the epoch and the
/// batch's number, so the batches are the same whichever thread prepares
/// them; elsewhere it starts from seed 0 on each thread.
std::mt19937_64 &generator();
/// Seeds this thread's generator().
void seed(uint64_t value);

/// Flips an image left to right with probability p
/// (torchvision's RandomHorizontalFlip). The image is a uint8 [H, W, C]
/// (as ToTensor takes it) or any tensor [..., H, W].
class RandomHorizontalFlip : public Transform {
public:
  explicit RandomHorizontalFlip(
      double p = 0.5,
      std::source_location loc = std::source_location::current());
};

/// A random window of the image, after padding each side with `padding`
/// zeros (torchvision's RandomCrop(size, padding)). Images as
/// RandomHorizontalFlip's.
class RandomCrop : public Transform {
public:
  /// A size x size window.
  explicit RandomCrop(
      int64_t size, int64_t padding = 0,
      std::source_location loc = std::source_location::current())
      : RandomCrop({size, size}, padding, loc) {}
  /// A {height, width} window.
  RandomCrop(std::array<int64_t, 2> size, int64_t padding = 0,
             std::source_location loc = std::source_location::current());
};

} // namespace ember::transforms

#endif // EMBER_DATA_TRANSFORMS_H
