//===- GpuPlan.h - The host-side plan of a compiled GPU graph ---*- C++ -*-===//
//
// Part of Ember. What the compiler produces for a GPU graph besides its
// kernels' PTX: the buffers the graph needs and the steps that run it
// (allocate a temporary, launch a kernel on buffers and scalars, copy, free).
// The runtime executes it through the CUDA driver API, so no MLIR is needed
// to run it. Header-only: the compiler writes plans, the runtime reads them.
//
// Buffers 0 .. numArgs-1 are the graph's arguments, inputs then outputs in
// the order of the graph function's parameters (the CPU ABI's order);
// further buffers are temporaries the plan allocates. Every buffer starts
// at a multiple of kGpuBufferAlignment bytes (kernels load and store 16-byte
// vectors); the caching allocator's blocks are 256-byte aligned.
//
// Text form, one item per line:
//   ember-gpu-plan 2
//   args <numArgs>
//   module <ptx-bytes>             followed by exactly that many bytes of PTX;
//                                  a graph's kernels share one module
//   kernel <name> <module-index>   a PTX entry point of an earlier module
//   hostcode <bytes>               optional: followed by exactly that many
//                                  bytes, an ELF shared object holding the
//                                  kernels compiled for the host (below)
//   alloc <buffer> <bytes>
//   launch <kernel-index> <gx> <gy> <gz> <bx> <by> <bz> <n> <arg>...
//          where <arg> is b<buffer>, i<int64> or f<float, as hex bits>
//   copy <dst-buffer> <src-buffer> <bytes>
//   free <buffer>
//   allreduce <buffer> <count> <dtype>
//          the sum over the job's ranks of the buffer's first <count>
//          elements of <dtype> (float32 or float64), in place: the
//          collective backend's (rt::CollectiveBackend::allReduceOnDevice,
//          NCCL), queued on the stream in order; with no backend installed
//          the process is the whole job and the buffer stays as it is
//   end
//
// Version 1 (one `kernel <name> <ptx-bytes>` module per kernel) is no
// longer read: compile the graph again.
//
// Host code (for the emulated device, EMBER_FAKE_CUDA=1): kernel i is also
// the C function
//   void ember_emu_kernel_<i>(void **params, const uint32_t ids[12],
//                             void *shared);
// where `params` is cuLaunchKernel's kernelParams (params[j] points at the
// value of parameter j: a device address for a buffer, an int64, or a
// float), ids holds blockIdx.{x,y,z}, threadIdx.{x,y,z}, gridDim.{x,y,z}
// and blockDim.{x,y,z}, in that order, and `shared` is the block's shared
// (workgroup) memory: at least ember_emu_kernel_<i>_shared_bytes bytes,
// aligned to 16, one buffer for all threads of a block; each workgroup
// attribution of the kernel is at a fixed offset in it, a multiple of 16,
// in the attributions' order. One call runs one thread, up to its end. Next
// to it, the shared object exports
//   const uint64_t ember_emu_kernel_<i>_shared_bytes; // static, per block
//   const uint32_t ember_emu_kernel_<i>_barriers;     // 1: calls the barrier
// (either missing reads as 0) and, when any kernel synchronises its block
// (gpu.barrier, __syncthreads), the variable
//   void (*ember_emu_barrier_hook)(void);
// which the emulator sets to its barrier when it loads the code: a thread
// calls it where the kernel has a barrier, and it returns once every thread
// of the block has called it (kHostBarrierHook). When a kernel exchanges
// values within a warp (gpu.shuffle, __shfl_sync), the variable
//   uint64_t (*ember_emu_shuffle_hook)(uint32_t value, uint32_t offset,
//                                      uint32_t width, uint32_t mode);
// is set to the emulator's shuffle (kHostShuffleHook): every thread of a
// warp (32 consecutive linear thread ids, x fastest) calls it with its
// value, and it returns, once all have, the value of lane `lane ^ offset`
// (mode 0), `lane - offset` (1), `lane + offset` (2) or `offset` (3) in the
// low 32 bits, with bit 32 set when that lane is below `width`; else the
// caller's own value and bit 32 clear (gpu.shuffle's result and `valid`).
// A kernel that shuffles says it has barriers (_barriers is 1). When a
// kernel uses tensor cores (nvgpu.mma.sync m16n8k8, TF32 in, f32
// accumulators; ember-gpu-map-linalg{tf32}), the variable
//   void (*ember_emu_mma_hook)(const float a[4], const float b[2],
//                              const float c[4], float d[4]);
// is set to the emulator's mma (kHostMmaHook): every thread of a warp calls
// it with its fragments (PTX's layout for mma.m16n8k8 .tf32: lane 4g + t
// holds A's (g, t), (g + 8, t), (g, t + 4), (g + 8, t + 4), B's (t, g) and
// (t + 4, g), and C's and D's (g, 2t), (g, 2t + 1), (g + 8, 2t),
// (g + 8, 2t + 1)), and it returns, once all have, the thread's part of
// D = A * B + C (A and B truncated to TF32). Such a kernel says it has
// barriers too.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_RUNTIME_GPUPLAN_H
#define EMBER_RUNTIME_GPUPLAN_H

