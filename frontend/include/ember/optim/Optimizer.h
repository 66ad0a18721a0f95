//===- Optimizer.h - SGD, Adam, AdamW, RMSprop ------------------*- C++ -*-===//
//
// Part of Ember. step() records the update of every parameter and realises,
// in one compiled graph, the new parameter values together with everything
// the step needs: the forward and backward passes that produce the
// gradients, the optimizer state, and the loss that backward() was called
// on. The graph has the same structure every step, so a training loop
// compiles it once: the learning rate and every other hyper-parameter are
// scalar inputs of the graph, so changing one between steps (by hand or by a
// scheduler, optim/Schedulers.h) does not recompile. The new values become
// the parameters' data in place: every handle on a parameter sees them. The
// gradients are not results of the step (zero_grad() usually drops them
// unread); read after the step, a gradient is recomputed from the
// parameters' values before it.
//
// The formulas are PyTorch's (torch.optim, the single-tensor form), term by
// term, and the state has PyTorch's names ("momentum_buffer", "exp_avg",
// "exp_avg_sq", "max_exp_avg_sq", "square_avg", "grad_avg").
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_OPTIM_OPTIMIZER_H
#define EMBER_OPTIM_OPTIMIZER_H

#include "ember/frontend/Tensor.h"
#include "ember/serialize/Safetensors.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ember::optim {

/// Parameters updated with their own options (PyTorch's param_groups):
///   optim::SGD opt({{base.parameters(), {.lr = 1e-2}},
///                   {head.parameters(), {.lr = 1e-1, .momentum = 0.9}}});
template <class Options> struct ParamGroup {
  std::vector<Tensor> params;
  Options options;
};

/// One parameter's optimizer state: the steps it has taken and its state
/// tensors, by PyTorch's names.
struct ParamState {
  int64_t step = 0;
  std::map<std::string, Tensor> tensors;
};

/// An optimizer's state as a safetensors file holds it (docs/training.md,
/// "Saving and resuming"): the state tensors under "state.<i>.<name>", i the
/// parameter's position in params(), with its step count under
/// "state.<i>.step" (int64, rank 0); and as metadata, "optimizer" (its
/// name) and "param_groups", a JSON list of the groups' options under
/// PyTorch's keys with the positions of each group's parameters under
/// "params" (PyTorch's state_dict() layout, flattened).
struct OptimizerState {
  StateDict tensors;
  std::map<std::string, std::string> metadata;
};

class Optimizer {
public:
  virtual ~Optimizer() = default;

  /// Drops every parameter's gradient (PyTorch's set_to_none behaviour).
  void zero_grad();
  /// Updates the parameters from their gradients.
  virtual void step(Tensor::Loc loc = Tensor::Loc::current()) = 0;
  /// Every parameter of every group, in group order.
  std::vector<Tensor> params() const;

  /// What schedulers read and set, whatever the optimizer.
  virtual size_t num_param_groups() const = 0;
  virtual double get_lr(size_t group) const = 0;
  virtual void set_lr(size_t group, double lr) = 0;
  /// The momentum a scheduler may cycle (OneCycleLR): SGD's and RMSprop's
  /// momentum, Adam's and AdamW's beta1; none for an optimizer without one.
  virtual std::optional<double> get_momentum(size_t group) const = 0;
  virtual void set_momentum(size_t group, double momentum) = 0;

  /// The learning rate a group had when the first scheduler was made on
  /// this optimizer (PyTorch's group["initial_lr"]): every scheduler's base
  /// rate, however many are chained. Unset before.
  std::optional<double> initial_lr(size_t group) const;
  void set_initial_lr(size_t group, double lr) { initialLr_[group] = lr; }

  /// The state of `param` (empty before its first step); throws for a
  /// tensor that is not one of the parameters.
  const ParamState &state(const Tensor &param) const;

  /// The state and the groups' options (the values of the state tensors
  /// are computed when saved or read).
  OptimizerState state_dict() const;
  /// Takes the state and the groups' options from `state`, made by
  /// state_dict() of the same kind of optimizer over parameters of the same
  /// shapes and dtypes, grouped alike. Everything is checked before
  /// anything changes: on an error (naming the entry) the optimizer is as it
  /// was. The state tensors are copied to their parameters' devices.
  void load_state_dict(const OptimizerState &state);

protected:
  Optimizer() = default;
  Optimizer(const Optimizer &) = delete;
  Optimizer &operator=(const Optimizer &) = delete;

