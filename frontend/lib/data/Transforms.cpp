//===- Transforms.cpp - Sample transforms ---------------------------------===//
//
// Part of Ember. The transforms compute on the host, eagerly: a sample is a
// few hundred elements, far too little to be worth a compiled graph. Each
// transform that can describe itself as a pixel table or an elementwise map
// computes its values with the very function the description uses, so a
// loader's fast path gives bit-identical results.
//
//===----------------------------------------------------------------------===//

#include "ember/data/Transforms.h"

#include "../Realize.h"
#include "Stack.h"

#include "ember/data/Sampler.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>

namespace ember::transforms {
namespace {

using Loc = std::source_location;

[[noreturn]] void fail(std::string_view op, const std::string &what,
                       Loc madeAt) {
  throw Error(fmt::format("{}: {} (transform made at {})", op, what,
                          fe::formatLocation(madeAt)));
}

/// ToTensor's value for a pixel.
float pixelToUnit(uint8_t value) { return static_cast<float>(value) / 255.0f; }

/// Normalize's value for an element.
float normalizeValue(float x, float mean, float stddev) {
  return (x - mean) / stddev;
}

std::string describe(const Tensor &x) {
  return fmt::format("{} {}", dtypeName(x.dtype()),
                     data::formatShape(x.shape()));
}

} // namespace

Tensor Transform::operator()(const Tensor &x) const { return fn_ ? fn_(x) : x; }

ToTensor::ToTensor(Loc loc) {
  auto table = std::make_shared<PixelTable>();
  for (int v = 0; v < 256; ++v)
    (*table)[v] = pixelToUnit(static_cast<uint8_t>(v));
  pixelTable_ = table;
  fn_ = [table, loc](const Tensor &x) {
    if (!x.defined())
      fail("ToTensor", "the input is undefined", loc);
    if (x.dtype() != DType::UInt8 || (x.dim() != 2 && x.dim() != 3))
      fail("ToTensor",
           fmt::format("expected a uint8 image [H, W] or [H, W, C], got {}",
                       describe(x)),
           loc);
    int64_t h = x.size(0), w = x.size(1), c = x.dim() == 3 ? x.size(2) : 1;
    Tensor out = fe::uninitialized({c, h, w}, DType::Float32);
    const uint8_t *in = x.data_ptr<uint8_t>();
    float *dst = out.data_ptr<float>();
    // [H, W, C] -> [C, H, W]; for C = 1 this is a plain elementwise pass.
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t p = 0; p < h * w; ++p)
        dst[ch * h * w + p] = (*table)[in[p * c + ch]];
    return out;
  };
}

Normalize::Normalize(std::vector<double> mean, std::vector<double> stddev,
                     Loc loc) {
  if (mean.empty() || mean.size() != stddev.size())
    fail("Normalize",
         fmt::format("expected as many means as standard deviations (at "
                     "least one), got {} and {}",
                     mean.size(), stddev.size()),
         loc);
  std::vector<float> m(mean.begin(), mean.end()),
      s(stddev.begin(), stddev.end());
  for (size_t c = 0; c < s.size(); ++c)
    if (s[c] == 0 || !std::isfinite(s[c]) || !std::isfinite(m[c]))
      fail("Normalize",
           fmt::format("channel {} has mean {} and standard deviation {}; "
                       "both must be finite and the deviation non-zero",
                       c, mean[c], stddev[c]),
           loc);
  if (m.size() == 1) {
    float m0 = m[0], s0 = s[0];
    elementwise_ = [m0, s0](float x) { return normalizeValue(x, m0, s0); };
  }
  fn_ = [m, s, loc](const Tensor &x) {
    if (!x.defined())
      fail("Normalize", "the input is undefined", loc);
    int64_t channels = static_cast<int64_t>(m.size());
    if (x.dtype() != DType::Float32)
      fail("Normalize",
           fmt::format("expected a float32 tensor (apply ToTensor first), "
                       "got {}",
                       describe(x)),
           loc);
    if (channels > 1 && (x.dim() < 3 || x.size(-3) != channels))
      fail("Normalize",
           fmt::format("{} channel means need a tensor [..., {}, H, W], "
                       "got {}",
                       channels, channels, describe(x)),
           loc);
    int64_t plane = channels > 1 ? x.size(-1) * x.size(-2) : 1;
    int64_t n = x.numel();
    Tensor out = fe::uninitialized(x.shape(), DType::Float32);
    const float *in = x.data_ptr<float>();
    float *dst = out.data_ptr<float>();
    for (int64_t i = 0; i < n; ++i) {
      int64_t c = (i / plane) % channels;
      dst[i] = normalizeValue(in[i], m[c], s[c]);
    }
    return out;
  };
}

Lambda::Lambda(Fn fn, Loc loc) {
  if (!fn)
    fail("Lambda", "the function is empty", loc);
  fn_ = std::move(fn);
}

Compose::Compose(std::vector<Transform> transforms) {
  for (Transform &t : transforms)
    if (t)
      transforms_.push_back(std::move(t));
  std::vector<Transform> steps = transforms_;
  fn_ = [steps](const Tensor &x) {
    Tensor y = x;
    for (const Transform &t : steps)
      y = t(y);
    return y;
  };

  // Describe the composition when each step after the first is elementwise.
  bool restElementwise = true;
  for (size_t i = 1; i < steps.size(); ++i)
    restElementwise &= static_cast<bool>(steps[i].elementwise());
  if (!restElementwise)
    return;
  auto applyRest = [steps](float x) {
    for (size_t i = 1; i < steps.size(); ++i)
      x = steps[i].elementwise()(x);
    return x;
  };
  if (steps.empty()) {
    elementwise_ = [](float x) { return x; };
  } else if (steps.front().elementwise()) {
    std::function<float(float)> first = steps.front().elementwise();
    elementwise_ = [first, applyRest](float x) { return applyRest(first(x)); };
  } else if (const PixelTable *first = steps.front().pixelTable()) {
    auto table = std::make_shared<PixelTable>();
    for (int v = 0; v < 256; ++v)
      (*table)[v] = applyRest((*first)[v]);
    pixelTable_ = table;
  }
}

