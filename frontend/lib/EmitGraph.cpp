//===- EmitGraph.cpp - Recorded graphs as ember IR ------------------------===//
//
// Part of Ember. Prints the graph leading to some nodes as one func.func
// of ember IR text, each op as Ops.def says. The text names only ops,
// shapes and dtypes, never values: it is the compiled-graph cache's key.
//
//===----------------------------------------------------------------------===//

#include "Realize.h"

#include "ember/frontend/Error.h"

#include <fmt/format.h>

#include <charconv>
#include <functional>
#include <iterator>
#include <span>
#include <unordered_map>
#include <unordered_set>

namespace ember::fe {
namespace {

/// Appends `value` in decimal.
void appendInt(std::string &out, int64_t value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

/// Appends the tensor type of `shape` and `dtype`: "tensor<2x3xf32>".
void appendType(std::string &out, const Shape &shape, DType dtype) {
  out += "tensor<";
  for (int64_t d : shape) {
    appendInt(out, d);
    out += 'x';
  }
  out += dtypeMlirName(dtype);
  out += '>';
}

std::string typeString(const Shape &shape, DType dtype) {
  std::string s;
  appendType(s, shape, dtype);
  return s;
}

/// Appends `v` as "1, 2, 3".
void appendInts(std::string &out, std::span<const int64_t> v) {
  for (size_t i = 0; i < v.size(); ++i) {
    if (i)
      out += ", ";
    appendInt(out, v[i]);
  }
}

/// The node printed for `n`: its substitute, if any, else itself.
const NodePtr &printedAs(const NodePtr &n, const Substitutions *substitutions) {
  if (substitutions)
    if (auto it = substitutions->find(n.get()); it != substitutions->end())
      return it->second;
  return n;
}

} // namespace

std::vector<Node *> topologicalOrder(const std::vector<NodePtr> &targets,
                                     const Substitutions *substitutions) {
  std::vector<Node *> order;
  std::unordered_set<Node *> visited;
  std::vector<std::pair<Node *, size_t>> stack;
  for (const NodePtr &target : targets) {
    Node *t = printedAs(target, substitutions).get();
    if (t->isRealized() || !visited.insert(t).second)
      continue;
    stack.push_back({t, 0});
    while (!stack.empty()) {
      auto &[node, next] = stack.back();
      if (next < node->inputs.size()) {
        Node *in = printedAs(node->inputs[next++], substitutions).get();
        if (!in->isRealized() && visited.insert(in).second)
          stack.push_back({in, 0});
        continue;
      }
      order.push_back(node);
      stack.pop_back();
    }
  }
  return order;
}

namespace {
/// A dense elements attribute holding `node`'s value, with its type:
/// hexadecimal bytes (exact) for numbers, a list for booleans.
std::string constantAttr(const Node &node,
                         const std::shared_ptr<rt::Buffer> &data) {
  std::string type = typeString(node.shape, node.dtype);
  const uint8_t *bytes = static_cast<const uint8_t *>(data->data());
  size_t n = static_cast<size_t>(node.numel());
  if (node.dtype == DType::Bool) {
    // Nested lists, one level per dimension (rank 0: the bare value).
    std::string text;
    size_t next = 0;
    std::function<void(size_t)> emit = [&](size_t dim) {
      if (dim == node.shape.size()) {
        text += bytes[next++] ? "true" : "false";
        return;
      }
      text += "[";
      for (int64_t i = 0; i < node.shape[dim]; ++i) {
        if (i)
          text += ", ";
        emit(dim + 1);
      }
      text += "]";
    };
    emit(0);
    return "dense<" + text + "> : " + type;
  }
  static const char *hex = "0123456789ABCDEF";
  std::string text = "dense<\"0x";
  size_t size = n * dtypeSize(node.dtype);
  text.reserve(size * 2 + 64);
  for (size_t i = 0; i < size; ++i) {
    text += hex[bytes[i] >> 4];
    text += hex[bytes[i] & 15];
  }
  return text + "\"> : " + type;
}

/// An SSA name of the printed function: %argN, %N or %cstN.
struct Name {
  enum Kind : uint8_t { Argument, Value, Constant } kind;
  uint32_t index;
};

void appendName(std::string &out, Name name) {
  static constexpr std::string_view prefixes[] = {"%arg", "%", "%cst"};
  out += prefixes[name.kind];
  appendInt(out, name.index);
}

/// Appends `node` as one line of ember IR, `    result = ember.<op>
/// operands ... : types`, written as Ops.def says.
void appendOp(std::string &out, const Node &node, Name result,
              const std::vector<Name> &operands) {
  const OpInfo &info = opInfo(node.kind);
  out += "    ";
  appendName(out, result);
  out += " = ember.";
  out += info.name;
  out += ' ';
  for (size_t i = 0; i < operands.size(); ++i) {
    if (i)
      out += ", ";
    appendName(out, operands[i]);
  }
  const std::vector<int64_t> &w = node.window;
  switch (info.attributes) {
  case OpAttributes::None:
    break;
  case OpAttributes::Dim:
    out += " dim = ";
    appendInt(out, node.axes.at(0));
    if (node.keepdim)
      out += " keepdim";
    break;
  case OpAttributes::Dims:
    out += " dims = [";
    appendInts(out, node.axes);
    out += node.keepdim ? "] keepdim" : "]";
    break;
  case OpAttributes::Perm:
    out += " [";
    appendInts(out, node.axes);
    out += ']';
    break;
  case OpAttributes::Conv:
    fmt::format_to(std::back_inserter(out),
                   " stride = [{}, {}] padding = [{}, {}] dilation "
                   "= [{}, {}] groups = {}",
                   w.at(0), w.at(1), w.at(2), w.at(3), w.at(4), w.at(5),
                   w.at(6));
    break;
  case OpAttributes::Pool:
    fmt::format_to(std::back_inserter(out),
                   " kernel = [{}, {}] stride = [{}, {}] padding = "
                   "[{}, {}] dilation = [{}, {}]",
                   w.at(0), w.at(1), w.at(2), w.at(3), w.at(4), w.at(5),
                   w.at(6), w.at(7));
    break;
  case OpAttributes::Box: {
    size_t rank = w.size() / 2;
    out += " offsets = [";
    appendInts(out, std::vector<int64_t>(w.begin(), w.begin() + rank));
    out += "] strides = [";
    appendInts(out, std::vector<int64_t>(w.begin() + rank, w.end()));
    out += ']';
    break;
  }
  }
  out += " : ";
  auto inType = [&](size_t i) {
    appendType(out, node.inputs.at(i)->shape, node.inputs.at(i)->dtype);
  };
  switch (info.types) {
  case OpTypes::Result:
    break;
  case OpTypes::Select:
    inType(0);
    out += ", ";
    break;
  case OpTypes::FirstIn:
    inType(0);
    out += " -> ";
    break;
  case OpTypes::AllIn:
    out += '(';
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      if (i)
        out += ", ";
      inType(i);
    }
    out += ") -> ";
    break;
  }
  appendType(out, node.shape, node.dtype);
  out += '\n';
}
} // namespace

std::string emitGraph(const std::vector<NodePtr> &targets,
                      std::vector<NodePtr> *leavesOut,
                      const std::vector<NodePtr> *arguments,
                      const Substitutions *substitutions,
                      const std::vector<Node *> *givenOrder) {
  // Realisations print a graph every call (it is the compiled graph's
  // cache key), so this appends to two buffers, with no string per op.
  std::vector<Node *> walked;
  if (!givenOrder)
    walked = topologicalOrder(targets, substitutions);
  const std::vector<Node *> &order = givenOrder ? *givenOrder : walked;
  std::unordered_map<const Node *, Name> names;
  names.reserve(order.size() * 2);
  std::vector<NodePtr> leaves;
  std::string args, body;
  body.reserve(order.size() * 96);
  uint32_t constants = 0;

  auto addArgument = [&](const NodePtr &n) -> Name {
    Name name{Name::Argument, static_cast<uint32_t>(leaves.size())};
    if (!leaves.empty())
      args += ", ";
    appendName(args, name);
    args += ": ";
    appendType(args, n->shape, n->dtype);
    leaves.push_back(n);
    names.emplace(n.get(), name);
    return name;
  };
  if (arguments)
    for (const NodePtr &n : *arguments)
      if (!names.count(n.get()))
        addArgument(n);

  auto nameOf = [&](const NodePtr &input) -> Name {
    const NodePtr &n = printedAs(input, substitutions);
    auto it = names.find(n.get());
    if (it != names.end())
      return it->second;
    // A realised input: the next function argument, or, when the caller
    // chose the arguments, a constant holding its value.
    if (!arguments)
      return addArgument(n);
    Name name{Name::Constant, constants++};
    body += "    ";
    appendName(body, name);
    body += " = ember.constant ";
    body += constantAttr(*n, hostData(*n, std::source_location::current()));
    body += '\n';
    names.emplace(n.get(), name);
    return name;
  };

  uint32_t counter = 0;
  std::vector<Name> operands;
  for (Node *node : order) {
    operands.clear();
    for (const NodePtr &in : node->inputs)
      operands.push_back(nameOf(in));
    if (node->kind == OpKind::Leaf)
      throw Error("ember: internal error: a leaf without data is in the graph");
    Name result{Name::Value, counter++};
    appendOp(body, *node, result, operands);
    names.emplace(node, result);
  }

  std::vector<Name> results;
  for (const NodePtr &t : targets)
    results.push_back(nameOf(t));
  std::string resultTypes;
  for (size_t i = 0; i < targets.size(); ++i) {
    if (i)
      resultTypes += ", ";
    appendType(resultTypes, targets[i]->shape, targets[i]->dtype);
  }
  if (leavesOut)
    *leavesOut = std::move(leaves);
  std::string text;
  text.reserve(args.size() + body.size() + 2 * resultTypes.size() + 96);
  text += "module {\n  func.func @graph(";
  text += args;
  text += ") -> (";
  text += resultTypes;
  text += ") {\n";
  text += body;
  text += "    return ";
  for (size_t i = 0; i < results.size(); ++i) {
    if (i)
      text += ", ";
    appendName(text, results[i]);
  }
  text += " : ";
  text += resultTypes;
  text += "\n  }\n}\n";
  return text;
}

} // namespace ember::fe
