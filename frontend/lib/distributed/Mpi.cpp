//===- Mpi.cpp - The job across processes, on MPI -------------------------===//
//
// Part of Ember. The library ember_distributed: init() joins the job mpirun
// started and installs MPI as the runtime's collective backend, so that the
// all-reduces compiled into graphs reach the other ranks; barrier(),
// broadcast() and DistributedDataParallel for users.
//
// No rank waits for ever. A watchdog thread follows every collective
// against a deadline (InitOptions::timeout_seconds): past it, the rank says
// which collective it was waiting in and stops the job (MPI_Abort). A rank that
// dies is noticed sooner by mpirun, which stops the others and names it; a rank
// that exits without finalize() (after an error) stops the job itself, naming
// itself.
//
//===----------------------------------------------------------------------===//

#include "ember/distributed/Distributed.h"
#include "ember/frontend/Error.h"
#include "ember/frontend/Graph.h"
#include "ember/runtime/Collectives.h"
#include "ember/runtime/Nccl.h"
#include "ember/runtime/Threads.h"
#include "ember/serialize/Safetensors.h"

#include <fmt/format.h>
// The C API only (Open MPI would pull in its deprecated C++ bindings).
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace ember::distributed {

namespace {

using Clock = std::chrono::steady_clock;
using rt::Status;
using rt::StatusOr;

/// The job, once init() has run.
class Job : public rt::CollectiveBackend {
public:
  int rank() const override { return rank_; }
  int worldSize() const override { return size_; }

  void allReduceSum(void *data, int64_t count, DType dtype) override {
    if (finalized_) {
      // From a compiled graph, which cannot unwind: end the process.
      std::fflush(stdout);
      std::fprintf(stderr,
                   "ember: rank %d of %d: an all-reduce after "
                   "distributed::finalize(); stopping\n",
                   rank_, size_);
      std::_Exit(1);
    }
    if (size_ == 1)
      return; // a job of one (perhaps without MPI): the sum is the data
    MPI_Datatype type = dtype == DType::Float64 ? MPI_DOUBLE : MPI_FLOAT;
    size_t element = dtype == DType::Float64 ? 8 : 4;
    uint64_t call = ++allReduces_;
    Clock::time_point start = Clock::now();
    // MPI counts are ints: a larger buffer goes in pieces.
    for (int64_t done = 0; done < count;) {
      int n = static_cast<int>(std::min<int64_t>(count - done, INT_MAX / 2));
      char *at = static_cast<char *>(data) + done * element;
      collective(
          [&] {
            return fmt::format("all-reduce #{} ({} {} elements, from a "
                               "compiled graph)",
                               call, count, dtypeName(dtype));
          },
          "MPI_Allreduce",
          [&] {
            return MPI_Allreduce(MPI_IN_PLACE, at, n, type, MPI_SUM,
                                 MPI_COMM_WORLD);
          });
      done += n;
    }
    allReduceSeconds_ +=
        std::chrono::duration<double>(Clock::now() - start).count();
    allReduceBytes_ +=
        static_cast<double>(count) * static_cast<double>(element);
  }

  /// A GPU graph's all-reduce: NCCL, on the device's stream. The
  /// communicator of a device is made at its first all-reduce
  /// (prepareDevice, before any CUDA graph capture), with rank 0's NCCL id
  /// broadcast over MPI. NCCL's collectives are asynchronous: they are
  /// not in EMBER_LOG=distributed's figures (rt::collectiveStats counts
  /// them). In a job of one without NCCL the sum is the data.
  Status allReduceOnDevice(rt::cuda::Device &device, uint64_t data,
                           int64_t count, DType dtype) override {
    if (finalized_)
      return Status::error("an all-reduce after distributed::finalize()");
    StatusOr<rt::nccl::Communicator *> comm = communicator(device);
    if (!comm)
      return comm.status();
    if (!*comm)
      return Status::ok();
    if (Status s = (*comm)->allReduceSum(data, count, dtype); !s)
      return failOnDevice(s);
    return Status::ok();
  }

  Status prepareDevice(rt::cuda::Device &device) override {
    if (finalized_) // (a replayed CUDA graph calls only this)
      return Status::error("an all-reduce after distributed::finalize()");
    StatusOr<rt::nccl::Communicator *> comm = communicator(device);
    return comm ? Status::ok() : comm.status();
  }

  /// The NCCL communicator of `device`, made on first use; null in a job
  /// of one where NCCL is not there (nothing to sum with).
  StatusOr<rt::nccl::Communicator *> communicator(rt::cuda::Device &device) {
    if (size_ == 1 && !rt::nccl::available(device.driverKind()))
      return nullptr;
    std::call_once(ncclOnce_, [&] {
      nccl_ = std::make_unique<rt::nccl::Communicators>(
          rank_, size_, [this](rt::nccl::UniqueId &id) {
            collective([] { return std::string("sharing the NCCL id"); },
                       "MPI_Bcast",
                       [&] {
                         return MPI_Bcast(id.bytes.data(),
                                          static_cast<int>(id.bytes.size()),
                                          MPI_BYTE, 0, MPI_COMM_WORLD);
                       });
            return Status::ok();
          });
    });
    StatusOr<rt::nccl::Communicator *> comm = nccl_->get(device);
    if (!comm)
      return failOnDevice(comm.status());
    return *comm;
  }

  /// A device collective that failed: in a job of more than one rank the
  /// others would wait for this one, so the job stops; alone, the error
  /// goes back to the caller.
  Status failOnDevice(const Status &why) {
    if (size_ > 1)
      stop("NCCL: " + why.message());
    return why;
  }

  /// Runs `call`, a blocking MPI collective (MPI's own algorithms are the
  /// fastest; polling a non-blocking one took twice as long), under the
  /// watchdog: past the deadline, the watchdog thread stops the job,
  /// naming what() this rank was waiting in.
  template <class Call>
  void collective(const std::function<std::string()> &what, const char *name,
                  Call &&call) {
    std::lock_guard<std::mutex> serial(mutex_); // MPI_THREAD_SERIALIZED
    {
      std::lock_guard<std::mutex> lock(watch_);
      waitingIn_ = &what;
      since_ = Clock::now();
      ++generation_;
    }
    watchWake_.notify_one();
    int err = call();
    {
      std::lock_guard<std::mutex> lock(watch_);
      waitingIn_ = nullptr;
    }
    check(err, name);
  }

  /// The watchdog's thread: sleeps until a collective has lasted past the
  /// timeout (then stops the job) or ends.
  void watch() {
    std::unique_lock<std::mutex> lock(watch_);
    for (;;) {
      if (!waitingIn_) {
        watchWake_.wait(lock);
        continue;
      }
      // (The timeout is at most kMaxTimeout seconds: the deadline fits.)
      auto deadline =
          since_ + std::chrono::duration_cast<Clock::duration>(
                       std::chrono::duration<double>(timeoutSeconds_));
      uint64_t generation = generation_;
      if (watchWake_.wait_until(lock, deadline) != std::cv_status::timeout ||
          generation_ != generation || !waitingIn_ || Clock::now() < deadline)
        continue; // woken early, or another collective since
      const std::function<std::string()> *what = waitingIn_;
      double waited =
          std::chrono::duration<double>(Clock::now() - since_).count();
      stop(fmt::format(
          "{} waited {:.0f} s for the other ranks (the timeout, "
          "InitOptions::timeout_seconds or EMBER_DIST_TIMEOUT): another rank "
          "died, hangs, or is not running the same graphs",
          (*what)(), waited));
    }
  }

  void check(int err, const char *call) {
    if (err == MPI_SUCCESS)
      return;
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(err, text, &length);
    stop(fmt::format("{} failed: {}", call, std::string(text, length)));
  }

  [[noreturn]] void stop(const std::string &why, int code = 1) {
    std::fflush(stdout);
    std::fprintf(stderr, "ember: rank %d of %d: %s; stopping the job\n", rank_,
                 size_, why.c_str());
    std::fflush(stderr);
    stopping_.store(true);
    MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code); // (MPI_Abort does not return)
  }

  std::mutex mutex_;
  /// The watchdog's state: the collective under way (null: none), since
  /// when.
  std::mutex watch_;
  std::condition_variable watchWake_;
  const std::function<std::string()> *waitingIn_ = nullptr;
  Clock::time_point since_;
  uint64_t generation_ = 0; ///< collectives started
  int rank_ = 0, size_ = 1, localRank_ = 0, localSize_ = 1;
  double timeoutSeconds_ = 600;
  bool finalized_ = false;
  std::atomic<bool> stopping_{false};
  uint64_t allReduces_ = 0;
  double allReduceSeconds_ = 0, allReduceBytes_ = 0;
  std::once_flag ncclOnce_;
  std::unique_ptr<rt::nccl::Communicators> nccl_;
};

Job *job = nullptr;

Job &requireJob(const char *fn) {
  if (!job)
    throw Error(
        fmt::format("distributed::{}: call distributed::init() first", fn));
  if (job->finalized_)
    throw Error(fmt::format("distributed::{}: the job was finalized", fn));
  return *job;
}

/// Whether this process was started by a launcher MPI knows (mpirun,
/// srun with PMIx): without one, the job is this process alone.
bool launchedByMpi() {
  for (const char *var :
       {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(var))
      return true;
  return false;
}

double timeoutFromEnvironment(double fallback) {
  const char *env = std::getenv("EMBER_DIST_TIMEOUT");
  if (!env || !*env)
    return fallback;
  char *end = nullptr;
  double v = std::strtod(env, &end);
  if (end == env || *end != '\0' || !(v >= 0))
    throw Error(fmt::format("EMBER_DIST_TIMEOUT='{}' is not a number of "
                            "seconds (0 waits for ever)",
                            env));
  return v;
}

/// Timeouts longer than this (about 30 years; inf) wait for ever: the
/// watchdog's deadline must be representable.
constexpr double kMaxTimeout = 1e9;

/// At exit: a job left without finalize() is taken to have failed on this
/// rank (an exception, an early return): the others must not wait for it.
void atExit() {
  if (!job || job->finalized_ || job->stopping_.load())
    return;
  if (job->size_ == 1) { // nobody waits: leave MPI as it expects
    finalize();
    return;
  }
  job->stop("the process is exiting without distributed::finalize() (after "
            "an error on this rank?)");
}

} // namespace

void init(InitOptions options) {
  if (job)
    throw Error("distributed::init: already called");
  double timeout = timeoutFromEnvironment(options.timeout_seconds);
  if (!(timeout >= 0))
    throw Error(fmt::format("distributed::init: timeout_seconds is {}: give "
                            "seconds, or 0 to wait for ever",
                            timeout));
  if (timeout > kMaxTimeout)
    timeout = 0;
  auto created = std::make_unique<Job>();
  created->timeoutSeconds_ = timeout;
  if (launchedByMpi()) {
    int provided = 0;
    if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided) !=
        MPI_SUCCESS)
      throw Error("distributed::init: MPI_Init_thread failed");
    if (provided < MPI_THREAD_SERIALIZED)
      throw Error("distributed::init: this MPI cannot be called from more "
                  "than one thread (MPI_THREAD_SERIALIZED), which Ember's "
                  "watchdog and graphs realised on other threads need");
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &created->rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &created->size_);
    MPI_Comm local;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, created->rank_,
                        MPI_INFO_NULL, &local);
    MPI_Comm_rank(local, &created->localRank_);
    MPI_Comm_size(local, &created->localSize_);
    MPI_Comm_free(&local);
  }
  // The machine's cores are shared by the ranks on it.
  int threads = options.threads_per_rank;
  if (threads <= 0 && !std::getenv("EMBER_NUM_THREADS") &&
      !std::getenv("OMP_NUM_THREADS") && created->localSize_ > 1)
    threads =
        std::max(1, static_cast<int>(std::thread::hardware_concurrency()) /
                        created->localSize_);
  if (threads > 0)
    rt::setNumThreads(threads);
  job = created.release(); // (used until exit, by the watchdog too)
  rt::setCollectiveBackend(job);
  if (launchedByMpi())
    std::atexit(atExit);
  if (job->size_ > 1 && job->timeoutSeconds_ > 0)
    std::thread([] { job->watch(); }).detach();
}

