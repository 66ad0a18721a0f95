//===- Indexing.cpp - Views, indexing, joining and in-place writes --------===//
//
// Part of Ember. PyTorch's basic indexing, views and in-place operations on
// a lazy graph whose nodes never change value, as functionalisation does
// it (torch-mlir, XLA): a view records the steps from its base (boxes,
// reshapes, permutations), an in-place write to a tensor records its new
// value and gives it to the tensor's base (through ember.slice_scatter and
// the inverse steps for a view), and a view whose base has moved on is
// derived again when next read. What was recorded before a write keeps
// reading the old value, as PyTorch's eager results would have.
//
//===----------------------------------------------------------------------===//

#include "Realize.h"
#include "TensorImpl.h"
#include "ember/frontend/Tensor.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>

namespace ember {

using fe::Node;
using fe::NodePtr;
using fe::OpKind;
using fe::TensorImpl;
using fe::ViewStep;
using Loc = std::source_location;

namespace {

[[noreturn]] void fail(std::string_view op, const std::string &what, Loc loc) {
  throw Error(fmt::format("{}: {} (at {})", op, what, fe::formatLocation(loc)));
}

std::string shapeStr(const Shape &shape) { return fe::shapeString(shape); }

const Tensor &checked(const Tensor &t, std::string_view op, Loc loc) {
  if (!t.defined())
    fail(op, "the tensor is undefined", loc);
  return t;
}

int64_t normalizeDim(int64_t dim, int64_t rank, std::string_view op, Loc loc) {
  int64_t d = dim < 0 ? dim + rank : dim;
  if (d < 0 || d >= rank)
    fail(op,
         fmt::format("dimension {} is out of range for a tensor of rank {}",
                     dim, rank),
         loc);
  return d;
}

/// `value` with `step` applied (a plain node, not a view).
Tensor applyStep(const Tensor &value, const ViewStep &step, Loc loc) {
  switch (step.kind) {
  case ViewStep::Kind::Box: {
    size_t rank = step.shape.size();
    return fe::sliceBox(
        value, {step.window.begin(), step.window.begin() + rank},
        {step.window.begin() + rank, step.window.end()}, step.shape, loc);
  }
  case ViewStep::Kind::Reshape:
    return fe::reshapeNode(value, step.shape, loc);
  case ViewStep::Kind::Permute:
    return fe::permuteNode(value, step.perm, loc);
  case ViewStep::Kind::Detach:
    return fe::detachNode(value, loc);
  case ViewStep::Kind::Broadcast:
    return fe::broadcastNodeOf(value, step.shape, loc);
  }
  return value;
}

/// `whole` (what `step` was applied to) with the part `step` selects
/// replaced by `part`.
Tensor unapplyStep(const Tensor &whole, const ViewStep &step,
                   const Tensor &part, Loc loc) {
  switch (step.kind) {
  case ViewStep::Kind::Box: {
    size_t rank = step.shape.size();
    return fe::scatterBox(whole, part,
                          {step.window.begin(), step.window.begin() + rank},
                          {step.window.begin() + rank, step.window.end()}, loc);
  }
  case ViewStep::Kind::Reshape:
    return fe::reshapeNode(part, whole.shape(), loc);
  case ViewStep::Kind::Detach:
  case ViewStep::Kind::Broadcast:
    // Writes through them are refused before they get here (noInPlace).
    throw Error("ember: internal error: a write through a read-only view");
  case ViewStep::Kind::Permute: {
    std::vector<int64_t> inverse(step.perm.size());
    for (size_t i = 0; i < step.perm.size(); ++i)
      inverse[step.perm[i]] = static_cast<int64_t>(i);
    return fe::permuteNode(part, inverse, loc);
  }
  }
  return part;
}

/// Gives a view the value its steps make of its base's current value.
void deriveView(TensorImpl &view) {
  TensorImpl &base = *view.base;
  fe::CallerLocation at(view.location);
  fe::GradMode mode(view.gradMode); // as when the view was made
  Tensor value(base.node);
  for (const ViewStep &step : view.steps)
    value = applyStep(value, step, view.location);
  view.node = value.node();
  view.baseVersion = base.version;
  view.baseNodeVersion = base.node->version;
}

/// Guards deriving views again: threads (DataLoader workers) may read one
/// view at once.
std::mutex &deriveMutex() {
  static std::mutex mutex;
  return mutex;
}

/// Guards every base's list of views (TensorImpl::views).
std::mutex &viewListMutex() {
  static std::mutex mutex;
  return mutex;
}

/// Marks `node`'s value as written over at `loc` (the tensor then being at
/// `version`): backward() refuses to read it (Node::overwritten).
void markOverwritten(const NodePtr &node, uint64_t version, Loc loc) {
  if (!node || node->overwritten)
    return;
  node->overwritten = true;
  node->overwrittenAt = loc;
  node->overwrittenVersion = version;
}

} // namespace

//===----------------------------------------------------------------------===//
// The handle
//===----------------------------------------------------------------------===//

Tensor::Tensor(fe::NodePtr node)
    : impl_(node ? std::make_shared<TensorImpl>() : nullptr) {
  if (impl_)
    impl_->node = std::move(node);
}

const fe::NodePtr &Tensor::node() const {
  static const fe::NodePtr none;
  if (!impl_)
    return none;
  if (impl_->base) {
    std::lock_guard<std::mutex> lock(deriveMutex());
    if (impl_->baseVersion != impl_->base->version ||
        impl_->baseNodeVersion != impl_->base->node->version)
      deriveView(*impl_);
  }
  return impl_->node;
}

uint64_t Tensor::_version() const {
  if (!impl_)
    return 0;
  return impl_->base ? impl_->base->version : impl_->version;
}

namespace fe {

Tensor viewOf(const Tensor &base, Tensor view, ViewStep step, Loc loc) {
  std::shared_ptr<TensorImpl> b = TensorImpl::of(base);
  std::shared_ptr<TensorImpl> v = TensorImpl::of(view);
  if (!b || !v || b == v)
    return view;
  if (b->noInPlace) {
    v->noInPlace = b->noInPlace;
    return view;
  }
  std::shared_ptr<TensorImpl> root = b->base ? b->base : b;
  v->steps = b->base ? b->steps : std::vector<ViewStep>{};
  v->steps.push_back(std::move(step));
  v->base = root;
  v->baseVersion = root->version;
  v->baseNodeVersion = root->node->version;
  v->gradMode = is_grad_enabled();
  v->location = loc;
  // Reshaping a tensor is a read: threads (DataLoader workers) may do it to
  // one tensor at once.
  std::lock_guard<std::mutex> lock(viewListMutex());
  // Forget views that are gone before the list doubles.
  if (root->views.size() >= 8 &&
      (root->views.size() & (root->views.size() - 1)) == 0)
    std::erase_if(root->views, [](const std::weak_ptr<TensorImpl> &w) {
      return w.expired();
    });
  root->views.push_back(v);
  return view;
}

Tensor withoutInPlace(Tensor t, const char *why) {
  if (std::shared_ptr<TensorImpl> impl = TensorImpl::of(t))
    impl->noInPlace = why;
  return t;
}

void materializeLeaf(const Tensor &t, Loc loc) {
  std::shared_ptr<TensorImpl> impl = TensorImpl::of(t);
  if (!impl || t.node()->kind == OpKind::Leaf)
    return;
  t.realize(loc);
  impl->node = leafSharing(*t.node(), t.node()->location);
  // No longer a view; its own views derive again (the same values).
  impl->base.reset();
  impl->steps.clear();
  ++impl->version;
}

Tensor gradOf(const NodePtr &leaf) {
  if (!leaf || !leaf->grad)
    return Tensor();
  Tensor g(leaf->grad);
  TensorImpl::of(g)->gradOf = leaf;
  TensorImpl::of(g)->isGrad = true;
  return g;
}

} // namespace fe

//===----------------------------------------------------------------------===//
// In-place writes
//===----------------------------------------------------------------------===//

namespace {

/// The scalar operand of in-place op `op` on `t`, of t's dtype: a value
/// that is not a whole number cannot be written into an integer tensor
/// (PyTorch refuses any float there; C++ cannot tell 1 from 1.0).
Tensor scalarFor(const Tensor &t, double value, std::string_view op, Loc loc) {
  if (!isFloatingPoint(t.dtype()) && value != std::trunc(value))
    fail(op,
         fmt::format("the result's dtype float32 cannot be written into a {} "
                     "tensor (the operand {} is not a whole number)",
                     dtypeName(t.dtype()), value),
         loc);
  return full({}, value, t.dtype());
}

/// `other`, checked to broadcast to `t`'s shape (an in-place result keeps
/// the tensor's shape).
const Tensor &operandFor(const Tensor &t, const Tensor &other,
                         std::string_view op, Loc loc) {
  checked(other, op, loc);
  const Shape &to = t.shape(), &from = other.shape();
  bool fits = from.size() <= to.size();
  for (size_t i = 0; fits && i < from.size(); ++i) {
    int64_t f = from[from.size() - 1 - i], d = to[to.size() - 1 - i];
    fits = f == d || f == 1;
  }
  if (!fits)
    fail(op,
         fmt::format("a value of shape {} does not broadcast to the "
                     "tensor's shape {}",
                     shapeStr(from), shapeStr(to)),
         loc);
  return other;
}

/// Gives `self` (and its base and views) the value `value`, as an in-place
/// op `op` at `loc` does.
/// `fresh`: `value` was made by the op, not handed in by the user (whose
/// node must stay its own).
void assign(const Tensor &self, Tensor value, std::string_view op, Loc loc,
            bool fresh = true) {
  checked(self, op, loc);
  std::shared_ptr<TensorImpl> impl = TensorImpl::of(self);
  if (impl->noInPlace)
    fail(op, impl->noInPlace, loc);
  const NodePtr &current = self.node();
  checked(value, op, loc);
  NodePtr given = value.node();
  if (value.shape() != current->shape || !(value.device() == current->device))
    // On the tensor's device: a rank-0 value on the host joins any device.
    value = fe::broadcastOn(operandFor(self, value, op, loc), current->shape,
                            current->device, loc);
  if (value.dtype() != current->dtype) {
    if (isFloatingPoint(value.dtype()) && !isFloatingPoint(current->dtype))
      fail(op,
           fmt::format("the result's dtype {} cannot be written into a {} "
                       "tensor",
                       dtypeName(value.dtype()), dtypeName(current->dtype)),
           loc);
    value = value.to(current->dtype, loc);
  }
  if (!(value.device() == current->device))
    fail(op,
         fmt::format("the value is on {} and the tensor on {}",
                     value.device().str(), current->device.str()),
         loc);
  if (!fresh && value.node() == given)
    value = fe::copyNode(value, loc);

  std::shared_ptr<TensorImpl> root = impl->base ? impl->base : impl;
  NodePtr rootNode = root->node;
  if (root->isGrad) {
    NodePtr leaf = root->gradOf.lock();
    if (!leaf || leaf->grad != rootNode)
      fail(op,
           "this grad() is out of date: backward() or zero_grad() has "
           "replaced the leaf's gradient since it was taken (PyTorch would "
           "have written into the same tensor); call grad() again",
           loc);
  }
  if (rootNode->kind == OpKind::Leaf && fe::pendingValue(rootNode) != rootNode)
    fail(op,
         "the tensor has an update pending from a training forward (a "
         "batch norm's running statistics), which Ember applies with the "
         "next computation: compute something first, then write",
         loc);
  // The base's new value: through a view, the base with the view's part
  // replaced (each step undone from the innermost out).
  Tensor newRoot = value;
  if (impl->base) {
    std::vector<Tensor> wholes = {Tensor(rootNode)};
    for (size_t k = 0; k + 1 < impl->steps.size(); ++k)
      wholes.push_back(applyStep(wholes.back(), impl->steps[k], loc));
    for (size_t k = impl->steps.size(); k-- > 0;)
      newRoot = unapplyStep(wholes[k], impl->steps[k], newRoot, loc);
  }

  if (rootNode->kind == OpKind::Leaf && rootNode->requiresGrad) {
    if (is_grad_enabled())
      fail(op,
           impl->base
               ? "a view of a leaf tensor that requires grad is being used "
                 "in an in-place operation (write under NoGradGuard, as "
                 "optimizers and nn::init do)"
               : "a leaf tensor that requires grad is being used in an "
                 "in-place operation (write under NoGradGuard, as "
                 "optimizers and nn::init do)",
           loc);
    // A parameter keeps its node (modules, optimizers and gradients refer
    // to it): the value is computed now and becomes the leaf's data, as
    // nn::init and load_state_dict write parameters.
    newRoot.realize(loc);
    NodePtr computed = newRoot.node();
    // Buffers of its own: never one another tensor holds too.
    if (computed->data && computed->data.use_count() > 1)
      computed = newRoot.clone(loc).realize(loc).node();
    if (computed->deviceData && computed->deviceData.use_count() > 1)
      computed = newRoot.cpu(loc).to(newRoot.device(), loc).node();
    fe::setLeafData(*rootNode, computed->data, computed->deviceData);
    ++root->version;
    return;
  }

  // Everything that held the old value is marked, so that a gradient
  // needing it refuses; then the base and this view take the new values.
  uint64_t version = root->version + 1;
  markOverwritten(rootNode, version, loc);
  {
    std::lock_guard<std::mutex> lock(viewListMutex());
    for (const std::weak_ptr<TensorImpl> &w : root->views)
      if (std::shared_ptr<TensorImpl> v = w.lock();
          v && v->baseVersion == root->version)
        markOverwritten(v->node, version, loc);
  }
  root->node = newRoot.node();
  root->version = version;
  if (impl->base) {
    impl->node = value.node();
    impl->baseVersion = version;
  }
  if (NodePtr leaf = root->gradOf.lock())
    leaf->grad = root->node;
}

/// div_'s value: true division, which an integer tensor cannot hold.
Tensor trueDivInPlace(const Tensor &a, const Tensor &b, Loc loc) {
  if (!isFloatingPoint(a.dtype()))
    fail("div_",
         fmt::format("true division of a {} tensor gives floats, which "
                     "cannot be written into it (PyTorch refuses it too)",
                     dtypeName(a.dtype())),
         loc);
  return div(a, b, loc);
}

} // namespace

#define EMBER_INPLACE_BINARY(name, expr)                                       \
  const Tensor &Tensor::name(const Tensor &other, Loc loc) const {             \
    checked(*this, #name, loc);                                                \
    assign(*this, expr(*this, operandFor(*this, other, #name, loc), loc),      \
           #name, loc);                                                        \
    return *this;                                                              \
  }                                                                            \
  const Tensor &Tensor::name(double other, Loc loc) const {                    \
    checked(*this, #name, loc);                                                \
    assign(*this, expr(*this, scalarFor(*this, other, #name, loc), loc),       \
           #name, loc);                                                        \
    return *this;                                                              \
  }
EMBER_INPLACE_BINARY(add_, add)
EMBER_INPLACE_BINARY(sub_, sub)
EMBER_INPLACE_BINARY(mul_, mul)
EMBER_INPLACE_BINARY(div_, trueDivInPlace)
#undef EMBER_INPLACE_BINARY

const Tensor &Tensor::copy_(const Tensor &src, Loc loc) const {
  checked(*this, "copy_", loc);
  checked(src, "copy_", loc);
  Tensor value = src.to(dtype(), loc);
  if (!(value.device() == device()))
    value = value.to(device(), loc);
  assign(*this, value, "copy_", loc, /*fresh=*/false);
  return *this;
}

const Tensor &Tensor::fill_(double value, Loc loc) const {
  checked(*this, "fill_", loc);
  assign(*this, scalarFor(*this, value, "fill_", loc), "fill_", loc);
  return *this;
}

const Tensor &Tensor::zero_(Loc loc) const { return fill_(0, loc); }

const Tensor &Tensor::clamp_(std::optional<double> min,
                             std::optional<double> max, Loc loc) const {
  assign(*this, clamp(min, max, loc), "clamp_", loc);
  return *this;
}

const Tensor &Tensor::relu_(Loc loc) const {
  assign(*this, relu(loc), "relu_", loc);
  return *this;
}

const Tensor &Tensor::masked_fill_(const Tensor &mask, double value,
                                   Loc loc) const {
  assign(*this, masked_fill(mask, value, loc), "masked_fill_", loc);
  return *this;
}

//===----------------------------------------------------------------------===//
// Indexing
//===----------------------------------------------------------------------===//

indexing::TensorIndex::TensorIndex(const char *text) : kind_(Kind::Ellipsis) {
  if (!text || std::strcmp(text, "...") != 0)
    throw Error(fmt::format("index: the string \"{}\" is not an index (only "
                            "\"...\" is: the Ellipsis)",
                            text ? text : "(null)"));
}

namespace {

using indexing::TensorIndex;

/// What basic indexing selects: a box of the tensor (offsets, strides,
/// sizes; integers select boxes of size 1) and the result's shape (the
/// integers' dimensions dropped, None's inserted).
struct IndexPlan {
  std::vector<int64_t> offsets, strides;
  Shape box, result;
  bool whole = true;
};

/// Python's slice bounds for a positive step.
int64_t sliceBound(std::optional<int64_t> v, int64_t size, int64_t absent) {
  if (!v)
    return absent;
  if (*v < 0)
    return std::max<int64_t>(*v + size, 0);
  return std::min(*v, size);
}

IndexPlan planIndex(const Tensor &t, const std::vector<TensorIndex> &indices,
                    std::string_view op, Loc loc) {
  const Shape &shape = t.shape();
  int64_t rank = static_cast<int64_t>(shape.size()), consumed = 0;
  int ellipses = 0;
  for (const TensorIndex &i : indices) {
    switch (i.kind()) {
    case TensorIndex::Kind::Integer:
    case TensorIndex::Kind::Slice:
      ++consumed;
      break;
    case TensorIndex::Kind::Ellipsis:
      if (++ellipses > 1)
        fail(op, "an index can only have a single ellipsis (\"...\")", loc);
      break;
    case TensorIndex::Kind::None:
      break;
    case TensorIndex::Kind::Tensor:
      fail(op,
           fmt::format(
               "indexing with a {} tensor of shape {} is not supported: the "
               "result's shape would depend on its values (use where(), "
               "masked_fill(), or index_put_ with a boolean mask of the "
               "tensor's shape)",
               dtypeName(i.tensor().dtype()), shapeStr(i.tensor().shape())),
           loc);
    }
  }
  if (consumed > rank)
    fail(op,
         fmt::format("too many indices for a tensor of shape {}: {} were "
                     "given",
                     shapeStr(shape), consumed),
         loc);
  IndexPlan plan;
  int64_t d = 0;
  auto full = [&] {
    plan.offsets.push_back(0);
    plan.strides.push_back(1);
    plan.box.push_back(shape[d]);
    plan.result.push_back(shape[d]);
    ++d;
  };
  for (const TensorIndex &i : indices) {
    switch (i.kind()) {
    case TensorIndex::Kind::None:
      plan.result.push_back(1);
      break;
    case TensorIndex::Kind::Ellipsis:
      for (int64_t k = 0, n = rank - consumed; k < n; ++k)
        full();
      break;
    case TensorIndex::Kind::Integer: {
      int64_t size = shape[d],
              j = i.integer() < 0 ? i.integer() + size : i.integer();
      if (j < 0 || j >= size)
        fail(op,
             fmt::format("index {} is out of bounds for dimension {} with "
                         "size {}",
                         i.integer(), d, size),
             loc);
      plan.offsets.push_back(j);
      plan.strides.push_back(1);
      plan.box.push_back(1);
      plan.whole = false;
      ++d;
      break;
    }
    case TensorIndex::Kind::Slice: {
      const indexing::Slice &s = i.slice();
      int64_t size = shape[d], step = s.step.value_or(1);
      if (step <= 0)
        fail(op,
             fmt::format("slice step must be positive, got {} (dimension {})",
                         step, d),
             loc);
      int64_t start = sliceBound(s.start, size, 0);
      int64_t stop = sliceBound(s.stop, size, size);
      int64_t length = stop > start ? (stop - start - 1) / step + 1 : 0;
      if (length == 0)
        fail(op,
             fmt::format("the slice {}:{}:{} of dimension {} (size {}) is "
                         "empty, and Ember's tensors have no empty "
                         "dimensions",
                         s.start ? std::to_string(*s.start) : "",
                         s.stop ? std::to_string(*s.stop) : "", step, d, size),
             loc);
      plan.offsets.push_back(start);
      plan.strides.push_back(length == 1 ? 1 : step);
      plan.box.push_back(length);
      plan.result.push_back(length);
      plan.whole = plan.whole && length == size;
      ++d;
      break;
    }
    case TensorIndex::Kind::Tensor:
      break;
    }
  }
  while (d < rank)
    full();
  return plan;
}

/// The index `t[:, ..., start:end:step]` with the slice in dimension `dim`.
std::vector<TensorIndex> sliceAlong(const Tensor &t, int64_t dim,
                                    std::optional<int64_t> start,
                                    std::optional<int64_t> end, int64_t step,
                                    std::string_view op, Loc loc) {
  int64_t d = normalizeDim(dim, t.dim(), op, loc);
  std::vector<TensorIndex> indices(d, indexing::Slice());
  indexing::Slice s;
  s.start = start;
  s.stop = end;
  s.step = step;
  indices.push_back(s);
  return indices;
}

/// The box a plan selects, as a view of `t`.
Tensor boxView(const Tensor &t, const IndexPlan &plan, Loc loc) {
  Tensor box = t;
  if (!plan.whole) {
    ViewStep step{ViewStep::Kind::Box, plan.offsets, {}, plan.box};
    step.window.insert(step.window.end(), plan.strides.begin(),
                       plan.strides.end());
    box = fe::viewOf(t, applyStep(t, step, loc), step, loc);
  }
  return box.reshape(plan.result, loc);
}

} // namespace

Tensor Tensor::index(const std::vector<TensorIndex> &indices, Loc loc) const {
  checked(*this, "index", loc);
  return boxView(*this, planIndex(*this, indices, "index", loc), loc);
}

Tensor Tensor::index(std::initializer_list<TensorIndex> indices,
                     Loc loc) const {
  return index(std::vector<TensorIndex>(indices), loc);
}

const Tensor &Tensor::index_put_(const std::vector<TensorIndex> &indices,
                                 const Tensor &value, Loc loc) const {
  checked(*this, "index_put_", loc);
  checked(value, "index_put_", loc);
  if (indices.size() == 1 && indices[0].kind() == TensorIndex::Kind::Tensor) {
    const Tensor &mask = indices[0].tensor();
    if (mask.dtype() != DType::Bool || mask.shape() != shape())
      fail("index_put_",
           fmt::format("an index tensor must be a bool mask of the tensor's "
                       "shape {}, got {} {} (integer tensors, advanced "
                       "indexing, are not supported)",
                       shapeStr(shape()), dtypeName(mask.dtype()),
                       shapeStr(mask.shape())),
           loc);
    if (value.numel() != 1)
      fail("index_put_",
           fmt::format("with a mask, the value must have one element, got "
                       "shape {}",
                       shapeStr(value.shape())),
           loc);
    Tensor v = value.reshape({}, loc).to(dtype(), loc);
    assign(*this, where(mask, v, *this, loc), "index_put_", loc);
    return *this;
  }
  IndexPlan plan = planIndex(*this, indices, "index_put_", loc);
  Tensor target = boxView(*this, plan, loc);
  assign(target, value, "index_put_", loc, /*fresh=*/false);
  return *this;
}

const Tensor &Tensor::index_put_(std::initializer_list<TensorIndex> indices,
                                 const Tensor &value, Loc loc) const {
  return index_put_(std::vector<TensorIndex>(indices), value, loc);
}

const Tensor &Tensor::index_put_(std::initializer_list<TensorIndex> indices,
                                 double value, Loc loc) const {
  checked(*this, "index_put_", loc);
  return index_put_(std::vector<TensorIndex>(indices), full({}, value, dtype()),
                    loc);
}

Tensor Tensor::slice(int64_t dim, std::optional<int64_t> start,
                     std::optional<int64_t> end, int64_t step, Loc loc) const {
  checked(*this, "slice", loc);
  return boxView(*this,
                 planIndex(*this, sliceAlong(*this, dim, start, end, step,
                                             "slice", loc),
                           "slice", loc),
                 loc);
}

Tensor Tensor::narrow(int64_t dim, int64_t start, int64_t length,
                      Loc loc) const {
  checked(*this, "narrow", loc);
  int64_t d = normalizeDim(dim, this->dim(), "narrow", loc);
  int64_t size = shape()[d];
  if (start < 0)
    start += size;
  if (start < 0 || length < 1 || start > size - length)
    fail("narrow",
         fmt::format("start {} and length {} do not fit in dimension {} of "
                     "size {} (lengths are at least 1)",
                     start, length, d, size),
         loc);
  return slice(d, start, start + length, 1, loc);
}

Tensor Tensor::select(int64_t dim, int64_t index, Loc loc) const {
  checked(*this, "select", loc);
  int64_t d = normalizeDim(dim, this->dim(), "select", loc);
  std::vector<TensorIndex> indices(d, indexing::Slice());
  indices.emplace_back(index);
  return boxView(*this, planIndex(*this, indices, "select", loc), loc);
}

std::vector<Tensor> Tensor::split_with_sizes(const std::vector<int64_t> &sizes,
                                             int64_t dim, Loc loc) const {
  checked(*this, "split_with_sizes", loc);
  int64_t d = normalizeDim(dim, this->dim(), "split_with_sizes", loc);
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 1)
      fail("split_with_sizes",
           fmt::format("sizes must be at least 1, got {}", s), loc);
    total += s;
  }
  if (total != shape()[d])
    fail("split_with_sizes",
         fmt::format("sizes [{}] add up to {}, not the size {} of dimension "
                     "{}",
                     fmt::join(sizes, ", "), total, shape()[d], d),
         loc);
  std::vector<Tensor> pieces;
  int64_t start = 0;
  for (int64_t s : sizes) {
    pieces.push_back(narrow(d, start, s, loc));
    start += s;
  }
  return pieces;
}

std::vector<Tensor> Tensor::split(int64_t split_size, int64_t dim,
                                  Loc loc) const {
  checked(*this, "split", loc);
  int64_t d = normalizeDim(dim, this->dim(), "split", loc);
  if (split_size < 1)
    fail("split",
         fmt::format("split_size must be at least 1, got {}", split_size), loc);
  std::vector<int64_t> sizes;
  for (int64_t left = shape()[d]; left > 0; left -= split_size)
    sizes.push_back(std::min(left, split_size));
  return split_with_sizes(sizes, d, loc);
}

std::vector<Tensor> Tensor::chunk(int64_t chunks, int64_t dim, Loc loc) const {
  checked(*this, "chunk", loc);
  if (chunks < 1)
    fail("chunk", fmt::format("chunks must be at least 1, got {}", chunks),
         loc);
  int64_t d = normalizeDim(dim, this->dim(), "chunk", loc);
  int64_t size = shape()[d];
  return split(std::max<int64_t>((size + chunks - 1) / chunks, 1), d, loc);
}

std::vector<Tensor> Tensor::unbind(int64_t dim, Loc loc) const {
  checked(*this, "unbind", loc);
  int64_t d = normalizeDim(dim, this->dim(), "unbind", loc);
  std::vector<Tensor> pieces;
  for (int64_t i = 0; i < shape()[d]; ++i)
    pieces.push_back(select(d, i, loc));
  return pieces;
}

Tensor Tensor::unsqueeze(int64_t dim, Loc loc) const {
  checked(*this, "unsqueeze", loc);
  int64_t d = normalizeDim(dim, this->dim() + 1, "unsqueeze", loc);
  Shape s = shape();
  s.insert(s.begin() + d, 1);
  return reshape(s, loc);
}

Tensor Tensor::squeeze(Loc loc) const {
  checked(*this, "squeeze", loc);
  Shape s;
  for (int64_t v : shape())
    if (v != 1)
      s.push_back(v);
  return reshape(s, loc);
}

Tensor Tensor::squeeze(int64_t dim, Loc loc) const {
  checked(*this, "squeeze", loc);
  if (this->dim() == 0)
    return *this;
  int64_t d = normalizeDim(dim, this->dim(), "squeeze", loc);
  if (shape()[d] != 1)
    return *this;
  Shape s = shape();
  s.erase(s.begin() + d);
  return reshape(s, loc);
}

Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim, Loc loc) const {
  checked(*this, "flatten", loc);
  if (this->dim() == 0)
    return reshape({1}, loc);
  int64_t s = normalizeDim(start_dim, this->dim(), "flatten", loc);
  int64_t e = normalizeDim(end_dim, this->dim(), "flatten", loc);
  if (s > e)
    fail("flatten",
         fmt::format("start_dim {} comes after end_dim {}", start_dim, end_dim),
         loc);
  Shape out(shape().begin(), shape().begin() + s);
  int64_t merged = 1;
  for (int64_t i = s; i <= e; ++i)
    merged *= shape()[i];
  out.push_back(merged);
  out.insert(out.end(), shape().begin() + e + 1, shape().end());
  return reshape(out, loc);
}

Tensor Tensor::view(Shape shape, Loc loc) const {
  return reshape(std::move(shape), loc);
}

Tensor Tensor::clone(Loc loc) const {
  checked(*this, "clone", loc);
  return fe::copyNode(*this, loc);
}

//===----------------------------------------------------------------------===//
// Joining
//===----------------------------------------------------------------------===//

Tensor cat(const std::vector<Tensor> &tensors, int64_t dim, Loc loc) {
  if (tensors.empty())
    fail("cat", "expected a non-empty list of tensors", loc);
  for (const Tensor &t : tensors)
    checked(t, "cat", loc);
  const Tensor &first = tensors[0];
  if (first.dim() == 0)
    fail("cat", "zero-dimensional tensors cannot be concatenated", loc);
  int64_t d = normalizeDim(dim, first.dim(), "cat", loc);
  Shape shape = first.shape();
  shape[d] = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor &t = tensors[i];
    Shape other = t.shape();
    bool fits = other.size() == shape.size();
    for (size_t k = 0; fits && k < other.size(); ++k)
      fits = static_cast<int64_t>(k) == d || other[k] == first.shape()[k];
    if (!fits)
      fail("cat",
           fmt::format("tensor {} has shape {}, tensor 0 {}: sizes must match "
                       "except in dimension {}",
                       i, shapeStr(other), shapeStr(first.shape()), d),
           loc);
    if (t.dtype() != first.dtype())
      fail("cat",
           fmt::format("tensor {} is {}, tensor 0 {}: convert one first", i,
                       dtypeName(t.dtype()), dtypeName(first.dtype())),
           loc);
    if (!(t.device() == first.device()))
      fail("cat",
           fmt::format("tensor {} is on {}, tensor 0 on {}", i,
                       t.device().str(), first.device().str()),
           loc);
    shape[d] += other[d];
  }
  if (tensors.size() == 1)
    return first.clone(loc);
  // Each tensor written into its box of the result.
  Tensor result = fe::zerosOn(shape, first.dtype(), first.device(), loc);
  std::vector<int64_t> offsets(shape.size(), 0), strides(shape.size(), 1);
  for (const Tensor &t : tensors) {
    result = fe::scatterBox(result, t, offsets, strides, loc);
    offsets[d] += t.shape()[d];
  }
  return result;
}

Tensor stack(const std::vector<Tensor> &tensors, int64_t dim, Loc loc) {
  if (tensors.empty())
    fail("stack", "expected a non-empty list of tensors", loc);
  std::vector<Tensor> parts;
  for (size_t i = 0; i < tensors.size(); ++i) {
    checked(tensors[i], "stack", loc);
    if (tensors[i].shape() != tensors[0].shape())
      fail("stack",
           fmt::format("tensor {} has shape {}, tensor 0 {}: stacked "
                       "tensors must have one shape",
                       i, shapeStr(tensors[i].shape()),
                       shapeStr(tensors[0].shape())),
           loc);
    parts.push_back(tensors[i].unsqueeze(dim, loc));
  }
  return cat(parts, normalizeDim(dim, tensors[0].dim() + 1, "stack", loc), loc);
}

Tensor slice_scatter(const Tensor &input, const Tensor &src, int64_t dim,
                     std::optional<int64_t> start, std::optional<int64_t> end,
                     int64_t step, Loc loc) {
  checked(input, "slice_scatter", loc);
  checked(src, "slice_scatter", loc);
  IndexPlan plan = planIndex(
      input,
      sliceAlong(input, dim, start, end, step, "slice_scatter", loc),
      "slice_scatter", loc);
  if (src.shape() != plan.box)
    fail("slice_scatter",
         fmt::format("src has shape {}, the slice {}", shapeStr(src.shape()),
                     shapeStr(plan.box)),
         loc);
  if (src.dtype() != input.dtype())
    fail("slice_scatter",
         fmt::format("src is {}, input {}", dtypeName(src.dtype()),
                     dtypeName(input.dtype())),
         loc);
  if (plan.whole)
    return src.clone(loc);
  return fe::scatterBox(input, src, plan.offsets, plan.strides, loc);
}

} // namespace ember
