//===- OptimTest.cpp - Optimizers, schedulers, clipping, init -------------===//
//
// Part of Ember. The optimizers, parameter groups, learning-rate schedulers
// and gradient clipping against what PyTorch 2.x computes for the same runs
// (optim_fixture.json, written by gen_optim_fixture.py), on the CPU and on
// a CUDA device (the emulated one with EMBER_FAKE_CUDA=1); that a schedule
// never recompiles the step; nn::init's distributions and errors.
//
//===----------------------------------------------------------------------===//

#include "TrainingTest.h"

#include <cmath>
#include <filesystem>
#include <memory>
#include <unistd.h>

using namespace ember;
using json = nlohmann::json;

namespace {

const json &fixture() {
  static const json j = test::loadJson(EMBER_OPTIM_FIXTURE);
  return j;
}

/// The fixture's two parameters, a [3, 4] matrix and a [5] vector.
struct TwoParams : nn::Module {
  Tensor a, b;
  TwoParams() {
    a = values(0, {3, 4}, [](int64_t k) { return std::cos(0.37 * k) * 1.5; });
    b = values(12, {5}, [](int64_t k) { return std::cos(0.37 * k) * 1.5; });
    register_parameter("a", a);
    register_parameter("b", b);
  }
  /// float32 of f(first + i) for the i-th element (as the fixture's Python).
  static Tensor values(int64_t first, Shape shape,
                       const std::function<double(int64_t)> &f) {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    std::vector<float> v;
    for (int64_t i = 0; i < n; ++i)
      v.push_back(static_cast<float>(f(first + i)));
    return tensor(v, shape);
  }
  /// sum(C_t * p) + 0.5 * sum(p * p) over both; grad = C_t + p.
  Tensor loss(int64_t t, const Device &device) {
    auto c = [&](int64_t k) { return std::sin(0.7 * k + 1.3 * t) * 3; };
    Tensor ca = values(0, {3, 4}, c).to(device);
    Tensor cb = values(12, {5}, c).to(device);
    return (ca * a).sum() + (a * a).sum() * 0.5 + (cb * b).sum() +
           (b * b).sum() * 0.5;
  }
  Tensor forward(const Tensor &x) override { return x; }
};

using OptimizerFactory =
    std::function<std::unique_ptr<optim::Optimizer>(TwoParams &)>;
using SchedulerFactory =
    std::function<std::unique_ptr<optim::LRScheduler>(optim::Optimizer &)>;

template <class Opt, class Options> OptimizerFactory plain(Options options) {
  return [options](TwoParams &m) {
    return std::make_unique<Opt>(m.parameters(), options);
  };
}

template <class Opt, class Options>
OptimizerFactory grouped(Options first, Options second) {
  return [first, second](TwoParams &m) {
    return std::make_unique<Opt>(std::vector<optim::ParamGroup<Options>>{
        {{m.a}, first}, {{m.b}, second}});
  };
}

/// Each run of the fixture, made the same way in Ember.
struct FixtureRun {
  OptimizerFactory optimizer;
  SchedulerFactory scheduler;
  std::function<void(TwoParams &, std::vector<double> &)> clip;
};

std::map<std::string, FixtureRun> runs() {
  using namespace optim;
  auto clipNorm = [](double maxNorm, double type) {
    return [=](TwoParams &m, std::vector<double> &norms) {
      norms.push_back(nn::utils::clip_grad_norm_(m.parameters(), maxNorm, type)
                          .item<double>());
    };
  };
  return {
      {"sgd", {plain<SGD>(SGDOptions{.lr = 0.1})}},
      {"sgd_momentum",
       {plain<SGD>(SGDOptions{.lr = 0.05,
                              .momentum = 0.9,
                              .dampening = 0.3,
                              .weight_decay = 0.01})}},
      {"sgd_nesterov",
       {plain<SGD>(SGDOptions{.lr = 0.05,
                              .momentum = 0.8,
                              .weight_decay = 0.02,
                              .nesterov = true})}},
      {"adam", {plain<Adam>(AdamOptions{.lr = 0.05})}},
      {"adam_amsgrad",
       {plain<Adam>(AdamOptions{.lr = 0.05,
                                .beta1 = 0.8,
                                .beta2 = 0.9,
                                .eps = 1e-6,
                                .weight_decay = 0.05,
                                .amsgrad = true})}},
      // (PyTorch's default weight decay, 1e-2, without saying it.)
      {"adamw", {plain<AdamW>(AdamWOptions{.lr = 0.05})}},
      {"adamw_amsgrad",
       {plain<AdamW>(
           AdamWOptions{.lr = 0.05, .weight_decay = 0.1, .amsgrad = true})}},
      {"rmsprop", {plain<RMSprop>(RMSpropOptions{.lr = 0.01})}},
      {"rmsprop_centered",
       {plain<RMSprop>(RMSpropOptions{.lr = 0.01,
                                      .alpha = 0.9,
                                      .weight_decay = 0.01,
                                      .momentum = 0.5,
                                      .centered = true})}},
      {"groups_sgd",
       {grouped<SGD>(SGDOptions{.lr = 0.02},
                     SGDOptions{.lr = 0.2, .momentum = 0.9})}},
      {"groups_adam",
       {grouped<Adam>(AdamOptions{.lr = 0.05},
                      AdamOptions{.lr = 0.01, .amsgrad = true})}},
      {"onecycle_sgd",
       {plain<SGD>(SGDOptions{.lr = 0.1, .momentum = 0.9}),
        [](Optimizer &o) { return std::make_unique<OneCycleLR>(o, 0.3, 6); }}},
      {"onecycle_adam",
       {plain<Adam>(AdamOptions{.lr = 0.1}),
        [](Optimizer &o) {
          return std::make_unique<OneCycleLR>(
              o, 0.2, 6,
              OneCycleLROptions{.anneal_strategy =
                                    OneCycleLROptions::Anneal::Linear,
                                .three_phase = true});
        }}},
      {"steplr_sgd",
       {plain<SGD>(SGDOptions{.lr = 0.1}),
        [](Optimizer &o) { return std::make_unique<StepLR>(o, 2, 0.5); }}},
      {"clip_norm2", {plain<SGD>(SGDOptions{.lr = 0.1}), {}, clipNorm(2, 2)}},
      {"clip_norm1", {plain<SGD>(SGDOptions{.lr = 0.1}), {}, clipNorm(5, 1)}},
      {"clip_norminf",
       {plain<SGD>(SGDOptions{.lr = 0.1}), {}, clipNorm(1.5, INFINITY)}},
      {"clip_value",
       {plain<SGD>(SGDOptions{.lr = 0.1}),
        {},
        [](TwoParams &m, std::vector<double> &) {
          nn::utils::clip_grad_value_(m.parameters(), 1.0);
        }}},
  };
}

using OptimTest = test::OnEachDevice;

/// max |a - e| / (atol + rtol |e|) <= 1, or a message naming the worst.
::testing::AssertionResult close(const std::vector<float> &actual,
                                 const json &expected, double rtol,
                                 double atol) {
  if (actual.size() != expected.size())
    return ::testing::AssertionFailure()
           << actual.size() << " values, expected " << expected.size();
  for (size_t i = 0; i < actual.size(); ++i) {
    double e = expected[i].get<double>();
    if (!(std::abs(actual[i] - e) <= atol + rtol * std::abs(e)))
      return ::testing::AssertionFailure()
             << "element " << i << ": " << actual[i] << ", PyTorch " << e;
  }
  return ::testing::AssertionSuccess();
}

TEST_P(OptimTest, RunsMatchPyTorch) {
  const json &expected = fixture()["runs"];
  std::map<std::string, FixtureRun> all = runs();
  ASSERT_EQ(all.size(), expected.size()) << "a run of the fixture is missing";
  for (auto &[name, run] : all) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(expected.contains(name));
    const json &want = expected[name];
    TwoParams model;
    model.to(device_);
    std::unique_ptr<optim::Optimizer> opt = run.optimizer(model);
    std::unique_ptr<optim::LRScheduler> scheduler;
    if (run.scheduler)
      scheduler = run.scheduler(*opt);
    std::vector<double> norms;
    for (int64_t t = 0; t < fixture()["steps"].get<int64_t>(); ++t) {
      SCOPED_TRACE("step " + std::to_string(t));
      model.loss(t, device_).backward();
      if (run.clip)
        run.clip(model, norms);
      opt->step();
      opt->zero_grad();
      for (size_t g = 0; g < opt->num_param_groups(); ++g) {
        EXPECT_EQ(opt->get_lr(g), want["lr"][t][g].get<double>());
        EXPECT_EQ(opt->get_momentum(g).value_or(0),
                  want["momentum"][t][g].get<double>());
      }
      if (scheduler)
        scheduler->step();
      EXPECT_TRUE(close(model.a.to_vector(), want["params"][t][0], 2e-5, 2e-6));
      EXPECT_TRUE(close(model.b.to_vector(), want["params"][t][1], 2e-5, 2e-6));
    }
    ASSERT_EQ(norms.size(), want["norms"].size());
    for (size_t i = 0; i < norms.size(); ++i)
      EXPECT_NEAR(norms[i], want["norms"][i].get<double>(),
                  1e-5 * want["norms"][i].get<double>());
  }
}

