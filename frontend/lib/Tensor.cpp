//===- Tensor.cpp - The lazy tensor ---------------------------------------===//
//
// Part of Ember. Shape checking and recording of tensor ops, creation of
// tensors with known values, and realisation on demand. Every check that a
// user can fail throws ember::Error naming the op, the shapes and the line.
//
//===----------------------------------------------------------------------===//

#include "ember/frontend/Tensor.h"

#include "Realize.h"
#include "TensorImpl.h"
#include "ember/distributed/Distributed.h"
#include "ember/frontend/Print.h"
#include "ember/runtime/Collectives.h"
#include "ember/runtime/Half.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
#include <optional>
#include <ostream>
#include <random>
#include <type_traits>

namespace ember {
namespace {

using fe::Node;
using fe::NodePtr;
using fe::OpKind;
using Loc = std::source_location;

std::string shapeStr(const Shape &shape) { return fe::shapeString(shape); }

[[noreturn]] void fail(std::string_view op, const std::string &what, Loc loc) {
  throw Error(fmt::format("{}: {} (at {})", op, what, fe::formatLocation(loc)));
}

const NodePtr &checked(const Tensor &t, std::string_view op, Loc loc) {
  if (!t.defined())
    fail(op, "the tensor is undefined", loc);
  return t.node();
}

/// Normalises a possibly negative dimension index for a rank-`rank` tensor.
int64_t normalizeDim(int64_t dim, int64_t rank, std::string_view op, Loc loc) {
  int64_t d = dim < 0 ? dim + rank : dim;
  if (d < 0 || d >= std::max<int64_t>(rank, 1) || (rank == 0 && dim != 0 && dim != -1))
    fail(op, fmt::format("dimension {} is out of range for a tensor of rank {}",
                         dim, rank),
         loc);
  return d;
}

Tensor reduction(OpKind kind, const Tensor &x, std::vector<int64_t> dims,
                 bool keepdim, Loc loc);

thread_local bool gradEnabled = true;
/// Set by fe::CallerLocation: where the ops recorded now are located.
thread_local std::optional<std::source_location> callerLocation;

/// Ops through which gradients flow (when their result is floating-point).
bool isDifferentiable(OpKind kind) { return fe::opInfo(kind).differentiable; }

/// The device an op on `inputs` runs on. Rank-0 CPU tensors may join a
/// CUDA op (as in PyTorch); other mixes are errors naming both devices.
Device deviceOf(OpKind kind, const std::vector<NodePtr> &inputs, Loc loc) {
  Device device = Device::cpu();
  bool fixed = false;
  for (const NodePtr &in : inputs) {
    bool hostScalar = in->device.is_cpu() && in->shape.empty();
    if (hostScalar)
      continue;
    if (!fixed) {
      device = in->device;
      fixed = true;
    } else if (!(in->device == device)) {
      fail(fe::opName(kind),
           fmt::format("expected all tensors on one device, found {} and {}",
                       device.str(), in->device.str()),
           loc);
    }
  }
  return device;
}

NodePtr makeNode(OpKind kind, std::vector<NodePtr> inputs, Shape shape,
                 DType dtype, Loc loc) {
  auto node = std::make_shared<Node>();
  node->device = deviceOf(kind, inputs, loc);
  if (gradEnabled && isDifferentiable(kind) && isFloatingPoint(dtype))
    for (const NodePtr &in : inputs)
      node->requiresGrad |= in->requiresGrad;
  node->kind = kind;
  for (const NodePtr &in : inputs)
    node->inputVersions.push_back(in->version);
  node->inputs = std::move(inputs);
  node->shape = std::move(shape);
  node->dtype = dtype;
  node->location = callerLocation ? *callerLocation : loc;
  return node;
}

NodePtr makeLeaf(Shape shape, DType dtype, bool zero = true) {
  size_t bytes =
      fe::denseBytes(shape, dtype, [] { return "creating a tensor"; });
  auto node = std::make_shared<Node>();
  node->shape = std::move(shape);
  node->dtype = dtype;
  node->data = fe::allocateHost(
      bytes,
      [&] { return "creating a tensor of shape " + shapeStr(node->shape); },
      zero);
  return node;
}

/// Stores `value` as element `i` of a buffer of `dtype`.
void storeElement(void *data, DType dtype, int64_t i, double value) {
  switch (dtype) {
  case DType::Float32: static_cast<float *>(data)[i] = static_cast<float>(value); break;
  case DType::Float64: static_cast<double *>(data)[i] = value; break;
  case DType::Int64: static_cast<int64_t *>(data)[i] = static_cast<int64_t>(value); break;
  case DType::UInt8: static_cast<uint8_t *>(data)[i] = static_cast<uint8_t>(value); break;
  case DType::Bool: static_cast<uint8_t *>(data)[i] = value != 0; break;
  // Through float: the double rounds to float first (PyTorch's conversions
  // of Python floats into half tensors do the same).
  case DType::Float16:
    static_cast<uint16_t *>(data)[i] =
        rt::floatToHalfBits(static_cast<float>(value));
    break;
  case DType::BFloat16:
    static_cast<uint16_t *>(data)[i] =
        rt::floatToBFloat16Bits(static_cast<float>(value));
    break;
  }
}

template <typename T> T loadElement(const void *data, DType dtype, int64_t i) {
  switch (dtype) {
  case DType::Float32: return static_cast<T>(static_cast<const float *>(data)[i]);
  case DType::Float64: return static_cast<T>(static_cast<const double *>(data)[i]);
  case DType::Int64: return static_cast<T>(static_cast<const int64_t *>(data)[i]);
  case DType::UInt8: return static_cast<T>(static_cast<const uint8_t *>(data)[i]);
  case DType::Bool: return static_cast<T>(static_cast<const uint8_t *>(data)[i] != 0);
  case DType::Float16:
    return static_cast<T>(
        rt::halfBitsToFloat(static_cast<const uint16_t *>(data)[i]));
  case DType::BFloat16:
    return static_cast<T>(
        rt::bfloat16BitsToFloat(static_cast<const uint16_t *>(data)[i]));
  }
  return T();
}

NodePtr scalarLeaf(double value, DType dtype) {
  NodePtr leaf = makeLeaf({}, dtype);
  storeElement(leaf->data->data(), dtype, 0, value);
  return leaf;
}

/// PyTorch's broadcast of two shapes, or an Error naming `op`.
Shape broadcastShapes(const Shape &a, const Shape &b, std::string_view op,
                      Loc loc) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      fail(op,
           fmt::format("shapes {} and {} cannot be broadcast together "
                       "(dimension {}: {} vs {})",
                       shapeStr(a), shapeStr(b), i, da, db),
           loc);
    out[i] = da == 1 ? db : da;
  }
  return out;
}

/// `n` broadcast to `shape`, for an op running on `device` (a host scalar
/// broadcast for a CUDA op is computed there).
NodePtr broadcastNode(const NodePtr &n, const Shape &shape, Loc loc,
                      const Device &device) {
  if (n->shape == shape)
    return n;
  NodePtr node = makeNode(OpKind::BroadcastTo, {n}, shape, n->dtype, loc);
  node->device = device;
  return node;
}

Tensor binary(OpKind kind, const Tensor &a, const Tensor &b, Loc loc) {
  std::string_view op = fe::opName(kind);
  const NodePtr &na = checked(a, op, loc);
  const NodePtr &nb = checked(b, op, loc);
  if (na->dtype != nb->dtype)
    fail(op,
         fmt::format("operands have different dtypes ({} {} and {} {}); "
                     "convert one first",
                     dtypeName(na->dtype), shapeStr(na->shape),
                     dtypeName(nb->dtype), shapeStr(nb->shape)),
         loc);
  if (na->dtype == DType::Bool)
    fail(op, "arithmetic on bool tensors is not supported", loc);
  Shape shape = broadcastShapes(na->shape, nb->shape, op, loc);
  Device device = deviceOf(kind, {na, nb}, loc);
  return Tensor(makeNode(kind,
                         {broadcastNode(na, shape, loc, device),
                          broadcastNode(nb, shape, loc, device)},
                         shape, na->dtype, loc));
}

Tensor binaryScalar(OpKind kind, const Tensor &a, double b, bool scalarFirst,
                    Loc loc) {
  const NodePtr &na = checked(a, fe::opName(kind), loc);
  Tensor s(scalarLeaf(b, na->dtype));
  return scalarFirst ? binary(kind, s, a, loc) : binary(kind, a, s, loc);
}

Tensor unary(OpKind kind, const Tensor &x, Loc loc) {
  const NodePtr &n = checked(x, fe::opName(kind), loc);
  if (n->dtype == DType::Bool)
    fail(fe::opName(kind), "not supported on bool tensors", loc);
  return Tensor(makeNode(kind, {n}, n->shape, n->dtype, loc));
}

