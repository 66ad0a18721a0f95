//===- Schedulers.h - Learning-rate schedulers ------------------*- C++ -*-===//
//
// Part of Ember. PyTorch's torch.optim.lr_scheduler, with the same
// recurrences (the "chainable" form step() uses), so the learning rates are
// PyTorch's to the last bit of a double. A scheduler sets the optimizer's
// learning rates (every group's) on construction and at each step(); the
// learning rate is a scalar input of the compiled step graph, so a
// schedule never recompiles it. Call scheduler.step() after
// optimizer.step(), as in PyTorch.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_OPTIM_SCHEDULERS_H
#define EMBER_OPTIM_SCHEDULERS_H

#include "ember/optim/Optimizer.h"

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ember::optim {

class LRScheduler {
public:
  virtual ~LRScheduler() = default;
  /// One more epoch (or step, for a per-step schedule): sets every group's
  /// learning rate.
  void step();
  /// The learning rates step() (or the constructor) set last, per group.
  const std::vector<double> &get_last_lr() const { return lastLr_; }
  /// The number of step() calls since construction.
  int64_t last_epoch() const { return lastEpoch_; }
  /// Where the schedule stands, as JSON (for the metadata of a checkpoint:
  /// docs/training.md, "Saving and resuming"). Its parameters (step_size,
  /// gamma...) are not in it: a resumed run makes the same scheduler.
  std::string state_dict() const;
  /// Resumes from state_dict()'s text; checked first (an error names the
  /// entry), nothing changes on an error. It does not set the optimizer's
  /// learning rates: those come with the optimizer's load_state_dict().
  void load_state_dict(const std::string &state);

protected:
  explicit LRScheduler(Optimizer &optimizer);
  LRScheduler(const LRScheduler &) = delete;
  LRScheduler &operator=(const LRScheduler &) = delete;
  /// Epoch 0: derived constructors call it last (PyTorch's _initial_step).
  void initialStep();
  /// The learning rates for epoch last_epoch() (PyTorch's get_lr()).
  virtual std::vector<double> computeLr() = 0;
  /// Every group's learning rate now.
  std::vector<double> currentLr() const;

  Optimizer &optimizer_;
  /// The groups' learning rates at construction (PyTorch's base_lrs).
  std::vector<double> baseLrs_;
  int64_t lastEpoch_ = -1;
  int64_t stepCount_ = 0;
  bool initial_ = false; ///< inside initialStep()

private:
  std::vector<double> lastLr_;
};

/// lr = base_lr * lambda(epoch), one function for all groups or one each.
class LambdaLR : public LRScheduler {
public:
  using Lambda = std::function<double(int64_t)>;
  LambdaLR(Optimizer &optimizer, Lambda lambda);
  LambdaLR(Optimizer &optimizer, std::vector<Lambda> lambdas);

protected:
  std::vector<double> computeLr() override;

private:
  std::vector<Lambda> lambdas_;
};

/// lr *= gamma every step_size epochs.
class StepLR : public LRScheduler {
public:
  StepLR(Optimizer &optimizer, int64_t step_size, double gamma = 0.1);

protected:
  std::vector<double> computeLr() override;

private:
  int64_t stepSize_;
  double gamma_;
};

/// lr *= gamma at each milestone (a milestone given twice multiplies by
/// gamma^2, as PyTorch's Counter does).
class MultiStepLR : public LRScheduler {
public:
  MultiStepLR(Optimizer &optimizer, std::vector<int64_t> milestones,
              double gamma = 0.1);

protected:
  std::vector<double> computeLr() override;

private:
  std::vector<int64_t> milestones_;
  double gamma_;
};

/// lr *= gamma every epoch.
class ExponentialLR : public LRScheduler {
public:
  ExponentialLR(Optimizer &optimizer, double gamma);

protected:
  std::vector<double> computeLr() override;

private:
  double gamma_;
};

/// Cosine annealing from the base lr to eta_min over T_max epochs (and back,
/// periodically, past T_max), as PyTorch's recurrence.
class CosineAnnealingLR : public LRScheduler {
public:
  CosineAnnealingLR(Optimizer &optimizer, int64_t T_max, double eta_min = 0);

protected:
  std::vector<double> computeLr() override;

private:
  int64_t tMax_;
  double etaMin_;
};

struct OneCycleLROptions {
  double pct_start = 0.3;
  enum class Anneal { Cos, Linear } anneal_strategy = Anneal::Cos;
  /// Cycles the momentum (SGD's and RMSprop's momentum, Adam's beta1)
  /// inversely to the learning rate, between these two.
  bool cycle_momentum = true;
  double base_momentum = 0.85;
  double max_momentum = 0.95;
  double div_factor = 25;
  double final_div_factor = 1e4;
  bool three_phase = false;
};

/// The 1cycle policy over total_steps steps (call step() after every
/// optimizer step): from max_lr / div_factor up to max_lr and down to
/// max_lr / div_factor / final_div_factor.
class OneCycleLR : public LRScheduler {
public:
  OneCycleLR(Optimizer &optimizer, double max_lr, int64_t total_steps,
             OneCycleLROptions options = {});
  /// One max_lr per group.
  OneCycleLR(Optimizer &optimizer, std::vector<double> max_lrs,
             int64_t total_steps, OneCycleLROptions options = {});

protected:
  std::vector<double> computeLr() override;

private:
  struct Phase {
    double endStep;
    int startLr, endLr;             ///< 0 initial, 1 max, 2 min
    int startMomentum, endMomentum; ///< 0 max, 1 base
  };
  double anneal(double start, double end, double pct) const;
  int64_t totalSteps_;
  OneCycleLROptions options_;
  std::vector<Phase> phases_;
  /// Per group: {initial, max, min} learning rates.
  std::vector<std::array<double, 3>> lrs_;
};

struct ReduceLROnPlateauOptions {
  enum class Mode { Min, Max } mode = Mode::Min;
  double factor = 0.1;
  int64_t patience = 10;
  double threshold = 1e-4;
  enum class ThresholdMode { Rel, Abs } threshold_mode = ThresholdMode::Rel;
  int64_t cooldown = 0;
  double min_lr = 0;
  double eps = 1e-8;
};

/// Multiplies the learning rates by factor when the metric given to step()
/// has not improved for more than patience epochs.
class ReduceLROnPlateau {
public:
  explicit ReduceLROnPlateau(Optimizer &optimizer,
                             ReduceLROnPlateauOptions options = {});
  void step(double metric);
  const std::vector<double> &get_last_lr() const { return lastLr_; }
  int64_t num_bad_epochs() const { return numBadEpochs_; }
  /// As LRScheduler's.
  std::string state_dict() const;
  void load_state_dict(const std::string &state);

private:
  bool isBetter(double a) const;
  Optimizer &optimizer_;
  ReduceLROnPlateauOptions options_;
  double best_;
  int64_t numBadEpochs_ = 0, cooldownCounter_ = 0, lastEpoch_ = 0;
  std::vector<double> lastLr_;
};

} // namespace ember::optim

#endif // EMBER_OPTIM_SCHEDULERS_H