  /// The parameters of every group, in group order.
  virtual std::vector<std::vector<Tensor>> groupParams() const = 0;
  /// Throws unless every tensor of `params` is defined, requires grad and
  /// is in no group yet (group `index` is being added).
  void checkParams(const std::vector<Tensor> &params, size_t index) const;
  /// The optimizer's name in errors ("SGD").
  virtual const char *name() const = 0;
  /// The names its per-parameter state tensors may have.
  virtual std::vector<std::string> stateNames() const = 0;
  /// Group `group`'s options as a JSON object (PyTorch's keys).
  virtual std::string optionsJson(size_t group) const = 0;
  /// Checks every group's options given as optionsJson() wrote them (one
  /// per group), then sets them all; on an error nothing changes.
  virtual void setOptionsJson(const std::vector<std::string> &groups) = 0;

  /// What an update rule reads and writes for one parameter.
  class Slot {
  public:
    /// The state tensor `name` (zeros of the parameter's shape on its device
    /// before the first step).
    Tensor read(const std::string &name);
    /// Records the state tensor's new value.
    void write(const std::string &name, Tensor value);
    /// The parameter's step count, this step included.
    int64_t step() const { return state_.step + 1; }

  private:
    friend class Optimizer;
    Slot(ParamState &state, const Tensor &param)
        : state_(state), param_(param) {}
    ParamState &state_;
    const Tensor &param_;
    std::vector<std::pair<std::string, Tensor>> before_, after_;
  };

  /// Records rule(group, param, grad, slot) -> new value for every parameter
  /// with a gradient, then realises the new values and state (with the
  /// pending losses) in one graph and makes them the parameters' data.
  template <class Rule> void update(Tensor::Loc loc, Rule &&rule);

  /// p's gradient plus weight_decay * p (L2 regularisation, as PyTorch's
  /// optimizers add it).
  static Tensor decayed(const Tensor &p, const Tensor &grad,
                        double weightDecay);

private:
  using RuleFn = Tensor (*)(void *, size_t, const Tensor &, const Tensor &,
                            Slot &);
  void updateWith(Tensor::Loc loc, RuleFn rule, void *context);
  void apply(const std::vector<Tensor> &params,
             const std::vector<Tensor> &newValues, std::vector<Tensor> &state,
             const std::vector<Tensor> &stateBefore, Tensor::Loc loc);

  std::map<size_t, double> initialLr_;
  /// Per parameter (keyed by its node, which the state keeps alive).
  std::map<const void *, std::pair<Tensor, ParamState>> state_;
  /// The gradients the last step computed inside its graph without
  /// writing them out (zero_grad() usually drops them).
  std::vector<std::weak_ptr<fe::Node>> unwrittenGradients_;
};

template <class Rule> void Optimizer::update(Tensor::Loc loc, Rule &&rule) {
  updateWith(
      loc,
      [](void *context, size_t group, const Tensor &p, const Tensor &g,
         Slot &slot) {
        return (*static_cast<std::remove_reference_t<Rule> *>(context))(
            group, p, g, slot);
      },
      &rule);
}

/// The parameter groups and the schedulers' accessors of an optimizer whose
/// options are `Options` (each has a field `lr`).
template <class Options> class OptimizerWithOptions : public Optimizer {
public:
  /// The groups; a scheduler changes their options' lr. Parameters may be
  /// added with add_param_group().
  std::vector<ParamGroup<Options>> &param_groups() { return groups_; }
  const std::vector<ParamGroup<Options>> &param_groups() const {
    return groups_;
  }
  /// The options of group `group` (the only one, unless groups were given).
  Options &options(size_t group = 0) { return groups_.at(group).options; }
  const Options &options(size_t group = 0) const {
    return groups_.at(group).options;
  }
  /// The options groups take when made from a plain parameter list.
  const Options &defaults() const { return defaults_; }

  /// Adds parameters with their own options; throws (naming the optimizer
  /// and the group) for bad options, or a parameter that does not require
  /// grad or is already in a group.
  void add_param_group(ParamGroup<Options> group) {
    checkParams(group.params, groups_.size());
    checkGroup(group, groups_.size());
    groups_.push_back(std::move(group));
  }

  size_t num_param_groups() const override { return groups_.size(); }
  double get_lr(size_t group) const override { return options(group).lr; }
  void set_lr(size_t group, double lr) override { options(group).lr = lr; }

protected:
  explicit OptimizerWithOptions(Options defaults) : defaults_(defaults) {}
  /// Adds the groups (from the derived class's constructor, where
  /// checkGroup is its own).
  void addGroups(std::vector<ParamGroup<Options>> groups) {
    for (ParamGroup<Options> &g : groups)
      add_param_group(std::move(g));
  }
  /// The options in the JSON optionsJson() writes; throws for a missing
  /// or unknown key.
  virtual Options parseOptions(const std::string &json) const = 0;
  virtual std::string printOptions(const Options &options) const = 0;
  std::string optionsJson(size_t group) const override {
    return printOptions(options(group));
  }
  void setOptionsJson(const std::vector<std::string> &groups) override {
    std::vector<Options> parsed;
    for (size_t i = 0; i < groups.size(); ++i) {
      parsed.push_back(parseOptions(groups[i]));
      checkGroup({groups_.at(i).params, parsed.back()}, i);
    }
    for (size_t i = 0; i < groups.size(); ++i)
      groups_[i].options = parsed[i];
  }
  std::vector<std::vector<Tensor>> groupParams() const override {
    std::vector<std::vector<Tensor>> out;
    for (const ParamGroup<Options> &g : groups_)
      out.push_back(g.params);
    return out;
  }
  /// Throws, naming the optimizer and the group, for bad options.
  virtual void checkGroup(const ParamGroup<Options> &group,
                          size_t index) const = 0;

  std::vector<ParamGroup<Options>> groups_;
  Options defaults_;
};