std::mutex &generatorMutex() {
  static std::mutex m;
  return m;
}

std::mt19937_64 &generator() {
  static std::mt19937_64 gen(0x5eed);
  return gen;
}

/// The in-graph generator's key and next counter (ember.random_uniform).
struct PhiloxState {
  uint64_t seed = 0x5eed, offset = 0;
};
PhiloxState &philox() {
  static PhiloxState state;
  return state;
}

/// Flattens a nested list into `values`, recording the shape at `depth`.
void flatten(const NestedList &list, size_t depth, Shape &shape,
             std::vector<double> &values, Loc loc) {
  if (list.isScalar()) {
    if (depth != shape.size())
      fail("tensor", "nested lists are ragged (a number where a list was "
                     "expected, or the reverse)", loc);
    values.push_back(list.value());
    return;
  }
  int64_t n = static_cast<int64_t>(list.items().size());
  if (depth == shape.size()) {
    // First list seen at this depth fixes the size; a number seen at this
    // depth before would have fixed the rank lower.
    if (!values.empty())
      fail("tensor", "nested lists are ragged", loc);
    shape.push_back(n);
  } else if (shape[depth] != n) {
    fail("tensor",
         fmt::format("nested lists are ragged: a list of {} elements where "
                     "{} were expected at depth {}",
                     n, shape[depth], depth),
         loc);
  }
  for (const NestedList &item : list.items())
    flatten(item, depth + 1, shape, values, loc);
}

Tensor fromDoubles(const std::vector<double> &values, Shape shape,
                   DType dtype, Loc loc) {
  if (static_cast<int64_t>(values.size()) != numelOf(shape))
    fail("tensor",
         fmt::format("{} values do not fill shape {} ({} elements)",
                     values.size(), shapeStr(shape), numelOf(shape)),
         loc);
  NodePtr leaf = makeLeaf(std::move(shape), dtype);
  for (size_t i = 0; i < values.size(); ++i)
    storeElement(leaf->data->data(), dtype, static_cast<int64_t>(i), values[i]);
  return Tensor(leaf);
}

} // namespace

//===----------------------------------------------------------------------===//
// Tensor
//===----------------------------------------------------------------------===//

const Shape &Tensor::shape() const {
  if (!node())
    throw Error("ember: shape() of an undefined tensor");
  return node()->shape;
}

int64_t Tensor::size(int64_t d) const {
  return shape()[normalizeDim(d, dim(), "size", Loc::current())];
}

int64_t Tensor::numel() const { return numelOf(shape()); }

DType Tensor::dtype() const {
  if (!node())
    throw Error("ember: dtype() of an undefined tensor");
  return node()->dtype;
}

const Tensor &Tensor::realize(Loc loc) const {
  fe::realize({checked(*this, "realize", loc)}, loc);
  return *this;
}

bool Tensor::is_realized() const { return node() && node()->isRealized(); }

template <typename T> T Tensor::item(Loc loc) const {
  const NodePtr &n = checked(*this, "item", loc);
  if (n->numel() != 1)
    fail("item", fmt::format("a tensor of shape {} has {} elements, not one",
                             shapeStr(n->shape), n->numel()),
         loc);
  realize(loc);
  return loadElement<T>(fe::hostData(*n, loc)->data(), n->dtype, 0);
}

template <typename T> std::vector<T> Tensor::to_vector(Loc loc) const {
  const NodePtr &n = checked(*this, "to_vector", loc);
  realize(loc);
  std::shared_ptr<rt::Buffer> host = fe::hostData(*n, loc);
  std::vector<T> out(static_cast<size_t>(n->numel()));
  for (int64_t i = 0; i < n->numel(); ++i)
    out[i] = loadElement<T>(host->data(), n->dtype, i);
  return out;
}

Device Tensor::device() const {
  if (!node())
    throw Error("ember: device() of an undefined tensor");
  return node()->device;
}

Tensor Tensor::to(const Device &target, Loc loc) const {
  const NodePtr &n = checked(*this, "to", loc);
  if (n->device == target)
    return *this;
  realize(loc);
  auto node = std::make_shared<Node>();
  node->shape = n->shape;
  node->dtype = n->dtype;
  node->location = loc;
  node->device = target;
  if (target.is_cpu())
    node->data = fe::hostData(*n, loc);
  else
    node->deviceData = fe::deviceData(*n, target, loc);
  return Tensor(node);
}

template <typename T> T *Tensor::data_ptr(Loc loc) const {
  const NodePtr &n = checked(*this, "data_ptr", loc);
  constexpr DType expected = std::is_same_v<T, float>      ? DType::Float32
                             : std::is_same_v<T, double>   ? DType::Float64
                             : std::is_same_v<T, int64_t>  ? DType::Int64
                             : std::is_same_v<T, uint16_t> ? DType::Float16
                                                           : DType::UInt8;
  bool ok = n->dtype == expected ||
            (std::is_same_v<T, uint8_t> && n->dtype == DType::Bool) ||
            (std::is_same_v<T, uint16_t> && n->dtype == DType::BFloat16);
  if (!ok)
    fail("data_ptr",
         fmt::format("the tensor holds {}, not the requested element type",
                     dtypeName(n->dtype)),
         loc);
  if (!n->device.is_cpu())
    fail("data_ptr",
         fmt::format("the tensor is on {}; copy it with cpu() first",
                     n->device.str()),
         loc);
  realize(loc);
  // The caller may write through the pointer: values cached from the
  // contents (a weight's transpose) are computed again.
  n->data->noteWrite();
  return static_cast<T *>(n->data->data());
}
template float *Tensor::data_ptr<float>(Loc) const;
template double *Tensor::data_ptr<double>(Loc) const;
template int64_t *Tensor::data_ptr<int64_t>(Loc) const;
template uint8_t *Tensor::data_ptr<uint8_t>(Loc) const;
template uint16_t *Tensor::data_ptr<uint16_t>(Loc) const;

#define EMBER_INSTANTIATE(T)                                                   \
  template T Tensor::item<T>(Loc) const;                                       \
  template std::vector<T> Tensor::to_vector<T>(Loc) const;
EMBER_INSTANTIATE(float)
EMBER_INSTANTIATE(double)
EMBER_INSTANTIATE(int64_t)
EMBER_INSTANTIATE(int32_t)
EMBER_INSTANTIATE(uint8_t)
EMBER_INSTANTIATE(bool)
#undef EMBER_INSTANTIATE

Tensor Tensor::matmul(const Tensor &other, Loc loc) const {
  const NodePtr &a = checked(*this, "matmul", loc);
  const NodePtr &b = checked(other, "matmul", loc);
  // torch.matmul's vectors: a 1-D operand is a row (first) or a column
  // (second) matrix, whose dimension the result then drops.
  if ((a->shape.size() == 1 || b->shape.size() == 1) && a->shape.size() <= 2 &&
      b->shape.size() <= 2 && !a->shape.empty() && !b->shape.empty()) {
    Tensor lhs = a->shape.size() == 1 ? reshape({1, a->shape[0]}, loc) : *this;
    Tensor rhs =
        b->shape.size() == 1 ? other.reshape({b->shape[0], 1}, loc) : other;
    Shape result;
    if (a->shape.size() == 2)
      result.push_back(a->shape[0]);
    if (b->shape.size() == 2)
      result.push_back(b->shape[1]);
    return lhs.matmul(rhs, loc).reshape(result, loc);
  }
  if (a->shape.size() != 2 || b->shape.size() != 2)
    fail("matmul",
         fmt::format("expects matrices or vectors, got shapes {} and {}",
                     shapeStr(a->shape), shapeStr(b->shape)),
         loc);
  if (a->shape[1] != b->shape[0])
    fail("matmul",
         fmt::format("shapes {} and {} cannot be multiplied ({} != {})",
                     shapeStr(a->shape), shapeStr(b->shape), a->shape[1],
                     b->shape[0]),
         loc);
  if (a->dtype != b->dtype || a->dtype == DType::Bool)
    fail("matmul",
         fmt::format("operands must share a numeric dtype, got {} and {}",
                     dtypeName(a->dtype), dtypeName(b->dtype)),
         loc);
  return Tensor(makeNode(OpKind::Matmul, {a, b}, {a->shape[0], b->shape[1]},
                         a->dtype, loc));
}

Tensor Tensor::relu(Loc loc) const { return unary(OpKind::Relu, *this, loc); }
Tensor Tensor::neg(Loc loc) const { return unary(OpKind::Neg, *this, loc); }