void finalize() {
  if (!job || job->finalized_)
    return;
  // EMBER_LOG=distributed: what the compiled graphs' all-reduces cost.
  if (const char *log = std::getenv("EMBER_LOG");
      log && std::strstr(log, "distributed") && job->allReduces_)
    std::fprintf(stderr,
                 "ember: rank %d of %d: %llu all-reduces, %.1f MB, %.3f s "
                 "(%.3f ms each, waiting for the other ranks included)\n",
                 job->rank_, job->size_,
                 static_cast<unsigned long long>(job->allReduces_),
                 job->allReduceBytes_ / 1e6, job->allReduceSeconds_,
                 job->allReduceSeconds_ * 1e3 /
                     static_cast<double>(job->allReduces_));
  if (launchedByMpi()) {
    // MPI_Finalize waits for the other ranks: a barrier first, under the
    // watchdog, so that a rank that hangs is reported here too.
    if (job->size_ > 1)
      barrier();
    // NCCL's communicators go first (ncclCommDestroy), while every rank
    // is still here.
    if (job->nccl_)
      job->nccl_->clear();
    std::lock_guard<std::mutex> lock(job->mutex_);
    MPI_Finalize();
  }
  // rank() and world_size() keep their values; a collective now is an
  // error.
  job->finalized_ = true;
}

