//===- Schedulers.cpp - Learning-rate schedulers --------------------------===//
//
// Part of Ember. Each computeLr() is the get_lr() of PyTorch 2.x's
// torch/optim/lr_scheduler.py, term by term and in the same order of
// floating-point operations.
//
//===----------------------------------------------------------------------===//

#include "ember/optim/Schedulers.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace ember::optim {

LRScheduler::LRScheduler(Optimizer &optimizer) : optimizer_(optimizer) {
  // PyTorch's group.setdefault("initial_lr", group["lr"]): a scheduler
  // made after another starts from the same base rates.
  for (size_t g = 0; g < optimizer.num_param_groups(); ++g) {
    if (!optimizer.initial_lr(g))
      optimizer.set_initial_lr(g, optimizer.get_lr(g));
    baseLrs_.push_back(*optimizer.initial_lr(g));
  }
}

std::vector<double> LRScheduler::currentLr() const {
  std::vector<double> lrs;
  for (size_t g = 0; g < optimizer_.num_param_groups(); ++g)
    lrs.push_back(optimizer_.get_lr(g));
  return lrs;
}

void LRScheduler::initialStep() {
  stepCount_ = 0;
  initial_ = true;
  step();
  initial_ = false;
}

void LRScheduler::step() {
  ++stepCount_;
  ++lastEpoch_;
  std::vector<double> lrs = computeLr();
  if (lrs.size() != optimizer_.num_param_groups())
    throw Error(fmt::format("learning-rate scheduler: the optimizer has {} "
                            "parameter groups, the scheduler was made for {}",
                            optimizer_.num_param_groups(), lrs.size()));
  for (size_t g = 0; g < lrs.size(); ++g)
    optimizer_.set_lr(g, lrs[g]);
  lastLr_ = currentLr();
}

namespace {
using json = nlohmann::json;

/// The JSON object `text`, or an error naming the scheduler.
json parseState(const std::string &text, const char *scheduler) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object())
    throw Error(fmt::format("{}: load_state_dict: the state is not a JSON "
                            "object: {}",
                            scheduler, text));
  return j;
}

/// j[key], checked to be an integer >= low.
int64_t integer(const json &j, const char *key, int64_t low,
                const char *scheduler) {
  if (!j.contains(key) || !j[key].is_number_integer() ||
      j[key].get<int64_t>() < low)
    throw Error(fmt::format("{}: load_state_dict: '{}' is missing or not an "
                            "integer >= {}",
                            scheduler, key, low));
  return j[key].get<int64_t>();
}

/// j[key], checked to be a list of `count` numbers.
std::vector<double> numbers(const json &j, const char *key, size_t count,
                            const char *scheduler) {
  if (!j.contains(key) || !j[key].is_array() || j[key].size() != count ||
      !std::all_of(j[key].begin(), j[key].end(),
                   [](const json &v) { return v.is_number(); }))
    throw Error(fmt::format("{}: load_state_dict: '{}' is missing or not a "
                            "list of {} numbers (one per parameter group)",
                            scheduler, key, count));
  return j[key].get<std::vector<double>>();
}
} // namespace

std::string LRScheduler::state_dict() const {
  return json{{"last_epoch", lastEpoch_},
              {"step_count", stepCount_},
              {"base_lrs", baseLrs_},
              {"last_lr", lastLr_}}
      .dump();
}

void LRScheduler::load_state_dict(const std::string &text) {
  const char *self = "learning-rate scheduler";
  json j = parseState(text, self);
  size_t groups = optimizer_.num_param_groups();
  int64_t lastEpoch = integer(j, "last_epoch", 0, self);
  int64_t stepCount = integer(j, "step_count", 1, self);
  std::vector<double> baseLrs = numbers(j, "base_lrs", groups, self);
  std::vector<double> lastLr = numbers(j, "last_lr", groups, self);
  lastEpoch_ = lastEpoch;
  stepCount_ = stepCount;
  baseLrs_ = std::move(baseLrs);
  lastLr_ = std::move(lastLr);
  for (size_t g = 0; g < baseLrs_.size(); ++g)
    optimizer_.set_initial_lr(g, baseLrs_[g]);
}

