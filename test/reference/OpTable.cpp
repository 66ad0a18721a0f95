//===- OpTable.cpp - Every op's test case, written once ---------*- C++ -*-===//
//
// Part of Ember's tests. See OpTable.h.
//
//===----------------------------------------------------------------------===//

#include "OpTable.h"

#include "ember/distributed/Distributed.h"
#include "ember/runtime/Collectives.h"
#include "ember/runtime/Cuda.h"
#include "ember/runtime/Nccl.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace ember::test {

//===----------------------------------------------------------------------===//
// Draw
//===----------------------------------------------------------------------===//

int64_t Draw::integer(int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
}

int64_t Draw::size(int64_t max) {
  static const int64_t primes[] = {2,  3,  5,  7,  11, 13, 17, 19, 23, 29,
                                   31, 37, 41, 43, 47, 53, 59, 61, 67};
  switch (integer(0, 4)) {
  case 0:
    return 1;
  case 1:
  case 2: {
    int64_t count = std::upper_bound(std::begin(primes), std::end(primes), max) -
                    std::begin(primes);
    return count ? primes[integer(0, count - 1)] : 1;
  }
  default:
    return integer(1, max);
  }
}

Shape Draw::shape(int64_t minRank, int64_t maxRank) {
  Shape s(integer(minRank, maxRank));
  int64_t max = s.size() <= 2   ? 70
                : s.size() == 3 ? 17
                                : static_cast<int64_t>(std::pow(5000.0, 1.0 / s.size()));
  for (int64_t &d : s)
    d = size(max);
  return s;
}

Shape Draw::broadcastable(const Shape &to) {
  Shape from(to.begin() + integer(0, static_cast<int64_t>(to.size())), to.end());
  for (int64_t &d : from)
    if (integer(0, 2) == 0)
      d = 1;
  return from;
}

std::vector<int64_t> Draw::someDims(int64_t rank, bool negative) {
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < rank; ++d)
    if (coin())
      dims.push_back(negative && coin() ? d - rank : d);
  if (dims.empty())
    dims.push_back(integer(0, rank - 1));
  return dims;
}

std::vector<int64_t> Draw::permutation(int64_t rank) {
  std::vector<int64_t> perm(rank);
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin(), perm.end(), rng_);
  return perm;
}

Tensor Draw::floats(const Shape &shape, double lo, double hi, bool signs,
                    DType dtype) {
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(numelOf(shape));
  for (double &x : v) {
    x = dist(rng_);
    if (signs && coin())
      x = -x;
    if (dtype == DType::Float32)
      x = static_cast<float>(x);
  }
  return tensor(v, shape, dtype);
}

Tensor Draw::ints(const Shape &shape, int64_t lo, int64_t hi) {
  std::vector<int64_t> v(numelOf(shape));
  for (int64_t &x : v)
    x = integer(lo, hi);
  return tensor(v, shape);
}

Tensor Draw::integralFloats(const Shape &shape, int64_t lo, int64_t hi) {
  std::vector<double> v(numelOf(shape));
  for (double &x : v)
    x = static_cast<double>(integer(lo, hi));
  return tensor(v, shape, DType::Float32);
}

Tensor Draw::eighths(const Shape &shape, double lo, double hi, double offset) {
  std::vector<double> v(numelOf(shape));
  for (double &x : v)
    x = static_cast<double>(integer(static_cast<int64_t>(std::ceil(lo * 8)),
                                    static_cast<int64_t>(std::floor(hi * 8)))) /
            8 +
        offset;
  return tensor(v, shape, DType::Float32);
}

//===----------------------------------------------------------------------===//
// The table
//===----------------------------------------------------------------------===//

namespace {

using Inputs = std::function<OpInputs(Draw &)>;
using In = const OpInputs &;

/// The tolerance of float32 results one rounding from exact, and of those
/// that sum up to ~70 terms (contractions, reductions) or more.
constexpr Tolerance kRounded{1e-5, 1e-5}, kSummed{1e-4, 1e-4};
constexpr Tolerance kExact{0, 0};

/// `count` float32 tensors of one random shape, values in [lo, hi).
Inputs sameShape(int count, double lo = -2, double hi = 2) {
  return [=](Draw &d) {
    Shape s = d.shape();
    OpInputs in;
    for (int i = 0; i < count; ++i)
      in.push_back(d.floats(s, lo, hi));
    return in;
  };
}

/// One float32 tensor of rank in [minRank, maxRank].
Inputs one(int64_t minRank, int64_t maxRank = 4) {
  return [=](Draw &d) { return OpInputs{d.floats(d.shape(minRank, maxRank))}; };
}

/// A tensor of rank >= 1 and one that broadcasts to it.
OpInputs broadcastPair(Draw &d) {
  Shape big = d.shape(1, 4);
  return {d.floats(big), d.floats(d.broadcastable(big))};
}

/// [m, k] and [k, n] matrices (a size of 0 is drawn), float32 or int64.
Inputs matrices(int64_t m, int64_t k, int64_t n, bool ints = false) {
  return [=](Draw &d) {
    int64_t mm = m ? m : d.size(), kk = k ? k : d.size(), nn = n ? n : d.size();
    if (ints)
      return OpInputs{d.ints({mm, kk}, -9, 9), d.ints({kk, nn}, -9, 9)};
    return OpInputs{d.floats({mm, kk}), d.floats({kk, nn})};
  };
}

/// x [m, in], weight [out, in] and bias [out].
OpInputs linearInputs(Draw &d) {
  int64_t m = d.size(), in = d.size(), out = d.size();
  return {d.floats({m, in}), d.floats({out, in}), d.floats({out})};
}

/// Two float32 tensors of small integers of one shape (comparisons).
OpInputs comparable(Draw &d) {
  Shape s = d.shape(1, 3);
  return {d.integralFloats(s, -2, 2), d.integralFloats(s, -2, 2)};
}

/// An int64 tensor in [-50, 50] and one in [1, 9] of its shape.
OpInputs intPair(Draw &d) {
  Shape s = d.shape(1, 3);
  return {d.ints(s, -50, 50), d.ints(s, 1, 9)};
}

/// A random convolution: batch, channels, kernel, stride, padding,
/// dilation and groups, and an input size the kernel fits.
struct ConvDraw {
  int64_t n, c, f, h, w, kh, kw;
  Size2 stride = 1, padding = 0, dilation = 1;
  int64_t groups = 1;

