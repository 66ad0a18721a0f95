//===- OpTableTest.cpp - The op table on one backend ----------------------===//
//
// Part of Ember. See OpTableTest.h. Each case is recorded twice: on its
// host inputs, evaluated (with its backward graph) by the reference
// evaluator in double, and on the inputs' copies on the backend, compiled
// and run there.
//
//===----------------------------------------------------------------------===//

#include "OpTableTest.h"

#include "HostCpu.h"
#include "Reference.h"
#include "TestSeed.h"
#include "ember/runtime/Cuda.h"

#include <string>

namespace ember::test {

namespace {

const char *backendName(Backend backend) {
  switch (backend) {
  case Backend::Cpu:
    return "cpu";
  case Backend::CpuAvx2:
    return "cpu-avx2";
  case Backend::Cuda:
    return "cuda";
  }
  return "?";
}

bool isFloat(DType dtype) {
  return dtype == DType::Float32 || dtype == DType::Float64;
}

/// "float32[3, 5], int64[3]", for failure messages.
std::string describe(const OpInputs &inputs) {
  std::string s;
  for (const Tensor &t : inputs)
    s += (s.empty() ? "" : ", ") + std::string(dtypeName(t.dtype())) +
         ::testing::PrintToString(t.shape());
  return s;
}

/// The loss whose gradients are compared: sum over the outputs of
/// sum(output * weights).
Tensor weightedSum(const std::vector<Tensor> &outputs,
                   const std::vector<Tensor> &weights) {
  Tensor loss;
  for (size_t i = 0; i < outputs.size(); ++i) {
    Tensor term = (outputs[i] * weights[i]).sum();
    loss = loss.defined() ? loss + term : term;
  }
  return loss;
}

/// Drops the inputs' gradients at the end of the scope: a gradient's lazy
/// graph reads its leaf (a cycle, until it is dropped).
struct DropGradients {
  const OpInputs &inputs;
  ~DropGradients() {
    for (const Tensor &t : inputs)
      t.zero_grad_();
  }
};

} // namespace

void PrintTo(const OpTableParam &param, std::ostream *os) {
  *os << backendName(param.backend) << " " << param.opCase->name;
}

std::vector<OpTableParam> opTableOn(Backend backend) {
  std::vector<OpTableParam> params;
  for (const OpCase &c : opTable())
    params.push_back({backend, &c});
  return params;
}

std::string opTableTestName(const ::testing::TestParamInfo<OpTableParam> &info) {
  return info.param.opCase->name;
}

void OpTableTest::SetUp() {
  switch (GetParam().backend) {
  case Backend::Cpu:
    set_cpu_target("");
    break;
  case Backend::CpuAvx2:
    if (!canRunAvx2())
      GTEST_SKIP() << "this CPU cannot run AVX2 code";
    set_cpu_target("haswell");
    break;
  case Backend::Cuda:
    if (!cuda::is_available())
      GTEST_SKIP() << "no CUDA GPU: " << rt::cuda::unavailableReason();
    if (!GetParam().opCase->notOnCuda.empty())
      GTEST_SKIP() << "not on CUDA yet: " << GetParam().opCase->notOnCuda;
    break;
  }
}

void OpTableTest::TearDown() { set_cpu_target(""); }

TEST_P(OpTableTest, MatchesTheReference) { check(); }

void OpTableTest::check() {
  const OpCase &c = *GetParam().opCase;
  Device device = GetParam().backend == Backend::Cuda ? Device::cuda()
                                                      : Device::cpu();
  SCOPED_TRACE(seedTrace());
  std::mt19937_64 rng = testGenerator();
  Draw draw(rng);
  OpInstance instance = c.draw(draw);
  OpInputs &hostInputs = instance.inputs;
  SCOPED_TRACE("inputs " + describe(hostInputs));
  bool gradients = c.gradients.has_value();
  DropGradients dropHost{hostInputs};
  if (gradients)
    for (Tensor &t : hostInputs)
      if (isFloat(t.dtype()))
        t.requires_grad_();

  // The reference: the op(s) and the gradients on the host inputs.
  std::vector<Tensor> hostOutputs = instance.op(hostInputs).tensors;
  std::vector<std::vector<double>> expected, expectedGradients;
  for (const Tensor &t : hostOutputs)
    expected.push_back(ref::evaluate(t.node()));
  std::vector<Tensor> weights;
  if (gradients) {
    for (const Tensor &t : hostOutputs)
      weights.push_back(draw.floats(t.shape(), 0.5, 1.5, false, t.dtype()));
    weightedSum(hostOutputs, weights).backward();
    for (const Tensor &t : hostInputs)
      expectedGradients.push_back(t.grad().defined()
                                      ? ref::evaluate(t.grad().node())
                                      : std::vector<double>());
  }

  // The same on the backend, on copies of the inputs.
  OpInputs inputs;
  for (const Tensor &t : hostInputs) {
    inputs.push_back(t.detach().to(device));
    if (t.requires_grad())
      inputs.back().requires_grad_();
  }
  DropGradients dropBackend{inputs};
  std::vector<Tensor> outputs = instance.op(inputs).tensors;
  ASSERT_EQ(outputs.size(), hostOutputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    SCOPED_TRACE("output " + std::to_string(i));
    EXPECT_EQ(outputs[i].device(), device);
    EXPECT_EQ(outputs[i].dtype(), hostOutputs[i].dtype());
    EXPECT_EQ(ref::compareClose(outputs[i].to_vector<double>(), expected[i],
                                outputs[i].shape(), c.values.rtol,
                                c.values.atol),
              "");
  }
  if (!gradients)
    return;
  for (Tensor &w : weights)
    w = w.to(device);
  weightedSum(outputs, weights).backward();
  for (size_t i = 0; i < inputs.size(); ++i) {
    SCOPED_TRACE("gradient of input " + std::to_string(i));
    Tensor grad = inputs[i].grad();
    ASSERT_EQ(grad.defined(), !expectedGradients[i].empty());
    if (grad.defined())
      EXPECT_EQ(ref::compareClose(grad.to_vector<double>(), expectedGradients[i],
                                  grad.shape(), c.gradients->rtol,
                                  c.gradients->atol),
                "");
  }
}

} // namespace ember::test
