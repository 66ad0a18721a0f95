//===- Print.cpp - PyTorch-style tensor printing --------------------------===//
//---------------------------===//
//
// Part of Ember. A transcription of torch/_tensor_str.py (`_Formatter`,
// `_vector_str`, `_tensor_str_with_formatter`, `get_summarized_data`,
// `_add_suffixes` and the strided-tensor branch of `_str_intern`) for the
// default print options, so that Ember prints tensors character for character
// as PyTorch does.
//
//===----------------------------------------------------------------------===//

#include "ember/frontend/Print.h"

#include "ember/runtime/Half.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

using namespace ember;
using namespace ember::fe;

namespace {

// PyTorch's default print options.
constexpr int kPrecision = 4;
constexpr int64_t kThreshold = 1000;
constexpr int64_t kEdgeItems = 3;
constexpr int64_t kLineWidth = 80;

/// Reads the elements of a dense buffer by flat index.
class ElementReader {
public:
  ElementReader(const void *data, DType dtype)
      : bytes(static_cast<const unsigned char *>(data)), dtype(dtype) {}

  /// The element as a double (float32 widens exactly, as `.item()` does).
  double asDouble(int64_t i) const {
    switch (dtype) {
    case DType::Float32:
      return load<float>(i);
    case DType::Float64:
      return load<double>(i);
    case DType::Int64:
      return static_cast<double>(load<int64_t>(i));
    case DType::UInt8:
      return load<uint8_t>(i);
    case DType::Bool:
      return load<uint8_t>(i) != 0;
    case DType::Float16:
      return rt::halfBitsToFloat(load<uint16_t>(i));
    case DType::BFloat16:
      return rt::bfloat16BitsToFloat(load<uint16_t>(i));
    }
    return 0;
  }

  /// The element as Python's `"{}".format(value)` renders a non-floating
  /// element.
  std::string asIntegerText(int64_t i) const {
    switch (dtype) {
    case DType::Int64:
      return std::to_string(load<int64_t>(i));
    case DType::UInt8:
      return std::to_string(load<uint8_t>(i));
    case DType::Bool:
      return load<uint8_t>(i) != 0 ? "True" : "False";
    default:
      return std::to_string(static_cast<int64_t>(asDouble(i)));
    }
  }

private:
  template <typename T> T load(int64_t i) const {
    T value;
    std::memcpy(&value, bytes + i * sizeof(T), sizeof(T));
    return value;
  }

  const unsigned char *bytes;
  DType dtype;
};

/// Formats a finite `value` with printf-style `spec` (one `%.*f` or `%.*e`
/// conversion taking the precision), which rounds exactly as Python's format
/// does.
std::string formatFinite(const char *spec, int precision, double value) {
  char small[64];
  int n = std::snprintf(small, sizeof(small), spec, precision, value);
  if (n < static_cast<int>(sizeof(small)))
    return std::string(small, n);
  std::string big(n + 1, '\0');
  std::snprintf(big.data(), big.size(), spec, precision, value);
  big.resize(n);
  return big;
}

/// Python's rendering of a non-finite float under any `f`/`e` format: the
/// sign of a NaN is never shown.
std::string formatNonFinite(double value) {
  if (std::isnan(value))
    return "nan";
  return value < 0 ? "-inf" : "inf";
}

/// PyTorch's `_Formatter`: decides, from the (summarised) values of a whole
/// tensor, how every element is rendered and the common width they are
/// right-aligned to.
class Formatter {
public:
  Formatter(const ElementReader &reader, DType dtype,
            const std::vector<int64_t> &indices)
      : reader(reader), floating(isFloatingPoint(dtype)) {
    if (!floating) {
      for (int64_t i : indices)
        maxWidth = std::max(maxWidth, reader.asIntegerText(i).size());
      return;
    }

    std::vector<double> values; // Nonzero finite values.
    for (int64_t i : indices) {
      double v = reader.asDouble(i);
      if (std::isfinite(v) && v != 0)
        values.push_back(v);
    }
    if (values.empty())
      return;

    double minAbs = std::fabs(values.front()), maxAbs = minAbs;
    for (double v : values) {
      minAbs = std::min(minAbs, std::fabs(v));
      maxAbs = std::max(maxAbs, std::fabs(v));
      if (v != std::ceil(v))
        intMode = false;
    }

    if (intMode) {
      // In int mode a "." is appended to finite values; count it.
      if (maxAbs / minAbs > 1000.0 || maxAbs > 1.0e8) {
        sciMode = true;
        for (double v : values)
          maxWidth =
              std::max(maxWidth, formatFinite("%.*e", kPrecision, v).size());
      } else {
        for (double v : values)
          maxWidth = std::max(maxWidth, formatFinite("%.*f", 0, v).size() + 1);
      }
    } else if (maxAbs / minAbs > 1000.0 || maxAbs > 1.0e8 || minAbs < 1.0e-4) {
      sciMode = true;
      for (double v : values)
        maxWidth =
            std::max(maxWidth, formatFinite("%.*e", kPrecision, v).size());
    } else {
      for (double v : values)
        maxWidth =
            std::max(maxWidth, formatFinite("%.*f", kPrecision, v).size());
    }
  }

