//===- Realize.cpp - Computing recorded graphs ----------------------------===//
//
// Part of Ember. Turns the recorded graph into ember IR text, compiles it
// through the compiler facade (once per distinct text: the text names only
// ops, shapes and dtypes, never values), loads the result with the runtime
// and runs it.
//
//===----------------------------------------------------------------------===//

#include "Realize.h"

#include "DiskCache.h"

#include "ember/Compiler/Compiler.h"
#include "ember/frontend/Error.h"
#include "ember/frontend/Tensor.h"
#include "ember/runtime/Cuda.h"
#include "ember/runtime/Executable.h"
#include "ember/runtime/GpuExecutable.h"
#include "ember/runtime/Threads.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <span>
#include <unordered_map>
#include <unordered_set>

namespace ember {
void set_num_threads(int n) { rt::setNumThreads(n); }
int get_num_threads() { return rt::numThreads(); }

namespace {
std::atomic<bool> &allowTF32Flag() {
  static std::atomic<bool> flag{false};
  return flag;
}
} // namespace

void cuda::set_allow_tf32(bool allow) { allowTF32Flag().store(allow); }
bool cuda::allow_tf32() { return allowTF32Flag().load(); }
} // namespace ember

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

/// A compiled GPU graph's hold on a result's last buffer (see
/// CompiledGraph). Buffers so held are counted, so that updating one in
/// place (InPlace) can tell the slot's hold from another tensor's.
class ResultSlot {
public:
  ResultSlot() = default;
  ResultSlot(const ResultSlot &) = delete;
  ResultSlot &operator=(const ResultSlot &) = delete;
  ~ResultSlot() { set(nullptr); }

  const std::shared_ptr<rt::cuda::DeviceBuffer> &get() const { return buffer_; }
  void set(std::shared_ptr<rt::cuda::DeviceBuffer> buffer) {
    std::lock_guard lock(mutex());
    if (buffer_ && --holds()[buffer_.get()] == 0)
      holds().erase(buffer_.get());
    buffer_ = std::move(buffer);
    if (buffer_)
      ++holds()[buffer_.get()];
  }
  /// How many slots hold `buffer`.
  static long holding(const rt::cuda::DeviceBuffer *buffer) {
    std::lock_guard lock(mutex());
    auto it = holds().find(buffer);
    return it == holds().end() ? 0 : it->second;
  }

private:
  // Never destroyed: cached graphs (and their slots) may outlive any other
  // static at exit.
  static std::mutex &mutex() {
    static auto *m = new std::mutex;
    return *m;
  }
  static std::unordered_map<const rt::cuda::DeviceBuffer *, long> &holds() {
    static auto *h =
        new std::unordered_map<const rt::cuda::DeviceBuffer *, long>;
    return *h;
  }
  std::shared_ptr<rt::cuda::DeviceBuffer> buffer_;
};

/// One compiled graph, shared by every realisation with the same text (and
/// device): native code for the CPU, or a plan of kernels for a GPU.
struct CompiledGraph {
  std::unique_ptr<rt::Executable> executable;
  std::unique_ptr<rt::cuda::GpuExecutable> gpuExecutable;
  /// A GPU graph's buffers planned ahead, so that a run's addresses are
  /// the last run's (and a captured CUDA graph replays): each host input's
  /// (a scalar's) device buffer, and each result's last buffer, which the
  /// next run reuses once nothing else holds it (the caller dropped the
  /// result). Runs of the graph take turns (`gpuMutex`).
  std::mutex gpuMutex;
  std::vector<std::shared_ptr<rt::cuda::DeviceBuffer>> hostInputSlots;
  std::vector<std::unique_ptr<ResultSlot>> resultSlots;
};

[[noreturn]] void failAt(std::source_location loc, const std::string &what) {
  throw Error(fmt::format("ember: {} (at {})", what, formatLocation(loc)));
}

//===----------------------------------------------------------------------===//
// Anomaly detection: NaN and infinity in results
//===----------------------------------------------------------------------===//

