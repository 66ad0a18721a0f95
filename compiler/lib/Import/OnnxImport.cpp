//===- OnnxImport.cpp - ONNX models to ember IR ---------------------------===//
//
// Part of Ember. Reads a ModelProto with Debian's libonnx (protobuf) and
// builds ember IR with MLIR's builders and the ember dialect's op classes,
// tracking every value's static shape and element type; the module is
// verified and returned as text. Broadcasting is made explicit with
// ember.broadcast_to, as the frontend does.
//
//===----------------------------------------------------------------------===//

#include "ember/Compiler/OnnxImport.h"
#include "ember/Dialect/Ember/IR/EmberDialect.h"
#include "ember/Dialect/Ember/IR/EmberOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/raw_ostream.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <map>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <vector>

namespace ember::compiler {
namespace {

/// The ember dialect's op classes (mlir::ember, not this ::ember).
namespace dialect = ::mlir::ember;

using Shape = std::vector<int64_t>;

/// An import error: the message says which node and op.
struct ImportError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Value {
  mlir::Value value; ///< the op result or argument in the built IR
  Shape shape;
  std::string elem; ///< "f32", "f64", "i64", "i1"
};

std::string typeOf(const Shape &s, const std::string &elem) {
  std::string t = "tensor<";
  for (int64_t d : s)
    t += std::to_string(d) + "x";
  return t + elem + ">";
}

/// Elements of `s`; shapes of 2^40 elements or more (a corrupt or hostile
/// file: the fuzzer found an overflow here) are an ImportError.
int64_t numel(const Shape &s) {
  __int128 n = 1;
  for (int64_t d : s) {
    n *= d;
    if (d < 0 || n >= (__int128(1) << 40))
      throw ImportError("a tensor shape has a negative dimension or 2^40 "
                        "elements or more");
  }
  return static_cast<int64_t>(n);
}

std::string elemOf(int32_t onnxType, const std::string &what) {
  switch (onnxType) {
  case onnx::TensorProto::FLOAT: return "f32";
  case onnx::TensorProto::DOUBLE: return "f64";
  case onnx::TensorProto::INT64: return "i64";
  default:
    throw ImportError(what + ": unsupported element type " +
                      std::to_string(onnxType) + " (float, double, int64)");
  }
}

class Importer {
public:
  /// The opsets of the default domain (ai.onnx) Ember reads: from 7 (the
  /// numpy-style broadcasting of today's Add, Gemm, ...) to 22.
  static constexpr int64_t kMinOpset = 7, kMaxOpset = 22;

  explicit Importer(mlir::MLIRContext &context)
      : builder(&context), loc(builder.getUnknownLoc()) {}

  /// Builds func.func @graph of `model` at the end of `module`.
  void run(const onnx::ModelProto &model, mlir::ModuleOp module) {
    // What an op means depends on the model's opset of its domain.
    bool found = false;
    for (const onnx::OperatorSetIdProto &id : model.opset_import()) {
      if (!id.domain().empty() && id.domain() != "ai.onnx")
        continue; // a domain no node may use (checked per node)
      found = true;
      opset = id.version();
    }
    if (!found)
      throw ImportError("the model imports no opset of the default ONNX "
                        "domain (ai.onnx): its ops' meaning is unknown");
    if (opset < kMinOpset || opset > kMaxOpset)
      throw ImportError("ONNX opset " + std::to_string(opset) +
                        " (domain ai.onnx) is not supported: Ember reads "
                        "opsets " +
                        std::to_string(kMinOpset) + " to " +
                        std::to_string(kMaxOpset));
    const onnx::GraphProto &g = model.graph();
    // The function type is set once the inputs and outputs are known.
    builder.setInsertionPointToEnd(module.getBody());
    auto func = mlir::func::FuncOp::create(builder, loc, "graph",
                                           builder.getFunctionType({}, {}));
    mlir::Block *entry = func.addEntryBlock();
    builder.setInsertionPointToEnd(entry);
    for (const onnx::TensorProto &t : g.initializer()) {
      loc = nameLoc(t.name());
      values[t.name()] = constant(t, "initializer '" + t.name() + "'");
    }
    for (const onnx::ValueInfoProto &in : g.input()) {
      if (values.count(in.name()))
        continue; // an initializer listed as an input
      const auto &tt = in.type().tensor_type();
      Shape shape;
      for (const auto &d : tt.shape().dim()) {
        if (!d.has_dim_value() || d.dim_value() <= 0)
          throw ImportError("input '" + in.name() + "' has a dynamic dimension '" +
                            d.dim_param() +
                            "': export the model with static shapes");
        shape.push_back(d.dim_value());
      }
      (void)numel(shape); // rejects absurd sizes
      std::string elem = elemOf(tt.elem_type(), "input '" + in.name() + "'");
      mlir::Value arg =
          entry->addArgument(tensorType(shape, elem), nameLoc(in.name()));
      values[in.name()] = Value{arg, shape, elem};
    }
    for (const onnx::NodeProto &node : g.node())
      importNode(node);
    if (g.output_size() == 0)
      throw ImportError("the graph has no outputs: nothing to compute");
    llvm::SmallVector<mlir::Value> results;
    llvm::SmallVector<mlir::Type> types;
    for (const onnx::ValueInfoProto &out : g.output()) {
      const Value &v = lookup(out.name(), "graph output");
      results.push_back(v.value);
      types.push_back(tensorType(v.shape, v.elem));
    }
    func.setFunctionType(
        builder.getFunctionType(entry->getArgumentTypes(), types));
    mlir::func::ReturnOp::create(builder, builder.getUnknownLoc(), results);
  }

private:
  const Value &lookup(const std::string &name, const std::string &what) {
    auto it = values.find(name);
    if (it == values.end())
      throw ImportError(what + " '" + name + "' is not defined");
    return it->second;
  }

  /// A location naming `name` (an ONNX node, initializer or input); unknown
  /// for an empty name.
  mlir::Location nameLoc(const std::string &name) {
    if (name.empty())
      return builder.getUnknownLoc();
    return mlir::NameLoc::get(builder.getStringAttr(name));
  }

  /// The MLIR element type of `elem` ("f32", "f64", "i64" or "i1").
  mlir::Type elemType(const std::string &elem) {
    if (elem == "f32")
      return builder.getF32Type();
    if (elem == "f64")
      return builder.getF64Type();
    if (elem == "i64")
      return builder.getI64Type();
    return builder.getI1Type();
  }

  mlir::RankedTensorType tensorType(const Shape &shape,
                                    const std::string &elem) {
    return mlir::RankedTensorType::get(shape, elemType(elem));
  }

  /// An op of class OpTy whose one result is a tensor of `shape` and
  /// `elem`, built at the current node's location from `args` (its
  /// operands and attributes).
  template <typename OpTy, typename... Args>
  Value emit(const Shape &shape, const std::string &elem, Args &&...args) {
    auto op = OpTy::create(builder, loc, tensorType(shape, elem),
                           std::forward<Args>(args)...);
    return {op.getResult(), shape, elem};
  }

