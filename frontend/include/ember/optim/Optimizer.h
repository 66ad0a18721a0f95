//===- Optimizer.h - SGD and Adam -------------------------------*- C++ -*-===//
//
// Part of Ember. step() records the update of every parameter and realises,
// in one compiled graph, the new parameter values together with everything
// the step needs: the forward and backward passes that produce the
// gradients, the optimizer state, and the loss that backward() was called
// on. The graph has the same structure every step, so a training loop
// compiles it once. The new values become the parameters' data in place:
// every handle on a parameter sees them. The gradients are not results of
// the step (zero_grad() usually drops them unread); read after the step,
// a gradient is recomputed from the parameters' values before it.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_OPTIM_OPTIMIZER_H
#define EMBER_OPTIM_OPTIMIZER_H

#include "ember/frontend/Tensor.h"

#include <memory>
#include <vector>

namespace ember::optim {

class Optimizer {
public:
  explicit Optimizer(std::vector<Tensor> params);
  virtual ~Optimizer() = default;

  /// Drops every parameter's gradient (PyTorch's set_to_none behaviour).
  void zero_grad();
  /// Updates the parameters from their gradients.
  virtual void step(Tensor::Loc loc = Tensor::Loc::current()) = 0;
  const std::vector<Tensor> &params() const { return params_; }

protected:
  /// Realises `newValues[i]` and `state` (the optimizer state's new values,
  /// `stateBefore` its old ones) in one graph with the pending losses, then
  /// makes newValues[i] the data of params_[i]. On the CPU each result gets
  /// a buffer of its own, and the gradients not yet computed keep reading
  /// the old data. On a GPU the parameters and state are updated in place,
  /// in their own buffers (a step always runs on the same buffers, and
  /// replays one captured CUDA graph): the gradients not yet computed are
  /// computed in the same graph, and state[k] stays the tensor
  /// stateBefore[k], now holding the new value.
  void apply(const std::vector<Tensor> &newValues, std::vector<Tensor> &state,
             const std::vector<Tensor> &stateBefore, Tensor::Loc loc);

  /// p's gradient plus weight_decay * p (L2 regularisation, as PyTorch's
  /// optimizers add it); undefined when p has no gradient.
  Tensor decayedGrad(const Tensor &p, double weightDecay) const;

  std::vector<Tensor> params_;

private:
  /// The gradients the last step computed inside its graph without
  /// writing them out (zero_grad() usually drops them).
  std::vector<std::weak_ptr<fe::Node>> unwrittenGradients_;
};

struct SGDOptions {
  double lr = 1e-3;
  double momentum = 0;
  double weight_decay = 0;
};

/// Stochastic gradient descent with optional momentum and weight decay, as
/// torch.optim.SGD (dampening 0, no Nesterov).
class SGD : public Optimizer {
public:
  SGD(std::vector<Tensor> params, SGDOptions options = {});
  void step(Tensor::Loc loc = Tensor::Loc::current()) override;
  SGDOptions options;

private:
  std::vector<Tensor> momentum_;
};

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
};

/// Adam, as torch.optim.Adam (no amsgrad).
class Adam : public Optimizer {
public:
  Adam(std::vector<Tensor> params, AdamOptions options = {});
  void step(Tensor::Loc loc = Tensor::Loc::current()) override;
  AdamOptions options;

private:
  std::vector<Tensor> m_, v_;
  int64_t steps_ = 0;
};

} // namespace ember::optim

#endif // EMBER_OPTIM_OPTIMIZER_H