TEST_P(OptimTest, StateHasPyTorchsNamesAndFollowsTheSteps) {
  TwoParams model;
  model.to(device_);
  optim::Adam opt(model.parameters(), {.lr = 0.1, .amsgrad = true});
  EXPECT_EQ(opt.state(model.a).step, 0);
  EXPECT_TRUE(opt.state(model.a).tensors.empty());
  for (int t = 0; t < 3; ++t) {
    model.loss(t, device_).backward();
    opt.step();
    opt.zero_grad();
  }
  const optim::ParamState &s = opt.state(model.a);
  EXPECT_EQ(s.step, 3);
  std::vector<std::string> names;
  for (const auto &[name, value] : s.tensors) {
    names.push_back(name);
    EXPECT_EQ(value.shape(), model.a.shape());
    EXPECT_EQ(value.device(), device_);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"exp_avg", "exp_avg_sq",
                                             "max_exp_avg_sq"}));
  // amsgrad: the maximum never falls below the second moment.
  std::vector<float> v = s.tensors.at("exp_avg_sq").to_vector();
  std::vector<float> vmax = s.tensors.at("max_exp_avg_sq").to_vector();
  for (size_t i = 0; i < v.size(); ++i)
    EXPECT_GE(vmax[i], v[i]);
  // A parameter without a gradient takes no step (as in PyTorch).
  model.a.zero_grad_();
  (model.b * model.b).sum().backward();
  opt.step();
  EXPECT_EQ(opt.state(model.a).step, 3);
  EXPECT_EQ(opt.state(model.b).step, 4);
  Tensor stranger = zeros({2});
  EXPECT_THROW(opt.state(stranger), Error);
}