  /// A TensorProto as an ember.constant (its bytes, exact).
  Value constant(const onnx::TensorProto &t, const std::string &what) {
    std::string elem = elemOf(t.data_type(), what);
    Shape shape(t.dims().begin(), t.dims().end());
    for (int64_t d : shape)
      if (d < 0 || d > (int64_t(1) << 32))
        throw ImportError(what + " has an invalid dimension");
    size_t size = static_cast<size_t>(numel(shape)) * (elem == "f32" ? 4 : 8);
    std::string raw;
    if (t.has_raw_data()) {
      raw = t.raw_data();
    } else if (elem == "f32") {
      raw.assign(reinterpret_cast<const char *>(t.float_data().data()),
                 t.float_data_size() * 4);
    } else if (elem == "f64") {
      raw.assign(reinterpret_cast<const char *>(t.double_data().data()),
                 t.double_data_size() * 8);
    } else {
      raw.assign(reinterpret_cast<const char *>(t.int64_data().data()),
                 t.int64_data_size() * 8);
    }
    if (raw.size() != size)
      throw ImportError(what + " holds " + std::to_string(raw.size()) +
                        " bytes; its shape needs " + std::to_string(size));
    return rawConstant(raw, shape, elem);
  }

  /// An ember.constant of `shape` and `elem` holding `raw`'s bytes, whose
  /// values later nodes that need constants (Reshape's shape, folded shape
  /// computations) read with intsOf.
  Value rawConstant(const std::string &raw, const Shape &shape,
                    const std::string &elem) {
    Value v = denseConstant(raw, shape, elem);
    intConstants[v.value] = raw;
    return v;
  }

  /// An ember.constant of `shape` and `elem` holding `raw`'s bytes (exact
  /// for every value, NaN and infinities included: the fuzzer found a NaN
  /// alpha once printed as "nan.0").
  Value denseConstant(const std::string &raw, const Shape &shape,
                      const std::string &elem) {
    mlir::RankedTensorType type = tensorType(shape, elem);
    llvm::ArrayRef<char> bytes(raw.data(), raw.size());
    bool splat = false;
    if (!mlir::DenseElementsAttr::isValidRawBuffer(type, bytes, splat))
      throw ImportError("internal error: " + std::to_string(raw.size()) +
                        " bytes are not a constant of type " +
                        typeOf(shape, elem));
    auto value = mlir::cast<mlir::ElementsAttr>(
        mlir::DenseElementsAttr::getFromRawBuffer(type, bytes));
    return emit<dialect::ConstantOp>(shape, elem, value);
  }

  Value broadcastTo(const Value &v, const Shape &shape) {
    if (v.shape == shape)
      return v;
    return emit<dialect::BroadcastToOp>(shape, v.elem, v.value);
  }

  Shape broadcastShape(const Shape &a, const Shape &b, const std::string &where) {
    size_t rank = std::max(a.size(), b.size());
    Shape out(rank);
    for (size_t i = 0; i < rank; ++i) {
      int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
      int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
      if (da != db && da != 1 && db != 1)
        throw ImportError(where + ": shapes cannot be broadcast together");
      out[i] = da == 1 ? db : da;
    }
    return out;
  }

  /// `a` and `b` broadcast to their common shape (same element types).
  std::pair<Value, Value> broadcastPair(const Value &a, const Value &b,
                                        const std::string &where) {
    if (a.elem != b.elem)
      throw ImportError(where + ": operands have different element types");
    Shape shape = broadcastShape(a.shape, b.shape, where);
    return {broadcastTo(a, shape), broadcastTo(b, shape)};
  }

  /// The operands of a MatMul or Gemm: one floating-point element type
  /// (ember.matmul and ember.linear take no integer products of ONNX's).
  static void requireFloatProduct(std::initializer_list<const Value *> operands,
                                  const std::string &where) {
    for (const Value *v : operands)
      if (v->elem != (*operands.begin())->elem ||
          (v->elem != "f32" && v->elem != "f64"))
        throw ImportError(where + ": only products of one floating-point "
                                  "element type are supported");
  }

  /// An elementwise ember.add, sub, mul or div (OpTy), broadcast.
  template <typename OpTy>
  Value binary(const Value &a, const Value &b, const std::string &where) {
    auto [x, y] = broadcastPair(a, b, where);
    return emit<OpTy>(x.shape, x.elem, x.value, y.value);
  }

  Value scalar(double value, const std::string &elem) {
    std::string raw;
    auto append = [&](auto v) {
      raw.append(reinterpret_cast<const char *>(&v), sizeof v);
    };
    if (elem == "f32")
      append(static_cast<float>(value));
    else if (elem == "f64")
      append(value);
    else if (std::isfinite(value) && std::abs(value) < 9.2e18)
      append(static_cast<int64_t>(value));
    else
      throw ImportError("a scalar attribute (" + std::to_string(value) +
                        ") does not fit an int64 tensor");
    return denseConstant(raw, {}, elem);
  }

  /// A constant of `shape` whose every element is `value`.
  Value splat(double value, const Shape &shape, const std::string &elem) {
    Value one = scalar(value, elem);
    return broadcastTo(one, shape);
  }

  Value transpose(const Value &v, const std::vector<int64_t> &perm) {
    Shape shape;
    for (int64_t p : perm)
      shape.push_back(v.shape[p]);
    return emit<dialect::TransposeOp>(shape, v.elem, v.value,
                                      llvm::ArrayRef<int64_t>(perm));
  }

  Value reshape(const Value &v, const Shape &shape) {
    if (shape == v.shape)
      return v;
    return emit<dialect::ReshapeOp>(shape, v.elem, v.value);
  }

  /// An ember.sum or max (OpTy) over `axis`, kept as size 1.
  template <typename OpTy> Value reduce(const Value &v, int64_t axis) {
    Shape shape = v.shape;
    shape[axis] = 1;
    return emit<OpTy>(shape, v.elem, v.value, llvm::ArrayRef<int64_t>(axis),
                      /*keepdim=*/true);
  }

  /// An elementwise unary op of class OpTy.
  template <typename OpTy> Value unary(const Value &v) {
    return emit<OpTy>(v.shape, v.elem, v.value);
  }

  const onnx::AttributeProto *attr(const onnx::NodeProto &n, const char *name) {
    for (const auto &a : n.attribute())
      if (a.name() == name)
        return &a;
    return nullptr;
  }

  int64_t intAttr(const onnx::NodeProto &n, const char *name, int64_t dflt) {
    const auto *a = attr(n, name);
    return a ? a->i() : dflt;
  }

  float floatAttr(const onnx::NodeProto &n, const char *name, float dflt) {
    const auto *a = attr(n, name);
    return a ? a->f() : dflt;
  }

  /// A 2-D window attribute (kernel_shape, strides, dilations): `dflt`
  /// for both dims when absent.
  std::array<int64_t, 2> pairAttr(const onnx::NodeProto &n, const char *name,
                                  int64_t dflt, const std::string &where) {
    const auto *a = attr(n, name);
    if (!a)
      return {dflt, dflt};
    if (a->ints_size() != 2)
      throw ImportError(where + ": '" + name +
                        "' should have 2 values (a 2-D window), got " +
                        std::to_string(a->ints_size()));
    return {a->ints(0), a->ints(1)};
  }

