//===- Devices.cpp - Tensors' buffers on the host and on GPUs -------------===//
//
// Part of Ember. Where a realised node's value lives: the host buffer, a
// CUDA device's buffer, and the copies between them; the runtime device
// behind a frontend Device.
//
//===----------------------------------------------------------------------===//

#include "Realize.h"

#include "ember/frontend/Error.h"
#include "ember/runtime/Cuda.h"

#include <fmt/format.h>

namespace ember::fe {

[[noreturn]] void failAt(std::source_location loc, const std::string &what) {
  throw Error(fmt::format("ember: {} (at {})", what, formatLocation(loc)));
}

rt::cuda::Device &cudaDevice(const Device &device, std::source_location loc) {
  if (!rt::cuda::available())
    failAt(loc, "CUDA is not available: " + rt::cuda::unavailableReason());
  rt::StatusOr<rt::cuda::Device *> d = rt::cuda::Device::get(device.index);
  if (!d)
    failAt(loc, "cannot use " + device.str() + ": " + d.status().message());
  return **d;
}

std::shared_ptr<rt::cuda::DeviceBuffer>
allocateOn(rt::cuda::Device &device, size_t bytes, std::source_location loc) {
  rt::StatusOr<rt::cuda::DeviceBuffer> buffer = device.allocate(bytes);
  if (!buffer)
    failAt(loc, buffer.status().message());
  return std::make_shared<rt::cuda::DeviceBuffer>(std::move(*buffer));
}

std::shared_ptr<rt::Buffer> hostData(const Node &node,
                                     std::source_location loc) {
  if (node.data)
    return node.data;
  if (!node.deviceData)
    failAt(loc, "internal error: reading a tensor that is not computed");
  size_t bytes = static_cast<size_t>(node.numel()) * dtypeSize(node.dtype);
  auto host = allocateHost(bytes, [&] {
    return "copying a tensor from " + node.device.str() + " at " +
           formatLocation(loc);
  });
  rt::cuda::Device &device = *node.deviceData->device();
  if (rt::Status s = device.copyToHost(host->data(), *node.deviceData, bytes);
      !s)
    failAt(loc, s.message());
  if (rt::Status s = device.synchronize(); !s)
    failAt(loc, s.message());
  return host;
}

std::shared_ptr<rt::cuda::DeviceBuffer>
deviceData(const Node &node, const Device &target, std::source_location loc) {
  if (node.deviceData && node.device == target)
    return node.deviceData;
  std::shared_ptr<rt::Buffer> host = hostData(node, loc);
  rt::cuda::Device &device = cudaDevice(target, loc);
  size_t bytes = static_cast<size_t>(node.numel()) * dtypeSize(node.dtype);
  auto buffer = allocateOn(device, bytes, loc);
  if (rt::Status s = device.copyToDevice(*buffer, host->data(), bytes); !s)
    failAt(loc, s.message());
  return buffer;
}

} // namespace ember::fe