  static ConvDraw draw(Draw &d, int64_t groups = 1) {
    ConvDraw c;
    c.groups = groups;
    c.n = d.size(3);
    c.c = groups * d.size(4);
    c.f = groups * d.size(5);
    static const int64_t kernels[] = {1, 2, 3, 5};
    c.kh = kernels[d.integer(0, 3)];
    c.kw = kernels[d.integer(0, 3)];
    c.stride = Size2(d.integer(1, 3), d.integer(1, 3));
    c.dilation = Size2(d.integer(1, 2), d.integer(1, 2));
    // Padding up to the kernel's reach (or 1 for a 1x1 kernel).
    c.padding = Size2(d.integer(0, std::max<int64_t>(1, c.kh / 2 + 1)),
                      d.integer(0, std::max<int64_t>(1, c.kw / 2 + 1)));
    auto fit = [&](int64_t k, int64_t dil, int64_t pad) {
      int64_t span = dil * (k - 1) + 1;
      return std::max<int64_t>(1, span - 2 * pad) + d.integer(0, 9);
    };
    c.h = fit(c.kh, c.dilation.h, c.padding.h);
    c.w = fit(c.kw, c.dilation.w, c.padding.w);
    return c;
  }
  Shape input() const { return {n, c, h, w}; }
  Shape weight() const { return {f, c / groups, kh, kw}; }
  Shape output() const {
    return {n, f,
            (h + 2 * padding.h - dilation.h * (kh - 1) - 1) / stride.h + 1,
            (w + 2 * padding.w - dilation.w * (kw - 1) - 1) / stride.w + 1};
  }
};

/// A random pooling: window, stride, padding (at most half the window) and
/// dilation, and an input size the window fits.
struct PoolDraw {
  Shape shape;
  Size2 kernel = 1, stride = 1, padding = 0, dilation = 1;

  /// Whether every window holds an input element (with dilation, one may
  /// step over a small input; max pooling refuses that).
  bool windowsTouchInput() const {
    int64_t k[2] = {kernel.h, kernel.w}, s[2] = {stride.h, stride.w},
            pad[2] = {padding.h, padding.w}, dil[2] = {dilation.h, dilation.w};
    for (int i = 0; i < 2; ++i) {
      int64_t in = shape[2 + i];
      int64_t out = (in + 2 * pad[i] - dil[i] * (k[i] - 1) - 1) / s[i] + 1;
      for (int64_t o = 0; o < out; ++o) {
        bool touches = false;
        for (int64_t j = 0; j < k[i]; ++j) {
          int64_t at = o * s[i] - pad[i] + j * dil[i];
          touches |= at >= 0 && at < in;
        }
        if (!touches)
          return false;
      }
    }
    return true;
  }

  static PoolDraw draw(Draw &d, bool dilated = true) {
    for (;;) {
      PoolDraw p = drawOnce(d, dilated);
      if (p.windowsTouchInput())
        return p;
    }
  }

  static PoolDraw drawOnce(Draw &d, bool dilated) {
    PoolDraw p;
    p.kernel = Size2(d.integer(1, 4), d.integer(1, 4));
    p.stride = Size2(d.integer(1, 3), d.integer(1, 3));
    if (dilated)
      p.dilation = Size2(d.integer(1, 2), d.integer(1, 2));
    int64_t span[2] = {p.dilation.h * (p.kernel.h - 1) + 1,
                       p.dilation.w * (p.kernel.w - 1) + 1};
    p.padding = Size2(d.integer(0, span[0] / 2), d.integer(0, span[1] / 2));
    int64_t pad[2] = {p.padding.h, p.padding.w};
    p.shape = {d.size(3), d.size(4)};
    for (int i = 0; i < 2; ++i)
      p.shape.push_back(std::max<int64_t>(1, span[i] - 2 * pad[i]) +
                        d.integer(0, 9));
    return p;
  }
  Shape input() const { return shape; }
};

/// Logits [n, classes] in [-5, 5).
OpInputs logits(Draw &d) { return {d.floats({d.size(), d.size(40)}, -5, 5)}; }

/// Logits and int64 labels [n].
OpInputs classification(Draw &d) {
  Tensor x = logits(d)[0];
  return {x, d.ints({x.size(0)}, 0, x.size(1) - 1)};
}

/// A job of three ranks in one process: the other two hold 2x + 1 and
/// -x / 2 where this one holds x, so the sum is x + (2x + 1) - x / 2,
/// computed in the buffer's precision (the reference evaluator and
/// compiled code call the same backend). On the emulated device the sum is
/// NCCL's (the fake NCCL, whose simulated peers add the same values).
class SimulatedRanks : public rt::CollectiveBackend {
public:
  static constexpr int kRanks = 3;
  int rank() const override { return 0; }
  int worldSize() const override { return kRanks; }
  void allReduceSum(void *data, int64_t count, DType dtype) override {
    if (dtype == DType::Float64)
      sum(static_cast<double *>(data), count);
    else
      sum(static_cast<float *>(data), count);
  }
  rt::Status allReduceOnDevice(rt::cuda::Device &device, uint64_t data,
                               int64_t count, DType dtype) override {
    return communicators_.allReduceSum(device, data, count, dtype);
  }
  rt::Status prepareDevice(rt::cuda::Device &device) override {
    return communicators_.prepare(device);
  }

