//===- OnnxImportDisabled.cpp - ONNX import when libonnx is absent --------===//
//
// Part of Ember.
//
//===----------------------------------------------------------------------===//

#include "ember/Compiler/OnnxImport.h"

namespace ember::compiler {

bool onnxImportAvailable() { return false; }

OnnxImportResult importOnnx(std::string_view) {
  OnnxImportResult r;
  r.error = "this build has no ONNX import (install libonnx-dev and rebuild)";
  return r;
}

} // namespace ember::compiler
