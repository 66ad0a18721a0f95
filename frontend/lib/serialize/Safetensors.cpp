//===- Safetensors.cpp - Checkpoints in the safetensors format ------------===//
//
// Part of Ember. Saving writes a temporary file next to the destination,
// fsyncs it, renames it over the destination and fsyncs the directory, so a
// crash or an error never leaves a partial checkpoint behind. Loading
// validates the whole header before it allocates anything: the byte buffer
// must be covered exactly by the tensors' data, so the memory allocated is
// bounded by the size of the file.
//
//===----------------------------------------------------------------------===//

#include "ember/serialize/Safetensors.h"

#include "ember/runtime/File.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <random>
#include <system_error>
#include <tuple>
#include <unordered_set>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

// Safetensors stores elements little-endian, and both directions copy
// element bytes verbatim.
static_assert(std::endian::native == std::endian::little,
              "the safetensors reader and writer assume a little-endian host");

namespace ember {
namespace {

// Not ordered_json: its objects find keys by linear search, which made a
// header of n tensors cost O(n^2) to parse or build (21 s for 80,000).
// Header order is kept separately where it matters.
using Json = nlohmann::json;

/// The header key that holds string-to-string metadata instead of a tensor.
constexpr std::string_view kMetadataKey = "__metadata__";
/// Largest header accepted, as in the reference implementation.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
/// Largest element count accepted for one tensor (checked before allocating).
constexpr uint64_t kMaxElements = uint64_t(1) << 40;
/// Deepest JSON nesting a valid header has (root, tensor entry, shape) plus
/// slack; deeper input is rejected while parsing.
constexpr int kMaxJsonDepth = 8;
/// Largest single read() or write() issued.
constexpr size_t kMaxIoChunk = size_t(1) << 30;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

std::string errnoText(int err) { return std::generic_category().message(err); }

[[noreturn]] void saveError(const std::string &path, const std::string &what) {
  throw Error(fmt::format("save_safetensors: '{}': {}", path, what));
}

[[noreturn]] void loadError(const std::string &path, const std::string &what) {
  throw Error(fmt::format("load_safetensors: '{}': {}", path, what));
}

/// The safetensors spelling of a dtype.
std::string_view safetensorsName(DType dtype) {
  switch (dtype) {
  case DType::Float32: return "F32";
  case DType::Float64: return "F64";
  case DType::Int64: return "I64";
  case DType::UInt8: return "U8";
  case DType::Bool: return "BOOL";
  case DType::Float16:
    return "F16";
  case DType::BFloat16:
    return "BF16";
  }
  return "?";
}

std::optional<DType> parseDType(std::string_view name) {
  for (DType dtype :
       {DType::Float32, DType::Float64, DType::Int64, DType::UInt8, DType::Bool,
        DType::Float16, DType::BFloat16})
    if (safetensorsName(dtype) == name)
      return dtype;
  return std::nullopt;
}

std::string shapeStr(const Shape &shape) { return fe::shapeString(shape); }

/// The tensor's elements (computing them first), for reading or filling.
void *elementBytes(const Tensor &tensor) {
  switch (tensor.dtype()) {
  case DType::Float32: return tensor.data_ptr<float>();
  case DType::Float64: return tensor.data_ptr<double>();
  case DType::Int64: return tensor.data_ptr<int64_t>();
  case DType::UInt8:
  case DType::Bool: return tensor.data_ptr<uint8_t>();
  case DType::Float16:
  case DType::BFloat16:
    return tensor.data_ptr<uint16_t>();
  }
  return nullptr;
}

/// The directory holding `path`.
std::string parentDirectory(const std::string &path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return ".";
  if (slash == 0)
    return "/";
  return path.substr(0, slash);
}

/// A random 64-bit value rendered as hex, for temporary file names.
std::string randomSuffix() {
  uint64_t value;
  try {
    std::random_device device;
    value = (uint64_t(device()) << 32) ^ device();
  } catch (const std::exception &) {
    value = static_cast<uint64_t>(
        std::chrono::steady_clock::now().time_since_epoch().count());
  }
  static std::atomic<uint64_t> counter{0};
  value ^= counter.fetch_add(0x9e3779b97f4a7c15u);
  return fmt::format("{:016x}", value);
}

/// Removes the temporaries `<path>.tmp.<pid>.<suffix>` that saves killed
/// before they could rename (or remove) them left next to `path`, when
/// process `pid` is gone. Best effort: a save never fails for this.
void removeStaleTemporaries(const std::string &path) {
  std::string directory = parentDirectory(path);
  size_t slash = path.find_last_of('/');
  std::string prefix =
      (slash == std::string::npos ? path : path.substr(slash + 1)) + ".tmp.";
  DIR *dir = ::opendir(directory.c_str());
  if (!dir)
    return;
  std::vector<std::string> stale;
  while (const dirent *entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (!name.starts_with(prefix))
      continue;
    // <pid>.<16 hex digits>, exactly as save_safetensors names them.
    std::string_view rest = name.substr(prefix.size());
    size_t dot = rest.find('.');
    if (dot == 0 || dot == std::string_view::npos || dot > 9 ||
        rest.size() - dot - 1 != 16 ||
        rest.substr(0, dot).find_first_not_of("0123456789") !=
            std::string_view::npos ||
        rest.substr(dot + 1).find_first_not_of("0123456789abcdef") !=
            std::string_view::npos)
      continue;
    pid_t pid = static_cast<pid_t>(std::stol(std::string(rest.substr(0, dot))));
    // Our own are in progress in another thread; ESRCH: no such process.
    if (pid > 0 && pid != ::getpid() && ::kill(pid, 0) != 0 && errno == ESRCH)
      stale.emplace_back(name);
  }
  ::closedir(dir);
  for (const std::string &name : stale)
    ::unlink((directory + "/" + name).c_str());
}

/// Writes all of `bytes`; returns 0 or the errno of the failure.
int writeAll(int fd, const void *bytes, size_t size) {
  const char *p = static_cast<const char *>(bytes);
  while (size > 0) {
    ssize_t n = ::write(fd, p, std::min(size, kMaxIoChunk));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return errno;
    }
    if (n == 0)
      return EIO;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return 0;
}

/// Reads exactly `size` bytes at `offset`; returns 0, the errno of the
/// failure, or -1 at a premature end of file.
int readAll(int fd, void *bytes, size_t size, uint64_t offset) {
  char *p = static_cast<char *>(bytes);
  while (size > 0) {
    ssize_t n =
        ::pread(fd, p, std::min(size, kMaxIoChunk), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return errno;
    }
    if (n == 0)
      return -1;
    p += n;
    offset += static_cast<uint64_t>(n);
    size -= static_cast<size_t>(n);
  }
  return 0;
}

/// Closes a file descriptor on scope exit.
struct FdCloser {
  int fd = -1;
  ~FdCloser() {
    if (fd >= 0)
      ::close(fd);
  }
};

/// The temporary file of a save: closed and removed on scope exit unless it
/// has been renamed into place.
struct TempFile {
  std::string path;
  int fd = -1;
  bool renamed = false;
  ~TempFile() {
    if (fd >= 0)
      ::close(fd);
    if (!path.empty() && !renamed)
      ::unlink(path.c_str());
  }
};

//===----------------------------------------------------------------------===//
// Header parsing
//===----------------------------------------------------------------------===//

/// One tensor of a header, validated.
struct TensorRecord {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin, end;
  size_t index; ///< position in the header, to order empty tensors stably
};

/// A non-negative JSON integer, or nothing.
std::optional<uint64_t> asUnsigned(const Json &value) {
  if (!value.is_number_unsigned())
    return std::nullopt;
  return value.get<uint64_t>();
}

/// Why `name` cannot name a tensor ("" if it can): the reference
/// implementation and PyTorch's loaders take names as C strings or dict
/// keys, where an empty name or one cut at a NUL is another tensor's.
std::string badNameReason(std::string_view name) {
  if (name.empty())
    return "a tensor name is empty";
  if (name.find('\0') != std::string_view::npos)
    return fmt::format("the tensor name {} holds a NUL character",
                       Json(std::string(name)).dump());
  return "";
}

/// One pass over the header's JSON before it is parsed into a DOM: rejects
/// unreasonable nesting and duplicate keys, and lists the top-level keys in
/// header order. (nlohmann's callback parser, used before, scans the parent
/// object every time an object ends: quadratic in the number of tensors,
/// 21 s for 80,000.)
class HeaderChecker : public nlohmann::json_sax<Json> {
public:
  HeaderChecker(const std::string &path, std::vector<std::string> &topKeys)
      : path_(path), topKeys_(topKeys) {}

  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t) override { return value(); }
  bool number_unsigned(number_unsigned_t) override { return value(); }
  bool number_float(number_float_t, const string_t &) override {
    return value();
  }
  bool string(string_t &) override { return value(); }
  bool binary(binary_t &) override { return value(); }
  bool start_object(std::size_t) override {
    open();
    keys_.emplace_back();
    return true;
  }
  bool key(string_t &key) override {
    if (!keys_.back().insert(key).second)
      loadError(path_, fmt::format("the header has the key '{}' twice", key));
    if (keys_.size() == 1 && depth_ == 1)
      topKeys_.push_back(key);
    return true;
  }
  bool end_object() override {
    keys_.pop_back();
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    open();
    return true;
  }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t, const std::string &,
                   const nlohmann::detail::exception &e) override {
    loadError(path_,
              fmt::format("the header is not valid JSON: {}", e.what()));
  }

private:
  bool value() {
    if (depth_ > kMaxJsonDepth)
      depthError();
    return true;
  }
  void open() {
    if (++depth_ > kMaxJsonDepth)
      depthError();
  }
  [[noreturn]] void depthError() {
    loadError(path_, fmt::format("the header nests deeper than {} levels",
                                 kMaxJsonDepth));
  }

