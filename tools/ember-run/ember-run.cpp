//===- ember-run.cpp - Run a compiled graph with only the runtime ---------===//
//
// Part of Ember. Runs an artifact written by graphc on NumPy inputs, with no
// LLVM or MLIR in the process (this tool links only the runtime):
//
//   ember-run ARTIFACT --input a.npy [--input b.npy ...] --output y.npy
//             [--output ...] [--device cpu|cuda] [--repeat N] [--threads T]
//
//===----------------------------------------------------------------------===//

#include "ember/runtime/Artifact.h"
#include "ember/runtime/Buffer.h"
#include "ember/runtime/Cuda.h"
#include "ember/runtime/Executable.h"
#include "ember/runtime/File.h"
#include "ember/runtime/GpuExecutable.h"
#include "ember/runtime/GpuPlan.h"
#include "ember/runtime/Npy.h"
#include "ember/runtime/Threads.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <span>
#include <string>
#include <vector>

using namespace ember::rt;

namespace {

enum ExitCode {
  kOk = 0,
  kUsage = 1,
  kIO = 2,
  kInvalidFile = 3,
  kSignature = 4,
  kRuntime = 5,
};

const char *kHelp =
    R"(ember-run: run a graph compiled by graphc, with only the Ember runtime.

usage: ember-run ARTIFACT --input X.npy [--input ...] --output Y.npy [--output ...]
                 [--device cpu|cuda] [--repeat N] [--threads T]

Inputs and outputs are NumPy .npy files (float32, float64, int64, uint8,
bool; C order), given in the order of the graph's arguments and results;
each input must match the artifact's signature in dtype and shape.
--repeat N runs the graph N times and prints the median time per run.
--threads T runs a CPU graph's parallel loops on T threads (default:
EMBER_NUM_THREADS, else the CPUs the process may use).

exit codes: 0 success  1 usage  2 file I/O  3 invalid artifact or .npy
            4 inputs do not match the signature  5 running failed
)";

int fail(int code, const std::string &message) {
  std::cerr << "ember-run: " << message << "\n";
  return code;
}

} // namespace