//===----------------------------------------------------------------------===//

LambdaLR::LambdaLR(Optimizer &optimizer, Lambda lambda)
    : LambdaLR(optimizer,
               std::vector<Lambda>(optimizer.num_param_groups(), lambda)) {}

LambdaLR::LambdaLR(Optimizer &optimizer, std::vector<Lambda> lambdas)
    : LRScheduler(optimizer), lambdas_(std::move(lambdas)) {
  if (lambdas_.size() != optimizer.num_param_groups())
    throw Error(fmt::format("LambdaLR: expected {} lr_lambdas (one per "
                            "parameter group), got {}",
                            optimizer.num_param_groups(), lambdas_.size()));
  for (const Lambda &l : lambdas_)
    if (!l)
      throw Error("LambdaLR: an lr_lambda is empty");
  initialStep();
}

std::vector<double> LambdaLR::computeLr() {
  std::vector<double> lrs;
  for (size_t g = 0; g < baseLrs_.size(); ++g)
    lrs.push_back(baseLrs_[g] * lambdas_[g](lastEpoch_));
  return lrs;
}

//===----------------------------------------------------------------------===//

StepLR::StepLR(Optimizer &optimizer, int64_t step_size, double gamma)
    : LRScheduler(optimizer), stepSize_(step_size), gamma_(gamma) {
  if (step_size <= 0)
    throw Error(
        fmt::format("StepLR: step_size must be positive, not {}", step_size));
  initialStep();
}

std::vector<double> StepLR::computeLr() {
  std::vector<double> lrs = currentLr();
  if (lastEpoch_ == 0 || lastEpoch_ % stepSize_ != 0)
    return lrs;
  for (double &lr : lrs)
    lr *= gamma_;
  return lrs;
}

//===----------------------------------------------------------------------===//

MultiStepLR::MultiStepLR(Optimizer &optimizer, std::vector<int64_t> milestones,
                         double gamma)
    : LRScheduler(optimizer), milestones_(std::move(milestones)),
      gamma_(gamma) {
  initialStep();
}

std::vector<double> MultiStepLR::computeLr() {
  std::vector<double> lrs = currentLr();
  auto hits = std::count(milestones_.begin(), milestones_.end(), lastEpoch_);
  if (hits == 0)
    return lrs;
  for (double &lr : lrs)
    lr *= std::pow(gamma_, static_cast<double>(hits));
  return lrs;
}

//===----------------------------------------------------------------------===//

ExponentialLR::ExponentialLR(Optimizer &optimizer, double gamma)
    : LRScheduler(optimizer), gamma_(gamma) {
  initialStep();
}

std::vector<double> ExponentialLR::computeLr() {
  std::vector<double> lrs = currentLr();
  if (initial_)
    return lrs;
  for (double &lr : lrs)
    lr *= gamma_;
  return lrs;
}

//===----------------------------------------------------------------------===//

CosineAnnealingLR::CosineAnnealingLR(Optimizer &optimizer, int64_t T_max,
                                     double eta_min)
    : LRScheduler(optimizer), tMax_(T_max), etaMin_(eta_min) {
  if (T_max <= 0)
    throw Error(fmt::format("CosineAnnealingLR: T_max must be positive, not "
                            "{}",
                            T_max));
  initialStep();
}

std::vector<double> CosineAnnealingLR::computeLr() {
  constexpr double pi = std::numbers::pi;
  std::vector<double> lrs = currentLr();
  if (initial_)
    return lrs;
  double epoch = static_cast<double>(lastEpoch_);
  double tMax = static_cast<double>(tMax_);
  // Python's modulo: never negative.
  int64_t period = 2 * tMax_;
  int64_t phase = ((lastEpoch_ - 1 - tMax_) % period + period) % period;
  for (size_t g = 0; g < lrs.size(); ++g) {
    if (phase == 0)
      lrs[g] = lrs[g] + (baseLrs_[g] - etaMin_) * (1 - std::cos(pi / tMax)) / 2;
    else
      lrs[g] = (1 + std::cos(pi * epoch / tMax)) /
                   (1 + std::cos(pi * (epoch - 1) / tMax)) *
                   (lrs[g] - etaMin_) +
               etaMin_;
  }
  return lrs;
}

