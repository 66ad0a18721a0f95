//===- Device.h - Where tensors live ----------------------------*- C++ -*-===//
//
// Part of Ember. Devices in PyTorch's spelling: Device::cpu(), Device::cuda(i).
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_FRONTEND_DEVICE_H
#define EMBER_FRONTEND_DEVICE_H

#include <string>

namespace ember {

/// A device: the host CPU, or a CUDA GPU by index.
struct Device {
  enum class Type { CPU, CUDA };
  Type type = Type::CPU;
  int index = 0;

  static Device cpu() { return {}; }
  static Device cuda(int index = 0) { return {Type::CUDA, index}; }
  bool is_cpu() const { return type == Type::CPU; }
  bool is_cuda() const { return type == Type::CUDA; }
  /// "cpu" or "cuda:0", as PyTorch prints devices.
  std::string str() const {
    return is_cpu() ? "cpu" : "cuda:" + std::to_string(index);
  }
  bool operator==(const Device &) const = default;
};

/// Threads compiled CPU kernels use, as torch::set_num_threads: n >= 1
/// sets it for the whole process; n <= 0 goes back to the default
/// (EMBER_NUM_THREADS, else every CPU the process may use).
void set_num_threads(int n);
/// The thread count the next CPU kernel will use.
int get_num_threads();

namespace cuda {
/// Whether a CUDA GPU can be used (the driver loads and sees a device).
bool is_available();
/// Number of usable CUDA GPUs.
int device_count();
/// Whether float32 matrix products on a GPU may use tensor cores in TF32
/// (inputs rounded to 10 mantissa bits, about 1e-3 relative error, several
/// times faster), as torch.backends.cuda.matmul.allow_tf32 = True. Off by
/// default: products are exact float32. Graphs compiled afterwards follow
/// it.
void set_allow_tf32(bool allow);
bool allow_tf32();
} // namespace cuda

} // namespace ember

#endif // EMBER_FRONTEND_DEVICE_H
