//===- DeviceTest.cpp - Tensors and modules on a (fake) CUDA device -------===//
//
// Part of Ember. Runs against the runtime's fake CUDA driver
// (EMBER_FAKE_CUDA=1, set before main), which stores device memory on the
// host: transfers, device bookkeeping, printing and errors are checked
// without a GPU. It cannot run PTX, so computing on the device is checked
// to fail with a clear error here; scripts/gpu-check runs the real thing.
//
//===----------------------------------------------------------------------===//

#include "ember/ember.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>

using namespace ember;

namespace {

// Before any test asks the runtime which driver to use.
const int kFakeDriver = ::setenv("EMBER_FAKE_CUDA", "1", 1);

std::string str(const Tensor &t) {
  std::ostringstream os;
  os << t;
  return os.str();
}

TEST(DeviceTest, FakeCudaIsAvailable) {
  EXPECT_TRUE(cuda::is_available());
  EXPECT_EQ(cuda::device_count(), 1);
  EXPECT_EQ(Device::cuda().str(), "cuda:0");
}

TEST(DeviceTest, TransfersRoundTrip) {
  Tensor t = tensor({{1.0, 2.5}, {-3.0, 4.0}});
  Tensor d = t.to(Device::cuda());
  EXPECT_EQ(d.device(), Device::cuda());
  EXPECT_EQ(d.shape(), t.shape());
  EXPECT_EQ(d.to_vector(), t.to_vector());
  Tensor back = d.cpu();
  EXPECT_TRUE(back.device().is_cpu());
  EXPECT_EQ(back.to_vector(), t.to_vector());
  // Moving to where a tensor already is gives the tensor itself.
  EXPECT_EQ(d.cuda().node(), d.node());
  Tensor ints = arange(4, DType::Int64).cuda();
  EXPECT_EQ(ints.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2, 3}));
}

// The fake device has 1 GiB: a 1.2 GB tensor does not fit. The failure is
// an ember::Error naming the amounts, and the device goes on working.
TEST(DeviceTest, OutOfDeviceMemoryIsAnErrorAndTheDeviceGoesOn) {
  Tensor big = zeros({300, 1024, 1024});
  try {
    big.cuda().realize();
    FAIL() << "1.2 GB fit on a 1 GiB device";
  } catch (const Error &e) {
    std::string what = e.what();
    EXPECT_NE(what.find("CUDA_ERROR_OUT_OF_MEMORY"), std::string::npos) << what;
    EXPECT_NE(what.find("asked for 1258291200 bytes"), std::string::npos)
        << what;
  }
  big = Tensor();
  Tensor small = tensor({{1.0, 2.0}}).cuda();
  EXPECT_EQ(small.to_vector(), (std::vector<float>{1, 2}));
}

TEST(DeviceTest, PrintsWithPyTorchsDeviceSuffix) {
  EXPECT_EQ(str(tensor({1.0, 2.0, 3.0}).cuda()),
            "tensor([1., 2., 3.], device='cuda:0')");
  EXPECT_EQ(str(tensor({{0.5}}).cuda()), "tensor([[0.5000]], device='cuda:0')");
}

TEST(DeviceTest, MixingDevicesNamesBoth) {
  Tensor a = ones({2, 3}).cuda(), b = ones({2, 3});
  try {
    Tensor c = a + b;
    FAIL() << "no error";
  } catch (const Error &e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("add"), std::string::npos) << msg;
    EXPECT_NE(msg.find("cuda:0"), std::string::npos) << msg;
    EXPECT_NE(msg.find("cpu"), std::string::npos) << msg;
    EXPECT_NE(msg.find("DeviceTest.cpp"), std::string::npos) << msg;
  }
  // Rank-0 CPU tensors (Python scalars) may join a CUDA op, as in PyTorch.
  EXPECT_NO_THROW(a * 2.0);
  EXPECT_EQ((a * 2.0).device(), Device::cuda());
  EXPECT_THROW(a.data_ptr<float>(), Error);
}

TEST(DeviceTest, ModulesMoveTheirParametersInPlace) {
  manual_seed(2);
  nn::Linear layer(3, 2);
  std::vector<float> w = layer.weight.to_vector();
  Tensor handle = layer.parameters()[0];
  layer.to(Device::cuda());
  EXPECT_EQ(layer.weight.device(), Device::cuda());
  EXPECT_EQ(handle.device(), Device::cuda()); // the same parameter
  EXPECT_EQ(handle.to_vector(), w);
  // A checkpoint of a CUDA model loads into a CPU one.
  nn::Linear fresh(3, 2);
  fresh.load_state_dict(layer.state_dict());
  EXPECT_EQ(fresh.weight.to_vector(), w);
  EXPECT_TRUE(fresh.weight.device().is_cpu());
  layer.to(Device::cpu());
  EXPECT_EQ(layer.weight.to_vector(), w);
}

TEST(DeviceTest, ComputingOnTheFakeDeviceRunsTheKernels) {
  // The fake driver is an emulated device: it runs the graph's kernels,
  // compiled for the host, on its own memory (GpuOpsTest checks every op;
  // this is the device path end to end in this suite).
  Tensor a = tensor(std::vector<float>{1, -2, 3, -4}, {4}).cuda();
  Tensor r = (a * 3.0).relu() + 1.0;
  EXPECT_EQ(r.device(), Device::cuda());
  EXPECT_EQ(r.to_vector(), (std::vector<float>{4, 1, 10, 1}));
}

} // namespace