Tensor Tensor::reshape(Shape target, Loc loc) const {
  const NodePtr &n = checked(*this, "reshape", loc);
  int64_t inferred = -1, known = 1;
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == -1) {
      if (inferred >= 0)
        fail("reshape", fmt::format("only one dimension of {} can be -1",
                                    shapeStr(target)),
             loc);
      inferred = static_cast<int64_t>(i);
    } else if (target[i] < 0) {
      fail("reshape", fmt::format("invalid shape {}", shapeStr(target)), loc);
    } else {
      known *= target[i];
    }
  }
  if (inferred >= 0 && known != 0 && n->numel() % known == 0)
    target[inferred] = n->numel() / known;
  if (numelOf(target) != n->numel() ||
      std::count(target.begin(), target.end(), -1))
    fail("reshape",
         fmt::format("shape {} is invalid for a tensor of shape {} ({} "
                     "elements)",
                     shapeStr(target), shapeStr(n->shape), n->numel()),
         loc);
  if (target == n->shape)
    return *this;
  fe::ViewStep step{fe::ViewStep::Kind::Reshape, {}, {}, target};
  return fe::viewOf(*this, fe::reshapeNode(*this, std::move(target), loc),
                    std::move(step), loc);
}

Tensor Tensor::permute(std::vector<int64_t> dims, Loc loc) const {
  const NodePtr &n = checked(*this, "transpose", loc);
  int64_t rank = dim();
  if (static_cast<int64_t>(dims.size()) != rank)
    fail("permute",
         fmt::format("{} dimensions given for a tensor of shape {}",
                     dims.size(), shapeStr(n->shape)),
         loc);
  std::vector<bool> seen(rank, false);
  Shape shape;
  for (int64_t &d : dims) {
    d = normalizeDim(d, rank, "permute", loc);
    if (seen[d])
      fail("permute", fmt::format("dimension {} repeats", d), loc);
    seen[d] = true;
    shape.push_back(n->shape[d]);
  }
  bool identity = true;
  for (int64_t i = 0; i < rank; ++i)
    identity &= dims[i] == i;
  if (identity)
    return *this;
  fe::ViewStep step{fe::ViewStep::Kind::Permute, {}, dims, shape};
  return fe::viewOf(*this, fe::permuteNode(*this, std::move(dims), loc),
                    std::move(step), loc);
}

Tensor Tensor::transpose(int64_t dim0, int64_t dim1, Loc loc) const {
  checked(*this, "transpose", loc);
  int64_t rank = dim();
  if (rank == 0)
    return *this;
  std::vector<int64_t> perm(rank);
  for (int64_t i = 0; i < rank; ++i)
    perm[i] = i;
  std::swap(perm[normalizeDim(dim0, rank, "transpose", loc)],
            perm[normalizeDim(dim1, rank, "transpose", loc)]);
  return permute(perm, loc);
}

Tensor Tensor::t(Loc loc) const {
  const NodePtr &n = checked(*this, "t", loc);
  if (n->shape.size() > 2)
    fail("t", fmt::format("expects a tensor of rank at most 2, got shape {}",
                          shapeStr(n->shape)),
         loc);
  return n->shape.size() < 2 ? *this : transpose(0, 1, loc);
}

Tensor Tensor::sum(std::vector<int64_t> dims, bool keepdim, Loc loc) const {
  return reduction(OpKind::Sum, *this, std::move(dims), keepdim, loc);
}

Tensor Tensor::broadcast_to(Shape target, Loc loc) const {
  const NodePtr &n = checked(*this, "broadcast_to", loc);
  Shape result = broadcastShapes(n->shape, target, "broadcast_to", loc);
  if (result != target)
    fail("broadcast_to",
         fmt::format("cannot broadcast shape {} to {}", shapeStr(n->shape),
                     shapeStr(target)),
         loc);
  if (target == n->shape)
    return *this;
  fe::ViewStep step{fe::ViewStep::Kind::Broadcast, {}, {}, target};
  return fe::withoutInPlace(
      fe::viewOf(*this, fe::broadcastNodeOf(*this, target, loc),
                 std::move(step), loc),
      "the tensor is broadcast_to()'s result, several of whose elements "
      "share one value (PyTorch's expand() refuses such writes too): write "
      "to the tensor it was broadcast from, or clone() it first");
}

//===----------------------------------------------------------------------===//
// Plain nodes for views and in-place writes (TensorImpl.h)
//===----------------------------------------------------------------------===//

namespace fe {

Tensor broadcastNodeOf(const Tensor &x, const Shape &shape, Loc loc) {
  const NodePtr &n = x.node();
  return Tensor(broadcastNode(n, shape, loc, n->device));
}

Tensor sliceBox(const Tensor &x, std::vector<int64_t> offsets,
                std::vector<int64_t> strides, Shape shape, Loc loc) {
  const NodePtr &n = x.node();
  if (shape == n->shape)
    return x;
  NodePtr node = makeNode(OpKind::Slice, {n}, std::move(shape), n->dtype, loc);
  node->window = std::move(offsets);
  node->window.insert(node->window.end(), strides.begin(), strides.end());
  return Tensor(node);
}

Tensor scatterBox(const Tensor &dest, const Tensor &src,
                  std::vector<int64_t> offsets, std::vector<int64_t> strides,
                  Loc loc) {
  const NodePtr &d = dest.node(), &s = src.node();
  if (s->shape == d->shape)
    return src;
  NodePtr node =
      makeNode(OpKind::SliceScatter, {d, s}, d->shape, d->dtype, loc);
  node->window = std::move(offsets);
  node->window.insert(node->window.end(), strides.begin(), strides.end());
  return Tensor(node);
}

Tensor reshapeNode(const Tensor &x, Shape shape, Loc loc) {
  const NodePtr &n = x.node();
  if (shape == n->shape)
    return x;
  return Tensor(
      makeNode(OpKind::Reshape, {n}, std::move(shape), n->dtype, loc));
}

Tensor permuteNode(const Tensor &x, std::vector<int64_t> perm, Loc loc) {
  const NodePtr &n = x.node();
  Shape shape;
  bool identity = true;
  for (size_t i = 0; i < perm.size(); ++i) {
    shape.push_back(n->shape[perm[i]]);
    identity &= perm[i] == static_cast<int64_t>(i);
  }
  if (identity)
    return x;
  NodePtr node =
      makeNode(OpKind::Transpose, {n}, std::move(shape), n->dtype, loc);
  node->axes = std::move(perm);
  return Tensor(node);
}

Tensor copyNode(const Tensor &x, Loc loc) {
  const NodePtr &n = x.node();
  return Tensor(makeNode(OpKind::Reshape, {n}, n->shape, n->dtype, loc));
}

Tensor broadcastOn(const Tensor &x, Shape shape, const Device &device,
                   Loc loc) {
  const NodePtr &n = x.node();
  if (!(n->device == device) && !(n->device.is_cpu() && n->shape.empty()))
    return x; // the caller names the devices
  if (n->shape == shape && !(n->device == device))
    return x.to(device, loc);
  return Tensor(broadcastNode(n, shape, loc, device));
}

Tensor zerosOn(Shape shape, DType dtype, const Device &device, Loc loc) {
  NodePtr zero = zeros({}, dtype).node();
  if (shape.empty())
    return device.is_cpu() ? Tensor(zero) : Tensor(zero).to(device, loc);
  NodePtr node =
      makeNode(OpKind::BroadcastTo, {zero}, std::move(shape), dtype, loc);
  node->device = device;
  return Tensor(node);
}

} // namespace fe

namespace {

/// The dimensions `dims` normalised, checked distinct and sorted.
std::vector<int64_t> normalizeDims(std::vector<int64_t> dims, int64_t rank,
                                   std::string_view op, Loc loc) {
  std::vector<bool> seen(std::max<int64_t>(rank, 1), false);
  for (int64_t &d : dims) {
    d = normalizeDim(d, rank, op, loc);
    if (seen[d])
      fail(op, fmt::format("dimension {} is listed twice", d), loc);
    seen[d] = true;
  }
  std::sort(dims.begin(), dims.end());
  return dims;
}

std::vector<int64_t> allDims(int64_t rank) {
  std::vector<int64_t> dims(rank);
  for (int64_t i = 0; i < rank; ++i)
    dims[i] = i;
  return dims;
}

Tensor reduction(OpKind kind, const Tensor &x, std::vector<int64_t> dims,
                 bool keepdim, Loc loc) {
  std::string_view op = fe::opName(kind);
  const NodePtr &n = checked(x, op, loc);
  if (n->dtype == DType::Bool)
    fail(op, "not supported on bool tensors", loc);
  int64_t rank = x.dim();
  if (rank == 0)
    return x;
  dims = normalizeDims(std::move(dims), rank, op, loc);
  Shape shape;
  for (int64_t i = 0; i < rank; ++i) {
    bool reduced = std::binary_search(dims.begin(), dims.end(), i);
    if (!reduced)
      shape.push_back(n->shape[i]);
    else if (keepdim)
      shape.push_back(1);
    if (reduced && n->shape[i] == 0 && kind != OpKind::Sum)
      fail(op, fmt::format("cannot reduce a dimension of size 0 (shape {})",
                           shapeStr(n->shape)),
           loc);
  }
  auto node = makeNode(kind, {n}, shape, n->dtype, loc);
  node->axes = std::move(dims);
  node->keepdim = keepdim;
  return Tensor(node);
}

Tensor compare(OpKind kind, const Tensor &a, const Tensor &b, Loc loc) {
  std::string_view op = fe::opName(kind);
  const NodePtr &na = checked(a, op, loc);
  const NodePtr &nb = checked(b, op, loc);
  if (na->dtype != nb->dtype)
    fail(op,
         fmt::format("operands have different dtypes ({} and {})",
                     dtypeName(na->dtype), dtypeName(nb->dtype)),
         loc);
  Shape shape = broadcastShapes(na->shape, nb->shape, op, loc);
  Device device = deviceOf(kind, {na, nb}, loc);
  return Tensor(makeNode(kind,
                         {broadcastNode(na, shape, loc, device),
                          broadcastNode(nb, shape, loc, device)},
                         shape, DType::Bool, loc));
}

Tensor compareScalar(OpKind kind, const Tensor &a, double b, Loc loc) {
  const NodePtr &na = checked(a, fe::opName(kind), loc);
  return compare(kind, a, Tensor(scalarLeaf(b, na->dtype)), loc);
}

} // namespace