int local_rank() { return job ? job->localRank_ : 0; }
int local_world_size() { return job ? job->localSize_ : 1; }

void barrier() {
  Job &j = requireJob("barrier");
  if (j.size_ == 1)
    return;
  j.collective([] { return std::string("barrier()"); }, "MPI_Barrier",
               [] { return MPI_Barrier(MPI_COMM_WORLD); });
}

namespace {

/// Sends `bytes` from `root` to every rank.
void broadcastBytes(Job &j, void *bytes, size_t size, int root,
                    const std::function<std::string()> &what) {
  for (size_t done = 0; done < size;) {
    int n = static_cast<int>(std::min<size_t>(size - done, INT_MAX / 2));
    j.collective(what, "MPI_Bcast", [&] {
      return MPI_Bcast(static_cast<char *>(bytes) + done, n, MPI_BYTE, root,
                       MPI_COMM_WORLD);
    });
    done += static_cast<size_t>(n);
  }
}

/// `tensor`'s value as it is on `root`, as a new CPU tensor.
Tensor broadcastValue(Job &j, const Tensor &tensor, int root,
                      const std::string &what, Tensor::Loc loc) {
  Tensor host = tensor.detach(loc).to(Device::cpu(), loc).clone(loc);
  host.realize(loc);
  std::shared_ptr<rt::Buffer> data = host.node()->data;
  size_t bytes =
      fe::denseBytes(host.shape(), host.dtype(), [&] { return what; });
  std::vector<uint8_t> value(std::max<size_t>(bytes, 1));
  if (j.rank_ == root && bytes)
    std::memcpy(value.data(), data->data(), bytes);
  broadcastBytes(j, value.data(), bytes, root, [&] {
    return fmt::format("broadcast of {} from rank {}", what, root);
  });
  return from_blob(value.data(), host.shape(), host.dtype(), loc);
}

/// Every rank's `text`'s hash: equal on all, or an error naming a rank
/// whose differs from rank 0's.
void checkSame(Job &j, const std::string &text, const std::string &what) {
  uint64_t mine = std::hash<std::string>{}(text);
  std::vector<uint64_t> all(static_cast<size_t>(j.size_));
  j.collective([&] { return "comparing " + what; }, "MPI_Allgather",
               [&] {
                 return MPI_Allgather(&mine, 1, MPI_UINT64_T, all.data(), 1,
                                      MPI_UINT64_T, MPI_COMM_WORLD);
               });
  for (size_t r = 1; r < all.size(); ++r)
    if (all[r] != all[0])
      throw Error(fmt::format("distributed: {} of rank {} differs from rank "
                              "0's (every rank must build the same model)",
                              what, r));
}

} // namespace

