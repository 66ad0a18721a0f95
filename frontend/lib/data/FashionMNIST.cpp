//===- FashionMNIST.cpp - The Fashion-MNIST dataset -----------------------===//
//
// Part of Ember. Finding and reading the IDX files, strictly: every header
// field and the exact size of the data are checked before the data is
// trusted, and every failure names the file.
//
// An IDX file is a big-endian header, the magic number 0x000008NN (0x08:
// unsigned bytes; NN: the number of dimensions), one 32-bit size per
// dimension, then the elements. zlib reads it, gzipped or not.
//
//===----------------------------------------------------------------------===//

#include "ember/data/FashionMNIST.h"

#include "../Realize.h"
#include "Stack.h"

#include "ember/runtime/File.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <new>
#include <optional>

#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace ember::data {
namespace {

using Loc = std::source_location;

constexpr uint32_t kImagesMagic = 0x00000803;
constexpr uint32_t kLabelsMagic = 0x00000801;
/// More images than this is not Fashion-MNIST (it has 70000) but a broken
/// header; refused before anything is allocated.
constexpr int64_t kMaxCount = 10'000'000;
constexpr int64_t kImageBytes = FashionMNIST::kRows * FashionMNIST::kCols;

/// The dataset being loaded on this thread, for errors ("FashionMNIST").
thread_local const char *loading = "FashionMNIST";

[[noreturn]] void fail(const std::string &what, Loc loc) {
  throw Error(
      fmt::format("{}: {} (at {})", loading, what, fe::formatLocation(loc)));
}

[[noreturn]] void failFile(const fs::path &path, const std::string &what,
                           Loc loc) {
  fail(fmt::format("{}: {}", path.string(), what), loc);
}

/// A zlib file handle that closes itself; reads gzipped and plain files.
class IdxReader {
public:
  IdxReader(const fs::path &path, Loc loc) : path_(path), loc_(loc) {
    std::string why;
    struct stat status;
    int fd = rt::openRegularFile(path.string(), why, &status);
    if (fd < 0)
      failFile(path, why, loc);
    fileBytes_ = static_cast<int64_t>(status.st_size);
    file_ = gzdopen(fd, "rb");
    if (!file_) {
      ::close(fd);
      failFile(path, "cannot open: out of memory", loc);
    }
    gzbuffer(file_, 1 << 20);
  }
  ~IdxReader() { gzclose(file_); }
  IdxReader(const IdxReader &) = delete;
  IdxReader &operator=(const IdxReader &) = delete;

  /// Reads the header, checks the magic number and returns the dimensions.
  std::vector<int64_t> readHeader(uint32_t magic, std::string_view kind) {
    uint8_t bytes[4];
    if (read(bytes, 4) != 4)
      failFile(path_,
               fmt::format("too short to be an IDX file ({} bytes)", total_),
               loc_);
    uint32_t found = bigEndian(bytes);
    if (found != magic)
      failFile(path_,
               fmt::format("bad magic number 0x{:08x}, expected 0x{:08x} (an "
                           "IDX file of {}){}",
                           found, magic, kind,
                           gzdirect(file_) && path_.extension() == ".gz"
                               ? "; the file is not gzipped"
                               : ""),
               loc_);
    std::vector<int64_t> dims(magic & 0xff);
    for (int64_t &dim : dims) {
      if (read(bytes, 4) != 4)
        failFile(path_,
                 fmt::format("the IDX header is truncated ({} bytes)", total_),
                 loc_);
      dim = bigEndian(bytes);
    }
    headerBytes_ = total_;
    return dims;
  }

  /// Reads the `count` bytes after the header, which must end the file,
  /// into `dst` (`count` bytes). The caller allocates exactly what the
  /// header promises, after checkPayloadSize(); a gzip stream that goes on
  /// past it is rejected as soon as it does, not decompressed to the end.
  void readPayload(uint8_t *dst, int64_t count, const std::string &layout) {
    size_t got = read(dst, static_cast<size_t>(count));
    int64_t expected = headerBytes_ + count;
    if (static_cast<int64_t>(got) < count)
      sizeError(false, expected, layout, fmt::format("found {}", total_));
    // One byte more is trailing data; none lets zlib check the gzip trailer.
    uint8_t extra;
    if (read(&extra, 1) != 0)
      sizeError(true, expected, layout,
                gzdirect(file_) ? fmt::format("found {}", fileBytes_)
                                : "found more");
  }

