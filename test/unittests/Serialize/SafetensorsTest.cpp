//===- SafetensorsTest.cpp - Tests of safetensors checkpoints -------------===//
//
// Part of Ember. Round trips (bit for bit), the layout of what we write, the
// atomicity of saving, the rejection of every kind of malformed file, and a
// file written by the reference `safetensors` package (fixture.safetensors,
// from gen_fixture.py).
//
//===----------------------------------------------------------------------===//

#include "ember/serialize/Safetensors.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include <csignal>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace ember;
namespace fs = std::filesystem;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// A fresh directory, removed with everything in it at the end of the test.
class SafetensorsTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern =
        (fs::temp_directory_path() / "ember-safetensors-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(dir, ec);
  }

  std::string file(const std::string &name) const {
    return (dir / name).string();
  }

  /// The names in the test directory, sorted.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto &entry : fs::directory_iterator(dir))
      names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path dir;
};

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void writeFile(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

/// The 8-byte little-endian encoding of `n`.
std::string u64(uint64_t n) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out;
}

/// A safetensors file with the given header text and byte buffer.
std::string safetensorsFile(const std::string &header,
                            const std::string &buffer = "") {
  return u64(header.size()) + header + buffer;
}

/// The raw element bytes of a tensor.
std::string rawBytes(const Tensor &t) {
  size_t size = static_cast<size_t>(t.numel()) * dtypeSize(t.dtype());
  const void *p = nullptr;
  switch (t.dtype()) {
  case DType::Float32: p = t.data_ptr<float>(); break;
  case DType::Float64: p = t.data_ptr<double>(); break;
  case DType::Int64: p = t.data_ptr<int64_t>(); break;
  case DType::UInt8:
  case DType::Bool: p = t.data_ptr<uint8_t>(); break;
  }
  return std::string(static_cast<const char *>(p), size);
}

/// A tensor of `shape` and `dtype` holding the given elements.
template <typename T>
Tensor filled(Shape shape, DType dtype, const std::vector<T> &values) {
  Tensor t = empty(std::move(shape), dtype);
  EXPECT_EQ(static_cast<size_t>(t.numel()), values.size());
  using Storage = std::conditional_t<std::is_same_v<T, bool>, uint8_t, T>;
  Storage *p = t.data_ptr<Storage>();
  for (size_t i = 0; i < values.size(); ++i)
    p[i] = static_cast<Storage>(values[i]);
  return t;
}

float floatFromBits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

double doubleFromBits(uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, sizeof(d));
  return d;
}

/// Tensors of every dtype, with awkward values (signed zero, NaN payloads,
/// infinities, subnormals, extreme integers) and awkward shapes (rank 0,
/// empty).
StateDict sampleTensors() {
  return {
      {"f32", filled<float>({2, 3}, DType::Float32,
                            {0.0f, -0.0f, floatFromBits(0x7fc01234),
                             std::numeric_limits<float>::infinity(),
                             std::numeric_limits<float>::denorm_min(), -1.5f})},
      {"f64", filled<double>({3}, DType::Float64,
                             {0.1, doubleFromBits(0xfff8000000abcdefULL),
                              -std::numeric_limits<double>::max()})},
      {"i64", filled<int64_t>({2, 2}, DType::Int64,
                              {std::numeric_limits<int64_t>::min(),
                               std::numeric_limits<int64_t>::max(), -1, 0})},
      {"u8", filled<uint8_t>({4}, DType::UInt8, {0, 1, 127, 255})},
      {"mask", filled<bool>({1, 3}, DType::Bool, {true, false, true})},
      {"scalar", filled<float>({}, DType::Float32, {3.5f})},
      {"empty", filled<float>({0, 4}, DType::Float32, {})},
      {"empty_i64", filled<int64_t>({3, 0}, DType::Int64, {})},
      {"one", filled<double>({1, 1, 1}, DType::Float64, {-2.25})},
  };
}

void expectSame(const StateDict &expected, const StateDict &actual) {
  ASSERT_EQ(expected.size(), actual.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE(expected[i].first);
    EXPECT_EQ(expected[i].first, actual[i].first);
    EXPECT_EQ(expected[i].second.shape(), actual[i].second.shape());
    EXPECT_EQ(expected[i].second.dtype(), actual[i].second.dtype());
    EXPECT_EQ(rawBytes(expected[i].second), rawBytes(actual[i].second));
  }
}