  const std::string &path_;
  std::vector<std::string> &topKeys_;
  int depth_ = 0;
  /// The keys seen in each object being parsed, innermost last.
  std::vector<std::unordered_set<std::string>> keys_;
};

/// Parses the header text (already stripped of its space padding), rejecting
/// duplicate keys and unreasonable nesting; `topKeys` receives the keys of
/// the top-level object in header order.
Json parseHeaderJson(const std::string &path, const std::string &text,
                     std::vector<std::string> &topKeys) {
  HeaderChecker checker(path, topKeys);
  Json::sax_parse(text, &checker);
  try {
    return Json::parse(text);
  } catch (const nlohmann::json::exception &e) {
    loadError(path, fmt::format("the header is not valid JSON: {}", e.what()));
  }
}

[[noreturn]] void entryError(const std::string &path, const std::string &name,
                             const std::string &what) {
  loadError(path, fmt::format("tensor '{}': {}", name, what));
}

/// Validates one tensor entry of the header.
TensorRecord parseTensorEntry(const std::string &path, const std::string &name,
                              const Json &entry, uint64_t bufferSize) {
  auto fail = [&](const std::string &what) { entryError(path, name, what); };
  if (!entry.is_object())
    fail("the entry is not a JSON object");
  for (const auto &[key, value] : entry.items())
    if (key != "dtype" && key != "shape" && key != "data_offsets")
      fail(fmt::format("unknown field '{}'", key));
  for (const char *key : {"dtype", "shape", "data_offsets"})
    if (!entry.contains(key))
      fail(fmt::format("missing field '{}'", key));

  TensorRecord record;
  record.name = name;

  const Json &dtype = entry["dtype"];
  if (!dtype.is_string())
    fail("'dtype' is not a string");
  std::optional<DType> parsedDType =
      parseDType(dtype.get_ref<const std::string &>());
  if (!parsedDType)
    fail(fmt::format("unsupported dtype '{}' (Ember reads F32, F64, I64, U8 "
                     "and BOOL)",
                     dtype.get_ref<const std::string &>()));
  record.dtype = *parsedDType;

  const Json &shape = entry["shape"];
  if (!shape.is_array())
    fail("'shape' is not an array");
  uint64_t numel = 1;
  for (const Json &dim : shape) {
    if (dim.is_number_integer() && !dim.is_number_unsigned())
      fail(fmt::format("'shape' has the negative size {}", dim.dump()));
    std::optional<uint64_t> size = asUnsigned(dim);
    if (!size)
      fail(fmt::format("'shape' has the non-integer size {}", dim.dump()));
    if (*size > kMaxElements)
      fail(fmt::format("'shape' has the size {}, more than the limit of 2^40 "
                       "elements",
                       *size));
    if (__builtin_mul_overflow(numel, *size, &numel))
      fail("the element count of 'shape' overflows");
    record.shape.push_back(static_cast<int64_t>(*size));
  }
  if (numel > kMaxElements)
    fail(fmt::format("shape {} has {} elements, more than the limit of 2^40",
                     shapeStr(record.shape), numel));

  const Json &offsets = entry["data_offsets"];
  std::optional<uint64_t> begin, end;
  if (offsets.is_array() && offsets.size() == 2) {
    begin = asUnsigned(offsets[0]);
    end = asUnsigned(offsets[1]);
  }
  if (!begin || !end)
    fail(fmt::format("'data_offsets' is {}, not two non-negative integers",
                     offsets.dump()));
  if (*begin > *end)
    fail(fmt::format("'data_offsets' [{}, {}] ends before it begins", *begin,
                     *end));
  if (*end > bufferSize)
    fail(fmt::format("'data_offsets' [{}, {}] lie outside the byte buffer of "
                     "{} bytes",
                     *begin, *end, bufferSize));
  uint64_t expected = numel * dtypeSize(record.dtype);
  if (*end - *begin != expected)
    fail(fmt::format("'data_offsets' [{}, {}] span {} bytes, but {} elements "
                     "of {} take {}",
                     *begin, *end, *end - *begin, numel,
                     safetensorsName(record.dtype), expected));
  record.begin = *begin;
  record.end = *end;
  return record;
}

} // namespace

