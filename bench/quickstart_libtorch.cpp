//===- quickstart_libtorch.cpp - The Quickstart epoch in LibTorch ---------===//
//
// Part of Ember's benchmarks. PyTorch's Quickstart MLP trained on
// FashionMNIST with LibTorch, the C++ peer Ember is measured against: the
// same model, loss, optimizer and batching as examples/quickstart.cpp. The
// IDX files are read with zlib (no torchvision); each batch is gathered from
// the uint8 images and converted to float [B, 1, 28, 28] as ToTensor would,
// inside the timed loop. Prints one line:
//
//   libtorch epoch_s=2.713 threads=1 steps=938 loss=1.234567
//
//   quickstart_libtorch [--data DIR] [--threads N] [--warmup STEPS]
//                       [--batch-size B] [--lr LR] [--seed S]
//
//===----------------------------------------------------------------------===//

#include <torch/torch.h>

#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

/// The Quickstart's NeuralNetwork, as in PyTorch's tutorial.
struct NeuralNetworkImpl : torch::nn::Module {
  torch::nn::Flatten flatten;
  torch::nn::Sequential linear_relu_stack{
      torch::nn::Linear(28 * 28, 512), torch::nn::ReLU(),
      torch::nn::Linear(512, 512), torch::nn::ReLU(),
      torch::nn::Linear(512, 10)};
  NeuralNetworkImpl() {
    register_module("flatten", flatten);
    register_module("linear_relu_stack", linear_relu_stack);
  }
  torch::Tensor forward(const torch::Tensor &x) {
    return linear_relu_stack->forward(flatten->forward(x));
  }
};
TORCH_MODULE(NeuralNetwork);

struct Args {
  std::string data = "/usr/share/datasets/fashion-mnist";
  int threads = 0; ///< 0: LibTorch's default.
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
        std::cerr << "quickstart_libtorch: " << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--data")
      args.data = value();
    else if (a == "--threads")
      args.threads = std::stoi(value());
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
      std::cerr << "usage: quickstart_libtorch [--data DIR] [--threads N] "
                   "[--warmup STEPS] [--batch-size B] [--lr LR] [--seed S] "
                   "[--infer B]\n";
      std::exit(a == "--help" || a == "-h" ? 0 : 2);
    }
  }
  return args;
}

/// Reads a whole gzipped (or plain: zlib passes those through) file.
std::vector<uint8_t> readGz(const std::string &path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f)
    throw std::runtime_error("cannot open " + path);
  std::vector<uint8_t> bytes;
  uint8_t chunk[1 << 16];
  int n;
  while ((n = gzread(f, chunk, sizeof(chunk))) > 0)
    bytes.insert(bytes.end(), chunk, chunk + n);
  bool failed = n < 0;
  gzclose(f);
  if (failed)
    throw std::runtime_error("cannot decompress " + path);
  return bytes;
}

uint32_t bigEndian32(const std::vector<uint8_t> &b, size_t at) {
  return uint32_t(b[at]) << 24 | uint32_t(b[at + 1]) << 16 |
         uint32_t(b[at + 2]) << 8 | uint32_t(b[at + 3]);
}

/// Reads an IDX file of unsigned bytes (magic 0x0000080D, D dimensions)
/// into a uint8 tensor of its shape.
torch::Tensor readIdx(const std::string &path) {
  std::vector<uint8_t> b = readGz(path);
  if (b.size() < 4 || b[0] != 0 || b[1] != 0 || b[2] != 0x08)
    throw std::runtime_error(path + ": not an IDX file of unsigned bytes");
  size_t rank = b[3];
  std::vector<int64_t> shape;
  int64_t count = 1;
  for (size_t d = 0; d < rank; ++d) {
    shape.push_back(bigEndian32(b, 4 + 4 * d));
    count *= shape.back();
  }
  size_t header = 4 + 4 * rank;
  if (b.size() != header + static_cast<size_t>(count))
    throw std::runtime_error(path + ": size does not match its header");
  torch::Tensor t = torch::empty(shape, torch::kUInt8);
  std::memcpy(t.data_ptr<uint8_t>(), b.data() + header, count);
  return t;
}

} // namespace