/// Expects loading `path` to throw an ember::Error that names the file and
/// contains `fragment`.
void expectLoadError(const std::string &path, const std::string &fragment) {
  try {
    load_safetensors(path);
    ADD_FAILURE() << "loading did not fail; expected: " << fragment;
  } catch (const Error &e) {
    std::string message = e.what();
    EXPECT_NE(message.find(fragment), std::string::npos)
        << "message: " << message << "\nexpected: " << fragment;
    EXPECT_NE(message.find("'" + path + "'"), std::string::npos)
        << "message does not name the file: " << message;
  }
}

/// Runs `save` expecting an ember::Error that names `path` and contains
/// `fragment`.
template <typename F>
void expectSaveError(F save, const std::string &path,
                     const std::string &fragment) {
  try {
    save();
    ADD_FAILURE() << "saving did not fail; expected: " << fragment;
  } catch (const Error &e) {
    std::string message = e.what();
    EXPECT_NE(message.find(fragment), std::string::npos)
        << "message: " << message << "\nexpected: " << fragment;
    EXPECT_NE(message.find("'" + path + "'"), std::string::npos)
        << "message does not name the file: " << message;
  }
}

//===----------------------------------------------------------------------===//
// Round trips and layout
//===----------------------------------------------------------------------===//

TEST_F(SafetensorsTest, RoundTripIsBitIdentical) {
  StateDict tensors = sampleTensors();
  std::string path = file("model.safetensors");
  save_safetensors(tensors, path);
  StateDict loaded = load_safetensors(path);
  expectSame(tensors, loaded);
  EXPECT_EQ(entries(), std::vector<std::string>{"model.safetensors"});

  // A second trip gives the same file byte for byte.
  std::string again = file("again.safetensors");
  save_safetensors(loaded, again);
  EXPECT_EQ(readFile(path), readFile(again));
}

TEST_F(SafetensorsTest, OrderIsTheSavedOrder) {
  StateDict tensors = {
      {"z", filled<float>({1}, DType::Float32, {1})},
      {"a", filled<int64_t>({2}, DType::Int64, {2, 3})},
      {"m", filled<uint8_t>({3}, DType::UInt8, {4, 5, 6})},
  };
  std::string path = file("order.safetensors");
  save_safetensors(tensors, path);
  StateDict loaded = load_safetensors(path);
  ASSERT_EQ(loaded.size(), 3u);
  EXPECT_EQ(loaded[0].first, "z");
  EXPECT_EQ(loaded[1].first, "a");
  EXPECT_EQ(loaded[2].first, "m");
  EXPECT_EQ(loaded[1].second.to_vector<int64_t>(),
            (std::vector<int64_t>{2, 3}));
}

TEST_F(SafetensorsTest, WritesTheSpecifiedLayout) {
  std::string path = file("layout.safetensors");
  save_safetensors({{"w", filled<float>({2}, DType::Float32, {1.0f, -2.0f})}},
                   path);
  std::string bytes = readFile(path);
  std::string json =
      R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  // Padded with spaces so that the byte buffer starts 8-byte aligned.
  std::string header = json + std::string((8 - json.size() % 8) % 8, ' ');
  float values[] = {1.0f, -2.0f};
  EXPECT_EQ(bytes, safetensorsFile(header,
                                   std::string(reinterpret_cast<char *>(values),
                                               sizeof(values))));
}

TEST_F(SafetensorsTest, EmptyStateDict) {
  std::string path = file("nothing.safetensors");
  save_safetensors({}, path);
  EXPECT_TRUE(load_safetensors(path).empty());
}

TEST_F(SafetensorsTest, MetadataRoundTrip) {
  std::map<std::string, std::string> metadata = {
      {"format", "pt"},
      {"epoch", "12"},
      {"note", "quotes \" and \\ and \xc3\xbcnicode"},
      {"", "empty key"}};
  std::string path = file("meta.safetensors");
  save_safetensors(sampleTensors(), path, metadata);

  std::map<std::string, std::string> loadedMetadata = {{"stale", "entry"}};
  StateDict loaded = load_safetensors(path, &loadedMetadata);
  EXPECT_EQ(loadedMetadata, metadata);
  expectSame(sampleTensors(), loaded);

  // A file without metadata gives an empty map.
  save_safetensors(sampleTensors(), path);
  load_safetensors(path, &loadedMetadata);
  EXPECT_TRUE(loadedMetadata.empty());
  EXPECT_EQ(readFile(path).find("__metadata__"), std::string::npos);
}

