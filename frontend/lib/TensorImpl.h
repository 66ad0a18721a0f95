//===- TensorImpl.h - What a Tensor handle refers to ------------*- C++ -*-===//
//
// Part of Ember. Internal to the frontend. A Tensor is a handle on a
// TensorImpl, which copies of the handle share (as torch::Tensor shares its
// TensorImpl): the node holding the tensor's current value, which an
// in-place operation replaces, and for a view the tensor it shares its
// values with. Nodes themselves never change value once recorded, so what
// was recorded before an in-place write keeps reading the old value.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_FRONTEND_LIB_TENSORIMPL_H
#define EMBER_FRONTEND_LIB_TENSORIMPL_H

#include "ember/frontend/Tensor.h"

#include <memory>
#include <source_location>
#include <vector>

namespace ember::fe {

/// One step from a view's base towards the view: a box of the base
/// (offsets and strides, Node::window's layout), a reshape, or a
/// permutation; `shape` is the step's result.
struct ViewStep {
  /// Detach and Broadcast are read-only views (writes to them are refused:
  /// TensorImpl::noInPlace), kept as views so that they follow writes to
  /// their base as PyTorch's detach() and expand() do.
  enum class Kind : uint8_t { Box, Reshape, Permute, Detach, Broadcast };
  Kind kind;
  std::vector<int64_t> window; ///< Box: offsets, then strides
  std::vector<int64_t> perm;   ///< Permute
  Shape shape;
};

struct TensorImpl {
  /// The node holding the current value (for a view, as of baseVersion).
  NodePtr node;
  /// A base (a tensor that is not a view): how many in-place writes its
  /// values have had, through it or any of its views.
  uint64_t version = 0;
  /// A view: the base whose values it shares and the steps from the base's
  /// value to the view's.
  std::shared_ptr<TensorImpl> base;
  std::vector<ViewStep> steps;
  /// The base's version `node` was derived at; when the base has moved on,
  /// node() derives it again from the base's new value.
  uint64_t baseVersion = 0;
  /// The base's node's own version then (a leaf's data replaced in place,
  /// by an optimizer step or a write under NoGradGuard, moves it on).
  uint64_t baseNodeVersion = 0;
  /// Whether autograd was on when the view was made (deriving it again
  /// records as then).
  bool gradMode = true;
  std::source_location location;
  /// A base: its views, whose values an in-place write replaces too.
  std::vector<std::weak_ptr<TensorImpl>> views;
  /// A tensor returned by grad(): the leaf whose gradient it is (an
  /// in-place write replaces that gradient).
  std::weak_ptr<Node> gradOf;
  bool isGrad = false;
  /// Why an in-place write to this tensor would differ from PyTorch's,
  /// where it shares values that Ember copied (detach(), broadcast_to()),
  /// or null.
  const char *noInPlace = nullptr;

  static std::shared_ptr<TensorImpl> of(const Tensor &t) { return t.impl_; }
};

//===----------------------------------------------------------------------===//
// Recording (Tensor.cpp): plain nodes, not views
//===----------------------------------------------------------------------===//

/// ember.slice of `x`: the box at `offsets` with `strides` of `shape`
/// (`x` itself when the box is all of it).
Tensor sliceBox(const Tensor &x, std::vector<int64_t> offsets,
                std::vector<int64_t> strides, Shape shape,
                std::source_location loc);
/// ember.slice_scatter: `dest` with that box replaced by `src` (`src`
/// when the box is all of it).
Tensor scatterBox(const Tensor &dest, const Tensor &src,
                  std::vector<int64_t> offsets, std::vector<int64_t> strides,
                  std::source_location loc);
/// ember.reshape and ember.transpose of `x` (`x` when they change nothing).
Tensor reshapeNode(const Tensor &x, Shape shape, std::source_location loc);
Tensor permuteNode(const Tensor &x, std::vector<int64_t> perm,
                   std::source_location loc);
/// A node with `x`'s value and gradient (a same-shape reshape).
Tensor copyNode(const Tensor &x, std::source_location loc);
/// While alive, autograd recording on this thread is `on` (NoGradGuard
/// only turns it off).
class GradMode {
public:
  explicit GradMode(bool on);
  ~GradMode();
  GradMode(const GradMode &) = delete;
  GradMode &operator=(const GradMode &) = delete;

private:
  bool previous_;
};

/// A leaf holding realised `n`'s buffers (no copy), located at `loc`.
NodePtr leafSharing(const Node &n, std::source_location loc);
/// detach()'s node (no view): `x` itself when it needs no gradient.
Tensor detachNode(const Tensor &x, std::source_location loc);
/// broadcast_to()'s node (no view).
Tensor broadcastNodeOf(const Tensor &x, const Shape &shape,
                       std::source_location loc);

/// `x` broadcast to `shape` on `device` (where a rank-0 host tensor may
/// join, as in binary ops); `x` itself if it is on another device.
Tensor broadcastOn(const Tensor &x, Shape shape, const Device &device,
                   std::source_location loc);
/// Zeros of `shape` on `device` (a broadcast scalar).
Tensor zerosOn(Shape shape, DType dtype, const Device &device,
               std::source_location loc);

//===----------------------------------------------------------------------===//
// Views and in-place writes (Indexing.cpp)
//===----------------------------------------------------------------------===//

/// Makes `view` (a new tensor computed from `base` by `step`) a view of
/// `base`'s base: it shares the values from now on. `view` itself when it
/// is `base`.
Tensor viewOf(const Tensor &base, Tensor view, ViewStep step,
              std::source_location loc);
/// `t`, whose in-place writes are refused with `why` (a tensor PyTorch
/// makes share another's values where Ember copies).
Tensor withoutInPlace(Tensor t, const char *why);
/// Makes `t`, which must need no gradient, a leaf holding its value
/// (computed now), as PyTorch takes a tensor without autograd history for
/// a leaf: requires_grad_() and module buffers need one. A view stops
/// being one.
void materializeLeaf(const Tensor &t, std::source_location loc);
/// The gradient of `leaf` as grad() returns it: writing to it in place
/// changes the leaf's gradient.
Tensor gradOf(const NodePtr &leaf);

} // namespace ember::fe

#endif // EMBER_FRONTEND_LIB_TENSORIMPL_H