struct SGDOptions {
  double lr = 1e-3;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
};

/// Stochastic gradient descent, as torch.optim.SGD: weight decay, momentum
/// with dampening (the first step's buffer is the gradient itself), Nesterov.
class SGD : public OptimizerWithOptions<SGDOptions> {
public:
  SGD(std::vector<Tensor> params, SGDOptions options = {});
  SGD(std::vector<ParamGroup<SGDOptions>> groups, SGDOptions defaults = {});
  void step(Tensor::Loc loc = Tensor::Loc::current()) override;
  std::optional<double> get_momentum(size_t group) const override;
  void set_momentum(size_t group, double momentum) override;

protected:
  void checkGroup(const ParamGroup<SGDOptions> &group,
                  size_t index) const override;
  const char *name() const override;
  std::vector<std::string> stateNames() const override;
  SGDOptions parseOptions(const std::string &json) const override;
  std::string printOptions(const SGDOptions &options) const override;
};

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
  bool amsgrad = false;
};

/// Adam, as torch.optim.Adam (weight decay added to the gradient; amsgrad).
class Adam : public OptimizerWithOptions<AdamOptions> {
public:
  Adam(std::vector<Tensor> params, AdamOptions options = {});
  Adam(std::vector<ParamGroup<AdamOptions>> groups, AdamOptions defaults = {});
  void step(Tensor::Loc loc = Tensor::Loc::current()) override;
  std::optional<double> get_momentum(size_t group) const override;
  void set_momentum(size_t group, double beta1) override;

protected:
  Adam(std::vector<ParamGroup<AdamOptions>> groups, AdamOptions defaults,
       bool decoupled);
  void checkGroup(const ParamGroup<AdamOptions> &group,
                  size_t index) const override;
  const char *name() const override;
  std::vector<std::string> stateNames() const override;
  AdamOptions parseOptions(const std::string &json) const override;
  std::string printOptions(const AdamOptions &options) const override;

private:
  bool decoupled_ = false; ///< AdamW
};

/// AdamW's options: Adam's, with PyTorch's AdamW default weight decay.
struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;
  bool amsgrad = false;
  operator AdamOptions() const {
    return {lr, beta1, beta2, eps, weight_decay, amsgrad};
  }
};

/// AdamW, as torch.optim.AdamW: Adam with the weight decay applied to the
/// parameter (p *= 1 - lr * weight_decay) instead of the gradient. Its
/// options default to PyTorch's AdamW ones (weight decay 1e-2), also in
/// groups; param_groups() holds them as AdamOptions.
class AdamW : public Adam {
public:
  AdamW(std::vector<Tensor> params, AdamWOptions options = {});
  AdamW(std::vector<ParamGroup<AdamWOptions>> groups,
        AdamWOptions defaults = {});
};

struct RMSpropOptions {
  double lr = 1e-2;
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0;
  double momentum = 0;
  bool centered = false;
};

/// RMSprop, as torch.optim.RMSprop (momentum, centered).
class RMSprop : public OptimizerWithOptions<RMSpropOptions> {
public:
  RMSprop(std::vector<Tensor> params, RMSpropOptions options = {});
  RMSprop(std::vector<ParamGroup<RMSpropOptions>> groups,
          RMSpropOptions defaults = {});
  void step(Tensor::Loc loc = Tensor::Loc::current()) override;
  std::optional<double> get_momentum(size_t group) const override;
  void set_momentum(size_t group, double momentum) override;

protected:
  void checkGroup(const ParamGroup<RMSpropOptions> &group,
                  size_t index) const override;
  const char *name() const override;
  std::vector<std::string> stateNames() const override;
  RMSpropOptions parseOptions(const std::string &json) const override;
  std::string printOptions(const RMSpropOptions &options) const override;
};

} // namespace ember::optim

#endif // EMBER_OPTIM_OPTIMIZER_H