/// The learning rate and the momentum are scalar inputs of the step graph:
/// a schedule changing both every step compiles the step once.
TEST_P(OptimTest, SchedulesDoNotRecompileTheStep) {
  manual_seed(7);
  nn::Sequential model{nn::Linear(6, 8), nn::ReLU(), nn::Linear(8, 3)};
  model.to(device_);
  optim::SGD opt(model.parameters(), {.lr = 0.1, .momentum = 0.9});
  optim::OneCycleLR scheduler(opt, 0.5, 8);
  Tensor x = randn({4, 6}).to(device_);
  Tensor y = tensor(std::vector<int64_t>{0, 2, 1, 0}, {4}).to(device_);
  auto trainStep = [&] {
    nn::CrossEntropyLoss()(model(x), y).backward();
    nn::utils::clip_grad_norm_(model.parameters(), 1.0);
    opt.step();
    opt.zero_grad();
    scheduler.step();
  };
  trainStep();
  uint64_t compiled = cache_stats().compilations;
  std::vector<double> lrs, momenta;
  for (int i = 0; i < 6; ++i) {
    trainStep();
    lrs.push_back(opt.get_lr(0));
    momenta.push_back(*opt.get_momentum(0));
  }
  EXPECT_EQ(cache_stats().compilations, compiled);
  // (and the schedule did move both)
  EXPECT_NE(lrs.front(), lrs.back());
  EXPECT_NE(momenta.front(), momenta.back());
}