  /// Rejects a payload of `count` bytes that the file cannot hold, before
  /// the caller allocates it: a plain file must be exactly that long, and
  /// deflate expands at most 1032 times.
  void checkPayloadSize(int64_t count, const std::string &layout) {
    int64_t expected = headerBytes_ + count;
    if (gzdirect(file_)) {
      if (fileBytes_ != expected)
        sizeError(fileBytes_ > expected, expected, layout,
                  fmt::format("found {}", fileBytes_));
      return;
    }
    constexpr int64_t kMaxDeflateRatio = 1032;
    if (count / kMaxDeflateRatio > fileBytes_)
      failFile(path_,
               fmt::format("the header promises {} ({} bytes), more than a "
                           "gzip file of {} bytes can hold",
                           layout, count, fileBytes_),
               loc_);
  }

private:
  static uint32_t bigEndian(const uint8_t *b) {
    return uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 |
           uint32_t(b[3]);
  }

  [[noreturn]] void sizeError(bool trailing, int64_t expected,
                              const std::string &layout,
                              const std::string &found) {
    failFile(path_,
             fmt::format("{}: expected {} bytes ({}-byte header + {}), {}{}",
                         trailing ? "trailing data" : "truncated", expected,
                         headerBytes_, layout, found,
                         gzdirect(file_) ? "" : " after decompression"),
             loc_);
  }

  /// zlib's message without the "<path>: " it starts with.
  std::string_view zlibMessage(std::string_view message) const {
    std::string prefix = path_.string() + ": ";
    if (message.starts_with(prefix))
      message.remove_prefix(prefix.size());
    return message;
  }

  /// Reads up to `n` bytes; fewer only at the end of the file.
  size_t read(void *dst, size_t n) {
    size_t done = 0;
    while (done < n) {
      unsigned want =
          static_cast<unsigned>(std::min<size_t>(n - done, 1u << 30));
      int got = gzread(file_, static_cast<uint8_t *>(dst) + done, want);
      int err = Z_OK;
      const char *message = gzerror(file_, &err);
      if (err == Z_ERRNO)
        failFile(path_, fmt::format("cannot read ({})", std::strerror(errno)),
                 loc_);
      if (got < 0 || err != Z_OK)
        failFile(
            path_,
            fmt::format("corrupt gzip data{} (zlib: {})",
                        err == Z_BUF_ERROR ? ": the stream is truncated" : "",
                        zlibMessage(message)),
            loc_);
      done += static_cast<size_t>(got);
      total_ += got;
      if (static_cast<unsigned>(got) < want)
        break;
    }
    return done;
  }

  fs::path path_;
  Loc loc_;
  gzFile file_ = nullptr;
  int64_t total_ = 0;
  int64_t headerBytes_ = 0;
  int64_t fileBytes_ = 0; ///< the size on disk (compressed, if gzipped)
};

/// The path of `name` or `name.gz` in `dir`, whichever exists (the plain
/// one first). Anything but a directory counts, so that a FIFO or device
/// there is an error naming it (IdxReader refuses it), not a file skipped.
std::optional<fs::path> findFile(const fs::path &dir, const std::string &name) {
  for (const fs::path &candidate : {dir / name, dir / (name + ".gz")}) {
    std::error_code ec;
    fs::file_status status = fs::status(candidate, ec);
    if (fs::exists(status) && !fs::is_directory(status))
      return candidate;
  }
  return std::nullopt;
}

} // namespace

const FashionMNIST::Variant FashionMNIST::kFashion{
    "FashionMNIST", "Fashion-MNIST",
    "install Debian's dataset-fashion-mnist (apt-get install "
    "dataset-fashion-mnist) or put the IDX files in"};

FashionMNIST::FashionMNIST(fs::path root, Options options, Loc loc)
    : FashionMNIST(std::move(root), std::move(options), loc, kFashion) {}

