//===- Optimizer.cpp - SGD and Adam ---------------------------------------===//
//
// Part of Ember.
//
//===----------------------------------------------------------------------===//

#include "ember/optim/Optimizer.h"

#include "../Realize.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace ember::optim {

Optimizer::Optimizer(std::vector<Tensor> params) : params_(std::move(params)) {
  for (const Tensor &p : params_)
    if (!p.defined() || !p.requires_grad())
      throw Error("optimizer: every parameter must be a tensor that requires "
                  "grad");
}

void Optimizer::zero_grad() {
  for (const Tensor &p : params_)
    p.zero_grad_();
}

void Optimizer::apply(const std::vector<Tensor> &newValues,
                      std::vector<Tensor> &state,
                      const std::vector<Tensor> &stateBefore, Tensor::Loc loc) {
  std::vector<fe::NodePtr> targets;
  for (const Tensor &v : newValues)
    targets.push_back(v.node());
  for (const Tensor &s : state)
    targets.push_back(s.node());
  // The losses backward() was called on are computed with this step's
  // weights.
  for (const fe::NodePtr &root : fe::takePendingBackwardRoots())
    targets.push_back(root);
  // The gradients are not among the results: writing them costs a step
  // about as much as the update itself, and the usual zero_grad() drops
  // them unread. Unless one the last step left unwritten is still alive:
  // backward() without zero_grad() accumulated onto it (or the caller kept
  // it). Then this step writes them, so that a chain of lazy gradients
  // (each recomputed from the weights before its step) stays one step long.
  bool writeGradients =
      std::any_of(unwrittenGradients_.begin(), unwrittenGradients_.end(),
                  [](const std::weak_ptr<fe::Node> &g) { return !g.expired(); });
  unwrittenGradients_.clear();
  // On a GPU, each new value is computed into the buffer of the value it
  // replaces (realize() checks that nothing else shares it). The old values
  // are gone then: gradients are computed now rather than later from them.
  std::vector<fe::InPlace> inPlace;
  bool onGpu =
      std::any_of(newValues.begin(), newValues.end(), [](const Tensor &v) {
        return v.defined() && v.device().is_cuda();
      });
  if (onGpu) {
    for (size_t i = 0; i < params_.size(); ++i)
      if (newValues[i].defined())
        inPlace.push_back({newValues[i].node(), params_[i].node()});
    for (size_t k = 0; k < state.size() && k < stateBefore.size(); ++k)
      if (state[k].defined() && stateBefore[k].defined())
        inPlace.push_back({state[k].node(), stateBefore[k].node()});
    writeGradients = true;
  }
  if (writeGradients)
    for (const Tensor &p : params_)
      if (p.grad().defined())
        targets.push_back(p.grad().node());
  // Lazy gradients of other leaves (another optimizer's parameters, say,
  // sharing the backward()) may read these parameters too: on a GPU they
  // are computed now, before the old values go; on the CPU they are
  // redirected to the old values below, as this optimizer's own are.
  std::unordered_set<const fe::Node *> mine;
  for (const Tensor &p : params_)
    mine.insert(p.node().get());
  std::vector<fe::NodePtr> otherGradients;
  for (const fe::NodePtr &leaf : fe::leavesWithLazyGradients())
    if (!mine.count(leaf.get()))
      otherGradients.push_back(leaf->grad);
  if (onGpu)
    targets.insert(targets.end(), otherGradients.begin(), otherGradients.end());
  fe::realize(targets, loc, inPlace);
  // State updated in place: the tensor stays, with its new value.
  for (size_t k = 0; k < state.size() && k < stateBefore.size(); ++k)
    if (state[k].defined() && stateBefore[k].defined() &&
        state[k].node()->deviceData &&
        state[k].node()->deviceData == stateBefore[k].node()->deviceData) {
      ++stateBefore[k].node()->version;
      state[k] = stateBefore[k];
    }

  // In place: each parameter's node takes the new buffer, so every handle
  // on the parameter sees it. The gradients not yet computed stay readable:
  // their graphs now read the values from before the step, so reading one
  // after step() recomputes it as it was.
  std::vector<std::pair<fe::Node *, fe::NodePtr>> before;
  std::vector<fe::NodePtr> gradients;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (!newValues[i].defined())
      continue;
    fe::Node &p = *params_[i].node();
    ++p.version; // (nodes recorded from the old value must not run now)
    if (p.deviceData && newValues[i].node()->deviceData == p.deviceData) {
      // Updated in place (its gradient, if any, was computed in the step).
      p.inferenceWeight.reset();
      continue;
    }
    // A leaf sharing the old buffer.
    before.emplace_back(&p, params_[i].detach(loc).node());
    if (p.grad && !p.grad->isRealized())
      gradients.push_back(p.grad);
    p.data = newValues[i].node()->data;
    p.deviceData = newValues[i].node()->deviceData;
    p.inferenceWeight.reset(); // an inference cache of the old value
  }
  for (const fe::NodePtr &g : otherGradients)
    if (!g->isRealized())
      gradients.push_back(g);
  fe::replaceInputs(gradients, before);
  for (const fe::NodePtr &g : gradients)
    unwrittenGradients_.push_back(g);
}