std::atomic<bool> &anomalyDetection() {
  static std::atomic<bool> enabled{[] {
    const char *env = std::getenv("EMBER_DETECT_ANOMALY");
    return env && *env && std::string(env) != "0";
  }()};
  return enabled;
}

/// Set while a diagnosis recomputes a graph op by op.
thread_local bool diagnosing = false;

/// "nan", "inf" or "-inf" for the first non-finite element of a float
/// buffer, or nullptr when every element is finite (or it holds no floats).
const char *firstNonFinite(const void *data, DType dtype, int64_t n) {
  auto scan = [&](auto *v) -> const char * {
    for (int64_t i = 0; i < n; ++i)
      if (!std::isfinite(v[i]))
        return std::isnan(v[i]) ? "nan" : v[i] > 0 ? "inf" : "-inf";
    return nullptr;
  };
  if (dtype == DType::Float32)
    return scan(static_cast<const float *>(data));
  if (dtype == DType::Float64)
    return scan(static_cast<const double *>(data));
  return nullptr;
}

/// The graph of `targets` produced `what` in target `bad`: recompute it one
/// op at a time, in recording order, and throw an Error naming the first op
/// whose value is not finite although its inputs are.
[[noreturn]] void reportAnomaly(const std::vector<NodePtr> &targets, size_t bad,
                                const char *what, std::source_location loc) {
  std::string header = fmt::format(
      "ember: anomaly detection: the graph realised at {} produced {} in its "
      "result {} (ember.{}, shape {})",
      formatLocation(loc), what, bad, opName(targets[bad]->kind),
      shapeString(targets[bad]->shape));
  diagnosing = true;
  struct Reset {
    ~Reset() { diagnosing = false; }
  } reset;
  std::unordered_map<Node *, NodePtr> alone;
  for (Node *node : topologicalOrder(targets)) {
    auto copy = std::make_shared<Node>(*node);
    copy->requiresGrad = false;
    copy->grad = nullptr;
    for (NodePtr &in : copy->inputs)
      if (auto it = alone.find(in.get()); it != alone.end())
        in = it->second;
    ember::fe::realize({copy}, loc);
    if (copy->data) {
      if (const char *v = firstNonFinite(copy->data->data(), copy->dtype,
                                         copy->numel()))
        throw Error(fmt::format(
            "{}; the first op to produce a non-finite value ({}) is ember.{} "
            "recorded at {}, result shape {}, from finite inputs",
            header, v, opName(node->kind), formatLocation(node->location),
            shapeString(node->shape)));
    }
    alone.emplace(node, std::move(copy));
  }
  throw Error(header + "; every op computed alone gave finite values (the "
                       "fused code rounds differently)");
}

/// The runtime device behind `device`, or an Error saying why there is none.
rt::cuda::Device &cudaDevice(const Device &device, std::source_location loc) {
  if (!rt::cuda::available())
    failAt(loc, "CUDA is not available: " + rt::cuda::unavailableReason());
  rt::StatusOr<rt::cuda::Device *> d = rt::cuda::Device::get(device.index);
  if (!d)
    failAt(loc, "cannot use " + device.str() + ": " + d.status().message());
  return **d;
}

std::shared_ptr<rt::cuda::DeviceBuffer>
allocateOn(rt::cuda::Device &device, size_t bytes, std::source_location loc) {
  rt::StatusOr<rt::cuda::DeviceBuffer> buffer = device.allocate(bytes);
  if (!buffer)
    failAt(loc, buffer.status().message());
  return std::make_shared<rt::cuda::DeviceBuffer>(std::move(*buffer));
}

struct GraphCache {
  std::mutex mutex;
  std::unordered_map<std::string, std::shared_ptr<CompiledGraph>> entries;
  std::atomic<uint64_t> compilations{0}, hits{0}, loaded{0}, stored{0};
};

GraphCache &cache() {
  static GraphCache instance;
  return instance;
}

/// set_cpu_target's value; EMBER_CPU until it is called.
struct CpuTarget {
  std::mutex mutex;
  std::string name;
  CpuTarget() {
    if (const char *env = std::getenv("EMBER_CPU"))
      name = env;
  }
};

