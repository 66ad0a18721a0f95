//===- WeightCache.cpp - Inference reads weights prepacked once -----------===//
//
// Part of Ember. A graph rewrite before emission: inference's linear
// layers on the CPU multiply by their weight as the product's tiles read
// it, computed once and cached: packed into column panels, or transposed.
//
//===----------------------------------------------------------------------===//

#include "GraphCache.h"
#include "Realize.h"

#include "ember/frontend/Tensor.h"

#include <mutex>
#include <optional>

namespace ember::fe {

namespace {
/// For a linear node without autograd (no backward goes through it) whose
/// weight W [N, K] is a realised 2-D f32 parameter, on the CPU: W as the
/// product reads it, computed by a graph of its own the first time and
/// again only when W's buffer is another one, was written through
/// data_ptr(), or the panel width changed (another CPU target). That is
/// W^T's column panels [N / w, K, w] (panel p holds W^T's columns p * w to
/// p * w + w - 1, row after row) when `width` w > 0, else W^T [K, N].
NodePtr inferenceWeight(const Node &linear, int64_t width,
                        std::source_location loc) {
  const NodePtr &w = linear.inputs[1];
  // Threads may run inference on one model at once: the cache fields are
  // read and written under a lock (not held while computing; two threads
  // may both compute it, and both results are right).
  static std::mutex mutex;
  std::shared_ptr<rt::Buffer> data = w->data;
  uint64_t writes = data->writes();
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (w->inferenceWeight && w->inferenceWeightFrom.lock() == data &&
        w->inferenceWeightWrites == writes && w->inferenceWeightWidth == width)
      return w->inferenceWeight;
  }
  NodePtr t;
  {
    NoGradGuard noGrad;
    int64_t n = w->shape[0], k = w->shape[1];
    t = width ? Tensor(w)
                    .reshape({n / width, width, k}, loc)
                    .permute({0, 2, 1}, loc)
                    .node()
              : Tensor(w).t(loc).node();
  }
  realize({t}, loc);
  std::lock_guard<std::mutex> lock(mutex);
  w->inferenceWeight = t;
  w->inferenceWeightFrom = data;
  w->inferenceWeightWrites = writes;
  w->inferenceWeightWidth = width;
  return t;
}
} // namespace

Substitutions cachedInferenceWeights(const std::vector<Node *> &order,
                                     std::source_location loc) {
  Substitutions rewrites;
  // The CPU target's panel width (compiler::prepackedPanelWidth), asked
  // once a graph, when it has a weight to read.
  std::optional<int64_t> cpuWidth;
  for (Node *node : order) {
    if (node->kind != OpKind::Linear || node->requiresGrad ||
        !node->device.is_cpu())
      continue;
    const NodePtr &w = node->inputs[1];
    if (!w->data || !w->requiresGrad || w->shape.size() != 2 ||
        w->dtype != DType::Float32)
      continue;
    int64_t n = w->shape[0], k = w->shape[1];
    if (!cpuWidth)
      cpuWidth = cpuPanelWidth();
    // W^T's panels when their width divides N, else W^T itself.
    int64_t width = *cpuWidth > 0 && n % *cpuWidth == 0 ? *cpuWidth : 0;
    NodePtr cached = inferenceWeight(*node, width, loc);
    // x [M, K] times W^T [K, N], read from its panels as they are (the
    // compiler recognises the transpose and reshape of panels), plus the
    // bias (the compiler fuses the add, and a ReLU after it, into the
    // product's tiles as it does for linear).
    NoGradGuard noGrad;
    Tensor wt(cached);
    if (width)
      wt = wt.permute({1, 0, 2}, loc).reshape({k, n}, loc);
    Tensor product = Tensor(node->inputs[0]).matmul(wt, loc);
    if (node->inputs.size() > 2)
      product = add(product, Tensor(node->inputs[2]), loc);
    rewrites.emplace(node, product.node());
  }
  return rewrites;
}

} // namespace ember::fe