  /// `pads` [top, left, bottom, right] as (height, width): Ember pads both
  /// sides alike, so other pads are an error.
  std::array<int64_t, 2> symmetricPads(const onnx::NodeProto &n,
                                       const std::string &where) {
    const auto *a = attr(n, "pads");
    if (!a)
      return {0, 0};
    if (a->ints_size() != 4)
      throw ImportError(where + ": 'pads' should have 4 values, got " +
                        std::to_string(a->ints_size()));
    if (a->ints(0) != a->ints(2) || a->ints(1) != a->ints(3))
      throw ImportError(where + ": pads [" + std::to_string(a->ints(0)) + ", " +
                        std::to_string(a->ints(1)) + ", " +
                        std::to_string(a->ints(2)) + ", " +
                        std::to_string(a->ints(3)) +
                        "] differ at the start and end of a dim, which "
                        "Ember does not support");
    return {a->ints(0), a->ints(1)};
  }

  /// An error unless the string attribute `name` is absent or `allowed`.
  void requireString(const onnx::NodeProto &n, const char *name,
                     const std::string &allowed, const std::string &where) {
    const auto *a = attr(n, name);
    if (a && a->s() != allowed)
      throw ImportError(where + ": " + name + " '" + a->s() +
                        "' is not supported (only '" + allowed + "')");
  }

  /// An error unless the int attribute `name` is absent or `allowed`.
  void requireInt(const onnx::NodeProto &n, const char *name, int64_t allowed,
                  const std::string &where) {
    const auto *a = attr(n, name);
    if (a && a->i() != allowed)
      throw ImportError(where + ": " + name + " = " + std::to_string(a->i()) +
                        " is not supported (only " + std::to_string(allowed) +
                        ")");
  }

  /// The output size of a window along one dim; an error naming the node
  /// when the window does not fit.
  static int64_t windowOutput(int64_t in, int64_t kernel, int64_t stride,
                              int64_t pad, int64_t dilation,
                              const std::string &where) {
    if (kernel < 1 || stride < 1 || pad < 0 || dilation < 1 ||
        kernel > (int64_t(1) << 20) || stride > (int64_t(1) << 20) ||
        pad > (int64_t(1) << 20) || dilation > (int64_t(1) << 20))
      throw ImportError(where + ": invalid window (kernel, stride, pads or "
                                "dilations)");
    int64_t span = dilation * (kernel - 1) + 1;
    if (in + 2 * pad < span)
      throw ImportError(where + ": the window is larger than the padded input");
    return (in + 2 * pad - span) / stride + 1;
  }

  int64_t normalizeAxis(int64_t axis, size_t rank, const std::string &where) {
    int64_t r = static_cast<int64_t>(rank);
    if (axis < -r || axis >= r)
      throw ImportError(where + ": axis " + std::to_string(axis) +
                        " out of range for rank " + std::to_string(rank));
    return axis < 0 ? axis + r : axis;
  }

  /// The int64 values of constant `v` (an initializer, a Constant node or a
  /// folded shape computation); an error naming `what` when `v` is not one.
  std::vector<int64_t> intsOf(const Value &v, const std::string &what) {
    auto it = intConstants.find(v.value);
    if (it == intConstants.end() || v.elem != "i64")
      throw ImportError(what + " must be a constant int64 tensor");
    if (it->second.size() % sizeof(int64_t) != 0)
      throw ImportError(what + "'s data is " +
                        std::to_string(it->second.size()) +
                        " bytes, not a whole number of int64 values");
    std::vector<int64_t> ints(it->second.size() / sizeof(int64_t));
    if (!ints.empty())
      std::memcpy(ints.data(), it->second.data(),
                  ints.size() * sizeof(int64_t));
    return ints;
  }

  /// An int64 constant of `shape` holding `ints`, known to later folds.
  Value intConstant(const std::vector<int64_t> &ints, const Shape &shape) {
    std::string raw(ints.size() * sizeof(int64_t), '\0');
    if (!ints.empty())
      std::memcpy(raw.data(), ints.data(), raw.size());
    return rawConstant(raw, shape, "i64");
  }

  /// `v` with shape `shape` (as many elements): a new constant when `v` is
  /// an int64 constant (so that later folds still see its values), else a
  /// reshape.
  Value reshapeKeepingConstants(const Value &v, const Shape &shape) {
    if (v.elem == "i64" && intConstants.count(v.value))
      return intConstant(intsOf(v, "a constant"), shape);
    return reshape(v, shape);
  }

  /// The axes of a Squeeze, Unsqueeze or Reduce* node: the `axes`
  /// attribute before opset `inputSince`, the constant second input from
  /// it on; normalised for `rank`, sorted, without repeats. `present` is
  /// false when the node gives none.
  std::vector<int64_t> axesOf(const onnx::NodeProto &n, int64_t inputSince,
                              int64_t rank, const std::string &where,
                              bool &present) {
    std::vector<int64_t> axes;
    present = false;
    if (opset < inputSince) {
      if (const auto *a = attr(n, "axes")) {
        axes.assign(a->ints().begin(), a->ints().end());
        present = true;
      }
    } else if (hasInput(n, 1)) {
      axes = intsOf(input(n, 1, where), where + ": axes");
      present = true;
    }
    for (int64_t &a : axes)
      a = normalizeAxis(a, static_cast<size_t>(rank), where);
    std::sort(axes.begin(), axes.end());
    if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
      throw ImportError(where + ": an axis is repeated");
    return axes;
  }

  /// ember's element type of ONNX type `to` (Cast): float, double, int64
  /// and bool.
  std::string castTarget(int64_t to, const std::string &where) {
    switch (to) {
    case onnx::TensorProto::FLOAT:
      return "f32";
    case onnx::TensorProto::DOUBLE:
      return "f64";
    case onnx::TensorProto::INT64:
      return "i64";
    case onnx::TensorProto::BOOL:
      return "i1";
    default:
      throw ImportError(where + ": cast to ONNX element type " +
                        std::to_string(to) +
                        " is not supported (float, double, int64, bool)");
    }
  }

  Value cast(const Value &v, const std::string &elem) {
    if (v.elem == elem)
      return v;
    return emit<dialect::CastOp>(v.shape, elem, v.value);
  }

  /// An elementwise comparison (ember.lt, gt, eq, ...: OpTy) with
  /// broadcasting: a bool (i1) tensor.
  template <typename OpTy>
  Value compare(const Value &a, const Value &b, const std::string &where) {
    auto [x, y] = broadcastPair(a, b, where);
    return emit<OpTy>(x.shape, "i1", x.value, y.value);
  }

  Value select(const Value &cond, const Value &a, const Value &b,
               const std::string &where) {
    if (cond.elem != "i1")
      throw ImportError(where + ": the condition is not a bool tensor");
    if (a.elem != b.elem)
      throw ImportError(where + ": operands have different element types");
    Shape shape = broadcastShape(broadcastShape(cond.shape, a.shape, where),
                                 b.shape, where);
    Value c = broadcastTo(cond, shape), x = broadcastTo(a, shape),
          y = broadcastTo(b, shape);
    return emit<dialect::SelectOp>(shape, a.elem, c.value, x.value, y.value);
  }

  //===--------------------------------------------------------------------===//
  // Handlers, one an ONNX op (the ops before them are still in import()'s
  // chain): each returns the node's output.
  //===--------------------------------------------------------------------===//

