//===- RunIsolated.h - Run code that may crash in a child process -*- C++ -*-=//
//
// Part of Ember. MLIR's bytecode reader is not hardened against malformed
// files (it crashes, corrupts memory or spins on them); graphc and
// ember-opt read untrusted bytecode only in a forked child, through this
// (see IsolatedBytecode.h). POSIX only, and it forks: not for multithreaded
// callers.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_SUPPORT_RUNISOLATED_H
#define EMBER_SUPPORT_RUNISOLATED_H

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdio>
#include <fcntl.h>
#include <poll.h>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ember {

/// How an isolated run ended.
struct IsolatedOutcome {
  enum class Kind {
    Unavailable,   ///< could not fork or wait: nothing is known
    Exited,        ///< exited with `code`
    Signaled,      ///< killed by signal `code`
    TimedOut,      ///< past the time limit, and killed
    TooMuchOutput, ///< wrote more than it may (runIsolatedWithOutput)
  };
  Kind kind = Kind::Unavailable;
  int code = 0;
};

/// The child's exit code when `body` throws: the exception must not unwind
/// into the caller's frames in the child, which would go on running a copy
/// of the parent's program (e.g. a fuzzer's loop, with no time limit).
constexpr int kIsolatedBodyThrew = 124;

namespace detail {
/// Writes all of `size` bytes to `fd`; false when the reader has gone.
inline bool writeAll(int fd, const char *data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

/// Appends what can be read from the non-blocking `fd` now to `output`,
/// stopping once it holds more than `maxOutput` bytes; closes `fd` and sets
/// it to -1 at end of file or on an error.
inline void drainPipe(int &fd, std::string &output, size_t maxOutput) {
  char chunk[1 << 16];
  while (output.size() <= maxOutput) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n > 0) {
      output.append(chunk, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return;
    ::close(fd);
    fd = -1;
    return;
  }
}

/// runIsolated's work: `child(fd)` runs in the child, `fd` being the write
/// end of a pipe whose contents come back in `*output` (-1 when `output`
/// is null).
template <typename Child>
IsolatedOutcome runIsolatedImpl(Child &&child, std::chrono::seconds limit,
                                bool quietStdout, std::string *output,
                                size_t maxOutput) {
  int pipeFds[2] = {-1, -1};
  if (output && pipe2(pipeFds, O_CLOEXEC) != 0)
    return {};
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    if (output) {
      ::close(pipeFds[0]);
      ::close(pipeFds[1]);
    }
    return {};
  }
  if (pid == 0) {
    if (output)
      ::close(pipeFds[0]);
    rlim_t seconds = static_cast<rlim_t>(limit.count());
    struct rlimit cpu = {seconds, seconds + 1};
    setrlimit(RLIMIT_CPU, &cpu);
    signal(SIGXCPU, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    if (int null = open("/dev/null", O_WRONLY); null >= 0) {
      dup2(null, 2);
      if (quietStdout)
        dup2(null, 1);
    }
    int code = kIsolatedBodyThrew;
    try {
      code = child(pipeFds[1]);
    } catch (...) {
    }
    _exit(code);
  }
  int readFd = -1;
  if (output) {
    ::close(pipeFds[1]);
    readFd = pipeFds[0];
    fcntl(readFd, F_SETFL, fcntl(readFd, F_GETFL) | O_NONBLOCK);
  }
  auto stop = [&](IsolatedOutcome::Kind kind) {
    kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (readFd >= 0)
      ::close(readFd);
    return IsolatedOutcome{kind, 0};
  };
  auto deadline = std::chrono::steady_clock::now() + 4 * limit;
  int status = 0;
  for (;;) {
    if (readFd >= 0) {
      struct pollfd wait = {readFd, POLLIN, 0};
      poll(&wait, 1, 1);
      drainPipe(readFd, *output, maxOutput);
      if (output->size() > maxOutput)
        return stop(IsolatedOutcome::Kind::TooMuchOutput);
    } else {
      usleep(1000);
    }
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid)
      break;
    if (done < 0 && errno != EINTR) {
      if (readFd >= 0)
        ::close(readFd);
      return {};
    }
    if (std::chrono::steady_clock::now() > deadline)
      return stop(IsolatedOutcome::Kind::TimedOut);
  }
  // The child has exited: what it wrote is in the pipe, up to the end
  // (unless something it started holds the pipe open: not past the
  // deadline).
  while (readFd >= 0 && output->size() <= maxOutput &&
         std::chrono::steady_clock::now() <= deadline) {
    struct pollfd wait = {readFd, POLLIN, 0};
    poll(&wait, 1, 10);
    drainPipe(readFd, *output, maxOutput);
  }
  if (readFd >= 0)
    ::close(readFd);
  if (output && output->size() > maxOutput)
    return {IsolatedOutcome::Kind::TooMuchOutput, 0};
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU)
    return {IsolatedOutcome::Kind::TimedOut, 0};
  if (WIFSIGNALED(status))
    return {IsolatedOutcome::Kind::Signaled, WTERMSIG(status)};
  return {IsolatedOutcome::Kind::Exited, WEXITSTATUS(status)};
}
} // namespace detail

/// Runs `body` in a forked child whose standard error (and, with
/// `quietStdout`, standard output) goes to /dev/null, and gives it `limit`
/// of CPU time (RLIMIT_CPU: a busy machine's other processes do not count
/// against it, as they would against a wall clock; a child that spins is
/// stopped by SIGXCPU) and four times that of wall time (one that blocks).
/// The child's exit code is what `body` returns, or kIsolatedBodyThrew when
/// it throws (LLVM's fatal-error handler does).
template <typename Body>
IsolatedOutcome runIsolated(Body &&body, std::chrono::seconds limit,
                            bool quietStdout = false) {
  return detail::runIsolatedImpl([&](int) { return body(); }, limit,
                                 quietStdout, nullptr, 0);
}

/// runIsolated, and what `body(fd)` writes to `fd` (the write end of a
/// pipe; writeAll helps) comes back in `output`. A child that writes more
/// than `maxOutput` bytes is killed: Kind::TooMuchOutput. What the child
/// sends is as untrusted as the input it read: check it.
template <typename Body>
IsolatedOutcome runIsolatedWithOutput(Body &&body, std::chrono::seconds limit,
                                      std::string &output, size_t maxOutput) {
  output.clear();
  return detail::runIsolatedImpl(body, limit, /*quietStdout=*/true, &output,
                                 maxOutput);
}

/// The time a bytecode reader gets on `bytes` of input: 5 s plus 1 s per
/// MiB.
inline std::chrono::seconds bytecodeReadLimit(size_t bytes) {
  return std::chrono::seconds(5 + bytes / (1 << 20));
}

} // namespace ember

#endif // EMBER_SUPPORT_RUNISOLATED_H
