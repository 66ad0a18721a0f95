//===- optimization.cpp - The Optimization and Save & Load chapters -------===//
//
// Part of Ember. What PyTorch's "Optimization" and "Save and Load" chapters
// do, with the training tools users reach for next: the Quickstart's
// network on FashionMNIST with random crops prepared by DataLoader worker
// threads, label-smoothed cross-entropy, AdamW with a one-cycle schedule and
// gradient clipping, then a checkpoint (model, optimizer, scheduler) half
// way, resumed in fresh objects. The resumed run must end with the very
// parameters of the uninterrupted one; the program says so, or fails.
//
//   build/bin/optimization [--steps N] [--data DIR] [--workers W]
//
//===----------------------------------------------------------------------===//

#include <ember/ember.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

using namespace ember;

struct NeuralNetwork : nn::Module {
  nn::Flatten flatten;
  nn::Sequential linear_relu_stack{nn::Linear(28 * 28, 512), nn::ReLU(),
                                   nn::Linear(512, 512), nn::ReLU(),
                                   nn::Linear(512, 10)};
  NeuralNetwork() {
    register_modules(
        {{"flatten", flatten}, {"linear_relu_stack", linear_relu_stack}});
  }
  Tensor forward(const Tensor &x) override {
    return linear_relu_stack(flatten(x));
  }
};

struct Args {
  int64_t steps = 40;
  std::string data = "data";
  int64_t workers = 2;
};

static Args parseArgs(int argc, char **argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "optimization: " << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--steps")
      args.steps = std::stoll(value());
    else if (a == "--data")
      args.data = value();
    else if (a == "--workers")
      args.workers = std::stoll(value());
    else {
      std::cerr << "usage: optimization [--steps N] [--data DIR] "
                   "[--workers W]\n";
      std::exit(a == "--help" || a == "-h" ? 0 : 2);
    }
  }
  if (args.steps < 2) {
    std::cerr << "optimization: --steps must be at least 2\n";
    std::exit(2);
  }
  return args;
}

/// Everything a run trains with, made the same way for each run.
struct Training {
  NeuralNetwork model;
  optim::AdamW optimizer;
  optim::OneCycleLR scheduler;
  nn::CrossEntropyLoss lossFn{{.label_smoothing = 0.1}};

  explicit Training(int64_t steps)
      : optimizer(model.parameters(), {.lr = 1e-3, .weight_decay = 1e-2}),
        scheduler(optimizer, /*max_lr=*/3e-3, /*total_steps=*/steps) {}

  /// Steps [from, to) of the epoch `loader` gives, printing every 10th loss.
  void train(data::DataLoader &loader, int64_t from, int64_t to) {
    model.train();
    int64_t step = 0;
    for (auto [X, y] : loader) {
      if (step >= to)
        break;
      if (step++ < from)
        continue;
      Tensor loss = lossFn(model(X), y);
      loss.backward();
      nn::utils::clip_grad_norm_(model.parameters(), /*max_norm=*/1.0);
      optimizer.step();
      optimizer.zero_grad();
      scheduler.step();
      if ((step - 1) % 10 == 0)
        std::printf("step %3lld  loss %.6f  lr %.6f\n",
                    static_cast<long long>(step - 1), loss.item(),
                    scheduler.get_last_lr()[0]);
    }
  }
};

int main(int argc, char **argv) {
  Args args = parseArgs(argc, argv);
  manual_seed(0);
  data::FashionMNIST trainingData(
      args.data, {.train = true,
                  .download = true,
                  .transform = transforms::Compose{
                      transforms::RandomCrop(28, 2), transforms::ToTensor()}});
  // The loader's seed fixes each epoch's order and crops: every run reads
  // the first epoch of a loader made alike, so all see the same batches,
  // whichever worker thread prepares them.
  auto loader = [&] {
    return data::DataLoader(trainingData, {.batch_size = 64,
                                           .shuffle = true,
                                           .seed = 1,
                                           .num_workers = args.workers});
  };
  int64_t half = args.steps / 2;

  // The uninterrupted run.
  manual_seed(42);
  Training whole(args.steps);
  std::cout << whole.model << "\n";
  std::printf("Uninterrupted run, %lld steps:\n",
              static_cast<long long>(args.steps));
  data::DataLoader wholeLoader = loader();
  whole.train(wholeLoader, 0, args.steps);

  // The same run, stopped half way and saved...
  manual_seed(42);
  std::printf("Interrupted run: steps 0-%lld, then a checkpoint\n",
              static_cast<long long>(half - 1));
  {
    Training first(args.steps);
    data::DataLoader firstLoader = loader();
    first.train(firstLoader, 0, half);
    save_safetensors(first.model.state_dict(), "model.safetensors");
    optim::OptimizerState state = first.optimizer.state_dict();
    state.metadata["scheduler"] = first.scheduler.state_dict();
    save_safetensors(state.tensors, "optimizer.safetensors", state.metadata);
  }

  // ...and resumed in fresh objects (other initial weights: the checkpoint
  // must replace them), on the same epoch's remaining batches.
  manual_seed(7);
  Training resumed(args.steps);
  resumed.model.load_state_dict(load_safetensors("model.safetensors"));
  optim::OptimizerState loaded;
  loaded.tensors = load_safetensors("optimizer.safetensors", &loaded.metadata);
  resumed.optimizer.load_state_dict(loaded);
  resumed.scheduler.load_state_dict(loaded.metadata.at("scheduler"));
  std::printf("Resumed at step %lld\n", static_cast<long long>(half));
  // (The loader, made afresh, skips the batches already trained on.)
  data::DataLoader fresh = loader();
  resumed.train(fresh, half, args.steps);

  StateDict a = whole.model.state_dict(), b = resumed.model.state_dict();
  bool same = a.size() == b.size();
  for (size_t i = 0; same && i < a.size(); ++i)
    same = a[i].second.to_vector() == b[i].second.to_vector();
  std::printf("The resumed run's parameters %s the uninterrupted run's, "
              "bit for bit.\n",
              same ? "equal" : "DIFFER FROM");
  return same ? 0 : 1;
}
