//===- Npy.cpp - NumPy .npy files -----------------------------------------===//
//
// Part of Ember.
//
//===----------------------------------------------------------------------===//

#include "ember/runtime/Npy.h"

#include "ember/runtime/File.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace ember::rt {
namespace {

struct DescrType {
  const char *descr;
  DType dtype;
};
constexpr DescrType kDescrs[] = {
    {"<f4", DType::Float32}, {"<f8", DType::Float64}, {"<i8", DType::Int64},
    {"|u1", DType::UInt8},   {"|b1", DType::Bool},    {"<f2", DType::Float16}};

/// Parses the .npy header, a Python dict literal such as
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`, into its
/// values (trimmed source text). Each of `keys` must appear exactly once
/// and nothing else may: NumPy's own reader takes the last of duplicate
/// keys, so reading the first would load another array than NumPy does.
/// Returns "" or what is wrong.
std::string parseHeaderDict(const std::string &header,
                            const std::vector<std::string> &keys,
                            std::map<std::string, std::string> &values) {
  size_t i = 0;
  auto isSpace = [](char c) { return c == ' ' || c == '\t' || c == '\n'; };
  auto skipSpace = [&] {
    while (i < header.size() && isSpace(header[i]))
      ++i;
  };
  skipSpace();
  if (i == header.size() || header[i] != '{')
    return "the header is not a dict (it must begin with '{')";
  ++i;
  for (;;) {
    skipSpace();
    if (i < header.size() && header[i] == '}')
      break;
    // The key: a quoted string.
    if (i == header.size() || (header[i] != '\'' && header[i] != '"'))
      return "the header dict has a key that is not a quoted string";
    char quote = header[i];
    size_t close = header.find(quote, i + 1);
    if (close == std::string::npos)
      return "the header dict has an unterminated key";
    std::string key = header.substr(i + 1, close - i - 1);
    i = close + 1;
    if (std::find(keys.begin(), keys.end(), key) == keys.end())
      return "the header has the unknown key '" + key + "'";
    if (values.count(key))
      return "the header has the key '" + key + "' twice";
    skipSpace();
    if (i == header.size() || header[i] != ':')
      return "the header dict has no ':' after the key '" + key + "'";
    ++i;
    // The value: up to the next top-level ',' or '}'.
    size_t depth = 0, begin = i;
    char inString = 0;
    for (; i < header.size(); ++i) {
      char c = header[i];
      if (inString) {
        if (c == inString)
          inString = 0;
        continue;
      }
      if (c == '\'' || c == '"')
        inString = c;
      else if (c == '(' || c == '[')
        ++depth;
      else if ((c == ')' || c == ']') && depth > 0)
        --depth;
      else if ((c == ',' || c == '}') && depth == 0)
        break;
    }
    if (i == header.size())
      return "the header dict is not closed";
    std::string value = header.substr(begin, i - begin);
    size_t b = value.find_first_not_of(" \t\n"),
           e = value.find_last_not_of(" \t\n");
    values[key] = b == std::string::npos ? "" : value.substr(b, e - b + 1);
    if (header[i] == ',')
      ++i;
  }
  ++i;
  skipSpace();
  if (i != header.size())
    return "the header has bytes after its dict";
  for (const std::string &key : keys)
    if (!values.count(key))
      return "the header lacks the key '" + key + "'";
  return "";
}

} // namespace

StatusOr<NpyArray> readNpy(const std::string &path) {
  auto bad = [&](const std::string &what) {
    return Status::error(path + ": not a valid .npy file: " + what);
  };
  std::string bytes, why;
  if (!readRegularFile(path, bytes, why))
    return Status::error("cannot read '" + path + "': " + why);
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
    return bad("missing the \\x93NUMPY magic");
  uint8_t major = static_cast<uint8_t>(bytes[6]);
  size_t headerLen = 0, headerStart = 0;
  if (major == 1) {
    headerLen = static_cast<uint8_t>(bytes[8]) |
                (static_cast<size_t>(static_cast<uint8_t>(bytes[9])) << 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return bad("truncated header");
    uint32_t len;
    std::memcpy(&len, bytes.data() + 8, 4);
    headerLen = len;
    headerStart = 12;
  } else {
    return bad("unsupported format version " + std::to_string(major));
  }
  if (headerLen > bytes.size() - headerStart)
    return bad("the header is longer than the file");
  std::string header = bytes.substr(headerStart, headerLen);
  std::map<std::string, std::string> values;
  if (std::string why = parseHeaderDict(
          header, {"descr", "fortran_order", "shape"}, values);
      !why.empty())
    return bad(why);
  const std::string &descr = values["descr"], &fortran =
                                                  values["fortran_order"],
                    &shapeText = values["shape"];
  if (fortran != "False")
    return bad("Fortran-order arrays are not supported");
  NpyArray array;
  bool known = false;
  for (const DescrType &d : kDescrs)
    if (descr == std::string("'") + d.descr + "'") {
      array.signature.dtype = d.dtype;
      known = true;
    }
  if (!known)
    return bad("unsupported dtype " + descr +
               " (supported: <f4, <f8, <f2, <i8, |u1, |b1)");
  if (shapeText.size() < 2 || shapeText.front() != '(' || shapeText.back() != ')')
    return bad("malformed shape " + shapeText);
  std::stringstream dims(shapeText.substr(1, shapeText.size() - 2));
  __int128 numel = 1;
  for (std::string item; std::getline(dims, item, ',');) {
    size_t b = item.find_first_not_of(" ");
    if (b == std::string::npos)
      continue; // the trailing comma of a 1-tuple
    char *end = nullptr;
    long long d = std::strtoll(item.c_str() + b, &end, 10);
    if (end == item.c_str() + b || d < 0 || d > (1ll << 40))
      return bad("malformed or absurd dimension '" + item + "'");
    numel *= d;
    if (numel > (__int128(1) << 40))
      return bad("the array is absurdly large");
    array.signature.shape.push_back(d);
  }
  size_t expected = static_cast<size_t>(numel) * dtypeSize(array.signature.dtype);
  size_t actual = bytes.size() - headerStart - headerLen;
  if (actual != expected)
    return bad("the data is " + std::to_string(actual) + " bytes; " +
               array.signature.str() + " needs " + std::to_string(expected));
  array.data = bytes.substr(headerStart + headerLen);
  return array;
}

Status writeNpy(const std::string &path, const NpyArray &array) {
  const char *descr = nullptr;
  for (const DescrType &d : kDescrs)
    if (d.dtype == array.signature.dtype)
      descr = d.descr;
  if (!descr)
    return Status::error("cannot write '" + path + "': NumPy has no " +
                         std::string(dtypeName(array.signature.dtype)) +
                         " dtype (convert to float32 first)");
  std::string shape = "(";
  for (int64_t d : array.signature.shape)
    shape += std::to_string(d) + ", ";
  if (array.signature.shape.size() > 1)
    shape.resize(shape.size() - 2);
  else if (array.signature.shape.size() == 1)
    shape.resize(shape.size() - 1); // "(n,)"
  shape += ")";
  std::string header = std::string("{'descr': '") + descr +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad so the data starts 64-byte aligned; the header ends with '\n'.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  out += array.data;
  // Only a regular file is replaced by renaming a temporary over it. Any
  // other file at the path (/dev/null, /dev/stdout, a FIFO) is written as
  // it is: renaming over a device node, as root, would swap /dev/null for
  // a regular file. A symbolic link keeps pointing where it did: the
  // temporary replaces the file it names.
  //
  // Writes `out` through `path` as it stands, `what` naming it in errors.
  auto writeThrough = [&](const std::string &what) {
    std::ofstream f(path, std::ios::binary);
    f << out;
    f.close();
    if (!f)
      return Status::error("cannot write '" + path + "' (" + what +
                           "): " + std::strerror(errno));
    return Status::ok();
  };
  struct stat existing;
  if (::stat(path.c_str(), &existing) == 0 && !S_ISREG(existing.st_mode))
    return writeThrough(fileKind(existing.st_mode));
  std::string target = path;
  struct stat link;
  if (::lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode)) {
    char *resolved = ::realpath(path.c_str(), nullptr);
    // A link to nothing yet: written through, creating what it names.
    if (!resolved)
      return writeThrough("a symbolic link to a missing file");
    target = resolved;
    std::free(resolved);
  }
  std::string tmp = target + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << out;
    f.close();
    if (!f) {
      std::remove(tmp.c_str());
      return Status::error("cannot write '" + path + "': " + std::strerror(errno));
    }
  }
  if (std::rename(tmp.c_str(), target.c_str()) != 0) {
    std::string err = std::strerror(errno);
    std::remove(tmp.c_str());
    return Status::error("cannot write '" + path + "': " + err);
  }
  return Status::ok();
}

} // namespace ember::rt
