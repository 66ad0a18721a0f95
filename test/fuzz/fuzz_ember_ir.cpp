//===- fuzz_ember_ir.cpp - ember IR, text and bytecode, as graphc reads it -===//
//
// Part of Ember's fuzzers. Compiles the input through the compiler facade
// (parse, verify, the graph passes, the lowering to linalg), as graphc
// --emit=linalg does: every input must come back as a result, ok or with
// diagnostics, never a crash.
//
//===----------------------------------------------------------------------===//

#include "ember/Compiler/Compiler.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ember::compiler::Options options;
  options.stopAfter = ember::compiler::Stage::Linalg;
  options.isolateBytecode = true; // as graphc reads files
  std::string_view source(reinterpret_cast<const char *>(data), size);
  ember::compiler::Result r = ember::compiler::compile(source, options);
  if (!r.ok && r.diagnostics.empty())
    std::abort(); // a failure must say why
  return 0;
}