TEST_F(SafetensorsTest, SaveRejectsBadNames) {
  std::string path = file("bad.safetensors");
  Tensor t = filled<float>({1}, DType::Float32, {1});
  expectSaveError(
      [&] {
        save_safetensors({{"x", t}, {"x", t}}, path);
      },
      path, "two tensors are named 'x'");
  expectSaveError(
      [&] {
        save_safetensors({{"__metadata__", t}}, path);
      },
      path, "'__metadata__' is reserved");
  expectSaveError(
      [&] {
        save_safetensors({{"u", Tensor()}}, path);
      },
      path, "tensor 'u' is undefined");
  expectSaveError(
      [&] {
        save_safetensors({{"bad\xff", t}}, path);
      },
      path, "not valid UTF-8");
  expectSaveError([&] { save_safetensors({}, ""); }, "", "the path is empty");
  EXPECT_TRUE(entries().empty());
}

//===----------------------------------------------------------------------===//
// Atomic saving
//===----------------------------------------------------------------------===//

TEST_F(SafetensorsTest, SaveReplacesAnExistingFile) {
  std::string path = file("ckpt.safetensors");
  save_safetensors({{"old", filled<float>({1}, DType::Float32, {1})}}, path);
  StateDict tensors = sampleTensors();
  save_safetensors(tensors, path);
  expectSame(tensors, load_safetensors(path));
  EXPECT_EQ(entries(), std::vector<std::string>{"ckpt.safetensors"});
}

// Only a regular file is replaced: a FIFO, a device (through a link to
// /dev/null here; as root, saving to /dev/null itself replaced the node) or
// a socket at the path is an error, and stays as it was.
TEST_F(SafetensorsTest, SaveReplacesNothingButARegularFile) {
  Tensor t = filled<float>({1}, DType::Float32, {1});
  std::string fifo = file("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  expectSaveError([&] { save_safetensors({{"t", t}}, fifo); }, fifo,
                  "it is a FIFO; only a regular file is replaced");
  EXPECT_TRUE(fs::is_fifo(fifo));

  std::string null = file("null");
  fs::create_symlink("/dev/null", null);
  expectSaveError([&] { save_safetensors({{"t", t}}, null); }, null,
                  "it is a character device");
  EXPECT_TRUE(fs::is_symlink(null));
  EXPECT_TRUE(fs::is_character_file("/dev/null"));

  std::string socketPath = file("socket");
  int sock = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(sock, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  ASSERT_LT(socketPath.size(), sizeof(address.sun_path));
  std::strcpy(address.sun_path, socketPath.c_str());
  ASSERT_EQ(::bind(sock, reinterpret_cast<sockaddr *>(&address),
                   sizeof(address)),
            0);
  expectSaveError([&] { save_safetensors({{"t", t}}, socketPath); },
                  socketPath, "it is a socket");
  EXPECT_TRUE(fs::is_socket(socketPath));
  ::close(sock);

  expectSaveError([&] { save_safetensors({{"t", t}}, dir.string()); },
                  dir.string(), "it is a directory");
  EXPECT_EQ(entries(), (std::vector<std::string>{"fifo", "null", "socket"}))
      << "no temporary file left";
}

// Saving over a checkpoint keeps its mode (a private 0600 file became 0644)
// and its owner.
TEST_F(SafetensorsTest, SaveKeepsTheModeAndOwnerOfTheFileItReplaces) {
  std::string path = file("private.safetensors");
  Tensor t = filled<float>({1}, DType::Float32, {1});
  save_safetensors({{"t", t}}, path);
  for (mode_t mode : {mode_t(0600), mode_t(0640), mode_t(0604)}) {
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    save_safetensors({{"t", t}}, path);
    struct stat st;
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, mode);
  }
  if (::geteuid() == 0) { // only root can give a file away
    ASSERT_EQ(::chown(path.c_str(), 65534, 65534), 0);
    save_safetensors({{"t", t}}, path);
    struct stat st;
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 65534u);
    EXPECT_EQ(st.st_gid, 65534u);
    EXPECT_EQ(st.st_mode & 07777, 0604u);
  }
  expectSame({{"t", t}}, load_safetensors(path));
}

