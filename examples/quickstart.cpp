//===- quickstart.cpp - PyTorch's Quickstart, in C++ with Ember -----------===//
//
// Part of Ember. Trains the Quickstart's MLP on FashionMNIST: load the data,
// build and print the model, train with SGD and evaluate after every epoch,
// save the parameters, load them into a fresh model and predict.
//
//   build/bin/quickstart [--epochs N] [--batch-size B] [--device cpu|cuda]
//                        [--data DIR] [--lr LR] [--distributed]
//
// With --distributed, under mpirun (`mpirun -np 2 build/bin/quickstart
// --distributed`), each rank trains on its share of every batch (the batch
// size is the global one, divided between the ranks), the gradients are
// averaged across ranks inside each compiled step (DistributedDataParallel)
// and rank 0 alone prints and saves.
//
//===----------------------------------------------------------------------===//

#include <ember/distributed/Distributed.h>
#include <ember/ember.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

using namespace ember;

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
  int epochs = 5;
  int64_t batchSize = 64;
  std::string device;
  std::string data = "data";
  double lr = 1e-3;
  bool distributed = false;
};

static Args parseArgs(int argc, char **argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "quickstart: " << a << " needs a value\n";
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
    else if (a == "--distributed")
      args.distributed = true;
    else {
      std::cerr << "usage: quickstart [--epochs N] [--batch-size B] "
                   "[--device cpu|cuda] [--data DIR] [--lr LR] "
                   "[--distributed]\n";
      std::exit(a == "--help" || a == "-h" ? 0 : 2);
    }
  }
  return args;
}

static void train(data::DataLoader &loader, nn::Module &model,
                  const nn::CrossEntropyLoss &lossFn,
                  optim::Optimizer &optimizer, const Device &device) {
  int64_t size = loader.dataset().size();
  int world = distributed::world_size(); // (every rank takes a share)
  model.train();
  int64_t batch = 0;
  for (auto [batchX, batchY] : loader) {
    Tensor X = batchX.to(device), y = batchY.to(device);
    // Compute prediction error.
    Tensor pred = model(X);
    Tensor loss = lossFn(pred, y);

    // Backpropagation: recorded, then run with the update as one graph.
    loss.backward();
    optimizer.step();
    optimizer.zero_grad();

    if (batch % 100 == 0) {
      int64_t current = (batch + 1) * X.size(0) * world;
      // Distributed, the loss of the whole batch: the mean of the ranks'.
      if (world > 1)
        loss = distributed::all_reduce(loss, distributed::ReduceOp::Avg);
      std::printf("loss: %f  [%5lld/%5lld]\n", loss.item(),
                  static_cast<long long>(current), static_cast<long long>(size));
      std::fflush(stdout);
    }
    ++batch;
  }
}

static void test(data::DataLoader &loader, NeuralNetwork &model,
                 const nn::CrossEntropyLoss &lossFn, const Device &device) {
  double size = 0; // samples tested (distributed: by this rank)
  double batches = static_cast<double>(loader.size());
  model.eval();
  double testLoss = 0, correct = 0;
  NoGradGuard noGrad;
  for (auto [batchX, batchY] : loader) {
    Tensor X = batchX.to(device), y = batchY.to(device);
    Tensor pred = model(X);
    Tensor loss = lossFn(pred, y);
    Tensor hits = pred.argmax(1).eq(y).to(DType::Float32).sum();
    realize({loss, hits}); // one graph for both
    testLoss += loss.item();
    correct += hits.item();
    size += static_cast<double>(X.size(0));
  }
  if (distributed::world_size() > 1) {
    // Each rank tested its share: the totals are the sums over ranks.
    std::vector<double> totals =
        distributed::all_reduce(
            tensor({testLoss, batches, correct, size}, {4}, DType::Float64))
            .to_vector<double>();
    testLoss = totals[0];
    batches = totals[1];
    correct = totals[2];
    size = totals[3];
  }
  testLoss /= batches;
  correct /= size;
  std::printf("Test Error: \n Accuracy: %.1f%%, Avg loss: %f \n\n",
              100 * correct, testLoss);
}