void broadcast(Tensor &tensor, int root, Tensor::Loc loc) {
  Job &j = requireJob("broadcast");
  if (!tensor.defined())
    throw Error("distributed::broadcast: the tensor is undefined (at " +
                fe::formatLocation(loc) + ")");
  if (root < 0 || root >= j.size_)
    throw Error(fmt::format("distributed::broadcast: root {} is not a rank "
                            "of this job of {} (at {})",
                            root, j.size_, fe::formatLocation(loc)));
  if (j.size_ == 1)
    return;
  checkSame(j,
            fmt::format("{}{}", dtypeName(tensor.dtype()),
                        fe::shapeString(tensor.shape())),
            "the broadcast tensor's shape and dtype");
  Tensor value = broadcastValue(j, tensor, root, "a tensor", loc);
  NoGradGuard noGrad;
  tensor.copy_(value.to(tensor.device(), loc), loc);
}

void abort(const std::string &why, int exit_code) {
  if (job && !job->finalized_ && job->size_ > 1)
    job->stop(why, exit_code);
  std::fflush(stdout);
  std::fprintf(stderr, "ember: %s\n", why.c_str());
  std::_Exit(exit_code);
}

//===----------------------------------------------------------------------===//
// DistributedDataParallel
//===----------------------------------------------------------------------===//

