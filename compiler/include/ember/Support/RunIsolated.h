//===- RunIsolated.h - Run code that may crash in a child process -*- C++ -*-=//
//
// Part of Ember. MLIR's bytecode reader is not hardened against malformed
// files (it crashes, corrupts memory or spins on them); graphc and
// ember-opt read untrusted bytecode in a forked child first, through this.
// POSIX only, and it forks: not for multithreaded callers.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_SUPPORT_RUNISOLATED_H
#define EMBER_SUPPORT_RUNISOLATED_H

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ember {

/// How an isolated run ended.
struct IsolatedOutcome {
  enum class Kind {
    Unavailable, ///< could not fork or wait: nothing is known
    Exited,      ///< exited with `code`
    Signaled,    ///< killed by signal `code`
    TimedOut,    ///< past the time limit, and killed
  };
  Kind kind = Kind::Unavailable;
  int code = 0;
};

/// The child's exit code when `body` throws: the exception must not unwind
/// into the caller's frames in the child, which would go on running a copy
/// of the parent's program (e.g. a fuzzer's loop, with no time limit).
constexpr int kIsolatedBodyThrew = 124;

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
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid < 0)
    return {};
  if (pid == 0) {
    rlim_t seconds = static_cast<rlim_t>(limit.count());
    struct rlimit cpu = {seconds, seconds + 1};
    setrlimit(RLIMIT_CPU, &cpu);
    signal(SIGXCPU, SIG_DFL);
    if (int null = open("/dev/null", O_WRONLY); null >= 0) {
      dup2(null, 2);
      if (quietStdout)
        dup2(null, 1);
    }
    int code = kIsolatedBodyThrew;
    try {
      code = body();
    } catch (...) {
    }
    _exit(code);
  }
  auto deadline = std::chrono::steady_clock::now() + 4 * limit;
  int status = 0;
  for (;;) {
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid)
      break;
    if (done < 0 && errno != EINTR)
      return {};
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return {IsolatedOutcome::Kind::TimedOut, 0};
    }
    usleep(1000);
  }
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU)
    return {IsolatedOutcome::Kind::TimedOut, 0};
  if (WIFSIGNALED(status))
    return {IsolatedOutcome::Kind::Signaled, WTERMSIG(status)};
  return {IsolatedOutcome::Kind::Exited, WEXITSTATUS(status)};
}

/// The time a bytecode reader gets on `bytes` of input: 5 s plus 1 s per
/// MiB.
inline std::chrono::seconds bytecodeReadLimit(size_t bytes) {
  return std::chrono::seconds(5 + bytes / (1 << 20));
}

} // namespace ember

#endif // EMBER_SUPPORT_RUNISOLATED_H
