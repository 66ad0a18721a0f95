//===- Optimizer.cpp - SGD and Adam ---------------------------------------===//
//
// Part of Ember.
//
//===----------------------------------------------------------------------===//

#include "ember/optim/Optimizer.h"

#include "../Realize.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <optional>
#include <unordered_set>
#include <utility>

namespace ember::optim {

std::vector<Tensor> Optimizer::params() const {
  std::vector<Tensor> all;
  for (const std::vector<Tensor> &group : groupParams())
    all.insert(all.end(), group.begin(), group.end());
  return all;
}

void Optimizer::zero_grad() {
  for (const Tensor &p : params())
    p.zero_grad_();
}

void Optimizer::checkParams(const std::vector<Tensor> &params,
                            size_t index) const {
  std::unordered_set<const fe::Node *> seen;
  for (const std::vector<Tensor> &group : groupParams())
    for (const Tensor &p : group)
      seen.insert(p.node().get());
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor &p = params[i];
    if (!p.defined() || !p.requires_grad())
      throw Error(
          fmt::format("{}: parameter {} of group {} {}; every "
                      "parameter must be a tensor that requires grad",
                      name(), i, index,
                      p.defined() ? "does not require grad" : "is undefined"));
    if (!seen.insert(p.node().get()).second)
      throw Error(fmt::format("{}: parameter {} of group {} (shape {}) is "
                              "already in a group; a parameter may be in one "
                              "only",
                              name(), i, index, fe::shapeString(p.shape())));
  }
}

std::optional<double> Optimizer::initial_lr(size_t group) const {
  auto it = initialLr_.find(group);
  return it == initialLr_.end() ? std::nullopt
                                : std::optional<double>(it->second);
}

const ParamState &Optimizer::state(const Tensor &param) const {
  auto it = state_.find(param.node().get());
  if (it != state_.end())
    return it->second.second;
  for (const Tensor &p : params())
    if (p.node() == param.node()) {
      static const ParamState none;
      return none;
    }
  throw Error(fmt::format("{}: state: the tensor (shape {}) is not one of "
                          "the optimizer's parameters",
                          name(),
                          param.defined() ? fe::shapeString(param.shape())
                                          : std::string("undefined")));
}

Tensor Optimizer::Slot::read(const std::string &name) {
  auto it = state_.tensors.find(name);
  Tensor stored =
      it != state_.tensors.end()
          ? it->second
          : zeros(param_.shape(), param_.dtype()).to(param_.device());
  before_.emplace_back(name, stored);
  // A model moved after the optimizer's last step: the state follows it.
  return stored.to(param_.device());
}

void Optimizer::Slot::write(const std::string &name, Tensor value) {
  after_.emplace_back(name, std::move(value));
}

Tensor Optimizer::decayed(const Tensor &p, const Tensor &grad,
                          double weightDecay) {
  return weightDecay != 0 ? grad + p * weightDecay : grad;
}

void Optimizer::updateWith(Tensor::Loc loc, RuleFn rule, void *context) {
  NoGradGuard noGrad;
  fe::CallerLocation at(loc);
  std::vector<Tensor> params, newValues, state, stateBefore;
  struct Written {
    ParamState *state;
    std::string name;
  };
  std::vector<Written> written;
  std::vector<ParamState *> stepped;
  std::vector<std::vector<Tensor>> groups = groupParams();
  for (size_t group = 0; group < groups.size(); ++group)
    for (const Tensor &p : groups[group]) {
      params.push_back(p);
      newValues.emplace_back();
      Tensor g = p.grad();
      if (!g.defined())
        continue; // (PyTorch skips such a parameter: no step counted)
      auto &[holder, paramState] = state_[p.node().get()];
      holder = p;
      // The step counts only once the step has run (a step that fails,
      // an anomaly say, leaves the state as it was).
      stepped.push_back(&paramState);
      Slot slot(paramState, p);
      newValues.back() = rule(context, group, p, g, slot);
      for (auto &[name, value] : slot.after_) {
        auto before =
            std::find_if(slot.before_.begin(), slot.before_.end(),
                         [&](const auto &b) { return b.first == name; });
        stateBefore.push_back(before != slot.before_.end() ? before->second
                                                           : Tensor());
        state.push_back(value);
        written.push_back({&paramState, name});
      }
    }
  apply(params, newValues, state, stateBefore, loc);
  for (size_t k = 0; k < written.size(); ++k)
    written[k].state->tensors[written[k].name] = state[k];
  for (ParamState *s : stepped)
    ++s->step;
}

