//===- OnnxImport.h - ONNX models to ember IR -------------------*- C++ -*-===//
//
// Part of Ember. No MLIR or LLVM types: bytes in, ember IR text out.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_COMPILER_ONNXIMPORT_H
#define EMBER_COMPILER_ONNXIMPORT_H

#include <string>
#include <string_view>
#include <vector>

namespace ember::compiler {

struct OnnxImportResult {
  bool ok = false;
  std::string ir;    ///< ember IR (MLIR text), when ok
  std::string error; ///< what went wrong, naming the node and op type
  /// True when the file is not a readable ONNX model at all (a parse error),
  /// false when the model uses something Ember does not support.
  bool malformed = false;
};

/// Imports an ONNX model (ModelProto bytes, opsets 7 to 22 of the default
/// domain): graph inputs with static shapes become arguments, initializers
/// become constants, and each node becomes ember ops through its row of
/// the importer's op table (OnnxImport.cpp's opTable(); docs/graphc.md
/// lists the ops and their limits). A node Ember cannot import exactly (an
/// op, an attribute, an input count or an element type it does not read)
/// is an error naming the node, never an approximation. The ops are built
/// with MLIR's builders in a context of the importer's own, verified, and
/// returned printed.
OnnxImportResult importOnnx(std::string_view bytes);

/// The ONNX op types importOnnx reads (one per row of its op table),
/// alphabetically: what `graphc --help` lists.
std::vector<std::string> onnxOpTypes();

} // namespace ember::compiler

#endif // EMBER_COMPILER_ONNXIMPORT_H