CpuTarget &cpuTarget() {
  static CpuTarget instance;
  return instance;
}

std::string currentCpuTarget() {
  CpuTarget &t = cpuTarget();
  std::lock_guard<std::mutex> lock(t.mutex);
  return t.name;
}

/// The CPU graph `text`: from the on-disk cache when a matching entry is
/// there, else compiled (and written to that cache).
std::shared_ptr<CompiledGraph> compileForCPU(const std::string &text,
                                             const std::string &cpu,
                                             std::source_location loc) {
  GraphCache &c = cache();
  DiskCache &disk = DiskCache::instance();
  std::string diskKey;
  if (!disk.directory().empty()) {
    diskKey = compiler::compilerFingerprint() + "\ncpu " + cpu + "\n" + text;
    if (std::optional<CachedCode> cached = disk.load(diskKey)) {
      auto bytes = std::span<const uint8_t>(
          reinterpret_cast<const uint8_t *>(cached->code.data()),
          cached->code.size());
      // An entry that does not load (it passed the checksum, so someone
      // wrote a bad one) is compiled again and overwritten.
      if (auto executable = rt::Executable::load(bytes, cached->entry)) {
        auto compiled = std::make_shared<CompiledGraph>();
        compiled->executable = std::move(*executable);
        ++c.loaded;
        return compiled;
      }
    }
  }

  compiler::Options options;
  options.cpu = cpu;
  compiler::Result result = compiler::compile(text, options);
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
  auto compiled = std::make_shared<CompiledGraph>();
  compiled->executable = std::move(*executable);
  ++c.compilations;
  if (!diskKey.empty() &&
      disk.store(diskKey, CachedCode{result.entrySymbol, result.output}))
    ++c.stored;
  return compiled;
}

} // namespace

