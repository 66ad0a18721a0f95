//===- GpuOpsTest.cpp - Every op on a CUDA GPU against the reference ------===//
//
// Part of Ember. The op table (test/reference/OpTable.h) on cuda:0, each
// case against the plain C++ reference evaluator, and training steps
// against the same steps on the CPU. On a GPU the graphs are compiled to
// PTX and run through the CUDA driver; with EMBER_FAKE_CUDA=1 the emulated
// device runs the same kernels compiled for the host. Skipped, with the
// reason, where there is no usable GPU.
//
//===----------------------------------------------------------------------===//

#include "OpTableTest.h"
#include "QuickstartModel.h"
#include "Reference.h"
#include "TestSeed.h"
#include "ember/distributed/Distributed.h"
#include "ember/ember.h"
#include "ember/runtime/Collectives.h"
#include "ember/runtime/Cuda.h"
#include "ember/runtime/Nccl.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <random>

using namespace ember;

namespace {

class GpuOpsTest : public ::testing::Test {
protected:
  void SetUp() override {
    if (!cuda::is_available())
      GTEST_SKIP() << "no CUDA GPU: " << rt::cuda::unavailableReason();
  }
};

/// ref::compareClose of flat values, `actual` (a GPU's) against `expected`
/// (the CPU's).
std::string compareFlat(const std::vector<double> &actual,
                        const std::vector<double> &expected, double rtol,
                        double atol) {
  return ref::compareClose(actual, expected,
                           {static_cast<int64_t>(expected.size())}, rtol, atol);
}

TEST_F(GpuOpsTest, TrainingStepMatchesTheCpu) {
  // The same seeded model trained for a few steps on each device.
  auto train = [](const Device &device) {
    manual_seed(4);
    nn::Sequential model{nn::Linear(20, 32), nn::ReLU(), nn::Linear(32, 5)};
    model.to(device);
    optim::SGD opt(model.parameters(), {.lr = 0.1, .momentum = 0.9});
    manual_seed(5);
    Tensor x = rand({8, 20}).to(device);
    Tensor y = tensor(std::vector<int64_t>{0, 1, 2, 3, 4, 0, 1, 2}, {8}).to(device);
    float loss = 0;
    for (int i = 0; i < 5; ++i) {
      Tensor l = nn::CrossEntropyLoss()(model(x), y);
      l.backward();
      opt.step();
      opt.zero_grad();
      loss = l.item();
    }
    return std::make_pair(loss, model.parameters()[0].to_vector());
  };
  auto [cpuLoss, cpuW] = train(Device::cpu());
  auto [gpuLoss, gpuW] = train(Device::cuda());
  EXPECT_NEAR(gpuLoss, cpuLoss, 1e-4 * std::abs(cpuLoss));
  std::vector<double> a(gpuW.begin(), gpuW.end()), e(cpuW.begin(), cpuW.end());
  EXPECT_EQ(ref::compareClose(a, e, {32, 20}, 1e-4, 1e-5), "");
}

TEST_F(GpuOpsTest, CnnStepsMatchTheCpu) {
  // Convolutions, batch norm (its running statistics updated in the step,
  // in their buffers on the GPU), max pooling and Adam, four steps on each
  // device, then a forward in eval mode. (The convolution has no bias:
  // batch norm cancels its gradient to rounding noise, which Adam would
  // scale up to full steps that differ between the devices.)
  auto train = [](const Device &device) {
    manual_seed(6);
    nn::Sequential model{nn::Conv2d(1, 4, 3, 1, 1, 1, 1, false),
                         nn::BatchNorm2d(4),
                         nn::ReLU(),
                         nn::MaxPool2d(2),
                         nn::Flatten(),
                         nn::Linear(4 * 4 * 4, 3)};
    model.to(device);
    optim::Adam opt(model.parameters(), {.lr = 0.01});
    manual_seed(7);
    Tensor x = randn({6, 1, 8, 8}).to(device);
    Tensor y = tensor(std::vector<int64_t>{0, 1, 2, 0, 1, 2}, {6}).to(device);
    std::vector<const void *> buffers;
    for (const Tensor &b : model.buffers())
      buffers.push_back(b.node()->deviceData.get());
    for (int i = 0; i < 4; ++i) {
      opt.zero_grad();
      nn::CrossEntropyLoss()(model(x), y).backward();
      opt.step();
    }
    std::vector<std::vector<double>> out;
    for (const auto &[name, t] : model.state_dict()) {
      if (device.is_cuda() && t.dtype() == DType::Float32 &&
          name.find("running") != std::string::npos)
        EXPECT_EQ(t.node()->deviceData.get(), buffers[out.size() - 3])
            << name << " has another buffer after the steps";
      std::vector<double> v = t.to(DType::Float64).to_vector<double>();
      out.push_back(v);
    }
    model.eval();
    out.push_back(model(x).to(DType::Float64).to_vector<double>());
    return out;
  };
  std::vector<std::vector<double>> cpu = train(Device::cpu());
  std::vector<std::vector<double>> gpu = train(Device::cuda());
  ASSERT_EQ(gpu.size(), cpu.size());
  for (size_t i = 0; i < cpu.size(); ++i)
    EXPECT_EQ(compareFlat(gpu[i], cpu[i], 1e-4, 1e-5), "")
        << "state entry " << i;
}

/// One step of a random graph: an op on earlier values (by index into the
/// values so far), drawn once and replayed on each device.
struct RandomStep {
  enum Kind { Relu, Neg, Half, Add, Sub, Mul, AddRow, AddColumn, Transpose,
              Matmul, SumRows, SumColumns } kind;
  size_t a = 0, b = 0;
};

/// Random graphs of the ops the GPU mapping fuses differently (elementwise
/// chains, broadcasts, transposes folded into matmuls, matmuls with
/// prologues and epilogues, reductions, small ops grouped into one block,
/// matmuls large enough to be tiled), several outputs at once, on the
/// emulated or real GPU against the CPU.
TEST_F(GpuOpsTest, OptimizersUpdateInPlaceOnTheDevice) {
  // SGD with momentum and Adam, six steps on each device. On the GPU each
  // parameter keeps its device buffer (the step writes the new values over
  // the old), and the gradients (computed in the step there, later from the
  // old weights on the CPU) and the new weights are the CPU's.
  for (bool adam : {false, true}) {
    auto train = [adam](const Device &device) {
      manual_seed(4);
      nn::Sequential model{nn::Linear(20, 32), nn::ReLU(), nn::Linear(32, 5)};
      // Adam is made before the move: its state starts on the CPU, and
      // follows the parameters at the first step.
      std::unique_ptr<optim::Optimizer> opt;
      if (adam)
        opt = std::make_unique<optim::Adam>(model.parameters(),
                                            optim::AdamOptions{.lr = 0.01});
      model.to(device);
      if (!adam)
        opt = std::make_unique<optim::SGD>(
            model.parameters(), optim::SGDOptions{.lr = 0.1, .momentum = 0.9});
      manual_seed(5);
      Tensor x = rand({8, 20}).to(device);
      Tensor y =
          tensor(std::vector<int64_t>{0, 1, 2, 3, 4, 0, 1, 2}, {8}).to(device);
      std::vector<const void *> buffers;
      for (const Tensor &p : model.parameters())
        buffers.push_back(p.node()->deviceData.get());
      CacheStats before = cache_stats();
      for (int i = 0; i < 6; ++i) {
        opt->zero_grad();
        nn::CrossEntropyLoss()(model(x), y).backward();
        opt->step();
      }
      if (device.is_cuda()) {
        // From the second step on (the first moved Adam's state), every
        // step runs on the same buffers: the state, too, is updated in
        // place.
        CacheStats after = cache_stats();
        EXPECT_LE(after.gpuGraphCaptures - before.gpuGraphCaptures, 2u)
            << (adam ? "Adam" : "SGD");
        EXPECT_GE(after.gpuGraphReplays - before.gpuGraphReplays, 4u)
            << (adam ? "Adam" : "SGD");
      }
      std::vector<std::vector<double>> out;
      for (const Tensor &p : model.parameters()) {
        if (device.is_cuda())
          EXPECT_EQ(p.node()->deviceData.get(), buffers[out.size() / 2])
              << (adam ? "Adam" : "SGD") << ": parameter " << out.size() / 2
              << " has another buffer after the steps";
        std::vector<float> w = p.to_vector(), g = p.grad().to_vector();
        out.emplace_back(w.begin(), w.end());
        out.emplace_back(g.begin(), g.end());
      }
      return out;
    };
    std::vector<std::vector<double>> cpu = train(Device::cpu());
    std::vector<std::vector<double>> gpu = train(Device::cuda());
    ASSERT_EQ(gpu.size(), cpu.size());
    for (size_t i = 0; i < cpu.size(); ++i)
      EXPECT_EQ(compareFlat(gpu[i], cpu[i], 1e-4, 1e-5), "")
          << (adam ? "Adam" : "SGD") << ", parameter " << i / 2
          << (i % 2 ? " gradient" : " value");
  }
}

/// `t`'s elements as doubles.
std::vector<double> values(const Tensor &t) {
  return t.to(DType::Float64).to_vector<double>();
}

/// A job of two ranks in one process, as distributed::DistributedDataParallel
/// would see it: the other rank holds x / 2 + 1 where this one holds x. On
/// the CPU the backend adds it; on the device the sum is NCCL's, through
/// nccl::Communicators as ember::distributed's (the fake NCCL, whose
/// simulated peer adds the same).
class TwoRanks : public rt::CollectiveBackend {
public:
  int rank() const override { return 0; }
  int worldSize() const override { return 2; }
  void allReduceSum(void *data, int64_t count, DType dtype) override {
    addPeer(data, count, dtype);
  }
  rt::Status allReduceOnDevice(rt::cuda::Device &device, uint64_t data,
                               int64_t count, DType dtype) override {
    return communicators_.allReduceSum(device, data, count, dtype);
  }
  rt::Status prepareDevice(rt::cuda::Device &device) override {
    return communicators_.prepare(device);
  }
  static void addPeer(void *data, int64_t count, DType dtype) {
    ASSERT_EQ(dtype, DType::Float32);
    auto *x = static_cast<float *>(data);
    for (int64_t i = 0; i < count; ++i)
      x[i] = x[i] + (0.5f * x[i] + 1.0f);
  }

private:
  rt::nccl::Communicators communicators_{
      0, 2, [](rt::nccl::UniqueId &) { return rt::Status::ok(); }};
};

/// Installs `backend` for a scope, and the fake NCCL's simulated peer.
struct InstallRanks {
  explicit InstallRanks(rt::CollectiveBackend *backend) {
    rt::nccl::fake::setSimulatedPeers(1, &TwoRanks::addPeer);
    rt::setCollectiveBackend(backend);
  }
  ~InstallRanks() {
    rt::setCollectiveBackend(nullptr);
    rt::nccl::fake::setSimulatedPeers(0, nullptr);
  }
};

TEST_F(GpuOpsTest, AllReduceIsOneNcclCallInPlace) {
  if (rt::cuda::defaultDriverKind() != rt::cuda::DriverKind::Fake)
    GTEST_SKIP() << "checks the fake NCCL's log (EMBER_FAKE_CUDA=1); "
                    "distributed.ddp runs real ranks on a GPU";
  // A job of one, as distributed::init() without mpirun makes it: the
  // all-reduce is NCCL's, on the device's stream, in place.
  rt::nccl::Communicators one(0, 1, [](rt::nccl::UniqueId &) -> rt::Status {
    ADD_FAILURE() << "a job of one shares no id";
    return rt::Status::ok();
  });
  struct OneRank : rt::CollectiveBackend {
    rt::nccl::Communicators &c;
    explicit OneRank(rt::nccl::Communicators &c) : c(c) {}
    int rank() const override { return 0; }
    int worldSize() const override { return 1; }
    void allReduceSum(void *, int64_t, DType) override {}
    rt::Status allReduceOnDevice(rt::cuda::Device &device, uint64_t data,
                                 int64_t count, DType dtype) override {
      return c.allReduceSum(device, data, count, dtype);
    }
    rt::Status prepareDevice(rt::cuda::Device &device) override {
      return c.prepare(device);
    }
  } backend(one);
  rt::setCollectiveBackend(&backend);
  rt::nccl::fake::clearCalls();
  manual_seed(11);
  for (DType dtype : {DType::Float32, DType::Float64}) {
    Tensor x = rand({5, 7}).to(dtype).to(Device::cuda());
    Tensor y = distributed::all_reduce(x * 2.0) + 1.0;
    std::vector<double> got = values(y), want = values(x);
    for (double &w : want)
      w = w * 2 + 1;
    EXPECT_EQ(compareFlat(got, want, 1e-6, 1e-6), "") << dtypeName(dtype);
  }
  rt::setCollectiveBackend(nullptr);
  std::vector<rt::nccl::fake::Call> calls = rt::nccl::fake::calls();
  ASSERT_EQ(calls.size(), 2u);
  for (size_t i = 0; i < calls.size(); ++i) {
    EXPECT_EQ(calls[i].count, 35u);
    EXPECT_EQ(calls[i].dataType, i == 0 ? 7 : 8); // ncclFloat32, ncclFloat64
    EXPECT_EQ(calls[i].reduction, 0);             // ncclSum
    EXPECT_EQ(calls[i].send, calls[i].recv) << "not in place";
    EXPECT_NE(calls[i].stream, nullptr) << "on the legacy default stream";
    EXPECT_EQ(calls[i].worldSize, 1);
  }
}

TEST_F(GpuOpsTest, CapturedAllReducesFollowTheBackend) {
  if (rt::cuda::defaultDriverKind() != rt::cuda::DriverKind::Fake)
    GTEST_SKIP() << "checks the fake NCCL's log (EMBER_FAKE_CUDA=1)";
  // A CUDA graph captured with an all-reduce calls the communicator it was
  // captured with: under another backend (or after finalize() destroyed
  // the communicators) it must not be replayed.
  TwoRanks first;
  InstallRanks installed(&first);
  manual_seed(12);
  Tensor x = rand({4, 6}).to(Device::cuda());
  auto step = [&] { return values(distributed::all_reduce(x * 2.0) * 3.0); };
  std::vector<double> want = step();
  CacheStats before = cache_stats();
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(compareFlat(step(), want, 1e-6, 1e-6), "");
  ASSERT_GE(cache_stats().gpuGraphReplays - before.gpuGraphReplays, 1u)
      << "the step was never replayed: the test checks nothing";
  TwoRanks second;
  rt::setCollectiveBackend(&second);
  rt::nccl::fake::clearCalls();
  EXPECT_EQ(compareFlat(step(), want, 1e-6, 1e-6), "");
  EXPECT_FALSE(rt::nccl::fake::calls().empty())
      << "a graph captured under the first backend was replayed";
}

TEST_F(GpuOpsTest, DataParallelStepsMatchTheCpu) {
  if (rt::cuda::defaultDriverKind() != rt::cuda::DriverKind::Fake)
    GTEST_SKIP() << "a simulated second rank needs the fake NCCL "
                    "(EMBER_FAKE_CUDA=1); distributed.ddp runs real ranks";
  // Each step's gradients are summed over the two ranks inside the step's
  // graph, then SGD with momentum: on the device the step is captured as a
  // CUDA graph once and replayed, NCCL's all-reduces with it.
  TwoRanks ranks;
  InstallRanks installed(&ranks);
  auto train = [](const Device &device) {
    manual_seed(4);
    nn::Sequential model{nn::Linear(20, 32), nn::ReLU(), nn::Linear(32, 5)};
    model.to(device);
    optim::SGD opt(model.parameters(), {.lr = 0.05, .momentum = 0.9});
    uint64_t hook = fe::addGradientsHook([](fe::LeafGradients &grads) {
      for (auto &[leaf, g] : grads)
        g = (distributed::all_reduce(Tensor(g)) / 2.0).node();
    });
    manual_seed(5);
    Tensor x = rand({8, 20}).to(device);
    Tensor y =
        tensor(std::vector<int64_t>{0, 1, 2, 3, 4, 0, 1, 2}, {8}).to(device);
    CacheStats before = cache_stats();
    for (int i = 0; i < 6; ++i) {
      opt.zero_grad();
      nn::CrossEntropyLoss()(model(x), y).backward();
      opt.step();
    }
    if (device.is_cuda())
      EXPECT_GE(cache_stats().gpuGraphReplays - before.gpuGraphReplays, 3u);
    fe::removeGradientsHook(hook);
    std::vector<std::vector<double>> out;
    for (const Tensor &p : model.parameters())
      out.push_back(values(p));
    return out;
  };
  rt::nccl::fake::clearCalls();
  std::vector<std::vector<double>> cpu = train(Device::cpu());
  EXPECT_TRUE(rt::nccl::fake::calls().empty()) << "NCCL called for the CPU";
  std::vector<std::vector<double>> gpu = train(Device::cuda());
  std::vector<rt::nccl::fake::Call> calls = rt::nccl::fake::calls();
  // Four gradients a step; replayed steps call nothing.
  EXPECT_GE(calls.size(), 4u);
  EXPECT_LT(calls.size(), 6u * 4u);
  EXPECT_TRUE(std::any_of(calls.begin(), calls.end(),
                          [](const auto &c) { return c.captured; }));
  for (const auto &c : calls)
    EXPECT_EQ(c.worldSize, 2);
  ASSERT_EQ(gpu.size(), cpu.size());
  for (size_t i = 0; i < cpu.size(); ++i)
    EXPECT_EQ(compareFlat(gpu[i], cpu[i], 1e-4, 1e-5), "") << "parameter " << i;
}

TEST_F(GpuOpsTest, TF32OnlyWhenAskedAndClose) {
  // A product big enough to be tiled (and odd sizes: partial tiles, K not a
  // multiple of the chunk), with a bias and ReLU, on the GPU against the
  // CPU's float32: exact float32 by default (tight), within TF32's rounding
  // when allowed (inputs to 10 mantissa bits: about 1e-3 relative), and
  // not as close as float32 there (the tensor cores did run).
  manual_seed(3);
  Tensor x = randn({129, 301}), w = randn({67, 301}), b = randn({67});
  Tensor cpu = relu(linear(x, w, b));
  std::vector<float> want = cpu.to_vector();
  auto onGpu = [&] {
    Device gpu = Device::cuda();
    return relu(linear(x.to(gpu), w.to(gpu), b.to(gpu))).to_vector();
  };
  auto worst = [&](const std::vector<float> &got) {
    double most = 0;
    for (size_t i = 0; i < want.size(); ++i)
      most = std::max(most, std::abs(double(got[i]) - want[i]) /
                                (1 + std::abs(double(want[i]))));
    return most;
  };
  ASSERT_FALSE(cuda::allow_tf32());
  double fp32 = worst(onGpu());
  EXPECT_LT(fp32, 1e-5);
  cuda::set_allow_tf32(true);
  std::vector<float> got = onGpu();
  cuda::set_allow_tf32(false);
  double tf32 = worst(got);
  EXPECT_LT(tf32, 2e-2);
  EXPECT_GT(tf32, 1e-5) << "the TF32 product is as exact as float32";
  // Against float32 products of the inputs rounded to TF32 on the host
  // (to nearest, ties away, as the kernel rounds): only the order of the
  // sums differs.
  auto rounded = [](const Tensor &t) {
    std::vector<float> v = t.to_vector();
    for (float &f : v) {
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      bits = (bits + 0x1000u) & 0xFFFFE000u;
      std::memcpy(&f, &bits, 4);
    }
    return tensor(v, t.shape());
  };
  want = relu(linear(rounded(x), rounded(w), b)).to_vector();
  double ordered = worst(got);
  EXPECT_LT(ordered, 1e-4); // (a GPU's tensor cores sum in their own order)
  std::cout << "[ cuda ] worst relative error against the CPU: float32 " << fp32
            << ", TF32 " << tf32 << " (" << ordered
            << " against TF32-rounded inputs)\n";

  // Training (the backward products on tensor cores too): a few SGD steps
  // of a model with tiled products, the losses close to the CPU's.
  auto train = [](const Device &device) {
    manual_seed(8);
    nn::Sequential model{nn::Linear(300, 256), nn::ReLU(), nn::Linear(256, 10)};
    model.to(device);
    optim::SGD opt(model.parameters(), {.lr = 0.05});
    manual_seed(9);
    Tensor x = randn({128, 300}).to(device);
    std::vector<int64_t> labels(128);
    for (size_t n = 0; n < labels.size(); ++n)
      labels[n] = static_cast<int64_t>(n % 10);
    Tensor y = tensor(labels, {128}).to(device);
    std::vector<double> losses;
    for (int i = 0; i < 4; ++i) {
      opt.zero_grad();
      Tensor loss = nn::CrossEntropyLoss()(model(x), y);
      loss.backward();
      opt.step();
      losses.push_back(loss.item());
    }
    return losses;
  };
  std::vector<double> cpuLosses = train(Device::cpu());
  cuda::set_allow_tf32(true);
  std::vector<double> gpuLosses = train(Device::cuda());
  cuda::set_allow_tf32(false);
  EXPECT_EQ(ref::compareClose(gpuLosses, cpuLosses, {4}, 1e-2, 0), "");
}

TEST_F(GpuOpsTest, TwoOptimizersShareOneBackward) {
  // An encoder's and a decoder's optimizer after one backward(): on a GPU
  // the first step overwrites the encoder's weights in place, so it
  // computes the decoder's lazy gradient (which reads them) first. The
  // same weights as the CPU's.
  auto train = [](const Device &device) {
    manual_seed(3);
    nn::Linear enc(4, 3), dec(3, 2);
    enc.to(device);
    dec.to(device);
    optim::SGD optEnc(enc.parameters(), {.lr = 0.5});
    optim::SGD optDec(dec.parameters(), {.lr = 0.5});
    Tensor x = tensor(std::vector<float>{1, -2, 3, 0.5f}, {1, 4}).to(device);
    for (int step = 0; step < 3; ++step) {
      Tensor y = dec(enc(x).relu());
      (y * y).sum().backward();
      optEnc.step();
      optDec.step();
      optEnc.zero_grad();
      optDec.zero_grad();
    }
    std::vector<float> w = dec.parameters()[0].to_vector();
    return std::vector<double>(w.begin(), w.end());
  };
  std::vector<double> cpu = train(Device::cpu()), gpu = train(Device::cuda());
  EXPECT_EQ(compareFlat(gpu, cpu, 1e-5, 1e-6), "");
}

TEST_F(GpuOpsTest, RandomGraphsMatchTheCpu) {
  std::mt19937_64 rng = test::testGenerator();
  SCOPED_TRACE(test::seedTrace());
  const int64_t sizes[] = {1, 5, 31, 67, 131};
  auto pick = [&](auto n) { return static_cast<size_t>(rng() % n); };
  for (int graph = 0; graph < 12; ++graph) {
    // Draw the program, tracking each value's shape.
    std::vector<Shape> shapes;
    std::vector<Shape> inputShapes;
    for (int i = 0; i < 3; ++i) {
      Shape s = {sizes[pick(5)], sizes[pick(5)]};
      inputShapes.push_back(s);
      shapes.push_back(s);
    }
    std::vector<RandomStep> steps;
    while (steps.size() < 12) {
      RandomStep st{static_cast<RandomStep::Kind>(pick(12)), pick(shapes.size()),
                    pick(shapes.size())};
      const Shape &a = shapes[st.a], &b = shapes[st.b];
      Shape out = a;
      switch (st.kind) {
      case RandomStep::Add: case RandomStep::Sub: case RandomStep::Mul:
        if (a != b)
          continue;
        break;
      case RandomStep::AddRow:
        if (b != Shape{1, a[1]})
          continue;
        break;
      case RandomStep::AddColumn:
        if (b != Shape{a[0], 1})
          continue;
        break;
      case RandomStep::Transpose:
        out = {a[1], a[0]};
        break;
      case RandomStep::Matmul:
        if (a[1] != b[0])
          continue;
        out = {a[0], b[1]};
        break;
      case RandomStep::SumRows:
        out = {a[0], 1};
        break;
      case RandomStep::SumColumns:
        out = {1, a[1]};
        break;
      default:
        break;
      }
      steps.push_back(st);
      shapes.push_back(out);
    }
    std::vector<std::vector<float>> inputs;
    for (const Shape &s : inputShapes) {
      std::uniform_real_distribution<float> u(-1, 1);
      std::vector<float> v(s[0] * s[1]);
      for (float &x : v)
        x = u(rng);
      inputs.push_back(std::move(v));
    }
    // The last three values and one drawn earlier are the outputs.
    std::vector<size_t> outputs = {shapes.size() - 1, shapes.size() - 2,
                                   shapes.size() - 3, 3 + pick(steps.size())};
    auto run = [&](const Device &device) {
      std::vector<Tensor> values;
      for (size_t i = 0; i < inputs.size(); ++i)
        values.push_back(tensor(inputs[i], inputShapes[i]).to(device));
      for (const RandomStep &st : steps) {
        const Tensor &a = values[st.a], &b = values[st.b];
        switch (st.kind) {
        case RandomStep::Relu: values.push_back(a.relu()); break;
        case RandomStep::Neg: values.push_back(-a); break;
        case RandomStep::Half: values.push_back(a * 0.5); break;
        case RandomStep::Add: values.push_back(a + b); break;
        case RandomStep::Sub: values.push_back(a - b); break;
        case RandomStep::Mul: values.push_back(a * b); break;
        case RandomStep::AddRow: case RandomStep::AddColumn:
          values.push_back(a + b);
          break;
        case RandomStep::Transpose: values.push_back(a.t()); break;
        case RandomStep::Matmul:
          // Scaled by 1/k, so values stay near 1 however deep the graph.
          values.push_back(a.matmul(b) * (1.0 / a.size(1)));
          break;
        case RandomStep::SumRows: values.push_back(a.sum({1}, true)); break;
        case RandomStep::SumColumns: values.push_back(a.sum({0}, true)); break;
        }
      }
      std::vector<Tensor> results;
      for (size_t o : outputs)
        results.push_back(values[o]);
      realize(results);
      std::vector<std::vector<double>> out;
      for (const Tensor &t : results) {
        std::vector<float> v = t.to_vector<float>();
        out.emplace_back(v.begin(), v.end());
      }
      return out;
    };
    std::vector<std::vector<double>> cpu = run(Device::cpu());
    std::vector<std::vector<double>> gpu = run(Device::cuda());
    for (size_t i = 0; i < outputs.size(); ++i)
      EXPECT_EQ(ref::compareClose(gpu[i], cpu[i], shapes[outputs[i]], 1e-4,
                                  1e-5),
                "")
          << "graph " << graph << ", output " << i << " (value "
          << outputs[i] << ")";
  }
}

// The Quickstart (examples/quickstart.cpp) for its first steps on the real
// data: the same seeded model, shuffled batches and SGD on each device, the
// losses within 1e-3 relative; the time of a step is printed. A whole epoch
// (938 steps, about 1.5 minutes on 2 cores) is example.quickstart-epoch.
TEST_F(GpuOpsTest, QuickstartStepsMatchTheCpu) {
  constexpr int kSteps = 20;
  data::FashionMNIST trainingData("/usr/share/datasets/fashion-mnist",
                                  {.train = true, .transform = transforms::ToTensor()});
  auto train = [&](const Device &device) {
    data::DataLoader loader(trainingData,
                            {.batch_size = 64, .shuffle = true, .seed = 11});
    manual_seed(7);
    test::NeuralNetwork model;
    model.to(device);
    nn::CrossEntropyLoss lossFn;
    optim::SGD optimizer(model.parameters(), {.lr = 1e-3});
    std::vector<double> losses;
    auto start = std::chrono::steady_clock::now();
    for (auto [x, y] : loader) {
      if (losses.size() == 1) // the first step compiles
        start = std::chrono::steady_clock::now();
      Tensor loss = lossFn(model(x.to(device)), y.to(device));
      loss.backward();
      optimizer.step();
      optimizer.zero_grad();
      losses.push_back(loss.item());
      if (losses.size() == kSteps)
        break;
    }
    std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - start;
    std::cout << "[ " << device.str() << " ] " << seconds.count() / (kSteps - 1)
              << " s per Quickstart step\n";
    return losses;
  };
  std::vector<double> cpu = train(Device::cpu());
  CacheStats before = cache_stats();
  std::vector<double> gpu = train(Device::cuda());
  EXPECT_EQ(ref::compareClose(gpu, cpu, {kSteps}, 1e-3, 0), "");
  // The parameters are updated in place and every other buffer of the step
  // is planned ahead (the graph's result and scalar buffers are reused once
  // the caller drops them): the first step is captured as a CUDA graph, and
  // every later one replays it.
  CacheStats after = cache_stats();
  uint64_t replays = after.gpuGraphReplays - before.gpuGraphReplays;
  uint64_t captures = after.gpuGraphCaptures - before.gpuGraphCaptures;
  std::cout << "[ cuda ] " << captures << " CUDA graphs captured, " << replays
            << " replayed, "
            << after.gpuDirectRuns - before.gpuDirectRuns
            << " runs kernel by kernel\n";
  EXPECT_EQ(captures, 1u);
  EXPECT_EQ(replays, kSteps - 1u);
}

} // namespace

namespace ember::test {
INSTANTIATE_TEST_SUITE_P(Cuda, OpTableTest,
                         ::testing::ValuesIn(opTableOn(Backend::Cuda)),
                         opTableTestName);
} // namespace ember::test