  /// Shape: the input's static shape, an int64 constant (opset 15's start
  /// and end select a range of it).
  Value importShape(const onnx::NodeProto &n, const std::string &where) {
    const Value &x = input(n, 0, where);
    int64_t rank = static_cast<int64_t>(x.shape.size());
    auto clampIndex = [&](int64_t i) {
      if (i < 0)
        i += rank;
      return std::clamp<int64_t>(i, 0, rank);
    };
    int64_t start = clampIndex(intAttr(n, "start", 0));
    int64_t end = clampIndex(intAttr(n, "end", rank));
    std::vector<int64_t> dims;
    for (int64_t i = start; i < end; ++i)
      dims.push_back(x.shape[i]);
    return intConstant(dims, {static_cast<int64_t>(dims.size())});
  }

  /// Gather of constants (the shape computations of a traced
  /// x.view(x.size(0), -1)): folded. Of anything else: an error.
  Value importGather(const onnx::NodeProto &n, const std::string &where) {
    requireAxisZero(n, where);
    const Value &data = input(n, 0, where);
    const Value &indices = input(n, 1, where);
    if (data.shape.size() != 1 || intAttr(n, "axis", 0) != 0)
      throw ImportError(where +
                        ": only a Gather of a constant 1-D int64 "
                        "tensor (a shape computation, folded) is supported");
    std::vector<int64_t> values = intsOf(data, where + ": the data");
    std::vector<int64_t> picked;
    for (int64_t i : intsOf(indices, where + ": the indices")) {
      int64_t size = static_cast<int64_t>(values.size());
      if (i < -size || i >= size)
        throw ImportError(where + ": index " + std::to_string(i) +
                          " out of range for " + std::to_string(size));
      picked.push_back(values[i < 0 ? i + size : i]);
    }
    return intConstant(picked, indices.shape);
  }

  /// Concat of int64 constants (a shape being built): folded. Ember has no
  /// concatenation op yet, so Concat of anything else is an error.
  Value importConcat(const onnx::NodeProto &n, const std::string &where) {
    requireAxisZero(n, where);
    std::vector<int64_t> all;
    for (int i = 0; i < n.input_size(); ++i) {
      const Value &v = input(n, i, where);
      if (v.shape.size() != 1 || v.elem != "i64" ||
          !intConstants.count(v.value))
        throw ImportError(where + ": only a Concat of constant 1-D int64 "
                                  "tensors (a shape being built, folded) is "
                                  "supported");
      std::vector<int64_t> ints = intsOf(v, where + ": input");
      all.insert(all.end(), ints.begin(), ints.end());
    }
    return intConstant(all, {static_cast<int64_t>(all.size())});
  }

  /// Squeeze: the given size-1 dims (all of them without axes) removed.
  Value importSqueeze(const onnx::NodeProto &n, const std::string &where) {
    const Value &x = input(n, 0, where);
    int64_t rank = static_cast<int64_t>(x.shape.size());
    bool present = false;
    std::vector<int64_t> axes = axesOf(n, 13, rank, where, present);
    Shape shape;
    for (int64_t i = 0; i < rank; ++i) {
      bool listed = std::binary_search(axes.begin(), axes.end(), i);
      if (listed && x.shape[i] != 1)
        throw ImportError(where + ": dim " + std::to_string(i) + " has size " +
                          std::to_string(x.shape[i]) + ", not 1");
      if (!(listed || (!present && x.shape[i] == 1)))
        shape.push_back(x.shape[i]);
    }
    return reshapeKeepingConstants(x, shape);
  }

  /// Unsqueeze: size-1 dims inserted at the given axes of the result.
  Value importUnsqueeze(const onnx::NodeProto &n, const std::string &where) {
    const Value &x = input(n, 0, where);
    int64_t rank = static_cast<int64_t>(x.shape.size());
    bool present = false;
    // The axes count in the result's rank.
    std::vector<int64_t> raw;
    if (opset < 13) {
      if (const auto *a = attr(n, "axes"))
        raw.assign(a->ints().begin(), a->ints().end());
    } else if (n.input_size() > 1) {
      raw = intsOf(input(n, 1, where), where + ": axes");
    }
    present = !raw.empty();
    if (!present)
      throw ImportError(where + ": no axes");
    int64_t outRank = rank + static_cast<int64_t>(raw.size());
    std::vector<int64_t> axes;
    for (int64_t a : raw)
      axes.push_back(normalizeAxis(a, static_cast<size_t>(outRank), where));
    std::sort(axes.begin(), axes.end());
    if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
      throw ImportError(where + ": an axis is repeated");
    Shape shape;
    size_t next = 0;
    for (int64_t i = 0; i < outRank; ++i)
      shape.push_back(std::binary_search(axes.begin(), axes.end(), i)
                          ? 1
                          : x.shape[next++]);
    return reshapeKeepingConstants(x, shape);
  }

  /// ReduceSum and ReduceMean: ember.sum over the axes (all without them,
  /// unless noop_with_empty_axes), the mean divided by the count; keepdims
  /// (default 1) keeps them as size 1.
  Value importReduce(const onnx::NodeProto &n, const std::string &where) {
    const Value &x = input(n, 0, where);
    if (x.elem != "f32" && x.elem != "f64")
      throw ImportError(where + ": only float tensors are supported");
    int64_t rank = static_cast<int64_t>(x.shape.size());
    bool mean = n.op_type() == "ReduceMean";
    // ReduceSum takes its axes as an input from opset 13, ReduceMean from 18.
    bool present = false;
    std::vector<int64_t> axes = axesOf(n, mean ? 18 : 13, rank, where, present);
    if (axes.empty()) {
      if (intAttr(n, "noop_with_empty_axes", 0))
        return x;
      for (int64_t i = 0; i < rank; ++i)
        axes.push_back(i);
    }
    bool keep = intAttr(n, "keepdims", 1) != 0;
    Shape shape;
    int64_t count = 1;
    for (int64_t i = 0; i < rank; ++i) {
      if (std::binary_search(axes.begin(), axes.end(), i)) {
        count *= x.shape[i];
        if (keep)
          shape.push_back(1);
      } else {
        shape.push_back(x.shape[i]);
      }
    }
    Value sum = emit<dialect::SumOp>(shape, x.elem, x.value,
                                     llvm::ArrayRef<int64_t>(axes), keep);
    if (!mean)
      return sum;
    if (count == 0)
      throw ImportError(where + ": the mean of no elements");
    return binary<dialect::DivOp>(
        sum, scalar(static_cast<double>(count), x.elem), where);
  }

  /// Clip: the bounds are attributes before opset 11, optional inputs
  /// from it on. A NaN stays NaN (neither comparison holds).
  Value importClip(const onnx::NodeProto &n, const std::string &where) {
    Value x = input(n, 0, where);
    std::optional<Value> lo, hi;
    if (opset < 11) {
      if (const auto *a = attr(n, "min"))
        lo = scalar(a->f(), x.elem);
      if (const auto *a = attr(n, "max"))
        hi = scalar(a->f(), x.elem);
    } else {
      auto bound = [&](int i) -> std::optional<Value> {
        if (!hasInput(n, i))
          return std::nullopt;
        const Value &b = input(n, i, where);
        if (!b.shape.empty())
          throw ImportError(where + ": a bound is not a scalar");
        return b;
      };
      lo = bound(1);
      hi = bound(2);
    }
    if (lo)
      x = select(compare<dialect::LtOp>(x, *lo, where),
                 broadcastTo(*lo, x.shape), x, where);
    if (hi)
      x = select(compare<dialect::GtOp>(x, *hi, where),
                 broadcastTo(*hi, x.shape), x, where);
    return x;
  }

