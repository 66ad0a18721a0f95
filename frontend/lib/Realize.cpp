//===- Realize.cpp - Computing recorded graphs ----------------------------===//
//
// Part of Ember. Turns the recorded graph into ember IR text, compiles it
// through the compiler facade (once per distinct text: the text names only
// ops, shapes and dtypes, never values), loads the result with the runtime
// and runs it.
//
//===----------------------------------------------------------------------===//

#include "Realize.h"

#include "ember/Compiler/Compiler.h"
#include "ember/frontend/Error.h"
#include "ember/frontend/Tensor.h"
#include "ember/runtime/Executable.h"

#include <fmt/format.h>

#include <atomic>
#include <mutex>
#include <span>
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

/// Nodes reachable from `targets` that need computing, inputs before users.
/// Realised nodes are leaves of the walk. Iterative, so deep chains do not
/// exhaust the stack.
std::vector<Node *> topologicalOrder(const std::vector<NodePtr> &targets) {
  std::vector<Node *> order;
  std::unordered_set<Node *> visited;
  std::vector<std::pair<Node *, size_t>> stack;
  for (const NodePtr &t : targets) {
    if (t->isRealized() || !visited.insert(t.get()).second)
      continue;
    stack.push_back({t.get(), 0});
    while (!stack.empty()) {
      auto &[node, next] = stack.back();
      if (next < node->inputs.size()) {
        Node *in = node->inputs[next++].get();
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

/// One compiled graph, shared by every realisation with the same text.
struct CompiledGraph {
  std::unique_ptr<rt::Executable> executable;
};

struct GraphCache {
  std::mutex mutex;
  std::unordered_map<std::string, std::shared_ptr<CompiledGraph>> entries;
  std::atomic<uint64_t> compilations{0}, hits{0};
};

GraphCache &cache() {
  static GraphCache instance;
  return instance;
}

} // namespace

std::string emitGraph(const std::vector<NodePtr> &targets,
                      std::vector<NodePtr> *leavesOut) {
  std::vector<Node *> order = topologicalOrder(targets);
  std::unordered_map<Node *, std::string> names;
  std::vector<NodePtr> leaves;
  std::string args, body;

  auto nameOf = [&](const NodePtr &n) -> const std::string & {
    auto it = names.find(n.get());
    if (it != names.end())
      return it->second;
    // A realised input: becomes the next function argument.
    std::string name = "%arg" + std::to_string(leaves.size());
    if (!leaves.empty())
      args += ", ";
    args += name + ": " + typeString(n->shape, n->dtype);
    leaves.push_back(n);
    return names.emplace(n.get(), name).first->second;
  };

  unsigned counter = 0;
  for (Node *node : order) {
    std::vector<std::string> operands;
    for (const NodePtr &in : node->inputs)
      operands.push_back(nameOf(in));
    std::string result = "%" + std::to_string(counter++);
    std::string type = typeString(node->shape, node->dtype);
    auto inType = [&](size_t i) {
      return typeString(node->inputs[i]->shape, node->inputs[i]->dtype);
    };
    std::string line;
    switch (node->kind) {
    case OpKind::Add:
    case OpKind::Sub:
    case OpKind::Mul:
    case OpKind::Div:
      line = fmt::format("{} = ember.{} {}, {} : {}", result,
                         opName(node->kind), operands[0], operands[1], type);
      break;
    case OpKind::Neg:
    case OpKind::Relu:
    case OpKind::Exp:
    case OpKind::Log:
    case OpKind::Sqrt:
      line = fmt::format("{} = ember.{} {} : {}", result, opName(node->kind),
                         operands[0], type);
      break;
    case OpKind::Eq:
    case OpKind::Ne:
    case OpKind::Lt:
    case OpKind::Le:
    case OpKind::Gt:
    case OpKind::Ge:
      line = fmt::format("{} = ember.{} {}, {} : {} -> {}", result,
                         opName(node->kind), operands[0], operands[1],
                         inType(0), type);
      break;
    case OpKind::Select:
      line = fmt::format("{} = ember.select {}, {}, {} : {}, {}", result,
                         operands[0], operands[1], operands[2], inType(0),
                         type);
      break;
    case OpKind::Cast:
      line = fmt::format("{} = ember.cast {} : {} -> {}", result, operands[0],
                         inType(0), type);
      break;
    case OpKind::Argmax:
      line = fmt::format("{} = ember.argmax {} dim = {}{} : {} -> {}", result,
                         operands[0], node->axes.at(0),
                         node->keepdim ? " keepdim" : "", inType(0), type);
      break;
    case OpKind::Matmul:
    case OpKind::Linear: {
      std::vector<std::string> inTypes;
      for (size_t i = 0; i < operands.size(); ++i)
        inTypes.push_back(inType(i));
      line = fmt::format("{} = ember.{} {} : ({}) -> {}", result,
                         opName(node->kind), fmt::join(operands, ", "),
                         fmt::join(inTypes, ", "), type);
      break;
    }
    case OpKind::Reshape:
    case OpKind::BroadcastTo:
      line = fmt::format("{} = ember.{} {} : {} -> {}", result,
                         opName(node->kind), operands[0], inType(0), type);
      break;
    case OpKind::Transpose:
      line = fmt::format("{} = ember.transpose {} [{}] : {} -> {}", result,
                         operands[0], joinInts(node->axes), inType(0), type);
      break;
    case OpKind::Sum:
    case OpKind::Max:
    case OpKind::Min:
      line = fmt::format("{} = ember.{} {} dims = [{}]{} : {} -> {}", result,
                         opName(node->kind), operands[0], joinInts(node->axes),
                         node->keepdim ? " keepdim" : "", inType(0), type);
      break;
    case OpKind::Leaf:
      throw Error("ember: internal error: a leaf without data is in the graph");
    }
    body += "    " + line + "\n";
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

void realize(const std::vector<NodePtr> &requested, std::source_location loc) {
  // Only distinct, not yet computed targets take part.
  std::vector<NodePtr> targets;
  std::unordered_set<Node *> seen;
  for (const NodePtr &t : requested)
    if (t && !t->isRealized() && seen.insert(t.get()).second)
      targets.push_back(t);
  if (targets.empty())
    return;

  std::vector<NodePtr> leaves;
  std::string text = emitGraph(targets, &leaves);

  GraphCache &c = cache();
  std::shared_ptr<CompiledGraph> compiled;
  {
    // Holding the lock while compiling makes every distinct graph compile
    // exactly once, at the cost of serialising compilations.
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.entries.find(text);
    if (it != c.entries.end()) {
      compiled = it->second;
      ++c.hits;
    } else {
      compiler::Result result = compiler::compile(text);
      if (!result.ok)
        throw Error(fmt::format("ember: compiling the graph realised at {} "
                                "failed:\n{}",
                                formatLocation(loc), result.errorMessage()));
      auto bytes = std::span<const uint8_t>(
          reinterpret_cast<const uint8_t *>(result.output.data()),
          result.output.size());
      auto executable = rt::Executable::load(bytes, result.entrySymbol);
      if (!executable)
        throw Error(fmt::format("ember: loading the graph realised at {} "
                                "failed: {}",
                                formatLocation(loc),
                                executable.status().message()));
      compiled = std::make_shared<CompiledGraph>();
      compiled->executable = std::move(*executable);
      c.entries.emplace(text, compiled);
      ++c.compilations;
    }
  }

  std::vector<void *> args;
  for (const NodePtr &leaf : leaves)
    args.push_back(leaf->data->data());
  std::vector<std::shared_ptr<rt::Buffer>> outputs;
  for (const NodePtr &t : targets) {
    outputs.push_back(rt::Buffer::allocate(
        static_cast<size_t>(t->numel()) * dtypeSize(t->dtype)));
    args.push_back(outputs.back()->data());
  }
  compiled->executable->run(args.data());
  for (size_t i = 0; i < targets.size(); ++i) {
    targets[i]->data = outputs[i];
    // The inputs are only needed again to differentiate through the node.
    if (!targets[i]->requiresGrad)
      targets[i]->inputs.clear();
  }
}

} // namespace ember::fe

ember::CacheStats ember::cache_stats() {
  fe::GraphCache &c = fe::cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return {c.compilations.load(), c.hits.load(), c.entries.size()};
}
