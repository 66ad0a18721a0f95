//===- cnn.cpp - A convolutional network on FashionMNIST ------------------===//
//
// Part of Ember. The CNN a user writes right after the Quickstart: two
// convolution blocks (convolution, batch norm, ReLU, max pooling) and a
// classifier with dropout, trained with Adam on shuffled batches. Prints
// the model, each epoch's test accuracy, loss and time, saves the
// parameters and batch-norm statistics to cnn.safetensors (PyTorch's
// names), and writes the inference graph for graphc to cnn.mlir.
//
//   build/bin/cnn [--epochs N] [--batch-size B] [--device cpu|cuda]
//                 [--data DIR] [--lr LR] [--limit BATCHES] [--log-every N]
//
//===----------------------------------------------------------------------===//

#include <ember/ember.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

using namespace ember;

struct CNN : nn::Module {
  nn::Sequential features{nn::Conv2d(1, 32, 3, 1, 1),
                          nn::BatchNorm2d(32),
                          nn::ReLU(),
                          nn::MaxPool2d(2),
                          nn::Conv2d(32, 64, 3, 1, 1),
                          nn::BatchNorm2d(64),
                          nn::ReLU(),
                          nn::MaxPool2d(2)};
  nn::Sequential classifier{nn::Flatten(), nn::Dropout(0.25),
                            nn::Linear(64 * 7 * 7, 128), nn::ReLU(),
                            nn::Linear(128, 10)};
  CNN() {
    register_modules({{"features", features}, {"classifier", classifier}});
  }
  Tensor forward(const Tensor &x) override { return classifier(features(x)); }
};

struct Args {
  int epochs = 2;
  int64_t batchSize = 64;
  std::string device;
  std::string data = "data";
  double lr = 1e-3;
  int64_t limit = 0;      ///< training batches per epoch (0: all)
  int64_t logEvery = 100; ///< print the loss every so many batches
};

static Args parseArgs(int argc, char **argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "cnn: " << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--epochs")
      args.epochs = std::stoi(value());
    else if (a == "--batch-size")
      args.batchSize = std::stoll(value());
    else if (a == "--device")
      args.device = value();
    else if (a == "--data")
      args.data = value();
    else if (a == "--lr")
      args.lr = std::stod(value());
    else if (a == "--limit")
      args.limit = std::stoll(value());
    else if (a == "--log-every")
      args.logEvery = std::max<int64_t>(1, std::stoll(value()));
    else {
      std::cerr << "usage: cnn [--epochs N] [--batch-size B] "
                   "[--device cpu|cuda] [--data DIR] [--lr LR] "
                   "[--limit BATCHES] [--log-every N]\n";
      std::exit(a == "--help" || a == "-h" ? 0 : 2);
    }
  }
  return args;
}

/// Trains one epoch (or `limit` batches); returns the seconds per step
/// after the first (which compiles the step's graph).
static double train(data::DataLoader &loader, CNN &model,
                    const nn::CrossEntropyLoss &lossFn,
                    optim::Optimizer &optimizer, const Device &device,
                    int64_t limit, int64_t logEvery) {
  int64_t size = loader.dataset().size();
  model.train();
  int64_t batch = 0;
  std::chrono::steady_clock::time_point afterFirst;
  for (auto [batchX, batchY] : loader) {
    if (limit && batch == limit)
      break;
    if (batch == 1)
      afterFirst = std::chrono::steady_clock::now();
    Tensor X = batchX.to(device), y = batchY.to(device);
    Tensor loss = lossFn(model(X), y);
    // The forward, backward, batch-norm statistics and Adam's update run as
    // one compiled graph.
    loss.backward();
    optimizer.step();
    optimizer.zero_grad();
    if (batch % logEvery == 0) {
      int64_t current = (batch + 1) * X.size(0);
      std::printf("loss: %f  [%5lld/%5lld]\n", loss.item(),
                  static_cast<long long>(current),
                  static_cast<long long>(size));
      std::fflush(stdout);
    }
    ++batch;
  }
  if (batch < 2)
    return 0;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                       afterFirst)
             .count() /
         static_cast<double>(batch - 1);
}

