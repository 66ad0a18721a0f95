//===- DataTest.cpp - Datasets, transforms and loaders --------------------===//
//
// Part of Ember. FashionMNIST on small synthetic IDX files (plain and
// gzipped), every malformation the reader must reject, the transforms, and
// DataLoader's batching and shuffling; then the real dataset when Debian's
// dataset-fashion-mnist is installed.
//
//===----------------------------------------------------------------------===//

#include "ember/data/CIFAR10.h"
#include "ember/data/DataLoader.h"
#include "ember/data/FashionMNIST.h"
#include "ember/data/ImageFolder.h"
#include "ember/data/Sampler.h"
#include "ember/data/Transforms.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using namespace ember;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kPixels = 28 * 28;
const char *kSystemDir = "/usr/share/datasets/fashion-mnist";

/// Pixel p of synthetic image i: the first two pixels encode i, so that a
/// batch tells which samples it holds.
uint8_t pixelOf(int64_t i, int64_t p) {
  if (p == 0)
    return static_cast<uint8_t>(i % 256);
  if (p == 1)
    return static_cast<uint8_t>(i / 256);
  return static_cast<uint8_t>((i * 7 + p * 3) % 256);
}
int64_t labelOf(int64_t i) { return (i * 3) % 10; }

void putBigEndian(std::vector<uint8_t> &out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<uint8_t>(value >> shift));
}

std::vector<uint8_t> idx(uint32_t magic, const std::vector<uint32_t> &dims,
                         const std::vector<uint8_t> &payload) {
  std::vector<uint8_t> out;
  putBigEndian(out, magic);
  for (uint32_t d : dims)
    putBigEndian(out, d);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

std::vector<uint8_t> imagePayload(int64_t n) {
  std::vector<uint8_t> out;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t p = 0; p < kPixels; ++p)
      out.push_back(pixelOf(i, p));
  return out;
}

std::vector<uint8_t> labelPayload(int64_t n) {
  std::vector<uint8_t> out;
  for (int64_t i = 0; i < n; ++i)
    out.push_back(static_cast<uint8_t>(labelOf(i)));
  return out;
}

void writeFile(const fs::path &path, const std::vector<uint8_t> &bytes,
               bool gzip) {
  fs::create_directories(path.parent_path());
  if (gzip) {
    gzFile f = gzopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    if (!bytes.empty()) {
      ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())),
                static_cast<int>(bytes.size()));
    }
    ASSERT_EQ(gzclose(f), Z_OK);
    return;
  }
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char *>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good());
}

