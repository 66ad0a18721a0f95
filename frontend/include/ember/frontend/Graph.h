//===- Graph.h - The recorded tensor graph ----------------------*- C++ -*-===//
//
// Part of Ember. Tensor operations record Nodes; nothing is computed until a
// result is needed. A Node either holds data (a leaf, or a node that has been
// realised) or describes how to compute its value from its inputs. Each
// OpKind corresponds to one op of the `ember` dialect.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_FRONTEND_GRAPH_H
#define EMBER_FRONTEND_GRAPH_H

#include "ember/frontend/Device.h"
#include "ember/runtime/Buffer.h"
#include "ember/runtime/DType.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <source_location>
#include <string>
#include <string_view>
#include <vector>

namespace ember {
namespace rt::cuda {
class DeviceBuffer;
} // namespace rt::cuda

/// A tensor shape: one size per dimension, outermost first.
using Shape = std::vector<int64_t>;

/// Number of elements of a shape (1 for a rank-0 shape).
int64_t numelOf(const Shape &shape);

namespace fe {

/// What a Node computes: Leaf (data supplied by the user; no inputs) or
/// one op of the `ember` dialect, as Ops.def lists them.
enum class OpKind : uint8_t {
  Leaf,
#define EMBER_OP(Kind, name, Attributes, Types, Gradient) Kind,
#include "ember/frontend/Ops.def"
};

/// How the graph printer writes an op (Ops.def's Attributes and Types
/// columns).
enum class OpAttributes : uint8_t { None, Dim, Dims, Perm, Conv, Pool, Box };
enum class OpTypes : uint8_t { Result, Select, FirstIn, AllIn };

/// Ops.def's row of one op.
struct OpInfo {
  std::string_view name; ///< the ember op, without "ember."; "leaf"
  OpAttributes attributes;
  OpTypes types;
  bool differentiable; ///< its result may carry a gradient
};

/// The row of `kind` (Leaf has a row of its own: "leaf", no gradient).
const OpInfo &opInfo(OpKind kind);

/// Every kind but Leaf, in Ops.def's order.
const std::vector<OpKind> &allOps();

/// Whether `kind` is a convolution or one of its gradients (they share
/// Node::window).
inline bool isConvolution(OpKind kind) {
  return opInfo(kind).attributes == OpAttributes::Conv;
}

/// Whether `kind` is one of the elementwise comparisons (Eq ... Ge).
inline bool isComparison(OpKind kind) {
  return kind >= OpKind::Eq && kind <= OpKind::Ge;
}

/// A shape as it appears in messages: "[2, 3]".
std::string shapeString(const Shape &shape);

/// Describes, for an error message, what is being sized or allocated; only
/// called when there is an error (realisation sizes every result).
using Describe = std::function<std::string()>;

/// Bytes of a dense tensor of `shape` and `dtype`; an ember::Error naming
/// what(): when a dimension is negative or the size does not fit in
/// memory's address space (2^62 bytes), checked before anything is
/// allocated.
size_t denseBytes(const Shape &shape, DType dtype, const Describe &what);

/// A host buffer of `bytes` (zero-filled when `zero`); when the system is
/// out of memory, an ember::Error naming what() and the size asked for,
/// after which the process goes on working.
std::shared_ptr<rt::Buffer> allocateHost(size_t bytes, const Describe &what,
                                         bool zero = false);

/// The dialect mnemonic of a kind, e.g. "add" (Leaf gives "leaf").
std::string_view opName(OpKind kind);

/// One node of the recorded graph.
struct Node {
  OpKind kind = OpKind::Leaf;
  std::vector<std::shared_ptr<Node>> inputs;
  /// Each input's `version` when this node was recorded: a node whose input
  /// has since been given another value in place (an optimizer step,
  /// load_state_dict) would compute with the new value, so realising it
  /// is an error instead (checkInputVersions).
  std::vector<uint64_t> inputVersions;
  /// How many times this (realised) node's value was replaced in place.
  uint64_t version = 0;
  /// Set when the tensor holding this node's value took another in place
  /// (Tensor::add_ and the like; the new value is another node): a
  /// gradient that needs this value refuses, as PyTorch's autograd refuses
  /// a saved tensor modified in place. Where, and the tensor's version
  /// after the write.
  bool overwritten = false;
  std::source_location overwrittenAt;
  uint64_t overwrittenVersion = 0;
  Shape shape;
  DType dtype = DType::Float32;
  /// Transpose: the permutation. Sum/Max/Min: the reduced dimensions
  /// (sorted). Argmax: the one dimension.
  std::vector<int64_t> axes;
  /// Sum/Max/Min/Argmax: keep reduced dimensions as size 1.
  bool keepdim = false;
  /// Convolutions (isConvolution): stride, padding and dilation (height,
  /// width each), then groups. Max pooling: kernel, stride, padding and
  /// dilation (height, width each). Slice/SliceScatter: the box's offsets,
  /// then its strides (one per dimension each).
  std::vector<int64_t> window;
  /// The node's value once known: set for leaves, and for op nodes once they
  /// have been realised (their inputs are then released).
  std::shared_ptr<rt::Buffer> data;
  /// The same, for a node on a CUDA device.
  std::shared_ptr<rt::cuda::DeviceBuffer> deviceData;
  /// Where the node's value lives (and its op runs).
  Device device;
  /// Where the user recorded this node.
  std::source_location location;
  /// Whether gradients flow to this node (set on parameters by the user,
  /// and on every op node that has such an input while grad mode is on).
  bool requiresGrad = false;
  /// For leaves that require grad: the accumulated gradient (lazy, like any
  /// other tensor), or null.
  std::shared_ptr<Node> grad;
  /// For a weight (a 2-D f32 leaf that requires grad) used by linear() on
  /// the CPU without autograd (inference): the weight as products read it
  /// (its transpose's column panels of width `inferenceWeightWidth`, or
  /// its transpose when that is 0), computed once for `inferenceWeightFrom`
  /// as it was after `inferenceWeightWrites` writes, and read by every
  /// later inference graph instead of packing it again.
  std::shared_ptr<Node> inferenceWeight;
  std::weak_ptr<rt::Buffer> inferenceWeightFrom;
  uint64_t inferenceWeightWrites = 0;
  int64_t inferenceWeightWidth = 0;