std::mt19937_64 &generator() {
  thread_local std::mt19937_64 engine(0);
  return engine;
}

void seed(uint64_t value) { generator().seed(value); }

namespace {

/// An image's geometry: rows and columns, and how many contiguous elements
/// each pixel has (C for a uint8 [H, W, C] image) and how many planes
/// (the product of the leading dims of a [..., H, W] tensor).
struct Geometry {
  int64_t planes, rows, cols, pixel;
};

Geometry geometryOf(const char *op, const Tensor &x, Loc madeAt) {
  if (!x.defined())
    fail(op, "the input is undefined", madeAt);
  if (x.dim() < 2)
    fail(op,
         fmt::format("expected an image [..., H, W] (or uint8 [H, W, C]), "
                     "got {}",
                     describe(x)),
         madeAt);
  if (x.dtype() == DType::UInt8 && x.dim() == 3)
    return {1, x.size(0), x.size(1), x.size(2)};
  int64_t planes = 1;
  for (int64_t d = 0; d + 2 < x.dim(); ++d)
    planes *= x.size(d);
  return {planes, x.size(-2), x.size(-1), 1};
}

/// The elements of a uint8 or float32 host tensor, as bytes.
uint8_t *bytes(const Tensor &x) {
  return x.dtype() == DType::UInt8
             ? x.data_ptr<uint8_t>()
             : reinterpret_cast<uint8_t *>(x.data_ptr<float>());
}

/// An image of `x`'s kind with rows x cols pixels, pixel (i, j) of which is
/// x's pixel source(i, j), or zeros where source gives a row or column
/// outside x.
template <class Source>
Tensor remap(const Tensor &x, const Geometry &g, int64_t rows, int64_t cols,
             Source source) {
  Shape shape = x.shape();
  bool hwc = x.dtype() == DType::UInt8 && x.dim() == 3 && g.pixel == x.size(2);
  shape[hwc ? 0 : shape.size() - 2] = rows;
  shape[hwc ? 1 : shape.size() - 1] = cols;
  Tensor out = zeros(shape, x.dtype());
  size_t element = dtypeSize(x.dtype());
  size_t pixelBytes = element * static_cast<size_t>(g.pixel);
  const uint8_t *in = bytes(x);
  uint8_t *dst = bytes(out);
  for (int64_t p = 0; p < g.planes; ++p)
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) {
        auto [si, sj] = source(i, j);
        if (si < 0 || si >= g.rows || sj < 0 || sj >= g.cols)
          continue;
        std::memcpy(dst + ((p * rows + i) * cols + j) * pixelBytes,
                    in + ((p * g.rows + si) * g.cols + sj) * pixelBytes,
                    pixelBytes);
      }
  return out;
}

void checkElementType(const char *op, const Tensor &x, Loc madeAt) {
  if (x.dtype() != DType::UInt8 && x.dtype() != DType::Float32)
    fail(op,
         fmt::format("expected a uint8 or float32 image, got {}", describe(x)),
         madeAt);
}

} // namespace

RandomHorizontalFlip::RandomHorizontalFlip(double p, Loc loc) {
  if (!(p >= 0 && p <= 1))
    fail("RandomHorizontalFlip", fmt::format("p must be in [0, 1], not {}", p),
         loc);
  fn_ = [p, loc](const Tensor &x) {
    Geometry g = geometryOf("RandomHorizontalFlip", x, loc);
    checkElementType("RandomHorizontalFlip", x, loc);
    // A double in [0, 1) from the top 53 bits.
    double u = static_cast<double>(generator()() >> 11) * 0x1.0p-53;
    if (!(u < p))
      return x;
    return remap(x, g, g.rows, g.cols, [&](int64_t i, int64_t j) {
      return std::pair{i, g.cols - 1 - j};
    });
  };
}

RandomCrop::RandomCrop(std::array<int64_t, 2> size, int64_t padding, Loc loc) {
  auto [height, width] = size;
  if (height < 1 || width < 1 || padding < 0)
    fail("RandomCrop",
         fmt::format("the size must be positive and the padding >= 0, not "
                     "{}x{} and {}",
                     height, width, padding),
         loc);
  fn_ = [=](const Tensor &x) {
    Geometry g = geometryOf("RandomCrop", x, loc);
    checkElementType("RandomCrop", x, loc);
    int64_t rows = g.rows + 2 * padding, cols = g.cols + 2 * padding;
    if (height > rows || width > cols)
      fail("RandomCrop",
           fmt::format("the crop {}x{} is larger than the padded image "
                       "{}x{} ({})",
                       height, width, rows, cols, describe(x)),
           loc);
    auto top = static_cast<int64_t>(data::uniformBelow(
        generator(), static_cast<uint64_t>(rows - height + 1)));
    auto left = static_cast<int64_t>(data::uniformBelow(
        generator(), static_cast<uint64_t>(cols - width + 1)));
    return remap(x, g, height, width, [&](int64_t i, int64_t j) {
      return std::pair{top + i - padding, left + j - padding};
    });
  };
}

} // namespace ember::transforms