  size_t width() const { return maxWidth; }

  /// The element at flat index `i`, right-aligned to width() (longer strings,
  /// e.g. "nan" when every other value is zero, are left as they are).
  std::string format(int64_t i) const {
    std::string text = render(i);
    if (text.size() < maxWidth)
      text.insert(0, maxWidth - text.size(), ' ');
    return text;
  }

private:
  std::string render(int64_t i) const {
    if (!floating)
      return reader.asIntegerText(i);
    double v = reader.asDouble(i);
    if (!std::isfinite(v))
      return formatNonFinite(v);
    if (sciMode)
      return formatFinite("%.*e", kPrecision, v);
    if (intMode)
      return formatFinite("%.*f", 0, v) + ".";
    return formatFinite("%.*f", kPrecision, v);
  }

  const ElementReader &reader;
  bool floating;
  bool intMode = true;
  bool sciMode = false;
  size_t maxWidth = 1;
};

/// Walks a dense row-major tensor the way `_tensor_str_with_formatter` does.
class TensorPrinter {
public:
  TensorPrinter(const ElementReader &reader, DType dtype, const Shape &shape)
      : reader(reader), dtype(dtype), shape(shape), strides(shape.size(), 1),
        summarize(numelOf(shape) > kThreshold) {
    for (size_t d = shape.size(); d-- > 1;)
      strides[d - 1] = strides[d] * shape[d];
  }

  /// `_tensor_str`: the bracketed data, for a tensor printed at `indent`.
  std::string print(int64_t indent) {
    std::vector<int64_t> indices;
    collectSummarized(0, 0, indices);
    Formatter formatter(reader, dtype, indices);
    return printDim(0, 0, indent, formatter);
  }

private:
  /// Whether dimension `d` is elided in the middle (shown as "...").
  bool isElided(size_t d) const {
    return summarize && shape[d] > 2 * kEdgeItems;
  }

  /// The indices of dimension `d` that are shown.
  std::vector<int64_t> shownIndices(size_t d) const {
    std::vector<int64_t> result;
    if (isElided(d)) {
      for (int64_t i = 0; i < kEdgeItems; ++i)
        result.push_back(i);
      for (int64_t i = shape[d] - kEdgeItems; i < shape[d]; ++i)
        result.push_back(i);
    } else {
      for (int64_t i = 0; i < shape[d]; ++i)
        result.push_back(i);
    }
    return result;
  }

  /// `get_summarized_data`: the flat indices of the elements that are shown,
  /// which are the only ones the formatter looks at.
  void collectSummarized(size_t d, int64_t offset,
                         std::vector<int64_t> &out) const {
    if (d == shape.size()) {
      out.push_back(offset);
      return;
    }
    for (int64_t i : shownIndices(d))
      collectSummarized(d + 1, offset + i * strides[d], out);
  }

  std::string printDim(size_t d, int64_t offset, int64_t indent,
                       const Formatter &formatter) const {
    size_t dim = shape.size() - d;
    if (dim == 0)
      return formatter.format(offset);
    if (dim == 1)
      return printVector(d, offset, indent, formatter);

    std::vector<std::string> slices;
    for (int64_t i : shownIndices(d)) {
      if (isElided(d) && i == shape[d] - kEdgeItems)
        slices.push_back("...");
      slices.push_back(
          printDim(d + 1, offset + i * strides[d], indent + 1, formatter));
    }
    std::string separator =
        "," + std::string(dim - 1, '\n') + std::string(indent + 1, ' ');
    return "[" + join(slices, separator) + "]";
  }