// Temporaries of saves that were killed (SIGKILL, power loss) before they
// renamed or removed them are removed by the next save to the same path,
// when their process is gone; a live process's are left alone.
TEST_F(SafetensorsTest, SaveRemovesTheStaleTemporariesOfDeadSaves) {
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0)
    ::_exit(0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  std::string path = file("ckpt.safetensors");
  std::string dead = "ckpt.safetensors.tmp." + std::to_string(child) +
                     ".0123456789abcdef";
  std::string live = "ckpt.safetensors.tmp." + std::to_string(::getppid()) +
                     ".fedcba9876543210";
  std::string other = "other.safetensors.tmp." + std::to_string(child) +
                      ".0123456789abcdef";
  std::string notOurs = "ckpt.safetensors.tmp.notes";
  for (const std::string &name : {dead, live, other, notOurs})
    writeFile(file(name), "partial");
  save_safetensors({{"t", filled<float>({1}, DType::Float32, {1})}}, path);
  std::vector<std::string> expected = {"ckpt.safetensors", live, notOurs,
                                       other};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(entries(), expected);
}

TEST_F(SafetensorsTest, FailedWriteKeepsTheOldFile) {
  // Fail the write half-way with a file size limit (this works as root too):
  // the write returns EFBIG once the file would grow past the limit.
  std::string path = file("ckpt.safetensors");
  StateDict good = sampleTensors();
  save_safetensors(good, path);
  std::string before = readFile(path);

  Tensor big = empty({1 << 20}, DType::Float32);
  struct rlimit saved;
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  struct rlimit limited = saved;
  limited.rlim_cur = 64 * 1024;
  auto oldHandler = std::signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limited), 0);
  std::string message;
  try {
    save_safetensors({{"big", big}}, path);
  } catch (const Error &e) {
    message = e.what();
  }
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &saved), 0);
  std::signal(SIGXFSZ, oldHandler);

  EXPECT_NE(message.find("'" + path + "'"), std::string::npos) << message;
  EXPECT_NE(message.find(std::strerror(EFBIG)), std::string::npos) << message;
  EXPECT_EQ(readFile(path), before);
  expectSame(good, load_safetensors(path));
  EXPECT_EQ(entries(), std::vector<std::string>{"ckpt.safetensors"});
}

TEST_F(SafetensorsTest, FailedRenameRemovesTheTemporaryFile) {
  // A non-empty directory where the checkpoint should go. (Once the rename
  // failed on it; now it is refused before anything is written, like any
  // path that is not a regular file.)
  std::string path = file("ckpt.safetensors");
  fs::create_directory(path);
  writeFile(path + "/keep", "x");
  expectSaveError([&] { save_safetensors(sampleTensors(), path); }, path,
                  "it is a directory");
  EXPECT_EQ(entries(), std::vector<std::string>{"ckpt.safetensors"});
  EXPECT_EQ(readFile(path + "/keep"), "x");
}

TEST_F(SafetensorsTest, VanishedDirectory) {
  std::string sub = file("sub");
  fs::create_directory(sub);
  std::string path = sub + "/ckpt.safetensors";
  save_safetensors(sampleTensors(), path);
  fs::remove_all(sub);
  expectSaveError([&] { save_safetensors(sampleTensors(), path); }, path,
                  std::strerror(ENOENT));
  EXPECT_TRUE(entries().empty());
}

TEST_F(SafetensorsTest, ReadOnlyDirectoryKeepsTheOldFile) {
  if (::geteuid() == 0)
    GTEST_SKIP() << "root ignores directory permissions";
  std::string path = file("ckpt.safetensors");
  StateDict good = sampleTensors();
  save_safetensors(good, path);
  fs::permissions(dir, fs::perms::owner_read | fs::perms::owner_exec);
  expectSaveError(
      [&] {
        save_safetensors({{"new", filled<float>({1}, DType::Float32, {1})}},
                         path);
      },
      path, std::strerror(EACCES));
  fs::permissions(dir, fs::perms::owner_all);
  expectSame(good, load_safetensors(path));
  EXPECT_EQ(entries(), std::vector<std::string>{"ckpt.safetensors"});
}

//===----------------------------------------------------------------------===//
// Malformed files
//===----------------------------------------------------------------------===//

/// A header with one tensor entry `entry` named "a".
std::string oneTensor(const std::string &entry) {
  return R"({"a":)" + entry + "}";
}