  /// Where: the condition's elements pick from the two inputs, broadcast.
  Value importWhere(const onnx::NodeProto &n, const std::string &where) {
    return select(input(n, 0, where), input(n, 1, where), input(n, 2, where),
                  where);
  }

  /// Greater, Less, Equal and their OrEqual forms (OpTy): bool tensors.
  template <typename OpTy>
  Value importCompare(const onnx::NodeProto &n, const std::string &where) {
    return compare<OpTy>(input(n, 0, where), input(n, 1, where), where);
  }

  /// Cast to float, double, int64 or bool (ember.cast's rules: float to
  /// integer truncates, as ONNX's does).
  Value importCast(const onnx::NodeProto &n, const std::string &where) {
    if (attr(n, "saturate") && opset < 19)
      throw ImportError(where + ": 'saturate' is an attribute of opset 19");
    const Value &x = input(n, 0, where);
    std::string to = castTarget(intAttr(n, "to", 0), where);
    if (x.elem == "i64" && to == "i64")
      return x;
    return cast(x, to);
  }

  /// Relu and Neg of any element type; Sigmoid, Tanh and Erf of floats.
  template <typename OpTy>
  Value importUnary(const onnx::NodeProto &n, const std::string &where) {
    const Value &x = input(n, 0, where);
    constexpr bool anyElement = std::is_same_v<OpTy, dialect::ReluOp> ||
                                std::is_same_v<OpTy, dialect::NegOp>;
    if (!anyElement && x.elem != "f32" && x.elem != "f64")
      throw ImportError(where + ": needs a floating-point input");
    return unary<OpTy>(x);
  }

  /// Identity: the input itself.
  Value importIdentity(const onnx::NodeProto &n, const std::string &where) {
    return input(n, 0, where);
  }

  /// Constant: a tensor value (only the tensor form).
  Value importConstant(const onnx::NodeProto &n, const std::string &where) {
    const auto *value = attr(n, "value");
    if (!value || !value->has_t())
      throw ImportError(where +
                        ": only tensor 'value' constants are supported");
    return constant(value->t(), where);
  }

  /// Gelu (opset 20), exact: x * Phi(x) = 0.5 x (1 + erf(x / sqrt(2))).
  Value importGelu(const onnx::NodeProto &n, const std::string &where) {
    if (const auto *a = attr(n, "approximate"); a && a->s() != "none")
      throw ImportError("unsupported attribute 'approximate' = '" + a->s() +
                        "' of ONNX op 'Gelu' (node '" + n.name() +
                        "'): Ember computes the exact GELU ('none')");
    const Value &x = input(n, 0, where);
    if (opset < 20)
      throw ImportError(where +
                        ": Gelu is an op of opset 20 and later, "
                        "not of the model's opset " +
                        std::to_string(opset));
    if (x.elem != "f32" && x.elem != "f64")
      throw ImportError(where + ": needs a floating-point input");
    Value e = unary<dialect::ErfOp>(
        binary<dialect::MulOp>(x, scalar(M_SQRT1_2, x.elem), where));
    Value onePlus = binary<dialect::AddOp>(e, scalar(1.0, x.elem), where);
    return binary<dialect::MulOp>(
        binary<dialect::MulOp>(x, scalar(0.5, x.elem), where), onePlus, where);
  }

  /// Add, Sub, Mul and Div (OpTy), broadcast.
  template <typename OpTy>
  Value importBinary(const onnx::NodeProto &n, const std::string &where) {
    return binary<OpTy>(input(n, 0, where), input(n, 1, where), where);
  }

  /// MatMul of [..., M, K] by a 2-D [K, N].
  Value importMatMul(const onnx::NodeProto &n, const std::string &where) {
    // A of rank 2 or more times a 2-D B: A's leading dims are rows of one
    // product ([..., M, K] as [... * M, K]), reshaped back after.
    Value a = input(n, 0, where);
    const Value &b = input(n, 1, where);
    requireFloatProduct({&a, &b}, where);
    if (a.shape.size() < 2 || b.shape.size() != 2 ||
        a.shape.back() != b.shape[0] || b.shape[0] == 0)
      throw ImportError(where + ": only a MatMul of [..., M, K] by a 2-D "
                                "[K, N] is supported (no batched B)");
    Shape outShape = a.shape;
    outShape.back() = b.shape[1];
    a = reshape(a, {numel(a.shape) / a.shape.back(), a.shape.back()});
    Shape shape = {a.shape[0], b.shape[1]};
    return reshape(emit<dialect::MatmulOp>(shape, a.elem, a.value, b.value),
                   outShape);
  }

  /// Gemm: alpha op(A) op(B) + beta C; PyTorch's nn.Linear export (B
  /// transposed, alpha and beta 1, C a bias) is one ember.linear.
  Value importGemm(const onnx::NodeProto &n, const std::string &where) {
    Value a = input(n, 0, where), b = input(n, 1, where);
    if (a.shape.size() != 2 || b.shape.size() != 2)
      throw ImportError(where + ": Gemm needs 2-D operands");
    if (intAttr(n, "transA", 0))
      a = transpose(a, {1, 0});
    bool transB = intAttr(n, "transB", 0);
    float alpha = floatAttr(n, "alpha", 1), beta = floatAttr(n, "beta", 1);
    int64_t outFeatures = transB ? b.shape[0] : b.shape[1];
    int64_t inner = transB ? b.shape[1] : b.shape[0];
    if (a.shape[1] != inner)
      throw ImportError(where + ": inner sizes do not match");
    const Value *c = hasInput(n, 2) ? &input(n, 2, where) : nullptr;
    requireFloatProduct({&a, &b}, where);
    if (c)
      requireFloatProduct({&a, c}, where);
    Shape shape = {a.shape[0], outFeatures};
    if (transB && alpha == 1 && beta == 1 &&
        (!c || c->shape == Shape{outFeatures})) {
      return emit<dialect::LinearOp>(shape, a.elem, a.value, b.value,
                                     c ? c->value : mlir::Value());
    }
    if (transB)
      b = transpose(b, {1, 0});
    Value ab = emit<dialect::MatmulOp>(shape, a.elem, a.value, b.value);
    if (alpha != 1)
      ab = binary<dialect::MulOp>(ab, scalar(alpha, a.elem), where);
    if (c)
      ab = binary<dialect::AddOp>(
          ab,
          beta == 1 ? *c
                    : binary<dialect::MulOp>(*c, scalar(beta, c->elem), where),
          where);
    return ab;
  }

  /// GlobalAveragePool of [N, C, H, W].
  Value importGlobalAveragePool(const onnx::NodeProto &n,
                                const std::string &where) {
    const Value &x = input(n, 0, where);
    if (x.shape.size() != 4 || (x.elem != "f32" && x.elem != "f64"))
      throw ImportError(where + ": needs a floating-point [N, C, H, W] input");
    Shape kept = {x.shape[0], x.shape[1], 1, 1};
    Value sum = emit<dialect::SumOp>(kept, x.elem, x.value,
                                     llvm::ArrayRef<int64_t>{2, 3},
                                     /*keepdim=*/true);
    return binary<dialect::MulOp>(
        sum, scalar(1.0 / static_cast<double>(x.shape[2] * x.shape[3]), x.elem),
        where);
  }

