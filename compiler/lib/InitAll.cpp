//===- InitAll.cpp - Register everything Ember defines --------------------===//
//
// Part of Ember.
//
//===----------------------------------------------------------------------===//

#include "ember/InitAll.h"

#include "ember/Conversion/Passes.h"
#include "ember/Dialect/Ember/IR/EmberDialect.h"
#include "ember/Dialect/Ember/Transforms/Passes.h"
#include "ember/Pipelines/Pipelines.h"
#include "ember/Transforms/Passes.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

void mlir::ember::registerAllEmberDialects(DialectRegistry &registry) {
  registry.insert<EmberDialect>();
  registerEmberBufferizationModels(registry);
  // The pipelines go through most of upstream's core dialects; registering
  // them all (plus their interface implementations) keeps every stage
  // parseable from ember-opt.
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
}

void mlir::ember::registerAllEmberPasses() {
  registerAllPasses();
  registerEmberConversionPasses();
  registerEmberTransformsPasses();
  registerEmberDialectTransformsPasses();
}

void mlir::ember::registerAllEmberPipelines() { registerEmberPipelines(); }
