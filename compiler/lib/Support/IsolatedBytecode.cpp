//===- IsolatedBytecode.cpp - Untrusted MLIR bytecode, read in a child ----===//
//
// Part of Ember. See ember/Support/IsolatedBytecode.h.
//
//===----------------------------------------------------------------------===//

#include "ember/Support/IsolatedBytecode.h"

#include "ember/Support/RunIsolated.h"

#include "mlir/Bytecode/BytecodeReader.h"
#include "mlir/Dialect/IRDL/IRDLLoading.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <limits>

using namespace mlir;

ember::PlainDiagnostic ember::plainDiagnostic(Diagnostic &diag) {
  PlainDiagnostic d;
  switch (diag.getSeverity()) {
  case DiagnosticSeverity::Error:
    d.severity = PlainDiagnostic::Severity::Error;
    break;
  case DiagnosticSeverity::Warning:
    d.severity = PlainDiagnostic::Severity::Warning;
    break;
  case DiagnosticSeverity::Note:
    d.severity = PlainDiagnostic::Severity::Note;
    break;
  case DiagnosticSeverity::Remark:
    d.severity = PlainDiagnostic::Severity::Remark;
    break;
  }
  // The first file position anywhere in the location, as MLIR's own
  // printer shows it: a fused op's (the first of its ops), a call site's
  // callee, a named position's. Else the first name (an ONNX node's, an
  // initializer's or an input's), quoted.
  LocationAttr loc = diag.getLocation();
  if (auto fileLoc = loc.findInstanceOf<FileLineColLoc>())
    d.location = fileLoc.getFilename().str() + ":" +
                 std::to_string(fileLoc.getLine()) + ":" +
                 std::to_string(fileLoc.getColumn());
  else if (auto nameLoc = loc.findInstanceOf<NameLoc>())
    d.location = "\"" + nameLoc.getName().str() + "\"";
  llvm::raw_string_ostream os(d.message);
  for (const DiagnosticArgument &arg : diag.getArguments()) {
    if (arg.getKind() == DiagnosticArgument::DiagnosticArgumentKind::Attribute)
      if (auto dense = dyn_cast<DenseArrayAttr>(arg.getAsAttribute());
          dense && !dense.getElementType().isIntOrIndexOrFloat()) {
        os << "<malformed dense array>";
        continue;
      }
    arg.print(os);
  }
  return d;
}

namespace {

/// The child's message: 'T' and the module's text, or 'D' and the reader's
/// diagnostics, each as its severity ('0' + the enum), then its location and
/// its message, each as its length in decimal, ':' and its bytes.
constexpr char kText = 'T', kDiagnostics = 'D';

/// The most text the child may send: hexadecimal doubles the weights; a
/// bytecode file that shares one attribute between many ops can expand
/// further, and is refused past this.
size_t textLimit(size_t bytecodeBytes) {
  return (size_t(64) << 20) + 64 * bytecodeBytes;
}

/// Printing that round-trips whatever MLIR's (or ember-opt's) command-line
/// flags say: generic form (custom printers may crash on IR that has not
/// been verified), every location, the whole file (aliases and resources),
/// nothing elided or added.
OpPrintingFlags exactPrinting() {
  OpPrintingFlags flags;
  constexpr int64_t all = std::numeric_limits<int64_t>::max();
  flags.printGenericOpForm()
      .enableDebugInfo(/*enable=*/true, /*prettyForm=*/false)
      .elideLargeElementsAttrs(all)
      .elideLargeResourceString(all)
      .skipRegions(false)
      .useLocalScope(false)
      .printValueUsers(false)
      .printUniqueSSAIDs(false)
      .printNameLocAsPrefix(false)
      .assumeVerified();
  return flags;
}

void writeField(llvm::raw_ostream &os, const std::string &field) {
  os << field.size() << ':' << field;
}

int readAndSend(const llvm::MemoryBuffer &buffer,
                const DialectRegistry &registry, bool allowUnregistered,
                llvm::StringRef irdlFile, int fd) {
  MLIRContext ctx(registry, MLIRContext::Threading::DISABLED);
  ctx.allowUnregisteredDialects(allowUnregistered);
  std::vector<ember::PlainDiagnostic> diagnostics;
  ScopedDiagnosticHandler collect(&ctx, [&](Diagnostic &diag) {
    diagnostics.push_back(ember::plainDiagnostic(diag));
    for (Diagnostic &note : diag.getNotes())
      diagnostics.push_back(ember::plainDiagnostic(note));
    return success();
  });
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBuffer(buffer.getMemBufferRef(),
                                       /*RequiresNullTerminator=*/false),
      llvm::SMLoc());
  // The dialects an IRDL file defines (ember-opt --irdl-file), as
  // MlirOptMain loads them before it parses its input.
  bool dialectsLoaded = true;
  if (!irdlFile.empty()) {
    ParserConfig irdlConfig(&ctx);
    OwningOpRef<ModuleOp> irdl =
        parseSourceFile<ModuleOp>(irdlFile, irdlConfig);
    dialectsLoaded = irdl && succeeded(irdl::loadDialects(*irdl));
  }
  // Resources of groups no dialect claims (e.g. a reproducer's pipeline)
  // are kept, and printed back.
  FallbackAsmResourceMap resources;
  ParserConfig config(&ctx, /*verifyAfterParse=*/false, &resources);
  OwningOpRef<ModuleOp> module;
  if (dialectsLoaded)
    module = parseSourceFile<ModuleOp>(sourceMgr, config);
  llvm::raw_fd_ostream os(fd, /*shouldClose=*/false, /*unbuffered=*/false);
  if (module) {
    os << kText;
    AsmState state(*module, exactPrinting(), /*locationMap=*/nullptr,
                   &resources);
    module->print(os, state);
  } else {
    os << kDiagnostics;
    for (const ember::PlainDiagnostic &d : diagnostics) {
      os << char('0' + static_cast<int>(d.severity));
      writeField(os, d.location);
      writeField(os, d.message);
    }
  }
  os.flush();
  bool failed = os.has_error();
  os.clear_error(); // (else its destructor reports a fatal error)
  return failed ? 1 : 0;
}