  /// BatchNormalization, inference: the given statistics.
  Value importBatchNorm(const onnx::NodeProto &n, const std::string &where) {
    // Inference: the given statistics (training_mode must be 0, and only
    // the first output may be used).
    requireInt(n, "training_mode", 0, where);
    for (int i = 1; i < n.output_size(); ++i)
      if (!n.output(i).empty())
        throw ImportError(where + ": only the inference form (one output) "
                                  "is supported");
    const Value &x = input(n, 0, where);
    if (x.shape.size() < 2 || (x.elem != "f32" && x.elem != "f64"))
      throw ImportError(where + ": needs a floating-point [N, C, ...] input");
    Shape perChannel(x.shape.size(), 1);
    perChannel[1] = x.shape[1];
    auto channelwise = [&](int i) {
      const Value &v = input(n, i, where);
      if (v.shape != Shape{x.shape[1]} || v.elem != x.elem)
        throw ImportError(where + ": input " + std::to_string(i) +
                          " should be [" + std::to_string(x.shape[1]) +
                          "] of the input's element type");
      return reshape(v, perChannel);
    };
    Value scale = channelwise(1), bias = channelwise(2), mean = channelwise(3),
          var = channelwise(4);
    Value std = unary<dialect::SqrtOp>(binary<dialect::AddOp>(
        var, scalar(floatAttr(n, "epsilon", 1e-5f), x.elem), where));
    return binary<dialect::AddOp>(
        binary<dialect::MulOp>(
            binary<dialect::DivOp>(binary<dialect::SubOp>(x, mean, where), std,
                                   where),
            scale, where),
        bias, where);
  }

  /// Pad by nothing.
  Value importPad(const onnx::NodeProto &n, const std::string &where) {
    // Only the padding that adds nothing (PyTorch's exporter writes one
    // before an AveragePool that counts padding, whatever the padding).
    std::vector<int64_t> pads;
    if (const auto *a = attr(n, "pads")) {
      pads.assign(a->ints().begin(), a->ints().end());
    } else if (hasInput(n, 1)) {
      pads = intsOf(input(n, 1, where), where + ": the pads");
    }
    if (std::any_of(pads.begin(), pads.end(), [](int64_t p) { return p; }))
      throw ImportError(where + ": padding by other than zero elements is "
                                "not supported");
    return input(n, 0, where);
  }

  /// Dropout at inference: the identity.
  Value importDropout(const onnx::NodeProto &n, const std::string &where) {
    // Inference: the identity (training_mode, the third input, must be
    // absent or false, and the mask output unused).
    if (hasInput(n, 2)) {
      auto it = intConstants.find(input(n, 2, where).value);
      bool off = it != intConstants.end() &&
                 std::all_of(it->second.begin(), it->second.end(),
                             [](char c) { return c == 0; });
      if (!off)
        throw ImportError(where + ": only inference (training_mode false) "
                                  "is supported");
    }
    for (int i = 1; i < n.output_size(); ++i)
      if (!n.output(i).empty())
        throw ImportError(where + ": its mask output is not supported");
    return input(n, 0, where);
  }

  /// Flatten to 2-D at the axis.
  Value importFlatten(const onnx::NodeProto &n, const std::string &where) {
    const Value &x = input(n, 0, where);
    int64_t axis =
        normalizeAxis(intAttr(n, "axis", 1), x.shape.size() + 1, where);
    Shape shape = {1, 1};
    for (size_t i = 0; i < x.shape.size(); ++i)
      shape[static_cast<int64_t>(i) < axis ? 0 : 1] *= x.shape[i];
    return reshape(x, shape);
  }

  /// Reshape to a constant target shape (0 keeps a dim, -1 is inferred).
  Value importReshape(const onnx::NodeProto &n, const std::string &where) {
    if (intAttr(n, "allowzero", 0) != 0)
      throw ImportError("unsupported attribute 'allowzero' of ONNX op "
                        "'Reshape' (node '" +
                        n.name() + "')");
    const Value &x = input(n, 0, where);
    const Value &s = input(n, 1, where);
    std::vector<int64_t> target = intsOf(s, where + ": the target shape");
    int64_t known = 1, inferred = -1;
    for (size_t i = 0; i < target.size(); ++i) {
      if (target[i] == 0 && i < x.shape.size())
        target[i] = x.shape[i];
      if (target[i] == -1) {
        if (inferred >= 0)
          throw ImportError(where + ": more than one -1 in the shape");
        inferred = static_cast<int64_t>(i);
      } else if (target[i] <= 0) {
        throw ImportError(where + ": invalid target shape");
      } else if (target[i] >= (int64_t(1) << 40)) {
        throw ImportError(where + ": the target shape is too large");
      } else {
        if (__builtin_mul_overflow(known, target[i], &known) ||
            known >= (int64_t(1) << 40))
          throw ImportError(where + ": the target shape is too large");
      }
    }
    if (inferred >= 0)
      target[inferred] = known ? numel(x.shape) / known : 0;
    if (numel(target) != numel(x.shape))
      throw ImportError(where + ": the target shape has a different size");
    return reshape(x, target);
  }

  /// Transpose by perm (reversed dims without it).
  Value importTranspose(const onnx::NodeProto &n, const std::string &where) {
    const Value &x = input(n, 0, where);
    std::vector<int64_t> perm;
    if (const auto *p = attr(n, "perm"))
      perm.assign(p->ints().begin(), p->ints().end());
    else
      for (int64_t i = static_cast<int64_t>(x.shape.size()) - 1; i >= 0; --i)
        perm.push_back(i);
    std::vector<bool> seen(x.shape.size(), false);
    if (perm.size() != x.shape.size())
      throw ImportError(where + ": perm does not match the input's rank");
    for (int64_t p : perm) {
      if (p < 0 || p >= static_cast<int64_t>(seen.size()) || seen[p])
        throw ImportError(where + ": perm is not a permutation");
      seen[p] = true;
    }
    return transpose(x, perm);
  }

  /// Softmax and LogSoftmax, with the 2-D coercion of opsets before 13.
  Value importSoftmax(const onnx::NodeProto &n, const std::string &where) {
    Value x = input(n, 0, where);
    // Before opset 13 the axis defaults to 1 and the input is taken as
    // 2-D: its dims before the axis, by those from it on, the softmax over
    // the second.
    bool coerced = opset < 13;
    int64_t axis = normalizeAxis(intAttr(n, "axis", coerced ? 1 : -1),
                                 x.shape.size(), where);
    Shape shape = x.shape;
    if (coerced && axis + 1 != static_cast<int64_t>(shape.size())) {
      Shape flat = {1, 1};
      for (size_t i = 0; i < shape.size(); ++i)
        flat[static_cast<int64_t>(i) < axis ? 0 : 1] *= shape[i];
      x = reshape(x, flat);
      axis = 1;
    }
    Value shifted =
        binary<dialect::SubOp>(x, reduce<dialect::MaxOp>(x, axis), where);
    Value e = unary<dialect::ExpOp>(shifted);
    Value sum = reduce<dialect::SumOp>(e, axis);
    Value out = n.op_type() == "Softmax"
                    ? binary<dialect::DivOp>(e, sum, where)
                    : binary<dialect::SubOp>(shifted,
                                             unary<dialect::LogOp>(sum), where);
    return out.shape == shape ? out : reshape(out, shape);
  }