//===----------------------------------------------------------------------===//

OneCycleLR::OneCycleLR(Optimizer &optimizer, double max_lr, int64_t total_steps,
                       OneCycleLROptions options)
    : OneCycleLR(optimizer,
                 std::vector<double>(optimizer.num_param_groups(), max_lr),
                 total_steps, options) {}

OneCycleLR::OneCycleLR(Optimizer &optimizer, std::vector<double> max_lrs,
                       int64_t total_steps, OneCycleLROptions options)
    : LRScheduler(optimizer), totalSteps_(total_steps), options_(options) {
  if (total_steps <= 0)
    throw Error(fmt::format("OneCycleLR: total_steps must be positive, not "
                            "{}",
                            total_steps));
  if (!(options.pct_start >= 0 && options.pct_start <= 1))
    throw Error(fmt::format("OneCycleLR: pct_start must be in [0, 1], not {}",
                            options.pct_start));
  if (max_lrs.size() != optimizer.num_param_groups())
    throw Error(fmt::format("OneCycleLR: expected {} max_lr values (one per "
                            "parameter group), got {}",
                            optimizer.num_param_groups(), max_lrs.size()));
  double total = static_cast<double>(total_steps);
  double rise = options.pct_start * total - 1;
  enum { Initial, Max, Min };
  enum { MaxMomentum, BaseMomentum };
  if (options.three_phase)
    phases_ = {{rise, Initial, Max, MaxMomentum, BaseMomentum},
               {2 * options.pct_start * total - 2, Max, Initial, BaseMomentum,
                MaxMomentum},
               {total - 1, Initial, Min, MaxMomentum, MaxMomentum}};
  else
    phases_ = {{rise, Initial, Max, MaxMomentum, BaseMomentum},
               {total - 1, Max, Min, BaseMomentum, MaxMomentum}};
  for (double maxLr : max_lrs) {
    double initial = maxLr / options.div_factor;
    lrs_.push_back({initial, maxLr, initial / options.final_div_factor});
  }
  // PyTorch sets each group's initial_lr (so the base rates) to these.
  for (size_t g = 0; g < lrs_.size(); ++g) {
    optimizer.set_initial_lr(g, lrs_[g][Initial]);
    baseLrs_[g] = lrs_[g][Initial];
  }
  if (options.cycle_momentum)
    for (size_t g = 0; g < optimizer.num_param_groups(); ++g) {
      if (!optimizer.get_momentum(g))
        throw Error("OneCycleLR: the optimizer has no momentum or beta1 to "
                    "cycle; pass cycle_momentum = false");
      optimizer.set_momentum(g, options.max_momentum);
    }
  initialStep();
}

double OneCycleLR::anneal(double start, double end, double pct) const {
  if (options_.anneal_strategy == OneCycleLROptions::Anneal::Linear)
    return (end - start) * pct + start;
  double cosOut = std::cos(std::numbers::pi * pct) + 1;
  return end + (start - end) / 2.0 * cosOut;
}

std::vector<double> OneCycleLR::computeLr() {
  if (lastEpoch_ > totalSteps_)
    throw Error(fmt::format("OneCycleLR: tried to step {} times; the "
                            "schedule has {} steps",
                            lastEpoch_, totalSteps_));
  double stepNum = static_cast<double>(lastEpoch_);
  double momenta[2] = {options_.max_momentum, options_.base_momentum};
  std::vector<double> lrs;
  for (size_t g = 0; g < lrs_.size(); ++g) {
    double startStep = 0;
    for (size_t i = 0; i < phases_.size(); ++i) {
      const Phase &phase = phases_[i];
      if (stepNum <= phase.endStep || i + 1 == phases_.size()) {
        double pct = (stepNum - startStep) / (phase.endStep - startStep);
        lrs.push_back(
            anneal(lrs_[g][phase.startLr], lrs_[g][phase.endLr], pct));
        if (options_.cycle_momentum)
          optimizer_.set_momentum(g, anneal(momenta[phase.startMomentum],
                                            momenta[phase.endMomentum], pct));
        break;
      }
      startStep = phase.endStep;
    }
  }
  return lrs;
}

