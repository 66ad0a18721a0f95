//===- Realize.cpp - Computing recorded graphs ----------------------------===//
//
// Part of Ember. Realising nodes: the graph leading to them is printed as
// ember IR (EmitGraph.cpp, after the inference rewrites of WeightCache.cpp),
// compiled once per distinct text (GraphCache.cpp), run on the CPU or a GPU
// with the inputs' buffers (Devices.cpp), and its results checked for NaN
// when asked (Anomaly.cpp). Pending in-place assignments of module buffers
// join the next graph on their device.
//
//===----------------------------------------------------------------------===//

#include "Realize.h"

#include "Anomaly.h"
#include "GraphCache.h"

#include "ember/frontend/Error.h"
#include "ember/frontend/Tensor.h"
#include "ember/runtime/Cuda.h"
#include "ember/runtime/Threads.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <unordered_set>

namespace ember {
void set_num_threads(int n) { rt::setNumThreads(n); }
int get_num_threads() { return rt::numThreads(); }

namespace {
std::atomic<bool> &allowTF32Flag() {
  static std::atomic<bool> flag{false};
  return flag;
}
} // namespace

void cuda::set_allow_tf32(bool allow) { allowTF32Flag().store(allow); }
bool cuda::allow_tf32() { return allowTF32Flag().load(); }
} // namespace ember