  using Handler = Value (Importer::*)(const onnx::NodeProto &,
                                      const std::string &);
  /// Every ONNX op Ember reads: its handler, the number of inputs ONNX
  /// defines for it (at least, at most; -1: any number) and the attributes
  /// the handler reads (any other would change the meaning).
  struct OpEntry {
    Handler handler;
    int minInputs, maxInputs;
    std::vector<std::string> attributes;
  };

public:
  /// The ONNX op types the table has a row for, alphabetically.
  static std::vector<std::string> opTypes() {
    std::vector<std::string> names;
    for (const auto &[name, entry] : opTable())
      names.push_back(name);
    return names;
  }

private:
  static const std::map<std::string, OpEntry> &opTable() {
    using I = Importer;
    static const std::vector<std::string> window = {
        "auto_pad", "dilations", "kernel_shape", "pads", "strides"};
    auto plus = [](std::vector<std::string> a,
                   std::initializer_list<std::string> more) {
      a.insert(a.end(), more);
      return a;
    };
    static const std::vector<std::string> reduceAttributes = {
        "axes", "keepdims", "noop_with_empty_axes"};
    static const std::map<std::string, OpEntry> table = {
        {"Identity", {&I::importIdentity, 1, 1, {}}},
        {"Constant", {&I::importConstant, 0, 0, {"value"}}},
        {"Relu", {&I::importUnary<dialect::ReluOp>, 1, 1, {}}},
        {"Neg", {&I::importUnary<dialect::NegOp>, 1, 1, {}}},
        {"Sigmoid", {&I::importUnary<dialect::SigmoidOp>, 1, 1, {}}},
        {"Tanh", {&I::importUnary<dialect::TanhOp>, 1, 1, {}}},
        {"Erf", {&I::importUnary<dialect::ErfOp>, 1, 1, {}}},
        {"Gelu", {&I::importGelu, 1, 1, {"approximate"}}},
        {"Add", {&I::importBinary<dialect::AddOp>, 2, 2, {}}},
        {"Sub", {&I::importBinary<dialect::SubOp>, 2, 2, {}}},
        {"Mul", {&I::importBinary<dialect::MulOp>, 2, 2, {}}},
        {"Div", {&I::importBinary<dialect::DivOp>, 2, 2, {}}},
        {"MatMul", {&I::importMatMul, 2, 2, {}}},
        {"Gemm", {&I::importGemm, 2, 3, {"alpha", "beta", "transA", "transB"}}},
        {"Flatten", {&I::importFlatten, 1, 1, {"axis"}}},
        {"Reshape", {&I::importReshape, 2, 2, {"allowzero"}}},
        {"Transpose", {&I::importTranspose, 1, 1, {"perm"}}},
        {"Softmax", {&I::importSoftmax, 1, 1, {"axis"}}},
        {"LogSoftmax", {&I::importSoftmax, 1, 1, {"axis"}}},
        {"Conv", {&I::importWindowed, 2, 3, plus(window, {"group"})}},
        {"MaxPool",
         {&I::importWindowed, 1, 1,
          plus(window, {"ceil_mode", "storage_order"})}},
        {"AveragePool",
         {&I::importWindowed,
          1,
          1,
          {"auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads",
           "strides"}}},
        {"GlobalAveragePool", {&I::importGlobalAveragePool, 1, 1, {}}},
        {"BatchNormalization",
         {&I::importBatchNorm, 5, 5, {"epsilon", "momentum", "training_mode"}}},
        {"Dropout", {&I::importDropout, 1, 3, {"seed"}}},
        {"Pad", {&I::importPad, 1, 4, {"mode", "pads", "value"}}},
        {"Shape", {&I::importShape, 1, 1, {"start", "end"}}},
        {"Gather", {&I::importGather, 2, 2, {"axis"}}},
        {"Concat", {&I::importConcat, 1, -1, {"axis"}}},
        {"Squeeze", {&I::importSqueeze, 1, 2, {"axes"}}},
        {"Unsqueeze", {&I::importUnsqueeze, 1, 2, {"axes"}}},
        {"ReduceSum", {&I::importReduce, 1, 2, reduceAttributes}},
        {"ReduceMean", {&I::importReduce, 1, 2, reduceAttributes}},
        {"Clip", {&I::importClip, 1, 3, {"min", "max"}}},
        {"Where", {&I::importWhere, 3, 3, {}}},
        {"Greater", {&I::importCompare<dialect::GtOp>, 2, 2, {}}},
        {"Less", {&I::importCompare<dialect::LtOp>, 2, 2, {}}},
        {"Equal", {&I::importCompare<dialect::EqOp>, 2, 2, {}}},
        {"GreaterOrEqual", {&I::importCompare<dialect::GeOp>, 2, 2, {}}},
        {"LessOrEqual", {&I::importCompare<dialect::LeOp>, 2, 2, {}}},
        {"Cast", {&I::importCast, 1, 1, {"to", "saturate"}}},
    };
    return table;
  }

