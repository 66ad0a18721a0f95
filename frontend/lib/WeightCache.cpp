//===- WeightCache.cpp - Inference reads cached weight transposes ---------===//
//
// Part of Ember. A graph rewrite before emission: inference's linear
// layers on the CPU multiply by a cached transpose of their weight.
//
//===----------------------------------------------------------------------===//

#include "Realize.h"

#include "ember/frontend/Tensor.h"

#include <mutex>

namespace ember::fe {

namespace {
/// For a linear node without autograd (no backward goes through it) whose
/// weight is a realised 2-D f32 parameter, on the CPU: the weight's
/// transpose, computed by a graph of its own the first time
/// and again only when the weight's buffer is another one or was written
/// through data_ptr(); else null. Training graphs are unchanged: their
/// linear nodes record autograd, and the weights change every step.
NodePtr transposedWeight(const Node &linear, std::source_location loc) {
  if (linear.requiresGrad || !linear.device.is_cpu())
    return nullptr;
  const NodePtr &w = linear.inputs[1];
  if (!w->data || !w->requiresGrad || w->shape.size() != 2 ||
      w->dtype != DType::Float32)
    return nullptr;
  // Threads may run inference on one model at once: the cache fields are
  // read and written under a lock (not held while transposing; two threads
  // may both compute it, and both results are right).
  static std::mutex mutex;
  std::shared_ptr<rt::Buffer> data = w->data;
  uint64_t writes = data->writes();
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (w->transposed && w->transposedFrom.lock() == data &&
        w->transposedWrites == writes)
      return w->transposed;
  }
  NodePtr t;
  {
    NoGradGuard noGrad;
    t = Tensor(w).t(loc).node();
  }
  realize({t}, loc);
  std::lock_guard<std::mutex> lock(mutex);
  w->transposed = t;
  w->transposedFrom = data;
  w->transposedWrites = writes;
  return t;
}
} // namespace

Substitutions cachedWeightTransposes(const std::vector<NodePtr> &targets,
                                     std::source_location loc) {
  Substitutions rewrites;
  for (Node *node : topologicalOrder(targets)) {
    if (node->kind != OpKind::Linear)
      continue;
    NodePtr wt = transposedWeight(*node, loc);
    if (!wt)
      continue;
    // x [M,K] times the weight's cached transpose [K,N], plus the bias (the
    // compiler fuses the add, and a ReLU after it, into the product's tiles
    // as it does for linear).
    NoGradGuard noGrad;
    Tensor product = Tensor(node->inputs[0]).matmul(Tensor(wt), loc);
    if (node->inputs.size() > 2)
      product = add(product, Tensor(node->inputs[2]), loc);
    rewrites.emplace(node, product.node());
  }
  return rewrites;
}

} // namespace ember::fe