TEST_F(SafetensorsTest, RejectsMalformedFiles) {
  const std::string f32x2 =
      R"({"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  const std::string eight(8, '\0');
  struct Case {
    const char *name;
    std::string bytes;
    std::string fragment;
  };
  std::vector<Case> cases = {
      // Framing.
      {"empty file", "", "has 0 bytes, too few for the 8-byte header length"},
      {"short file", "abcde", "has 5 bytes, too few"},
      {"header past the end", u64(1000) + "{}",
       "header length 1000 exceeds the 2 bytes that follow it"},
      {"absurd header", u64(200'000'000) + "{}",
       "header length 200000000 exceeds the limit of 100000000 bytes"},
      {"huge header", u64(~uint64_t(0)) + "{}", "exceeds the limit"},
      {"empty header", safetensorsFile(""), "must begin with '{'"},
      {"spaces only", safetensorsFile("    "), "must begin with '{'"},
      // JSON.
      {"invalid JSON", safetensorsFile(R"({"a": )"), "not valid JSON"},
      {"trailing garbage", safetensorsFile("{}x"), "not valid JSON"},
      {"not an object", safetensorsFile("[1, 2]"), "must begin with '{'"},
      {"leading space", safetensorsFile(" {}"), "must begin with '{'"},
      {"newline padding", safetensorsFile("{}\n"),
       "padded with characters other than spaces"},
      {"invalid UTF-8", safetensorsFile("{\"\xff\":1}"), "not valid JSON"},
      {"duplicate key",
       safetensorsFile(R"({"a":)" + f32x2 + R"(,"a":)" + f32x2 + "}", eight),
       "the key 'a' twice"},
      {"deep nesting",
       safetensorsFile(R"({"a":)" + std::string(20, '[') +
                       std::string(20, ']') + "}"),
       "nests deeper than"},
      // Entries.
      {"entry not an object", safetensorsFile(oneTensor("3")),
       "tensor 'a': the entry is not a JSON object"},
      {"missing dtype",
       safetensorsFile(oneTensor(R"({"shape":[],"data_offsets":[0,0]})")),
       "tensor 'a': missing field 'dtype'"},
      {"missing shape",
       safetensorsFile(oneTensor(R"({"dtype":"F32","data_offsets":[0,0]})")),
       "missing field 'shape'"},
      {"missing offsets",
       safetensorsFile(oneTensor(R"({"dtype":"F32","shape":[]})")),
       "missing field 'data_offsets'"},
      {"unknown field",
       safetensorsFile(oneTensor(
           R"({"dtype":"F32","shape":[0],"data_offsets":[0,0],"x":1})")),
       "unknown field 'x'"},
      {"dtype not a string",
       safetensorsFile(
           oneTensor(R"({"dtype":4,"shape":[0],"data_offsets":[0,0]})")),
       "'dtype' is not a string"},
      {"unsupported dtype",
       safetensorsFile(
           oneTensor(R"({"dtype":"I32","shape":[0],"data_offsets":[0,0]})")),
       "unsupported dtype 'I32'"},
      {"unknown dtype",
       safetensorsFile(
           oneTensor(R"({"dtype":"f32","shape":[0],"data_offsets":[0,0]})")),
       "unsupported dtype 'f32'"},
      {"shape not an array",
       safetensorsFile(
           oneTensor(R"({"dtype":"F32","shape":2,"data_offsets":[0,8]})")),
       "'shape' is not an array"},
      {"negative size",
       safetensorsFile(
           oneTensor(R"({"dtype":"F32","shape":[-1],"data_offsets":[0,0]})")),
       "negative size -1"},
      {"fractional size",
       safetensorsFile(
           oneTensor(R"({"dtype":"F32","shape":[2.5],"data_offsets":[0,8]})")),
       "non-integer size 2.5"},
      {"string size",
       safetensorsFile(
           oneTensor(R"({"dtype":"F32","shape":["2"],"data_offsets":[0,8]})")),
       "non-integer size \"2\""},
      {"size beyond u64",
       safetensorsFile(oneTensor(
           R"({"dtype":"U8","shape":[18446744073709551616],"data_offsets":[0,0]})")),
       "non-integer size"},
      {"size too large",
       safetensorsFile(oneTensor(
           R"({"dtype":"U8","shape":[2199023255552],"data_offsets":[0,0]})")),
       "the size 2199023255552, more than the limit of 2^40"},
      {"element count overflows",
       safetensorsFile(oneTensor(
           R"({"dtype":"U8","shape":[4294967296,4294967296,4294967296,0],"data_offsets":[0,0]})")),
       "the element count of 'shape' overflows"},
      {"too many elements",
       safetensorsFile(oneTensor(
           R"({"dtype":"U8","shape":[1048576,2097152],"data_offsets":[0,0]})")),
       "has 2199023255552 elements, more than the limit of 2^40"},
      {"offsets not an array",
       safetensorsFile(
           oneTensor(R"({"dtype":"F32","shape":[2],"data_offsets":8})"), eight),
       "'data_offsets' is 8, not two non-negative integers"},
      {"three offsets",
       safetensorsFile(
           oneTensor(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8,8]})"),
           eight),
       "not two non-negative integers"},
      {"negative offset",
       safetensorsFile(
           oneTensor(R"({"dtype":"F32","shape":[2],"data_offsets":[-8,0]})"),
           eight),
       "not two non-negative integers"},
      {"reversed offsets",
       safetensorsFile(
           oneTensor(R"({"dtype":"F32","shape":[2],"data_offsets":[8,0]})"),
           eight),
       "'data_offsets' [8, 0] ends before it begins"},
      {"offsets out of the buffer",
       safetensorsFile(
           oneTensor(R"({"dtype":"F32","shape":[4],"data_offsets":[0,16]})"),
           eight),
       "'data_offsets' [0, 16] lie outside the byte buffer of 8 bytes"},
      {"offsets past u64",
       safetensorsFile(oneTensor(
           R"({"dtype":"F32","shape":[4],"data_offsets":[18446744073709551615,18446744073709551615]})")),
       "outside the byte buffer"},
      {"size mismatch",
       safetensorsFile(
           oneTensor(R"({"dtype":"F64","shape":[2],"data_offsets":[0,8]})"),
           eight),
       "[0, 8] span 8 bytes, but 2 elements of F64 take 16"},
      {"overlap",
       safetensorsFile(
           R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
           R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
           std::string(12, '\0')),
       "the data of tensor 'b' [4, 12] overlaps that of tensor 'a' [0, 8]"},
      {"empty tensor inside another",
       safetensorsFile(
           R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
           R"("b":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}})",
           eight),
       "tensor 'b' [4, 4] overlaps"},
      {"same data twice",
       safetensorsFile(
           R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
           R"("b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
           eight),
       "overlaps"},
      {"hole",
       safetensorsFile(
           R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
           R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
           std::string(12, '\0')),
       "bytes [4, 8) of the byte buffer belong to no tensor (a hole before "
       "tensor 'b')"},
      {"hole at the start",
       safetensorsFile(
           oneTensor(R"({"dtype":"F32","shape":[1],"data_offsets":[4,8]})"),
           eight),
       "bytes [0, 4) of the byte buffer belong to no tensor"},
      {"trailing bytes",
       safetensorsFile(
           oneTensor(R"({"dtype":"F32","shape":[1],"data_offsets":[0,4]})"),
           eight),
       "4 trailing bytes after the last tensor's data"},
      {"buffer without tensors", safetensorsFile("{}", "x"),
       "1 trailing bytes"},
      {"bad BOOL byte",
       safetensorsFile(
           oneTensor(R"({"dtype":"BOOL","shape":[2],"data_offsets":[0,2]})"),
           std::string("\x01\x02", 2)),
       "tensor 'a': BOOL element 1 is the byte 2"},
      // Metadata.
      {"metadata not an object", safetensorsFile(R"({"__metadata__":["x"]})"),
       "'__metadata__' is not a JSON object"},
      {"metadata null", safetensorsFile(R"({"__metadata__":null})"),
       "'__metadata__' is not a JSON object"},
      {"metadata value not a string",
       safetensorsFile(R"({"__metadata__":{"epoch":3}})"),
       "'__metadata__' entry 'epoch' is not a string"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.name);
    std::string path = file("bad.safetensors");
    writeFile(path, c.bytes);
    expectLoadError(path, c.fragment);
  }
}