Tensor Tensor::sum(Loc loc) const {
  checked(*this, "sum", loc);
  return sum(allDims(dim()), false, loc);
}

Tensor Tensor::mean(Loc loc) const {
  checked(*this, "mean", loc);
  return mean(allDims(dim()), false, loc);
}

Tensor Tensor::mean(std::vector<int64_t> dims, bool keepdim, Loc loc) const {
  const NodePtr &n = checked(*this, "mean", loc);
  if (!isFloatingPoint(n->dtype))
    fail("mean", fmt::format("needs a floating-point tensor, got {}",
                             dtypeName(n->dtype)),
         loc);
  dims = normalizeDims(std::move(dims), dim(), "mean", loc);
  int64_t count = 1;
  for (int64_t d : dims)
    count *= dim() == 0 ? 1 : n->shape[d];
  return binaryScalar(OpKind::Div, sum(dims, keepdim, loc),
                      static_cast<double>(count), false, loc);
}

Tensor Tensor::max(Loc loc) const {
  checked(*this, "max", loc);
  return reduction(OpKind::Max, *this, allDims(dim()), false, loc);
}
Tensor Tensor::amax(std::vector<int64_t> dims, bool keepdim, Loc loc) const {
  return reduction(OpKind::Max, *this, std::move(dims), keepdim, loc);
}
Tensor Tensor::min(Loc loc) const {
  checked(*this, "min", loc);
  return reduction(OpKind::Min, *this, allDims(dim()), false, loc);
}
Tensor Tensor::amin(std::vector<int64_t> dims, bool keepdim, Loc loc) const {
  return reduction(OpKind::Min, *this, std::move(dims), keepdim, loc);
}

Tensor Tensor::argmax(int64_t d, bool keepdim, Loc loc) const {
  const NodePtr &n = checked(*this, "argmax", loc);
  if (n->dtype == DType::Bool)
    fail("argmax", "not supported on bool tensors", loc);
  if (dim() == 0)
    return zeros({}, DType::Int64);
  d = normalizeDim(d, dim(), "argmax", loc);
  if (n->shape[d] == 0)
    fail("argmax", fmt::format("cannot take argmax over an empty dimension "
                               "(shape {})",
                               shapeStr(n->shape)),
         loc);
  Shape shape;
  for (int64_t i = 0; i < dim(); ++i) {
    if (i != d)
      shape.push_back(n->shape[i]);
    else if (keepdim)
      shape.push_back(1);
  }
  auto node = makeNode(OpKind::Argmax, {n}, shape, DType::Int64, loc);
  node->axes = {d};
  node->keepdim = keepdim;
  return Tensor(node);
}

namespace {
/// An elementwise function of a floating-point tensor (ember.<name>).
Tensor floatUnary(OpKind kind, const Tensor &x, Tensor::Loc loc) {
  std::string_view name = fe::opName(kind);
  const NodePtr &n = checked(x, name, loc);
  if (!isFloatingPoint(n->dtype))
    fail(name,
         fmt::format("needs a floating-point tensor, got {}",
                     dtypeName(n->dtype)),
         loc);
  return unary(kind, x, loc);
}
} // namespace

Tensor Tensor::exp(Loc loc) const {
  return floatUnary(OpKind::Exp, *this, loc);
}
Tensor Tensor::log(Loc loc) const {
  return floatUnary(OpKind::Log, *this, loc);
}
Tensor Tensor::sqrt(Loc loc) const {
  return floatUnary(OpKind::Sqrt, *this, loc);
}
Tensor Tensor::sigmoid(Loc loc) const {
  return floatUnary(OpKind::Sigmoid, *this, loc);
}
Tensor Tensor::tanh(Loc loc) const {
  return floatUnary(OpKind::Tanh, *this, loc);
}
Tensor Tensor::erf(Loc loc) const {
  return floatUnary(OpKind::Erf, *this, loc);
}

Tensor Tensor::abs(Loc loc) const {
  // where(x > 0, x, where(-x > 0, -x, x * 0)): the gradient at 0 (and a
  // NaN's) goes through x * 0, so it is 0.
  checked(*this, "abs", loc);
  Tensor negated = neg(loc);
  return where(gt(0.0, loc), *this,
               where(negated.gt(0.0, loc), negated,
                     binaryScalar(OpKind::Mul, *this, 0.0, false, loc), loc),
               loc);
}

Tensor Tensor::clamp(std::optional<double> min, std::optional<double> max,
                     Loc loc) const {
  const NodePtr &n = checked(*this, "clamp", loc);
  if (!min && !max)
    fail("clamp", "at least one of min and max must be given", loc);
  if (!isFloatingPoint(n->dtype))
    fail(
        "clamp",
        fmt::format("only floating-point tensors, not {}", dtypeName(n->dtype)),
        loc);
  Tensor out = *this;
  // x < min is -x > -min: a NaN compares false and is kept.
  if (min)
    out =
        where(out.neg(loc).gt(-*min, loc), full({}, *min, n->dtype), out, loc);
  if (max)
    out = where(out.gt(*max, loc), full({}, *max, n->dtype), out, loc);
  return out;
}

Tensor Tensor::clamp_min(double min, Loc loc) const {
  return clamp(min, std::nullopt, loc);
}

Tensor Tensor::clamp_max(double max, Loc loc) const {
  return clamp(std::nullopt, max, loc);
}

Tensor Tensor::masked_fill(const Tensor &mask, double value, Loc loc) const {
  const NodePtr &n = checked(*this, "masked_fill", loc);
  const NodePtr &m = checked(mask, "masked_fill", loc);
  if (m->dtype != DType::Bool)
    fail("masked_fill",
         fmt::format("the mask must be bool, not {}", dtypeName(m->dtype)),
         loc);
  if (broadcastShapes(n->shape, m->shape, "masked_fill", loc) != n->shape)
    fail("masked_fill",
         fmt::format("the mask {} does not broadcast to the tensor's shape {}",
                     shapeStr(m->shape), shapeStr(n->shape)),
         loc);
  return where(mask, full({}, value, n->dtype), *this, loc);
}

Tensor Tensor::square(Loc loc) const { return mul(*this, *this, loc); }

Tensor Tensor::pow(double e, Loc loc) const {
  const NodePtr &n = checked(*this, "pow", loc);
  if (!isFloatingPoint(n->dtype))
    fail(
        "pow",
        fmt::format("only floating-point tensors, not {}", dtypeName(n->dtype)),
        loc);
  if (e == 1)
    return *this;
  if (e == 2)
    return square(loc);
  if (e == 3)
    return mul(square(loc), *this, loc);
  if (e == 0.5)
    return sqrt(loc);
  if (e == -0.5)
    return binaryScalar(OpKind::Div, sqrt(loc), 1.0, true, loc);
  if (e == -1)
    return binaryScalar(OpKind::Div, *this, 1.0, true, loc);
  if (e == -2)
    return binaryScalar(OpKind::Div, square(loc), 1.0, true, loc);
  fail("pow",
       fmt::format("exponent {} is not supported: only 1, 2, 3, 0.5, -0.5, "
                   "-1 and -2, which PyTorch computes in closed form "
                   "(exp(log(x) * {}) would not give PyTorch's numbers)",
                   e, e),
       loc);
}

Tensor Tensor::softmax(int64_t d, Loc loc) const {
  // Shift-invariant: subtracting the (constant) max keeps exp in range.
  Tensor shifted = sub(*this, amax({d}, true, loc).detach(), loc);
  Tensor e = shifted.exp(loc);
  return div(e, e.sum({d}, true, loc), loc);
}

