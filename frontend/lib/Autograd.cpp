//===- Autograd.cpp - Reverse-mode differentiation of the recorded graph --===//
//
// Part of Ember. backward() walks the recorded graph from a scalar back to
// the leaves that require grad and records, for each op, the ops computing
// its inputs' gradients. Nothing runs: the gradients are lazy tensors like
// any other, so forward, backward and the optimizer's update become one
// compiled graph when the step realises them.
//
//===----------------------------------------------------------------------===//

#include "Realize.h"
#include "TensorImpl.h"
#include "ember/distributed/Distributed.h"
#include "ember/frontend/Tensor.h"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>
#include <numeric>
#include <optional>
#include <unordered_map>
#include <unordered_set>

namespace ember {
namespace {

using fe::Node;
using fe::NodePtr;
using fe::OpKind;
using Loc = std::source_location;

std::string shapeStr(const Shape &shape) { return fe::shapeString(shape); }

/// `g`, of shape `node.shape`, summed down to `inShape` (the inverse of
/// PyTorch broadcasting).
Tensor unbroadcast(const Tensor &g, const Shape &inShape) {
  const Shape &out = g.shape();
  if (out == inShape)
    return g;
  size_t offset = out.size() - inShape.size();
  std::vector<int64_t> dims;
  for (size_t i = 0; i < out.size(); ++i)
    if (i < offset || (inShape[i - offset] == 1 && out[i] != 1))
      dims.push_back(static_cast<int64_t>(i));
  return g.sum(dims, /*keepdim=*/true).reshape(inShape);
}

/// `g`, reduced over `axes` (without keepdim unless `keepdim`), brought back
/// to `inShape`.
Tensor expandReduced(const Tensor &g, const Shape &inShape,
                     const std::vector<int64_t> &axes, bool keepdim) {
  Shape kept = inShape;
  for (int64_t a : axes)
    kept[a] = 1;
  Tensor gk = keepdim ? g : g.reshape(kept);
  return gk.broadcast_to(inShape);
}

/// `node`'s value as the errors below name it: "float32 [3] tensor" for a
/// leaf, "float32 [3] result of exp" for an op.
std::string valueName(const Node &node) {
  return fmt::format("{} {} {}", dtypeName(node.dtype), shapeStr(node.shape),
                     node.kind == OpKind::Leaf
                         ? std::string("tensor")
                         : "result of " + std::string(fe::opName(node.kind)));
}

/// `node`'s value, for a gradient formula that needs it: an Error, as
/// PyTorch's for a saved tensor, if the tensor holding it was written in
/// place since (the graph computes the gradient of the values before the
/// write, which is not what PyTorch computes).
Tensor saved(const NodePtr &node) {
  if (node->overwritten)
    throw Error(fmt::format(
        "backward: one of the values needed for gradient computation was "
        "modified by an in-place operation: the {} recorded at {} was "
        "written over at {} (the tensor is at version {}; the gradient "
        "needs version {}). Write to a clone() instead, or after "
        "backward()",
        valueName(*node), fe::formatLocation(node->location),
        fe::formatLocation(node->overwrittenAt), node->overwrittenVersion,
        node->overwrittenVersion - 1));
  return Tensor(node);
}

/// Input `i` of `node`, for a gradient formula: saved()'s checks, and an
/// Error if its data was replaced in place since `node` was recorded (a
/// leaf written under NoGradGuard, an optimizer step between the forward
/// and backward()), which PyTorch's version counters refuse too.
Tensor savedInput(const NodePtr &node, size_t i) {
  const NodePtr &in = node->inputs[i];
  if (i < node->inputVersions.size() && node->inputVersions[i] != in->version)
    throw Error(fmt::format(
        "backward: one of the values needed for gradient computation was "
        "modified by an in-place operation: the {} that {} (recorded "
        "at {}) read was replaced in place afterwards (it is at version {}; "
        "the gradient needs version {})",
        valueName(*in), fe::opName(node->kind),
        fe::formatLocation(node->location), in->version,
        node->inputVersions[i]));
  return saved(in);
}

/// The gradients of a convolution's inputs (or of one of its gradients').
/// The three ops are the partial derivatives of one trilinear form,
/// <dy, conv2d(x, w)>, so the gradients of each are the other two.
std::vector<Tensor> convolutionGradients(const NodePtr &node, const Tensor &g) {
  const std::vector<int64_t> &win = node->window;
  Size2 stride(win[0], win[1]), padding(win[2], win[3]),
      dilation(win[4], win[5]);
  int64_t groups = win[6];
  auto in = [&](size_t i) { return savedInput(node, i); };
  auto shape = [&](size_t i) { return node->inputs[i]->shape; };
  switch (node->kind) {
  case OpKind::Conv2d: {
    std::vector<Tensor> grads = {conv2d_grad_input(g, in(1), shape(0), stride,
                                                   padding, dilation, groups),
                                 conv2d_grad_weight(in(0), g, shape(1), stride,
                                                    padding, dilation, groups)};
    if (node->inputs.size() == 3)
      grads.push_back(g.sum({0, 2, 3}));
    return grads;
  }
  case OpKind::Conv2dGradInput: // inputs (dy, w); g is shaped as x
    return {conv2d(g, in(1), Tensor(), stride, padding, dilation, groups),
            conv2d_grad_weight(g, in(0), shape(1), stride, padding, dilation,
                               groups)};
  default: // Conv2dGradWeight: inputs (x, dy); g is shaped as w
    return {conv2d_grad_input(in(1), g, shape(0), stride, padding, dilation,
                              groups),
            conv2d(in(0), g, Tensor(), stride, padding, dilation, groups)};
  }
}

/// The gradients of `node`'s inputs given the gradient `g` of its result.
/// Entries for inputs that need none are undefined tensors. As in PyTorch,
/// a formula reads an input's value (saved()) only for the gradient of
/// another input that requires grad.
std::vector<Tensor> inputGradients(const NodePtr &node, const Tensor &g) {
  auto in = [&](size_t i) { return savedInput(node, i); };
  auto needs = [&](size_t i) { return node->inputs[i]->requiresGrad; };
  auto result = [&] { return saved(node); };
  switch (node->kind) {
  case OpKind::Add:
    return {g, g};
  case OpKind::Sub:
    return {g, -g};
  case OpKind::Mul:
    return {needs(0) ? g * in(1) : Tensor(), needs(1) ? g * in(0) : Tensor()};
  case OpKind::Div:
    return {needs(0) ? g / in(1) : Tensor(),
            needs(1) ? -(g * in(0)) / (in(1) * in(1)) : Tensor()};
  case OpKind::Neg:
    return {-g};
  case OpKind::Relu:
    // The mask reads the relu's output (positive exactly where the input
    // is), so the pre-activation keeps a single user and linear+relu fuse.
    return {where(result().detach().gt(0.0), g, zeros({}, g.dtype()))};
  case OpKind::Exp:
    return {g * result().detach()};
  case OpKind::Log:
    return {g / in(0)};
  case OpKind::Sqrt:
    return {g * 0.5 / result().detach()};
  case OpKind::Sigmoid: {
    Tensor s = result().detach();
    return {g * s * (1.0 - s)};
  }
  case OpKind::Tanh: {
    Tensor t = result().detach();
    return {g * (1.0 - t * t)};
  }
  case OpKind::Erf: {
    // d/dx erf(x) = 2 / sqrt(pi) * exp(-x^2).
    Tensor x = in(0).detach();
    return {g * ((-(x * x)).exp() * 1.1283791670955126)};
  }
  case OpKind::Matmul:
    return {needs(0) ? g.matmul(in(1).t()) : Tensor(),
            needs(1) ? in(0).t().matmul(g) : Tensor()};
  case OpKind::Linear: {
    std::vector<Tensor> grads = {needs(0) ? g.matmul(in(1)) : Tensor(),
                                 needs(1) ? g.t().matmul(in(0)) : Tensor()};
    if (node->inputs.size() == 3)
      grads.push_back(g.sum({0}));
    return grads;
  }
  case OpKind::Reshape:
    return {g.reshape(node->inputs[0]->shape)};
  case OpKind::Transpose: {
    std::vector<int64_t> inverse(node->axes.size());
    for (size_t i = 0; i < node->axes.size(); ++i)
      inverse[node->axes[i]] = static_cast<int64_t>(i);
    return {g.permute(inverse)};
  }
  case OpKind::BroadcastTo:
    return {unbroadcast(g, node->inputs[0]->shape)};
  case OpKind::Slice: {
    const NodePtr &x = node->inputs[0];
    size_t rank = x->shape.size();
    const std::vector<int64_t> &w = node->window;
    return {fe::scatterBox(
        fe::zerosOn(x->shape, g.dtype(), g.device(), Loc::current()), g,
        {w.begin(), w.begin() + rank}, {w.begin() + rank, w.end()},
        Loc::current())};
  }
  case OpKind::SliceScatter: {
    const NodePtr &src = node->inputs[1];
    size_t rank = src->shape.size();
    std::vector<int64_t> offsets(node->window.begin(),
                                 node->window.begin() + rank),
        strides(node->window.begin() + rank, node->window.end());
    return {fe::scatterBox(
                g,
                fe::zerosOn(src->shape, g.dtype(), g.device(), Loc::current()),
                offsets, strides, Loc::current()),
            fe::sliceBox(g, offsets, strides, src->shape, Loc::current())};
  }
  case OpKind::Sum:
    return {expandReduced(g, node->inputs[0]->shape, node->axes,
                          node->keepdim)};
  case OpKind::Max:
  case OpKind::Min: {
    // Shared equally among the elements equal to the extreme, as in PyTorch.
    const Shape &inShape = node->inputs[0]->shape;
    Tensor extreme =
        expandReduced(result().detach(), inShape, node->axes, node->keepdim);
    Tensor mask = in(0).eq(extreme).to(g.dtype());
    Tensor count = mask.sum(node->axes, /*keepdim=*/true);
    Shape kept = inShape;
    for (int64_t a : node->axes)
      kept[a] = 1;
    Tensor gk = node->keepdim ? g : g.reshape(kept);
    return {mask * (gk / count)};
  }
  case OpKind::Select:
    return {Tensor(), where(in(0), g, zeros({}, g.dtype())),
            where(in(0), zeros({}, g.dtype()), g)};
  case OpKind::Conv2d:
  case OpKind::Conv2dGradInput:
  case OpKind::Conv2dGradWeight:
    return convolutionGradients(node, g);
  case OpKind::MaxPool2d: {
    const std::vector<int64_t> &w = node->window;
    return {max_pool2d_grad(g, in(0), {w[0], w[1]}, Size2(w[2], w[3]),
                            {w[4], w[5]}, {w[6], w[7]})};
  }
  case OpKind::MaxPool2dGrad:
    throw Error(fmt::format(
        "max_pool2d_grad (recorded at {}): second derivatives of max pooling "
        "are not supported",
        fe::formatLocation(node->location)));
  case OpKind::AllReduce:
    // Each rank's input adds to every rank's result: its gradient is the
    // sum of every rank's (torch.distributed.nn.all_reduce's rule).
    return {distributed::all_reduce(g)};
  case OpKind::Cast:
    if (isFloatingPoint(node->inputs[0]->dtype))
      return {g.to(node->inputs[0]->dtype)};
    return {Tensor()};
  case OpKind::Leaf:
    break; // no inputs
#define EMBER_OP(Kind, name, Attributes, Types, Gradient)                      \
  EMBER_OP_##Gradient(Kind)
#define EMBER_OP_Differentiable(Kind)
#define EMBER_OP_None(Kind) case OpKind::Kind:
#include "ember/frontend/Ops.def"
#undef EMBER_OP_Differentiable
#undef EMBER_OP_None
    break; // Ops.def says their results carry no gradient
  }
  return std::vector<Tensor>(node->inputs.size());
}

/// Nodes that require grad reachable from `roots`, users before inputs.
std::vector<NodePtr>
reverseTopologicalOrder(const std::vector<NodePtr> &roots) {
  std::vector<NodePtr> order;
  std::unordered_set<Node *> visited;
  for (const NodePtr &root : roots) {
    if (!visited.insert(root.get()).second)
      continue;
    std::vector<std::pair<NodePtr, size_t>> stack{{root, 0}};
    while (!stack.empty()) {
      auto &[node, next] = stack.back();
      if (next < node->inputs.size()) {
        const NodePtr &in = node->inputs[next++];
        if (in->requiresGrad && visited.insert(in.get()).second)
          stack.push_back({in, 0});
        continue;
      }
      order.push_back(node);
      stack.pop_back();
    }
  }
  // (The reverse of a depth-first forest's post-order is topological.)
  std::reverse(order.begin(), order.end());
  return order;
}

/// Propagates `seeds` (gradients of root nodes) back through the graph.
/// Each node that requires grad is handed its complete gradient once, in
/// order, by `visit`; a visit returning true stops the propagation there
/// (a leaf, or an input of grad()).
template <class Visit>
void propagate(std::vector<std::pair<NodePtr, Tensor>> seeds, Visit &&visit) {
  std::unordered_map<Node *, Tensor> grads;
  std::vector<NodePtr> roots;
  for (auto &[root, seed] : seeds) {
    roots.push_back(root);
    auto [slot, inserted] = grads.try_emplace(root.get(), seed);
    if (!inserted)
      slot->second = slot->second + seed;
  }
  for (const NodePtr &node : reverseTopologicalOrder(roots)) {
    auto it = grads.find(node.get());
    if (it == grads.end())
      continue;
    Tensor g = it->second;
    grads.erase(it);
    if (visit(node, g) || node->kind == OpKind::Leaf)
      continue;
    std::vector<Tensor> inGrads = inputGradients(node, g);
    for (size_t i = 0; i < node->inputs.size(); ++i) {
      const NodePtr &in = node->inputs[i];
      if (!in->requiresGrad || !inGrads[i].defined())
        continue;
      auto [slot, inserted] = grads.try_emplace(in.get(), inGrads[i]);
      if (!inserted)
        slot->second = slot->second + inGrads[i];
    }
  }
}

/// The seed of `output`'s backward pass: `gradient` checked against it, or
/// ones for a single element.
Tensor seedFor(const char *fn, const Tensor &output, const Tensor &gradient,
               Loc loc) {
  if (gradient.defined()) {
    if (gradient.shape() != output.shape() ||
        gradient.dtype() != output.dtype())
      throw Error(
          fmt::format("{}: the gradient is {} {}, the tensor {} {}; "
                      "they must match (at {})",
                      fn, dtypeName(gradient.dtype()),
                      shapeStr(gradient.shape()), dtypeName(output.dtype()),
                      shapeStr(output.shape()), fe::formatLocation(loc)));
    return gradient.to(output.device(), loc);
  }
  if (output.numel() != 1)
    throw Error(fmt::format("{}: the tensor has shape {}; without a gradient "
                            "argument it needs a single element (pass the "
                            "gradient, e.g. ones_like: ones(shape)) (at {})",
                            fn, shapeStr(output.shape()),
                            fe::formatLocation(loc)));
  // The seed lives where the result does: every gradient follows it.
  return ones(output.shape(), output.dtype()).to(output.device());
}

/// The scalars backward() was called on, per thread: a thread's optimizer
/// step realises its own losses, never another thread's (which that thread
/// may be realising at the same moment).
std::vector<std::weak_ptr<Node>> &pendingRoots() {
  thread_local std::vector<std::weak_ptr<Node>> roots;
  return roots;
}

/// The leaves backward() gave a gradient to (any optimizer's parameters,
/// or none's), so that a step can deal with gradients not its own.
std::vector<std::weak_ptr<Node>> &gradientLeaves() {
  thread_local std::vector<std::weak_ptr<Node>> leaves;
  return leaves;
}

/// Drops from gradientLeaves() the leaves that are gone, whose gradient is
/// gone (zero_grad) or computed, and those listed twice (a zero_grad() then
/// a backward() lists a leaf again); returns the rest. Every backward()
/// and step() prunes, so the list stays as long as the leaves with lazy
/// gradients (it grew by the parameters every step, and every step read
/// all of it, before).
std::vector<NodePtr> pruneGradientLeaves() {
  std::vector<NodePtr> live;
  std::unordered_set<Node *> seen;
  std::erase_if(gradientLeaves(), [&](const std::weak_ptr<Node> &w) {
    NodePtr n = w.lock();
    if (!n || !n->grad || n->grad->isRealized() || !seen.insert(n.get()).second)
      return true;
    live.push_back(std::move(n));
    return false;
  });
  return live;
}

struct GradientsHooks {
  std::mutex mutex;
  uint64_t next = 1;
  std::vector<std::pair<uint64_t, std::function<void(fe::LeafGradients &)>>>
      hooks;
};

GradientsHooks &gradientsHooks() {
  static GradientsHooks *hooks = new GradientsHooks; // used until exit
  return *hooks;
}

/// Runs the registered hooks on `arrived`, checking what they give back.
void runGradientsHooks(fe::LeafGradients &arrived) {
  std::vector<std::function<void(fe::LeafGradients &)>> hooks;
  {
    GradientsHooks &all = gradientsHooks();
    std::lock_guard<std::mutex> lock(all.mutex);
    for (auto &[id, hook] : all.hooks)
      hooks.push_back(hook);
  }
  for (auto &hook : hooks) {
    fe::LeafGradients before = arrived;
    hook(arrived);
    bool same = arrived.size() == before.size();
    for (size_t i = 0; same && i < arrived.size(); ++i) {
      const fe::NodePtr &g = arrived[i].second, &was = before[i].second;
      same = arrived[i].first == before[i].first && g &&
             g->shape == was->shape && g->dtype == was->dtype &&
             g->device == was->device;
    }
    if (!same)
      throw Error("backward: a gradients hook changed the leaves, or gave a "
                  "gradient of another shape, dtype or device");
  }
}

} // namespace

uint64_t fe::addGradientsHook(std::function<void(LeafGradients &)> hook) {
  GradientsHooks &all = gradientsHooks();
  std::lock_guard<std::mutex> lock(all.mutex);
  all.hooks.emplace_back(all.next, std::move(hook));
  return all.next++;
}

void fe::removeGradientsHook(uint64_t id) {
  GradientsHooks &all = gradientsHooks();
  std::lock_guard<std::mutex> lock(all.mutex);
  std::erase_if(all.hooks, [&](const auto &h) { return h.first == id; });
}

bool Tensor::requires_grad() const { return node() && node()->requiresGrad; }

Tensor &Tensor::requires_grad_(bool on, Loc loc) {
  if (!node())
    throw Error("requires_grad_: the tensor is undefined (at " +
                fe::formatLocation(loc) + ")");
  // A tensor without autograd history is a leaf, as in PyTorch (in-place
  // writes and views record nodes, but no history).
  if (node()->kind != OpKind::Leaf && !node()->requiresGrad)
    fe::materializeLeaf(*this, loc);
  if (node()->kind != OpKind::Leaf)
    throw Error("requires_grad_: only leaf tensors can be marked; this one "
                "is the result of " +
                std::string(fe::opName(node()->kind)) + " (at " +
                fe::formatLocation(loc) + ")");
  if (on && !isFloatingPoint(node()->dtype))
    throw Error(fmt::format("requires_grad_: only floating-point tensors can "
                            "require gradients, not {} (at {})",
                            dtypeName(node()->dtype), fe::formatLocation(loc)));
  node()->requiresGrad = on;
  return *this;
}

Tensor Tensor::grad() const { return node() ? fe::gradOf(node()) : Tensor(); }

void Tensor::zero_grad_() const {
  if (node())
    node()->grad.reset();
}

void Tensor::backward(Loc loc) const {
  backward(Tensor(), /*retain_graph=*/false, /*create_graph=*/false, loc);
}

void Tensor::backward(const Tensor &gradient, bool /*retain_graph*/,
                      bool create_graph, Loc loc) const {
  if (!node())
    throw Error("backward: the tensor is undefined (at " +
                fe::formatLocation(loc) + ")");
  if (!node()->requiresGrad)
    throw Error("backward: the tensor does not require grad (no input "
                "requires it, or it was computed under NoGradGuard) (at " +
                fe::formatLocation(loc) + ")");
  Tensor seed = seedFor("backward", *this, gradient, loc);
  // With create_graph the gradients are recorded with autograd on, so they
  // can be differentiated again.
  std::optional<NoGradGuard> noGrad;
  if (!create_graph)
    noGrad.emplace();
  fe::LeafGradients arrived;
  propagate({{node(), seed}}, [&](const NodePtr &node, const Tensor &g) {
    if (node->kind != OpKind::Leaf)
      return false;
    arrived.emplace_back(node, g.node());
    return true;
  });
  runGradientsHooks(arrived);
  pruneGradientLeaves();
  for (auto &[leaf, g] : arrived) {
    // A gradient computed before (a step that wrote it: no zero_grad) was
    // pruned just now; the sum recorded below is lazy again.
    if (!leaf->grad || leaf->grad->isRealized())
      gradientLeaves().push_back(leaf);
    leaf->grad = leaf->grad ? (Tensor(leaf->grad) + Tensor(g)).node() : g;
  }
  // The step that realises the gradients also realises this tensor, so that
  // a later item() reads the value computed with the weights of this step.
  std::vector<std::weak_ptr<Node>> &roots = pendingRoots();
  // Without optimizer steps nobody takes the roots: drop the dead ones so
  // that the list stays as short as the live losses.
  std::erase_if(roots, [](const std::weak_ptr<Node> &w) { return w.expired(); });
  roots.push_back(node());
}

std::vector<Tensor> grad(const std::vector<Tensor> &outputs,
                         const std::vector<Tensor> &inputs,
                         const std::vector<Tensor> &grad_outputs,
                         bool /*retain_graph*/, bool create_graph,
                         bool allow_unused, Loc loc) {
  if (!grad_outputs.empty() && grad_outputs.size() != outputs.size())
    throw Error(fmt::format("grad: {} grad_outputs for {} outputs (give one "
                            "per output, or none) (at {})",
                            grad_outputs.size(), outputs.size(),
                            fe::formatLocation(loc)));
  std::vector<std::pair<NodePtr, Tensor>> seeds;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor &out = outputs[i];
    if (!out.defined() || !out.requires_grad())
      throw Error(
          fmt::format("grad: output {} {} (at {})", i,
                      out.defined() ? "does not require grad" : "is undefined",
                      fe::formatLocation(loc)));
    seeds.emplace_back(
        out.node(),
        seedFor("grad", out, grad_outputs.empty() ? Tensor() : grad_outputs[i],
                loc));
  }
  std::unordered_map<Node *, size_t> wanted;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined() || !inputs[i].requires_grad())
      throw Error(fmt::format("grad: input {} {} (at {})", i,
                              inputs[i].defined() ? "does not require grad"
                                                  : "is undefined",
                              fe::formatLocation(loc)));
    wanted.emplace(inputs[i].node().get(), i);
  }
  std::vector<Tensor> result(inputs.size());
  std::optional<NoGradGuard> noGrad;
  if (!create_graph)
    noGrad.emplace();
  // The leaves' grad() are left alone; an input's gradient is complete when
  // its node is reached, and its own inputs need nothing from it.
  propagate(seeds, [&](const NodePtr &node, const Tensor &g) {
    auto it = wanted.find(node.get());
    if (it == wanted.end())
      return node->kind == OpKind::Leaf;
    result[it->second] = g;
    return false;
  });
  for (size_t i = 0; i < inputs.size(); ++i)
    if (!result[i].defined()) {
      // (An input given twice has its gradient in its first place.)
      size_t first = wanted.at(inputs[i].node().get());
      if (first != i && result[first].defined())
        result[i] = result[first];
      else if (!allow_unused)
        throw Error(fmt::format("grad: input {} (shape {}) is not used to "
                                "compute the outputs (pass allow_unused = "
                                "true to get an undefined tensor) (at {})",
                                i, shapeStr(inputs[i].shape()),
                                fe::formatLocation(loc)));
    }
  return result;
}

namespace fe {
std::vector<NodePtr> leavesWithLazyGradients() { return pruneGradientLeaves(); }

size_t gradientLeavesListed() { return gradientLeaves().size(); }

std::vector<NodePtr> takePendingBackwardRoots() {
  std::vector<NodePtr> live;
  for (const std::weak_ptr<Node> &w : pendingRoots())
    if (NodePtr n = w.lock(); n && !n->isRealized())
      live.push_back(n);
  pendingRoots().clear();
  return live;
}
} // namespace fe

} // namespace ember