#include "ember/runtime/DType.h"
#include "ember/runtime/Status.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

namespace ember::rt {

struct GpuKernel {
  std::string name;   ///< the PTX entry point
  int64_t module = 0; ///< index into GpuPlan::modules of the module defining it
};

/// One kernel argument: a buffer's device address, or a scalar.
struct GpuArg {
  enum class Kind : uint8_t { Buffer, I64, F32 };
  Kind kind = Kind::Buffer;
  int64_t value = 0; ///< buffer index, int64 value, or float bits
};

struct GpuStep {
  enum class Kind : uint8_t { Alloc, Launch, Copy, Free, AllReduce };
  Kind kind = Kind::Launch;
  int64_t buffer = 0;    ///< Alloc/Free/AllReduce: the buffer; Copy: the
                         ///< destination
  int64_t source = 0;    ///< Copy: the source buffer
  uint64_t bytes = 0;    ///< Alloc/Copy
  int64_t count = 0;     ///< AllReduce: elements
  DType dtype = DType::Float32; ///< AllReduce: Float32 or Float64
  int64_t kernel = 0;    ///< Launch: index into GpuPlan::kernels
  std::array<uint32_t, 3> grid{1, 1, 1}, block{1, 1, 1};
  std::vector<GpuArg> args;
};

/// The alignment of every buffer of a plan, in bytes (see above).
inline constexpr uint64_t kGpuBufferAlignment = 16;

/// The symbol of kernel `index`'s host code (see the layout above).
inline std::string hostKernelSymbol(int64_t index) {
  return "ember_emu_kernel_" + std::to_string(index);
}

/// The variable of the host code the emulator sets to its barrier.
inline constexpr const char *kHostBarrierHook = "ember_emu_barrier_hook";

/// The variable of the host code the emulator sets to its warp shuffle.
inline constexpr const char *kHostShuffleHook = "ember_emu_shuffle_hook";

/// The variable of the host code the emulator sets to its tensor-core mma.
inline constexpr const char *kHostMmaHook = "ember_emu_mma_hook";

struct GpuPlan {
  /// The text form's version (the first line, `ember-gpu-plan <version>`).
  static constexpr int kVersion = 2;

  int64_t numArgs = 0;
  /// PTX modules (texts), each loaded once; today one per graph.
  std::vector<std::string> modules;
  std::vector<GpuKernel> kernels;
  std::vector<GpuStep> steps;
  /// The kernels compiled for the host (an ELF shared object exporting
  /// hostKernelSymbol(i) for every kernel i); empty when not asked for.
  std::string hostCode;

  /// The number of buffers the steps refer to (arguments and temporaries).
  int64_t numBuffers() const {
    int64_t n = numArgs;
    for (const GpuStep &s : steps)
      if (s.kind == GpuStep::Kind::Alloc)
        n = std::max(n, s.buffer + 1);
    return n;
  }