Tensor Tensor::log_softmax(int64_t d, Loc loc) const {
  Tensor shifted = sub(*this, amax({d}, true, loc).detach(), loc);
  return sub(shifted, shifted.exp(loc).sum({d}, true, loc).log(loc), loc);
}

Tensor Tensor::eq(const Tensor &o, Loc loc) const { return compare(OpKind::Eq, *this, o, loc); }
Tensor Tensor::ne(const Tensor &o, Loc loc) const { return compare(OpKind::Ne, *this, o, loc); }
Tensor Tensor::lt(const Tensor &o, Loc loc) const { return compare(OpKind::Lt, *this, o, loc); }
Tensor Tensor::le(const Tensor &o, Loc loc) const { return compare(OpKind::Le, *this, o, loc); }
Tensor Tensor::gt(const Tensor &o, Loc loc) const { return compare(OpKind::Gt, *this, o, loc); }
Tensor Tensor::ge(const Tensor &o, Loc loc) const { return compare(OpKind::Ge, *this, o, loc); }
Tensor Tensor::eq(double o, Loc loc) const { return compareScalar(OpKind::Eq, *this, o, loc); }
Tensor Tensor::gt(double o, Loc loc) const { return compareScalar(OpKind::Gt, *this, o, loc); }

Tensor Tensor::to(DType dtype, Loc loc) const {
  const NodePtr &n = checked(*this, "to", loc);
  if (n->dtype == dtype)
    return *this;
  return Tensor(makeNode(OpKind::Cast, {n}, n->shape, dtype, loc));
}

Tensor where(const Tensor &condition, const Tensor &a, const Tensor &b,
             Loc loc) {
  const NodePtr &nc = checked(condition, "where", loc);
  const NodePtr &na = checked(a, "where", loc);
  const NodePtr &nb = checked(b, "where", loc);
  if (nc->dtype != DType::Bool)
    fail("where", fmt::format("the condition must be bool, got {}",
                              dtypeName(nc->dtype)),
         loc);
  if (na->dtype != nb->dtype)
    fail("where", fmt::format("values have different dtypes ({} and {})",
                              dtypeName(na->dtype), dtypeName(nb->dtype)),
         loc);
  Shape shape = broadcastShapes(
      broadcastShapes(nc->shape, na->shape, "where", loc), nb->shape, "where",
      loc);
  Device device = deviceOf(OpKind::Select, {nc, na, nb}, loc);
  return Tensor(makeNode(OpKind::Select,
                         {broadcastNode(nc, shape, loc, device),
                          broadcastNode(na, shape, loc, device),
                          broadcastNode(nb, shape, loc, device)},
                         shape, na->dtype, loc));
}

} // namespace ember

namespace ember::fe {

CallerLocation::CallerLocation(std::source_location loc)
    : outermost_(!callerLocation) {
  if (outermost_)
    callerLocation = loc;
}

CallerLocation::~CallerLocation() {
  if (outermost_)
    callerLocation.reset();
}

} // namespace ember::fe