//===----------------------------------------------------------------------===//
// Saving
//===----------------------------------------------------------------------===//

void save_safetensors(const StateDict &tensors, const std::string &path,
                      const std::map<std::string, std::string> &metadata) {
  if (path.empty())
    saveError(path, "the path is empty");

  // Check the names and realise every tensor before touching the disk.
  // The header is built as text, entry by entry: linear in the number of
  // tensors (names are unique, checked here).
  auto quoted = [&](const std::string &text) {
    try {
      return Json(text).dump(-1, ' ', /*ensure_ascii=*/false,
                             Json::error_handler_t::strict);
    } catch (const nlohmann::json::exception &) {
      saveError(path, "a tensor name or metadata entry is not valid UTF-8");
    }
  };
  std::unordered_set<std::string_view> names;
  std::vector<const void *> data;
  data.reserve(tensors.size());
  // Tensors on a GPU are saved from copies on the host (as torch.save
  // does); the copies live until the file is written.
  std::vector<Tensor> hostCopies;
  std::string headerText = "{";
  if (!metadata.empty()) {
    headerText += quoted(std::string(kMetadataKey)) + ":{";
    for (const auto &[key, value] : metadata)
      headerText += quoted(key) + ":" + quoted(value) + ",";
    headerText.back() = '}';
    headerText += ",";
  }
  uint64_t offset = 0;
  for (const auto &[name, tensor] : tensors) {
    if (name == kMetadataKey)
      saveError(path, fmt::format("'{}' is reserved and cannot name a tensor",
                                  kMetadataKey));
    if (std::string why = badNameReason(name); !why.empty())
      saveError(path, why);
    if (!names.insert(name).second)
      saveError(path, fmt::format("two tensors are named '{}'", name));
    if (!tensor.defined())
      saveError(path, fmt::format("tensor '{}' is undefined", name));
    if (tensor.device().is_cuda()) {
      hostCopies.push_back(tensor.cpu());
      data.push_back(elementBytes(hostCopies.back()));
    } else {
      data.push_back(elementBytes(tensor));
    }
    uint64_t bytes =
        static_cast<uint64_t>(tensor.numel()) * dtypeSize(tensor.dtype());
    headerText += fmt::format(
        "{}:{{\"dtype\":\"{}\",\"shape\":[{}],\"data_offsets\":[{},{}]}},",
        quoted(name), safetensorsName(tensor.dtype()),
        fmt::join(tensor.shape(), ","), offset, offset + bytes);
    offset += bytes;
  }
  if (headerText.size() > 1)
    headerText.pop_back(); // the last ','
  headerText += "}";
  // Pad with spaces so that the byte buffer starts 8-byte aligned, as the
  // reference implementation does.
  headerText.append((8 - headerText.size() % 8) % 8, ' ');
  uint64_t headerSize = headerText.size();

  // Only a regular file is ever replaced: renaming over a FIFO, a device
  // node (/dev/null, as root) or a socket would swap it for a regular file.
  // An existing file keeps its mode and owner (a private 0600 checkpoint
  // must not become world-readable).
  struct stat existing;
  bool exists = ::stat(path.c_str(), &existing) == 0;
  if (!exists && errno != ENOENT)
    saveError(path, fmt::format("cannot stat: {}", errnoText(errno)));
  if (exists && !S_ISREG(existing.st_mode))
    saveError(path, fmt::format("it is {}; only a regular file is replaced "
                                "by a checkpoint",
                                rt::fileKind(existing.st_mode)));

  TempFile temp;
  for (int attempt = 0;; ++attempt) {
    temp.path = fmt::format("{}.tmp.{}.{}", path, ::getpid(), randomSuffix());
    temp.fd = ::open(temp.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                     0666);
    if (temp.fd >= 0)
      break;
    int err = errno;
    if (err != EEXIST || attempt == 16) {
      temp.path.clear(); // Not ours: nothing to remove.
      saveError(path, fmt::format("cannot create the temporary file: {}",
                                  errnoText(err)));
    }
  }

  auto check = [&](int err, std::string_view what) {
    if (err != 0)
      saveError(path, fmt::format("cannot {} '{}': {}", what, temp.path,
                                  errnoText(err)));
  };
  if (exists) {
    // Owner first: a change of owner clears the set-id bits the mode then
    // restores. Only root may give a file away; anyone else's save makes
    // the file theirs, as any editor's would.
    if (::fchown(temp.fd, existing.st_uid, existing.st_gid) != 0 &&
        errno != EPERM)
      check(errno, "set the owner of");
    check(::fchmod(temp.fd, existing.st_mode & 07777) == 0 ? 0 : errno,
          "set the mode of");
  }
  check(writeAll(temp.fd, &headerSize, sizeof(headerSize)), "write");
  check(writeAll(temp.fd, headerText.data(), headerText.size()), "write");
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor &tensor = tensors[i].second;
    check(writeAll(temp.fd, data[i],
                   static_cast<size_t>(tensor.numel()) *
                       dtypeSize(tensor.dtype())),
          "write");
  }
  check(::fsync(temp.fd) == 0 ? 0 : errno, "flush");
  int fd = temp.fd;
  temp.fd = -1;
  check(::close(fd) == 0 ? 0 : errno, "close");
  if (::rename(temp.path.c_str(), path.c_str()) != 0)
    saveError(path, fmt::format("cannot rename '{}' over it: {}", temp.path,
                                errnoText(errno)));
  temp.renamed = true;
  removeStaleTemporaries(path);

  // Make the rename itself durable.
  std::string directory = parentDirectory(path);
  FdCloser dir{::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (dir.fd < 0 || (::fsync(dir.fd) != 0 && errno != EINVAL))
    saveError(path, fmt::format("saved, but cannot flush the directory "
                                "'{}': {}",
                                directory, errnoText(errno)));
}

