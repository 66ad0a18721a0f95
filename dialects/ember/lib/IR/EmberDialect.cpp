//===- EmberDialect.cpp - Ember dialect registration ----------------------===//
//
// Part of Ember. Registers the ops of the `ember` dialect.
//
//===----------------------------------------------------------------------===//

#include "ember/Dialect/Ember/IR/EmberDialect.h"

#include "ember/Dialect/Ember/IR/EmberOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::ember;

#include "ember/Dialect/Ember/IR/EmberOpsDialect.cpp.inc"

void EmberDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "ember/Dialect/Ember/IR/EmberOps.cpp.inc"
      >();
}

Operation *EmberDialect::materializeConstant(OpBuilder &builder,
                                             Attribute value, Type type,
                                             Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, elements);
}
