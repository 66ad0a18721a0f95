//===- PrintTest.cpp - Tests of PyTorch-style tensor printing -------------===//
//
// Part of Ember. Checks formatTensor against strings produced by real PyTorch
// (print_cases.txt, written by gen_print_cases.py; its path comes from the
// EMBER_PRINT_CASES compile definition) and against a few hand-written
// expectations.
//
//===----------------------------------------------------------------------===//

#include "ember/frontend/Print.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

using namespace ember;
using namespace ember::fe;

namespace {

/// One tensor and the string PyTorch prints for it.
struct PrintCase {
  std::string name;
  DType dtype = DType::Float32;
  Shape shape;
  std::string device;
  std::vector<unsigned char> bytes;
  std::string expected;
};

bool parseDType(const std::string &name, DType &dtype) {
  for (DType t : {DType::Float32, DType::Float64, DType::Int64, DType::UInt8,
                  DType::Bool}) {
    if (dtypeName(t) == name) {
      dtype = t;
      return true;
    }
  }
  return false;
}

template <typename T>
void appendValue(std::vector<unsigned char> &bytes, T value) {
  unsigned char raw[sizeof(T)];
  std::memcpy(raw, &value, sizeof(T));
  bytes.insert(bytes.end(), raw, raw + sizeof(T));
}

/// Appends the element written as `token` (see gen_print_cases.py).
void appendElement(std::vector<unsigned char> &bytes, DType dtype,
                   const std::string &token) {
  switch (dtype) {
  case DType::Float32:
    appendValue(bytes, static_cast<uint32_t>(std::stoul(token, nullptr, 16)));
    break;
  case DType::Float64:
    appendValue(bytes, static_cast<uint64_t>(std::stoull(token, nullptr, 16)));
    break;
  case DType::Int64:
    appendValue(bytes, static_cast<int64_t>(std::stoll(token)));
    break;
  case DType::UInt8:
  case DType::Bool:
    appendValue(bytes, static_cast<uint8_t>(std::stoul(token)));
    break;
  }
}

/// Reads the line after `keyword ` (the keyword must start the line).
bool readField(std::istream &in, const std::string &keyword,
               std::string &rest) {
  std::string line;
  if (!std::getline(in, line))
    return false;
  if (line == keyword) {
    rest.clear();
    return true;
  }
  if (line.rfind(keyword + " ", 0) != 0)
    return false;
  rest = line.substr(keyword.size() + 1);
  return true;
}

/// Parses print_cases.txt; returns false with `error` set on malformed input.
bool loadCases(const std::string &path, std::vector<PrintCase> &cases,
               std::string &error) {
  std::ifstream in(path);
  if (!in) {
    error = "cannot open " + path +
            " (generate it with test/unittests/Frontend/gen_print_cases.py)";
    return false;
  }
  std::string field;
  while (readField(in, "case", field)) {
    PrintCase c;
    c.name = field;
    auto fail = [&](const std::string &what) {
      error = "case '" + c.name + "': bad " + what + " in " + path;
      return false;
    };
    if (!readField(in, "dtype", field) || !parseDType(field, c.dtype))
      return fail("dtype");
    if (!readField(in, "shape", field))
      return fail("shape");
    {
      std::istringstream dims(field);
      int64_t d;
      while (dims >> d)
        c.shape.push_back(d);
    }
    if (!readField(in, "device", field))
      return fail("device");
    c.device = field == "-" ? "" : field;
    if (!readField(in, "values", field))
      return fail("values");
    {
      std::istringstream tokens(field);
      std::string token;
      while (tokens >> token) {
        size_t star = token.find('*');
        int64_t count = 1;
        if (star != std::string::npos) {
          count = std::stoll(token.substr(star + 1));
          token.resize(star);
        }
        for (int64_t i = 0; i < count; ++i)
          appendElement(c.bytes, c.dtype, token);
      }
    }
    if (c.bytes.size() != numelOf(c.shape) * dtypeSize(c.dtype))
      return fail("number of values");
    if (!readField(in, "expected", field))
      return fail("expected");
    int64_t lineCount = std::stoll(field);
    for (int64_t i = 0; i < lineCount; ++i) {
      std::string line;
      if (!std::getline(in, line))
        return fail("expected text");
      if (i)
        c.expected += '\n';
      c.expected += line;
    }
    if (!readField(in, "end", field))
      return fail("terminator");
    cases.push_back(std::move(c));
  }
  if (!in.eof())
    error = "expected 'case <name>' after case '" +
            (cases.empty() ? std::string("<none>") : cases.back().name) +
            "' in " + path;
  return in.eof();
}

template <typename T>
std::string format(const std::vector<T> &values, DType dtype,
                   const Shape &shape, std::string_view device = "") {
  return formatTensor(values.data(), dtype, shape, device);
}

} // namespace

