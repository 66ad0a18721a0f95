//===- ember-opt.cpp - Ember's opt tool -----------------------------------===//
//
// Part of Ember. Parses ember (and upstream) IR, runs passes and pipelines,
// prints the result; every standard MLIR flag works.
//
//===----------------------------------------------------------------------===//

#include "ember/InitAll.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

/// MLIR's bytecode reader is not hardened against malformed files (the
/// fuzzer crashes it in seconds). When the input file is bytecode, run the
/// whole invocation once in a child with its output discarded; if that
/// child dies, report the file as malformed instead of crashing.
/// Returns the exit code to use, or -1 to go on normally.
int rejectCrashingBytecode(int argc, char **argv) {
  const char *input = nullptr;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-o") {
      ++i;
      continue;
    }
    if (!a.empty() && a[0] != '-') {
      input = argv[i];
      break;
    }
  }
  if (!input)
    return -1;
  char magic[4] = {};
  if (std::FILE *f = std::fopen(input, "rb")) {
    size_t n = std::fread(magic, 1, 4, f);
    std::fclose(f);
    if (n != 4 || std::memcmp(magic, "ML\xefR", 4) != 0)
      return -1;
  } else {
    return -1;
  }
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    std::vector<char *> args(argv, argv + argc);
    std::string out = "-o=/dev/null";
    args.push_back(out.data());
    mlir::ember::registerAllEmberPasses();
    mlir::ember::registerAllEmberPipelines();
    mlir::DialectRegistry registry;
    mlir::ember::registerAllEmberDialects(registry);
    _exit(mlir::asMainReturnCode(mlir::MlirOptMain(
        int(args.size()), args.data(), "Ember optimizer driver\n", registry)));
  }
  // The reader can also spin on a malformed file: 5 s plus 1 s per MiB.
  long long size = 0;
  if (std::FILE *f = std::fopen(input, "rb")) {
    std::fseek(f, 0, SEEK_END);
    size = std::ftell(f);
    std::fclose(f);
  }
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::seconds(5 + size / (1 << 20));
  int status = 0;
  for (;;) {
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid)
      break;
    if (done < 0 && errno != EINTR)
      return -1;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      std::fprintf(stderr,
                   "ember-opt: %s: malformed MLIR bytecode: MLIR's bytecode "
                   "reader did not finish on it\n",
                   input);
      return 1;
    }
    usleep(1000);
  }
  if (!WIFSIGNALED(status))
    return -1;
  std::fprintf(stderr,
               "ember-opt: %s: malformed MLIR bytecode: MLIR's bytecode "
               "reader crashed on it (signal %d)\n",
               input, WTERMSIG(status));
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  if (int code = rejectCrashingBytecode(argc, argv); code >= 0)
    return code;
  mlir::ember::registerAllEmberPasses();
  mlir::ember::registerAllEmberPipelines();
  mlir::DialectRegistry registry;
  mlir::ember::registerAllEmberDialects(registry);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Ember optimizer driver\n", registry));
}