void Optimizer::apply(const std::vector<Tensor> &params,
                      const std::vector<Tensor> &newValues,
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
  bool writeGradients = std::any_of(
      unwrittenGradients_.begin(), unwrittenGradients_.end(),
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
    for (size_t i = 0; i < params.size(); ++i)
      if (newValues[i].defined())
        inPlace.push_back({newValues[i].node(), params[i].node()});
    for (size_t k = 0; k < state.size() && k < stateBefore.size(); ++k)
      if (state[k].defined() && stateBefore[k].defined())
        inPlace.push_back({state[k].node(), stateBefore[k].node()});
    writeGradients = true;
  }
  if (writeGradients)
    for (const Tensor &p : params)
      if (p.grad().defined())
        targets.push_back(p.grad().node());
  // Lazy gradients of other leaves (another optimizer's parameters, say,
  // sharing the backward()) may read these parameters too: on a GPU they
  // are computed now, before the old values go; on the CPU they are
  // redirected to the old values below, as this optimizer's own are.
  std::unordered_set<const fe::Node *> mine;
  for (const Tensor &p : params)
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
  for (size_t i = 0; i < params.size(); ++i) {
    if (!newValues[i].defined())
      continue;
    fe::Node &p = *params[i].node();
    ++p.version; // (nodes recorded from the old value must not run now)
    if (p.deviceData && newValues[i].node()->deviceData == p.deviceData) {
      // Updated in place (its gradient, if any, was computed in the step).
      p.inferenceWeight.reset();
      continue;
    }
    // A leaf sharing the old buffer.
    before.emplace_back(&p, params[i].detach(loc).node());
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

//===----------------------------------------------------------------------===//
// Saving and loading
//===----------------------------------------------------------------------===//

namespace {
using json = nlohmann::json;

/// "state.<i>.<name>" -> {i, name}; nullopt for another form.
std::optional<std::pair<size_t, std::string>>
splitStateKey(const std::string &key) {
  if (!key.starts_with("state."))
    return std::nullopt;
  size_t dot = key.find('.', 6);
  if (dot == std::string::npos || dot == 6 || dot + 1 == key.size())
    return std::nullopt;
  size_t index = 0;
  for (size_t i = 6; i < dot; ++i) {
    if (key[i] < '0' || key[i] > '9' || index > (SIZE_MAX - 9) / 10)
      return std::nullopt;
    index = index * 10 + static_cast<size_t>(key[i] - '0');
  }
  return std::make_pair(index, key.substr(dot + 1));
}

/// How one Options struct is written in JSON: numbers, flags, and pairs
/// (Adam's "betas").
template <class O> struct Codec {
  std::vector<std::pair<const char *, double O::*>> numbers;
  std::vector<std::pair<const char *, bool O::*>> flags;
  std::vector<std::tuple<const char *, double O::*, double O::*>> pairs;

  std::string print(const O &o) const {
    json j = json::object();
    for (auto [key, field] : numbers)
      j[key] = o.*field;
    for (auto [key, field] : flags)
      j[key] = o.*field;
    for (auto [key, a, b] : pairs)
      j[key] = {o.*a, o.*b};
    return j.dump();
  }

  O parse(const std::string &text, const char *optimizer) const {
    auto fail = [&](const std::string &what) -> Error {
      return Error(fmt::format("{}: load_state_dict: a parameter group's "
                               "options {}: {}",
                               optimizer, what, text));
    };
    json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object())
      throw fail("are not a JSON object");
    O o{};
    size_t known = j.contains("params") ? 1 : 0;
    auto need = [&](const char *key, bool ok) -> const json & {
      if (!j.contains(key))
        throw fail(fmt::format("lack '{}'", key));
      if (!ok)
        throw fail(fmt::format("have a '{}' of the wrong type", key));
      ++known;
      return j[key];
    };
    for (auto [key, field] : numbers)
      o.*field = need(key, j.contains(key) && j[key].is_number())
                     .template get<double>();
    for (auto [key, field] : flags)
      o.*field = need(key, j.contains(key) && j[key].is_boolean())
                     .template get<bool>();
    for (auto [key, a, b] : pairs) {
      const json &v = need(
          key, j.contains(key) && j[key].is_array() && j[key].size() == 2 &&
                   j[key][0].is_number() && j[key][1].is_number());
      o.*a = v[0].template get<double>();
      o.*b = v[1].template get<double>();
    }
    if (known != j.size())
      for (auto it = j.begin(); it != j.end(); ++it)
        if (it.key() != "params" &&
            std::none_of(numbers.begin(), numbers.end(),
                         [&](auto &f) { return it.key() == f.first; }) &&
            std::none_of(flags.begin(), flags.end(),
                         [&](auto &f) { return it.key() == f.first; }) &&
            std::none_of(pairs.begin(), pairs.end(),
                         [&](auto &f) { return it.key() == std::get<0>(f); }))
          throw fail(fmt::format("have an unknown key '{}'", it.key()));
    return o;
  }
};

const Codec<SGDOptions> sgdCodec{{{"lr", &SGDOptions::lr},
                                  {"momentum", &SGDOptions::momentum},
                                  {"dampening", &SGDOptions::dampening},
                                  {"weight_decay", &SGDOptions::weight_decay}},
                                 {{"nesterov", &SGDOptions::nesterov}},
                                 {}};
const Codec<AdamOptions> adamCodec{
    {{"lr", &AdamOptions::lr},
     {"eps", &AdamOptions::eps},
     {"weight_decay", &AdamOptions::weight_decay}},
    {{"amsgrad", &AdamOptions::amsgrad}},
    {{"betas", &AdamOptions::beta1, &AdamOptions::beta2}}};
const Codec<RMSpropOptions> rmspropCodec{
    {{"lr", &RMSpropOptions::lr},
     {"alpha", &RMSpropOptions::alpha},
     {"eps", &RMSpropOptions::eps},
     {"weight_decay", &RMSpropOptions::weight_decay},
     {"momentum", &RMSpropOptions::momentum}},
    {{"centered", &RMSpropOptions::centered}},
    {}};
} // namespace

OptimizerState Optimizer::state_dict() const {
  OptimizerState out;
  std::vector<Tensor> all = params();
  for (size_t i = 0; i < all.size(); ++i) {
    auto it = state_.find(all[i].node().get());
    if (it == state_.end() || it->second.second.step == 0)
      continue;
    const ParamState &s = it->second.second;
    out.tensors.emplace_back(fmt::format("state.{}.step", i),
                             tensor(std::vector<int64_t>{s.step}, Shape{}));
    for (const auto &[name, value] : s.tensors)
      out.tensors.emplace_back(fmt::format("state.{}.{}", i, name), value);
  }
  json groups = json::array();
  size_t first = 0;
  std::vector<std::vector<Tensor>> byGroup = groupParams();
  for (size_t g = 0; g < byGroup.size(); ++g) {
    json group = json::parse(optionsJson(g));
    json positions = json::array();
    for (size_t k = 0; k < byGroup[g].size(); ++k)
      positions.push_back(first + k);
    first += byGroup[g].size();
    group["params"] = positions;
    groups.push_back(group);
  }
  out.metadata["optimizer"] = name();
  out.metadata["param_groups"] = groups.dump();
  return out;
}

void Optimizer::load_state_dict(const OptimizerState &in) {
  auto fail = [&](const std::string &what) {
    return Error(fmt::format("{}: load_state_dict: {}", name(), what));
  };
  auto meta = [&](const char *key) -> const std::string & {
    auto it = in.metadata.find(key);
    if (it == in.metadata.end())
      throw fail(fmt::format("the state has no '{}' metadata (was it made "
                             "by an optimizer's state_dict()?)",
                             key));
    return it->second;
  };
  if (meta("optimizer") != name())
    throw fail(
        fmt::format("the state is of {}, not {}", meta("optimizer"), name()));
  // The groups: as many, with as many parameters each, in the same order.
  json groups = json::parse(meta("param_groups"), nullptr, false);
  if (groups.is_discarded())
    throw fail("the state's param_groups metadata is not valid JSON");
  std::vector<std::vector<Tensor>> byGroup = groupParams();
  if (!groups.is_array() || groups.size() != byGroup.size())
    throw fail(fmt::format("the state has {} parameter groups, this "
                           "optimizer {}",
                           groups.is_array() ? groups.size() : 0,
                           byGroup.size()));
  std::vector<std::string> options;
  size_t first = 0;
  for (size_t g = 0; g < groups.size(); ++g) {
    json expected = json::array();
    for (size_t k = 0; k < byGroup[g].size(); ++k)
      expected.push_back(first + k);
    first += byGroup[g].size();
    if (!groups[g].is_object() || groups[g].value("params", json()) != expected)
      throw fail(fmt::format("group {} of the state has parameters {}, this "
                             "optimizer's {}",
                             g,
                             groups[g].is_object()
                                 ? groups[g].value("params", json()).dump()
                                 : std::string("(none)"),
                             expected.dump()));
    options.push_back(groups[g].dump());
  }
  // The state: every tensor named, shaped and typed as its parameter's.
  std::vector<Tensor> all = params();
  std::vector<std::string> names = stateNames();
  std::map<size_t, ParamState> loaded;
  for (const auto &[key, value] : in.tensors) {
    auto split = splitStateKey(key);
    if (!split)
      throw fail(fmt::format("'{}' is not a state entry "
                             "(state.<index>.<name>)",
                             key));
    auto [i, entry] = *split;
    if (i >= all.size())
      throw fail(fmt::format("'{}' is for parameter {}; the optimizer has {}",
                             key, i, all.size()));
    if (!value.defined())
      throw fail(fmt::format("'{}' is undefined", key));
    ParamState &s = loaded[i];
    if (entry == "step") {
      if (value.dtype() != DType::Int64 || value.numel() != 1 ||
          value.item<int64_t>() < 1)
        throw fail(fmt::format("'{}' must be a positive int64 scalar", key));
      s.step = value.item<int64_t>();
      continue;
    }
    if (std::find(names.begin(), names.end(), entry) == names.end())
      throw fail(fmt::format("'{}': {} has no state '{}' (it has {})", key,
                             name(), entry, fmt::join(names, ", ")));
    const Tensor &p = all[i];
    if (value.shape() != p.shape() || value.dtype() != p.dtype())
      throw fail(fmt::format("'{}' is {} {}, its parameter {} {}", key,
                             dtypeName(value.dtype()),
                             fe::shapeString(value.shape()),
                             dtypeName(p.dtype()), fe::shapeString(p.shape())));
    // A copy of its own on the parameter's device (a GPU step updates the
    // state in its buffer).
    Tensor copy =
        tensor(value.to_vector<double>(), value.shape(), value.dtype())
            .to(p.device());
    copy.realize();
    s.tensors[entry] = copy;
  }
  for (const auto &[i, s] : loaded)
    if (s.step == 0)
      throw fail(
          fmt::format("parameter {} has state but no 'state.{}.step'", i, i));
  setOptionsJson(options); // (checks every group first)
  state_.clear();
  for (auto &[i, s] : loaded)
    state_[all[i].node().get()] = {all[i], std::move(s)};
}

namespace {
/// Throws unless every named option is finite and in [low, high) (or
/// [low, high] when `closed`).
void checkRange(const char *optimizer, size_t group, const char *option,
                double value, double low, double high = INFINITY,
                bool closed = false) {
  bool ok = std::isfinite(value) && value >= low &&
            (closed ? value <= high : value < high);
  if (!ok)
    throw Error(fmt::format("{}: invalid {} in group {}: {} (must be in "
                            "[{}, {}{})",
                            optimizer, option, group, value, low, high,
                            closed ? "]" : ")"));
}
} // namespace

//===----------------------------------------------------------------------===//
// SGD
//===----------------------------------------------------------------------===//

SGD::SGD(std::vector<Tensor> params, SGDOptions options)
    : SGD({{std::move(params), options}}, options) {}

SGD::SGD(std::vector<ParamGroup<SGDOptions>> groups, SGDOptions defaults)
    : OptimizerWithOptions(defaults) {
  addGroups(std::move(groups));
}

const char *SGD::name() const { return "SGD"; }
std::vector<std::string> SGD::stateNames() const { return {"momentum_buffer"}; }
SGDOptions SGD::parseOptions(const std::string &json) const {
  return sgdCodec.parse(json, name());
}
std::string SGD::printOptions(const SGDOptions &o) const {
  return sgdCodec.print(o);
}

void SGD::checkGroup(const ParamGroup<SGDOptions> &group, size_t i) const {
  const SGDOptions &o = group.options;
  checkRange(name(), i, "lr", o.lr, 0);
  checkRange(name(), i, "momentum", o.momentum, 0);
  checkRange(name(), i, "dampening", o.dampening, -INFINITY);
  checkRange(name(), i, "weight_decay", o.weight_decay, 0);
  if (o.nesterov && (o.momentum <= 0 || o.dampening != 0))
    throw Error(fmt::format("SGD: Nesterov momentum (group {}) requires a "
                            "momentum and zero dampening (momentum={}, "
                            "dampening={})",
                            i, o.momentum, o.dampening));
}

std::optional<double> SGD::get_momentum(size_t group) const {
  return options(group).momentum;
}

void SGD::set_momentum(size_t group, double momentum) {
  options(group).momentum = momentum;
}

void SGD::step(Tensor::Loc loc) {
  update(loc, [&](size_t group, const Tensor &p, Tensor g, Slot &slot) {
    const SGDOptions &o = options(group);
    g = decayed(p, g, o.weight_decay);
    if (o.momentum != 0) {
      // PyTorch's buffer is the gradient itself at the first step and
      // momentum * buf + (1 - dampening) * g after. The buffer starts at
      // zero and the gradient's factor is a scalar input, so every step has
      // the same graph.
      double gradientFactor = slot.step() == 1 ? 1.0 : 1.0 - o.dampening;
      Tensor buf =
          slot.read("momentum_buffer") * o.momentum + g * gradientFactor;
      slot.write("momentum_buffer", buf);
      g = o.nesterov ? g + buf * o.momentum : buf;
    }
    return p - g * o.lr;
  });
}

//===----------------------------------------------------------------------===//
// Adam and AdamW
//===----------------------------------------------------------------------===//

Adam::Adam(std::vector<Tensor> params, AdamOptions options)
    : Adam({{std::move(params), options}}, options) {}

Adam::Adam(std::vector<ParamGroup<AdamOptions>> groups, AdamOptions defaults)
    : Adam(std::move(groups), defaults, /*decoupled=*/false) {}

Adam::Adam(std::vector<ParamGroup<AdamOptions>> groups, AdamOptions defaults,
           bool decoupled)
    : OptimizerWithOptions(defaults), decoupled_(decoupled) {
  addGroups(std::move(groups));
}

const char *Adam::name() const { return decoupled_ ? "AdamW" : "Adam"; }
std::vector<std::string> Adam::stateNames() const {
  return {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
}
AdamOptions Adam::parseOptions(const std::string &json) const {
  return adamCodec.parse(json, name());
}
std::string Adam::printOptions(const AdamOptions &o) const {
  return adamCodec.print(o);
}

void Adam::checkGroup(const ParamGroup<AdamOptions> &group, size_t i) const {
  const AdamOptions &o = group.options;
  checkRange(name(), i, "lr", o.lr, 0);
  checkRange(name(), i, "eps", o.eps, 0);
  checkRange(name(), i, "beta1", o.beta1, 0, 1);
  checkRange(name(), i, "beta2", o.beta2, 0, 1);
  checkRange(name(), i, "weight_decay", o.weight_decay, 0);
}

std::optional<double> Adam::get_momentum(size_t group) const {
  return options(group).beta1;
}

void Adam::set_momentum(size_t group, double beta1) {
  options(group).beta1 = beta1;
}

void Adam::step(Tensor::Loc loc) {
  update(loc, [&](size_t group, Tensor p, Tensor g, Slot &slot) {
    const AdamOptions &o = options(group);
    if (decoupled_)
      p = p * (1 - o.lr * o.weight_decay);
    else
      g = decayed(p, g, o.weight_decay);
    // PyTorch's exp_avg.lerp_(g, 1 - beta1): m + (1 - beta1) * (g - m).
    Tensor m = slot.read("exp_avg");
    m = m + (g - m) * (1 - o.beta1);
    Tensor v = slot.read("exp_avg_sq") * o.beta2 + g * g * (1 - o.beta2);
    slot.write("exp_avg", m);
    slot.write("exp_avg_sq", v);
    // The bias corrections change every step; as scalars they are graph
    // inputs, so the graph stays the same.
    double step = static_cast<double>(slot.step());
    double correction1 = 1 - std::pow(o.beta1, step);
    double correction2 = 1 - std::pow(o.beta2, step);
    if (o.amsgrad) {
      Tensor vMax = slot.read("max_exp_avg_sq");
      // torch.maximum; a NaN in v is kept, as there.
      vMax = where(vMax.ge(v), vMax, v);
      slot.write("max_exp_avg_sq", vMax);
      v = vMax;
    }
    Tensor denominator = v.sqrt() / std::sqrt(correction2) + o.eps;
    return p - m / denominator * (o.lr / correction1);
  });
}

namespace {
std::vector<ParamGroup<AdamOptions>>
asAdamGroups(std::vector<ParamGroup<AdamWOptions>> groups) {
  std::vector<ParamGroup<AdamOptions>> out;
  for (ParamGroup<AdamWOptions> &g : groups)
    out.push_back({std::move(g.params), g.options});
  return out;
}
} // namespace

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions options)
    : AdamW({{std::move(params), options}}, options) {}

AdamW::AdamW(std::vector<ParamGroup<AdamWOptions>> groups,
             AdamWOptions defaults)
    : Adam(asAdamGroups(std::move(groups)), defaults, /*decoupled=*/true) {}

//===----------------------------------------------------------------------===//
// RMSprop
//===----------------------------------------------------------------------===//

RMSprop::RMSprop(std::vector<Tensor> params, RMSpropOptions options)
    : RMSprop({{std::move(params), options}}, options) {}

RMSprop::RMSprop(std::vector<ParamGroup<RMSpropOptions>> groups,
                 RMSpropOptions defaults)
    : OptimizerWithOptions(defaults) {
  addGroups(std::move(groups));
}

const char *RMSprop::name() const { return "RMSprop"; }
std::vector<std::string> RMSprop::stateNames() const {
  return {"square_avg", "grad_avg", "momentum_buffer"};
}
RMSpropOptions RMSprop::parseOptions(const std::string &json) const {
  return rmspropCodec.parse(json, name());
}
std::string RMSprop::printOptions(const RMSpropOptions &o) const {
  return rmspropCodec.print(o);
}

void RMSprop::checkGroup(const ParamGroup<RMSpropOptions> &group,
                         size_t i) const {
  const RMSpropOptions &o = group.options;
  checkRange(name(), i, "lr", o.lr, 0);
  checkRange(name(), i, "eps", o.eps, 0);
  checkRange(name(), i, "alpha", o.alpha, 0);
  checkRange(name(), i, "momentum", o.momentum, 0);
  checkRange(name(), i, "weight_decay", o.weight_decay, 0);
}

std::optional<double> RMSprop::get_momentum(size_t group) const {
  return options(group).momentum;
}

void RMSprop::set_momentum(size_t group, double momentum) {
  options(group).momentum = momentum;
}

void RMSprop::step(Tensor::Loc loc) {
  update(loc, [&](size_t group, const Tensor &p, Tensor g, Slot &slot) {
    const RMSpropOptions &o = options(group);
    g = decayed(p, g, o.weight_decay);
    Tensor squareAvg =
        slot.read("square_avg") * o.alpha + g * g * (1 - o.alpha);
    slot.write("square_avg", squareAvg);
    Tensor avg;
    if (o.centered) {
      Tensor gradAvg = slot.read("grad_avg");
      gradAvg = gradAvg + (g - gradAvg) * (1 - o.alpha);
      slot.write("grad_avg", gradAvg);
      avg = (squareAvg - gradAvg * gradAvg).sqrt() + o.eps;
    } else {
      avg = squareAvg.sqrt() + o.eps;
    }
    if (o.momentum > 0) {
      Tensor buf = slot.read("momentum_buffer") * o.momentum + g / avg;
      slot.write("momentum_buffer", buf);
      return p - buf * o.lr;
    }
    return p - g / avg * o.lr;
  });
}

} // namespace ember::optim
