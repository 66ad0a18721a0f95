//===- Loss.cpp - Loss functions (torch.nn losses) ------------------------===//
//
// Part of Ember. Each loss is recorded from existing ops; the formulas and
// the normalisations of the means are those of PyTorch 2.x's
// aten/src/ATen/native/Loss.cpp and LossNLL.cpp.
//
//===----------------------------------------------------------------------===//

#include "ember/nn/Loss.h"

#include "../Realize.h"

#include <fmt/format.h>

#include <optional>

namespace ember::nn::functional {
namespace {

using Loc = Tensor::Loc;

[[noreturn]] void fail(const char *fn, const std::string &what, Loc loc) {
  throw Error(fmt::format("{}: {} (at {})", fn, what, fe::formatLocation(loc)));
}

std::string shapeOf(const Tensor &t) { return fe::shapeString(t.shape()); }

Tensor reduce(const Tensor &perElement, Reduction reduction, Loc loc) {
  switch (reduction) {
  case Reduction::None:
    return perElement;
  case Reduction::Sum:
    return perElement.sum(loc);
  case Reduction::Mean:
    return perElement.mean(loc);
  }
  return perElement;
}

/// A rank-0 tensor of `value` for ops with tensors of dtype `dtype`.
Tensor scalar(double value, DType dtype) { return full({}, value, dtype); }

void checkSameShape(const char *fn, const Tensor &input, const Tensor &target,
                    Loc loc) {
  if (!input.defined() || !target.defined())
    fail(fn, "the input or the target is undefined", loc);
  if (input.shape() != target.shape())
    fail(fn,
         fmt::format("the input {} and the target {} differ in shape "
                     "(PyTorch would broadcast them with a warning; it is "
                     "almost always a bug: reshape one)",
                     shapeOf(input), shapeOf(target)),
         loc);
}

/// The class-index targets' count of those not ignored, read from the host
/// when the targets are there (each checked to be a class or ignore_index);
/// nullopt for targets not yet computed or on a device.
std::optional<double> hostTargetCount(const char *fn, const Tensor &target,
                                      int64_t classes, int64_t ignore,
                                      Loc loc) {
  const fe::NodePtr &n = target.node();
  if (!n->device.is_cpu() || !n->data)
    return std::nullopt;
  // (Read, not written: not data_ptr(), which notes a write.)
  const auto *t = static_cast<const int64_t *>(n->data->data());
  int64_t count = 0;
  for (int64_t i = 0; i < target.numel(); ++i) {
    if (t[i] == ignore)
      continue;
    if (t[i] < 0 || t[i] >= classes)
      fail(fn,
           fmt::format("target {} (element {} of {}) is not a class index "
                       "in [0, {}) nor ignore_index {}",
                       t[i], i, shapeOf(target), classes, ignore),
           loc);
    ++count;
  }
  return static_cast<double>(count);
}

/// The per-row or reduced negative log-likelihood of `logp` [M, C] at the
/// int64 classes `target` [M], with class weights, ignored targets and
/// label smoothing (PyTorch's nll_loss_nd and
/// cross_entropy_loss_label_smoothing).
Tensor classIndexLoss(const char *fn, const Tensor &logp, const Tensor &target,
                      const Tensor &weight, int64_t ignore, Reduction reduction,
                      double smoothing, Loc loc) {
  int64_t m = logp.size(0), classes = logp.size(1);
  std::optional<double> count =
      hostTargetCount(fn, target, classes, ignore, loc);
  // One-hot of the targets: target[i] == c, as the logits' dtype. The class
  // indices live where the targets do (a CPU constant beside cuda targets
  // was an error on every GPU step). An ignore_index outside [0, C)
  // matches no class.
  Tensor column = target.reshape({m, 1}, loc);
  Tensor picked =
      column
          .eq(arange(0, static_cast<double>(classes), 1, DType::Int64, loc)
                  .to(target.device(), loc)
                  .reshape({1, classes}, loc),
              loc)
          .to(logp.dtype(), loc);
  Tensor keep; // [M, 1]: 0 where the target is ignored
  if ((ignore >= 0 && ignore < classes) || smoothing > 0)
    keep =
        1.0 - column.eq(static_cast<double>(ignore), loc).to(logp.dtype(), loc);
  if (ignore >= 0 && ignore < classes)
    picked = picked * keep;
  Tensor classWeight;
  if (weight.defined()) {
    if (weight.shape() != Shape{classes})
      fail(fn,
           fmt::format("the class weights are {}; expected [{}]",
                       shapeOf(weight), classes),
           loc);
    classWeight = weight.reshape({1, classes}, loc);
    picked = picked * classWeight;
  }
  // The mean divides by the targets' summed weights: counted on the host
  // when it can be (a scalar input, so the graph is the same every step),
  // else in the graph.
  bool hostMean = count && !weight.defined();
  Tensor denominator;
  if (reduction == Reduction::Mean && !hostMean)
    denominator = picked.sum(loc);
  auto reduceRows = [&](const Tensor &terms) {
    switch (reduction) {
    case Reduction::None:
      return -terms.sum({1}, false, loc);
    case Reduction::Sum:
      return -terms.sum(loc);
    case Reduction::Mean:
      return hostMean ? terms.sum(loc) * (-1.0 / *count)
                      : -terms.sum(loc) / denominator;
    }
    return terms;
  };
  Tensor nll = reduceRows(logp * picked);
  if (smoothing == 0)
    return nll;
  Tensor spread = classWeight.defined() ? logp * classWeight : logp;
  Tensor smooth = reduceRows(spread * keep);
  return nll * (1 - smoothing) + smooth * (smoothing / classes);
}

/// `input` [N, C, d...] (or [C], [N, C]) as [M, C] rows, and how to give a
/// per-row result the targets' shape.
struct Rows {
  Tensor input;
  Shape resultShape;
};

Rows toRows(const char *fn, const Tensor &input, Loc loc) {
  if (!input.defined())
    fail(fn, "the input is undefined", loc);
  int64_t rank = input.dim();
  if (rank == 0)
    fail(fn, "the input is a scalar; expected [C], [N, C] or [N, C, d1, ...]",
         loc);
  if (rank == 1)
    return {input.reshape({1, input.size(0)}, loc), {}};
  if (rank == 2)
    return {input, {input.size(0)}};
  std::vector<int64_t> perm{0};
  Shape resultShape{input.size(0)};
  for (int64_t d = 2; d < rank; ++d) {
    perm.push_back(d);
    resultShape.push_back(input.size(d));
  }
  perm.push_back(1);
  return {input.permute(perm, loc).reshape({-1, input.size(1)}, loc),
          resultShape};
}

Tensor indexLoss(const char *fn, const Tensor &input, const Tensor &target,
                 const Tensor &weight, int64_t ignore, Reduction reduction,
                 double smoothing, bool logSoftmax, Loc loc) {
  Rows rows = toRows(fn, input, loc);
  if (!target.defined() || target.shape() != rows.resultShape)
    fail(fn,
         fmt::format("the input {} needs class-index targets of shape {}, "
                     "not {}",
                     shapeOf(input), fe::shapeString(rows.resultShape),
                     target.defined() ? shapeOf(target) : "undefined"),
         loc);
  int64_t m = rows.input.size(0);
  Tensor logp = logSoftmax ? rows.input.log_softmax(1, loc) : rows.input;
  Tensor loss = classIndexLoss(fn, logp, target.reshape({m}, loc), weight,
                               ignore, reduction, smoothing, loc);
  return reduction == Reduction::None ? loss.reshape(rows.resultShape, loc)
                                      : loss;
}

} // namespace

Tensor cross_entropy(const Tensor &input, const Tensor &target,
                     const CrossEntropyLossOptions &options, Loc loc) {
  const char *fn = "cross_entropy";
  double smoothing = options.label_smoothing;
  if (!(smoothing >= 0 && smoothing <= 1))
    fail(fn,
         fmt::format("label_smoothing must be in [0, 1], not {}", smoothing),
         loc);
  if (target.defined() && target.dtype() == DType::Int64)
    return indexLoss(fn, input, target, options.weight, options.ignore_index,
                     options.reduction, smoothing, /*logSoftmax=*/true, loc);
  // Class probabilities, of the input's shape.
  if (!target.defined() || !isFloatingPoint(target.dtype()) ||
      !input.defined() || target.shape() != input.shape() ||
      target.dtype() != input.dtype())
    fail(fn,
         fmt::format("the target must be int64 class indices or class "
                     "probabilities of the input's shape and dtype ({} {}); "
                     "it is {} {}",
                     input.defined() ? dtypeName(input.dtype()) : "undefined",
                     input.defined() ? shapeOf(input) : "",
                     target.defined() ? dtypeName(target.dtype()) : "undefined",
                     target.defined() ? shapeOf(target) : ""),
         loc);
  Rows rows = toRows(fn, input, loc);
  Rows probs = toRows(fn, target, loc);
  int64_t classes = rows.input.size(1);
  Tensor t = probs.input;
  if (smoothing > 0)
    t = t * (1 - smoothing) + smoothing / static_cast<double>(classes);
  Tensor terms = rows.input.log_softmax(1, loc) * t;
  if (options.weight.defined()) {
    if (options.weight.shape() != Shape{classes})
      fail(fn,
           fmt::format("the class weights are {}; expected [{}]",
                       shapeOf(options.weight), classes),
           loc);
    terms = terms * options.weight.reshape({1, classes}, loc);
  }
  Tensor perRow = -terms.sum({1}, false, loc);
  if (options.reduction == Reduction::None)
    return perRow.reshape(rows.resultShape, loc);
  return reduce(perRow, options.reduction, loc);
}

Tensor nll_loss(const Tensor &input, const Tensor &target,
                const NLLLossOptions &options, Loc loc) {
  if (!target.defined() || target.dtype() != DType::Int64)
    fail("nll_loss", "the target must hold int64 class indices", loc);
  return indexLoss("nll_loss", input, target, options.weight,
                   options.ignore_index, options.reduction, 0,
                   /*logSoftmax=*/false, loc);
}

Tensor mse_loss(const Tensor &input, const Tensor &target, Reduction reduction,
                Loc loc) {
  checkSameShape("mse_loss", input, target, loc);
  Tensor d = input - target;
  return reduce(d * d, reduction, loc);
}

Tensor l1_loss(const Tensor &input, const Tensor &target, Reduction reduction,
               Loc loc) {
  checkSameShape("l1_loss", input, target, loc);
  return reduce((input - target).abs(loc), reduction, loc);
}

Tensor binary_cross_entropy(const Tensor &input, const Tensor &target,
                            const BCELossOptions &options, Loc loc) {
  const char *fn = "binary_cross_entropy";
  checkSameShape(fn, input, target, loc);
  if (target.requires_grad() ||
      (options.weight.defined() && options.weight.requires_grad()))
    fail(fn,
         "the gradient with respect to the target or the weight is not "
         "implemented; detach() them",
         loc);
  DType dtype = input.dtype();
  // log, clamped to >= -100 (a NaN stays NaN).
  auto clampedLog = [&](const Tensor &x) {
    Tensor l = x.log(loc);
    return where((-l).gt(100.0, loc), scalar(-100, dtype), l, loc);
  };
  Tensor x = input.detach(loc);
  Tensor value =
      -(target * clampedLog(x) + (1.0 - target) * clampedLog(1.0 - x));
  // PyTorch's gradient, weight * (x - t) / max((1 - x) * x, 1e-12), rather
  // than that of the clamped logs (0 where one is clamped): the value is
  // the one above, the gradient this, through input - input.detach() (0).
  Tensor product = (1.0 - x) * x;
  Tensor slope = (x - target) / where(product.gt(1e-12, loc), product,
                                      scalar(1e-12, dtype), loc);
  if (options.weight.defined()) {
    value = value * options.weight;
    slope = slope * options.weight;
  }
  Tensor perElement = value + (input - x) * slope;
  return reduce(perElement, options.reduction, loc);
}

Tensor binary_cross_entropy_with_logits(const Tensor &input,
                                        const Tensor &target,
                                        const BCEWithLogitsLossOptions &options,
                                        Loc loc) {
  checkSameShape("binary_cross_entropy_with_logits", input, target, loc);
  DType dtype = input.dtype();
  // log_sigmoid(x) = min(x, 0) - log(1 + exp(-|x|)), finite for any x.
  Tensor positive = input.gt(0.0, loc);
  Tensor magnitude = where(positive, input, -input, loc);
  Tensor logSigmoid = where(positive, scalar(0, dtype), input, loc) -
                      ((-magnitude).exp(loc) + 1.0).log(loc);
  if (options.pos_weight.defined())
    logSigmoid = logSigmoid * ((options.pos_weight - 1.0) * target + 1.0);
  Tensor loss = (1.0 - target) * input - logSigmoid;
  if (options.weight.defined())
    loss = loss * options.weight;
  return reduce(loss, options.reduction, loc);
}

} // namespace ember::nn::functional