/// Training stopped after 3 steps, saved (model, optimizer and scheduler)
/// and resumed in fresh objects continues exactly as the uninterrupted
/// run: the same parameters, bit for bit.
TEST_P(OptimTest, ResumingFromACheckpointIsBitIdentical) {
  using namespace optim;
  struct Case {
    const char *name;
    OptimizerFactory optimizer;
    SchedulerFactory scheduler;
  };
  std::vector<Case> cases = {
      {"adam_amsgrad+steplr",
       plain<Adam>(
           AdamOptions{.lr = 0.05, .weight_decay = 0.01, .amsgrad = true}),
       [](Optimizer &o) { return std::make_unique<StepLR>(o, 2, 0.5); }},
      {"sgd_nesterov+onecycle",
       plain<SGD>(SGDOptions{.lr = 0.1, .momentum = 0.9, .nesterov = true}),
       [](Optimizer &o) { return std::make_unique<OneCycleLR>(o, 0.3, 6); }},
      {"rmsprop_centered+cosine",
       plain<RMSprop>(RMSpropOptions{.momentum = 0.5, .centered = true}),
       [](Optimizer &o) {
         return std::make_unique<CosineAnnealingLR>(o, 4, 1e-3);
       }},
      {"groups_adamw",
       grouped<AdamW>(AdamWOptions{.lr = 0.02}, AdamWOptions{.lr = 0.05}),
       {}},
  };
  std::string dir = (std::filesystem::temp_directory_path() /
                     ("ember-optim-resume-" + std::to_string(getpid())))
                        .string();
  std::filesystem::create_directories(dir);
  for (const Case &c : cases) {
    SCOPED_TRACE(c.name);
    auto train = [&](TwoParams &model, Optimizer &opt, LRScheduler *sched,
                     int64_t from, int64_t to) {
      for (int64_t t = from; t < to; ++t) {
        model.loss(t, device_).backward();
        opt.step();
        opt.zero_grad();
        if (sched)
          sched->step();
      }
    };
    TwoParams whole;
    whole.to(device_);
    auto wholeOpt = c.optimizer(whole);
    auto wholeSched = c.scheduler ? c.scheduler(*wholeOpt) : nullptr;
    train(whole, *wholeOpt, wholeSched.get(), 0, 6);

    std::string modelPath = dir + "/model.safetensors";
    std::string optimPath = dir + "/optim.safetensors";
    {
      TwoParams first;
      first.to(device_);
      auto opt = c.optimizer(first);
      auto sched = c.scheduler ? c.scheduler(*opt) : nullptr;
      train(first, *opt, sched.get(), 0, 3);
      save_safetensors(first.state_dict(), modelPath);
      OptimizerState state = opt->state_dict();
      if (sched)
        state.metadata["scheduler"] = sched->state_dict();
      save_safetensors(state.tensors, optimPath, state.metadata);
    }
    TwoParams resumed;
    resumed.to(device_);
    nn::init::normal_(resumed.a); // (the checkpoint must replace these)
    auto opt = c.optimizer(resumed);
    auto sched = c.scheduler ? c.scheduler(*opt) : nullptr;
    resumed.load_state_dict(load_safetensors(modelPath));
    OptimizerState state;
    state.tensors = load_safetensors(optimPath, &state.metadata);
    opt->load_state_dict(state);
    if (sched)
      sched->load_state_dict(state.metadata.at("scheduler"));
    EXPECT_EQ(opt->state(resumed.a).step, 3);
    train(resumed, *opt, sched.get(), 3, 6);
    EXPECT_EQ(resumed.a.to_vector(), whole.a.to_vector());
    EXPECT_EQ(resumed.b.to_vector(), whole.b.to_vector());
    for (size_t g = 0; g < opt->num_param_groups(); ++g)
      EXPECT_EQ(opt->get_lr(g), wholeOpt->get_lr(g));
  }
  std::filesystem::remove_all(dir);
}

