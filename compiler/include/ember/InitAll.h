//===- InitAll.h - Register everything Ember defines ------------*- C++ -*-===//
//
// Part of Ember. One place that registers Ember's dialects, passes and
// pipelines, plus the upstream ones they use (torch-mlir's InitAll.h and
// IREE's init_iree_passes.h do the same).
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_INITALL_H
#define EMBER_INITALL_H

namespace mlir {
class DialectRegistry;
namespace ember {

/// Adds the ember dialect and the upstream dialects, interfaces and LLVM IR
/// translations its pipelines need.
void registerAllEmberDialects(DialectRegistry &registry);
/// Registers Ember's passes and the upstream passes its pipelines name.
void registerAllEmberPasses();
/// Registers Ember's named pipelines.
void registerAllEmberPipelines();

} // namespace ember
} // namespace mlir

#endif // EMBER_INITALL_H
