//===- Realize.h - Computing recorded graphs --------------------*- C++ -*-===//
//
// Part of Ember. Internal to the frontend.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_FRONTEND_LIB_REALIZE_H
#define EMBER_FRONTEND_LIB_REALIZE_H

#include "ember/frontend/Graph.h"

#include <memory>
#include <source_location>
#include <string>
#include <unordered_map>
#include <vector>

namespace ember {
class Tensor;
}

namespace ember::rt::cuda {
class Device;
} // namespace ember::rt::cuda

namespace ember::fe {

/// While alive, the ops recorded on this thread are located at `loc`, the
/// user's call of a library function that records them (an optimizer's
/// step()), instead of the library's own lines: anomaly reports and graph
/// dumps then name the user's code. Nested scopes keep the outermost.
class CallerLocation {
public:
  explicit CallerLocation(std::source_location loc);
  ~CallerLocation();
  CallerLocation(const CallerLocation &) = delete;
  CallerLocation &operator=(const CallerLocation &) = delete;

private:
  bool outermost_;
};

/// Called when an all-reduce is recorded: from then on, realising a graph
/// keeps the result of every all-reduce it computes (see Realize.cpp).
void noteCollectiveRecorded();

/// Computes every node of `targets` that has no data yet: the graph leading
/// to them becomes one ember function, which is compiled (or found in the
/// cache) and run. Afterwards each target holds its data and has released
/// its inputs. Throws ember::Error naming `loc` on failure.
///
/// `inPlace` (GPU graphs only) lists targets to compute into a leaf's device
/// buffer instead of a new one, the leaf's value being lost: an optimizer
/// step updating parameters and their state in place, so that every step
/// runs on the same buffers (and replays one captured CUDA graph). A pair
/// is honoured when the leaf is an input of the graph, on the graph's
/// device, of the target's shape and dtype, and its buffer is its own (no
/// other node shares it); then the target's buffer is the leaf's. Others
/// are computed as usual.
struct InPlace {
  NodePtr target, leaf;
};
void realize(const std::vector<NodePtr> &targets, std::source_location loc,
             const std::vector<InPlace> &inPlace = {});

/// Uniform numbers in [0, 1) of `shape` drawn inside the graph on `device`
/// (ember.random_uniform), from the generator manual_seed seeds; each call
/// takes the next numbers of its stream.
NodePtr randomUniform(Shape shape, DType dtype, const Device &device,
                      std::source_location loc);

/// Gives the leaf `leaf` the value of `value` (lazy; of the leaf's shape,
/// dtype and device) in place, computed with the next graph realised on
/// this thread on that device (on a GPU, into the leaf's buffer). A module
/// buffer updated by a training forward, such as batch norm's running
/// statistics, is assigned so: in PyTorch the forward writes it at once.
/// A second assignment before then replaces the first (its value should
/// read pendingValue(leaf)).
void assignLater(const NodePtr &leaf, const NodePtr &value);
/// Drops `leaf`'s pending assignment, if any (a value loaded into it
/// replaces what a forward computed).
void cancelAssign(const Node *leaf);
/// Gives the leaf `leaf` new data now, in place: `host` on the CPU,
/// `device` on a GPU (owned by nothing else). Every handle on the leaf
/// sees it, a pending assignment is dropped, and nodes recorded from the
/// old value may no longer run (the version moves on).
void setLeafData(Node &leaf, std::shared_ptr<rt::Buffer> host,
                 std::shared_ptr<rt::cuda::DeviceBuffer> device);
/// What `leaf` will hold once its pending assignment is computed: the
/// pending value, or the leaf itself.
NodePtr pendingValue(const NodePtr &leaf);

//===----------------------------------------------------------------------===//
// Printing graphs (EmitGraph.cpp) and rewriting them first (WeightCache.cpp)
//===----------------------------------------------------------------------===//

/// Nodes computed in place of others when a graph is printed: a rewrite of
/// the recorded graph made before emission, which leaves the recorded
/// nodes as they are. Each key is printed as its value (a node whose
/// inputs may be substituted too).
using Substitutions = std::unordered_map<const Node *, NodePtr>;

/// Nodes reachable from `targets` (after `substitutions`) that need
/// computing, inputs before users. Realised nodes are leaves of the walk.
/// Iterative, so deep chains do not exhaust the stack.
std::vector<Node *>
topologicalOrder(const std::vector<NodePtr> &targets,
                 const Substitutions *substitutions = nullptr);

/// The graph leading to `targets` as ember IR (MLIR text), with the leaves
/// it reads, in argument order. Exposed for tests and graph export.
/// With `arguments`, exactly those nodes become the function's arguments,
/// in that order, and every other computed-ahead input a constant.
/// `order`, when the caller has it, is topologicalOrder(targets,
/// substitutions) (the walk is a good part of a step's host time).
std::string emitGraph(const std::vector<NodePtr> &targets,
                      std::vector<NodePtr> *leaves = nullptr,
                      const std::vector<NodePtr> *arguments = nullptr,
                      const Substitutions *substitutions = nullptr,
                      const std::vector<Node *> *order = nullptr);

/// Inference on the CPU reads each weight prepacked once, from a cache,
/// instead of transposing and packing it in every graph (at batch 64 that
/// costs about a fifth of a linear layer): each linear node of the graph
/// of `targets` without autograd (no backward goes through it) whose
/// weight W is a realised 2-D f32 parameter becomes a matmul by W^T and a
/// bias add, where W^T is read from its column panels as the product's
/// tiles take them (compiler::prepackedPanelWidth) when their width
/// divides W's rows, else from a cached transpose. The cached form is
/// computed by a graph of its own the first time, and again only when the
/// weight's buffer is another one, was written through data_ptr(), or the
/// panel width changed (another CPU target). Training graphs are unchanged:
/// their linear nodes record autograd, and the weights change every step.
/// `order` is topologicalOrder(targets).
Substitutions cachedInferenceWeights(const std::vector<Node *> &order,
                                     std::source_location loc);

//===----------------------------------------------------------------------===//
// Buffers on the host and on GPUs (Devices.cpp)
//===----------------------------------------------------------------------===//

/// Throws ember::Error "ember: <what> (at <loc>)".
[[noreturn]] void failAt(std::source_location loc, const std::string &what);

/// The runtime device behind `device`, or an Error saying why there is none.
rt::cuda::Device &cudaDevice(const Device &device, std::source_location loc);

/// `bytes` of memory on `device`, or an Error naming `loc`.
std::shared_ptr<rt::cuda::DeviceBuffer>
allocateOn(rt::cuda::Device &device, size_t bytes, std::source_location loc);

/// The node's (realised) value on the host: its own buffer, or a copy of
/// its device buffer.
std::shared_ptr<rt::Buffer> hostData(const Node &node, std::source_location loc);
/// The node's (realised) value on CUDA device `device`: its own device
/// buffer, or a copy of its host buffer.
std::shared_ptr<rt::cuda::DeviceBuffer>
deviceData(const Node &node, const Device &device, std::source_location loc);

/// The scalars backward() was called on since the last call, still alive
/// and not yet computed: an optimizer step realises them with the update.
std::vector<NodePtr> takePendingBackwardRoots();

/// The leaves (of any optimizer, or of none) whose gradient backward()
/// recorded and nobody has computed yet.
std::vector<NodePtr> leavesWithLazyGradients();

/// empty() without the zero fill: for the library's own tensors whose
/// every element is written through data_ptr() before anything reads it
/// (a batch the data loaders fill, say).
ember::Tensor uninitialized(Shape shape, DType dtype);

/// How many entries the list behind leavesWithLazyGradients() holds now
/// (for tests: it must not grow with the steps).
size_t gradientLeavesListed();

} // namespace ember::fe

#endif // EMBER_FRONTEND_LIB_REALIZE_H
