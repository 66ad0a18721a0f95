//===- IsolatedBytecode.h - Untrusted MLIR bytecode, read in a child -*- C++
//-*-===//
//
// Part of Ember. MLIR 22's bytecode reader is not hardened against malformed
// files: it crashes, spins, and writes past the end of its buffers without
// crashing (valgrind shows the writes; the heap is corrupt from then on).
// A child process that reads such a file and exits cleanly cannot vouch for
// it, so the reader never runs in the process that goes on: the child reads
// the bytecode and sends the module back as MLIR text (generic form,
// locations included), which the caller parses with the text parser. Used
// by graphc (compiler::Options::isolateBytecode) and ember-opt.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_SUPPORT_ISOLATEDBYTECODE_H
#define EMBER_SUPPORT_ISOLATEDBYTECODE_H

#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace llvm {
class MemoryBuffer;
} // namespace llvm

namespace mlir {
class Diagnostic;
class DialectRegistry;
} // namespace mlir

namespace ember {

/// An MLIR diagnostic as plain strings.
struct PlainDiagnostic {
  enum class Severity { Error, Warning, Note, Remark };
  Severity severity = Severity::Error;
  /// "file:line:col", the first file position anywhere in the location
  /// (a fused op's, a call site's callee); else the first name, quoted
  /// ("\"conv1\"": an ONNX node's); empty when neither.
  std::string location;
  std::string message;
};

/// `diag` (not its notes) as plain strings. Attributes MLIR itself cannot
/// print (a dense array with a non-numeric element type, which the bytecode
/// reader reports by printing it: an upstream bug) print as
/// `<malformed dense array>`.
PlainDiagnostic plainDiagnostic(mlir::Diagnostic &diag);

/// What reading bytecode in a child process gave.
struct IsolatedBytecodeRead {
  enum class Kind {
    Text,      ///< `text`: the module in MLIR's generic text form
    Rejected,  ///< the reader refused the file: `diagnostics` say why
    Malformed, ///< the reader crashed, failed silently, ran out of time
               ///< or sent too much: `why`
  };
  Kind kind = Kind::Malformed;
  std::string text;
  std::vector<PlainDiagnostic> diagnostics;
  std::string why;
};

/// Reads the MLIR bytecode in `buffer` (its name is the diagnostics' file)
/// with `registry`'s dialects (and unregistered ones if `allowUnregistered`)
/// in a forked child, which gets 5 s of CPU time plus 1 s per MiB and may
/// send 64 MiB plus 64 times the file's size of text. The text is as
/// untrusted as the file: parse and verify it as any text input (nesting
/// limit included). `irdlFile`, when given, names an IRDL file whose
/// dialects the child loads first (ember-opt's --irdl-file; an error in it
/// is the read's diagnostics). Forks: not for multithreaded callers.
IsolatedBytecodeRead readBytecodeIsolated(const llvm::MemoryBuffer &buffer,
                                          const mlir::DialectRegistry &registry,
                                          bool allowUnregistered = false,
                                          llvm::StringRef irdlFile = {});

} // namespace ember

#endif // EMBER_SUPPORT_ISOLATEDBYTECODE_H