//===----------------------------------------------------------------------===//
// Loading
//===----------------------------------------------------------------------===//

StateDict load_safetensors(const std::string &path,
                           std::map<std::string, std::string> *metadata) {
  struct stat status;
  std::string why;
  FdCloser file{rt::openRegularFile(path, why, &status)};
  if (file.fd < 0)
    loadError(path, why);
  uint64_t fileSize = static_cast<uint64_t>(status.st_size);

  auto read = [&](void *bytes, size_t size, uint64_t offset) {
    int err = readAll(file.fd, bytes, size, offset);
    if (err == -1)
      loadError(path, "the file ended early (did it change while being read?)");
    if (err != 0)
      loadError(path, fmt::format("cannot read: {}", errnoText(err)));
  };

  // The header length.
  if (fileSize < 8)
    loadError(path, fmt::format("the file has {} bytes, too few for the 8-byte "
                                "header length",
                                fileSize));
  uint64_t headerSize;
  read(&headerSize, sizeof(headerSize), 0);
  if (headerSize > kMaxHeaderBytes)
    loadError(path, fmt::format("the header length {} exceeds the limit of {} "
                                "bytes",
                                headerSize, kMaxHeaderBytes));
  if (headerSize > fileSize - 8)
    loadError(path, fmt::format("the header length {} exceeds the {} bytes "
                                "that follow it",
                                headerSize, fileSize - 8));
  uint64_t bufferStart = 8 + headerSize;
  uint64_t bufferSize = fileSize - bufferStart;

  // The header: a JSON object, padded at the end with spaces only.
  std::string headerText(headerSize, '\0');
  read(headerText.data(), headerText.size(), 8);
  size_t last = headerText.find_last_not_of(' ');
  headerText.resize(last == std::string::npos ? 0 : last + 1);
  if (headerText.empty() || headerText.front() != '{')
    loadError(path, "the header is not a JSON object (it must begin with '{')");
  std::vector<std::string> topKeys;
  Json header = parseHeaderJson(path, headerText, topKeys);
  if (!header.is_object())
    loadError(path, "the header is not a JSON object");
  if (headerText.back() != '}')
    loadError(path, "the header is padded with characters other than spaces");

  // The tensor entries and the metadata.
  std::vector<TensorRecord> records;
  if (metadata)
    metadata->clear();
  records.reserve(topKeys.size());
  for (const std::string &key : topKeys) {
    const Json &value = header.find(key).value();
    if (key != kMetadataKey) {
      if (std::string why = badNameReason(key); !why.empty())
        loadError(path, why);
      records.push_back(parseTensorEntry(path, key, value, bufferSize));
      records.back().index = records.size() - 1;
      continue;
    }
    if (!value.is_object())
      loadError(path, fmt::format("'{}' is not a JSON object", kMetadataKey));
    for (const auto &[metaKey, metaValue] : value.items()) {
      if (!metaValue.is_string())
        loadError(path, fmt::format("'{}' entry '{}' is not a string",
                                    kMetadataKey, metaKey));
      if (metadata)
        (*metadata)[metaKey] = metaValue.get<std::string>();
    }
  }

  // The tensors' data must tile the byte buffer: no overlaps, no holes, no
  // trailing bytes.
  std::sort(records.begin(), records.end(),
            [](const TensorRecord &a, const TensorRecord &b) {
              return std::tie(a.begin, a.end, a.index) <
                     std::tie(b.begin, b.end, b.index);
            });
  uint64_t covered = 0;
  const TensorRecord *previous = nullptr;
  for (const TensorRecord &record : records) {
    if (record.begin < covered)
      loadError(path,
                fmt::format("the data of tensor '{}' [{}, {}] overlaps "
                            "that of tensor '{}' [{}, {}]",
                            record.name, record.begin, record.end,
                            previous->name, previous->begin, previous->end));
    if (record.begin > covered)
      loadError(path, fmt::format("bytes [{}, {}) of the byte buffer belong to "
                                  "no tensor (a hole before tensor '{}')",
                                  covered, record.begin, record.name));
    covered = record.end;
    previous = &record;
  }
  if (covered != bufferSize)
    loadError(path, fmt::format("{} trailing bytes after the last tensor's "
                                "data (bytes [{}, {}) of the byte buffer)",
                                bufferSize - covered, covered, bufferSize));

  // Everything checks out: the total allocated is bufferSize.
  StateDict result;
  result.reserve(records.size());
  for (const TensorRecord &record : records) {
    Tensor tensor = empty(record.shape, record.dtype);
    auto *bytes = static_cast<uint8_t *>(elementBytes(tensor));
    size_t size = static_cast<size_t>(record.end - record.begin);
    read(bytes, size, bufferStart + record.begin);
    if (record.dtype == DType::Bool)
      for (size_t i = 0; i < size; ++i)
        if (bytes[i] > 1)
          loadError(path, fmt::format("tensor '{}': BOOL element {} is the "
                                      "byte {}, not 0 or 1",
                                      record.name, i, bytes[i]));
    result.emplace_back(record.name, std::move(tensor));
  }
  return result;
}

} // namespace ember
