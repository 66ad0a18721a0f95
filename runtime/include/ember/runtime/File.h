//===- File.h - Opening the files loaders read ------------------*- C++ -*-===//
//
// Part of Ember. Every loader (checkpoints, IDX data sets, .npy arrays,
// artifacts, the on-disk cache of compiled graphs) opens its file here.
// A plain open() of a FIFO blocks until something writes to it, and one of
// a device node may never end: the file is opened without blocking, then
// anything but a regular file is refused before a byte is read.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_RUNTIME_FILE_H
#define EMBER_RUNTIME_FILE_H

#include <cerrno>
#include <cstring>
#include <new>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ember::rt {

/// What kind of file `mode` is, for error messages ("a FIFO").
inline const char *fileKind(mode_t mode) {
  if (S_ISREG(mode))
    return "a regular file";
  if (S_ISDIR(mode))
    return "a directory";
  if (S_ISFIFO(mode))
    return "a FIFO";
  if (S_ISCHR(mode))
    return "a character device";
  if (S_ISBLK(mode))
    return "a block device";
  if (S_ISSOCK(mode))
    return "a socket";
  if (S_ISLNK(mode))
    return "a symbolic link";
  return "an unknown kind of file";
}

/// Opens `path` for reading if it is a regular file: returns the descriptor
/// (close-on-exec, blocking again), or -1 with `why` saying what went wrong
/// without naming the path ("cannot open: No such file or directory", "it is
/// a FIFO, not a regular file"), for the caller to name it. `status`, when
/// given, receives the file's fstat.
inline int openRegularFile(const std::string &path, std::string &why,
                           struct stat *status = nullptr) {
  // O_NONBLOCK: opening a FIFO with no writer returns at once instead of
  // waiting for one; the fstat below then refuses it.
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    why = std::string("cannot open: ") + std::strerror(errno);
    return -1;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    why = std::string("cannot stat: ") + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  if (!S_ISREG(st.st_mode)) {
    why = std::string("it is ") + fileKind(st.st_mode) +
          ", not a regular file";
    ::close(fd);
    return -1;
  }
  // Reads of a regular file never block anyway; clear the flag so that
  // whoever takes the descriptor sees an ordinary one.
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0)
    ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  if (status)
    *status = st;
  return fd;
}

/// Reads the whole of the regular file `path` into `out`; false with `why`
/// (not naming the path) when it cannot, as openRegularFile().
inline bool readRegularFile(const std::string &path, std::string &out,
                            std::string &why) {
  struct stat st;
  int fd = openRegularFile(path, why, &st);
  if (fd < 0)
    return false;
  bool ok = true;
  try {
    out.resize(static_cast<size_t>(st.st_size));
  } catch (const std::bad_alloc &) {
    why = "out of memory for its " + std::to_string(st.st_size) + " bytes";
    ok = false;
  }
  for (size_t done = 0; ok && done < out.size();) {
    ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      why = n < 0 ? std::string("cannot read: ") + std::strerror(errno)
                  : std::string("the file shrank while being read");
      ok = false;
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return ok;
}

} // namespace ember::rt

#endif // EMBER_RUNTIME_FILE_H