TEST_P(OptimTest, ALoadThatFailsChangesNothing) {
  TwoParams model;
  model.to(device_);
  optim::Adam adam(model.parameters(), {.lr = 0.05});
  for (int t = 0; t < 2; ++t) {
    model.loss(t, device_).backward();
    adam.step();
    adam.zero_grad();
  }
  optim::OptimizerState good = adam.state_dict();
  EXPECT_EQ(good.metadata.at("optimizer"), "Adam");
  EXPECT_EQ(nlohmann::json::parse(good.metadata.at("param_groups"))[0]["betas"],
            nlohmann::json({0.9, 0.999}));
  std::vector<float> m = adam.state(model.a).tensors.at("exp_avg").to_vector();
  auto message = [&](const optim::OptimizerState &s) {
    try {
      adam.load_state_dict(s);
    } catch (const Error &e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  optim::OptimizerState bad = good;
  bad.metadata["optimizer"] = "SGD";
  EXPECT_EQ(message(bad),
            "Adam: load_state_dict: the state is of SGD, not Adam");
  bad = good;
  bad.metadata["param_groups"] =
      R"([{"lr":0.1,"betas":[0.9,0.999],"eps":1e-8,"weight_decay":0,"amsgrad":false,"params":[0]}])";
  EXPECT_NE(message(bad).find("group 0 of the state has parameters [0], this "
                              "optimizer's [0,1]"),
            std::string::npos);
  bad = good;
  bad.metadata["param_groups"] =
      R"([{"lr":0.1,"betas":[0.9,1.5],"eps":1e-8,"weight_decay":0,"amsgrad":false,"params":[0,1]}])";
  EXPECT_NE(message(bad).find("invalid beta2 in group 0"), std::string::npos);
  bad = good;
  bad.metadata["param_groups"] =
      R"([{"lr":0.1,"betas":[0.9,0.99],"eps":1e-8,"weight_decay":0,"params":[0,1]}])";
  EXPECT_NE(message(bad).find("lack 'amsgrad'"), std::string::npos);
  bad = good;
  bad.metadata["param_groups"] = "[{";
  EXPECT_EQ(message(bad), "Adam: load_state_dict: the state's param_groups "
                          "metadata is not valid JSON");
  bad = good;
  for (auto &[name, t] : bad.tensors)
    if (name == "state.1.exp_avg")
      t = zeros({4});
  EXPECT_NE(message(bad).find("'state.1.exp_avg' is float32 [4], its "
                              "parameter float32 [5]"),
            std::string::npos);
  bad = good;
  bad.tensors.emplace_back("state.0.momentum_buffer", zeros({3, 4}));
  EXPECT_NE(message(bad).find("Adam has no state 'momentum_buffer'"),
            std::string::npos);
  bad = good;
  bad.tensors.emplace_back("state.7.exp_avg", zeros({3, 4}));
  EXPECT_NE(message(bad).find("is for parameter 7; the optimizer has 2"),
            std::string::npos);
  bad = good;
  std::erase_if(bad.tensors,
                [](const auto &e) { return e.first == "state.0.step"; });
  EXPECT_NE(message(bad).find("parameter 0 has state but no 'state.0.step'"),
            std::string::npos);
  // After all those, the optimizer is as it was.
  EXPECT_EQ(adam.options().lr, 0.05);
  EXPECT_EQ(adam.state(model.a).step, 2);
  EXPECT_EQ(adam.state(model.a).tensors.at("exp_avg").to_vector(), m);
  // A good load works, and a scheduler's bad state is an error too.
  EXPECT_EQ(message(good), "no error");
  optim::StepLR sched(adam, 2);
  EXPECT_THROW(sched.load_state_dict(R"({"last_epoch":1})"), Error);
  EXPECT_THROW(sched.load_state_dict("not json"), Error);
  EXPECT_EQ(sched.last_epoch(), 0);
}

EMBER_ON_EACH_DEVICE(OptimTest);

/// An optimizer over two groups, with the fixture's learning rates.
struct Groups {
  TwoParams model;
  optim::SGD opt{std::vector<optim::ParamGroup<optim::SGDOptions>>{
      {{model.a}, {.lr = 0.1, .momentum = 0.9}},
      {{model.b}, {.lr = 0.03, .momentum = 0.9}}}};
};

std::map<std::string, SchedulerFactory> schedulers() {
  using namespace optim;
  return {
      {"step",
       [](Optimizer &o) { return std::make_unique<StepLR>(o, 3, 0.5); }},
      {"multistep",
       [](Optimizer &o) {
         return std::make_unique<MultiStepLR>(
             o, std::vector<int64_t>{2, 5, 5, 11}, 0.3);
       }},
      {"exponential",
       [](Optimizer &o) { return std::make_unique<ExponentialLR>(o, 0.93); }},
      {"cosine",
       [](Optimizer &o) {
         return std::make_unique<CosineAnnealingLR>(o, 7, 0.001);
       }},
      {"lambda",
       [](Optimizer &o) {
         return std::make_unique<LambdaLR>(
             o, std::vector<LambdaLR::Lambda>{
                    [](int64_t e) { return 1.0 / (1 + e); },
                    [](int64_t e) { return std::pow(0.95, e); }});
       }},
      {"onecycle_cos",
       [](Optimizer &o) {
         return std::make_unique<OneCycleLR>(o, std::vector<double>{0.5, 0.2},
                                             25);
       }},
      {"onecycle_linear3",
       [](Optimizer &o) {
         return std::make_unique<OneCycleLR>(
             o, 0.4, 25,
             OneCycleLROptions{.pct_start = 0.25,
                               .anneal_strategy =
                                   OneCycleLROptions::Anneal::Linear,
                               .base_momentum = 0.8,
                               .max_momentum = 0.9,
                               .div_factor = 10,
                               .final_div_factor = 100,
                               .three_phase = true});
       }},
  };
}

/// Every schedule's learning rates (and OneCycleLR's momenta) are
/// PyTorch's, bit for bit: the same recurrences in the same order.
TEST(SchedulerTest, LearningRatesArePyTorchsExactly) {
  const json &expected = fixture()["schedules"];
  for (auto &[name, make] : schedulers()) {
    SCOPED_TRACE(name);
    const json &want = expected.at(name);
    Groups g;
    std::unique_ptr<optim::LRScheduler> s = make(g.opt);
    for (size_t e = 0; e < want["lr"].size(); ++e) {
      SCOPED_TRACE("epoch " + std::to_string(e));
      if (e > 0)
        s->step();
      for (size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(g.opt.get_lr(i), want["lr"][e][i].get<double>());
        EXPECT_EQ(s->get_last_lr()[i], want["lr"][e][i].get<double>());
        EXPECT_EQ(*g.opt.get_momentum(i), want["momentum"][e][i].get<double>());
      }
    }
    EXPECT_EQ(s->last_epoch(), static_cast<int64_t>(want["lr"].size()) - 1);
  }
}

TEST(SchedulerTest, ReduceLROnPlateauIsPyTorchs) {
  std::vector<double> metrics = {
      1.0, 0.9, 0.95, 0.95, 0.95, 0.89, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.5,
      0.6, 0.6, 0.6,  0.6,  0.6,  0.6,  0.6, 0.6, 0.6, 0.6, 0.6, 0.6};
  using O = optim::ReduceLROnPlateauOptions;
  struct Case {
    const char *name;
    O options;
    double sign;
  } cases[] = {
      {"plateau_min",
       {.factor = 0.5, .patience = 2, .cooldown = 1, .min_lr = 0.004},
       1},
      {"plateau_max_abs",
       {.mode = O::Mode::Max,
        .factor = 0.2,
        .patience = 1,
        .threshold = 0.05,
        .threshold_mode = O::ThresholdMode::Abs},
       -1},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.name);
    const json &want = fixture()["schedules"].at(c.name)["lr"];
    Groups g;
    optim::ReduceLROnPlateau s(g.opt, c.options);
    for (size_t e = 0; e < want.size(); ++e) {
      if (e > 0)
        s.step(c.sign * metrics[e - 1]);
      for (size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(g.opt.get_lr(i), want[e][i].get<double>()) << "epoch " << e;
        EXPECT_EQ(s.get_last_lr()[i], want[e][i].get<double>());
      }
    }
  }
}

/// A scheduler made after another starts from the groups' initial rates,
/// as PyTorch's (a warm-up that set the rate to 0 does not make the
/// cosine's base 0).
TEST(SchedulerTest, ChainedSchedulersShareTheInitialRates) {
  Groups g;
  optim::LambdaLR warmup(g.opt, [](int64_t e) { return e / 5.0; });
  EXPECT_EQ(g.opt.get_lr(0), 0.0);
  optim::CosineAnnealingLR cosine(g.opt, 10);
  nlohmann::json state = nlohmann::json::parse(cosine.state_dict());
  EXPECT_EQ(state["base_lrs"], nlohmann::json({0.1, 0.03}));
  EXPECT_EQ(*g.opt.initial_lr(0), 0.1);
}

TEST(SchedulerTest, BadSchedulesAreErrors) {
  Groups g;
  EXPECT_THROW(optim::StepLR(g.opt, 0), Error);
  EXPECT_THROW(optim::CosineAnnealingLR(g.opt, 0), Error);
  EXPECT_THROW(
      optim::LambdaLR(g.opt, std::vector<optim::LambdaLR::Lambda>{[](int64_t) {
                        return 1.0;
                      }}),
      Error); // one lambda for two groups
  EXPECT_THROW(optim::OneCycleLR(g.opt, std::vector<double>{0.1}, 5), Error);
  EXPECT_THROW(optim::OneCycleLR(g.opt, 0.1, 5, {.pct_start = 1.5}), Error);
  EXPECT_THROW(optim::ReduceLROnPlateau(g.opt, {.factor = 1.0}), Error);
  // Past the last step of a one-cycle schedule.
  optim::OneCycleLR once(g.opt, 0.1, 2);
  once.step();
  once.step();
  try {
    once.step();
    ADD_FAILURE() << "no error";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("tried to step 3 times"),
              std::string::npos)
        << e.what();
  }
}

