//===- Nccl.cpp - Collectives between GPUs through NCCL -------------------===//
//
// Part of Ember. NCCL is reached only through a table of function pointers
// (nccl::Library, cuda/NcclApi.h): filled here by dlsym from libnccl.so.2,
// or by the fake NCCL (cuda/FakeNccl.cpp) for the fake driver's device.
// Every call goes through Library::check, which names the call, NCCL's
// error and its last message.
//
//===----------------------------------------------------------------------===//

#include "ember/runtime/Nccl.h"
#include "cuda/Driver.h"
#include "cuda/NcclApi.h"
#include "ember/runtime/Collectives.h"

#include <cstdlib>
#include <cstring>
#include <dlfcn.h>

namespace ember::rt::nccl {

namespace {

Library *loadSystemNccl() {
  auto *library = new Library;
  // $EMBER_NCCL_LIBRARY, the loader's path, then where the CUDA toolkit
  // keeps it.
  std::vector<std::string> candidates;
  if (const char *env = std::getenv("EMBER_NCCL_LIBRARY"); env && *env)
    candidates = {env};
  else
    candidates = {"libnccl.so.2", "/usr/local/cuda/lib64/libnccl.so.2"};
  std::string errors;
  for (const std::string &name : candidates) {
    dlerror();
    library->handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (library->handle)
      break;
    const char *err = dlerror();
    errors += (errors.empty() ? "" : "; ") +
              std::string(err ? err : name + ": unknown dlopen error");
  }
  if (!library->handle) {
    library->status = Status::error(
        "libnccl.so.2 not found (set EMBER_NCCL_LIBRARY to its path): " +
        errors);
    return library;
  }
#define EMBER_NCCL_RESOLVE(name, result, params)                               \
  if (void *sym = dlsym(library->handle, #name)) {                             \
    library->name = reinterpret_cast<decltype(library->name)>(sym);            \
  } else {                                                                     \
    library->status = Status::error("libnccl.so.2 has no " #name               \
                                    " (Ember needs NCCL 2.13 or later)");      \
    return library;                                                            \
  }
  EMBER_NCCL_API(EMBER_NCCL_RESOLVE)
#undef EMBER_NCCL_RESOLVE
  int version = 0;
  if (Status s = EMBER_NCCL(*library, ncclGetVersion, &version); !s)
    library->status = s;
  else if (version < 21300)
    library->status =
        Status::error("libnccl.so.2 is NCCL " + std::to_string(version) +
                      "; Ember needs 2.13 or later");
  return library;
}

Library *loadFakeNccl() {
  auto *library = new Library;
  installFakeNccl(*library);
  return library;
}

/// The NCCL of devices of `kind`, loaded on first use; never unloaded.
const Library &library(cuda::DriverKind kind) {
  if (kind == cuda::DriverKind::Fake) {
    static const Library *fakeNccl = loadFakeNccl();
    return *fakeNccl;
  }
  static const Library *systemNccl = loadSystemNccl();
  return *systemNccl;
}

/// The library of `kind`, or why it cannot be used.
StatusOr<const Library *> usable(cuda::DriverKind kind) {
  const Library &l = library(kind);
  if (!l.status)
    return l.status;
  return &l;
}

} // namespace

bool available(cuda::DriverKind kind) { return library(kind).status.isOk(); }

std::string unavailableReason(cuda::DriverKind kind) {
  return library(kind).status.message();
}

StatusOr<int> version(cuda::DriverKind kind) {
  StatusOr<const Library *> l = usable(kind);
  if (!l)
    return l.status();
  int v = 0;
  if (Status s = EMBER_NCCL(**l, ncclGetVersion, &v); !s)
    return s;
  return v;
}

StatusOr<UniqueId> newUniqueId(cuda::DriverKind kind) {
  StatusOr<const Library *> l = usable(kind);
  if (!l)
    return l.status();
  ncclUniqueId id;
  if (Status s = EMBER_NCCL(**l, ncclGetUniqueId, &id); !s)
    return s;
  UniqueId out;
  static_assert(sizeof out.bytes == sizeof id.internal);
  std::memcpy(out.bytes.data(), id.internal, sizeof id.internal);
  return out;
}

StatusOr<std::unique_ptr<Communicator>>
Communicator::create(cuda::Device &device, int worldSize, int rank,
                     const UniqueId &id) {
  StatusOr<const Library *> l = usable(device.driverKind());
  if (!l)
    return l.status();
  if (worldSize < 1 || rank < 0 || rank >= worldSize)
    return Status::error("nccl::Communicator: rank " + std::to_string(rank) +
                         " of " + std::to_string(worldSize) + " ranks");
  ncclUniqueId ncclId;
  std::memcpy(ncclId.internal, id.bytes.data(), sizeof ncclId.internal);
  ncclComm_t comm = nullptr;
  // NCCL takes the device from the calling thread's current context.
  Status s = device.queueOnStream([&](void *) {
    return EMBER_NCCL(**l, ncclCommInitRank, &comm, worldSize, ncclId, rank);
  });
  if (!s)
    return Status::error("joining the NCCL job as rank " +
                         std::to_string(rank) + " of " +
                         std::to_string(worldSize) + " on CUDA device " +
                         std::to_string(device.ordinal()) + ": " + s.message());
  return std::unique_ptr<Communicator>(
      new Communicator(device, comm, worldSize, rank));
}

Communicator::~Communicator() {
  const Library &l = library(device_.driverKind());
  if (comm_ && l.ncclCommDestroy)
    (void)l.ncclCommDestroy(static_cast<ncclComm_t>(comm_));
}

Status Communicator::allReduceSum(cuda::DevicePtr data, int64_t count,
                                  DType dtype) {
  if (dtype != DType::Float32 && dtype != DType::Float64)
    return Status::error("NCCL all-reduce of " + std::string(dtypeName(dtype)) +
                         ": only float32 and float64");
  if (count < 0)
    return Status::error("NCCL all-reduce of " + std::to_string(count) +
                         " elements");
  const Library &l = library(device_.driverKind());
  auto *comm = static_cast<ncclComm_t>(comm_);
  void *buffer = reinterpret_cast<void *>(static_cast<uintptr_t>(data));
  return device_.queueOnStream([&](void *stream) {
    return l.check(
        l.ncclAllReduce(buffer, buffer, static_cast<size_t>(count),
                        dtype == DType::Float64 ? ncclFloat64 : ncclFloat32,
                        ncclSum, comm, static_cast<cudaStream_t>(stream)),
        "ncclAllReduce", comm);
  });
}

StatusOr<Communicator *> Communicators::get(cuda::Device &device) {
  std::lock_guard lock(mutex_);
  for (const std::unique_ptr<Communicator> &c : communicators_)
    if (&c->device() == &device)
      return c.get();
  UniqueId id;
  if (rank_ == 0) {
    StatusOr<UniqueId> fresh = newUniqueId(device.driverKind());
    if (!fresh)
      return fresh.status();
    id = *fresh;
  }
  if (worldSize_ > 1)
    if (Status s = shareId_(id); !s)
      return s;
  StatusOr<std::unique_ptr<Communicator>> c =
      Communicator::create(device, worldSize_, rank_, id);
  if (!c)
    return c.status();
  communicators_.push_back(std::move(*c));
  return communicators_.back().get();
}

Status Communicators::allReduceSum(cuda::Device &device, cuda::DevicePtr data,
                                   int64_t count, DType dtype) {
  StatusOr<Communicator *> comm = get(device);
  if (!comm)
    return comm.status();
  return (*comm)->allReduceSum(data, count, dtype);
}

void Communicators::clear() {
  std::lock_guard lock(mutex_);
  communicators_.clear();
  noteCollectivesChanged(); // graphs captured with them are not replayed
}

} // namespace ember::rt::nccl