  std::string serialize() const {
    std::ostringstream os;
    os << "ember-gpu-plan " << kVersion << "\nargs " << numArgs << "\n";
    for (const std::string &m : modules)
      os << "module " << m.size() << "\n" << m << "\n";
    for (const GpuKernel &k : kernels)
      os << "kernel " << k.name << " " << k.module << "\n";
    if (!hostCode.empty())
      os << "hostcode " << hostCode.size() << "\n" << hostCode << "\n";
    for (const GpuStep &s : steps) {
      switch (s.kind) {
      case GpuStep::Kind::Alloc:
        os << "alloc " << s.buffer << " " << s.bytes << "\n";
        break;
      case GpuStep::Kind::Free:
        os << "free " << s.buffer << "\n";
        break;
      case GpuStep::Kind::Copy:
        os << "copy " << s.buffer << " " << s.source << " " << s.bytes << "\n";
        break;
      case GpuStep::Kind::AllReduce:
        os << "allreduce " << s.buffer << " " << s.count << " "
           << dtypeName(s.dtype) << "\n";
        break;
      case GpuStep::Kind::Launch:
        os << "launch " << s.kernel;
        for (uint32_t g : s.grid)
          os << " " << g;
        for (uint32_t b : s.block)
          os << " " << b;
        os << " " << s.args.size();
        for (const GpuArg &a : s.args)
          os << " "
             << (a.kind == GpuArg::Kind::Buffer ? 'b'
                 : a.kind == GpuArg::Kind::I64  ? 'i'
                                                : 'f')
             << a.value;
        os << "\n";
        break;
      }
    }
    os << "end\n";
    return os.str();
  }