std::vector<uint8_t> readFile(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Options that never fall back to the system copy.
data::FashionMNIST::Options local(bool train = true) {
  return {.train = train, .system_paths = {}};
}

class DataTest : public ::testing::Test {
protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() /
           ("ember-data-test-" + std::to_string(getpid()) + "-" +
            std::to_string(counter++));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  /// Writes a valid split of `n` samples into `folder`.
  void writeSplit(const fs::path &folder, int64_t n, bool gzip = false,
                  const std::string &prefix = "train") {
    std::string ext = gzip ? ".gz" : "";
    writeFile(folder / (prefix + "-images-idx3-ubyte" + ext),
              idx(0x803, {uint32_t(n), 28, 28}, imagePayload(n)), gzip);
    writeFile(folder / (prefix + "-labels-idx1-ubyte" + ext),
              idx(0x801, {uint32_t(n)}, labelPayload(n)), gzip);
  }

  /// The message of the ember::Error that loading the training split from
  /// dir_ throws ("" when it does not throw).
  std::string loadError(data::FashionMNIST::Options options = local()) {
    try {
      data::FashionMNIST dataset(dir_, std::move(options));
    } catch (const ember::Error &e) {
      return e.what();
    }
    return "";
  }

  fs::path images() const { return dir_ / "train-images-idx3-ubyte"; }
  fs::path labels() const { return dir_ / "train-labels-idx1-ubyte"; }

  fs::path dir_;
};

/// The first two pixels of each image of a uint8 batch [N, 28, 28], decoded
/// back into sample indices.
std::vector<int64_t> sampleIds(const Tensor &batch) {
  std::vector<int64_t> ids;
  const uint8_t *p = batch.data_ptr<uint8_t>();
  for (int64_t i = 0; i < batch.size(0); ++i)
    ids.push_back(p[i * kPixels] + 256 * p[i * kPixels + 1]);
  return ids;
}

//===----------------------------------------------------------------------===//
// Loading
//===----------------------------------------------------------------------===//

TEST_F(DataTest, LoadsPlainFiles) {
  writeSplit(dir_, 5);
  data::FashionMNIST dataset(dir_, local());
  EXPECT_EQ(dataset.size(), 5);
  EXPECT_TRUE(dataset.train());
  EXPECT_EQ(dataset.images_file(), dir_ / "train-images-idx3-ubyte");
  EXPECT_EQ(dataset.data().shape(), (Shape{5, 28, 28}));
  EXPECT_EQ(dataset.targets().dtype(), DType::Int64);

  auto [image, label] = dataset.get(3);
  EXPECT_EQ(image.dtype(), DType::UInt8);
  EXPECT_EQ(image.shape(), (Shape{28, 28}));
  std::vector<int64_t> values = image.to_vector<int64_t>();
  for (int64_t p = 0; p < kPixels; ++p)
    ASSERT_EQ(values[p], pixelOf(3, p)) << "pixel " << p;
  EXPECT_EQ(label.dtype(), DType::Int64);
  EXPECT_EQ(label.dim(), 0);
  EXPECT_EQ(label.item<int64_t>(), labelOf(3));

  EXPECT_EQ(dataset.get(-1).target.item<int64_t>(), labelOf(4));
  EXPECT_EQ(dataset[4].target.item<int64_t>(), labelOf(4));
  try {
    dataset.get(5);
    FAIL() << "no error for index 5";
  } catch (const ember::Error &e) {
    EXPECT_NE(std::string(e.what()).find("index 5 is out of range"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(DataTest, LoadsGzippedTestSplit) {
  writeSplit(dir_, 7, /*gzip=*/true, "t10k");
  data::FashionMNIST dataset(dir_, local(/*train=*/false));
  EXPECT_EQ(dataset.size(), 7);
  EXPECT_FALSE(dataset.train());
  EXPECT_EQ(dataset.labels_file(), dir_ / "t10k-labels-idx1-ubyte.gz");
  EXPECT_EQ(dataset.get(6).data.to_vector<int64_t>()[100], pixelOf(6, 100));
  EXPECT_EQ(dataset.get(6).target.item<int64_t>(), labelOf(6));
  // The training split is not there.
  EXPECT_NE(loadError().find("training set"), std::string::npos);
}

TEST_F(DataTest, SearchOrder) {
  // root/FashionMNIST/raw, as torchvision lays it out.
  writeSplit(dir_ / "FashionMNIST" / "raw", 2, /*gzip=*/true);
  EXPECT_EQ(data::FashionMNIST(dir_, local()).images_file(),
            dir_ / "FashionMNIST" / "raw" / "train-images-idx3-ubyte.gz");
  // root itself comes first; plain files before gzipped ones.
  writeSplit(dir_, 3, /*gzip=*/true);
  writeSplit(dir_, 4, /*gzip=*/false);
  data::FashionMNIST dataset(dir_, local());
  EXPECT_EQ(dataset.size(), 4);
  EXPECT_EQ(dataset.images_file(), dir_ / "train-images-idx3-ubyte");
  // The system folders come last.
  fs::path system = dir_ / "system";
  writeSplit(system, 6);
  data::FashionMNIST fallback(dir_ / "nowhere",
                              {.system_paths = {dir_ / "elsewhere", system}});
  EXPECT_EQ(fallback.size(), 6);
}

TEST_F(DataTest, MissingDatasetNamesWhereItLooked) {
  fs::path system = dir_ / "system";
  std::string message = loadError({.system_paths = {system}});
  for (const fs::path &place : {dir_, dir_ / "FashionMNIST" / "raw", system})
    EXPECT_NE(message.find(place.string()), std::string::npos)
        << place << " not in: " << message;
  EXPECT_NE(message.find("train-images-idx3-ubyte"), std::string::npos)
      << message;
  EXPECT_NE(message.find("apt-get install dataset-fashion-mnist"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("DataTest.cpp"), std::string::npos) << message;

  message = loadError({.download = true, .system_paths = {system}});
  EXPECT_NE(message.find("cannot download"), std::string::npos) << message;
  EXPECT_NE(message.find("install Debian's dataset-fashion-mnist"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("put the IDX files in " + dir_.string()),
            std::string::npos)
      << message;

  // Half a split is reported as such.
  writeFile(images(), idx(0x803, {1, 28, 28}, imagePayload(1)), false);
  message = loadError();
  EXPECT_NE(message.find("holds part of the Fashion-MNIST data set but not "
                         "the training set's " +
                         labels().string() + "[.gz]"),
            std::string::npos)
      << message;
}

// A folder holding part of the data set is used whole or not at all: its
// images are never paired with another copy's labels, nor its test split
// with another copy's training split (both happened, per file).
TEST_F(DataTest, IncompleteFolderIsNeverCompletedFromAnotherCopy) {
  fs::path system = dir_ / "system";
  writeSplit(system, 6);
  writeSplit(system, 6, /*gzip=*/false, "t10k");
  data::FashionMNIST::Options withSystem = {.system_paths = {system}};

  // The user's folder: the test split, and the training images only.
  fs::path mine = dir_ / "mine";
  writeSplit(mine, 3, /*gzip=*/false, "t10k");
  writeFile(mine / "train-images-idx3-ubyte",
            idx(0x803, {3, 28, 28}, imagePayload(3)), false);
  try {
    data::FashionMNIST training(mine, withSystem);
    FAIL() << "trained on " << training.images_file() << " and "
           << training.labels_file();
  } catch (const ember::Error &e) {
    std::string message = e.what();
    EXPECT_NE(message.find((mine / "train-labels-idx1-ubyte").string()),
              std::string::npos)
        << message;
    EXPECT_EQ(message.find(system.string()), std::string::npos) << message;
  }
  // The complete split still loads from the user's folder alone.
  data::FashionMNIST test(mine, {.train = false, .system_paths = {system}});
  EXPECT_EQ(test.size(), 3);

  // Only the test split in the user's folder: training is not taken from
  // the system copy either.
  fs::remove(mine / "train-images-idx3-ubyte");
  try {
    data::FashionMNIST training(mine, withSystem);
    FAIL() << "trained on " << training.images_file();
  } catch (const ember::Error &e) {
    std::string message = e.what();
    EXPECT_NE(message.find((mine / "train-images-idx3-ubyte").string()),
              std::string::npos)
        << message;
    EXPECT_NE(message.find((mine / "train-labels-idx1-ubyte").string()),
              std::string::npos)
        << message;
  }
  // A folder without any of the files is skipped, as before.
  EXPECT_EQ(data::FashionMNIST(dir_ / "empty", withSystem).size(), 6);
}


//===----------------------------------------------------------------------===//
// Malformed files
//===----------------------------------------------------------------------===//

/// Expects loading to fail with a message that names `file` and contains
/// each of `parts`.
#define EXPECT_LOAD_ERROR(file, ...)                                           \
  do {                                                                         \
    std::string message = loadError();                                         \
    ASSERT_FALSE(message.empty()) << "no error";                               \
    EXPECT_NE(message.find((file).string()), std::string::npos) << message;    \
    for (const char *part : {__VA_ARGS__})                                     \
      EXPECT_NE(message.find(part), std::string::npos)                         \
          << "'" << part << "' not in: " << message;                           \
  } while (false)

TEST_F(DataTest, RejectsBadMagic) {
  writeSplit(dir_, 2);
  writeFile(images(), idx(0x801, {2, 28, 28}, imagePayload(2)), false);
  EXPECT_LOAD_ERROR(images(), "bad magic number 0x00000801",
                    "expected 0x00000803");
  writeSplit(dir_, 2);
  writeFile(labels(), idx(0x803, {2}, labelPayload(2)), false);
  EXPECT_LOAD_ERROR(labels(), "bad magic number 0x00000803",
                    "expected 0x00000801");
}

TEST_F(DataTest, RejectsTruncatedData) {
  writeSplit(dir_, 3);
  std::vector<uint8_t> bytes = idx(0x803, {3, 28, 28}, imagePayload(3));
  bytes.resize(bytes.size() - 100);
  writeFile(images(), bytes, false);
  // 16 + 3 * 784 = 2368 bytes expected, 2268 found.
  EXPECT_LOAD_ERROR(images(), "truncated", "expected 2368 bytes", "found 2268");

  fs::remove(images());
  fs::path gz = dir_ / "train-images-idx3-ubyte.gz";
  writeFile(gz, bytes, true);
  EXPECT_LOAD_ERROR(gz, "truncated", "expected 2368 bytes", "found 2268",
                    "after decompression");

  // A header cut short.
  fs::remove(gz);
  writeFile(images(), {0, 0, 8, 3, 0, 0}, false);
  EXPECT_LOAD_ERROR(images(), "IDX header is truncated");
  writeFile(images(), {0, 0}, false);
  EXPECT_LOAD_ERROR(images(), "too short");
}

TEST_F(DataTest, RejectsTrailingData) {
  writeSplit(dir_, 3);
  std::vector<uint8_t> bytes = idx(0x801, {3}, labelPayload(4));
  writeFile(labels(), bytes, false);
  EXPECT_LOAD_ERROR(labels(), "trailing data", "expected 11 bytes", "found 12");
}

TEST_F(DataTest, RejectsCountMismatch) {
  writeSplit(dir_, 3);
  writeFile(labels(), idx(0x801, {4}, labelPayload(4)), false);
  EXPECT_LOAD_ERROR(labels(), "4 labels", "3 images");
}

TEST_F(DataTest, RejectsAbsurdHeaders) {
  writeSplit(dir_, 1);
  writeFile(images(), idx(0x803, {1, 65535, 65535}, {1, 2, 3}), false);
  EXPECT_LOAD_ERROR(images(), "65535x65535 images, expected 28x28");
  // Four billion images: refused before any allocation.
  writeFile(images(), idx(0x803, {0xffffffffu, 28, 28}, {1, 2, 3}), false);
  EXPECT_LOAD_ERROR(images(), "4294967295 images");
}

TEST_F(DataTest, RejectsOutOfRangeLabels) {
  writeSplit(dir_, 4);
  writeFile(labels(), idx(0x801, {4}, {1, 2, 12, 3}), false);
  EXPECT_LOAD_ERROR(labels(), "label 12 at index 2 is outside [0, 9]");
}

// A FIFO in the data set's place is an error at once, not a read that
// waits forever for a writer.
TEST_F(DataTest, FifoIsRejectedWithoutBlocking) {
  writeSplit(dir_, 2);
  fs::remove(labels());
  ASSERT_EQ(mkfifo(labels().c_str(), 0600), 0);
  alarm(60); // A hang kills the test instead of stalling the run.
  EXPECT_LOAD_ERROR(labels(), "a FIFO, not a regular file");
  alarm(0);
}

// Memory is what the header promises, never more: a gzip stream that goes
// on past it is rejected as soon as it does (not decompressed to its end),
// and a header promising more than the file can hold is rejected before
// anything is allocated.
TEST_F(DataTest, GzipLongerOrShorterThanPromisedIsRejectedEarly) {
  writeSplit(dir_, 2);
  fs::remove(labels());
  fs::path gz = dir_ / "train-labels-idx1-ubyte.gz";
  // Two labels promised, then 64 MiB more.
  std::vector<uint8_t> bytes = idx(0x801, {2}, labelPayload(2));
  bytes.resize(bytes.size() + (64 << 20), 0);
  writeFile(gz, bytes, true);
  EXPECT_LOAD_ERROR(gz, "trailing data: expected 10 bytes (8-byte header + 2 "
                        "labels), found more after decompression");

  // Ten million images (7.8 GB) promised by a file of a few bytes.
  writeSplit(dir_, 2);
  fs::remove(images());
  fs::path imagesGz = dir_ / "train-images-idx3-ubyte.gz";
  writeFile(imagesGz, idx(0x803, {10'000'000, 28, 28}, imagePayload(1)), true);
  EXPECT_LOAD_ERROR(imagesGz, "the header promises 10000000 images of 28x28",
                    "more than a gzip file of");
}

TEST_F(DataTest, RejectsGzipGarbage) {
  writeSplit(dir_, 20, /*gzip=*/true);
  fs::path gz = dir_ / "train-images-idx3-ubyte.gz";
  // A damaged deflate stream (or checksum).
  std::vector<uint8_t> bytes = readFile(gz);
  ASSERT_GT(bytes.size(), 64u);
  for (size_t i = 20; i < bytes.size() - 8; i += 7)
    bytes[i] ^= 0x5a;
  writeFile(gz, bytes, false);
  EXPECT_LOAD_ERROR(gz, "corrupt gzip data");

  // A gzip stream cut short.
  writeSplit(dir_, 20, /*gzip=*/true);
  bytes = readFile(gz);
  bytes.resize(bytes.size() / 2);
  writeFile(gz, bytes, false);
  EXPECT_LOAD_ERROR(gz, "corrupt gzip data");

  // Not gzip at all.
  writeFile(gz, {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'}, false);
  EXPECT_LOAD_ERROR(gz, "bad magic number", "not gzipped");
}

//===----------------------------------------------------------------------===//
// Transforms
//===----------------------------------------------------------------------===//

TEST_F(DataTest, ToTensor) {
  writeSplit(dir_, 2);
  data::FashionMNIST dataset(
      dir_, {.transform = transforms::ToTensor(), .system_paths = {}});
  Tensor x = dataset.get(1).data;
  EXPECT_EQ(x.dtype(), DType::Float32);
  EXPECT_EQ(x.shape(), (Shape{1, 28, 28}));
  std::vector<float> values = x.to_vector<float>();
  for (int64_t p = 0; p < kPixels; ++p)
    ASSERT_FLOAT_EQ(values[p], pixelOf(1, p) / 255.0f);

  // [H, W, C] becomes [C, H, W].
  Tensor hwc = empty({2, 3, 2}, DType::UInt8);
  for (int i = 0; i < 12; ++i)
    hwc.data_ptr<uint8_t>()[i] = static_cast<uint8_t>(i * 20);
  Tensor chw = transforms::ToTensor()(hwc);
  EXPECT_EQ(chw.shape(), (Shape{2, 2, 3}));
  std::vector<float> got = chw.to_vector<float>();
  EXPECT_FLOAT_EQ(got[0], 0.0f);
  EXPECT_FLOAT_EQ(got[1], 40 / 255.0f);
  EXPECT_FLOAT_EQ(got[6], 20 / 255.0f);

  try {
    transforms::ToTensor()(x);
    FAIL() << "ToTensor accepted a float tensor";
  } catch (const ember::Error &e) {
    EXPECT_NE(std::string(e.what()).find("expected a uint8 image"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(DataTest, NormalizeAndCompose) {
  transforms::Normalize normalize({0.5}, {0.25});
  Tensor x = tensor(std::vector<float>{0.0f, 0.5f, 1.0f}, {3});
  EXPECT_EQ(normalize(x).to_vector<float>(),
            (std::vector<float>{-2.0f, 0.0f, 2.0f}));

  // Per channel on [C, H, W].
  transforms::Normalize perChannel({0.0, 1.0}, {1.0, 2.0});
  Tensor y = perChannel(tensor(std::vector<float>{1, 2, 3, 4}, {2, 1, 2}));
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{1, 2, 1, 1.5}));
  EXPECT_THROW(perChannel(tensor(std::vector<float>{1, 2, 3}, {3, 1, 1})),
               ember::Error);
  EXPECT_THROW(transforms::Normalize({0.5}, {0.0}), ember::Error);
  EXPECT_THROW(transforms::Normalize({0.5, 0.5}, {1.0}), ember::Error);

  writeSplit(dir_, 3);
  transforms::Compose compose{transforms::ToTensor(),
                              transforms::Normalize({0.5}, {0.5})};
  EXPECT_NE(compose.pixelTable(), nullptr);
  data::FashionMNIST dataset(dir_, {.transform = compose, .system_paths = {}});
  std::vector<float> values = dataset.get(2).data.to_vector<float>();
  for (int64_t p = 0; p < kPixels; ++p)
    ASSERT_FLOAT_EQ(values[p], (pixelOf(2, p) / 255.0f - 0.5f) / 0.5f);
}

TEST_F(DataTest, LambdaAndTargetTransform) {
  writeSplit(dir_, 5);
  // A lazy op inside a Lambda, and a one-hot target.
  auto oneHot = [](const Tensor &y) {
    std::vector<float> v(10, 0.0f);
    v[static_cast<size_t>(y.item<int64_t>())] = 1.0f;
    return tensor(v, {10});
  };
  data::FashionMNIST dataset(
      dir_,
      {.transform = transforms::Compose{transforms::ToTensor(),
                                        transforms::Lambda([](const Tensor &x) {
                                          return x * 2.0;
                                        })},
       .target_transform = oneHot,
       .system_paths = {}});
  EXPECT_EQ(dataset.transform().pixelTable(), nullptr);
  auto [x, y] = dataset.get(4);
  EXPECT_FLOAT_EQ(x.to_vector<float>()[10], 2 * (pixelOf(4, 10) / 255.0f));
  EXPECT_EQ(y.shape(), (Shape{10}));
  EXPECT_EQ(y.to_vector<float>()[labelOf(4)], 1.0f);

  // Batches stack the transformed samples.
  data::DataLoader loader(dataset, {.batch_size = 4});
  auto batch = *loader.begin();
  EXPECT_EQ(batch.data.shape(), (Shape{4, 1, 28, 28}));
  EXPECT_EQ(batch.target.shape(), (Shape{4, 10}));
  EXPECT_EQ(batch.target.dtype(), DType::Float32);
  std::vector<float> data = batch.data.to_vector<float>();
  std::vector<float> targets = batch.target.to_vector<float>();
  for (int64_t i = 0; i < 4; ++i) {
    EXPECT_FLOAT_EQ(data[i * kPixels + 5], 2 * (pixelOf(i, 5) / 255.0f));
    EXPECT_EQ(targets[i * 10 + labelOf(i)], 1.0f);
  }

  // An empty Transform is the identity; Lambda refuses an empty function.
  transforms::Transform none;
  EXPECT_FALSE(none);
  EXPECT_EQ(none(y).node(), y.node());
  EXPECT_THROW(transforms::Lambda(nullptr), ember::Error);
}

//===----------------------------------------------------------------------===//
// DataLoader
//===----------------------------------------------------------------------===//

TEST_F(DataTest, BatchesInOrder) {
  writeSplit(dir_, 10);
  data::FashionMNIST dataset(
      dir_, {.transform = transforms::ToTensor(), .system_paths = {}});
  data::DataLoader loader(dataset, {.batch_size = 4});
  EXPECT_EQ(loader.size(), 3);
  EXPECT_EQ(loader.dataset().size(), 10);

  std::vector<int64_t> sizes;
  int64_t next = 0;
  for (auto [X, y] : loader) {
    int64_t n = X.size(0);
    sizes.push_back(n);
    EXPECT_EQ(X.shape(), (Shape{n, 1, 28, 28}));
    EXPECT_EQ(X.dtype(), DType::Float32);
    EXPECT_EQ(y.shape(), (Shape{n}));
    EXPECT_EQ(y.dtype(), DType::Int64);
    // The fast path agrees bit for bit with the per-sample transform.
    std::vector<float> xs = X.to_vector<float>();
    std::vector<int64_t> ys = y.to_vector<int64_t>();
    for (int64_t i = 0; i < n; ++i, ++next) {
      auto [x1, y1] = dataset.get(next);
      std::vector<float> expected = x1.to_vector<float>();
      ASSERT_TRUE(std::equal(expected.begin(), expected.end(),
                             xs.begin() + i * kPixels))
          << "sample " << next;
      EXPECT_EQ(ys[i], y1.item<int64_t>());
    }
  }
  EXPECT_EQ(sizes, (std::vector<int64_t>{4, 4, 2}));
  EXPECT_EQ(next, 10);

  data::DataLoader dropLast(dataset, {.batch_size = 4, .drop_last = true});
  EXPECT_EQ(dropLast.size(), 2);
  sizes.clear();
  for (const auto &batch : dropLast)
    sizes.push_back(batch.data.size(0));
  EXPECT_EQ(sizes, (std::vector<int64_t>{4, 4}));

  // Exact multiples and oversized batches.
  EXPECT_EQ(data::DataLoader(dataset, {.batch_size = 5}).size(), 2);
  EXPECT_EQ(data::DataLoader(dataset, {.batch_size = 64}).size(), 1);
  EXPECT_EQ(
      data::DataLoader(dataset, {.batch_size = 64, .drop_last = true}).size(),
      0);
  EXPECT_THROW(data::DataLoader(dataset, {.batch_size = 0}), ember::Error);
}

TEST_F(DataTest, ShufflesDeterministically) {
  const int64_t n = 300;
  writeSplit(dir_, n);
  data::FashionMNIST dataset(dir_, local()); // raw uint8: ids readable
  auto epoch = [](const data::DataLoader &loader) {
    std::vector<int64_t> order;
    for (const auto &[X, y] : loader) {
      std::vector<int64_t> ids = sampleIds(X);
      std::vector<int64_t> labels = y.to_vector<int64_t>();
      for (size_t i = 0; i < ids.size(); ++i)
        EXPECT_EQ(labels[i], labelOf(ids[i]));
      order.insert(order.end(), ids.begin(), ids.end());
    }
    return order;
  };

  data::DataLoader a(dataset, {.batch_size = 32, .shuffle = true, .seed = 7});
  data::DataLoader b(dataset, {.batch_size = 32, .shuffle = true, .seed = 7});
  data::DataLoader c(dataset, {.batch_size = 32, .shuffle = true, .seed = 8});
  std::vector<int64_t> a1 = epoch(a), a2 = epoch(a);
  std::vector<int64_t> identity(n);
  for (int64_t i = 0; i < n; ++i)
    identity[i] = i;
  // Every index once per epoch.
  for (const std::vector<int64_t> &order : {a1, a2}) {
    ASSERT_EQ(order.size(), size_t(n));
    std::vector<int64_t> sorted = order;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted, identity);
    EXPECT_NE(order, identity);
  }
  // A new permutation each epoch; the same sequence for the same seed.
  EXPECT_NE(a1, a2);
  EXPECT_EQ(epoch(b), a1);
  EXPECT_EQ(epoch(b), a2);
  EXPECT_NE(epoch(c), a1);

  // drop_last with shuffle: 9 full batches of distinct samples.
  data::DataLoader d(
      dataset,
      {.batch_size = 32, .shuffle = true, .drop_last = true, .seed = 1});
  std::vector<int64_t> dropped = epoch(d);
  EXPECT_EQ(dropped.size(), 288u);
  EXPECT_EQ(std::set<int64_t>(dropped.begin(), dropped.end()).size(), 288u);
}

/// A dataset of its own: sample i is [i, i*i] (float32) with target i % 2.
class Squares : public data::Dataset {
public:
  int64_t size() const override { return 7; }
  data::Example get(int64_t index) const override {
    float v = static_cast<float>(index);
    return {tensor(std::vector<float>{v, v * v}, {2}),
            tensor(std::vector<int64_t>{index % 2}, {})};
  }
};

// torch.utils.data.DistributedSampler's shares, with shuffle off: the order
// padded with its first indices to a multiple of the ranks (or cut, with
// drop_last), rank r taking positions r, r + R, ... (values from PyTorch's
// rule: list(DistributedSampler(range(10), 3, r, shuffle=False))).
TEST_F(DataTest, DistributedSamplerSharesAsPyTorch) {
  using Shares = std::vector<std::vector<int64_t>>;
  auto shares = [](int64_t n, int64_t ranks, bool dropLast) {
    Shares out;
    for (int64_t r = 0; r < ranks; ++r) {
      data::DistributedSampler s(n, {.num_replicas = ranks,
                                     .rank = r,
                                     .shuffle = false,
                                     .drop_last = dropLast});
      out.push_back(s.epoch());
      EXPECT_EQ(s.size(), static_cast<int64_t>(out.back().size()));
    }
    return out;
  };
  EXPECT_EQ(shares(10, 3, false),
            (Shares{{0, 3, 6, 9}, {1, 4, 7, 0}, {2, 5, 8, 1}}));
  EXPECT_EQ(shares(10, 3, true), (Shares{{0, 3, 6}, {1, 4, 7}, {2, 5, 8}}));
  EXPECT_EQ(shares(2, 3, false), (Shares{{0}, {1}, {0}}));
  EXPECT_EQ(shares(2, 3, true), (Shares{{}, {}, {}}));
  EXPECT_EQ(shares(0, 2, false), (Shares{{}, {}}));
  EXPECT_EQ(shares(6, 1, false), (Shares{{0, 1, 2, 3, 4, 5}}));

  // Shuffled: one permutation (of seed + epoch) for all ranks, so the
  // shares are disjoint and cover everything; another each epoch.
  auto epochOf = [](int64_t rank, int64_t epoch) {
    data::DistributedSampler s(11,
                               {.num_replicas = 2, .rank = rank, .seed = 3});
    s.set_epoch(epoch);
    return s.epoch();
  };
  for (int64_t epoch : {0, 1}) {
    std::vector<int64_t> all = epochOf(0, epoch), one = epochOf(1, epoch);
    all.insert(all.end(), one.begin(), one.end());
    ASSERT_EQ(all.size(), 12u); // 11, padded with one
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    EXPECT_EQ(all.size(), 11u);
  }
  EXPECT_NE(epochOf(0, 0), epochOf(0, 1));
  EXPECT_EQ(epochOf(1, 4), epochOf(1, 4));

  // Outside a job: one replica, rank 0, the whole dataset.
  data::DistributedSampler alone(5, {.shuffle = false});
  EXPECT_EQ(alone.num_replicas(), 1);
  EXPECT_EQ(alone.epoch(), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_THROW(data::DistributedSampler(5, {.num_replicas = 2, .rank = 2}),
               Error);
  EXPECT_THROW(data::DistributedSampler(5, {.num_replicas = 0}), Error);
}

TEST_F(DataTest, StacksAnyDataset) {
  data::DataLoader loader(Squares(), {.batch_size = 3});
  EXPECT_EQ(loader.size(), 3);
  EXPECT_EQ(loader.dataset().size(), 7);
  std::vector<Shape> shapes;
  std::vector<float> all;
  for (auto [X, y] : loader) {
    shapes.push_back(X.shape());
    EXPECT_EQ(y.shape(), (Shape{X.size(0)}));
    std::vector<float> v = X.to_vector<float>();
    all.insert(all.end(), v.begin(), v.end());
  }
  EXPECT_EQ(shapes, (std::vector<Shape>{{3, 2}, {3, 2}, {1, 2}}));
  EXPECT_EQ(all,
            (std::vector<float>{0, 0, 1, 1, 2, 4, 3, 9, 4, 16, 5, 25, 6, 36}));

  // collate refuses ragged samples.
  std::vector<data::Example> ragged{
      {tensor(std::vector<float>{1}, {1}), Tensor()},
      {tensor(std::vector<float>{1, 2}, {2}), Tensor()}};
  EXPECT_THROW(data::collate(ragged), ember::Error);
}

// An empty dataset is an error when the loader is made, naming it, not an
// epoch of no batches whose averages divide by zero ("Accuracy: -nan%" in
// the Quickstart's test loop).
TEST_F(DataTest, LoaderOverAnEmptyDatasetIsAnError) {
  writeSplit(dir_, 0);
  data::FashionMNIST empty(dir_, local());
  EXPECT_EQ(empty.size(), 0);
  for (bool shuffle : {false, true}) {
    try {
      data::DataLoader loader(empty, {.batch_size = 4, .shuffle = shuffle});
      FAIL() << "a loader of " << loader.size() << " batches";
    } catch (const ember::Error &e) {
      std::string message = e.what();
      EXPECT_NE(message.find("DataLoader: the dataset "
                             "(ember::data::FashionMNIST) is empty"),
                std::string::npos)
          << message;
      EXPECT_NE(message.find("DataTest.cpp"), std::string::npos) << message;
    }
  }
}

//===----------------------------------------------------------------------===//
// The real dataset
//===----------------------------------------------------------------------===//

TEST(FashionMNISTSystem, LoadsDebianDataset) {
  // The data set is one of scripts/deps.sh's packages: its absence is a
  // missing install step, not a reason to skip.
  ASSERT_TRUE(fs::exists(kSystemDir))
      << kSystemDir << " is absent (apt-get install dataset-fashion-mnist; "
      << "scripts/deps.sh does)";
  fs::path empty = fs::temp_directory_path() / "ember-data-test-no-dataset";
  data::FashionMNIST training(
      empty,
      {.train = true, .download = true, .transform = transforms::ToTensor()});
  data::FashionMNIST test(empty, {.train = false});
  EXPECT_EQ(training.size(), 60000);
  EXPECT_EQ(test.size(), 10000);
  EXPECT_EQ(training.images_file().parent_path(), fs::path(kSystemDir));
  EXPECT_EQ(training.get(0).target.item<int64_t>(), 9);
  EXPECT_EQ(data::FashionMNIST::classes()[9], "Ankle boot");
  EXPECT_EQ(data::FashionMNIST::classes()[0], "T-shirt/top");
  EXPECT_EQ(test.get(0).target.item<int64_t>(), 9);

  data::DataLoader loader(training, {.batch_size = 64, .shuffle = true});
  EXPECT_EQ(loader.size(), 938);
  int64_t samples = 0, batches = 0;
  std::vector<int64_t> perClass(10, 0);
  for (auto [X, y] : loader) {
    if (batches++ == 0) {
      EXPECT_EQ(X.shape(), (Shape{64, 1, 28, 28}));
      EXPECT_EQ(y.shape(), (Shape{64}));
    }
    samples += X.size(0);
    const int64_t *labels = y.data_ptr<int64_t>();
    for (int64_t i = 0; i < y.size(0); ++i)
      ++perClass[labels[i]];
  }
  EXPECT_EQ(samples, 60000);
  EXPECT_EQ(perClass, std::vector<int64_t>(10, 6000));
  // Timing belongs to bench/, not to tests.
}

} // namespace

//===----------------------------------------------------------------------===//
// Samplers, worker threads, random transforms, CIFAR-10
//===----------------------------------------------------------------------===//

namespace {

std::vector<int64_t> range(int64_t n) {
  std::vector<int64_t> v(n);
  for (int64_t i = 0; i < n; ++i)
    v[i] = i;
  return v;
}

std::string errorOf(const std::function<void()> &f) {
  try {
    f();
  } catch (const ember::Error &e) {
    return e.what();
  }
  return "no error";
}

} // namespace

TEST(Samplers, GiveTheirOrders) {
  EXPECT_EQ(data::SequentialSampler(5).epoch(), range(5));
  data::RandomSampler a(50, {.seed = 3}), b(50, {.seed = 3});
  std::vector<int64_t> a1 = a.epoch(), a2 = a.epoch();
  for (const auto &order : {a1, a2}) {
    std::vector<int64_t> sorted = order;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted, range(50));
  }
  EXPECT_NE(a1, a2);
  EXPECT_NE(a1, range(50));
  EXPECT_EQ(b.epoch(), a1);
  // With replacement: num_samples draws, each in range, some repeated.
  data::RandomSampler r(10, {.replacement = true, .num_samples = 40});
  std::vector<int64_t> drawn = r.epoch();
  EXPECT_EQ(r.size(), 40);
  ASSERT_EQ(drawn.size(), 40u);
  EXPECT_LT(std::set<int64_t>(drawn.begin(), drawn.end()).size(), 40u);
  for (int64_t i : drawn)
    EXPECT_TRUE(i >= 0 && i < 10);
  // Without replacement, more than n: whole permutations, then a part.
  std::vector<int64_t> twice =
      data::RandomSampler(10, {.num_samples = 25}).epoch();
  std::vector<int64_t> first(twice.begin(), twice.begin() + 10);
  std::sort(first.begin(), first.end());
  EXPECT_EQ(first, range(10));
  EXPECT_EQ(twice.size(), 25u);
  // A subset, permuted.
  std::vector<int64_t> subset =
      data::SubsetRandomSampler({3, 5, 7, 11}).epoch();
  std::sort(subset.begin(), subset.end());
  EXPECT_EQ(subset, (std::vector<int64_t>{3, 5, 7, 11}));
  EXPECT_THROW(data::RandomSampler(0), ember::Error);
  EXPECT_THROW(data::RandomSampler(5, {.num_samples = 0}), ember::Error);
}

TEST_F(DataTest, LoaderVisitsTheSamplersIndices) {
  writeSplit(dir_, 40);
  data::FashionMNIST dataset(dir_, local());
  auto sampler = std::make_shared<data::SubsetRandomSampler>(
      std::vector<int64_t>{4, 9, 13, 21, 30});
  data::DataLoader loader(dataset, {.batch_size = 2, .sampler = sampler});
  EXPECT_EQ(loader.size(), 3);
  for (int epoch = 0; epoch < 2; ++epoch) {
    std::vector<int64_t> seen;
    for (const auto &[X, y] : loader) {
      std::vector<int64_t> ids = sampleIds(X);
      seen.insert(seen.end(), ids.begin(), ids.end());
    }
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen, (std::vector<int64_t>{4, 9, 13, 21, 30}));
  }
  std::string e = errorOf([&] {
    data::DataLoader both(
        dataset, {.batch_size = 2, .shuffle = true, .sampler = sampler});
  });
  EXPECT_NE(e.find("a sampler and shuffle = true exclude each other"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("DataTest.cpp"), std::string::npos) << e;
  EXPECT_THROW(data::DataLoader(dataset, {.num_workers = -1}), ember::Error);
  // A sampler whose epoch is not as long as its size() says.
  class Liar : public data::Sampler {
  public:
    std::vector<int64_t> epoch() override { return {1, 2}; }
    int64_t size() const override { return 5; }
  };
  data::DataLoader lying(
      dataset, {.batch_size = 2, .sampler = std::make_shared<Liar>()});
  e = errorOf([&] { lying.begin(); });
  EXPECT_NE(e.find("the sampler's epoch has 2 indices, but its size() says 5"),
            std::string::npos)
      << e;
}

/// Worker threads give the very batches the caller's thread gives, random
/// augmentations included; each epoch draws new ones.
TEST_F(DataTest, WorkersGiveTheSameBatches) {
  writeSplit(dir_, 300);
  data::FashionMNIST::Options options = local();
  options.transform =
      transforms::Compose{transforms::RandomCrop(28, /*padding=*/3),
                          transforms::RandomHorizontalFlip()};
  data::FashionMNIST dataset(dir_, options);
  auto epochs = [&](int64_t workers, int64_t prefetch) {
    data::DataLoader loader(dataset, {.batch_size = 32,
                                      .shuffle = true,
                                      .seed = 5,
                                      .num_workers = workers,
                                      .prefetch_factor = prefetch});
    std::vector<std::vector<uint8_t>> out;
    for (int epoch = 0; epoch < 2; ++epoch)
      for (const auto &[X, y] : loader) {
        EXPECT_EQ(X.shape(), (Shape{X.size(0), 28, 28}));
        const uint8_t *p = X.data_ptr<uint8_t>();
        out.emplace_back(p, p + X.numel());
      }
    return out;
  };
  std::vector<std::vector<uint8_t>> inline_ = epochs(0, 2);
  ASSERT_EQ(inline_.size(), 20u);
  EXPECT_EQ(epochs(3, 1), inline_);
  EXPECT_EQ(epochs(2, 4), inline_);
  // The augmentations did something, differently in the two epochs.
  data::DataLoader plain(data::FashionMNIST(dir_, local()),
                         {.batch_size = 32, .shuffle = true, .seed = 5});
  auto first = (*plain.begin()).data;
  const uint8_t *p = first.data_ptr<uint8_t>();
  EXPECT_NE(std::vector<uint8_t>(p, p + first.numel()), inline_[0]);
  EXPECT_NE(inline_[0], inline_[10]);

  // An iterator advanced without reading some batches still gets the next
  // one it reads, even beyond the workers' window (no hang).
  data::DataLoader skipping(dataset, {.batch_size = 4,
                                      .shuffle = true,
                                      .seed = 5,
                                      .num_workers = 1,
                                      .prefetch_factor = 1});
  data::DataLoader reference(dataset,
                             {.batch_size = 4, .shuffle = true, .seed = 5});
  auto it = skipping.begin();
  auto ref = reference.begin();
  for (int i = 0; i < 7; ++i) {
    ++it;
    ++ref;
  }
  const uint8_t *s1 = (*it).data.data_ptr<uint8_t>();
  const uint8_t *s2 = (*ref).data.data_ptr<uint8_t>();
  EXPECT_EQ(std::vector<uint8_t>(s1, s1 + 4 * 28 * 28),
            std::vector<uint8_t>(s2, s2 + 4 * 28 * 28));

  // A batch read twice through copies of an iterator is an error with
  // workers (each batch is made once), not a hang.
  {
    data::DataLoader once(dataset, {.batch_size = 8, .num_workers = 2});
    auto a = once.begin();
    auto b = a;
    (void)*a;
    std::string twice = errorOf([&] { (void)*b; });
    EXPECT_NE(twice.find("batch 0 of this epoch was already read"),
              std::string::npos)
        << twice;
  }
  // The workers hold what they read: an epoch begun on a loader that is
  // gone still gives its batches.
  {
    auto it =
        data::DataLoader(dataset, {.batch_size = 8, .num_workers = 2}).begin();
    EXPECT_EQ((*it).data.size(0), 8);
    ++it;
    EXPECT_EQ((*it).data.size(0), 8);
  }

  // Leaving an epoch early stops the workers (no hang), and an error making
  // a batch surfaces at that batch.
  data::DataLoader early(dataset, {.batch_size = 8, .num_workers = 2});
  for (const auto &[X, y] : early)
    break;
  class Failing : public data::Dataset {
  public:
    int64_t size() const override { return 10; }
    data::Example get(int64_t index) const override {
      if (index == 7)
        throw ember::Error("sample 7 is broken");
      return {tensor(std::vector<float>{float(index)}, {1}), Tensor()};
    }
  };
  data::DataLoader failing(Failing(), {.batch_size = 2, .num_workers = 3});
  int batches = 0;
  std::string e = errorOf([&] {
    for (const auto &[X, y] : failing)
      ++batches;
  });
  EXPECT_EQ(e, "sample 7 is broken");
  EXPECT_EQ(batches, 3);
}

TEST(RandomTransforms, FlipAndCropAsTorchvision) {
  // uint8 [H, W, C] (an image before ToTensor): flipped along W.
  std::vector<uint8_t> hwc(4 * 5 * 3);
  for (size_t i = 0; i < hwc.size(); ++i)
    hwc[i] = static_cast<uint8_t>(i);
  Tensor image = empty({4, 5, 3}, DType::UInt8);
  std::copy(hwc.begin(), hwc.end(), image.data_ptr<uint8_t>());
  auto at = [](const Tensor &t, int64_t i, int64_t j, int64_t c) {
    return t.data_ptr<uint8_t>()[(i * t.size(1) + j) * 3 + c];
  };
  Tensor flipped = transforms::RandomHorizontalFlip(1.0)(image);
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = 0; j < 5; ++j)
      for (int64_t c = 0; c < 3; ++c)
        EXPECT_EQ(at(flipped, i, j, c), at(image, i, 4 - j, c));
  EXPECT_EQ(transforms::RandomHorizontalFlip(0.0)(image).node(), image.node());
  // float [C, H, W]: flipped along the last dim.
  Tensor chw = tensor(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 1, 3});
  EXPECT_EQ(transforms::RandomHorizontalFlip(1.0)(chw).to_vector(),
            (std::vector<float>{3, 2, 1, 6, 5, 4}));
  // A crop is a window of the zero-padded image, at every draw.
  transforms::RandomCrop crop({3, 4}, 2);
  std::set<std::pair<int64_t, int64_t>> corners;
  for (uint64_t s = 0; s < 200; ++s) {
    transforms::seed(s);
    Tensor out = crop(image);
    ASSERT_EQ(out.shape(), (Shape{3, 4, 3}));
    bool found = false;
    for (int64_t top = 0; top <= 8 - 3 && !found; ++top)
      for (int64_t left = 0; left <= 9 - 4 && !found; ++left) {
        bool match = true;
        for (int64_t i = 0; i < 3 && match; ++i)
          for (int64_t j = 0; j < 4 && match; ++j)
            for (int64_t c = 0; c < 3 && match; ++c) {
              int64_t si = top + i - 2, sj = left + j - 2;
              uint8_t want = si >= 0 && si < 4 && sj >= 0 && sj < 5
                                 ? at(image, si, sj, c)
                                 : 0;
              match = at(out, i, j, c) == want;
            }
        if (match) {
          found = true;
          corners.insert({top, left});
        }
      }
    EXPECT_TRUE(found) << "seed " << s;
  }
  EXPECT_EQ(corners.size(), 6u * 6u); // every window position drawn
  // The same seed gives the same crop.
  transforms::seed(42);
  Tensor again1 = crop(image);
  transforms::seed(42);
  Tensor again2 = crop(image);
  const uint8_t *q1 = again1.data_ptr<uint8_t>(),
                *q2 = again2.data_ptr<uint8_t>();
  EXPECT_EQ(std::vector<uint8_t>(q1, q1 + again1.numel()),
            std::vector<uint8_t>(q2, q2 + again2.numel()));
  std::string e = errorOf([&] { transforms::RandomCrop(9)(image); });
  EXPECT_NE(e.find("RandomCrop: the crop 9x9 is larger than the padded image "
                   "4x5"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("transform made at"), std::string::npos);
  EXPECT_THROW(
      transforms::RandomHorizontalFlip(1.0)(zeros({2, 2}, DType::Int64)),
      ember::Error);
  EXPECT_THROW(transforms::RandomHorizontalFlip(1.5), ember::Error);
}

TEST_F(DataTest, Cifar10ReadsTheBinaryVersion) {
  // Each record: a label byte, then R, G, B planes of 32x32.
  auto record = [](int64_t id, uint8_t label) {
    std::string r(1 + 3072, '\0');
    r[0] = static_cast<char>(label);
    for (int64_t c = 0; c < 3; ++c)
      for (int64_t p = 0; p < 1024; ++p)
        r[1 + c * 1024 + p] = static_cast<char>((id * 7 + c * 50 + p) % 251);
    return r;
  };
  fs::path folder = dir_ / "cifar-10-batches-bin";
  fs::create_directories(folder);
  int64_t id = 0;
  for (int b = 1; b <= 5; ++b) {
    std::ofstream out(folder / ("data_batch_" + std::to_string(b) + ".bin"),
                      std::ios::binary);
    for (int k = 0; k < 2; ++k, ++id)
      out << record(id, static_cast<uint8_t>(id % 10));
  }
  {
    std::ofstream out(folder / "test_batch.bin", std::ios::binary);
    for (int k = 0; k < 3; ++k)
      out << record(100 + k, 9);
  }
  data::CIFAR10 train(dir_);
  EXPECT_EQ(train.size(), 10);
  EXPECT_EQ(train.data().shape(), (Shape{10, 32, 32, 3}));
  auto [image, label] = train.get(7);
  EXPECT_EQ(label.item<int64_t>(), 7);
  ASSERT_EQ(image.shape(), (Shape{32, 32, 3}));
  const uint8_t *px = image.data_ptr<uint8_t>();
  for (int64_t p : {0, 33, 1023})
    for (int64_t c = 0; c < 3; ++c)
      EXPECT_EQ(px[p * 3 + c], (7 * 7 + c * 50 + p) % 251);
  data::CIFAR10 test(dir_,
                     {.train = false, .transform = transforms::ToTensor()});
  EXPECT_EQ(test.size(), 3);
  EXPECT_EQ(test.get(2).data.shape(), (Shape{3, 32, 32}));
  EXPECT_FLOAT_EQ(test.get(2).data.to_vector()[1024 + 5],
                  ((102 * 7 + 50 + 5) % 251) / 255.0f);
  EXPECT_EQ(data::CIFAR10::classes()[9], "truck");
  data::DataLoader loader(train, {.batch_size = 4, .num_workers = 2});
  int64_t seen = 0;
  for (const auto &[X, y] : loader)
    seen += X.size(0);
  EXPECT_EQ(seen, 10);

  // Errors name the file and the defect.
  {
    std::ofstream out(folder / "data_batch_3.bin",
                      std::ios::binary | std::ios::app);
    out << "xx";
  }
  std::string e = errorOf([&] { data::CIFAR10 bad(dir_); });
  EXPECT_NE(e.find("data_batch_3.bin has 6148 bytes, not a positive multiple "
                   "of 3073"),
            std::string::npos)
      << e;
  {
    std::ofstream out(folder / "data_batch_3.bin", std::ios::binary);
    out << record(0, 10);
  }
  e = errorOf([&] { data::CIFAR10 bad(dir_); });
  EXPECT_NE(e.find("record 0 of"), std::string::npos) << e;
  EXPECT_NE(e.find("has label 10"), std::string::npos) << e;
  fs::remove(folder / "data_batch_3.bin");
  e = errorOf([&] { data::CIFAR10 bad(dir_); });
  EXPECT_NE(e.find("not data_batch_3.bin"), std::string::npos) << e;
  e = errorOf([&] { data::CIFAR10 none(dir_ / "nowhere"); });
  EXPECT_NE(e.find("Ember cannot download them"), std::string::npos) << e;
}

TEST_F(DataTest, MnistReadsItsFolderNeverTheSystemsFashionMnist) {
  std::string e = errorOf([&] { data::MNIST none(dir_, {.download = true}); });
  // (No system folder: an empty root is an error, never Fashion-MNIST.)
  EXPECT_NE(e.find("MNIST: the training set (train-images-idx3-ubyte[.gz] "
                   "and train-labels-idx1-ubyte[.gz]) is in none of: "),
            std::string::npos)
      << e;
  EXPECT_EQ(e.find("fashion"), std::string::npos) << e;
  EXPECT_NE(e.find("Debian has no package of it"), std::string::npos) << e;
  writeSplit(dir_ / "MNIST" / "raw", 12, /*gzip=*/true);
  data::MNIST digits(dir_, {.transform = transforms::ToTensor()});
  EXPECT_EQ(digits.size(), 12);
  EXPECT_EQ(digits.get(5).target.item<int64_t>(), labelOf(5));
  EXPECT_EQ(digits.get(5).data.shape(), (Shape{1, 28, 28}));
  EXPECT_EQ(data::MNIST::classes()[3], "3 - three");
  e = errorOf([&] { digits.get(12); });
  EXPECT_NE(e.find("MNIST: index 12 is out of range"), std::string::npos) << e;
  EXPECT_EQ(e.find("FashionMNIST"), std::string::npos) << e;
}

//===----------------------------------------------------------------------===//
// ImageFolder, against torchvision's listing and PIL's decoding
//===----------------------------------------------------------------------===//

TEST(ImageFolder, MatchesTorchvision) {
  std::ifstream in(EMBER_IMAGE_FOLDER_JSON);
  nlohmann::json expected = nlohmann::json::parse(in);
  data::ImageFolder folder(EMBER_IMAGE_FOLDER);
  EXPECT_EQ(folder.classes(),
            expected["classes"].get<std::vector<std::string>>());
  EXPECT_EQ(folder.class_to_idx().at("dog"), 1);
  ASSERT_EQ(folder.size(), static_cast<int64_t>(expected["samples"].size()));
  for (int64_t i = 0; i < folder.size(); ++i) {
    const nlohmann::json &want = expected["samples"][i];
    SCOPED_TRACE(want["path"].get<std::string>());
    EXPECT_EQ(
        fs::relative(folder.samples()[i].first, EMBER_IMAGE_FOLDER).string(),
        want["path"].get<std::string>());
    data::Example e = folder.get(i);
    EXPECT_EQ(e.target.item<int64_t>(), want["label"].get<int64_t>());
    EXPECT_EQ(e.data.dtype(), DType::UInt8);
    EXPECT_EQ(e.data.shape(), want["shape"].get<Shape>());
    EXPECT_EQ(e.data.to_vector<int>(), want["pixels"].get<std::vector<int>>());
  }
  // ToTensor makes [3, H, W] floats.
  data::ImageFolder tensors(EMBER_IMAGE_FOLDER,
                            {.transform = transforms::ToTensor()});
  data::Example rgb = tensors.get(2); // cat/rgb.png, [3, 5, 3]
  EXPECT_EQ(rgb.data.shape(), (Shape{3, 3, 5}));
  EXPECT_FLOAT_EQ(rgb.data.to_vector()[0],
                  expected["samples"][2]["pixels"][0].get<int>() / 255.0f);
}

TEST(ImageFolder, RejectsWhatItCannotReadExactly) {
  fs::path root = fs::path(::testing::TempDir()) / "ember_image_folder";
  fs::remove_all(root);
  EXPECT_NE(errorOf([&] { data::ImageFolder x(root); }).find("is not a folder"),
            std::string::npos);
  fs::create_directories(root / "a");
  EXPECT_NE(errorOf([&] { data::ImageFolder x(root); }).find("holds no image"),
            std::string::npos);
  fs::copy_file(fs::path(EMBER_IMAGE_FOLDER) / "cat" / "rgb.png",
                root / "a" / "one.png");
  std::ofstream(root / "a" / "two.bmp") << "BM";
  EXPECT_NE(errorOf([&] { data::ImageFolder x(root); })
                .find("two.bmp' is an image torchvision would load, in a "
                      "format Ember does not decode"),
            std::string::npos);
  fs::remove(root / "a" / "two.bmp");
  // A truncated PNG and a file that is no image: errors naming the file.
  std::ifstream png(root / "a" / "one.png", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(png)), {});
  std::ofstream(root / "a" / "three.png", std::ios::binary)
      << bytes.substr(0, bytes.size() / 2);
  std::ofstream(root / "a" / "zfour.jpg") << "hello";
  data::ImageFolder folder(root);
  ASSERT_EQ(folder.size(), 3);
  EXPECT_EQ(folder.get(0).data.shape(), (Shape{3, 5, 3}));
  EXPECT_NE(errorOf([&] { folder.get(1); }).find("three.png': not a valid PNG"),
            std::string::npos);
  EXPECT_NE(errorOf([&] {
              folder.get(2);
            }).find("zfour.jpg': neither a PNG nor a JPEG file"),
            std::string::npos);
  EXPECT_NE(errorOf([&] { folder.get(3); }).find("out of range"),
            std::string::npos);
  fs::remove_all(root);
}
