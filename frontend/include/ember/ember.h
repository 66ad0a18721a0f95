//===- ember.h - Everything a user of Ember includes ------------*- C++ -*-===//
//
// Part of Ember.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_EMBER_H
#define EMBER_EMBER_H

#include "ember/frontend/Error.h"
#include "ember/frontend/Graph.h"
#include "ember/frontend/Tensor.h"
#include "ember/runtime/DType.h"

#endif // EMBER_EMBER_H