#ifndef EMBER_PRINT_CASES
#error "EMBER_PRINT_CASES must name print_cases.txt"
#endif

TEST(PrintTest, MatchesPyTorch) {
  std::vector<PrintCase> cases;
  std::string error;
  ASSERT_TRUE(loadCases(EMBER_PRINT_CASES, cases, error)) << error;
  ASSERT_GE(cases.size(), 40u) << "too few cases in " << EMBER_PRINT_CASES;
  for (const PrintCase &c : cases) {
    const void *data = c.bytes.empty() ? nullptr : c.bytes.data();
    EXPECT_EQ(formatTensor(data, c.dtype, c.shape, c.device), c.expected)
        << "case '" << c.name << "'";
  }
}

TEST(PrintTest, SeedMatrix) {
  std::vector<float> values = {0.0f, 1.3f, 2.8f, 3.3f, 4.1f, 5.2f, 6.9f, 7.0f};
  EXPECT_EQ(format(values, DType::Float32, {4, 2}),
            "tensor([[0.0000, 1.3000],\n"
            "        [2.8000, 3.3000],\n"
            "        [4.1000, 5.2000],\n"
            "        [6.9000, 7.0000]])");
}

TEST(PrintTest, Float32IsPrintedAsDouble) {
  EXPECT_EQ(format(std::vector<float>{1.3f}, DType::Float32, {1}),
            "tensor([1.3000])");
  EXPECT_EQ(format(std::vector<float>{3.5f}, DType::Float32, {}),
            "tensor(3.5000)");
}

TEST(PrintTest, IntegralFloats) {
  EXPECT_EQ(format(std::vector<double>{1, -2, 30}, DType::Float64, {3}),
            "tensor([ 1., -2., 30.], dtype=torch.float64)");
  EXPECT_EQ(format(std::vector<float>{1, 1e5f}, DType::Float32, {2}),
            "tensor([1.0000e+00, 1.0000e+05])");
}

TEST(PrintTest, NonFinite) {
  float inf = std::numeric_limits<float>::infinity();
  float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(
      format(std::vector<float>{1.5f, nan, inf, -inf}, DType::Float32, {4}),
      "tensor([1.5000,    nan,    inf,   -inf])");
  EXPECT_EQ(format(std::vector<double>{-double(nan)}, DType::Float64, {}),
            "tensor(nan, dtype=torch.float64)");
}

TEST(PrintTest, IntegersAndBools) {
  EXPECT_EQ(format(std::vector<int64_t>{-5, 10, 200}, DType::Int64, {3}),
            "tensor([ -5,  10, 200])");
  EXPECT_EQ(format(std::vector<uint8_t>{0, 255}, DType::UInt8, {2}),
            "tensor([  0, 255], dtype=torch.uint8)");
  EXPECT_EQ(format(std::vector<uint8_t>{1, 0}, DType::Bool, {2}),
            "tensor([ True, False])");
}

TEST(PrintTest, Empty) {
  EXPECT_EQ(formatTensor(nullptr, DType::Float32, {0}), "tensor([])");
  EXPECT_EQ(formatTensor(nullptr, DType::Float32, {0, 3}),
            "tensor([], size=(0, 3))");
  EXPECT_EQ(formatTensor(nullptr, DType::Int64, {0}),
            "tensor([], dtype=torch.int64)");
}

TEST(PrintTest, DeviceSuffix) {
  EXPECT_EQ(format(std::vector<float>{1.25f}, DType::Float32, {}, "cuda:0"),
            "tensor(1.2500, device='cuda:0')");
  EXPECT_EQ(format(std::vector<double>{1, 2}, DType::Float64, {2}, "cuda:0"),
            "tensor([1., 2.], device='cuda:0', dtype=torch.float64)");
}

TEST(PrintTest, Summarized) {
  std::vector<int64_t> values(2000);
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = static_cast<int64_t>(i);
  EXPECT_EQ(format(values, DType::Int64, {2000}),
            "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])");
}
