//===- Graph.cpp - The recorded tensor graph ------------------------------===//
//
// Part of Ember.
//
//===----------------------------------------------------------------------===//

#include "ember/frontend/Graph.h"

#include "ember/frontend/Error.h"
#include "ember/runtime/Buffer.h"

#include <fmt/format.h>

#include <new>
#include <string>
#include <unordered_set>

namespace ember {

int64_t numelOf(const Shape &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

namespace fe {

std::string shapeString(const Shape &shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

size_t denseBytes(const Shape &shape, DType dtype, const Describe &what) {
  unsigned __int128 bytes = dtypeSize(dtype);
  for (int64_t d : shape) {
    if (d < 0)
      throw Error(fmt::format("ember: {}: negative dimension in shape {}",
                              what(), shapeString(shape)));
    bytes *= static_cast<uint64_t>(d);
    if (bytes > (static_cast<unsigned __int128>(1) << 62))
      throw Error(fmt::format("ember: {}: shape {} is too large to exist "
                              "(more than 2^62 bytes)",
                              what(), shapeString(shape)));
  }
  return static_cast<size_t>(bytes);
}

std::shared_ptr<rt::Buffer> allocateHost(size_t bytes, const Describe &what,
                                         bool zero) {
  try {
    return zero ? rt::Buffer::allocate(bytes)
                : rt::Buffer::allocateUninitialized(bytes);
  } catch (const std::bad_alloc &) {
    throw Error(fmt::format("ember: {}: out of host memory allocating {} "
                            "bytes ({:.1f} GiB)",
                            what(), bytes, double(bytes) / (1 << 30)));
  }
}

namespace {
/// Calls `visit(node, i)` for each input edge i of every node not yet
/// computed that `roots` lead to (the roots included), each node once; an
/// edge is followed after the visit (which may redirect it).
template <typename Visit>
void forEachPendingEdge(const std::vector<NodePtr> &roots, Visit visit) {
  std::vector<Node *> stack;
  std::unordered_set<Node *> seen;
  for (const NodePtr &r : roots)
    if (r && !r->isRealized() && seen.insert(r.get()).second)
      stack.push_back(r.get());
  while (!stack.empty()) {
    Node *n = stack.back();
    stack.pop_back();
    for (size_t i = 0; i < n->inputs.size(); ++i) {
      visit(*n, i);
      Node *in = n->inputs[i].get();
      if (!in->isRealized() && seen.insert(in).second)
        stack.push_back(in);
    }
  }
}
} // namespace

void replaceInputs(const std::vector<NodePtr> &roots,
                   const std::vector<std::pair<Node *, NodePtr>> &with) {
  forEachPendingEdge(roots, [&](Node &n, size_t i) {
    for (const auto &[from, to] : with)
      if (n.inputs[i].get() == from) {
        n.inputs[i] = to;
        if (i < n.inputVersions.size())
          n.inputVersions[i] = to->version;
        return;
      }
  });
}

void checkInputVersions(const std::vector<NodePtr> &targets,
                        std::source_location loc) {
  forEachPendingEdge(targets, [&](Node &n, size_t i) {
    const Node &in = *n.inputs[i];
    if (i < n.inputVersions.size() && in.version != n.inputVersions[i])
      throw Error(fmt::format(
          "ember: ember.{} (shape {}) recorded at {} reads a tensor (shape "
          "{}) whose value was replaced in place after it was recorded (an "
          "optimizer step or load_state_dict updated it): computing it now "
          "would use the new value, not the one it was recorded with. "
          "Compute it before the update (call .realize() or .item() on "
          "what you need from it before optimizer.step()); realised at {}",
          opName(n.kind), shapeString(n.shape), formatLocation(n.location),
          shapeString(in.shape), formatLocation(loc)));
  });
}

namespace {
constexpr OpInfo kLeafInfo{"leaf", OpAttributes::None, OpTypes::Result, false};
constexpr OpInfo kOpInfo[] = {
#define EMBER_OP(Kind, name, Attributes, Types, Gradient)                      \
  {name, OpAttributes::Attributes, OpTypes::Types,                             \
   std::string_view(#Gradient) == "Differentiable"},
#include "ember/frontend/Ops.def"
};
} // namespace

const OpInfo &opInfo(OpKind kind) {
  size_t i = static_cast<size_t>(kind);
  return i == 0 ? kLeafInfo : kOpInfo[i - 1];
}

const std::vector<OpKind> &allOps() {
  static const std::vector<OpKind> kinds = {
#define EMBER_OP(Kind, name, Attributes, Types, Gradient) OpKind::Kind,
#include "ember/frontend/Ops.def"
  };
  return kinds;
}

std::string_view opName(OpKind kind) { return opInfo(kind).name; }

std::string formatLocation(const std::source_location &loc) {
  std::string file = loc.file_name();
  // Keep the last two path components: enough to find the file, short
  // enough to read.
  size_t slash = file.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    size_t prev = file.rfind('/', slash - 1);
    if (prev != std::string::npos)
      file = file.substr(prev + 1);
  }
  return file + ":" + std::to_string(loc.line());
}

} // namespace fe
} // namespace ember
