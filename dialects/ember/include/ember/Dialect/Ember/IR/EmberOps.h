//===- EmberOps.h - Ember dialect operations --------------------*- C++ -*-===//
//
// Part of Ember. Declares the operations of the `ember` dialect.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_DIALECT_EMBER_IR_EMBEROPS_H
#define EMBER_DIALECT_EMBER_IR_EMBEROPS_H

#include "ember/Dialect/Ember/IR/EmberDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "ember/Dialect/Ember/IR/EmberOps.h.inc"

#endif // EMBER_DIALECT_EMBER_IR_EMBEROPS_H