  /// Parses and validates a plan: every buffer, module and kernel reference
  /// must be in range, buffers allocated before use, sizes and counts sane.
  static StatusOr<GpuPlan> parse(const std::string &text) {
    GpuPlan plan;
    std::istringstream is(text);
    auto bad = [&](const std::string &what) {
      return Status::error("malformed GPU plan: " + what);
    };
    std::string word;
    int version = 0;
    if (!(is >> word >> version) || word != "ember-gpu-plan")
      return bad("missing 'ember-gpu-plan " + std::to_string(kVersion) +
                 "' header");
    if (version != kVersion)
      return bad("version " + std::to_string(version) + ", expected " +
                 std::to_string(kVersion) +
                 " (plans of other versions are not read: compile the graph "
                 "again)");
    if (!(is >> word >> plan.numArgs) || word != "args" || plan.numArgs < 0 ||
        plan.numArgs > (1 << 20))
      return bad("missing or invalid 'args'");
    std::vector<bool> live(plan.numArgs, true);
    // Bytes of each temporary (0 for arguments: their sizes are the
    // caller's).
    std::vector<uint64_t> sizes(plan.numArgs, 0);
    auto checkBuffer = [&](int64_t b) {
      return b >= 0 && b < static_cast<int64_t>(live.size()) && live[b];
    };
    while (is >> word) {
      if (word == "end")
        return plan;
      if (word == "module") {
        uint64_t bytes = 0;
        if (!(is >> bytes) || bytes > (uint64_t(1) << 30) ||
            plan.modules.size() >= 4096)
          return bad("invalid module header");
        is.get(); // the newline before the PTX
        std::string ptx(bytes, '\0');
        if (!is.read(ptx.data(), static_cast<std::streamsize>(bytes)))
          return bad("module " + std::to_string(plan.modules.size()) +
                     " is truncated");
        plan.modules.push_back(std::move(ptx));
        continue;
      }
      if (word == "kernel") {
        GpuKernel k;
        if (!(is >> k.name >> k.module) || plan.kernels.size() >= (1 << 20))
          return bad("invalid kernel header");
        if (k.module < 0 ||
            k.module >= static_cast<int64_t>(plan.modules.size()))
          return bad("kernel '" + k.name + "' names module " +
                     std::to_string(k.module) + ", which is not there");
        plan.kernels.push_back(std::move(k));
        continue;
      }
      if (word == "hostcode") {
        uint64_t bytes = 0;
        if (!(is >> bytes) || bytes == 0 || bytes > (uint64_t(1) << 30) ||
            !plan.hostCode.empty())
          return bad("invalid hostcode header");
        is.get(); // the newline before the code
        plan.hostCode.resize(bytes);
        if (!is.read(plan.hostCode.data(), static_cast<std::streamsize>(bytes)))
          return bad("the host code is truncated");
        if (plan.hostCode.compare(0, 4, "\x7f" "ELF") != 0)
          return bad("the host code is not an ELF object");
        continue;
      }
      GpuStep s;
      if (word == "alloc") {
        s.kind = GpuStep::Kind::Alloc;
        if (!(is >> s.buffer >> s.bytes) || s.buffer < plan.numArgs ||
            s.buffer > (1 << 20) || s.bytes > (uint64_t(1) << 40))
          return bad("invalid alloc");
        if (s.buffer >= static_cast<int64_t>(live.size())) {
          live.resize(s.buffer + 1, false);
          sizes.resize(s.buffer + 1, 0);
        }
        sizes[s.buffer] = s.bytes;
        if (live[s.buffer])
          return bad("buffer " + std::to_string(s.buffer) +
                     " allocated while live");
        live[s.buffer] = true;
      } else if (word == "free") {
        s.kind = GpuStep::Kind::Free;
        if (!(is >> s.buffer) || s.buffer < plan.numArgs || !checkBuffer(s.buffer))
          return bad("invalid free");
        live[s.buffer] = false;
      } else if (word == "copy") {
        s.kind = GpuStep::Kind::Copy;
        if (!(is >> s.buffer >> s.source >> s.bytes) || !checkBuffer(s.buffer) ||
            !checkBuffer(s.source))
          return bad("invalid copy");
      } else if (word == "allreduce") {
        s.kind = GpuStep::Kind::AllReduce;
        std::string dtype;
        if (!(is >> s.buffer >> s.count >> dtype) || !checkBuffer(s.buffer) ||
            s.count < 0 || s.count > (int64_t(1) << 40))
          return bad("invalid allreduce");
        if (dtype == dtypeName(DType::Float32))
          s.dtype = DType::Float32;
        else if (dtype == dtypeName(DType::Float64))
          s.dtype = DType::Float64;
        else
          return bad("allreduce of '" + dtype + "' (float32 and float64 only)");
        if (s.buffer >= plan.numArgs &&
            static_cast<uint64_t>(s.count) * dtypeSize(s.dtype) >
                sizes[s.buffer])
          return bad("allreduce of " + std::to_string(s.count) +
                     " elements in buffer " + std::to_string(s.buffer) +
                     " of " + std::to_string(sizes[s.buffer]) + " bytes");
      } else if (word == "launch") {
        s.kind = GpuStep::Kind::Launch;
        size_t n = 0;
        if (!(is >> s.kernel) || s.kernel < 0 ||
            s.kernel >= static_cast<int64_t>(plan.kernels.size()))
          return bad("launch of an unknown kernel");
        for (uint32_t &g : s.grid)
          if (!(is >> g) || g == 0)
            return bad("invalid grid");
        for (uint32_t &b : s.block)
          if (!(is >> b) || b == 0 || b > 1024)
            return bad("invalid block");
        if (!(is >> n) || n > 4096)
          return bad("invalid argument count");
        for (size_t i = 0; i < n; ++i) {
          std::string a;
          if (!(is >> a) || a.size() < 2)
            return bad("invalid argument");
          GpuArg arg;
          try {
            arg.value = std::stoll(a.substr(1));
          } catch (...) {
            return bad("invalid argument '" + a + "'");
          }
          if (a[0] == 'b') {
            arg.kind = GpuArg::Kind::Buffer;
            if (!checkBuffer(arg.value))
              return bad("launch reads buffer " + a.substr(1) +
                         ", which is not live");
          } else if (a[0] == 'i') {
            arg.kind = GpuArg::Kind::I64;
          } else if (a[0] == 'f') {
            arg.kind = GpuArg::Kind::F32;
          } else {
            return bad("invalid argument '" + a + "'");
          }
          s.args.push_back(arg);
        }
      } else {
        return bad("unknown item '" + word + "'");
      }
      plan.steps.push_back(std::move(s));
    }
    return bad("missing 'end'");
  }
};

/// The bits of a float, as GpuArg::Kind::F32 stores them.
inline int64_t floatBits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
}

} // namespace ember::rt

#endif // EMBER_RUNTIME_GPUPLAN_H
