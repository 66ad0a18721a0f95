//===- Loss.h - Loss functions (torch.nn losses) ----------------*- C++ -*-===//
//
// Part of Ember. PyTorch's losses, with its reductions, options, gradients
// and edge cases (ignored targets, label smoothing, class weights, the
// -100 clamp of binary cross-entropy's logarithms): each function as
// nn::functional::<name> and as a loss module nn::<Name>Loss. They are
// recorded like any op, so a loss and its gradient join the training
// step's one compiled graph.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_NN_LOSS_H
#define EMBER_NN_LOSS_H

#include "ember/frontend/Tensor.h"

namespace ember::nn {

/// How a loss reduces its per-element values (PyTorch's reduction=).
enum class Reduction { None, Mean, Sum };

struct CrossEntropyLossOptions {
  /// A weight per class ([C]), or undefined for 1.
  Tensor weight;
  /// Targets equal to it add nothing and are not counted by the mean.
  int64_t ignore_index = -100;
  Reduction reduction = Reduction::Mean;
  /// Mixes the target with the uniform distribution over the C classes.
  double label_smoothing = 0;
};

struct NLLLossOptions {
  Tensor weight;
  int64_t ignore_index = -100;
  Reduction reduction = Reduction::Mean;
};

struct BCELossOptions {
  /// Broadcast to the input's shape, or undefined for 1.
  Tensor weight;
  Reduction reduction = Reduction::Mean;
};

struct BCEWithLogitsLossOptions {
  Tensor weight;
  /// The positive examples' weight, broadcast along the last dimension
  /// (a weight per class), or undefined for 1.
  Tensor pos_weight;
  Reduction reduction = Reduction::Mean;
};

namespace functional {

/// F.cross_entropy: `input` [N, C] (or [C], or [N, C, d1, ...]) logits;
/// `target` int64 class indices [N] ([], [N, d1, ...]) or class
/// probabilities of the input's shape. With indices, the mean divides by
/// the summed weights of the targets not ignored (NaN when all are). A
/// class index outside [0, C) other than ignore_index is an error when the
/// targets are on the host (on a GPU it is not checked, as in PyTorch).
Tensor cross_entropy(const Tensor &input, const Tensor &target,
                     const CrossEntropyLossOptions &options = {},
                     Tensor::Loc loc = Tensor::Loc::current());
/// F.nll_loss: `input` holds log-probabilities (log_softmax's output);
/// otherwise as cross_entropy with class indices.
Tensor nll_loss(const Tensor &input, const Tensor &target,
                const NLLLossOptions &options = {},
                Tensor::Loc loc = Tensor::Loc::current());
/// F.mse_loss: (input - target)^2. The shapes must be equal (PyTorch
/// broadcasts with a warning; it is almost always a bug).
Tensor mse_loss(const Tensor &input, const Tensor &target,
                Reduction reduction = Reduction::Mean,
                Tensor::Loc loc = Tensor::Loc::current());
/// F.l1_loss: |input - target| (its gradient at 0 is 0, as PyTorch's).
Tensor l1_loss(const Tensor &input, const Tensor &target,
               Reduction reduction = Reduction::Mean,
               Tensor::Loc loc = Tensor::Loc::current());
/// F.binary_cross_entropy: `input` probabilities in [0, 1]; each log is
/// clamped to >= -100 and the gradient is PyTorch's,
/// weight * (input - target) / max((1 - input) * input, 1e-12).
Tensor binary_cross_entropy(const Tensor &input, const Tensor &target,
                            const BCELossOptions &options = {},
                            Tensor::Loc loc = Tensor::Loc::current());
/// F.binary_cross_entropy_with_logits: sigmoid and binary cross-entropy
/// in one, stable for logits of any size: (1 - target) * input -
/// log_weight * log_sigmoid(input), log_weight = 1 + (pos_weight - 1) *
/// target.
Tensor
binary_cross_entropy_with_logits(const Tensor &input, const Tensor &target,
                                 const BCEWithLogitsLossOptions &options = {},
                                 Tensor::Loc loc = Tensor::Loc::current());

} // namespace functional

/// The loss modules: options at construction, (input, target) at the call.
class CrossEntropyLoss {
public:
  CrossEntropyLoss(CrossEntropyLossOptions options = {})
      : options(std::move(options)) {}
  Tensor operator()(const Tensor &input, const Tensor &target,
                    Tensor::Loc loc = Tensor::Loc::current()) const {
    return functional::cross_entropy(input, target, options, loc);
  }
  CrossEntropyLossOptions options;
};

class NLLLoss {
public:
  NLLLoss(NLLLossOptions options = {}) : options(std::move(options)) {}
  Tensor operator()(const Tensor &input, const Tensor &target,
                    Tensor::Loc loc = Tensor::Loc::current()) const {
    return functional::nll_loss(input, target, options, loc);
  }
  NLLLossOptions options;
};

class MSELoss {
public:
  MSELoss(Reduction reduction = Reduction::Mean) : reduction(reduction) {}
  Tensor operator()(const Tensor &input, const Tensor &target,
                    Tensor::Loc loc = Tensor::Loc::current()) const {
    return functional::mse_loss(input, target, reduction, loc);
  }
  Reduction reduction;
};

class L1Loss {
public:
  L1Loss(Reduction reduction = Reduction::Mean) : reduction(reduction) {}
  Tensor operator()(const Tensor &input, const Tensor &target,
                    Tensor::Loc loc = Tensor::Loc::current()) const {
    return functional::l1_loss(input, target, reduction, loc);
  }
  Reduction reduction;
};

class BCELoss {
public:
  BCELoss(BCELossOptions options = {}) : options(std::move(options)) {}
  Tensor operator()(const Tensor &input, const Tensor &target,
                    Tensor::Loc loc = Tensor::Loc::current()) const {
    return functional::binary_cross_entropy(input, target, options, loc);
  }
  BCELossOptions options;
};

class BCEWithLogitsLoss {
public:
  BCEWithLogitsLoss(BCEWithLogitsLossOptions options = {})
      : options(std::move(options)) {}
  Tensor operator()(const Tensor &input, const Tensor &target,
                    Tensor::Loc loc = Tensor::Loc::current()) const {
    return functional::binary_cross_entropy_with_logits(input, target, options,
                                                        loc);
  }
  BCEWithLogitsLossOptions options;
};

} // namespace ember::nn

#endif // EMBER_NN_LOSS_H