FashionMNIST::FashionMNIST(fs::path root, Options options, Loc loc,
                           const Variant &variant)
    : name_(variant.name), train_(options.train),
      transform_(std::move(options.transform)),
      targetTransform_(std::move(options.target_transform)) {
  struct Loading {
    const char *before = loading;
    explicit Loading(const char *name) { loading = name; }
    ~Loading() { loading = before; }
  } naming(variant.name);
  std::string prefix = train_ ? "train" : "t10k";
  std::string imagesName = prefix + "-images-idx3-ubyte";
  std::string labelsName = prefix + "-labels-idx1-ubyte";

  // The data set is the first folder holding any of its four files, and
  // is used whole: taking the images from one copy and the labels (or the
  // other split) from another would silently train and test on different
  // data sets.
  std::vector<fs::path> folders{root, root / variant.name / "raw"};
  folders.insert(folders.end(), options.system_paths.begin(),
                 options.system_paths.end());
  for (const fs::path &folder : folders) {
    bool holdsAny = false;
    for (const char *split : {"train", "t10k"})
      for (const char *kind : {"images-idx3-ubyte", "labels-idx1-ubyte"})
        holdsAny = holdsAny ||
                   findFile(folder, fmt::format("{}-{}", split, kind));
    if (!holdsAny)
      continue;
    std::optional<fs::path> images = findFile(folder, imagesName);
    std::optional<fs::path> labels = findFile(folder, labelsName);
    if (!images || !labels) {
      std::vector<std::string> missing;
      for (const auto &[file, name] :
           {std::pair{images, imagesName}, std::pair{labels, labelsName}})
        if (!file)
          missing.push_back((folder / name).string() + "[.gz]");
      fail(fmt::format("{} holds part of the {} data set but not "
                       "the {} set's {}; a data set folder is used whole, "
                       "never completed from another copy: add the missing "
                       "file or remove the folder's IDX files",
                       folder.string(), variant.title,
                       train_ ? "training" : "test",
                       fmt::join(missing, " and ")),
           loc);
    }
    imagesFile_ = *images;
    labelsFile_ = *labels;
    break;
  }
  if (imagesFile_.empty()) {
    std::vector<std::string> looked;
    for (const fs::path &folder : folders)
      looked.push_back(folder.string());
    fail(fmt::format("the {} set ({}[.gz] and {}[.gz]) is in none of: {}. {}"
                     "{} {}",
                     train_ ? "training" : "test", imagesName, labelsName,
                     fmt::join(looked, ", "),
                     options.download
                         ? "Ember cannot download it (it has no network "
                           "code): "
                         : "To get it, ",
                     variant.install, root.string()),
         loc);
  }

  // Images: [N, 28, 28] unsigned bytes, read straight into the tensor.
  // Memory is what the header promises, once the file is known to be able
  // to hold it; an allocation refused anyway is an error naming the file.
  auto outOfMemory = [&](const fs::path &file) {
    failFile(file, "out of memory while reading it", loc);
  };
  try {
    IdxReader reader(imagesFile_, loc);
    std::vector<int64_t> dims = reader.readHeader(kImagesMagic, "images");
    if (dims[1] != kRows || dims[2] != kCols)
      failFile(imagesFile_,
               fmt::format("the header says {}x{} images, expected {}x{}",
                           dims[1], dims[2], kRows, kCols),
               loc);
    if (dims[0] > kMaxCount)
      failFile(imagesFile_,
               fmt::format("the header says {} images, more than the {} "
                           "allowed",
                           dims[0], kMaxCount),
               loc);
    count_ = dims[0];
    std::string layout =
        fmt::format("{} images of {}x{}", count_, kRows, kCols);
    reader.checkPayloadSize(count_ * kImageBytes, layout);
    try {
      images_ = fe::uninitialized({count_, kRows, kCols}, DType::UInt8);
    } catch (const Error &e) {
      // Out of host memory for the images: say which file needed it.
      std::string what = e.what();
      if (what.rfind("ember: ", 0) == 0)
        what.erase(0, 7);
      failFile(imagesFile_, what, loc);
    }
    reader.readPayload(images_.data_ptr<uint8_t>(), count_ * kImageBytes,
                       layout);
  } catch (const std::bad_alloc &) {
    outOfMemory(imagesFile_);
  }

  // Labels: [N] unsigned bytes in [0, 9].
  try {
    IdxReader reader(labelsFile_, loc);
    std::vector<int64_t> dims = reader.readHeader(kLabelsMagic, "labels");
    if (dims[0] != count_)
      failFile(labelsFile_,
               fmt::format("the header says {} labels, but {} holds {} images",
                           dims[0], imagesFile_.string(), count_),
               loc);
    std::string layout = fmt::format("{} labels", count_);
    reader.checkPayloadSize(count_, layout);
    std::vector<uint8_t> bytes(static_cast<size_t>(count_));
    reader.readPayload(bytes.data(), count_, layout);
    labels_ = fe::uninitialized({count_}, DType::Int64);
    int64_t *dst = labels_.data_ptr<int64_t>();
    for (int64_t i = 0; i < count_; ++i) {
      if (bytes[i] >= kNumClasses)
        failFile(labelsFile_,
                 fmt::format("label {} at index {} is outside [0, {}]",
                             bytes[i], i, kNumClasses - 1),
                 loc);
      dst[i] = bytes[i];
    }
  } catch (const std::bad_alloc &) {
    outOfMemory(labelsFile_);
  }
  pixels_ = images_.data_ptr<uint8_t>();
  targets_ = labels_.data_ptr<int64_t>();
}