int main(int argc, char **argv) {
  std::string artifactPath, device = "cpu";
  std::vector<std::string> inputs, outputs;
  int repeat = 1, threads = 0;
  bool threadsGiven = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char * { return i + 1 < argc ? argv[++i] : nullptr; };
    if (a == "--help" || a == "-h") {
      std::cout << kHelp;
      return kOk;
    } else if (a == "--input" || a == "--output" || a == "--device" ||
               a == "--repeat" || a == "--threads") {
      const char *v = value();
      if (!v)
        return fail(kUsage, a + " needs a value");
      if (a == "--input")
        inputs.push_back(v);
      else if (a == "--output")
        outputs.push_back(v);
      else if (a == "--device")
        device = v;
      else if (a == "--threads") {
        threads = std::atoi(v);
        threadsGiven = true;
      } else
        repeat = std::atoi(v);
    } else if (a.rfind("-", 0) == 0) {
      return fail(kUsage, "unknown option '" + a + "' (see --help)");
    } else if (artifactPath.empty()) {
      artifactPath = a;
    } else {
      return fail(kUsage, "more than one artifact given");
    }
  }
  if (artifactPath.empty())
    return fail(kUsage, "no artifact given (see --help)");
  if (repeat < 1 || repeat > 1000000)
    return fail(kUsage, "--repeat must be between 1 and 1000000");
  if (device != "cpu" && device != "cuda")
    return fail(kUsage, "--device must be cpu or cuda");
  if (threadsGiven && (threads < 1 || threads > 4096))
    return fail(kUsage, "--threads must be between 1 and 4096");
  if (threadsGiven)
    setNumThreads(threads);

  std::string bytes, why;
  if (!readRegularFile(artifactPath, bytes, why))
    return fail(kIO, "cannot read '" + artifactPath + "': " + why);
  StatusOr<Artifact> artifact = Artifact::parse(bytes);
  if (!artifact)
    return fail(kInvalidFile, artifactPath + ": " + artifact.status().message());
  bool cudaArtifact = artifact->target == Artifact::Target::CUDA;
  if (cudaArtifact != (device == "cuda"))
    return fail(kUsage, std::string("the artifact was compiled for ") +
                            (cudaArtifact ? "cuda" : "cpu") + "; use --device " +
                            (cudaArtifact ? "cuda" : "cpu"));
  if (inputs.size() != artifact->inputs.size())
    return fail(kSignature, "the graph takes " +
                                std::to_string(artifact->inputs.size()) +
                                " inputs, " + std::to_string(inputs.size()) +
                                " given");
  if (outputs.size() != artifact->outputs.size())
    return fail(kUsage, "the graph has " + std::to_string(artifact->outputs.size()) +
                            " outputs: give as many --output files");

  std::vector<NpyArray> arrays;
  for (size_t i = 0; i < inputs.size(); ++i) {
    StatusOr<NpyArray> a = readNpy(inputs[i]);
    if (!a)
      return fail(a.status().message().rfind("cannot read", 0) == 0 ? kIO
                                                                     : kInvalidFile,
                  a.status().message());
    const TensorSignature &want = artifact->inputs[i];
    if (a->signature.dtype != want.dtype || a->signature.shape != want.shape)
      return fail(kSignature, "input " + std::to_string(i) + " (" + inputs[i] +
                                  ") is " + a->signature.str() +
                                  "; the graph expects " + want.str());
    arrays.push_back(std::move(*a));
  }
  std::vector<NpyArray> results(outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    results[i].signature = artifact->outputs[i];
    results[i].data.resize(static_cast<size_t>(artifact->outputs[i].numel()) *
                           ember::dtypeSize(artifact->outputs[i].dtype));
  }

  std::vector<double> times;
  auto timed = [&](auto &&run) -> Status {
    for (int r = 0; r < repeat; ++r) {
      auto start = std::chrono::steady_clock::now();
      if (Status s = run(); !s)
        return s;
      times.push_back(std::chrono::duration<double, std::milli>(
                          std::chrono::steady_clock::now() - start)
                          .count());
    }
    return Status::ok();
  };

  if (!cudaArtifact) {
    auto exe = Executable::load(
        std::span<const uint8_t>(
            reinterpret_cast<const uint8_t *>(artifact->code.data()),
            artifact->code.size()),
        artifact->entry);
    if (!exe)
      return fail(kInvalidFile, artifactPath + ": " + exe.status().message());
    // Aligned buffers for the code (the .npy data need not be aligned).
    std::vector<std::shared_ptr<Buffer>> buffers;
    std::vector<void *> args;
    for (NpyArray &a : arrays) {
      buffers.push_back(Buffer::allocateUninitialized(a.data.size()));
      std::memcpy(buffers.back()->data(), a.data.data(), a.data.size());
      args.push_back(buffers.back()->data());
    }
    for (NpyArray &r : results) {
      buffers.push_back(Buffer::allocateUninitialized(r.data.size()));
      args.push_back(buffers.back()->data());
    }
    if (Status s = timed([&] { return (*exe)->run(args.data()); }); !s)
      return fail(kRuntime, s.message());
    for (size_t i = 0; i < results.size(); ++i)
      std::memcpy(results[i].data.data(), args[arrays.size() + i],
                  results[i].data.size());
  } else {
    StatusOr<GpuPlan> plan = GpuPlan::parse(artifact->code);
    if (!plan)
      return fail(kInvalidFile, artifactPath + ": " + plan.status().message());
    if (!cuda::available())
      return fail(kRuntime, "CUDA is not available: " + cuda::unavailableReason());
    StatusOr<cuda::Device *> dev = cuda::Device::get(0);
    if (!dev)
      return fail(kRuntime, dev.status().message());
    cuda::Device &gpu = **dev;
    auto exe = cuda::GpuExecutable::load(gpu, std::move(*plan));
    if (!exe)
      return fail(kRuntime, exe.status().message());
    std::vector<cuda::DeviceBuffer> buffers;
    std::vector<cuda::DevicePtr> args;
    auto allocate = [&](size_t bytes) -> Status {
      StatusOr<cuda::DeviceBuffer> b = gpu.allocate(bytes);
      if (!b)
        return b.status();
      args.push_back(b->address());
      buffers.push_back(std::move(*b));
      return Status::ok();
    };
    for (NpyArray &a : arrays) {
      if (Status s = allocate(a.data.size()); !s)
        return fail(kRuntime, s.message());
      if (Status s = gpu.copyToDevice(buffers.back(), a.data.data(), a.data.size()); !s)
        return fail(kRuntime, s.message());
    }
    for (NpyArray &r : results)
      if (Status s = allocate(r.data.size()); !s)
        return fail(kRuntime, s.message());
    Status s = timed([&] {
      if (Status st = (*exe)->run(args); !st)
        return st;
      return gpu.synchronize();
    });
    if (!s)
      return fail(kRuntime, s.message());
    for (size_t i = 0; i < results.size(); ++i)
      if (Status st = gpu.copyToHost(results[i].data.data(),
                                     buffers[arrays.size() + i],
                                     results[i].data.size());
          !st)
        return fail(kRuntime, st.message());
    if (Status st = gpu.synchronize(); !st)
      return fail(kRuntime, st.message());
  }

  for (size_t i = 0; i < results.size(); ++i)
    if (Status s = writeNpy(outputs[i], results[i]); !s)
      return fail(kIO, s.message());
  if (repeat > 1) {
    std::sort(times.begin(), times.end());
    std::cout << "ember-run: " << repeat << " runs, median "
              << times[times.size() / 2] << " ms, min " << times.front()
              << " ms";
    if (!cudaArtifact)
      std::cout << " (" << numThreads() << " threads)";
    std::cout << "\n";
  }
  return kOk;
}