namespace {
/// A zero tensor of p's shape, dtype and device: the start of optimizer state.
Tensor zerosLike(const Tensor &p) {
  return zeros(p.shape(), p.dtype()).to(p.device());
}
} // namespace

Tensor Optimizer::decayedGrad(const Tensor &p, double weightDecay) const {
  Tensor g = p.grad();
  if (g.defined() && weightDecay != 0)
    g = g + p * weightDecay;
  return g;
}

SGD::SGD(std::vector<Tensor> params, SGDOptions opts)
    : Optimizer(std::move(params)), options(opts) {
  if (options.lr < 0 || options.momentum < 0 || options.weight_decay < 0)
    throw Error(fmt::format("SGD: invalid options (lr={}, momentum={}, "
                            "weight_decay={})",
                            options.lr, options.momentum, options.weight_decay));
  if (options.momentum != 0)
    for (const Tensor &p : params_)
      momentum_.push_back(zerosLike(p));
}

void SGD::step(Tensor::Loc loc) {
  NoGradGuard noGrad;
  fe::CallerLocation at(loc);
  std::vector<Tensor> newValues(params_.size());
  const std::vector<Tensor> momentumBefore = momentum_;
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor &p = params_[i];
    Tensor g = decayedGrad(p, options.weight_decay);
    if (!g.defined())
      continue;
    if (options.momentum != 0) {
      // A model moved after the optimizer was made: the state follows it.
      momentum_[i] = momentum_[i].to(p.device());
      // The buffer starts at zero, so the first step is buf = g as in
      // PyTorch, and every step has the same graph.
      momentum_[i] = momentum_[i] * options.momentum + g;
      g = momentum_[i];
    }
    newValues[i] = p - g * options.lr;
  }
  apply(newValues, momentum_, momentumBefore, loc);
}

Adam::Adam(std::vector<Tensor> params, AdamOptions opts)
    : Optimizer(std::move(params)), options(opts) {
  if (options.lr < 0 || options.eps < 0 || options.beta1 < 0 ||
      options.beta1 >= 1 || options.beta2 < 0 || options.beta2 >= 1)
    throw Error(fmt::format("Adam: invalid options (lr={}, betas=({}, {}), "
                            "eps={})",
                            options.lr, options.beta1, options.beta2,
                            options.eps));
  for (const Tensor &p : params_) {
    m_.push_back(zerosLike(p));
    v_.push_back(zerosLike(p));
  }
}

void Adam::step(Tensor::Loc loc) {
  NoGradGuard noGrad;
  fe::CallerLocation at(loc);
  ++steps_;
  double correction1 = 1 - std::pow(options.beta1, static_cast<double>(steps_));
  double correction2 = 1 - std::pow(options.beta2, static_cast<double>(steps_));
  std::vector<Tensor> newValues(params_.size());
  std::vector<Tensor> stateBefore = m_;
  stateBefore.insert(stateBefore.end(), v_.begin(), v_.end());
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor &p = params_[i];
    Tensor g = decayedGrad(p, options.weight_decay);
    if (!g.defined())
      continue;
    m_[i] = m_[i].to(p.device()) * options.beta1 + g * (1 - options.beta1);
    v_[i] = v_[i].to(p.device());
    v_[i] = v_[i] * options.beta2 + g * g * (1 - options.beta2);
    // The bias corrections change every step; as scalars they are graph
    // inputs, so the graph stays the same.
    Tensor mHat = m_[i] / correction1;
    Tensor vHat = v_[i] / correction2;
    newValues[i] = p - mHat * options.lr / (vHat.sqrt() + options.eps);
  }
  std::vector<Tensor> state = m_;
  state.insert(state.end(), v_.begin(), v_.end());
  apply(newValues, state, stateBefore, loc);
  // (Updated in place, a state tensor is its old one again.)
  for (size_t i = 0; i < m_.size(); ++i) {
    m_[i] = state[i];
    v_[i] = state[m_.size() + i];
  }
}

} // namespace ember::optim