TEST_F(SafetensorsTest, RejectsWhatIsNotAFile) {
  expectLoadError(file("missing.safetensors"),
                  std::string("cannot open: ") + std::strerror(ENOENT));
  expectLoadError(dir.string(), "it is a directory, not a regular file");
  // A FIFO used to block the open until something wrote to it.
  std::string fifo = file("fifo.safetensors");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  ::alarm(60); // A hang kills the test instead of stalling the run.
  expectLoadError(fifo, "it is a FIFO, not a regular file");
  ::alarm(0);
}

// Empty names and names holding a NUL are rejected both ways: readers that
// take names as C strings would see another (or no) tensor.
TEST_F(SafetensorsTest, RejectsEmptyAndNulNames) {
  Tensor t = filled<float>({1}, DType::Float32, {1});
  std::string path = file("names.safetensors");
  expectSaveError([&] { save_safetensors({{"", t}}, path); }, path,
                  "a tensor name is empty");
  expectSaveError(
      [&] { save_safetensors({{std::string("a\0b", 3), t}}, path); }, path,
      "the tensor name \"a\\u0000b\" holds a NUL character");
  const std::string entry =
      R"({"dtype":"U8","shape":[1],"data_offsets":[0,1]})";
  writeFile(path, safetensorsFile(R"({"":)" + entry + "}", "x"));
  expectLoadError(path, "a tensor name is empty");
  writeFile(path, safetensorsFile(R"({"a\u0000b":)" + entry + "}", "x"));
  expectLoadError(path, "holds a NUL character");
}