int main(int argc, char **argv) {
  Args args = parseArgs(argc, argv);
  try {
    int world = 1;
    if (args.distributed) {
      distributed::init();
      world = distributed::world_size();
      if (distributed::rank() != 0) // rank 0 alone prints
        if (!std::freopen("/dev/null", "w", stdout))
          throw Error("cannot silence the output of this rank");
      if (args.batchSize % world != 0)
        throw Error("--batch-size " + std::to_string(args.batchSize) +
                    " does not divide between " + std::to_string(world) +
                    " ranks");
    }
    // Download training data from open datasets (here: Debian's copy).
    data::FashionMNIST trainingData(
        args.data, {.train = true, .download = true, .transform = transforms::ToTensor()});
    data::FashionMNIST testData(
        args.data, {.train = false, .download = true, .transform = transforms::ToTensor()});

    // Distributed, each rank takes its share of every epoch's shuffled
    // order, in batches of its share of the batch size.
    std::shared_ptr<data::DistributedSampler> trainSampler, testSampler;
    if (args.distributed) {
      trainSampler =
          std::make_shared<data::DistributedSampler>(trainingData.size());
      testSampler = std::make_shared<data::DistributedSampler>(
          testData.size(), data::DistributedSamplerOptions{.shuffle = false});
    }
    data::DataLoader trainDataloader(trainingData,
                                     {.batch_size = args.batchSize / world,
                                      .shuffle = !args.distributed,
                                      .sampler = trainSampler});
    data::DataLoader testDataloader(
        testData,
        {.batch_size = args.batchSize / world, .sampler = testSampler});

    for (auto [X, y] : testDataloader) {
      std::cout << "Shape of X [N, C, H, W]: [" << X.size(0) << ", " << X.size(1)
                << ", " << X.size(2) << ", " << X.size(3) << "]\n";
      std::cout << "Shape of y: [" << y.size(0) << "] " << dtypeName(y.dtype())
                << "\n";
      break;
    }

    // Get cpu or gpu device for training.
    Device device = cuda::is_available() ? Device::cuda() : Device::cpu();
    if (args.device == "cpu")
      device = Device::cpu();
    else if (args.device == "cuda")
      device = Device::cuda();
    else if (!args.device.empty())
      throw Error("unknown device '" + args.device + "' (use cpu or cuda)");
    std::cout << "Using " << (device.is_cuda() ? "cuda" : "cpu") << " device\n";

    NeuralNetwork model;
    model.to(device);
    std::cout << model << "\n";
    // Distributed: rank 0's initial weights on every rank, and gradients
    // averaged across ranks in every step.
    std::optional<distributed::DistributedDataParallel> ddp;
    if (args.distributed)
      ddp.emplace(model);

    nn::CrossEntropyLoss lossFn;
    optim::SGD optimizer(model.parameters(), {.lr = args.lr});

    for (int t = 0; t < args.epochs; ++t) {
      auto start = std::chrono::steady_clock::now();
      std::cout << "Epoch " << t + 1 << "\n-------------------------------\n";
      if (trainSampler)
        trainSampler->set_epoch(t);
      train(trainDataloader, ddp ? static_cast<nn::Module &>(*ddp) : model,
            lossFn, optimizer, device);
      double seconds = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - start)
                           .count();
      test(testDataloader, model, lossFn, device);
      std::printf("(epoch %d trained in %.2f s)\n\n", t + 1, seconds);
    }
    std::cout << "Done!\n";
    CacheStats stats = cache_stats();
    std::cout << "Compiled graphs: " << stats.compilations
              << " (loaded from the on-disk cache: " << stats.loaded
              << ", cache hits: " << stats.hits << ")\n";

    if (distributed::rank() != 0) { // rank 0 alone saves
      distributed::finalize();
      return 0;
    }
    save_safetensors(model.state_dict(), "model.safetensors");
    std::cout << "Saved PyTorch Model State to model.safetensors\n";

    NeuralNetwork loaded;
    loaded.load_state_dict(load_safetensors("model.safetensors"));
    loaded.eval();
    const std::vector<std::string> &classes = data::FashionMNIST::classes();
    data::Example sample = testData.get(0);
    NoGradGuard noGrad;
    Tensor pred = loaded(sample.data.reshape({1, 1, 28, 28}));
    int64_t predicted = pred.argmax(1).item<int64_t>();
    int64_t actual = sample.target.item<int64_t>();
    std::cout << "Predicted: \"" << classes[predicted] << "\", Actual: \""
              << classes[actual] << "\"\n";
    distributed::finalize();
  } catch (const Error &e) {
    std::string what = std::string("quickstart: ") + e.what();
    if (args.distributed) // the other ranks must not wait for this one
      distributed::abort(what);
    std::cerr << what << "\n";
    return 1;
  }
  return 0;
}