  /// Conv, MaxPool and AveragePool on [N, C, H, W].
  Value importWindowed(const onnx::NodeProto &n, const std::string &where) {
    const std::string &op = n.op_type();
    const Value &x = input(n, 0, where);
    if (x.shape.size() != 4 || (x.elem != "f32" && x.elem != "f64"))
      throw ImportError(where + ": only 2-D windows over a floating-point "
                                "[N, C, H, W] input are supported");
    requireString(n, "auto_pad", "NOTSET", where);
    auto pads = symmetricPads(n, where);
    auto strides = pairAttr(n, "strides", 1, where);
    auto dilations = pairAttr(n, "dilations", 1, where);
    for (int i = 1; i < n.output_size(); ++i)
      if (!n.output(i).empty())
        throw ImportError(where + ": only the first output is supported");
    std::string type = typeOf(x.shape, x.elem);
    if (op == "Conv") {
      const Value &w = input(n, 1, where);
      int64_t group = intAttr(n, "group", 1);
      if (w.shape.size() != 4 || w.elem != x.elem || group < 1 ||
          group > x.shape[1] || x.shape[1] % group != 0 ||
          w.shape[0] % group != 0 || w.shape[1] != x.shape[1] / group)
        throw ImportError(where + ": weight " + typeOf(w.shape, w.elem) +
                          " does not fit input " + type + " with group " +
                          std::to_string(group));
      auto kernel = pairAttr(n, "kernel_shape", 0, where);
      if (attr(n, "kernel_shape") &&
          (kernel[0] != w.shape[2] || kernel[1] != w.shape[3]))
        throw ImportError(where + ": kernel_shape differs from the weight's");
      Shape shape = {x.shape[0], w.shape[0]};
      for (int d = 0; d < 2; ++d)
        shape.push_back(windowOutput(x.shape[2 + d], w.shape[2 + d], strides[d],
                                     pads[d], dilations[d], where));
      mlir::Value bias;
      if (hasInput(n, 2)) {
        const Value &b = input(n, 2, where);
        if (b.shape != Shape{w.shape[0]} || b.elem != x.elem)
          throw ImportError(where + ": the bias should be [" +
                            std::to_string(w.shape[0]) + "]");
        bias = b.value;
      }
      return emit<dialect::Conv2dOp>(
          shape, x.elem, x.value, w.value, bias,
          llvm::ArrayRef<int64_t>(strides), llvm::ArrayRef<int64_t>(pads),
          llvm::ArrayRef<int64_t>(dilations), static_cast<uint64_t>(group));
    }
    requireInt(n, "ceil_mode", 0, where);
    if (!attr(n, "kernel_shape"))
      throw ImportError(where + ": kernel_shape is required");
    auto kernel = pairAttr(n, "kernel_shape", 1, where);
    Shape shape = {x.shape[0], x.shape[1]};
    for (int d = 0; d < 2; ++d)
      shape.push_back(windowOutput(x.shape[2 + d], kernel[d], strides[d],
                                   pads[d], dilations[d], where));
    if (op == "MaxPool") {
      requireInt(n, "storage_order", 0, where);
      for (int d = 0; d < 2; ++d)
        if (pads[d] > (dilations[d] * (kernel[d] - 1) + 1) / 2)
          throw ImportError(where + ": pads over half the window");
      return emit<dialect::MaxPool2dOp>(
          shape, x.elem, x.value, llvm::ArrayRef<int64_t>(kernel),
          llvm::ArrayRef<int64_t>(strides), llvm::ArrayRef<int64_t>(pads),
          llvm::ArrayRef<int64_t>(dilations));
    }
    // AveragePool: each channel convolved with 1 / (KH * KW); padding
    // counts only with count_include_pad (without padding it cannot).
    if ((pads[0] || pads[1]) && intAttr(n, "count_include_pad", 0) != 1)
      throw ImportError(where + ": padding that the average leaves out "
                                "(count_include_pad = 0) is not supported");
    Shape planes = {x.shape[0] * x.shape[1], 1, x.shape[2], x.shape[3]};
    Shape kernelShape = {1, 1, kernel[0], kernel[1]};
    Value weight = splat(1.0 / static_cast<double>(kernel[0] * kernel[1]),
                         kernelShape, x.elem);
    Shape planesOut = {planes[0], 1, shape[2], shape[3]};
    Value flat = reshape(x, planes);
    Value conv = emit<dialect::Conv2dOp>(
        planesOut, x.elem, flat.value, weight.value, mlir::Value(),
        llvm::ArrayRef<int64_t>(strides), llvm::ArrayRef<int64_t>(pads),
        llvm::ArrayRef<int64_t>{1, 1}, uint64_t(1));
    return reshape(conv, shape);
  }

  /// Gather and Concat: only along axis 0 (a shape being built).
  void requireAxisZero(const onnx::NodeProto &n, const std::string &where) {
    if (intAttr(n, "axis", 0) != 0)
      throw ImportError(where + ": only axis 0 is supported");
  }

  /// Whether node `n` has its optional input `i` (an empty name is ONNX's
  /// way of leaving one out).
  static bool hasInput(const onnx::NodeProto &n, int i) {
    return i < n.input_size() && !n.input(i).empty();
  }

  /// Input `i` of node `n`, which must have it.
  const Value &input(const onnx::NodeProto &n, int i,
                     const std::string &where) {
    if (i >= n.input_size())
      throw ImportError(where + ": missing input " + std::to_string(i));
    return lookup(n.input(i), where + ": input");
  }

  void importNode(const onnx::NodeProto &n) {
    std::string where = "node '" + n.name() + "' (" + n.op_type() + ")";
    const std::string &op = n.op_type();
    // The node's ops are located at its name (its op type when unnamed).
    loc = nameLoc(n.name().empty() ? op : n.name());
    if (n.output_size() < 1)
      throw ImportError(where + ": has no output");
    if (!n.domain().empty() && n.domain() != "ai.onnx")
      throw ImportError(where + " is in domain '" + n.domain() +
                        "', which Ember does not read (only the default "
                        "ONNX domain, ai.onnx)");
    auto entry = opTable().find(op);
    if (entry == opTable().end())
      throw ImportError("unsupported ONNX op '" + op + "' (node '" + n.name() +
                        "')");
    const OpEntry &e = entry->second;
    // A node outside its op's input bounds is malformed; one with extra
    // inputs would otherwise have them ignored.
    int count = n.input_size();
    for (int i = 0; i < std::min(count, e.minInputs); ++i)
      if (n.input(i).empty())
        throw ImportError(where + ": input " + std::to_string(i) +
                          " is required but empty");
    if (count < e.minInputs || (e.maxInputs >= 0 && count > e.maxInputs))
      throw ImportError(
          where + " has " + std::to_string(count) +
          (count == 1 ? " input" : " inputs") + "; ONNX's " + op + " takes " +
          (e.minInputs == e.maxInputs ? std::to_string(e.minInputs)
           : e.maxInputs < 0 ? "at least " + std::to_string(e.minInputs)
                             : std::to_string(e.minInputs) + " to " +
                                   std::to_string(e.maxInputs)));
    for (const onnx::AttributeProto &a : n.attribute())
      if (std::find(e.attributes.begin(), e.attributes.end(), a.name()) ==
          e.attributes.end())
        throw ImportError("unsupported attribute '" + a.name() +
                          "' of ONNX op '" + op + "' (node '" + n.name() +
                          "')");
    values[n.output(0)] = (this->*e.handler)(n, where);
  }

  mlir::OpBuilder builder;
  /// Where the ops being built come from: the node (or initializer).
  mlir::Location loc;
  /// The model's opset of the default domain.
  int64_t opset = 0;
  std::map<std::string, Value> values;
  /// The bytes of the int64 constants later nodes may read (intsOf).
  llvm::DenseMap<mlir::Value, std::string> intConstants;
};

} // namespace

OnnxImportResult importOnnx(std::string_view bytes) {
  OnnxImportResult result;
  onnx::ModelProto model;
  if (bytes.size() > (size_t(1) << 31) ||
      !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) ||
      !model.has_graph()) {
    result.malformed = true;
    result.error = "not a valid ONNX model (the protobuf does not parse)";
    return result;
  }
  mlir::MLIRContext context(mlir::MLIRContext::Threading::DISABLED);
  context.loadDialect<mlir::ember::EmberDialect, mlir::func::FuncDialect>();
  // The verifier's diagnostics go into the error, never to stderr.
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
    diagnostics += (diagnostics.empty() ? "" : "; ") + d.str();
    if (auto name = mlir::dyn_cast<mlir::NameLoc>(d.getLocation()))
      diagnostics += " at '" + name.getName().str() + "'";
    return mlir::success();
  });
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::ModuleOp::create(mlir::UnknownLoc::get(&context));
  try {
    Importer(context).run(model, *module);
  } catch (const ImportError &e) {
    result.error = e.what();
    return result;
  }
  if (mlir::failed(mlir::verify(*module))) {
    result.error = "internal error: the imported ember IR does not verify (" +
                   diagnostics + ")";
    return result;
  }
  llvm::raw_string_ostream os(result.ir);
  module->print(os, mlir::OpPrintingFlags().assumeVerified());
  os.flush();
  result.ok = true;
  return result;
}

std::vector<std::string> onnxOpTypes() { return Importer::opTypes(); }

} // namespace ember::compiler