TEST(OptimizerErrors, NameTheOptimizerTheGroupAndTheOption) {
  TwoParams m;
  auto message = test::errorOf;
  EXPECT_EQ(message([&] { optim::SGD(m.parameters(), {.lr = -1}); }),
            "SGD: invalid lr in group 0: -1 (must be in [0, inf))");
  EXPECT_NE(message([&] {
              optim::Adam(std::vector<optim::ParamGroup<optim::AdamOptions>>{
                  {{m.a}, {}}, {{m.b}, {.beta2 = 1.0}}});
            }).find("Adam: invalid beta2 in group 1: 1"),
            std::string::npos);
  EXPECT_NE(message([&] {
              optim::SGD(m.parameters(), {.momentum = 0, .nesterov = true});
            }).find("Nesterov"),
            std::string::npos);
  EXPECT_NE(message([&] {
              optim::RMSprop(
                  std::vector<optim::ParamGroup<optim::RMSpropOptions>>{
                      {{m.a, m.b}, {}}, {{m.b}, {}}});
            }).find("parameter 0 of group 1 (shape [5]) is already in a group"),
            std::string::npos);
  Tensor frozen = zeros({3});
  EXPECT_NE(message([&] {
              optim::AdamW({frozen});
            }).find("AdamW: parameter 0 of group 0 does not require grad"),
            std::string::npos);
  // add_param_group checks the same.
  optim::SGD opt({m.a});
  EXPECT_THROW(opt.add_param_group({{m.a}, {}}), Error);
  opt.add_param_group({{m.b}, {.lr = 0.5}});
  EXPECT_EQ(opt.num_param_groups(), 2u);
  EXPECT_EQ(opt.params().size(), 2u);
  // Options for a scheduler to cycle: every optimizer has a momentum.
  EXPECT_EQ(*opt.get_momentum(1), 0.0);
}