namespace ember {

NoGradGuard::NoGradGuard() : previous_(gradEnabled) { gradEnabled = false; }
NoGradGuard::~NoGradGuard() { gradEnabled = previous_; }
bool is_grad_enabled() { return gradEnabled; }

fe::GradMode::GradMode(bool on) : previous_(gradEnabled) { gradEnabled = on; }
fe::GradMode::~GradMode() { gradEnabled = previous_; }

/// PyTorch's detach() shares the values, Ember's is a copy.
constexpr const char *kDetachedNoInPlace =
    "the tensor is detach()'s result: writes to it would reach the "
    "original in PyTorch, and Ember does not write through a detach(); "
    "write to the original under NoGradGuard instead, or clone() it first";

NodePtr fe::leafSharing(const Node &n, Loc loc) {
  auto leaf = std::make_shared<Node>();
  leaf->shape = n.shape;
  leaf->dtype = n.dtype;
  leaf->data = n.data;
  leaf->deviceData = n.deviceData;
  leaf->device = n.device;
  leaf->location = loc;
  return leaf;
}

Tensor fe::detachNode(const Tensor &x, Loc loc) {
  const NodePtr &n = x.node();
  if (!n->requiresGrad)
    return x;
  if (n->isRealized()) // a leaf sharing the data: no copy
    return Tensor(fe::leafSharing(*n, loc));
  // A same-shape reshape: the identity for values (folded away by the
  // compiler), and a node without requiresGrad for autograd.
  auto node = std::make_shared<Node>();
  node->kind = OpKind::Reshape;
  node->inputs = {n};
  node->inputVersions = {n->version};
  node->device = n->device;
  node->shape = n->shape;
  node->dtype = n->dtype;
  node->location = loc;
  return Tensor(node);
}

Tensor Tensor::detach(Loc loc) const {
  const NodePtr &n = checked(*this, "detach", loc);
  if (!n->requiresGrad)
    return *this;
  // A view, so that it follows writes to this tensor, as PyTorch's does.
  fe::ViewStep step{fe::ViewStep::Kind::Detach, {}, {}, n->shape};
  return fe::withoutInPlace(
      fe::viewOf(*this, fe::detachNode(*this, loc), std::move(step), loc),
      kDetachedNoInPlace);
}

std::string export_graph(const std::vector<Tensor> &outputs, Loc loc) {
  std::vector<NodePtr> nodes;
  for (const Tensor &t : outputs) {
    const NodePtr &n = checked(t, "export_graph", loc);
    if (n->isRealized())
      fail("export_graph", "the tensor is already computed; export it before "
                           "realising it", loc);
    nodes.push_back(n);
  }
  return fe::emitGraph(nodes);
}

std::string export_graph(const std::vector<Tensor> &outputs,
                         const std::vector<Tensor> &inputs, Loc loc) {
  std::vector<NodePtr> nodes, arguments;
  for (const Tensor &t : outputs) {
    const NodePtr &n = checked(t, "export_graph", loc);
    if (n->isRealized())
      fail("export_graph", "an output is already computed; export it before "
                           "realising it", loc);
    nodes.push_back(n);
  }
  for (const Tensor &t : inputs)
    arguments.push_back(checked(t, "export_graph", loc));
  return fe::emitGraph(nodes, nullptr, &arguments);
}

void realize(const std::vector<Tensor> &tensors, Loc loc) {
  std::vector<NodePtr> nodes;
  for (const Tensor &t : tensors)
    nodes.push_back(checked(t, "realize", loc));
  fe::realize(nodes, loc);
}

//===----------------------------------------------------------------------===//
// Free functions
//===----------------------------------------------------------------------===//

Tensor add(const Tensor &a, const Tensor &b, Loc loc) { return binary(OpKind::Add, a, b, loc); }
Tensor sub(const Tensor &a, const Tensor &b, Loc loc) { return binary(OpKind::Sub, a, b, loc); }
Tensor mul(const Tensor &a, const Tensor &b, Loc loc) { return binary(OpKind::Mul, a, b, loc); }
Tensor div(const Tensor &a, const Tensor &b, Loc loc) { return binary(OpKind::Div, a, b, loc); }

Tensor operator+(detail::Located a, const Tensor &b) { return add(a.tensor, b, a.location); }
Tensor operator-(detail::Located a, const Tensor &b) { return sub(a.tensor, b, a.location); }
Tensor operator*(detail::Located a, const Tensor &b) { return mul(a.tensor, b, a.location); }
Tensor operator/(detail::Located a, const Tensor &b) { return div(a.tensor, b, a.location); }
Tensor operator+(detail::Located a, double b) { return binaryScalar(OpKind::Add, a.tensor, b, false, a.location); }
Tensor operator-(detail::Located a, double b) { return binaryScalar(OpKind::Sub, a.tensor, b, false, a.location); }
Tensor operator*(detail::Located a, double b) { return binaryScalar(OpKind::Mul, a.tensor, b, false, a.location); }
Tensor operator/(detail::Located a, double b) { return binaryScalar(OpKind::Div, a.tensor, b, false, a.location); }
Tensor operator+(double a, const Tensor &b) { return binaryScalar(OpKind::Add, b, a, true, Loc::current()); }
Tensor operator-(double a, const Tensor &b) { return binaryScalar(OpKind::Sub, b, a, true, Loc::current()); }
Tensor operator*(double a, const Tensor &b) { return binaryScalar(OpKind::Mul, b, a, true, Loc::current()); }
Tensor operator/(double a, const Tensor &b) { return binaryScalar(OpKind::Div, b, a, true, Loc::current()); }

Tensor matmul(const Tensor &a, const Tensor &b, Loc loc) { return a.matmul(b, loc); }
Tensor relu(const Tensor &x, Loc loc) { return x.relu(loc); }
Tensor sigmoid(const Tensor &x, Loc loc) { return x.sigmoid(loc); }
Tensor tanh(const Tensor &x, Loc loc) { return x.tanh(loc); }
Tensor erf(const Tensor &x, Loc loc) { return x.erf(loc); }
Tensor gelu(const Tensor &x, Loc loc) {
  using detail::Located;
  Tensor scaled = Located(x, loc) * M_SQRT1_2;
  Tensor erfPlusOne = Located(scaled.erf(loc), loc) + 1.0;
  return mul(Located(x, loc) * 0.5, erfPlusOne, loc);
}

Tensor linear(const Tensor &x, const Tensor &weight, const Tensor &bias,
              Loc loc) {
  const NodePtr &nx = checked(x, "linear", loc);
  const NodePtr &nw = checked(weight, "linear", loc);
  if (nx->shape.size() != 2 || nw->shape.size() != 2 ||
      nx->shape[1] != nw->shape[1])
    fail("linear",
         fmt::format("input {} and weight {} do not match (weight is "
                     "[out_features, in_features])",
                     shapeStr(nx->shape), shapeStr(nw->shape)),
         loc);
  if (!isFloatingPoint(nx->dtype) || nx->dtype != nw->dtype)
    fail("linear", fmt::format("expects one floating-point dtype, got {} and {}",
                               dtypeName(nx->dtype), dtypeName(nw->dtype)),
         loc);
  std::vector<NodePtr> inputs = {nx, nw};
  if (bias.defined()) {
    const NodePtr &nb = bias.node();
    if (nb->shape != Shape{nw->shape[0]} || nb->dtype != nx->dtype)
      fail("linear",
           fmt::format("bias {} {} does not match weight {}",
                       dtypeName(nb->dtype), shapeStr(nb->shape),
                       shapeStr(nw->shape)),
           loc);
    inputs.push_back(nb);
  }
  return Tensor(makeNode(OpKind::Linear, std::move(inputs),
                         {nx->shape[0], nw->shape[0]}, nx->dtype, loc));
}

namespace {

/// `input` as [N, C, H, W]: itself, or a [C, H, W] sample as a batch of
/// one (`unbatched` says so); any other rank is an error naming `op`.
Tensor batched4d(const Tensor &input, std::string_view op, bool &unbatched,
                 Loc loc) {
  const NodePtr &n = checked(input, op, loc);
  unbatched = n->shape.size() == 3;
  if (!unbatched && n->shape.size() != 4)
    fail(op,
         fmt::format("input {} should be [N, C, H, W] (or [C, H, W])",
                     shapeStr(n->shape)),
         loc);
  if (!isFloatingPoint(n->dtype))
    fail(op,
         fmt::format("expects a floating-point input, got {}",
                     dtypeName(n->dtype)),
         loc);
  return unbatched
             ? input.reshape({1, n->shape[0], n->shape[1], n->shape[2]}, loc)
             : input;
}

/// `y` [1, C, OH, OW] back to [C, OH, OW] when the input was one sample.
Tensor unbatch(const Tensor &y, bool unbatched, Loc loc) {
  if (!unbatched)
    return y;
  return y.reshape({y.size(1), y.size(2), y.size(3)}, loc);
}

/// The dilated window's extent and the padded input's along one dim; an
/// error naming `op` and the attributes (`describe()`) when they overflow.
template <typename Describe>
std::pair<int64_t, int64_t> windowExtents(std::string_view op, int64_t kernel,
                                          int64_t dilation, int64_t input,
                                          int64_t padding,
                                          const Describe &describe, Loc loc) {
  int64_t reach, span, pad2, padded;
  if (__builtin_mul_overflow(dilation, kernel - 1, &reach) ||
      __builtin_add_overflow(reach, 1, &span) ||
      __builtin_mul_overflow(padding, 2, &pad2) ||
      __builtin_add_overflow(input, pad2, &padded))
    fail(op, describe() + ": the window's extent overflows 64 bits", loc);
  return {span, padded};
}

/// A convolution's input, weight and output shapes and attributes, checked
/// as ember.conv2d's verifier would, with the user's names for them.
struct ConvShapes {
  Shape input, weight, output;
  std::vector<int64_t> window; // Node::window
};

/// The output shape of a convolution of `input` by a `weight`-shaped kernel;
/// an error naming `op` and the shapes when they do not fit together.
ConvShapes convShapes(std::string_view op, Shape input, Shape weight,
                      Size2 stride, Size2 padding, Size2 dilation,
                      int64_t groups, Loc loc) {
  std::vector<int64_t> window = {stride.h,   stride.w,   padding.h, padding.w,
                                 dilation.h, dilation.w, groups};
  auto pairs = [&] {
    return fmt::format("stride ({}, {}), padding ({}, {}), dilation ({}, {}), "
                       "groups {}",
                       stride.h, stride.w, padding.h, padding.w, dilation.h,
                       dilation.w, groups);
  };
  if (stride.h < 1 || stride.w < 1 || padding.h < 0 || padding.w < 0 ||
      dilation.h < 1 || dilation.w < 1 || groups < 1)
    fail(op,
         fmt::format("{}: strides, dilations and groups must be at least 1, "
                     "padding at least 0",
                     pairs()),
         loc);
  if (input.size() != 4)
    fail(op,
         fmt::format("input {} should be [N, C, H, W] (or [C, H, W])",
                     shapeStr(input)),
         loc);
  if (weight.size() != 4)
    fail(op,
         fmt::format("weight {} should be [out_channels, in_channels / "
                     "groups, kernel_height, kernel_width]",
                     shapeStr(weight)),
         loc);
  if (input[1] % groups != 0 || weight[0] % groups != 0 ||
      weight[1] * groups != input[1])
    fail(op,
         fmt::format("input {} and weight {} do not match with groups {} "
                     "(weight is [out_channels, in_channels / groups, "
                     "kernel_height, kernel_width], and groups divides both "
                     "channel counts)",
                     shapeStr(input), shapeStr(weight), groups),
         loc);
  Shape output = {input[0], weight[0]};
  int64_t s[2] = {stride.h, stride.w}, p[2] = {padding.h, padding.w},
          d[2] = {dilation.h, dilation.w};
  for (int i = 0; i < 2; ++i) {
    auto [span, padded] =
        windowExtents(op, weight[2 + i], d[i], input[2 + i], p[i], pairs, loc);
    if (padded < span)
      fail(op,
           fmt::format("the kernel {}x{} ({}) is larger than the padded "
                       "input {} ",
                       weight[2], weight[3], pairs(), shapeStr(input)),
           loc);
    output.push_back((padded - span) / s[i] + 1);
  }
  return {std::move(input), std::move(weight), std::move(output),
          std::move(window)};
}

/// An error unless `gradOutput` is the shape of the convolution's output.
void checkGradOutput(std::string_view op, const Shape &gradOutput,
                     const ConvShapes &shapes, Loc loc) {
  if (gradOutput != shapes.output)
    fail(op,
         fmt::format("grad_output {} should be {}, the output of input {} and "
                     "weight {}",
                     shapeStr(gradOutput), shapeStr(shapes.output),
                     shapeStr(shapes.input), shapeStr(shapes.weight)),
         loc);
}

NodePtr convNode(OpKind kind, std::vector<NodePtr> inputs, Shape shape,
                 std::vector<int64_t> window, Loc loc) {
  DType dtype = inputs[0]->dtype;
  for (const NodePtr &in : inputs)
    if (!isFloatingPoint(in->dtype) || in->dtype != dtype)
      fail(fe::opName(kind),
           fmt::format("expects one floating-point dtype, got {} and {}",
                       dtypeName(dtype), dtypeName(in->dtype)),
           loc);
  NodePtr node =
      makeNode(kind, std::move(inputs), std::move(shape), dtype, loc);
  node->window = std::move(window);
  return node;
}

} // namespace

Tensor conv2d(const Tensor &input, const Tensor &weight, const Tensor &bias,
              Size2 stride, Size2 padding, Size2 dilation, int64_t groups,
              Loc loc) {
  bool unbatched = false;
  Tensor x = batched4d(input, "conv2d", unbatched, loc);
  const NodePtr &nw = checked(weight, "conv2d", loc);
  ConvShapes shapes = convShapes("conv2d", x.shape(), nw->shape, stride,
                                 padding, dilation, groups, loc);
  std::vector<NodePtr> inputs = {x.node(), nw};
  if (bias.defined()) {
    const NodePtr &nb = bias.node();
    if (nb->shape != Shape{nw->shape[0]})
      fail("conv2d",
           fmt::format("bias {} does not match weight {} (bias is "
                       "[out_channels])",
                       shapeStr(nb->shape), shapeStr(nw->shape)),
           loc);
    inputs.push_back(nb);
  }
  return unbatch(Tensor(convNode(OpKind::Conv2d, std::move(inputs),
                                 shapes.output, shapes.window, loc)),
                 unbatched, loc);
}

Tensor conv2d_grad_input(const Tensor &grad_output, const Tensor &weight,
                         Shape input_shape, Size2 stride, Size2 padding,
                         Size2 dilation, int64_t groups, Loc loc) {
  const NodePtr &ng = checked(grad_output, "conv2d_grad_input", loc);
  const NodePtr &nw = checked(weight, "conv2d_grad_input", loc);
  ConvShapes shapes =
      convShapes("conv2d_grad_input", std::move(input_shape), nw->shape, stride,
                 padding, dilation, groups, loc);
  checkGradOutput("conv2d_grad_input", ng->shape, shapes, loc);
  return Tensor(convNode(OpKind::Conv2dGradInput, {ng, nw}, shapes.input,
                         shapes.window, loc));
}

Tensor conv2d_grad_weight(const Tensor &input, const Tensor &grad_output,
                          Shape weight_shape, Size2 stride, Size2 padding,
                          Size2 dilation, int64_t groups, Loc loc) {
  const NodePtr &nx = checked(input, "conv2d_grad_weight", loc);
  const NodePtr &ng = checked(grad_output, "conv2d_grad_weight", loc);
  ConvShapes shapes =
      convShapes("conv2d_grad_weight", nx->shape, std::move(weight_shape),
                 stride, padding, dilation, groups, loc);
  checkGradOutput("conv2d_grad_weight", ng->shape, shapes, loc);
  return Tensor(convNode(OpKind::Conv2dGradWeight, {nx, ng}, shapes.weight,
                         shapes.window, loc));
}

namespace {

/// The output shape of a pooling of `in` [N, C, H, W]; errors name `op`.
Shape poolShape(std::string_view op, const Shape &in, Size2 kernel,
                Size2 stride, Size2 padding, Size2 dilation, Loc loc) {
  auto pairs = [&] {
    return fmt::format("kernel ({}, {}), stride ({}, {}), padding ({}, {}), "
                       "dilation ({}, {})",
                       kernel.h, kernel.w, stride.h, stride.w, padding.h,
                       padding.w, dilation.h, dilation.w);
  };
  if (kernel.h < 1 || kernel.w < 1 || stride.h < 1 || stride.w < 1 ||
      padding.h < 0 || padding.w < 0 || dilation.h < 1 || dilation.w < 1)
    fail(op,
         pairs() + ": kernel sizes, strides and dilations must be at least 1, "
                   "padding at least 0",
         loc);
  Shape out = {in[0], in[1]};
  int64_t k[2] = {kernel.h, kernel.w}, s[2] = {stride.h, stride.w},
          p[2] = {padding.h, padding.w}, d[2] = {dilation.h, dilation.w};
  for (int i = 0; i < 2; ++i) {
    auto [span, padded] =
        windowExtents(op, k[i], d[i], in[2 + i], p[i], pairs, loc);
    if (p[i] > span / 2)
      fail(op, pairs() + ": padding should be at most half the window", loc);
    // With dilation a window can step over a small input entirely; its
    // maximum would be -inf (PyTorch's index then points past the row).
    int64_t count = (padded - span) / s[i] + 1;
    for (int64_t o = 0; o < count && padded >= span; ++o) {
      int64_t start = o * s[i] - p[i];
      int64_t first = start >= 0 ? 0 : (-start + d[i] - 1) / d[i];
      if (first >= k[i] || start + first * d[i] >= in[2 + i])
        fail(op,
             fmt::format("{}: window {} along the {} holds no element of the "
                         "input {}",
                         pairs(), o, i ? "width" : "height", shapeStr(in)),
             loc);
    }
    if (padded < span)
      fail(op,
           fmt::format("{}: the window is larger than the padded input {}",
                       pairs(), shapeStr(in)),
           loc);
    out.push_back((padded - span) / s[i] + 1);
  }
  return out;
}

} // namespace

Tensor max_pool2d(const Tensor &input, Size2 kernel_size,
                  std::optional<Size2> stride, Size2 padding, Size2 dilation,
                  Loc loc) {
  bool unbatched = false;
  Tensor x = batched4d(input, "max_pool2d", unbatched, loc);
  Size2 st = stride.value_or(kernel_size);
  Shape out = poolShape("max_pool2d", x.shape(), kernel_size, st, padding,
                        dilation, loc);
  NodePtr node =
      makeNode(OpKind::MaxPool2d, {x.node()}, std::move(out), x.dtype(), loc);
  node->window = {kernel_size.h, kernel_size.w, st.h,       st.w,
                  padding.h,     padding.w,     dilation.h, dilation.w};
  return unbatch(Tensor(node), unbatched, loc);
}

Tensor max_pool2d_grad(const Tensor &grad_output, const Tensor &input,
                       Size2 kernel_size, Size2 stride, Size2 padding,
                       Size2 dilation, Loc loc) {
  bool unbatched = false;
  Tensor x = batched4d(input, "max_pool2d_grad", unbatched, loc);
  const NodePtr &ng = checked(grad_output, "max_pool2d_grad", loc);
  Shape out = poolShape("max_pool2d_grad", x.shape(), kernel_size, stride,
                        padding, dilation, loc);
  Shape expected = out;
  if (unbatched)
    expected.erase(expected.begin());
  if (ng->shape != expected || ng->dtype != x.dtype())
    fail("max_pool2d_grad",
         fmt::format("grad_output {} {} should be {} {}, the pooling's output",
                     dtypeName(ng->dtype), shapeStr(ng->shape),
                     dtypeName(x.dtype()), shapeStr(expected)),
         loc);
  Tensor g = unbatched ? grad_output.reshape(out, loc) : grad_output;
  NodePtr node = makeNode(OpKind::MaxPool2dGrad, {g.node(), x.node()},
                          x.shape(), x.dtype(), loc);
  node->window = {kernel_size.h, kernel_size.w, stride.h,   stride.w,
                  padding.h,     padding.w,     dilation.h, dilation.w};
  return unbatch(Tensor(node), unbatched, loc);
}

Tensor avg_pool2d(const Tensor &input, Size2 kernel_size,
                  std::optional<Size2> stride, Size2 padding, Loc loc) {
  bool unbatched = false;
  Tensor x = batched4d(input, "avg_pool2d", unbatched, loc);
  Size2 st = stride.value_or(kernel_size);
  Shape out =
      poolShape("avg_pool2d", x.shape(), kernel_size, st, padding, 1, loc);
  // Each channel convolved on its own with a kernel of 1 / (KH * KW): the
  // padding counts as zeros, as count_include_pad=True.
  const Shape &s = x.shape();
  Tensor planes = x.reshape({s[0] * s[1], 1, s[2], s[3]}, loc);
  Tensor kernel =
      full({1, 1, kernel_size.h, kernel_size.w},
           1.0 / static_cast<double>(kernel_size.h * kernel_size.w), x.dtype())
          .to(x.device(), loc);
  Tensor y = conv2d(planes, kernel, Tensor(), st, padding, 1, 1, loc);
  return unbatch(y.reshape(out, loc), unbatched, loc);
}

Tensor adaptive_avg_pool2d(const Tensor &input, Size2 output_size, Loc loc) {
  bool unbatched = false;
  Tensor x = batched4d(input, "adaptive_avg_pool2d", unbatched, loc);
  const Shape &s = x.shape();
  int64_t n = s[0], c = s[1], h = s[2], w = s[3];
  int64_t oh = output_size.h, ow = output_size.w;
  if (oh < 1 || ow < 1)
    fail("adaptive_avg_pool2d",
         fmt::format("output size ({}, {}) must be positive", oh, ow), loc);
  if (h % oh == 0 && w % ow == 0)
    return unbatch(avg_pool2d(x, {h / oh, w / ow}, std::nullopt, 0, loc),
                   unbatched, loc);
  // Windows of varying size: averaging matrices [O, I] applied to the
  // columns, then to the rows.
  auto averaging = [&](int64_t out, int64_t in) {
    std::vector<double> m(out * in, 0.0);
    for (int64_t i = 0; i < out; ++i) {
      int64_t start = i * in / out, end = ((i + 1) * in + out - 1) / out;
      for (int64_t j = start; j < end; ++j)
        m[i * in + j] = 1.0 / static_cast<double>(end - start);
    }
    return tensor(m, {out, in}, x.dtype(), loc).to(x.device(), loc);
  };
  Tensor cols =
      x.reshape({n * c * h, w}, loc).matmul(averaging(ow, w).t(), loc);
  Tensor rows = cols.reshape({n * c, h, ow}, loc)
                    .transpose(1, 2, loc)
                    .reshape({n * c * ow, h}, loc)
                    .matmul(averaging(oh, h).t(), loc);
  Tensor y = rows.reshape({n * c, ow, oh}, loc)
                 .transpose(1, 2, loc)
                 .reshape({n, c, oh, ow}, loc);
  return unbatch(y, unbatched, loc);
}

//===----------------------------------------------------------------------===//
// Creation
//===----------------------------------------------------------------------===//

Tensor tensor(const NestedList &values, DType dtype, Loc loc) {
  Shape shape;
  std::vector<double> flat;
  flatten(values, 0, shape, flat, loc);
  return fromDoubles(flat, std::move(shape), dtype, loc);
}

Tensor tensor(const std::vector<float> &values, Shape shape, Loc loc) {
  return fromDoubles(std::vector<double>(values.begin(), values.end()),
                     std::move(shape), DType::Float32, loc);
}

Tensor tensor(const std::vector<double> &values, Shape shape, DType dtype,
              Loc loc) {
  return fromDoubles(values, std::move(shape), dtype, loc);
}

Tensor tensor(const std::vector<int64_t> &values, Shape shape, Loc loc) {
  if (static_cast<int64_t>(values.size()) != numelOf(shape))
    fail("tensor",
         fmt::format("{} values do not fill shape {}", values.size(),
                     shapeStr(shape)),
         loc);
  NodePtr leaf = makeLeaf(std::move(shape), DType::Int64);
  std::memcpy(leaf->data->data(), values.data(), values.size() * 8);
  return Tensor(leaf);
}

Tensor full(Shape shape, double value, DType dtype) {
  NodePtr leaf = makeLeaf(std::move(shape), dtype);
  for (int64_t i = 0; i < leaf->numel(); ++i)
    storeElement(leaf->data->data(), dtype, i, value);
  return Tensor(leaf);
}

Tensor empty(Shape shape, DType dtype) {
  return Tensor(makeLeaf(std::move(shape), dtype));
}

Tensor fe::uninitialized(Shape shape, DType dtype) {
  return Tensor(makeLeaf(std::move(shape), dtype, /*zero=*/false));
}

Tensor zeros(Shape shape, DType dtype) { return full(std::move(shape), 0, dtype); }

namespace {
/// `t` moved to `like`'s device.
Tensor onDeviceOf(const Tensor &t, const Tensor &like) {
  return like.device().is_cpu() ? t : t.to(like.device());
}
} // namespace

Tensor zeros_like(const Tensor &like) {
  return onDeviceOf(zeros(like.shape(), like.dtype()), like);
}
Tensor ones_like(const Tensor &like) {
  return onDeviceOf(ones(like.shape(), like.dtype()), like);
}
Tensor full_like(const Tensor &like, double value) {
  return onDeviceOf(full(like.shape(), value, like.dtype()), like);
}
Tensor rand_like(const Tensor &like) {
  return onDeviceOf(rand(like.shape(), like.dtype()), like);
}
Tensor randn_like(const Tensor &like) {
  return onDeviceOf(randn(like.shape(), like.dtype()), like);
}

Tensor from_blob(const void *data, Shape shape, DType dtype, Loc loc) {
  if (!data)
    fail("from_blob", "the data pointer is null", loc);
  for (int64_t d : shape)
    if (d < 0)
      fail("from_blob", fmt::format("invalid shape {}", shapeStr(shape)), loc);
  NodePtr leaf = makeLeaf(std::move(shape), dtype);
  std::memcpy(leaf->data->data(), data,
              static_cast<size_t>(leaf->numel()) * dtypeSize(dtype));
  leaf->location = loc;
  return Tensor(leaf);
}
Tensor ones(Shape shape, DType dtype) { return full(std::move(shape), 1, dtype); }

Tensor eye(int64_t n, std::optional<int64_t> m, DType dtype) {
  int64_t cols = m.value_or(n);
  if (n < 1 || cols < 1)
    throw Error(
        fmt::format("eye: sizes must be at least 1, got {} and {}", n, cols));
  NodePtr leaf = makeLeaf({n, cols}, dtype);
  for (int64_t i = 0; i < std::min(n, cols); ++i)
    storeElement(leaf->data->data(), dtype, i * cols + i, 1);
  return Tensor(leaf);
}

Tensor arange(double end, DType dtype) {
  return arange(0, end, 1, dtype, Loc::current());
}

Tensor arange(double start, double end, double step, DType dtype, Loc loc) {
  if (step == 0 || !std::isfinite(start) || !std::isfinite(end))
    fail("arange", fmt::format("invalid range ({}, {}, step {})", start, end, step),
         loc);
  int64_t n = std::max<int64_t>(
      0, static_cast<int64_t>(std::ceil((end - start) / step)));
  NodePtr leaf = makeLeaf({n}, dtype);
  for (int64_t i = 0; i < n; ++i)
    storeElement(leaf->data->data(), dtype, i, start + i * step);
  return Tensor(leaf);
}

void manual_seed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(generatorMutex());
  generator().seed(seed);
  philox() = {seed, 0};
}

