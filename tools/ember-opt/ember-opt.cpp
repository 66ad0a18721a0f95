//===- ember-opt.cpp - Ember's opt tool -----------------------------------===//
//
// Part of Ember. Parses ember (and upstream) IR, runs passes and pipelines,
// prints the result; every standard MLIR flag works.
//
// What mlir-opt does, with its input checked first: only a regular file
// (or standard input), text no deeper than Ember's nesting limit, no
// location naming a device or FIFO, and bytecode read only in a child
// process, which sends the module back as text
// (ember/Support/IsolatedBytecode.h).
//
//===----------------------------------------------------------------------===//

#include "ember/InitAll.h"
#include "ember/Support/IsolatedBytecode.h"
#include "ember/Support/NestingLimit.h"
#include "ember/runtime/File.h"
#include "mlir/Bytecode/BytecodeReader.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/ToolOutputFile.h"

#include <cctype>
#include <cstdio>
#include <optional>
#include <set>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace {

constexpr int kFailed = 1;

/// The file names of the file locations ("name":line:col, alone or inside
/// fused, call-site and name locations, and in location aliases) in MLIR
/// text. Strings in comments are skipped.
std::set<std::string> locationFiles(llvm::StringRef text) {
  constexpr size_t kMaxPath = 4096;
  std::set<std::string> names;
  auto hex = [](char c) {
    return std::isxdigit(static_cast<unsigned char>(c));
  };
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '/' && i + 1 < text.size() && text[i + 1] == '/') {
      size_t eol = text.find('\n', i);
      if (eol == llvm::StringRef::npos)
        break;
      i = eol;
      continue;
    }
    if (text[i] != '"')
      continue;
    std::string name;
    size_t j = i + 1;
    for (; j < text.size() && text[j] != '"' && text[j] != '\n'; ++j) {
      if (name.size() > kMaxPath) { // (a hexadecimal blob): not a path
        if (text[j] == '\\')
          ++j;
      } else if (text[j] != '\\') {
        name += text[j];
      } else if (j + 1 < text.size() &&
                 (text[j + 1] == '\\' || text[j + 1] == '"')) {
        name += text[++j];
      } else if (j + 1 < text.size() && text[j + 1] == 'n') {
        name += '\n';
        ++j;
      } else if (j + 1 < text.size() && text[j + 1] == 't') {
        name += '\t';
        ++j;
      } else if (j + 2 < text.size() && hex(text[j + 1]) && hex(text[j + 2])) {
        name += static_cast<char>(
            std::stoi(std::string(text.substr(j + 1, 2)), nullptr, 16));
        j += 2;
      }
    }
    if (name.size() <= kMaxPath && j + 2 < text.size() && text[j] == '"' &&
        text[j + 1] == ':' &&
        std::isdigit(static_cast<unsigned char>(text[j + 2])))
      names.insert(name);
    i = j;
  }
  return names;
}

/// MLIR's diagnostic printer (SourceMgrDiagnosticHandler) opens the file a
/// location names to show the line: a location naming /dev/zero made
/// ember-opt read it for ever, and one naming a FIFO would block it. False,
/// after saying so, when a location in `text` names anything that exists
/// and is not a regular file.
bool locationsAreFiles(llvm::StringRef text, const std::string &shownName) {
  for (const std::string &name : locationFiles(text)) {
    struct stat st;
    if (name.empty() || ::stat(name.c_str(), &st) != 0 || S_ISREG(st.st_mode))
      continue;
    std::fprintf(stderr,
                 "ember-opt: %s: a location names '%s', which is %s, not a "
                 "regular file (MLIR would read it to show a diagnostic's "
                 "line)\n",
                 shownName.c_str(), name.c_str(),
                 ember::rt::fileKind(st.st_mode));
    return false;
  }
  return true;
}

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
  if (mlir::isBytecode(file->getMemBufferRef())) {
    ember::IsolatedBytecodeRead read = ember::readBytecodeIsolated(
        *file, registry, config.shouldAllowUnregisteredDialects(),
        config.getIrdlFile());
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
    if (!locationsAreFiles(read.text, shownName))
      return nullptr;
    return llvm::MemoryBuffer::getMemBufferCopy(read.text,
                                                file->getBufferIdentifier());
  }
  if (std::optional<ember::NestingError> deep = ember::textNestingError(
          std::string_view(bytes.data(), bytes.size()))) {
    std::fprintf(stderr, "ember-opt: %s:%zu:%zu: %s\n", shownName.c_str(),
                 deep->line, deep->column, deep->message.c_str());
    return nullptr;
  }
  if (!locationsAreFiles(bytes, shownName))
    return nullptr;
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
