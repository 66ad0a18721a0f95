//===- cnn_libtorch.cpp - The CNN example's training step in LibTorch -----===//
//
// Part of Ember's benchmarks: the C++ peer of bench/run-cnn.sh. The model,
// loss and optimizer (Adam, lr 1e-3) of examples/cnn.cpp in LibTorch, trained
// on batches of 64 random images with random labels (the step's cost does not
// depend on the values; examples/cnn.cpp and bench/cnn_pytorch.py read
// FashionMNIST, whose batching costs well under 1% of a CNN step). Times
// `--steps` steps after `--warmup` and prints one line:
//
//   libtorch-cnn step_ms=26.1 threads=2 steps=60
//
//   cnn_libtorch [--threads N] [--warmup STEPS] [--steps STEPS]
//
//===----------------------------------------------------------------------===//

#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

namespace nn = torch::nn;

nn::Sequential makeCnn() {
  return nn::Sequential(
      nn::Conv2d(nn::Conv2dOptions(1, 32, 3).padding(1)), nn::BatchNorm2d(32),
      nn::ReLU(), nn::MaxPool2d(2),
      nn::Conv2d(nn::Conv2dOptions(32, 64, 3).padding(1)), nn::BatchNorm2d(64),
      nn::ReLU(), nn::MaxPool2d(2), nn::Flatten(), nn::Dropout(0.25),
      nn::Linear(64 * 7 * 7, 128), nn::ReLU(), nn::Linear(128, 10));
}

} // namespace

int main(int argc, char **argv) {
  int threads = 0, warmup = 5, steps = 60;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "cnn_libtorch: %s needs a value\n", a.c_str());
      return 1;
    }
    int value = std::atoi(argv[++i]);
    if (a == "--threads")
      threads = value;
    else if (a == "--warmup")
      warmup = value;
    else if (a == "--steps")
      steps = value;
    else {
      std::fprintf(stderr,
                   "usage: cnn_libtorch [--threads N] [--warmup STEPS] "
                   "[--steps STEPS]\n");
      return 1;
    }
  }
  if (threads > 0)
    torch::set_num_threads(threads);
  torch::manual_seed(0);
  nn::Sequential model = makeCnn();
  model->train();
  torch::optim::Adam optimizer(model->parameters(),
                               torch::optim::AdamOptions(1e-3));
  torch::Tensor x = torch::rand({64, 1, 28, 28});
  torch::Tensor y = torch::randint(0, 10, {64}, torch::kLong);
  auto step = [&] {
    optimizer.zero_grad();
    torch::Tensor loss =
        torch::nn::functional::cross_entropy(model->forward(x), y);
    loss.backward();
    optimizer.step();
  };
  for (int i = 0; i < warmup; ++i)
    step();
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i)
    step();
  double ms = std::chrono::duration<double, std::milli>(
                  std::chrono::steady_clock::now() - start)
                  .count() /
              steps;
  std::printf("libtorch-cnn step_ms=%.2f threads=%d steps=%d\n", ms,
              torch::get_num_threads(), steps);
  return 0;
}