/// Reads one writeField field of `s` at `at`; false when there is none.
bool readField(const std::string &s, size_t &at, std::string &field) {
  size_t colon = s.find(':', at);
  if (colon == std::string::npos || colon == at || colon - at > 12)
    return false;
  size_t length = 0;
  for (size_t i = at; i < colon; ++i) {
    if (s[i] < '0' || s[i] > '9')
      return false;
    length = length * 10 + size_t(s[i] - '0');
  }
  if (length > s.size() - colon - 1)
    return false;
  field = s.substr(colon + 1, length);
  at = colon + 1 + length;
  return true;
}

/// The diagnostics of a kDiagnostics message (after its first byte).
std::vector<ember::PlainDiagnostic> decodeDiagnostics(const std::string &s) {
  std::vector<ember::PlainDiagnostic> out;
  size_t at = 1;
  while (at < s.size()) {
    ember::PlainDiagnostic d;
    int severity = s[at++] - '0';
    if (severity < 0 || severity > 3 || !readField(s, at, d.location) ||
        !readField(s, at, d.message))
      break;
    d.severity = static_cast<ember::PlainDiagnostic::Severity>(severity);
    out.push_back(std::move(d));
  }
  return out;
}

} // namespace

ember::IsolatedBytecodeRead
ember::readBytecodeIsolated(const llvm::MemoryBuffer &buffer,
                            const DialectRegistry &registry,
                            bool allowUnregistered, llvm::StringRef irdlFile) {
  IsolatedBytecodeRead read;
  std::chrono::seconds limit = bytecodeReadLimit(buffer.getBufferSize());
  size_t maxText = textLimit(buffer.getBufferSize());
  std::string output;
  IsolatedOutcome outcome = runIsolatedWithOutput(
      [&](int fd) {
        return readAndSend(buffer, registry, allowUnregistered, irdlFile, fd);
      },
      limit, output, maxText);
  using Kind = IsolatedOutcome::Kind;
  switch (outcome.kind) {
  case Kind::Unavailable:
    read.why = "cannot read it safely: no child process could be started "
               "for MLIR's bytecode reader";
    return read;
  case Kind::Signaled:
    read.why = "MLIR's bytecode reader crashed on it (signal " +
               std::to_string(outcome.code) + ")";
    return read;
  case Kind::TimedOut:
    read.why = "MLIR's bytecode reader did not finish on it within " +
               std::to_string(limit.count()) + " s of CPU time";
    return read;
  case Kind::TooMuchOutput:
    read.why = "it expands to over " + std::to_string(maxText >> 20) +
               " MiB of MLIR text";
    return read;
  case Kind::Exited:
    break;
  }
  if (outcome.code != 0 || output.empty()) {
    read.why = "MLIR's bytecode reader failed on it (exit " +
               std::to_string(outcome.code) + ")";
    return read;
  }
  if (output[0] == kText) {
    output.erase(0, 1);
    // Text, not bytecode again: the parser picks its reader by content.
    if (isBytecode(llvm::MemoryBufferRef(output, "text"))) {
      read.why = "MLIR's bytecode reader failed on it (it sent bytecode back)";
      return read;
    }
    read.kind = IsolatedBytecodeRead::Kind::Text;
    read.text = std::move(output);
    return read;
  }
  if (output[0] == kDiagnostics) {
    read.kind = IsolatedBytecodeRead::Kind::Rejected;
    read.diagnostics = decodeDiagnostics(output);
    return read;
  }
  read.why = "MLIR's bytecode reader failed on it (an unreadable answer)";
  return read;
}