//===----------------------------------------------------------------------===//

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer &optimizer,
                                     ReduceLROnPlateauOptions options)
    : optimizer_(optimizer), options_(options) {
  if (!(options.factor < 1.0))
    throw Error(fmt::format("ReduceLROnPlateau: factor must be < 1.0, not {}",
                            options.factor));
  best_ = options.mode == ReduceLROnPlateauOptions::Mode::Min ? INFINITY
                                                              : -INFINITY;
  for (size_t g = 0; g < optimizer.num_param_groups(); ++g)
    lastLr_.push_back(optimizer.get_lr(g));
}

bool ReduceLROnPlateau::isBetter(double a) const {
  using Mode = ReduceLROnPlateauOptions::Mode;
  using ThresholdMode = ReduceLROnPlateauOptions::ThresholdMode;
  bool rel = options_.threshold_mode == ThresholdMode::Rel;
  if (options_.mode == Mode::Min)
    return rel ? a < best_ * (1.0 - options_.threshold)
               : a < best_ - options_.threshold;
  return rel ? a > best_ * (options_.threshold + 1.0)
             : a > best_ + options_.threshold;
}

std::string ReduceLROnPlateau::state_dict() const {
  // (JSON has no infinity: the best before any metric is null.)
  return json{{"best", std::isfinite(best_) ? json(best_) : json(nullptr)},
              {"num_bad_epochs", numBadEpochs_},
              {"cooldown_counter", cooldownCounter_},
              {"last_epoch", lastEpoch_},
              {"last_lr", lastLr_}}
      .dump();
}

void ReduceLROnPlateau::load_state_dict(const std::string &text) {
  const char *self = "ReduceLROnPlateau";
  json j = parseState(text, self);
  if (!j.contains("best") || !(j["best"].is_number() || j["best"].is_null()))
    throw Error("ReduceLROnPlateau: load_state_dict: 'best' is missing or "
                "not a number");
  double best =
      j["best"].is_null()
          ? (options_.mode == ReduceLROnPlateauOptions::Mode::Min ? INFINITY
                                                                  : -INFINITY)
          : j["best"].get<double>();
  int64_t bad = integer(j, "num_bad_epochs", 0, self);
  int64_t cooldown = integer(j, "cooldown_counter", 0, self);
  int64_t lastEpoch = integer(j, "last_epoch", 0, self);
  std::vector<double> lastLr =
      numbers(j, "last_lr", optimizer_.num_param_groups(), self);
  best_ = best;
  numBadEpochs_ = bad;
  cooldownCounter_ = cooldown;
  lastEpoch_ = lastEpoch;
  lastLr_ = std::move(lastLr);
}

void ReduceLROnPlateau::step(double metric) {
  ++lastEpoch_;
  if (isBetter(metric)) {
    best_ = metric;
    numBadEpochs_ = 0;
  } else {
    ++numBadEpochs_;
  }
  if (cooldownCounter_ > 0) {
    --cooldownCounter_;
    numBadEpochs_ = 0; // bad epochs in cooldown do not count
  }
  if (numBadEpochs_ > options_.patience) {
    for (size_t g = 0; g < optimizer_.num_param_groups(); ++g) {
      double old = optimizer_.get_lr(g);
      double updated = std::max(old * options_.factor, options_.min_lr);
      if (old - updated > options_.eps)
        optimizer_.set_lr(g, updated);
    }
    cooldownCounter_ = options_.cooldown;
    numBadEpochs_ = 0;
  }
  lastLr_.clear();
  for (size_t g = 0; g < optimizer_.num_param_groups(); ++g)
    lastLr_.push_back(optimizer_.get_lr(g));
}

} // namespace ember::optim
