//===- ember-opt.cpp - Ember's opt tool -----------------------------------===//
//
// Part of Ember. Parses ember (and upstream) IR, runs passes and pipelines,
// prints the result; every standard MLIR flag works.
//
//===----------------------------------------------------------------------===//

#include "ember/InitAll.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::ember::registerAllEmberPasses();
  mlir::ember::registerAllEmberPipelines();
  mlir::DialectRegistry registry;
  mlir::ember::registerAllEmberDialects(registry);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Ember optimizer driver\n", registry));
}