DistributedDataParallel::DistributedDataParallel(nn::Module &module,
                                                 DDPOptions options,
                                                 Tensor::Loc loc)
    : module_(module), options_(options) {
  if (!(options.bucket_cap_mb > 0))
    throw Error(fmt::format("DistributedDataParallel: bucket_cap_mb must be "
                            "positive, not {} (at {})",
                            options.bucket_cap_mb, fe::formatLocation(loc)));
  register_module("module", module);
  Job &j = requireJob("DistributedDataParallel");
  if (j.size_ > 1) {
    // Rank 0's parameters (and buffers) everywhere, checked to be the same
    // model first.
    std::string structure;
    for (const auto &[name, t] : module.state_dict())
      structure += fmt::format("{} {}{};", name, dtypeName(t.dtype()),
                               fe::shapeString(t.shape()));
    checkSame(j, structure, "the model (its state_dict's names and shapes)");
    StateDict state;
    for (const auto &[name, t] : module.named_parameters())
      state.emplace_back(name, broadcastValue(j, t, 0, name, loc));
    if (options.broadcast_buffers)
      for (const auto &[name, t] : module.named_buffers())
        state.emplace_back(name, broadcastValue(j, t, 0, name, loc));
    module.load_state_dict(state, /*strict=*/false);
  }
  hook_ = fe::addGradientsHook([this](fe::LeafGradients &arrived) {
    if (world_size() == 1)
      return; // today's step, exactly
    std::vector<Tensor> params = module_.parameters();
    std::unordered_map<const fe::Node *, size_t> index;
    for (size_t i = 0; i < params.size(); ++i)
      index.emplace(params[i].node().get(), i);
    // (position in `arrived`, parameter index), last parameters first.
    std::vector<std::pair<size_t, size_t>> mine;
    for (size_t k = 0; k < arrived.size(); ++k)
      if (auto it = index.find(arrived[k].first.get()); it != index.end())
        mine.emplace_back(k, it->second);
    if (mine.empty())
      return;
    std::sort(mine.begin(), mine.end(),
              [](const auto &a, const auto &b) { return a.second > b.second; });
    // Buckets of one dtype and device, up to the cap.
    double cap = options_.bucket_cap_mb * 1024 * 1024;
    std::vector<std::vector<std::pair<size_t, size_t>>> buckets;
    double bytes = 0;
    for (const auto &entry : mine) {
      const fe::NodePtr &g = arrived[entry.first].second;
      double size = static_cast<double>(g->numel()) *
                    static_cast<double>(dtypeSize(g->dtype));
      bool fits = !buckets.empty() && bytes + size <= cap &&
                  arrived[buckets.back()[0].first].second->dtype == g->dtype &&
                  arrived[buckets.back()[0].first].second->device == g->device;
      if (!fits) {
        buckets.emplace_back();
        bytes = 0;
      }
      buckets.back().push_back(entry);
      bytes += size;
    }
    buckets_.clear();
    for (const auto &bucket : buckets) {
      std::vector<Tensor> flat;
      std::vector<size_t> indices;
      for (const auto &[k, i] : bucket) {
        flat.push_back(Tensor(arrived[k].second).reshape({-1}));
        indices.push_back(i);
      }
      buckets_.push_back(indices);
      Tensor joined = flat.size() == 1 ? flat[0] : cat(flat);
      Tensor sum = all_reduce(joined, ReduceOp::Sum);
      // Each gradient read back from the bucket, divided as it is read (the
      // division fuses into its reader, the optimizer's update, rather than
      // taking a pass over the bucket of its own).
      double ranks = static_cast<double>(world_size());
      int64_t offset = 0;
      for (const auto &[k, i] : bucket) {
        const fe::NodePtr &g = arrived[k].second;
        arrived[k].second =
            (sum.narrow(0, offset, g->numel()).reshape(g->shape) / ranks)
                .node();
        offset += g->numel();
      }
    }
  });
}

DistributedDataParallel::~DistributedDataParallel() {
  fe::removeGradientsHook(hook_);
}

} // namespace ember::distributed
