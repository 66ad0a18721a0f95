//===- ember.h - Everything a user of Ember includes ------------*- C++ -*-===//
//
// Part of Ember.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_EMBER_H
#define EMBER_EMBER_H

#include "ember/data/CIFAR10.h"
#include "ember/data/DataLoader.h"
#include "ember/data/Dataset.h"
#include "ember/data/FashionMNIST.h"
#include "ember/data/ImageFolder.h"
#include "ember/data/Sampler.h"
#include "ember/data/Transforms.h"
#include "ember/frontend/Device.h"
#include "ember/frontend/Error.h"
#include "ember/frontend/Graph.h"
#include "ember/frontend/Tensor.h"
#include "ember/nn/Init.h"
#include "ember/nn/Loss.h"
#include "ember/nn/Module.h"
#include "ember/nn/Modules.h"
#include "ember/nn/Utils.h"
#include "ember/optim/Optimizer.h"
#include "ember/optim/Schedulers.h"
#include "ember/runtime/DType.h"
#include "ember/serialize/Npy.h"
#include "ember/serialize/Safetensors.h"

#endif // EMBER_EMBER_H