  int64_t numel() const { return numelOf(shape); }
  bool isRealized() const { return data != nullptr || deviceData != nullptr; }
};

using NodePtr = std::shared_ptr<Node>;

/// Throws ember::Error, naming `loc`, when a node not yet computed that
/// `targets` lead to reads an input whose value was replaced in place
/// after the node was recorded (Node::inputVersions).
void checkInputVersions(const std::vector<NodePtr> &targets,
                        std::source_location loc);

/// In every node not yet computed that `roots` lead to (the roots
/// included), replaces each input that is a key of `with` by its value.
/// An optimizer step uses it to keep the gradients' graphs reading the
/// parameters' values from before the step.
void replaceInputs(const std::vector<NodePtr> &roots,
                   const std::vector<std::pair<Node *, NodePtr>> &with);

/// Leaves and the gradients one backward() computed for them, before they
/// are added to the leaves' Node::grad.
using LeafGradients = std::vector<std::pair<NodePtr, NodePtr>>;
/// Registers `hook`, which every backward() (on any thread) calls with the
/// gradients it computed for leaves, in the order the leaves were reached;
/// it may replace gradients (distributed::DistributedDataParallel sums them
/// over ranks), each with one of the same shape, dtype and device. Returns
/// an id for removeGradientsHook. Hooks run in registration order.
uint64_t addGradientsHook(std::function<void(LeafGradients &)> hook);
void removeGradientsHook(uint64_t id);

} // namespace fe
} // namespace ember

#endif // EMBER_FRONTEND_GRAPH_H
