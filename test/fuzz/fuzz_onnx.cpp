//===- fuzz_onnx.cpp - ONNX models as graphc imports them -----------------===//
//
// Part of Ember's fuzzers. Imports the input; an import that succeeds must
// give ember IR that the compiler parses and verifies.
//
//===----------------------------------------------------------------------===//

#include "ember/Compiler/Compiler.h"
#include "ember/Compiler/OnnxImport.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char *>(data), size);
  ember::compiler::OnnxImportResult r = ember::compiler::importOnnx(bytes);
  if (r.ok) {
    ember::compiler::Options options;
    options.stopAfter = ember::compiler::Stage::Ember;
    if (!ember::compiler::compile(r.ir, options).ok)
      std::abort(); // the importer produced IR the compiler rejects
  }
  return 0;
}