/// Inference throughput: the model's forward pass in eval mode without
/// autograd on a batch of `batch` images; prints samples/s.
int inferenceBench(int64_t batch) {
  NeuralNetwork model;
  model->eval();
  torch::NoGradGuard noGrad;
  torch::Tensor X = torch::rand({batch, 1, 28, 28});
  for (int i = 0; i < 5; ++i)
    model->forward(X);
  int64_t runs = 0;
  auto start = std::chrono::steady_clock::now();
  double seconds = 0;
  while (seconds < 1.0 || runs < 20) {
    torch::Tensor y = model->forward(X);
    ++runs;
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                            start)
                  .count();
  }
  std::printf("libtorch infer batch=%lld threads=%d samples_per_s=%.0f\n",
              static_cast<long long>(batch), torch::get_num_threads(),
              double(runs * batch) / seconds);
  return 0;
}

int main(int argc, char **argv) {
  Args args = parseArgs(argc, argv);
  try {
    if (args.threads > 0)
      torch::set_num_threads(args.threads);
    if (args.infer > 0)
      return inferenceBench(args.infer);
    torch::manual_seed(args.seed);

    // The one-time load, not timed: uint8 images [N, 28, 28], labels [N].
    torch::Tensor images = readIdx(args.data + "/train-images-idx3-ubyte.gz");
    torch::Tensor labels =
        readIdx(args.data + "/train-labels-idx1-ubyte.gz").to(torch::kInt64);
    const int64_t size = images.size(0);

    NeuralNetwork model;
    torch::optim::SGD optimizer(model->parameters(),
                                torch::optim::SGDOptions(args.lr));

    /// One training step on the samples `indices`, gathered and converted
    /// as a DataLoader with ToTensor would; returns the loss.
    auto step = [&](const torch::Tensor &indices) {
      torch::Tensor X = images.index_select(0, indices)
                            .to(torch::kFloat32)
                            .div_(255)
                            .unsqueeze_(1);
      torch::Tensor y = labels.index_select(0, indices);
      torch::Tensor pred = model->forward(X);
      torch::Tensor loss = torch::nn::functional::cross_entropy(pred, y);
      loss.backward();
      optimizer.step();
      optimizer.zero_grad();
      return loss;
    };

    // Warm-up: a few full batches and one of the epoch's last-batch size,
    // so that every shape the epoch sees has run once.
    model->train();
    torch::Tensor warm = torch::randperm(size, torch::kInt64);
    for (int s = 0; s < args.warmup; ++s)
      step(warm.slice(0, s * args.batchSize, (s + 1) * args.batchSize));
    if (int64_t tail = size % args.batchSize)
      step(warm.slice(0, 0, tail));

    // The timed epoch: shuffle, then every batch, the last one smaller.
    auto start = std::chrono::steady_clock::now();
    torch::Tensor order = torch::randperm(size, torch::kInt64);
    double lastLoss = 0;
    int64_t steps = 0;
    for (int64_t begin = 0; begin < size; begin += args.batchSize, ++steps) {
      torch::Tensor loss =
          step(order.slice(0, begin, std::min(begin + args.batchSize, size)));
      if (steps % 100 == 0 || begin + args.batchSize >= size)
        lastLoss = loss.item<double>();
    }
    double seconds = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - start)
                         .count();
    std::printf("libtorch epoch_s=%.3f threads=%d steps=%lld loss=%.6f\n",
                seconds, torch::get_num_threads(),
                static_cast<long long>(steps), lastLoss);
  } catch (const std::exception &e) {
    std::cerr << "quickstart_libtorch: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