namespace fe {
NodePtr randomUniform(Shape shape, DType dtype, const Device &device,
                      std::source_location loc) {
  if (dtype != DType::Float32 && dtype != DType::Float64)
    fail("random_uniform",
         fmt::format("expects float32 or float64, got {}", dtypeName(dtype)),
         loc);
  int64_t count = numelOf(shape);
  uint64_t seed, offset;
  {
    std::lock_guard<std::mutex> lock(generatorMutex());
    seed = philox().seed;
    offset = philox().offset;
    philox().offset += static_cast<uint64_t>(count);
  }
  Tensor s = tensor(std::vector<int64_t>{static_cast<int64_t>(seed)}, {});
  Tensor o = tensor(std::vector<int64_t>{static_cast<int64_t>(offset)}, {});
  NodePtr node = makeNode(OpKind::RandomUniform, {s.node(), o.node()},
                          std::move(shape), dtype, loc);
  node->device = device;
  return node;
}
} // namespace fe

Tensor rand(Shape shape, DType dtype) {
  NodePtr leaf = makeLeaf(std::move(shape), dtype);
  std::uniform_real_distribution<double> dist(0.0, 1.0);
  std::lock_guard<std::mutex> lock(generatorMutex());
  for (int64_t i = 0; i < leaf->numel(); ++i) {
    double v = dist(generator());
    // Rounding to float32 can give exactly 1.0; keep the interval half-open.
    if (dtype == DType::Float32 && static_cast<float>(v) >= 1.0f)
      v = std::nextafter(1.0f, 0.0f);
    storeElement(leaf->data->data(), dtype, i, v);
    // Likewise for the half types: their largest value below 1.
    if (isHalf(dtype) &&
        loadElement<double>(leaf->data->data(), dtype, i) >= 1.0)
      storeElement(leaf->data->data(), dtype, i,
                   dtype == DType::Float16 ? 1.0 - 0x1p-11 : 1.0 - 0x1p-8);
  }
  return Tensor(leaf);
}

