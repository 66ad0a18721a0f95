//===- CIFAR10.cpp - The CIFAR-10 dataset ---------------------------------===//
//
// Part of Ember. Each record of the binary files is one label byte and the
// image's 3072 bytes, channel by channel (1024 red, 1024 green, 1024 blue,
// each row by row); the images are kept as [N, 32, 32, 3].
//
//===----------------------------------------------------------------------===//

#include "ember/data/CIFAR10.h"

#include "../Realize.h"

#include <fmt/format.h>

#include <cstring>
#include <fstream>

namespace ember::data {
namespace fs = std::filesystem;

namespace {
[[noreturn]] void fail(const std::string &what, std::source_location loc) {
  throw Error(
      fmt::format("CIFAR10: {} (at {})", what, fe::formatLocation(loc)));
}

std::vector<std::string> splitFiles(bool train) {
  if (!train)
    return {"test_batch.bin"};
  std::vector<std::string> files;
  for (int i = 1; i <= 5; ++i)
    files.push_back(fmt::format("data_batch_{}.bin", i));
  return files;
}
} // namespace

CIFAR10::CIFAR10(fs::path root, Options options, Loc loc)
    : transform_(std::move(options.transform)),
      targetTransform_(std::move(options.target_transform)) {
  std::vector<std::string> names = splitFiles(options.train);
  std::vector<std::string> all = splitFiles(true);
  all.push_back("test_batch.bin");
  // The first folder holding any of the data set's files is used whole.
  fs::path folder;
  for (const fs::path &candidate : {root / "cifar-10-batches-bin", root}) {
    for (const std::string &name : all)
      if (fs::is_regular_file(candidate / name))
        folder = candidate;
    if (!folder.empty())
      break;
  }
  if (folder.empty())
    fail(fmt::format("no CIFAR-10 files (data_batch_1.bin ... "
                     "test_batch.bin) in {} or {}; Ember cannot download "
                     "them (it has no network code): get "
                     "cifar-10-binary.tar.gz from "
                     "https://www.cs.toronto.edu/~kriz/cifar.html and "
                     "extract it into {}",
                     (root / "cifar-10-batches-bin").string(), root.string(),
                     root.string()),
         loc);
  std::vector<std::pair<fs::path, int64_t>> files;
  for (const std::string &name : names) {
    fs::path path = folder / name;
    std::error_code error;
    auto bytes = static_cast<int64_t>(fs::file_size(path, error));
    if (error)
      fail(fmt::format("{} holds part of the data set but not {} ({}); a "
                       "data set folder is used whole",
                       folder.string(), name, error.message()),
           loc);
    if (bytes == 0 || bytes % kRecordBytes != 0)
      fail(fmt::format("{} has {} bytes, not a positive multiple of {} (a "
                       "label byte and 3072 pixel bytes per image): it is "
                       "not a CIFAR-10 binary file, or it is truncated",
                       path.string(), bytes, kRecordBytes),
           loc);
    files.emplace_back(path, bytes / kRecordBytes);
    count_ += bytes / kRecordBytes;
  }
  images_ = fe::uninitialized({count_, kSide, kSide, kChannels}, DType::UInt8);
  labels_ = fe::uninitialized({count_}, DType::Int64);
  uint8_t *pixels = images_.data_ptr<uint8_t>();
  int64_t *labels = labels_.data_ptr<int64_t>();
  pixels_ = pixels;
  targets_ = labels;
  std::vector<uint8_t> record(kRecordBytes);
  int64_t n = 0;
  constexpr int64_t plane = kSide * kSide;
  for (const auto &[path, records] : files) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
      fail(fmt::format("cannot open {}", path.string()), loc);
    for (int64_t r = 0; r < records; ++r, ++n) {
      if (!in.read(reinterpret_cast<char *>(record.data()), kRecordBytes))
        fail(fmt::format("reading record {} of {} failed", r, path.string()),
             loc);
      if (record[0] > 9)
        fail(fmt::format("record {} of {} has label {}; CIFAR-10's labels "
                         "are 0 ... 9",
                         r, path.string(), record[0]),
             loc);
      labels[n] = record[0];
      uint8_t *image = pixels + n * plane * kChannels;
      for (int64_t c = 0; c < kChannels; ++c)
        for (int64_t p = 0; p < plane; ++p)
          image[p * kChannels + c] = record[1 + c * plane + p];
    }
  }
}

Example CIFAR10::get(int64_t index) const {
  int64_t i = index < 0 ? index + count_ : index;
  if (i < 0 || i >= count_)
    throw Error(fmt::format("CIFAR10: index {} is out of range for a dataset "
                            "of {} samples",
                            index, count_));
  constexpr int64_t bytes = kSide * kSide * kChannels;
  Tensor image = fe::uninitialized({kSide, kSide, kChannels}, DType::UInt8);
  // (Read through the pointers taken once: get() runs on several
  // DataLoader workers at once.)
  std::memcpy(image.data_ptr<uint8_t>(), pixels_ + i * bytes, bytes);
  Tensor label = fe::uninitialized({}, DType::Int64);
  *label.data_ptr<int64_t>() = targets_[i];
  return {transform_(image), targetTransform_(label)};
}

const std::vector<std::string> &CIFAR10::classes() {
  static const std::vector<std::string> names{
      "airplane", "automobile", "bird",  "cat",  "deer",
      "dog",      "frog",       "horse", "ship", "truck"};
  return names;
}

} // namespace ember::data