/// A dense elements attribute holding `node`'s value, with its type:
/// hexadecimal bytes (exact) for numbers, a list for booleans.
std::string constantAttr(const Node &node, const std::shared_ptr<rt::Buffer> &data) {
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

namespace {
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
                      const TransposedWeight &transposedWeight) {
  std::vector<Node *> order = topologicalOrder(targets);
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

  auto nameOf = [&](const NodePtr &n) -> const std::string & {
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
    if (transposedWeight && node->kind == OpKind::Linear)
      if (NodePtr wt = transposedWeight(*node)) {
        // x [M,K] times the weight's cached transpose [K,N], plus the bias
        // (the compiler fuses the add, and a ReLU after it, into the
        // product's tiles as it does for linear).
        std::string x = nameOf(node->inputs[0]);
        std::string w = nameOf(wt);
        std::string type = typeString(node->shape, node->dtype);
        std::string product = "%" + std::to_string(counter++);
        body += fmt::format("    {} = ember.matmul {}, {} : ({}, {}) -> {}\n",
                            product, x, w,
                            typeString(node->inputs[0]->shape, node->dtype),
                            typeString(wt->shape, wt->dtype), type);
        if (node->inputs.size() > 2) {
          const NodePtr &bias = node->inputs[2];
          std::string b = nameOf(bias);
          std::string broadcast = "%" + std::to_string(counter++);
          std::string sum = "%" + std::to_string(counter++);
          body += fmt::format("    {} = ember.broadcast_to {} : {} -> {}\n"
                              "    {} = ember.add {}, {} : {}\n",
                              broadcast, b,
                              typeString(bias->shape, bias->dtype), type, sum,
                              product, broadcast, type);
          product = sum;
        }
        names.emplace(node, product);
        continue;
      }
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

std::shared_ptr<rt::Buffer> hostData(const Node &node,
                                     std::source_location loc) {
  if (node.data)
    return node.data;
  if (!node.deviceData)
    failAt(loc, "internal error: reading a tensor that is not computed");
  size_t bytes = static_cast<size_t>(node.numel()) * dtypeSize(node.dtype);
  auto host = allocateHost(bytes, [&] {
    return "copying a tensor from " + node.device.str() + " at " +
           formatLocation(loc);
  });
  rt::cuda::Device &device = *node.deviceData->device();
  if (rt::Status s = device.copyToHost(host->data(), *node.deviceData, bytes);
      !s)
    failAt(loc, s.message());
  if (rt::Status s = device.synchronize(); !s)
    failAt(loc, s.message());
  return host;
}

std::shared_ptr<rt::cuda::DeviceBuffer>
deviceData(const Node &node, const Device &target, std::source_location loc) {
  if (node.deviceData && node.device == target)
    return node.deviceData;
  std::shared_ptr<rt::Buffer> host = hostData(node, loc);
  rt::cuda::Device &device = cudaDevice(target, loc);
  size_t bytes = static_cast<size_t>(node.numel()) * dtypeSize(node.dtype);
  auto buffer = allocateOn(device, bytes, loc);
  if (rt::Status s = device.copyToDevice(*buffer, host->data(), bytes); !s)
    failAt(loc, s.message());
  return buffer;
}

namespace {
/// Inference on the CPU reads each weight's transpose from a cache instead
/// of transposing it in every graph (at batch 64 the transposes cost about
/// a fifth of a linear layer): for a linear node without autograd (no
/// backward goes through it) whose weight is a realised 2-D f32 parameter,
/// the weight's transpose, computed by a graph of its own the first time
/// and again only when the weight's buffer is another one or was written
/// through data_ptr(); else null. Training graphs are unchanged: their
/// linear nodes record autograd, and the weights change every step.
NodePtr transposedWeight(const Node &linear, std::source_location loc) {
  if (linear.requiresGrad || !linear.device.is_cpu())
    return nullptr;
  const NodePtr &w = linear.inputs[1];
  if (!w->data || !w->requiresGrad || w->shape.size() != 2 ||
      w->dtype != DType::Float32)
    return nullptr;
  // Threads may run inference on one model at once: the cache fields are
  // read and written under a lock (not held while transposing; two threads
  // may both compute it, and both results are right).
  static std::mutex mutex;
  std::shared_ptr<rt::Buffer> data = w->data;
  uint64_t writes = data->writes();
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (w->transposed && w->transposedFrom.lock() == data &&
        w->transposedWrites == writes)
      return w->transposed;
  }
  NodePtr t;
  {
    NoGradGuard noGrad;
    t = Tensor(w).t(loc).node();
  }
  realize({t}, loc);
  std::lock_guard<std::mutex> lock(mutex);
  w->transposed = t;
  w->transposedFrom = data;
  w->transposedWrites = writes;
  return t;
}
} // namespace

namespace {
/// A leaf to be given a lazy value by the next graph on its device.
struct PendingAssign {
  NodePtr leaf, value;
};
std::vector<PendingAssign> &pendingAssigns() {
  thread_local std::vector<PendingAssign> pending;
  return pending;
}

void realizeTargets(const std::vector<NodePtr> &requested,
                    std::source_location loc,
                    const std::vector<InPlace> &inPlace);
} // namespace

void assignLater(const NodePtr &leaf, const NodePtr &value) {
  std::vector<PendingAssign> &pending = pendingAssigns();
  for (PendingAssign &p : pending)
    if (p.leaf == leaf) {
      p.value = value;
      return;
    }
  pending.push_back({leaf, value});
}

void cancelAssign(const Node *leaf) {
  std::vector<PendingAssign> &pending = pendingAssigns();
  std::erase_if(pending,
                [&](const PendingAssign &p) { return p.leaf.get() == leaf; });
}

NodePtr pendingValue(const NodePtr &leaf) {
  for (const PendingAssign &p : pendingAssigns())
    if (p.leaf == leaf)
      return p.value;
  return leaf;
}

void realize(const std::vector<NodePtr> &requested, std::source_location loc,
             const std::vector<InPlace> &inPlace) {
  // Pending assignments on the graph's device join it (and reading a leaf
  // that has one computes it).
  std::vector<PendingAssign> &pending = pendingAssigns();
  if (pending.empty())
    return realizeTargets(requested, loc, inPlace);
  auto first =
      std::find_if(requested.begin(), requested.end(), [&](const NodePtr &t) {
        return t && (!t->isRealized() || pendingValue(t) != t);
      });
  if (first == requested.end())
    return realizeTargets(requested, loc, inPlace);
  Device device = (*first)->device;
  std::vector<PendingAssign> taken, kept;
  for (PendingAssign &p : pending)
    (p.value->device == device ? taken : kept).push_back(std::move(p));
  pending = std::move(kept);
  std::vector<NodePtr> targets = requested;
  std::vector<InPlace> ties = inPlace;
  for (const PendingAssign &p : taken) {
    targets.push_back(p.value);
    if (device.is_cuda())
      ties.push_back({p.value, p.leaf});
  }
  try {
    realizeTargets(targets, loc, ties);
  } catch (...) {
    // Nothing is lost: they wait for the next graph.
    for (PendingAssign &p : taken)
      pending.push_back(std::move(p));
    throw;
  }
  for (const PendingAssign &p : taken) {
    Node &leaf = *p.leaf;
    leaf.data = p.value->data;
    leaf.deviceData = p.value->deviceData;
    ++leaf.version; // (nodes recorded from the old value must not run now)
    leaf.transposed.reset();
  }
}

namespace {
void realizeTargets(const std::vector<NodePtr> &requested,
                    std::source_location loc,
                    const std::vector<InPlace> &inPlace) {
  // Only distinct, not yet computed targets take part.
  std::vector<NodePtr> targets;
  std::unordered_set<Node *> seen;
  for (const NodePtr &t : requested)
    if (t && !t->isRealized() && seen.insert(t.get()).second)
      targets.push_back(t);
  if (targets.empty())
    return;
  checkInputVersions(targets, loc);

  // Each result's size; one too large to exist fails here, before anything
  // is compiled.
  auto describeResult = [&loc](const NodePtr &t) {
    return [&loc, node = t.get()] {
      return fmt::format("the result of ember.{} (shape {}) realised at {}",
                         opName(node->kind), shapeString(node->shape),
                         formatLocation(loc));
    };
  };
  std::vector<size_t> resultBytes;
  resultBytes.reserve(targets.size());
  for (const NodePtr &t : targets)
    resultBytes.push_back(denseBytes(t->shape, t->dtype, describeResult(t)));

  Device device = targets.front()->device;
  std::vector<NodePtr> leaves;
  std::string text = emitGraph(
      targets, &leaves, nullptr,
      [&loc](const Node &linear) { return transposedWeight(linear, loc); });
  for (const NodePtr &t : targets)
    if (!(t->device == device))
      failAt(loc, "cannot compute tensors on " + device.str() + " and " +
                      t->device.str() + " in one graph");
  rt::cuda::Device *gpu = device.is_cuda() ? &cudaDevice(device, loc) : nullptr;
  // Targets computed into a leaf's buffer: tied[i] is the leaf's argument
  // index, or -1. The graph says so (ember-tie-results), and no longer
  // returns them.
  std::vector<int64_t> tied(targets.size(), -1);
  if (gpu && !inPlace.empty()) {
    std::vector<std::pair<int64_t, int64_t>> pairs;
    std::unordered_set<Node *> taken;
    for (const InPlace &p : inPlace) {
      auto target = std::find(targets.begin(), targets.end(), p.target);
      auto leaf = std::find(leaves.begin(), leaves.end(), p.leaf);
      if (target == targets.end() || leaf == leaves.end() ||
          !(p.leaf->device == device) || !p.leaf->deviceData ||
          p.leaf->deviceData.use_count() -
                  ResultSlot::holding(p.leaf->deviceData.get()) !=
              1 ||
          p.leaf->shape != p.target->shape ||
          p.leaf->dtype != p.target->dtype ||
          !taken.insert(p.leaf.get()).second)
        continue;
      size_t t = target - targets.begin();
      if (tied[t] >= 0)
        continue;
      tied[t] = leaf - leaves.begin();
      pairs.emplace_back(t, tied[t]);
    }
    if (!pairs.empty()) {
      std::string attribute = " attributes {ember.tied_results = array<i64: ";
      for (size_t i = 0; i < pairs.size(); ++i)
        attribute += fmt::format("{}{}, {}", i ? ", " : "", pairs[i].first,
                                 pairs[i].second);
      attribute += ">}";
      // After the function's result types, before its body.
      size_t header = text.find("func.func @graph(");
      size_t body = text.find(" {\n", header);
      text.insert(body, attribute);
    }
  }
  // The same graph compiles differently per device and CPU target.
  std::string cpu = device.is_cpu() ? currentCpuTarget() : "";
  bool tf32 = gpu && cuda::allow_tf32();
  std::string key =
      device.is_cpu()
          ? (cpu.empty() ? text : text + "// for cpu " + cpu)
          : text + "// on " + device.str() + (tf32 ? " with tf32" : "");

  // Host results are allocated before anything is compiled: one the system
  // refuses fails at once, not after a compilation it made useless.
  std::vector<std::shared_ptr<rt::Buffer>> outputs;
  if (!gpu)
    for (size_t i = 0; i < targets.size(); ++i)
      outputs.push_back(
          allocateHost(resultBytes[i], describeResult(targets[i])));

  GraphCache &c = cache();
  std::shared_ptr<CompiledGraph> compiled;
  {
    // Holding the lock while compiling makes every distinct graph compile
    // exactly once, at the cost of serialising compilations.
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.entries.find(key);
    if (it != c.entries.end()) {
      compiled = it->second;
      ++c.hits;
    } else if (gpu) {
      compiler::Options options;
      options.target = "cuda";
      options.stopAfter = compiler::Stage::GPUPlan;
      // The emulated device (EMBER_FAKE_CUDA=1) runs the same kernels
      // compiled for the host.
      options.gpuHostCode =
          gpu->driverKind() == rt::cuda::DriverKind::Fake;
      options.allowTF32 = tf32;
      if (rt::StatusOr<rt::cuda::DeviceInfo> info = gpu->info())
        options.chip = info->arch();
      compiler::Result result = compiler::compile(text, options);
      if (!result.ok)
        throw Error(fmt::format("ember: compiling the graph realised at {} "
                                "for {} failed:\n{}",
                                formatLocation(loc), device.str(),
                                result.errorMessage()));
      rt::StatusOr<rt::GpuPlan> plan = rt::GpuPlan::parse(result.output);
      if (!plan)
        failAt(loc, plan.status().message());
      auto executable = rt::cuda::GpuExecutable::load(*gpu, std::move(*plan));
      if (!executable)
        failAt(loc, "loading the graph on " + device.str() + " failed: " +
                        executable.status().message());
      compiled = std::make_shared<CompiledGraph>();
      compiled->gpuExecutable = std::move(*executable);
      c.entries.emplace(key, compiled);
      ++c.compilations;
    } else {
      compiled = compileForCPU(text, cpu, loc);
      c.entries.emplace(key, compiled);
    }
  }

  if (gpu) {
    std::vector<rt::cuda::DevicePtr> args;
    std::lock_guard<std::mutex> runs(compiled->gpuMutex);
    compiled->hostInputSlots.resize(leaves.size());
    for (size_t j = 0; j < leaves.size(); ++j) {
      const Node &leaf = *leaves[j];
      if (leaf.deviceData && leaf.device == device) {
        args.push_back(leaf.deviceData->address());
        continue;
      }
      // A host scalar: uploaded into this argument's own buffer (the copy
      // runs after the graph's previous run, on the same stream).
      std::shared_ptr<rt::Buffer> host = hostData(leaf, loc);
      size_t bytes = static_cast<size_t>(leaf.numel()) * dtypeSize(leaf.dtype);
      std::shared_ptr<rt::cuda::DeviceBuffer> &slot =
          compiled->hostInputSlots[j];
      if (!slot || slot->size() != bytes)
        slot = allocateOn(*gpu, bytes, loc);
      if (rt::Status s = gpu->copyToDevice(*slot, host->data(), bytes); !s)
        failAt(loc, s.message());
      args.push_back(slot->address());
    }
    std::vector<std::shared_ptr<rt::cuda::DeviceBuffer>> outputs;
    while (compiled->resultSlots.size() < targets.size())
      compiled->resultSlots.push_back(std::make_unique<ResultSlot>());
    for (size_t i = 0; i < targets.size(); ++i) {
      ResultSlot &slot = *compiled->resultSlots[i];
      if (tied[i] >= 0) {
        // (A buffer it held is not this run's result: let it go.)
        slot.set(nullptr);
        outputs.push_back(leaves[tied[i]]->deviceData);
        continue;
      }
      const NodePtr &t = targets[i];
      size_t bytes = static_cast<size_t>(t->numel()) * dtypeSize(t->dtype);
      if (!slot.get() || slot.get().use_count() != 1 ||
          slot.get()->size() != bytes)
        slot.set(allocateOn(*gpu, bytes, loc));
      outputs.push_back(slot.get());
      args.push_back(slot.get()->address());
    }
    if (rt::Status s = compiled->gpuExecutable->run(args); !s)
      failAt(loc, "running the graph on " + device.str() + " failed: " +
                      s.message());
    for (size_t i = 0; i < targets.size(); ++i) {
      targets[i]->deviceData = outputs[i];
      if (!targets[i]->requiresGrad)
        targets[i]->inputs.clear();
    }
    return;
  }

  std::vector<void *> args;
  for (const NodePtr &leaf : leaves)
    args.push_back(leaf->data->data());
  for (const std::shared_ptr<rt::Buffer> &output : outputs)
    args.push_back(output->data());
  if (rt::Status s = compiled->executable->run(args.data()); !s)
    failAt(loc, fmt::format("running the graph of ember.{} (shape {}) "
                            "failed: {}",
                            opName(targets.front()->kind),
                            shapeString(targets.front()->shape),
                            s.message()));
  // Before any result is used: an optimizer step that produced NaN leaves
  // the parameters as they were.
  if (anomalyDetection().load(std::memory_order_relaxed) && !diagnosing)
    for (size_t i = 0; i < targets.size(); ++i)
      if (const char *v = firstNonFinite(outputs[i]->data(), targets[i]->dtype,
                                         targets[i]->numel()))
        reportAnomaly(targets, i, v, loc);
  for (size_t i = 0; i < targets.size(); ++i) {
    targets[i]->data = outputs[i];
    // The inputs are only needed again to differentiate through the node.
    if (!targets[i]->requiresGrad)
      targets[i]->inputs.clear();
  }
}

} // namespace
} // namespace ember::fe

ember::CacheStats ember::cache_stats() {
  fe::GraphCache &c = fe::cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  CacheStats stats{c.compilations.load(), c.hits.load(), c.entries.size(),
                   c.loaded.load(), c.stored.load()};
  for (const auto &[key, compiled] : c.entries)
    if (compiled->gpuExecutable) {
      auto g = compiled->gpuExecutable->graphStats();
      stats.gpuGraphCaptures += g.captures;
      stats.gpuGraphReplays += g.replays;
      stats.gpuDirectRuns += g.direct;
    }
  return stats;
}

void ember::set_detect_anomaly(bool enabled) {
  fe::anomalyDetection().store(enabled);
}

bool ember::is_anomaly_enabled() { return fe::anomalyDetection().load(); }

void ember::clear_compile_cache() {
  fe::GraphCache &c = fe::cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  c.entries.clear();
}

void ember::set_compile_cache_dir(const std::string &dir) {
  fe::DiskCache::instance().setDirectory(dir);
}

void ember::set_cpu_target(const std::string &cpu) {
  fe::CpuTarget &t = fe::cpuTarget();
  std::lock_guard<std::mutex> lock(t.mutex);
  t.name = cpu;
}

std::string ember::cpu_target() { return fe::currentCpuTarget(); }

std::string ember::compile_cache_dir() {
  return fe::DiskCache::instance().directory();
}