TEST(ClipTest, NormTypesAndErrors) {
  TwoParams m;
  EXPECT_THROW(nn::utils::clip_grad_norm_(m.parameters(), 1.0, 3.0), Error);
  // No gradients: a zero norm, nothing to clip.
  EXPECT_EQ(nn::utils::clip_grad_norm_(m.parameters(), 1.0).item(), 0.0f);
  // A NaN gradient is an error only when asked.
  (m.a.sum() * std::nan("")).backward();
  EXPECT_THROW(nn::utils::clip_grad_norm_(m.parameters(), 1.0, 2.0, true),
               Error);
  Tensor norm = nn::utils::clip_grad_norm_(m.parameters(), 1.0);
  EXPECT_TRUE(std::isnan(norm.item()));
  EXPECT_THROW(nn::utils::clip_grad_value_(m.parameters(), -1.0), Error);
  // The infinity norm keeps a NaN of the first parameter too (the second's
  // finite maximum does not replace it), so it is an error when asked.
  m.zero_grad();
  ((m.a.sum() * std::nan("")) + (m.b * 3.0).sum()).backward();
  EXPECT_TRUE(std::isnan(
      nn::utils::clip_grad_norm_(m.parameters(), 1.0, INFINITY).item()));
  EXPECT_THROW(nn::utils::clip_grad_norm_(m.parameters(), 1.0, INFINITY, true),
               Error);
}

/// A step that fails (here anomaly detection finds a NaN) counts no step:
/// Adam's next bias correction is the first step's.
TEST(OptimizerErrors, AFailedStepCountsNoStep) {
  TwoParams m;
  optim::Adam adam(m.parameters(), {.lr = 0.1});
  set_detect_anomaly(true);
  (m.a.sum() * std::nan("")).backward();
  EXPECT_THROW(adam.step(), Error);
  set_detect_anomaly(false);
  adam.zero_grad();
  EXPECT_EQ(adam.state(m.a).step, 0);
  std::vector<float> before = m.a.to_vector();
  (m.a * 2.0).sum().backward();
  adam.step();
  EXPECT_EQ(adam.state(m.a).step, 1);
  // First step: lr * sign(g) exactly as in NNTest.AdamStepMatchesTheFormula.
  std::vector<float> after = m.a.to_vector();
  for (size_t i = 0; i < after.size(); ++i)
    EXPECT_NEAR(after[i], before[i] - 0.1, 1e-6) << i;
}