  /// `_vector_str`: a 1-D row, wrapped to the line width.
  std::string printVector(size_t d, int64_t offset, int64_t indent,
                          const Formatter &formatter) const {
    int64_t elementLength = static_cast<int64_t>(formatter.width()) + 2;
    int64_t available = kLineWidth - indent;
    // Python floors; a non-positive quotient only ever meets max(1, ...).
    int64_t elementsPerLine =
        std::max<int64_t>(1, available > 0 ? available / elementLength : 0);

    std::vector<std::string> elements;
    for (int64_t i : shownIndices(d)) {
      if (isElided(d) && i == shape[d] - kEdgeItems)
        elements.push_back(" ...");
      elements.push_back(formatter.format(offset + i * strides[d]));
    }

    std::vector<std::string> lines;
    for (size_t i = 0; i < elements.size(); i += elementsPerLine) {
      size_t end = std::min(elements.size(), i + elementsPerLine);
      std::vector<std::string> line(elements.begin() + i,
                                    elements.begin() + end);
      lines.push_back(join(line, ", "));
    }
    return "[" + join(lines, ",\n" + std::string(indent + 1, ' ')) + "]";
  }

  static std::string join(const std::vector<std::string> &parts,
                          const std::string &separator) {
    std::string result;
    for (size_t i = 0; i < parts.size(); ++i) {
      if (i)
        result += separator;
      result += parts[i];
    }
    return result;
  }

  const ElementReader &reader;
  DType dtype;
  const Shape &shape;
  std::vector<int64_t> strides;
  bool summarize;
};

/// Python's `str(tuple(shape))`, e.g. "(0, 3)" or "(0,)".
std::string shapeTuple(const Shape &shape) {
  std::string result = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      result += ", ";
    result += std::to_string(shape[i]);
  }
  if (shape.size() == 1)
    result += ",";
  return result + ")";
}

/// `_add_suffixes`: appends ", suffix" for each suffix, starting a new line
/// (indented by `indent`) when the current line would exceed the line width,
/// then the closing parenthesis.
std::string addSuffixes(std::string text,
                        const std::vector<std::string> &suffixes,
                        int64_t indent) {
  size_t lastNewline = text.rfind('\n');
  // Python: len(s) - s.rfind("\n") + 1, with rfind giving -1 when absent.
  int64_t lastLineLen =
      static_cast<int64_t>(text.size()) -
      (lastNewline == std::string::npos ? -1
                                        : static_cast<int64_t>(lastNewline)) +
      1;
  for (const std::string &suffix : suffixes) {
    int64_t suffixLen = static_cast<int64_t>(suffix.size());
    if (lastLineLen + suffixLen + 2 > kLineWidth) {
      text += ",\n" + std::string(indent, ' ') + suffix;
      lastLineLen = indent + suffixLen;
    } else {
      text += ", " + suffix;
      lastLineLen += suffixLen + 2;
    }
  }
  return text + ")";
}

} // namespace

std::string ember::fe::formatTensor(const void *data, DType dtype,
                                    const Shape &shape,
                                    std::string_view device) {
  const std::string prefix = "tensor(";
  const int64_t indent = static_cast<int64_t>(prefix.size());
  const std::string dtypeSuffix =
      "dtype=torch." + std::string(dtypeName(dtype));

  std::vector<std::string> suffixes;
  if (!device.empty())
    suffixes.push_back("device='" + std::string(device) + "'");

  std::string body;
  if (numelOf(shape) == 0) {
    // The shape is shown unless it is (0,); the dtype cannot be inferred from
    // the (absent) values, so it is shown unless it is the default float32.
    if (shape.size() != 1)
      suffixes.push_back("size=" + shapeTuple(shape));
    if (dtype != DType::Float32)
      suffixes.push_back(dtypeSuffix);
    body = "[]";
  } else {
    // float32 (the default dtype), int64 and bool are implied by the values.
    if (dtype != DType::Float32 && dtype != DType::Int64 &&
        dtype != DType::Bool)
      suffixes.push_back(dtypeSuffix);
    ElementReader reader(data, dtype);
    body = TensorPrinter(reader, dtype, shape).print(indent);
  }
  return addSuffixes(prefix + body, suffixes, indent);
}