// Loading is linear in the number of tensors: 80,000 entries (a 6 MB
// header) took 21 s when each key was found by linear search, and take a
// fraction of a second now (a return to quadratic time shows as this test
// running for minutes, or timing out under ctest). Saving too.
TEST_F(SafetensorsTest, ManyTensorsSaveAndLoadInLinearTime) {
  constexpr int kCount = 80'000;
  StateDict tensors;
  tensors.reserve(kCount);
  for (int i = 0; i < kCount; ++i)
    tensors.emplace_back("layer." + std::to_string(i) + ".weight",
                         filled<float>({1}, DType::Float32, {float(i)}));
  std::string path = file("many.safetensors");
  save_safetensors(tensors, path);
  StateDict loaded = load_safetensors(path);
  ASSERT_EQ(loaded.size(), size_t(kCount));
  for (int i : {0, 1, 4242, kCount - 1}) {
    EXPECT_EQ(loaded[i].first, tensors[i].first);
    EXPECT_EQ(loaded[i].second.item<float>(), float(i));
  }
}

TEST_F(SafetensorsTest, AcceptsValidEdgeCases) {
  std::string path = file("edge.safetensors");
  // Unpadded header, no tensors.
  writeFile(path, safetensorsFile("{}"));
  EXPECT_TRUE(load_safetensors(path).empty());
  // Space padding, metadata only.
  std::map<std::string, std::string> metadata;
  writeFile(path, safetensorsFile(R"({"__metadata__":{"k":"v"}}     )"));
  EXPECT_TRUE(load_safetensors(path, &metadata).empty());
  EXPECT_EQ(metadata, (std::map<std::string, std::string>{{"k", "v"}}));
  // Empty tensors share an offset with each other and with the next tensor;
  // header order decides among them and the order follows the data.
  writeFile(path,
            safetensorsFile(
                R"({"b":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},)"
                R"("e2":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},)"
                R"("e1":{"dtype":"BOOL","shape":[2,0],"data_offsets":[0,0]},)"
                R"("s":{"shape":[],"data_offsets":[8,9],"dtype":"U8"}})",
                u64(42) + "\x07"));
  StateDict loaded = load_safetensors(path);
  ASSERT_EQ(loaded.size(), 4u);
  EXPECT_EQ(loaded[0].first, "e2");
  EXPECT_EQ(loaded[1].first, "e1");
  EXPECT_EQ(loaded[1].second.shape(), (Shape{2, 0}));
  EXPECT_EQ(loaded[2].first, "b");
  EXPECT_EQ(loaded[2].second.to_vector<int64_t>(), std::vector<int64_t>{42});
  EXPECT_EQ(loaded[3].first, "s");
  EXPECT_EQ(loaded[3].second.shape(), Shape{});
  EXPECT_EQ(loaded[3].second.item<int64_t>(), 7);
}

//===----------------------------------------------------------------------===//
// Interoperability
//===----------------------------------------------------------------------===//

