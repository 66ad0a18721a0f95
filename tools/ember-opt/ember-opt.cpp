//===- ember-opt.cpp - Ember's opt tool -----------------------------------===//
//
// Part of Ember. Parses ember (and upstream) IR, runs passes and pipelines,
// prints the result; every standard MLIR flag works.
//
// What mlir-opt does, with its input checked first: only a regular file
// (or standard input), text no deeper than Ember's nesting limit, and
// bytecode read only in a child process, which sends the module back as
// text (ember/Support/IsolatedBytecode.h).
//
//===----------------------------------------------------------------------===//

#include "ember/InitAll.h"
#include "ember/Support/IsolatedBytecode.h"
#include "ember/Support/NestingLimit.h"
#include "ember/runtime/File.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/ToolOutputFile.h"

#include <cstdio>
#include <optional>
#include <string>
#include <unistd.h>

namespace {

constexpr int kFailed = 1;

/// The input as MLIR text, or null after reporting why there is none. A
/// named file must be a regular file (MLIR would block on a FIFO, or read a
/// device without end). Bytecode is read in a child and comes back as text.
/// Text nested deeper than Ember's limit is refused: MLIR's text parser
/// recurses once per level.
std::unique_ptr<llvm::MemoryBuffer>
readInput(const std::string &input, const mlir::DialectRegistry &registry,
          const mlir::MlirOptMainConfig &config) {
  std::string why;
  if (input != "-") {
    int fd = ember::rt::openRegularFile(input, why);
    if (fd < 0) {
      std::fprintf(stderr, "ember-opt: cannot read '%s': %s\n", input.c_str(),
                   why.c_str());
      return nullptr;
    }
    close(fd);
  } else if (llvm::sys::Process::FileDescriptorIsDisplayed(fileno(stdin))) {
    std::fprintf(stderr, "(processing input from stdin now, hit ctrl-c/ctrl-d "
                         "to interrupt)\n");
  }
  std::unique_ptr<llvm::MemoryBuffer> file = mlir::openInputFile(input, &why);
  if (!file) {
    std::fprintf(stderr, "ember-opt: %s\n", why.c_str());
    return nullptr;
  }
  std::string shownName = input == "-" ? "<stdin>" : input;
  llvm::StringRef bytes = file->getBuffer();
  if (bytes.size() >= 4 && bytes.starts_with("ML\xefR")) {
    ember::IsolatedBytecodeRead read = ember::readBytecodeIsolated(
        *file, registry, config.shouldAllowUnregisteredDialects());
    using Kind = ember::IsolatedBytecodeRead::Kind;
    if (read.kind == Kind::Malformed) {
      std::fprintf(stderr, "ember-opt: %s: malformed MLIR bytecode: %s\n",
                   shownName.c_str(), read.why.c_str());
      return nullptr;
    }
    if (read.kind == Kind::Rejected) {
      static const char *const severities[] = {"error", "warning", "note",
                                               "remark"};
      for (const ember::PlainDiagnostic &d : read.diagnostics)
        std::fprintf(
            stderr, "%s: %s: %s\n",
            d.location.empty() ? shownName.c_str() : d.location.c_str(),
            severities[static_cast<int>(d.severity)], d.message.c_str());
      if (read.diagnostics.empty())
        std::fprintf(stderr,
                     "ember-opt: %s: malformed MLIR bytecode (the reader "
                     "gave no reason)\n",
                     shownName.c_str());
      return nullptr;
    }
    if (std::optional<ember::NestingError> deep =
            ember::textNestingError(read.text)) {
      std::fprintf(stderr, "ember-opt: %s: malformed MLIR bytecode: %s\n",
                   shownName.c_str(), deep->message.c_str());
      return nullptr;
    }
    return llvm::MemoryBuffer::getMemBufferCopy(read.text,
                                                file->getBufferIdentifier());
  }
  if (std::optional<ember::NestingError> deep = ember::textNestingError(
          std::string_view(bytes.data(), bytes.size()))) {
    std::fprintf(stderr, "ember-opt: %s:%zu:%zu: %s\n", shownName.c_str(),
                 deep->line, deep->column, deep->message.c_str());
    return nullptr;
  }
  return file;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  mlir::ember::registerAllEmberPasses();
  mlir::ember::registerAllEmberPipelines();
  mlir::DialectRegistry registry;
  mlir::ember::registerAllEmberDialects(registry);
  auto [inputName, outputName] = mlir::registerAndParseCLIOptions(
      argc, argv, "Ember optimizer driver\n", registry);
  mlir::MlirOptMainConfig config =
      mlir::MlirOptMainConfig::createFromCLOptions();
  // Listing dialects or passes reads no input.
  if (config.shouldShowDialects() || config.shouldListPasses())
    return mlir::asMainReturnCode(mlir::MlirOptMain(
        llvm::outs(), llvm::MemoryBuffer::getMemBuffer(""), registry, config));
  std::unique_ptr<llvm::MemoryBuffer> input =
      readInput(inputName, registry, config);
  if (!input)
    return kFailed;
  std::string why;
  std::unique_ptr<llvm::ToolOutputFile> output =
      mlir::openOutputFile(outputName, &why);
  if (!output) {
    std::fprintf(stderr, "ember-opt: %s\n", why.c_str());
    return kFailed;
  }
  if (failed(
          mlir::MlirOptMain(output->os(), std::move(input), registry, config)))
    return kFailed;
  output->keep();
  return 0;
}