static double test(data::DataLoader &loader, CNN &model,
                   const nn::CrossEntropyLoss &lossFn, const Device &device) {
  int64_t size = loader.dataset().size();
  int64_t batches = loader.size();
  model.eval();
  double testLoss = 0, correct = 0;
  NoGradGuard noGrad;
  for (auto [batchX, batchY] : loader) {
    Tensor X = batchX.to(device), y = batchY.to(device);
    Tensor pred = model(X);
    Tensor loss = lossFn(pred, y);
    Tensor hits = pred.argmax(1).eq(y).to(DType::Float32).sum();
    realize({loss, hits});
    testLoss += loss.item();
    correct += hits.item();
  }
  testLoss /= static_cast<double>(batches);
  correct /= static_cast<double>(size);
  std::printf("Test Error: \n Accuracy: %.1f%%, Avg loss: %f \n\n",
              100 * correct, testLoss);
  return correct;
}

int main(int argc, char **argv) {
  Args args = parseArgs(argc, argv);
  try {
    data::FashionMNIST trainingData(
        args.data,
        {.train = true, .download = true, .transform = transforms::ToTensor()});
    data::FashionMNIST testData(args.data,
                                {.train = false,
                                 .download = true,
                                 .transform = transforms::ToTensor()});
    data::DataLoader trainDataloader(
        trainingData, {.batch_size = args.batchSize, .shuffle = true});
    data::DataLoader testDataloader(testData, {.batch_size = args.batchSize});

    Device device = cuda::is_available() ? Device::cuda() : Device::cpu();
    if (args.device == "cpu")
      device = Device::cpu();
    else if (args.device == "cuda")
      device = Device::cuda();
    else if (!args.device.empty())
      throw Error("unknown device '" + args.device + "' (use cpu or cuda)");
    std::cout << "Using " << (device.is_cuda() ? "cuda" : "cpu") << " device\n";

    CNN model;
    model.to(device);
    std::cout << model << "\n";

    nn::CrossEntropyLoss lossFn;
    optim::Adam optimizer(model.parameters(), {.lr = args.lr});

    for (int t = 0; t < args.epochs; ++t) {
      auto start = std::chrono::steady_clock::now();
      std::cout << "Epoch " << t + 1 << "\n-------------------------------\n";
      double step = train(trainDataloader, model, lossFn, optimizer, device,
                          args.limit, args.logEvery);
      double seconds = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - start)
                           .count();
      test(testDataloader, model, lossFn, device);
      std::printf("(epoch %d trained in %.2f s, %.2f ms a step after the "
                  "first)\n\n",
                  t + 1, seconds, 1e3 * step);
    }
    std::cout << "Done!\n";
    CacheStats stats = cache_stats();
    std::cout << "Compiled graphs: " << stats.compilations
              << " (loaded from the on-disk cache: " << stats.loaded
              << ", cache hits: " << stats.hits << ")\n";

    save_safetensors(model.state_dict(), "cnn.safetensors");
    std::cout << "Saved PyTorch Model State to cnn.safetensors\n";

    // The inference graph (eval mode: running statistics, no dropout) with
    // the weights as constants, for graphc.
    model.eval();
    model.to(Device::cpu());
    Tensor x = zeros({args.batchSize, 1, 28, 28});
    {
      NoGradGuard noGrad;
      std::ofstream out("cnn.mlir");
      out << export_graph({model(x)}, {x});
      if (!out)
        throw Error("cannot write cnn.mlir");
    }
    std::cout << "Wrote the inference graph (batch " << args.batchSize
              << ") to cnn.mlir\n";
  } catch (const Error &e) {
    std::cerr << "cnn: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