TEST(InitTest, DistributionsAndFans) {
  manual_seed(123);
  Tensor w = zeros({64, 32, 3, 3});
  auto [in, out] = nn::init::calculate_fan_in_and_fan_out(w);
  EXPECT_EQ(in, 32 * 9);
  EXPECT_EQ(out, 64 * 9);
  auto stats = [](const Tensor &t) {
    std::vector<float> v = t.to_vector();
    double mean = 0, sq = 0, lo = INFINITY, hi = -INFINITY;
    for (float x : v) {
      mean += x;
      sq += double(x) * x;
      lo = std::min<double>(lo, x);
      hi = std::max<double>(hi, x);
    }
    mean /= v.size();
    return std::array<double, 4>{mean, std::sqrt(sq / v.size() - mean * mean),
                                 lo, hi};
  };
  // 18432 draws: the standard error of a mean is std / 136.
  double gain = std::sqrt(2.0);
  nn::init::kaiming_uniform_(w, 0, nn::init::FanMode::FanIn, "relu");
  double bound = gain * std::sqrt(3.0 / in);
  auto s = stats(w);
  EXPECT_LE(s[3], bound);
  EXPECT_GE(s[2], -bound);
  EXPECT_GT(s[3], 0.99 * bound);
  EXPECT_NEAR(s[1], bound / std::sqrt(3.0), 0.02 * bound);
  nn::init::kaiming_normal_(w, 0, nn::init::FanMode::FanOut, "relu");
  s = stats(w);
  EXPECT_NEAR(s[0], 0, 4 * gain / std::sqrt(out) / 136);
  EXPECT_NEAR(s[1], gain / std::sqrt(out), 0.02 * gain / std::sqrt(out));
  nn::init::xavier_uniform_(w, 2.0);
  bound = 2.0 * std::sqrt(6.0 / (in + out));
  s = stats(w);
  EXPECT_LE(s[3], bound);
  EXPECT_GT(s[3], 0.99 * bound);
  nn::init::xavier_normal_(w);
  s = stats(w);
  EXPECT_NEAR(s[1], std::sqrt(2.0 / (in + out)),
              0.02 * std::sqrt(2.0 / (in + out)));
  nn::init::normal_(w, 3.0, 0.5);
  s = stats(w);
  EXPECT_NEAR(s[0], 3.0, 4 * 0.5 / 136);
  nn::init::uniform_(w, -2, 5);
  s = stats(w);
  EXPECT_GE(s[2], -2);
  EXPECT_LE(s[3], 5);
  EXPECT_NEAR(s[0], 1.5, 4 * 7 / std::sqrt(12.0) / 136);
  nn::init::constant_(w, 0.25);
  s = stats(w);
  EXPECT_EQ(s[2], 0.25);
  EXPECT_EQ(s[3], 0.25);
  nn::init::ones_(w);
  EXPECT_EQ(stats(w)[2], 1.0);
  nn::init::zeros_(w);
  EXPECT_EQ(stats(w)[3], 0.0);
  EXPECT_DOUBLE_EQ(nn::init::calculate_gain("tanh"), 5.0 / 3);
  EXPECT_DOUBLE_EQ(nn::init::calculate_gain("leaky_relu", 0.2),
                   std::sqrt(2.0 / 1.04));
  EXPECT_DOUBLE_EQ(nn::init::calculate_gain("conv2d"), 1.0);
  EXPECT_THROW(nn::init::calculate_gain("swish"), Error);
}

TEST(InitTest, SeededInPlaceAndChecked) {
  // A parameter initialised in place: every handle (the module's, an
  // optimizer's) sees the values, and the same seed gives the same ones.
  nn::Linear a(5, 4), b(5, 4);
  manual_seed(9);
  nn::init::xavier_uniform_(a.weight);
  manual_seed(9);
  nn::init::xavier_uniform_(b.parameters()[0]);
  EXPECT_EQ(a.weight.to_vector(), b.weight.to_vector());
  EXPECT_TRUE(a.weight.requires_grad());
  // A value recorded from the old weights cannot run after the overwrite.
  Tensor before = a.weight * 2;
  nn::init::zeros_(a.weight);
  EXPECT_THROW(before.realize(), Error);
  try {
    nn::init::xavier_normal_(a.bias);
    ADD_FAILURE() << "no error";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("xavier_normal_: fan in and fan out "
                                         "cannot be computed for a tensor of "
                                         "rank 1 (shape [4])"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("OptimTest.cpp"), std::string::npos)
        << e.what();
  }
  // The loop docs/training.md shows.
  nn::Sequential model{nn::Conv2d(3, 8, 3), nn::ReLU(), nn::Flatten(),
                       nn::Linear(8, 2)};
  std::vector<std::vector<float>> biases;
  for (auto &[name, p] : model.named_parameters())
    if (p.dim() < 2)
      biases.push_back(p.to_vector());
  for (auto &[name, p] : model.named_parameters())
    if (p.dim() >= 2)
      nn::init::kaiming_normal_(p, 0, nn::init::FanMode::FanOut, "relu");
  size_t k = 0;
  for (auto &[name, p] : model.named_parameters())
    if (p.dim() < 2)
      EXPECT_EQ(p.to_vector(), biases[k++]) << name;
  // fan out of the convolution: 8 * 3 * 3; its weights now have that std.
  auto [in, out] = nn::init::calculate_fan_in_and_fan_out(
      model.named_parameters()[0].second);
  EXPECT_EQ(out, 72);
  EXPECT_EQ(in, 27);
  Tensor sum = a.weight + 1;
  EXPECT_THROW(nn::init::ones_(sum), Error);
  Tensor labels = zeros({3}, DType::Int64);
  EXPECT_THROW(nn::init::normal_(labels), Error);
}

} // namespace