namespace ember::fe {

namespace {
/// A leaf to be given a lazy value by the next graph on its device.
struct PendingAssign {
  NodePtr leaf, value;
};
std::vector<PendingAssign> &pendingAssigns() {
  thread_local std::vector<PendingAssign> pending;
  return pending;
}

void realizeTargets(const std::vector<NodePtr> &requested,
                    std::source_location loc,
                    const std::vector<InPlace> &inPlace);
} // namespace

void assignLater(const NodePtr &leaf, const NodePtr &value) {
  std::vector<PendingAssign> &pending = pendingAssigns();
  for (PendingAssign &p : pending)
    if (p.leaf == leaf) {
      p.value = value;
      return;
    }
  pending.push_back({leaf, value});
}

void cancelAssign(const Node *leaf) {
  std::vector<PendingAssign> &pending = pendingAssigns();
  std::erase_if(pending,
                [&](const PendingAssign &p) { return p.leaf.get() == leaf; });
}

void setLeafData(Node &leaf, std::shared_ptr<rt::Buffer> host,
                 std::shared_ptr<rt::cuda::DeviceBuffer> device) {
  cancelAssign(&leaf);
  if (leaf.device.is_cpu())
    leaf.data = std::move(host);
  else
    leaf.deviceData = std::move(device);
  ++leaf.version; // (nodes recorded from the old value must not run)
}

NodePtr pendingValue(const NodePtr &leaf) {
  for (const PendingAssign &p : pendingAssigns())
    if (p.leaf == leaf)
      return p.value;
  return leaf;
}

void realize(const std::vector<NodePtr> &requested, std::source_location loc,
             const std::vector<InPlace> &inPlace) {
  // Pending assignments on the graph's device join it (and reading a leaf
  // that has one computes it).
  std::vector<PendingAssign> &pending = pendingAssigns();
  if (pending.empty())
    return realizeTargets(requested, loc, inPlace);
  auto first =
      std::find_if(requested.begin(), requested.end(), [&](const NodePtr &t) {
        return t && (!t->isRealized() || pendingValue(t) != t);
      });
  if (first == requested.end())
    return realizeTargets(requested, loc, inPlace);
  Device device = (*first)->device;
  std::vector<PendingAssign> taken, kept;
  for (PendingAssign &p : pending)
    (p.value->device == device ? taken : kept).push_back(std::move(p));
  pending = std::move(kept);
  std::vector<NodePtr> targets = requested;
  std::vector<InPlace> ties = inPlace;
  for (const PendingAssign &p : taken) {
    targets.push_back(p.value);
    if (device.is_cuda())
      ties.push_back({p.value, p.leaf});
  }
  try {
    realizeTargets(targets, loc, ties);
  } catch (...) {
    // Nothing is lost: they wait for the next graph.
    for (PendingAssign &p : taken)
      pending.push_back(std::move(p));
    throw;
  }
  for (const PendingAssign &p : taken) {
    Node &leaf = *p.leaf;
    leaf.data = p.value->data;
    leaf.deviceData = p.value->deviceData;
    ++leaf.version; // (nodes recorded from the old value must not run now)
    leaf.inferenceWeight.reset();
  }
}

namespace {
std::atomic<bool> collectivesRecorded{false};
} // namespace

void noteCollectiveRecorded() {
  collectivesRecorded.store(true, std::memory_order_relaxed);
}

namespace {

/// Adds to `targets` every all-reduce not yet computed that they need: its
/// result is kept, so that it runs once, however many graphs read it. A
/// gradient bucket's sum is read by each gradient in it; computed again by
/// each graph that reads one, it would run as many collectives as the rank
/// reads gradients, and ranks that read theirs differently (rank 0 logging
/// a gradient's norm, say) would wait for each other for ever, or sum the
/// wrong buffers.
void keepCollectiveResults(std::vector<NodePtr> &targets) {
  if (!collectivesRecorded.load(std::memory_order_relaxed))
    return;
  std::unordered_set<Node *> seen;
  std::vector<Node *> stack;
  for (const NodePtr &t : targets) {
    seen.insert(t.get());
    stack.push_back(t.get());
  }
  std::vector<NodePtr> found;
  while (!stack.empty()) {
    Node *n = stack.back();
    stack.pop_back();
    for (const NodePtr &in : n->inputs) {
      if (in->isRealized() || !seen.insert(in.get()).second)
        continue;
      if (in->kind == OpKind::AllReduce)
        found.push_back(in);
      stack.push_back(in.get());
    }
  }
  targets.insert(targets.end(), found.begin(), found.end());
}

void realizeTargets(const std::vector<NodePtr> &requested,
                    std::source_location loc,
                    const std::vector<InPlace> &inPlace) {
  // Only distinct, not yet computed targets take part.
  std::vector<NodePtr> targets;
  std::unordered_set<Node *> seen;
  for (const NodePtr &t : requested)
    if (t && !t->isRealized() && seen.insert(t.get()).second)
      targets.push_back(t);
  if (targets.empty())
    return;
  keepCollectiveResults(targets);
  checkInputVersions(targets, loc);

  // Each result's size; one too large to exist fails here, before anything
  // is compiled.
  auto describeResult = [&loc](const NodePtr &t) {
    return [&loc, node = t.get()] {
      return fmt::format("the result of ember.{} (shape {}) realised at {}",
                         opName(node->kind), shapeString(node->shape),
                         formatLocation(loc));
    };
  };
  std::vector<size_t> resultBytes;
  resultBytes.reserve(targets.size());
  for (const NodePtr &t : targets)
    resultBytes.push_back(denseBytes(t->shape, t->dtype, describeResult(t)));

  Device device = targets.front()->device;
  std::vector<NodePtr> leaves;
  std::vector<Node *> order = topologicalOrder(targets);
  Substitutions rewrites = cachedInferenceWeights(order, loc);
  // (A training step's graph has no rewrites: one walk serves both.)
  std::string text = rewrites.empty()
                         ? emitGraph(targets, &leaves, nullptr, nullptr, &order)
                         : emitGraph(targets, &leaves, nullptr, &rewrites);
  for (const NodePtr &t : targets)
    if (!(t->device == device))
      failAt(loc, "cannot compute tensors on " + device.str() + " and " +
                      t->device.str() + " in one graph");
  rt::cuda::Device *gpu = device.is_cuda() ? &cudaDevice(device, loc) : nullptr;
  // Targets computed into a leaf's buffer: tied[i] is the leaf's argument
  // index, or -1. The graph says so (ember-tie-results), and no longer
  // returns them.
  std::vector<int64_t> tied(targets.size(), -1);
  if (gpu && !inPlace.empty()) {
    std::vector<std::pair<int64_t, int64_t>> pairs;
    std::unordered_set<Node *> taken;
    for (const InPlace &p : inPlace) {
      auto target = std::find(targets.begin(), targets.end(), p.target);
      auto leaf = std::find(leaves.begin(), leaves.end(), p.leaf);
      if (target == targets.end() || leaf == leaves.end() ||
          !(p.leaf->device == device) || !p.leaf->deviceData ||
          p.leaf->deviceData.use_count() -
                  ResultSlot::holding(p.leaf->deviceData.get()) !=
              1 ||
          p.leaf->shape != p.target->shape ||
          p.leaf->dtype != p.target->dtype ||
          !taken.insert(p.leaf.get()).second)
        continue;
      size_t t = target - targets.begin();
      if (tied[t] >= 0)
        continue;
      tied[t] = leaf - leaves.begin();
      pairs.emplace_back(t, tied[t]);
    }
    if (!pairs.empty()) {
      std::string attribute = " attributes {ember.tied_results = array<i64: ";
      for (size_t i = 0; i < pairs.size(); ++i)
        attribute += fmt::format("{}{}, {}", i ? ", " : "", pairs[i].first,
                                 pairs[i].second);
      attribute += ">}";
      // After the function's result types, before its body.
      size_t header = text.find("func.func @graph(");
      size_t body = text.find(" {\n", header);
      text.insert(body, attribute);
    }
  }
  // Host results are allocated before anything is compiled: one the system
  // refuses fails at once, not after a compilation it made useless.
  std::vector<std::shared_ptr<rt::Buffer>> outputs;
  if (!gpu)
    for (size_t i = 0; i < targets.size(); ++i)
      outputs.push_back(
          allocateHost(resultBytes[i], describeResult(targets[i])));

  std::shared_ptr<CompiledGraph> compiled =
      compiledGraph(text, device, gpu, loc, [&](size_t i) {
        std::string name = fmt::format("input {}", i);
        if (i < leaves.size() && *leaves[i]->location.file_name())
          name += " (made at " + formatLocation(leaves[i]->location) + ")";
        return name;
      });

  if (gpu) {
    std::vector<rt::cuda::DevicePtr> args;
    std::lock_guard<std::mutex> runs(compiled->gpuMutex);
    compiled->hostInputSlots.resize(leaves.size());
    for (size_t j = 0; j < leaves.size(); ++j) {
      const Node &leaf = *leaves[j];
      if (leaf.deviceData && leaf.device == device) {
        args.push_back(leaf.deviceData->address());
        continue;
      }
      // A host scalar: uploaded into this argument's own buffer (the copy
      // runs after the graph's previous run, on the same stream).
      std::shared_ptr<rt::Buffer> host = hostData(leaf, loc);
      size_t bytes = static_cast<size_t>(leaf.numel()) * dtypeSize(leaf.dtype);
      std::shared_ptr<rt::cuda::DeviceBuffer> &slot =
          compiled->hostInputSlots[j];
      if (!slot || slot->size() != bytes)
        slot = allocateOn(*gpu, bytes, loc);
      if (rt::Status s = gpu->copyToDevice(*slot, host->data(), bytes); !s)
        failAt(loc, s.message());
      args.push_back(slot->address());
    }
    std::vector<std::shared_ptr<rt::cuda::DeviceBuffer>> outputs;
    while (compiled->resultSlots.size() < targets.size())
      compiled->resultSlots.push_back(std::make_unique<ResultSlot>());
    for (size_t i = 0; i < targets.size(); ++i) {
      ResultSlot &slot = *compiled->resultSlots[i];
      if (tied[i] >= 0) {
        // (A buffer it held is not this run's result: let it go.)
        slot.set(nullptr);
        outputs.push_back(leaves[tied[i]]->deviceData);
        continue;
      }
      const NodePtr &t = targets[i];
      size_t bytes = static_cast<size_t>(t->numel()) * dtypeSize(t->dtype);
      if (!slot.get() || slot.get().use_count() != 1 ||
          slot.get()->size() != bytes)
        slot.set(allocateOn(*gpu, bytes, loc));
      outputs.push_back(slot.get());
      args.push_back(slot.get()->address());
    }
    if (rt::Status s = compiled->gpuExecutable->run(args); !s)
      failAt(loc, "running the graph on " + device.str() + " failed: " +
                      s.message());
    for (size_t i = 0; i < targets.size(); ++i) {
      targets[i]->deviceData = outputs[i];
      if (!targets[i]->requiresGrad)
        targets[i]->inputs.clear();
    }
    return;
  }

  std::vector<void *> args;
  for (const NodePtr &leaf : leaves)
    args.push_back(leaf->data->data());
  for (const std::shared_ptr<rt::Buffer> &output : outputs)
    args.push_back(output->data());
  if (rt::Status s = compiled->executable->run(args.data()); !s)
    failAt(loc, fmt::format("running the graph of ember.{} (shape {}) "
                            "failed: {}",
                            opName(targets.front()->kind),
                            shapeString(targets.front()->shape),
                            s.message()));
  // Before any result is used: an optimizer step that produced NaN leaves
  // the parameters as they were.
  if (anomalyChecksOn())
    for (size_t i = 0; i < targets.size(); ++i)
      if (const char *v = firstNonFinite(outputs[i]->data(), targets[i]->dtype,
                                         targets[i]->numel()))
        reportAnomaly(targets, i, v, loc);
  for (size_t i = 0; i < targets.size(); ++i) {
    targets[i]->data = outputs[i];
    // The inputs are only needed again to differentiate through the node.
    if (!targets[i]->requiresGrad)
      targets[i]->inputs.clear();
  }
}

} // namespace
} // namespace ember::fe
