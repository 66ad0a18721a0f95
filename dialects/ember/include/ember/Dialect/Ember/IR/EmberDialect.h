//===- EmberDialect.h - Ember dialect declaration ---------------*- C++ -*-===//
//
// Part of Ember. Declares the `ember` dialect.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_DIALECT_EMBER_IR_EMBERDIALECT_H
#define EMBER_DIALECT_EMBER_IR_EMBERDIALECT_H

#include "mlir/IR/Dialect.h"

#include "ember/Dialect/Ember/IR/EmberOpsDialect.h.inc"

#endif // EMBER_DIALECT_EMBER_IR_EMBERDIALECT_H
