//===- quickstart_ember.cpp - The Quickstart epoch in Ember ---------------===//
//
// Part of Ember's benchmarks. The training loop of examples/quickstart.cpp
// without its printing: PyTorch's Quickstart MLP trained on FashionMNIST
// with SGD, one timed epoch after a short warm-up. Prints one line:
//
//   ember epoch_s=3.141 threads=1 steps=938 loss=1.234567 graphs=4
//         epoch_compiles=0 first_step_s=0.950 loaded=0 step_ms=1.234
//
// where graphs counts every graph compiled in the run (warm-up included),
// epoch_compiles those compiled inside the timed epoch, first_step_s is the
// first training step (compiling its graph, or loading it from the on-disk
// cache), loaded the graphs loaded from that cache, and step_ms the mean
// time of a training step in the epoch without the loader's batching.
//
//   quickstart_ember [--data DIR] [--warmup STEPS] [--batch-size B]
//                    [--lr LR] [--seed S]
//
//===----------------------------------------------------------------------===//

#include <ember/ember.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

using namespace ember;

namespace {

/// The Quickstart's NeuralNetwork, as in examples/quickstart.cpp.
struct NeuralNetwork : nn::Module {
  nn::Flatten flatten;
  nn::Sequential linear_relu_stack{nn::Linear(28 * 28, 512), nn::ReLU(),
                                   nn::Linear(512, 512),     nn::ReLU(),
                                   nn::Linear(512, 10)};
  NeuralNetwork() {
    register_modules({{"flatten", flatten}, {"linear_relu_stack", linear_relu_stack}});
  }
  Tensor forward(const Tensor &x) override { return linear_relu_stack(flatten(x)); }
};

struct Args {
  std::string data = "/usr/share/datasets/fashion-mnist";
  int warmup = 5;
  int64_t batchSize = 64;
  double lr = 1e-3;
  uint64_t seed = 0;
  int64_t infer = 0; ///< > 0: time inference at this batch size instead
};

Args parseArgs(int argc, char **argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "quickstart_ember: " << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--data")
      args.data = value();
    else if (a == "--warmup")
      args.warmup = std::stoi(value());
    else if (a == "--batch-size")
      args.batchSize = std::stoll(value());
    else if (a == "--lr")
      args.lr = std::stod(value());
    else if (a == "--seed")
      args.seed = std::stoull(value());
    else if (a == "--infer")
      args.infer = std::stoll(value());
    else {
      std::cerr << "usage: quickstart_ember [--data DIR] [--warmup STEPS] "
                   "[--batch-size B] [--lr LR] [--seed S] [--infer B]\n";
      std::exit(a == "--help" || a == "-h" ? 0 : 2);
    }
  }
  return args;
}

/// One training step, as in the Quickstart: the backward pass is recorded
/// and runs with the update as one graph in optimizer.step().
Tensor trainStep(NeuralNetwork &model, const nn::CrossEntropyLoss &lossFn,
                 optim::Optimizer &optimizer, const Tensor &X, const Tensor &y) {
  Tensor pred = model(X);
  Tensor loss = lossFn(pred, y);
  loss.backward();
  optimizer.step();
  optimizer.zero_grad();
  return loss;
}

/// Inference throughput: the model's forward pass (no autograd) on a
/// batch of `batch` images, realised each time; prints samples/s.
int inferenceBench(int64_t batch) {
  NeuralNetwork model;
  model.eval();
  NoGradGuard noGrad;
  Tensor X = rand({batch, 1, 28, 28});
  for (int i = 0; i < 5; ++i)
    model(X).realize();
  int64_t runs = 0;
  auto start = std::chrono::steady_clock::now();
  double seconds = 0;
  while (seconds < 1.0 || runs < 20) {
    model(X).realize();
    ++runs;
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                            start)
                  .count();
  }
  std::printf("ember infer batch=%lld threads=%d samples_per_s=%.0f\n",
              static_cast<long long>(batch), get_num_threads(),
              double(runs * batch) / seconds);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  Args args = parseArgs(argc, argv);
  if (args.infer > 0)
    return inferenceBench(args.infer);
  try {
    manual_seed(args.seed);
    // The one-time load, not timed.
    data::FashionMNIST trainingData(
        args.data, {.train = true, .transform = transforms::ToTensor()});
    const int64_t size = trainingData.size();
    data::DataLoader trainDataloader(
        trainingData,
        {.batch_size = args.batchSize, .shuffle = true, .seed = args.seed});

    NeuralNetwork model;
    nn::CrossEntropyLoss lossFn;
    optim::SGD optimizer(model.parameters(), {.lr = args.lr});
    model.train();

    // Warm-up: a few full batches and one of the epoch's last-batch size,
    // so that every graph the epoch needs is compiled before timing.
    // The first step compiles the step's graph (or loads it from the
    // on-disk cache): its time is what a user waits for before training
    // starts.
    int warmed = 0;
    double firstStepSeconds = 0;
    for (auto [X, y] : trainDataloader) {
      if (warmed++ >= args.warmup)
        break;
      auto t0 = std::chrono::steady_clock::now();
      Tensor loss = trainStep(model, lossFn, optimizer, X, y);
      if (warmed == 1) {
        loss.item();
        firstStepSeconds = std::chrono::duration<double>(
                               std::chrono::steady_clock::now() - t0)
                               .count();
      }
    }
    if (int64_t tail = size % args.batchSize) {
      data::DataLoader tailDataloader(
          trainingData, {.batch_size = tail, .shuffle = true, .seed = args.seed});
      for (auto [X, y] : tailDataloader) {
        trainStep(model, lossFn, optimizer, X, y);
        break;
      }
    }
    uint64_t compilesBefore = cache_stats().compilations;

    // The timed epoch.
    auto start = std::chrono::steady_clock::now();
    double lastLoss = 0;
    int64_t steps = 0;
    // The steps' own time (the graph's compute, its recording and the
    // optimizer's update), without the loader's batching.
    double stepSeconds = 0;
    for (auto [X, y] : trainDataloader) {
      auto t0 = std::chrono::steady_clock::now();
      Tensor loss = trainStep(model, lossFn, optimizer, X, y);
      if (steps % 100 == 0 || (steps + 1) * args.batchSize >= size)
        lastLoss = loss.item();
      stepSeconds += std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - t0)
                         .count();
      ++steps;
    }
    double seconds = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - start)
                         .count();
    CacheStats stats = cache_stats();
    std::printf("ember epoch_s=%.3f threads=%d steps=%lld loss=%.6f graphs=%llu "
                "epoch_compiles=%llu first_step_s=%.3f loaded=%llu step_ms=%.3f\n",
                seconds, get_num_threads(), static_cast<long long>(steps), lastLoss,
                static_cast<unsigned long long>(stats.compilations),
                static_cast<unsigned long long>(stats.compilations - compilesBefore),
                firstStepSeconds, static_cast<unsigned long long>(stats.loaded),
                1e3 * stepSeconds / double(steps));
  } catch (const Error &e) {
    std::cerr << "quickstart_ember: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