TEST_F(SafetensorsTest, LoadsAFileWrittenByTheReferenceImplementation) {
  std::map<std::string, std::string> metadata;
  StateDict loaded = load_safetensors(EMBER_SAFETENSORS_FIXTURE, &metadata);
  EXPECT_EQ(metadata, (std::map<std::string, std::string>{
                          {"format", "pt"}, {"producer", "gen_fixture.py"}}));

  // The reference implementation lays tensors out by decreasing alignment,
  // then by name.
  std::vector<std::string> names;
  for (const auto &[name, tensor] : loaded)
    names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"steps", "bias", "empty", "scale",
                                             "weight", "bytes", "mask"}));
  std::map<std::string, Tensor> byName(loaded.begin(), loaded.end());

  const Tensor &weight = byName["weight"];
  EXPECT_EQ(weight.dtype(), DType::Float32);
  EXPECT_EQ(weight.shape(), (Shape{2, 3}));
  EXPECT_EQ(weight.to_vector<float>(),
            (std::vector<float>{-0.5f, -0.25f, 0.0f, 0.25f, 0.5f, 0.75f}));

  const Tensor &bias = byName["bias"];
  EXPECT_EQ(bias.dtype(), DType::Float64);
  EXPECT_EQ(bias.shape(), (Shape{3}));
  EXPECT_EQ(bias.to_vector<double>(), (std::vector<double>{0.1, -2.5, 1e300}));

  const Tensor &steps = byName["steps"];
  EXPECT_EQ(steps.dtype(), DType::Int64);
  EXPECT_EQ(steps.shape(), (Shape{2, 2}));
  EXPECT_EQ(steps.to_vector<int64_t>(),
            (std::vector<int64_t>{1, -2, int64_t(1) << 62,
                                  std::numeric_limits<int64_t>::min()}));

  const Tensor &bytes = byName["bytes"];
  EXPECT_EQ(bytes.dtype(), DType::UInt8);
  EXPECT_EQ(bytes.to_vector<uint8_t>(), (std::vector<uint8_t>{0, 1, 127, 255}));

  const Tensor &mask = byName["mask"];
  EXPECT_EQ(mask.dtype(), DType::Bool);
  EXPECT_EQ(mask.shape(), (Shape{2, 2}));
  EXPECT_EQ(mask.to_vector<bool>(),
            (std::vector<bool>{true, false, false, true}));

  const Tensor &scale = byName["scale"];
  EXPECT_EQ(scale.dtype(), DType::Float32);
  EXPECT_EQ(scale.shape(), Shape{});
  EXPECT_EQ(scale.item<float>(), 3.5f);

  const Tensor &emptyTensor = byName["empty"];
  EXPECT_EQ(emptyTensor.dtype(), DType::Float32);
  EXPECT_EQ(emptyTensor.shape(), (Shape{0, 4}));
  EXPECT_EQ(emptyTensor.numel(), 0);

  // And what we write from it loads back the same.
  std::string path = file("resaved.safetensors");
  save_safetensors(loaded, path, metadata);
  std::map<std::string, std::string> resavedMetadata;
  expectSame(loaded, load_safetensors(path, &resavedMetadata));
  EXPECT_EQ(resavedMetadata, metadata);
}

TEST(SafetensorsHalf, LoadsFloat16AndBFloat16FromPyTorch) {
  StateDict loaded = load_safetensors(EMBER_HALF_FIXTURE);
  std::map<std::string, Tensor> byName(loaded.begin(), loaded.end());
  const Tensor &half = byName["half"];
  EXPECT_EQ(half.dtype(), DType::Float16);
  EXPECT_EQ(half.shape(), (Shape{2, 3}));
  std::vector<float> h = half.to_vector<float>();
  EXPECT_EQ(h, (std::vector<float>{1.0f, -2.5f, 65504.0f, std::ldexp(1.0f, -24),
                                   -0.0f, 0.333251953125f}));
  EXPECT_TRUE(std::signbit(h[4]));
  const Tensor &brain = byName["brain"];
  EXPECT_EQ(brain.dtype(), DType::BFloat16);
  EXPECT_EQ(brain.to_vector<float>(),
            (std::vector<float>{1.0f, 3.140625f, -3.3895313892515355e38f,
                                std::ldexp(1.0f, -133)}));
  // PyTorch's printed form, and a conversion computed by a graph.
  std::ostringstream os;
  os << brain.index({indexing::Slice(0, 2)});
  EXPECT_EQ(os.str(), "tensor([1.0000, 3.1406], dtype=torch.bfloat16)");
  EXPECT_EQ((half.to(DType::Float32) * 2.0).to_vector<float>()[2], 131008.0f);
  EXPECT_EQ((half * 2.0).to_vector<float>()[2],
            std::numeric_limits<float>::infinity()); // rounds to float16

  // Saved and loaded again: the same bits.
  std::string path = ::testing::TempDir() + "ember_half.safetensors";
  save_safetensors(loaded, path);
  StateDict again = load_safetensors(path);
  std::remove(path.c_str());
  for (size_t i = 0; i < loaded.size(); ++i) {
    EXPECT_EQ(again[i].second.dtype(), loaded[i].second.dtype());
    uint16_t *a = loaded[i].second.data_ptr<uint16_t>();
    uint16_t *b = again[i].second.data_ptr<uint16_t>();
    EXPECT_TRUE(std::equal(a, a + loaded[i].second.numel(), b));
  }
}

} // namespace
