//===- ember-opt.cpp - Ember's opt tool -----------------------------------===//
//
// Part of Ember. Parses ember (and upstream) IR, runs passes and pipelines,
// prints the result; every standard MLIR flag works.
//
//===----------------------------------------------------------------------===//

#include "ember/InitAll.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

#include "ember/Support/NestingLimit.h"
#include "ember/runtime/File.h"
#include "ember/Support/RunIsolated.h"

#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace {

/// MLIR's text parser recurses once per nesting level: text nested deeper
/// than Ember's limit is rejected before it can overflow the stack.
int rejectDeepText(const char *input) {
  std::string text, why;
  if (!ember::rt::readRegularFile(input, text, why))
    return -1; // checked before (rejectSpecialFile), or MlirOptMain reports it
  std::optional<ember::NestingError> deep = ember::textNestingError(text);
  if (!deep)
    return -1;
  std::fprintf(stderr, "ember-opt: %s:%zu:%zu: %s\n", input, deep->line,
               deep->column, deep->message.c_str());
  return 1;
}

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
  if (!input || std::string(input) == "-")
    return -1;
  // Only a regular file: MLIR would block on a FIFO, or read a device
  // without end.
  {
    std::string why;
    struct stat st;
    int fd = ember::rt::openRegularFile(input, why, &st);
    if (fd < 0) {
      std::fprintf(stderr, "ember-opt: cannot read '%s': %s\n", input,
                   why.c_str());
      return 1;
    }
    close(fd);
  }
  char magic[4] = {};
  long size = 0;
  std::FILE *f = std::fopen(input, "rb");
  if (!f)
    return -1;
  size_t n = std::fread(magic, 1, 4, f);
  if (std::fseek(f, 0, SEEK_END) == 0)
    size = std::ftell(f);
  std::fclose(f);
  if (n != 4 || std::memcmp(magic, "ML\xefR", 4) != 0)
    return rejectDeepText(input);
  std::vector<char *> args(argv, argv + argc);
  std::string out = "-o=/dev/null";
  args.push_back(out.data());
  ember::IsolatedOutcome outcome = ember::runIsolated(
      [&] {
        mlir::ember::registerAllEmberPasses();
        mlir::ember::registerAllEmberPipelines();
        mlir::DialectRegistry registry;
        mlir::ember::registerAllEmberDialects(registry);
        return mlir::asMainReturnCode(
            mlir::MlirOptMain(int(args.size()), args.data(),
                              "Ember optimizer driver\n", registry));
      },
      ember::bytecodeReadLimit(size), /*quietStdout=*/true);
  using Kind = ember::IsolatedOutcome::Kind;
  if (outcome.kind == Kind::Signaled)
    std::fprintf(stderr,
                 "ember-opt: %s: malformed MLIR bytecode: MLIR's bytecode "
                 "reader crashed on it (signal %d)\n",
                 input, outcome.code);
  else if (outcome.kind == Kind::TimedOut)
    std::fprintf(stderr,
                 "ember-opt: %s: malformed MLIR bytecode: MLIR's bytecode "
                 "reader did not finish on it\n",
                 input);
  else
    return -1; // an ordinary run (or none): go on normally
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