  /// The other ranks' values, added to this one's x in `data`.
  static void addPeers(void *data, int64_t count, DType dtype) {
    if (dtype == DType::Float64)
      sum(static_cast<double *>(data), count);
    else
      sum(static_cast<float *>(data), count);
  }

private:
  template <class T> static void sum(T *data, int64_t count) {
    for (int64_t i = 0; i < count; ++i) {
      T x = data[i];
      data[i] = x + (T(2) * x + T(1)) + (T(-0.5) * x);
    }
  }
  // The simulated peers need no id.
  rt::nccl::Communicators communicators_{
      0, kRanks, [](rt::nccl::UniqueId &) { return rt::Status::ok(); }};
};

/// Installs SimulatedRanks as the process's collective backend (the op
/// table's processes have no other), and its peers in the fake NCCL.
void installSimulatedRanks() {
  static SimulatedRanks ranks;
  rt::nccl::fake::setSimulatedPeers(SimulatedRanks::kRanks - 1,
                                    &SimulatedRanks::addPeers);
  rt::setCollectiveBackend(&ranks);
}

std::vector<OpCase> buildTable() {
  std::vector<OpCase> t;
  // A case whose op draws nothing.
  auto add = [&](std::string name, Inputs inputs, OpFn op, Tolerance values,
                 std::optional<Tolerance> gradients = std::nullopt) {
    t.push_back({std::move(name),
                 [inputs, op](Draw &d) { return OpInstance{inputs(d), op}; },
                 values, gradients});
  };
  // A case that draws its op's parameters too.
  auto addDrawn = [&](std::string name, std::function<OpInstance(Draw &)> draw,
                      Tolerance values,
                      std::optional<Tolerance> gradients = std::nullopt) {
    t.push_back({std::move(name), std::move(draw), values, gradients});
  };

  //===--------------------------------------------------------------------===//
  // Elementwise arithmetic: same shapes, broadcast, scalars, int64, float64.
  //===--------------------------------------------------------------------===//

  add("add", sameShape(2), [](In in) { return in[0] + in[1]; }, kRounded, kRounded);
  add("sub", sameShape(2), [](In in) { return in[0] - in[1]; }, kRounded, kRounded);
  add("mul", sameShape(2), [](In in) { return in[0] * in[1]; }, kRounded, kRounded);
  add("div",
      [](Draw &d) {
        Shape s = d.shape();
        return OpInputs{d.floats(s), d.floats(s, 0.5, 2, /*signs=*/true)};
      },
      [](In in) { return in[0] / in[1]; }, kRounded, kRounded);
  // Gradients of broadcast operands are sums over the broadcast dims.
  add("add_broadcast", broadcastPair, [](In in) { return in[0] + in[1]; }, kRounded, kSummed);
  add("sub_broadcast", broadcastPair, [](In in) { return in[1] - in[0]; }, kRounded, kSummed);
  add("mul_broadcast", broadcastPair, [](In in) { return in[0] * in[1]; }, kRounded, kSummed);
  add("scalar_operands", one(1),
      [](In in) {
        return OpOutputs{in[0] * 2.5 + 1.0, 3.0 - in[0], 1.0 / (in[0] * in[0] + 1.0)};
      },
      kRounded, kRounded);
  // Elementwise ops of many rows are split into row blocks (on the CPU, by
  // threads): rows with many divisors, a prime, a prime square and twice a
  // large prime, each about 2^17 elements.
  for (int64_t rows : {512, 1031, 4489, 2 * 32771}) {
    int64_t cols = std::max<int64_t>(2, (int64_t(1) << 17) / rows);
    add("elementwise_rows_" + std::to_string(rows),
        [=](Draw &d) { return OpInputs{d.floats({rows, cols}), d.floats({rows, cols})}; },
        [](In in) { return in[0] * 0.5 - in[1]; }, kRounded);
  }
  // A long chain is fused into ops of at most 64 body ops: nothing may be
  // lost or reordered at the groups' edges (900 ops that do not fold).
  add("long_elementwise_chain",
      [](Draw &d) { return OpInputs{d.floats({d.size(5), d.size(7)})}; },
      [](In in) {
        Tensor y = in[0];
        for (int i = 0; i < 300; ++i)
          y = (y * 0.99 + 0.01 * double(i % 7 - 3)).relu();
        return y;
      },
      {1e-4, 1e-5});
  add("int64_add", intPair, [](In in) { return in[0] + in[1]; }, kExact);
  add("int64_mul_sub", intPair, [](In in) { return in[0] * in[1] - in[0]; }, kExact);
  // Truncating, as C++ and ember.div.
  add("int64_div", intPair, [](In in) { return in[0] / in[1]; }, kExact);
  add("int64_neg_relu_sum", intPair, [](In in) { return (-in[0]).relu().sum(); }, kExact);
  add("float64_square_sum",
      [](Draw &d) { return OpInputs{d.floats(d.shape(1, 3), -1, 1, false, DType::Float64)}; },
      [](In in) { return (in[0] * in[0] + 1.0).sum(); }, {1e-12, 1e-12}, Tolerance{1e-12, 1e-12});

  //===--------------------------------------------------------------------===//
  // Unary math.
  //===--------------------------------------------------------------------===//

  add("neg", sameShape(1), [](In in) { return -in[0]; }, kRounded, kRounded);
  add("relu", sameShape(1), [](In in) { return in[0].relu(); }, kRounded, kRounded);
  add("relu_of_neg", sameShape(1), [](In in) { return relu(-in[0]) + in[0].relu(); },
      kRounded, kRounded);
  add("exp", sameShape(1), [](In in) { return in[0].exp(); }, {1e-5, 1e-6}, kRounded);
  add("log", sameShape(1, 0.1, 5), [](In in) { return in[0].log(); }, {1e-5, 1e-6},
      kRounded);
  add("sqrt", sameShape(1, 0, 5), [](In in) { return in[0].sqrt(); }, {1e-6, 1e-6},
      kRounded);
  add(
      "sigmoid", sameShape(1, -8, 8), [](In in) { return in[0].sigmoid(); },
      {1e-5, 1e-6}, kRounded);
  add(
      "tanh", sameShape(1, -4, 4), [](In in) { return in[0].tanh(); },
      {1e-5, 1e-6}, kRounded);
  add(
      "erf", sameShape(1, -3, 3), [](In in) { return in[0].erf(); },
      {1e-5, 1e-6}, kRounded);
  add(
      "gelu", sameShape(1, -4, 4), [](In in) { return gelu(in[0]); },
      {1e-5, 1e-6}, kRounded);

  //===--------------------------------------------------------------------===//
  // Contractions: any sizes; 1 row, 1 column, 1 as the reduced size; int64.
  //===--------------------------------------------------------------------===//

  auto matmul = [](In in) { return in[0].matmul(in[1]); };
  add("matmul", matrices(0, 0, 0), matmul, kSummed, kSummed);
  add("matmul_one_row", matrices(1, 0, 0), matmul, kSummed, kSummed);
  add("matmul_one_column", matrices(0, 0, 1), matmul, kSummed, kSummed);
  add("matmul_k_one", matrices(0, 1, 0), matmul, kSummed, kSummed);
  add("matmul_int64", matrices(0, 0, 0, /*ints=*/true), matmul, kExact);
  add("matmul_transposed",
      [](Draw &d) {
        int64_t k = d.size();
        return OpInputs{d.floats({d.size(), k}), d.floats({d.size(), k})};
      },
      [](In in) { return in[0].matmul(in[1].t()); }, kSummed, kSummed);
  add("linear", linearInputs, [](In in) { return linear(in[0], in[1], in[2]); },
      kSummed, kSummed);
  add("linear_no_bias", linearInputs,
      [](In in) { return linear(in[0], in[1], Tensor()); }, kSummed, kSummed);
  add("linear_relu", linearInputs,
      [](In in) { return linear(in[0], in[1], in[2]).relu(); }, kSummed);
  // Above 2^20 multiply-adds the GPU tiles contractions through shared
  // memory (64x64 tiles): prime sizes leave partial tiles on every side,
  // and K = 127 steps one element at a time. The gradients are the other
  // two contraction forms.
  add("matmul_tiled", matrices(67, 127, 131), matmul, kSummed, kSummed);
  // Values in eighths, so that the gradient through the ReLU is exact
  // (see Draw::eighths).
  add(
      "linear_relu_tiled",
      [](Draw &d) {
        return OpInputs{d.eighths({67, 131}, -2, 2),
                        d.eighths({127, 131}, -2, 2),
                        d.eighths({127}, -2, 2, 1.0 / 128)};
      },
      [](In in) { return linear(in[0], in[1], in[2]).relu(); }, kSummed,
      kSummed);

  //===--------------------------------------------------------------------===//
  // Data movement.
  //===--------------------------------------------------------------------===//

  addDrawn("reshape",
           [](Draw &d) {
             Tensor a = d.floats(d.shape(1));
             // A random factorisation of the element count.
             int64_t rest = a.numel();
             Shape target;
             for (int64_t f = 2; f <= rest; ++f)
               while (rest % f == 0 && d.coin()) {
                 target.push_back(f);
                 rest /= f;
               }
             target.push_back(rest);
             std::shuffle(target.begin(), target.end(), d.generator());
             // Through arithmetic, so that the reshape is compiled.
             return OpInstance{{a}, [=](In in) { return (in[0] * 2.0).reshape(target); }};
           },
           kRounded, kRounded);
  add("reshape_flat", one(1), [](In in) { return (in[0] + 1.0).reshape({-1}); },
      kRounded, kRounded);
  add("reshape_to_scalar", [](Draw &d) { return OpInputs{d.floats({1, 1})}; },
      [](In in) { return (in[0] * 3.0).reshape({}); }, kRounded, kRounded);
  add("reshape_then_broadcast",
      [](Draw &d) {
        int64_t c = d.size(17);
        return OpInputs{d.floats({d.size(17), d.size(17), c}), d.floats({c})};
      },
      [](In in) { return in[0].reshape({-1, in[0].size(2)}) + in[1]; }, kRounded,
      kSummed);
  addDrawn("permute",
           [](Draw &d) {
             Tensor a = d.floats(d.shape(2, 4));
             std::vector<int64_t> perm = d.permutation(a.dim());
             return OpInstance{{a}, [=](In in) { return in[0].permute(perm) * 1.0; }};
           },
           kRounded, kRounded);
  add("transpose", one(2), [](In in) { return in[0].transpose(0, -1) + 0.0; },
      kRounded, kRounded);
  add("t", one(2, 2), [](In in) { return in[0].t(); }, kExact, kExact);
  // Boxes: slicing, writing through an index, joining. The drawn boxes
  // have any offset, step and size in each dimension (1 and primes too).
  auto drawSlice = [](Draw &d, int64_t size) {
    int64_t step = d.coin() ? 1 : d.integer(1, 4);
    int64_t start = d.integer(0, size - 1);
    int64_t count = d.integer(1, (size - 1 - start) / step + 1);
    // Negative bounds half the time, as Python writes them.
    int64_t stop = start + (count - 1) * step + 1;
    return indexing::Slice(d.coin() ? start : start - size,
                           stop == size && d.coin()
                               ? indexing::SliceBound(indexing::None)
                               : indexing::SliceBound(stop),
                           step);
  };
  addDrawn(
      "slice",
      [=](Draw &d) {
        Tensor a = d.floats(d.shape(1, 4));
        std::vector<indexing::TensorIndex> idx;
        for (int64_t size : a.shape())
          idx.push_back(d.coin()
                            ? indexing::TensorIndex(d.integer(-size, size - 1))
                            : indexing::TensorIndex(drawSlice(d, size)));
        if (d.coin())
          idx.insert(idx.begin() + d.integer(0, a.dim()), indexing::None);
        return OpInstance{{a}, [=](In in) { return in[0].index(idx) * 2.0; }};
      },
      kRounded, kRounded);
  add(
      "slice_rows",
      [](Draw &d) {
        return OpInputs{d.floats({7, 5})};
      },
      [](In in) {
        return in[0].index({indexing::Slice(1, indexing::None, 2), "..."});
      },
      kExact, kExact);
  addDrawn(
      "slice_scatter",
      [=](Draw &d) {
        Tensor a = d.floats(d.shape(1, 4));
        std::vector<indexing::TensorIndex> idx;
        Shape box;
        for (int64_t size : a.shape()) {
          indexing::Slice s = drawSlice(d, size);
          idx.push_back(s);
          Tensor probe = zeros({size}).index({s});
          box.push_back(probe.numel());
        }
        Tensor b = d.floats(box);
        return OpInstance{{a, b}, [=](In in) {
                            Tensor r = in[0] * 1.0;
                            r.index_put_(idx, in[1] * 3.0);
                            return r;
                          }};
      },
      kRounded, kRounded);
  addDrawn(
      "cat",
      [](Draw &d) {
        Shape shape = d.shape(1, 3);
        int64_t dim = d.integer(0, static_cast<int64_t>(shape.size()) - 1);
        OpInputs parts;
        for (int64_t i = 0, n = d.integer(2, 3); i < n; ++i) {
          shape[dim] = d.size(17);
          parts.push_back(d.floats(shape));
        }
        int64_t written =
            d.coin() ? dim : dim - static_cast<int64_t>(shape.size());
        return OpInstance{parts, [=](In in) { return cat(in, written) + 0.0; }};
      },
      kRounded, kRounded);
  add(
      "stack_then_chunk", one(1, 3),
      [](In in) {
        Tensor s = stack({in[0], in[0] * 2.0, in[0] + 1.0}, -1);
        std::vector<Tensor> parts = s.chunk(2, -1);
        return cat({parts[1], parts[0]}, -1);
      },
      kRounded, kRounded);

  // float16 and bfloat16 are stored as such and computed in float32, each
  // op's result rounded to the half type (ember-compute-half-in-f32); the
  // reference rounds each node's double result the same way, so results
  // agree to about one rounding of the half type per op.
  for (DType half : {DType::Float16, DType::BFloat16}) {
    std::string name(dtypeName(half));
    Tolerance tol =
        half == DType::Float16 ? Tolerance{4e-3, 2e-3} : Tolerance{3e-2, 2e-2};
    add(
        name + "_arithmetic", sameShape(2),
        [=](In in) {
          Tensor a = in[0].to(half), b = in[1].to(half);
          return (a * b + a - (b * 0.5).exp()).to(DType::Float32);
        },
        tol, tol);
    add(
        name + "_products",
        [](Draw &d) {
          int64_t m = d.size(17), k = d.size(17), n = d.size(17);
          return OpInputs{d.floats({m, k}), d.floats({n, k}), d.floats({n})};
        },
        [=](In in) {
          Tensor y = linear(in[0].to(half), in[1].to(half), in[2].to(half));
          return y.sum({1}).to(DType::Float32);
        },
        tol, tol);
  }

  addDrawn("broadcast_to",
           [](Draw &d) {
             Shape to = d.shape(1, 4);
             return OpInstance{{d.floats(d.broadcastable(to))},
                               [=](In in) { return in[0].broadcast_to(to); }};
           },
           kExact, kSummed);

  //===--------------------------------------------------------------------===//
  // Reductions.
  //===--------------------------------------------------------------------===//

  // Over random dims (some counted from the end), keeping them or not.
  using Reduction = Tensor (Tensor::*)(std::vector<int64_t>, bool, Tensor::Loc) const;
  auto reduction = [&](std::string name, Reduction op, Tolerance values,
                       Tolerance gradients) {
    addDrawn(name,
             [op](Draw &d) {
               Tensor a = d.floats(d.shape(1, 4));
               std::vector<int64_t> dims = d.someDims(a.dim(), /*negative=*/true);
               bool keepdim = d.coin();
               return OpInstance{{a}, [=](In in) {
                                   return (in[0].*op)(dims, keepdim, Tensor::Loc::current());
                                 }};
             },
             values, gradients);
  };
  reduction("sum", &Tensor::sum, kSummed, kRounded);
  reduction("mean", &Tensor::mean, kRounded, kRounded);
  reduction("amax", &Tensor::amax, kExact, kRounded);
  reduction("amin", &Tensor::amin, kExact, kRounded);
  add("sum_all", one(1), [](In in) { return in[0].sum(); }, kSummed, kRounded);
  // Long reductions are split over a GPU block (partials in shared memory):
  // along rows, down columns, and a max.
  add("sum_long_rows", [](Draw &d) { return OpInputs{d.floats({7, 1031})}; },
      [](In in) { return in[0].sum({1}); }, kSummed, kRounded);
  add("sum_long_columns",
      [](Draw &d) { return OpInputs{d.floats({1031, 37})}; },
      [](In in) { return in[0].sum({0}); }, kSummed, kRounded);
  add("amax_long_rows", [](Draw &d) { return OpInputs{d.floats({5, 997})}; },
      [](In in) { return in[0].amax({1}); }, kExact, kRounded);
  add("mean_all", one(1), [](In in) { return in[0].mean(); }, kRounded, kRounded);
  add("max_all", one(1), [](In in) { return in[0].max(); }, kExact, kRounded);
  add("min_all", one(1), [](In in) { return in[0].min(); }, kExact, kRounded);
  add("amax_int64", [](Draw &d) { return OpInputs{d.ints({d.size(), d.size()}, -9, 9)}; },
      [](In in) { return in[0].amax({1}); }, kExact);
  addDrawn("argmax",
           [](Draw &d) {
             Tensor a = d.floats(d.shape(1, 3));
             int64_t dim = d.integer(0, a.dim() - 1);
             bool keepdim = d.coin();
             return OpInstance{{a}, [=](In in) { return in[0].argmax(dim, keepdim); }};
           },
           kExact);
  // Ties: the first maximum wins, as in PyTorch.
  add("argmax_ties", [](Draw &) { return OpInputs{tensor({{1.0, 3.0, 3.0}, {2.0, 2.0, 1.0}})}; },
      [](In in) { return in[0].argmax(1); }, kExact);
  add("argmax_int64", [](Draw &d) { return OpInputs{d.ints({d.size(), d.size()}, 0, 3)}; },
      [](In in) { return in[0].argmax(0); }, kExact);

  //===--------------------------------------------------------------------===//
  // Comparisons, select and casts.
  //===--------------------------------------------------------------------===//

  add("eq", comparable, [](In in) { return in[0].eq(in[1]); }, kExact);
  add("ne", comparable, [](In in) { return in[0].ne(in[1]); }, kExact);
  add("lt", comparable, [](In in) { return in[0].lt(in[1]); }, kExact);
  add("le", comparable, [](In in) { return in[0].le(in[1]); }, kExact);
  add("gt", comparable, [](In in) { return in[0].gt(in[1]); }, kExact);
  add("ge", comparable, [](In in) { return in[0].ge(in[1]); }, kExact);
  add("gt_broadcast_cast",
      [](Draw &d) {
        Shape s = d.shape(1, 3);
        return OpInputs{d.floats(s), d.floats({s.back()})};
      },
      [](In in) { return in[0].gt(in[1]).to(DType::Float32); }, kExact);
  add("where", comparable, [](In in) { return where(in[0].gt(in[1]), in[0], in[1] * 2.0); },
      kExact, kExact);
  add("count_positive", comparable,
      [](In in) { return in[0].gt(0.0).to(DType::Float32).sum(); }, kExact);
  add("cast_float32_to_int64", sameShape(1, -50, 50),
      [](In in) { return in[0].to(DType::Int64); }, kExact);
  add("cast_float32_to_float64", one(1), [](In in) { return in[0].to(DType::Float64); },
      kExact, kExact);
  add("cast_float32_to_bool", comparable, [](In in) { return in[0].to(DType::Bool); },
      kExact);
  add("cast_int64_to_uint8_to_float32",
      [](Draw &d) { return OpInputs{d.ints(d.shape(1, 3), 0, 255)}; },
      [](In in) { return in[0].to(DType::UInt8).to(DType::Float32); }, kExact);
  // The classification accuracy idiom.
  add("accuracy", classification,
      [](In in) { return in[0].argmax(1).eq(in[1]).to(DType::Float32).sum(); }, kExact);

  //===--------------------------------------------------------------------===//
  // Softmax and the loss.
  //===--------------------------------------------------------------------===//

  add("softmax", logits, [](In in) { return in[0].softmax(1); }, {1e-5, 1e-6},
      kRounded);
  add("log_softmax", logits, [](In in) { return in[0].log_softmax(1); },
      kRounded, kRounded);
  add("softmax_columns_sum", logits,
      [](In in) { return in[0].softmax(0).sum({0}); }, kRounded);
  add("cross_entropy", classification,
      [](In in) { return nn::functional::cross_entropy(in[0], in[1]); }, kRounded,
      kRounded);
  // The other losses and cross-entropy's options (class weights, an
  // ignored class, label smoothing), each a composition of the ops above.
  auto weightedClassification = [](Draw &d) {
    int64_t n = d.size(), c = 2 + d.size(30);
    std::vector<int64_t> y = d.ints({n}, 0, c - 1).to_vector<int64_t>();
    y[0] = c - 1; // never all ignored (class 0 is)
    return OpInputs{d.floats({n, c}, -5, 5), tensor(y, {n}),
                    d.floats({c}, 0.5, 2)};
  };
  add(
      "cross_entropy_options", weightedClassification,
      [](In in) {
        return nn::functional::cross_entropy(
            in[0], in[1],
            {.weight = in[2], .ignore_index = 0, .label_smoothing = 0.1});
      },
      kRounded, kRounded);
  add(
      "nll_loss_sum", weightedClassification,
      [](In in) {
        return nn::functional::nll_loss(
            in[0].log_softmax(1), in[1],
            {.weight = in[2], .reduction = nn::Reduction::Sum});
      },
      kSummed, kRounded);
  add(
      "mse_loss", sameShape(2),
      [](In in) { return nn::functional::mse_loss(in[0], in[1]); }, kSummed,
      kRounded);
  add(
      "l1_loss_none", sameShape(2),
      [](In in) {
        return nn::functional::l1_loss(in[0], in[1], nn::Reduction::None);
      },
      kRounded, kRounded);
  // (Gradients with respect to its target and weight are not implemented:
  // they are constants here.)
  add(
      "binary_cross_entropy", sameShape(1),
      [](In in) {
        Tensor target = full_like(in[0], 0.25), weight = full_like(in[0], 1.5);
        return nn::functional::binary_cross_entropy(in[0].sigmoid(), target,
                                                    {.weight = weight});
      },
      kSummed, kRounded);
  add(
      "binary_cross_entropy_with_logits",
      [](Draw &d) {
        Shape s = {d.size(), d.size(17)};
        return OpInputs{d.floats(s, -6, 6), d.floats(s, 0, 1),
                        d.floats({s[1]}, 0.5, 3)};
      },
      [](In in) {
        return nn::functional::binary_cross_entropy_with_logits(
            in[0], in[1], {.pos_weight = in[2]});
      },
      kSummed, kRounded);
  // The elementwise compositions (abs, clamp, masked_fill, pow, square).
  add(
      "abs_clamp_masked_fill", one(1),
      [](In in) {
        Tensor x = in[0];
        return x.abs() + x.clamp(-0.5, 0.7) + x.masked_fill(x.gt(0.3), 1.5);
      },
      kRounded, kRounded);
  add(
      "pow_square", sameShape(1, 0.25, 3),
      [](In in) {
        Tensor x = in[0];
        return x.pow(3) + x.pow(-0.5) + x.square() + x.pow(-2);
      },
      Tolerance{1e-5, 1e-5}, Tolerance{1e-4, 1e-4});

  //===--------------------------------------------------------------------===//
  // Convolutions: any kernel, stride, padding, dilation and groups; the
  // gradients are the other two convolution ops, whose own gradients (the
  // first three forms again) are checked through the direct cases.
  //===--------------------------------------------------------------------===//

  // The forward's cases (with a bias or not), for convolutions drawn by
  // `drawConv`.
  auto forward = [](auto drawConv) {
    return [=](Draw &d) {
      ConvDraw c = drawConv(d);
      OpInputs in = {d.floats(c.input()), d.floats(c.weight(), -1, 1)};
      bool bias = d.coin();
      if (bias)
        in.push_back(d.floats({c.f}));
      return OpInstance{in, [=](In in) {
                          return conv2d(in[0], in[1], bias ? in[2] : Tensor(),
                                        c.stride, c.padding, c.dilation,
                                        c.groups);
                        }};
    };
  };
  addDrawn("conv2d", forward([](Draw &d) { return ConvDraw::draw(d); }),
           kSummed, kSummed);
  addDrawn(
      "conv2d_grouped",
      [](Draw &d) {
        ConvDraw c = ConvDraw::draw(d, d.integer(2, 4));
        // In eighths: the gradient through the ReLU is exact (see
        // Draw::eighths).
        return OpInstance{
            {d.eighths(c.input(), -2, 2), d.eighths(c.weight(), -1, 1),
             d.eighths({c.f}, -2, 2, 1.0 / 128)},
            [=](In in) {
              return conv2d(in[0], in[1], in[2], c.stride, c.padding,
                            c.dilation, c.groups)
                  .relu();
            }};
      },
      kSummed, kSummed);
  // The two gradients' cases, for convolutions drawn by `drawConv`.
  auto gradInput = [](auto drawConv) {
    return [=](Draw &d) {
      ConvDraw c = drawConv(d);
      return OpInstance{
          {d.floats(c.output()), d.floats(c.weight(), -1, 1)}, [=](In in) {
            return conv2d_grad_input(in[0], in[1], c.input(), c.stride,
                                     c.padding, c.dilation, c.groups);
          }};
    };
  };
  auto gradWeight = [](auto drawConv) {
    return [=](Draw &d) {
      ConvDraw c = drawConv(d);
      return OpInstance{
          {d.floats(c.input()), d.floats(c.output(), -1, 1)}, [=](In in) {
            return conv2d_grad_weight(in[0], in[1], c.weight(), c.stride,
                                      c.padding, c.dilation, c.groups);
          }};
    };
  };
  auto anyConv = [](Draw &d) { return ConvDraw::draw(d); };
  addDrawn("conv2d_grad_input", gradInput(anyConv), kSummed, kSummed);
  addDrawn("conv2d_grad_weight", gradWeight(anyConv), kSummed, kSummed);
  // Deep windows (C * KH * KW >= 64, and F * KH * KW for the input
  // gradient): the output's points become the product's rows, read from the
  // input moved channels-last (C >= 8: each window position's channels
  // copied as a vector on the CPU); the weight gradient reads the same rows.
  auto deepConv = [](Draw &d) {
    ConvDraw c = ConvDraw::draw(d);
    c.c = d.integer(8, 13);
    c.f = d.integer(8, 13);
    c.kh = d.integer(3, 4);
    c.kw = 3;
    c.padding = Size2(d.integer(0, 2), d.integer(0, 2));
    c.h = c.dilation.h * (c.kh - 1) + 1 + d.integer(0, 9);
    c.w = c.dilation.w * (c.kw - 1) + 1 + d.integer(0, 9);
    return c;
  };
  addDrawn(
      "conv2d_deep",
      [=](Draw &d) {
        ConvDraw c = deepConv(d);
        return OpInstance{
            {d.floats(c.input()), d.floats(c.weight(), -1, 1), d.floats({c.f})},
            [=](In in) {
              return conv2d(in[0], in[1], in[2], c.stride, c.padding,
                            c.dilation, c.groups);
            }};
      },
      kSummed, kSummed);
  addDrawn("conv2d_grad_input_deep", gradInput(deepConv), kSummed, kSummed);
  addDrawn("conv2d_grad_weight_deep", gradWeight(deepConv), kSummed, kSummed);
  // 3x3 windows of stride and dilation 1, at least 8 channels in (and out,
  // for the input gradient): the CPU computes them by Winograd's
  // F(2x2, 3x3), over 2x2 tiles of outputs (odd sizes: a last tile half
  // outside; 1: one tile), in blocks of images.
  auto winogradConv = [](Draw &d) {
    ConvDraw c = ConvDraw::draw(d);
    c.c = d.integer(8, 13);
    c.f = d.integer(8, 19);
    c.kh = c.kw = 3;
    c.stride = c.dilation = Size2(1, 1);
    c.padding = Size2(d.integer(0, 2), d.integer(0, 2));
    c.h = std::max<int64_t>(1, 3 - 2 * c.padding.h) + d.integer(0, 9);
    c.w = std::max<int64_t>(1, 3 - 2 * c.padding.w) + d.integer(0, 9);
    return c;
  };
  addDrawn("conv2d_winograd", forward(winogradConv), kSummed, kSummed);
  addDrawn("conv2d_grad_input_winograd", gradInput(winogradConv), kSummed,
           kSummed);
  // Such a convolution (even output sizes), rectified, read only by a 2x2
  // max pooling of stride 2: without gradients (an inference graph) the
  // CPU takes each tile's pooling window in the output transform.
  addDrawn(
      "conv2d_relu_max_pool2d_winograd",
      [=](Draw &d) {
        ConvDraw c = winogradConv(d);
        c.padding = Size2(1, 1);
        c.h = 2 * d.integer(1, 6);
        c.w = 2 * d.integer(1, 6);
        return OpInstance{
            {d.floats(c.input()), d.floats(c.weight(), -1, 1), d.floats({c.f})},
            [=](In in) {
              return max_pool2d(conv2d(in[0], in[1], in[2], c.stride, c.padding,
                                       c.dilation, c.groups)
                                    .relu(),
                                2);
            }};
      },
      kSummed, kSummed);
  // One sample [C, H, W]; 3x3, padding 1 (the CNN example's layer), with
  // sizes whose products are tiled on the GPU.
  add(
      "conv2d_unbatched_3x3",
      [](Draw &d) {
        return OpInputs{d.floats({3, 11, 13}), d.floats({5, 3, 3, 3}, -1, 1),
                        d.floats({5})};
      },
      [](In in) { return conv2d(in[0], in[1], in[2], 1, 1); }, kSummed,
      kSummed);
  add(
      "conv2d_tiled",
      [](Draw &d) {
        // In eighths: the gradient through the ReLU is exact (see
        // Draw::eighths).
        return OpInputs{d.eighths({3, 16, 17, 17}, -1, 1),
                        d.eighths({36, 16, 3, 3}, -0.5, 0.5),
                        d.eighths({36}, -2, 2, 1.0 / 128)};
      },
      [](In in) { return conv2d(in[0], in[1], in[2], 1, 1).relu(); }, kSummed,
      kSummed);

  //===--------------------------------------------------------------------===//
  // Pooling: any window, stride, padding (at most half the window) and
  // dilation; ties (small integers) check which element gets the gradient.
  //===--------------------------------------------------------------------===//

  addDrawn(
      "max_pool2d",
      [](Draw &d) {
        PoolDraw p = PoolDraw::draw(d);
        return OpInstance{{d.floats(p.input())}, [=](In in) {
                            return max_pool2d(in[0], p.kernel, p.stride,
                                              p.padding, p.dilation);
                          }};
      },
      kExact, kRounded);
  addDrawn(
      "max_pool2d_ties",
      [](Draw &d) {
        PoolDraw p = PoolDraw::draw(d);
        return OpInstance{{d.integralFloats(p.input(), -1, 1)}, [=](In in) {
                            return max_pool2d(in[0], p.kernel, p.stride,
                                              p.padding, p.dilation) *
                                   1.0;
                          }};
      },
      kExact, kRounded);
  addDrawn(
      "max_pool2d_grad",
      [](Draw &d) {
        PoolDraw p = PoolDraw::draw(d);
        Tensor x = d.integralFloats(p.input(), -2, 2);
        Shape out =
            max_pool2d(x, p.kernel, p.stride, p.padding, p.dilation).shape();
        return OpInstance{{d.floats(out), x}, [=](In in) {
                            return max_pool2d_grad(in[0], in[1], p.kernel,
                                                   p.stride, p.padding,
                                                   p.dilation);
                          }};
      },
      kRounded);
  // Disjoint windows (stride = kernel): covering the input (8 x 12 by
  // 2 x 3), and leaving its last row and column out (9 x 11 by 2 x 2);
  // small integers, so that windows hold ties; and with NaNs (a fifth of
  // the elements), where the window's last NaN gets the gradient.
  for (auto [name, h, w, kh, kw, nans] :
       {std::tuple{"max_pool2d_grad_disjoint", 8, 12, 2, 3, false},
        std::tuple{"max_pool2d_grad_disjoint_uncovered", 9, 11, 2, 2, false},
        std::tuple{"max_pool2d_grad_disjoint_nan", 6, 16, 2, 2, true}}) {
    int64_t sh = h, sw = w, kernelH = kh, kernelW = kw;
    bool withNans = nans;
    addDrawn(
        name,
        [=](Draw &d) {
          Tensor x = d.integralFloats({2, 3, sh, sw}, -2, 2);
          if (withNans) {
            std::vector<float> v = x.to_vector();
            for (float &e : v)
              if (d.integer(0, 4) == 0)
                e = std::numeric_limits<float>::quiet_NaN();
            x = tensor(v, x.shape());
          }
          Size2 kernel(kernelH, kernelW);
          Shape out = max_pool2d(x, kernel).shape();
          return OpInstance{{d.floats(out), x}, [=](In in) {
                              return max_pool2d_grad(in[0], in[1], kernel,
                                                     kernel, 0, 1);
                            }};
        },
        kRounded);
  }
  add(
      "max_pool2d_2x2_unbatched",
      [](Draw &d) {
        return OpInputs{d.floats({3, 14, 15})};
      },
      [](In in) { return max_pool2d(in[0], 2); }, kExact, kRounded);
  addDrawn(
      "avg_pool2d",
      [](Draw &d) {
        PoolDraw p = PoolDraw::draw(d, /*dilated=*/false);
        return OpInstance{{d.floats(p.input())}, [=](In in) {
                            return avg_pool2d(in[0], p.kernel, p.stride,
                                              p.padding);
                          }};
      },
      kRounded, kRounded);
  addDrawn(
      "adaptive_avg_pool2d",
      [](Draw &d) {
        Shape s = {d.size(3), d.size(4), d.size(13), d.size(13)};
        Size2 out(d.integer(1, s[2]), d.integer(1, s[3]));
        return OpInstance{{d.floats(s)}, [=](In in) {
                            return adaptive_avg_pool2d(in[0], out);
                          }};
      },
      kRounded, kRounded);
  add(
      "adaptive_avg_pool2d_global",
      [](Draw &d) {
        return OpInputs{d.floats({d.size(4), d.size(6), d.size(9), d.size(9)})};
      },
      [](In in) { return adaptive_avg_pool2d(in[0], 1); }, kRounded, kRounded);

  //===--------------------------------------------------------------------===//
  // Batch normalisation: batch statistics (training) or given ones (eval).
  //===--------------------------------------------------------------------===//

  add(
      "batch_norm_training",
      [](Draw &d) {
        int64_t c = d.size(6);
        return OpInputs{
            d.floats({1 + d.size(5), c, d.size(7), d.size(7)}, -3, 3),
            d.floats({c}, 0.5, 2), d.floats({c})};
      },
      [](In in) {
        return nn::functional::batch_norm(in[0], Tensor(), Tensor(), in[1],
                                          in[2], /*training=*/true);
      },
      kSummed, Tolerance{1e-3, 1e-4});
  add(
      "batch_norm_eval",
      [](Draw &d) {
        int64_t c = d.size(6);
        return OpInputs{d.floats({d.size(5), c, d.size(7), d.size(7)}),
                        d.floats({c}), d.floats({c}, 0.2, 3),
                        d.floats({c}, 0.5, 2), d.floats({c})};
      },
      [](In in) {
        return nn::functional::batch_norm(in[0], in[1], in[2], in[3], in[4],
                                          /*training=*/false);
      },
      kRounded, kSummed);

  //===--------------------------------------------------------------------===//
  // Random numbers inside the graph: the reference runs the same Philox, so
  // every backend must give exactly its numbers (and masks).
  //===--------------------------------------------------------------------===//

  addDrawn(
      "dropout",
      [](Draw &d) {
        uint64_t seed = static_cast<uint64_t>(d.integer(0, 1 << 30));
        double p = d.integer(1, 9) / 10.0;
        return OpInstance{{d.floats(d.shape(1, 4))}, [=](In in) {
                            manual_seed(seed);
                            return nn::functional::dropout(in[0], p);
                          }};
      },
      kRounded, kRounded);
  addDrawn(
      "random_uniform_streams",
      [](Draw &d) {
        uint64_t seed = static_cast<uint64_t>(d.integer(0, 1 << 30));
        return OpInstance{{d.floats({d.size(), d.size()})}, [=](In in) {
                            // Two draws after one seed: the second
                            // continues the stream.
                            manual_seed(seed);
                            Tensor a = nn::functional::dropout(in[0], 0.5);
                            Tensor b = nn::functional::dropout(in[0], 0.3);
                            return OpOutputs{a + b * 2.0};
                          }};
      },
      kRounded, kRounded);

  //===--------------------------------------------------------------------===//
  // Collectives, in a simulated job of three ranks (SimulatedRanks).
  //===--------------------------------------------------------------------===//

  addDrawn(
      "all_reduce",
      [](Draw &d) {
        bool average = d.coin(), computed = d.coin(), readAgain = d.coin();
        DType dtype = d.coin() ? DType::Float64 : DType::Float32;
        return OpInstance{{d.floats(d.shape(), -2, 2, false, dtype)},
                          [=](In in) {
                            installSimulatedRanks();
                            // An input argument is summed in a copy; a computed
                            // value in place, unless it is read afterwards.
                            Tensor x = computed ? in[0] * 1.5 : in[0];
                            Tensor s = distributed::all_reduce(
                                x, average ? distributed::ReduceOp::Avg
                                           : distributed::ReduceOp::Sum);
                            if (readAgain)
                              return OpOutputs{s, s * x};
                            return OpOutputs{s};
                          }};
      },
      kRounded, kRounded);
  // A job of three ranks in one process needs the fake NCCL's simulated
  // peers; on a real GPU, distributed.ddp's NCCL case runs real ranks.
  if (rt::cuda::defaultDriverKind() != rt::cuda::DriverKind::Fake)
    t.back().notOnCuda = "a simulated job of three ranks needs the fake NCCL "
                         "(EMBER_FAKE_CUDA=1)";

  //===--------------------------------------------------------------------===//
  // Whole graphs.
  //===--------------------------------------------------------------------===//

  // The Quickstart's shape of computation, at a random batch size.
  add("mlp",
      [](Draw &d) {
        return OpInputs{d.floats({d.size(16), 1, 4, 7}), d.floats({12, 28}, -0.2, 0.2),
                        d.floats({12}), d.floats({5, 12}, -0.2, 0.2), d.floats({5})};
      },
      [](In in) {
        Tensor h = linear(in[0].reshape({in[0].size(0), -1}), in[1], in[2]).relu();
        Tensor logits = linear(h, in[3], in[4]);
        return OpOutputs{logits, (logits * logits).sum({1}, true)};
      },
      kSummed);
  // `shared` is no target of the first output: it is still lazy after it,
  // and computes on its own for the second.
  add("shared_subgraph", [](Draw &d) { return OpInputs{d.floats({6, 5})}; },
      [](In in) {
        Tensor shared = (in[0] * 2.0).relu();
        return OpOutputs{shared.matmul(shared.t()) + shared.sum({1}, true), shared - 1.0};
      },
      kSummed);
  return t;
}

} // namespace

const std::vector<OpCase> &opTable() {
  static const std::vector<OpCase> table = buildTable();
  return table;
}

} // namespace ember::test