Tensor randn(Shape shape, DType dtype) {
  NodePtr leaf = makeLeaf(std::move(shape), dtype);
  std::normal_distribution<double> dist(0.0, 1.0);
  std::lock_guard<std::mutex> lock(generatorMutex());
  for (int64_t i = 0; i < leaf->numel(); ++i)
    storeElement(leaf->data->data(), dtype, i, dist(generator()));
  return Tensor(leaf);
}

std::ostream &operator<<(std::ostream &os, const Tensor &t) {
  if (!t.defined())
    return os << "[ Tensor (undefined) ]";
  t.realize();
  const NodePtr &n = t.node();
  return os << fe::formatTensor(fe::hostData(*n, Loc::current())->data(),
                                n->dtype, n->shape,
                                n->device.is_cpu() ? "" : n->device.str());
}

//===----------------------------------------------------------------------===//
// distributed: what needs no MPI (the rest is in lib/distributed/Mpi.cpp)
//===----------------------------------------------------------------------===//

namespace distributed {

bool is_initialized() { return rt::collectiveBackend() != nullptr; }

int rank() {
  rt::CollectiveBackend *backend = rt::collectiveBackend();
  return backend ? backend->rank() : 0;
}

int world_size() {
  rt::CollectiveBackend *backend = rt::collectiveBackend();
  return backend ? backend->worldSize() : 1;
}

Tensor all_reduce(const Tensor &tensor, ReduceOp op, Loc loc) {
  const NodePtr &n = checked(tensor, "all_reduce", loc);
  if (n->dtype != DType::Float32 && n->dtype != DType::Float64)
    fail("all_reduce",
         fmt::format("takes float32 or float64 tensors, not {}",
                     dtypeName(n->dtype)),
         loc);
  fe::noteCollectiveRecorded();
  Tensor sum(makeNode(OpKind::AllReduce, {n}, n->shape, n->dtype, loc));
  if (op == ReduceOp::Avg)
    return sum / static_cast<double>(world_size());
  return sum;
}

void all_reduce_(Tensor &tensor, ReduceOp op, Loc loc) {
  tensor.copy_(all_reduce(tensor, op, loc), loc);
}

} // namespace distributed

} // namespace ember
