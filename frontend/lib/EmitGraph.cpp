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

#include <functional>
#include <unordered_map>
#include <unordered_set>

namespace ember::fe {
namespace {

std::string typeString(const Shape &shape, DType dtype) {
  std::string s = "tensor<";
  for (int64_t d : shape)
    s += std::to_string(d) + "x";
  s += dtypeMlirName(dtype);
  return s + ">";
}

std::string joinInts(const std::vector<int64_t> &v) {
  return fmt::format("{}", fmt::join(v, ", "));
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

/// `node` as one line of ember IR, `result = ember.<op> operands ...`,
/// written as Ops.def says.
std::string printOp(const Node &node, const std::string &result,
                    const std::vector<std::string> &operands) {
  const OpInfo &info = opInfo(node.kind);
  std::string attributes;
  const std::vector<int64_t> &w = node.window;
  switch (info.attributes) {
  case OpAttributes::None:
    break;
  case OpAttributes::Dim:
    attributes = fmt::format(" dim = {}{}", node.axes.at(0),
                             node.keepdim ? " keepdim" : "");
    break;
  case OpAttributes::Dims:
    attributes = fmt::format(" dims = [{}]{}", joinInts(node.axes),
                             node.keepdim ? " keepdim" : "");
    break;
  case OpAttributes::Perm:
    attributes = fmt::format(" [{}]", joinInts(node.axes));
    break;
  case OpAttributes::Conv:
    attributes = fmt::format(" stride = [{}, {}] padding = [{}, {}] dilation "
                             "= [{}, {}] groups = {}",
                             w.at(0), w.at(1), w.at(2), w.at(3), w.at(4),
                             w.at(5), w.at(6));
    break;
  case OpAttributes::Pool:
    attributes = fmt::format(" kernel = [{}, {}] stride = [{}, {}] padding = "
                             "[{}, {}] dilation = [{}, {}]",
                             w.at(0), w.at(1), w.at(2), w.at(3), w.at(4),
                             w.at(5), w.at(6), w.at(7));
    break;
  }
  std::string type = typeString(node.shape, node.dtype);
  auto inType = [&](size_t i) {
    return typeString(node.inputs.at(i)->shape, node.inputs.at(i)->dtype);
  };
  std::string types;
  switch (info.types) {
  case OpTypes::Result:
    types = type;
    break;
  case OpTypes::Select:
    types = inType(0) + ", " + type;
    break;
  case OpTypes::FirstIn:
    types = inType(0) + " -> " + type;
    break;
  case OpTypes::AllIn: {
    std::vector<std::string> inTypes;
    for (size_t i = 0; i < node.inputs.size(); ++i)
      inTypes.push_back(inType(i));
    types = fmt::format("({}) -> {}", fmt::join(inTypes, ", "), type);
    break;
  }
  }
  return fmt::format("{} = ember.{} {}{} : {}", result, info.name,
                     fmt::join(operands, ", "), attributes, types);
}
} // namespace

std::string emitGraph(const std::vector<NodePtr> &targets,
                      std::vector<NodePtr> *leavesOut,
                      const std::vector<NodePtr> *arguments,
                      const Substitutions *substitutions) {
  std::vector<Node *> order = topologicalOrder(targets, substitutions);
  std::unordered_map<Node *, std::string> names;
  std::vector<NodePtr> leaves;
  std::string args, body;
  unsigned constants = 0;

  auto addArgument = [&](const NodePtr &n) -> const std::string & {
    std::string name = "%arg" + std::to_string(leaves.size());
    if (!leaves.empty())
      args += ", ";
    args += name + ": " + typeString(n->shape, n->dtype);
    leaves.push_back(n);
    return names.emplace(n.get(), name).first->second;
  };
  if (arguments)
    for (const NodePtr &n : *arguments)
      if (!names.count(n.get()))
        addArgument(n);

  auto nameOf = [&](const NodePtr &input) -> const std::string & {
    const NodePtr &n = printedAs(input, substitutions);
    auto it = names.find(n.get());
    if (it != names.end())
      return it->second;
    // A realised input: the next function argument, or, when the caller
    // chose the arguments, a constant holding its value.
    if (!arguments)
      return addArgument(n);
    std::string name = "%cst" + std::to_string(constants++);
    body += "    " + name + " = ember.constant " +
            constantAttr(*n, hostData(*n, std::source_location::current())) +
            "\n";
    return names.emplace(n.get(), name).first->second;
  };

  unsigned counter = 0;
  for (Node *node : order) {
    std::vector<std::string> operands;
    for (const NodePtr &in : node->inputs)
      operands.push_back(nameOf(in));
    if (node->kind == OpKind::Leaf)
      throw Error("ember: internal error: a leaf without data is in the graph");
    std::string result = "%" + std::to_string(counter++);
    body += "    " + printOp(*node, result, operands) + "\n";
    names.emplace(node, result);
  }

  std::vector<std::string> results, resultTypes;
  for (const NodePtr &t : targets) {
    results.push_back(nameOf(t));
    resultTypes.push_back(typeString(t->shape, t->dtype));
  }
  if (leavesOut)
    *leavesOut = leaves;
  return fmt::format("module {{\n  func.func @graph({}) -> ({}) {{\n{}"
                     "    return {} : {}\n  }}\n}}\n",
                     args, fmt::join(resultTypes, ", "), body,
                     fmt::join(results, ", "), fmt::join(resultTypes, ", "));
}

} // namespace ember::fe