const std::vector<std::string> &FashionMNIST::classes() {
  static const std::vector<std::string> names{
      "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
      "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

int64_t FashionMNIST::checkIndex(int64_t index) const {
  int64_t i = index < 0 ? index + count_ : index;
  if (i < 0 || i >= count_)
    throw Error(fmt::format("{}: index {} is out of range for a "
                            "dataset of {} samples",
                            name_, index, count_));
  return i;
}

Tensor FashionMNIST::rawImage(int64_t index) const {
  Tensor image = fe::uninitialized({kRows, kCols}, DType::UInt8);
  std::memcpy(image.data_ptr<uint8_t>(), pixels_ + index * kImageBytes,
              kImageBytes);
  return image;
}

Tensor FashionMNIST::rawLabel(int64_t index) const {
  Tensor label = fe::uninitialized({}, DType::Int64);
  *label.data_ptr<int64_t>() = targets_[index];
  return label;
}

Example FashionMNIST::get(int64_t index) const {
  int64_t i = checkIndex(index);
  return {transform_(rawImage(i)), targetTransform_(rawLabel(i))};
}

Batch FashionMNIST::get_batch(std::span<const int64_t> indices) const {
  std::vector<int64_t> rows(indices.size());
  for (size_t k = 0; k < indices.size(); ++k)
    rows[k] = checkIndex(indices[k]);
  int64_t n = static_cast<int64_t>(rows.size());

  // Shuffled rows are scattered over the 47 MB of pixels: fetching the
  // next image while this one is copied hides most of the cache misses.
  auto prefetchImage = [this](int64_t row) {
    const uint8_t *image = pixels_ + row * kImageBytes;
    for (int64_t line = 0; line < kImageBytes; line += 64)
      __builtin_prefetch(image + line);
  };
  Batch batch;
  if (!transform_) {
    batch.data = fe::uninitialized({n, kRows, kCols}, DType::UInt8);
    uint8_t *dst = batch.data.data_ptr<uint8_t>();
    for (size_t k = 0; k < rows.size(); ++k) {
      if (k + 1 < rows.size())
        prefetchImage(rows[k + 1]);
      std::memcpy(dst, pixels_ + rows[k] * kImageBytes, kImageBytes);
      dst += kImageBytes;
    }
  } else if (const transforms::Transform::PixelTable *table =
                 transform_.pixelTable()) {
    batch.data = fe::uninitialized({n, 1, kRows, kCols}, DType::Float32);
    float *dst = batch.data.data_ptr<float>();
    for (size_t k = 0; k < rows.size(); ++k) {
      if (k + 1 < rows.size())
        prefetchImage(rows[k + 1]);
      const uint8_t *src = pixels_ + rows[k] * kImageBytes;
      for (int64_t p = 0; p < kImageBytes; ++p)
        dst[p] = (*table)[src[p]];
      dst += kImageBytes;
    }
  } else {
    std::vector<Tensor> images;
    images.reserve(rows.size());
    for (int64_t row : rows)
      images.push_back(transform_(rawImage(row)));
    batch.data = stackSamples(images, name_, "data");
  }

  if (!targetTransform_) {
    batch.target = fe::uninitialized({n}, DType::Int64);
    int64_t *dst = batch.target.data_ptr<int64_t>();
    for (int64_t k = 0; k < n; ++k)
      dst[k] = targets_[rows[k]];
  } else {
    std::vector<Tensor> labels;
    labels.reserve(rows.size());
    for (int64_t row : rows)
      labels.push_back(targetTransform_(rawLabel(row)));
    batch.target = stackSamples(labels, name_, "target");
  }
  return batch;
}

const FashionMNIST::Variant MNIST::kDigits{
    "MNIST", "MNIST",
    "Debian has no package of it: put its IDX files (from "
    "http://yann.lecun.com/exdb/mnist/) in"};

MNIST::MNIST(fs::path root, MNISTOptions options, Loc loc)
    : FashionMNIST(std::move(root),
                   {.train = options.train,
                    .download = options.download,
                    .transform = std::move(options.transform),
                    .target_transform = std::move(options.target_transform),
                    .system_paths = {}},
                   loc, kDigits) {}

const std::vector<std::string> &MNIST::classes() {
  static const std::vector<std::string> names{
      "0 - zero", "1 - one", "2 - two",   "3 - three", "4 - four",
      "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"};
  return names;
}

} // namespace ember::data
