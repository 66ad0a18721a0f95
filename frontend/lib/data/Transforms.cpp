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

#include "Stack.h"

#include <fmt/format.h>

#include <cmath>

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
    Tensor out = empty({c, h, w}, DType::Float32);
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
    Tensor out = empty(x.shape(), DType::Float32);
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

} // namespace ember::transforms
