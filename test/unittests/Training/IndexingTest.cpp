//===- IndexingTest.cpp - Indexing, views, joining, in-place writes -------===//
//
// Part of Ember. The Tensors chapter's indexing (t[...] and t[...] = v)
// against PyTorch 2.x's results (indexing_fixture.json, from
// gen_indexing_fixture.py); views sharing values with their base; cat,
// stack, split and chunk; in-place operations with PyTorch's version
// counter and autograd checks. On the CPU and on a CUDA device (the
// emulated one with EMBER_FAKE_CUDA=1).
//
//===----------------------------------------------------------------------===//

#include "TrainingTest.h"

#include <cstdio>
#include <limits>
#include <numeric>

using namespace ember;
using namespace ember::indexing;

namespace {

using test::errorOf;

/// The fixture's index list as TensorIndex entries.
std::vector<TensorIndex> indexOf(const nlohmann::json &entries) {
  std::vector<TensorIndex> out;
  auto bound = [](const nlohmann::json &v) {
    return v.is_null() ? SliceBound(None) : SliceBound(v.get<int64_t>());
  };
  for (const nlohmann::json &e : entries) {
    if (e.is_string())
      out.push_back(e == "None" ? TensorIndex(None) : TensorIndex("..."));
    else if (e.is_array())
      out.push_back(Slice(bound(e[0]), bound(e[1]), bound(e[2])));
    else
      out.push_back(e.get<int64_t>());
  }
  return out;
}

class IndexingTest : public test::OnEachDevice {
protected:
  Tensor arange210(const Shape &shape) {
    return arange(210).reshape(shape).to(device_);
  }
};

TEST_P(IndexingTest, MatchesPyTorch) {
  nlohmann::json fixture = test::loadJson(EMBER_INDEXING_FIXTURE);
  ASSERT_GT(fixture["cases"].size(), 10u);
  for (const nlohmann::json &c : fixture["cases"]) {
    SCOPED_TRACE(c["index"].dump());
    Shape shape = c["shape"].get<Shape>();
    std::vector<TensorIndex> index = indexOf(c["index"]);
    Tensor x = arange210(shape);
    Tensor got = x.index(index);
    EXPECT_EQ(got.shape(), c["result_shape"].get<Shape>());
    EXPECT_EQ(got.to_vector(), c["result"].get<std::vector<float>>());

    Tensor put = arange210(shape);
    std::vector<float> values(got.numel());
    std::iota(values.begin(), values.end(), 1.0f);
    for (float &v : values)
      v = -v;
    put.index_put_(index, tensor(values, got.shape()).to(device_));
    EXPECT_EQ(put.to_vector(), c["put"].get<std::vector<float>>());

    Tensor putScalar = arange210(shape);
    putScalar.index_put_(index, full({}, -1.0));
    EXPECT_EQ(putScalar.to_vector(), c["put_scalar"].get<std::vector<float>>());
  }
}

TEST_P(IndexingTest, TheTensorsChapter) {
  // tensor = torch.ones(4, 4); tensor[:,1] = 0; torch.cat([t, t, t], dim=1)
  Tensor t = ones({4, 4}).to(device_);
  EXPECT_EQ(t.index({0}).to_vector(), std::vector<float>(4, 1));
  t.index_put_({Slice(), 1}, 0);
  EXPECT_EQ(t.index({Slice(), 1}).to_vector(), std::vector<float>(4, 0));
  EXPECT_EQ(t.index({"...", -1}).to_vector(), std::vector<float>(4, 1));
  Tensor t1 = cat({t, t, t}, 1);
  EXPECT_EQ(t1.shape(), (Shape{4, 12}));
  std::vector<float> row = {1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1};
  EXPECT_EQ(t1.index({2}).to_vector(), row);
  // tensor.add_(5)
  t.add_(5);
  EXPECT_EQ(t.index({0}).to_vector(), (std::vector<float>{6, 5, 6, 6}));
}

TEST_P(IndexingTest, ViewsShareValuesWithTheirBase) {
  Tensor base = arange(12).reshape({3, 4}).to(device_);
  Tensor row = base.select(0, 1);        // a view
  Tensor col = base.index({Slice(), 2}); // another
  Tensor before = base * 1.0;            // recorded before the writes
  row.add_(100);                         // writes through to base and col
  EXPECT_EQ(base.index({1}).to_vector(),
            (std::vector<float>{104, 105, 106, 107}));
  EXPECT_EQ(col.to_vector(), (std::vector<float>{2, 106, 10}));
  base.mul_(-1); // the views follow
  EXPECT_EQ(row.to_vector(), (std::vector<float>{-104, -105, -106, -107}));
  EXPECT_EQ(col.to_vector(), (std::vector<float>{-2, -106, -10}));
  // What was recorded before the writes reads the old values.
  EXPECT_EQ(before.index({1}).to_vector(), (std::vector<float>{4, 5, 6, 7}));
  // A view of a view, through a reshape and a transpose.
  Tensor flat = base.flatten();
  Tensor tr = base.t();
  flat.index_put_({Slice(0, None, 5)}, 7);
  EXPECT_EQ(tr.index({0}).to_vector(), (std::vector<float>{7, -104, -8}));
  EXPECT_EQ(base.index({2, 2}).item(), 7);
  tr.index({3}).zero_();
  EXPECT_EQ(base.index({Slice(), 3}).to_vector(), (std::vector<float>(3, 0)));
  // split, chunk and unbind give views too.
  std::vector<Tensor> parts = base.chunk(2, 1);
  ASSERT_EQ(parts.size(), 2u);
  parts[1].fill_(1);
  EXPECT_EQ(base.index({0}).to_vector(), (std::vector<float>{7, -1, 1, 1}));
  base.unbind(0)[2].fill_(3);
  EXPECT_EQ(base.index({2}).to_vector(), (std::vector<float>(4, 3)));
}

TEST_P(IndexingTest, VersionCountersCountWrites) {
  Tensor t = zeros({2, 3}).to(device_);
  Tensor v = t.index({0});
  EXPECT_EQ(t._version(), 0u);
  t.add_(1);
  v.mul_(2);
  EXPECT_EQ(t._version(), 2u);
  EXPECT_EQ(v._version(), 2u);
  Tensor c = t.clone();
  c.zero_();
  EXPECT_EQ(t._version(), 2u); // a clone has its own values
  EXPECT_EQ(t.to_vector(), (std::vector<float>{2, 2, 2, 1, 1, 1}));
}

TEST_P(IndexingTest, JoiningAndSplitting) {
  Tensor a = arange(6).reshape({2, 3}).to(device_);
  Tensor b = (arange(4) + 10).reshape({2, 2}).to(device_);
  EXPECT_EQ(cat({a, b}, -1).to_vector(),
            (std::vector<float>{0, 1, 2, 10, 11, 3, 4, 5, 12, 13}));
  Tensor s = stack({a, a * 2}, 1);
  EXPECT_EQ(s.shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(s.to_vector(),
            (std::vector<float>{0, 1, 2, 0, 2, 4, 3, 4, 5, 6, 8, 10}));
  std::vector<Tensor> parts = arange(7).to(device_).split(3);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[2].to_vector(), (std::vector<float>{6}));
  parts = arange(7).to(device_).split_with_sizes({2, 5});
  EXPECT_EQ(parts[1].to_vector(), (std::vector<float>{2, 3, 4, 5, 6}));
  EXPECT_EQ(arange(5).to(device_).chunk(3).size(), 3u);
  EXPECT_EQ(arange(5).to(device_).narrow(0, -2, 2).to_vector(),
            (std::vector<float>{3, 4}));
  EXPECT_EQ(slice_scatter(zeros({5}).to(device_), ones({2}).to(device_), 0, 1,
                          std::nullopt, 3)
                .to_vector(),
            (std::vector<float>{0, 1, 0, 0, 1}));
  EXPECT_EQ(a.unsqueeze(-1).shape(), (Shape{2, 3, 1}));
  EXPECT_EQ(a.unsqueeze(0).squeeze().shape(), (Shape{2, 3}));
  EXPECT_EQ(a.view({3, -1}).shape(), (Shape{3, 2}));

  // Errors name the op and the shapes.
  EXPECT_NE(errorOf([&] {
              cat({a, b}, 0);
            })
                .find("cat: tensor 1 has shape "
                      "[2, 2], tensor 0 [2, 3]"),
            std::string::npos);
  EXPECT_NE(errorOf([&] {
              stack({a, b});
            }).find("stack: tensor 1 has shape"),
            std::string::npos);
  EXPECT_NE(errorOf([&] {
              a.split_with_sizes({1, 1}, 1);
            }).find("add up to 2, not the size 3"),
            std::string::npos);
}

TEST_P(IndexingTest, IndexErrorsNameTheProblem) {
  Tensor a = zeros({2, 3}).to(device_);
  EXPECT_NE(errorOf([&] { a.index({2}); })
                .find("index: index 2 is out of bounds for dimension 0 with "
                      "size 2 (at "),
            std::string::npos);
  EXPECT_NE(errorOf([&] {
              a.index({0, 0, 0});
            }).find("too many indices"),
            std::string::npos);
  EXPECT_NE(errorOf([&] {
              a.index({"...", 0, "..."});
            }).find("single ellipsis"),
            std::string::npos);
  EXPECT_NE(errorOf([&] {
              a.index({Slice(None, None, -1)});
            }).find("slice step must be positive, got -1"),
            std::string::npos);
  EXPECT_NE(errorOf([&] { a.index({Slice(2, 1)}); }).find("is empty"),
            std::string::npos);
  EXPECT_NE(errorOf([&] { a.index({a.gt(0.0)}); })
                .find("indexing with a bool tensor of shape [2, 3] is not "
                      "supported"),
            std::string::npos);
  EXPECT_NE(errorOf([&] {
              a.index({"..", 0});
            }).find("not an index"),
            std::string::npos);
  EXPECT_NE(errorOf([&] { a.index_put_({0}, ones({2})); })
                .find("index_put_: a value of shape [2] does not broadcast "
                      "to the tensor's shape [3]"),
            std::string::npos);
}

TEST_P(IndexingTest, MaskedIndexPut) {
  // t[t < 0] = 0
  Tensor t = tensor({-1.0, 2.0, -3.0, 4.0}).to(device_);
  t.index_put_({t.lt(zeros({4}).to(device_))}, 0);
  EXPECT_EQ(t.to_vector(), (std::vector<float>{0, 2, 0, 4}));
}

TEST_P(IndexingTest, InPlaceOpsConvertAndBroadcastAsPyTorch) {
  Tensor t = zeros({2, 3}).to(device_);
  t.add_(tensor({1.0, 2.0, 3.0}).to(device_)); // broadcasts
  t.sub_(0.5).mul_(2).div_(tensor({1.0}).to(device_));
  EXPECT_EQ(t.to_vector(), (std::vector<float>{1, 3, 5, 1, 3, 5}));
  t.clamp_(2, 4);
  EXPECT_EQ(t.to_vector(), (std::vector<float>{2, 3, 4, 2, 3, 4}));
  t.copy_(arange(3, DType::Int64)); // converts and broadcasts
  EXPECT_EQ(t.to_vector(), (std::vector<float>{0, 1, 2, 0, 1, 2}));
  t.masked_fill_(t.gt(1.0), -1).relu_();
  EXPECT_EQ(t.to_vector(), (std::vector<float>{0, 1, 0, 0, 1, 0}));
  Tensor i = zeros({2}, DType::Int64).to(device_);
  EXPECT_NE(errorOf([&] { i.add_(0.5); })
                .find("the result's dtype float32 cannot be written into a "
                      "int64 tensor"),
            std::string::npos);
  EXPECT_NE(errorOf([&] {
              t.add_(ones({3, 3}).to(device_));
            }).find("does not broadcast to the tensor's shape [2, 3]"),
            std::string::npos);
}

TEST_P(IndexingTest, AutogradThroughInPlaceWrites) {
  Tensor w = arange(4).to(device_);
  w.requires_grad_();
  // Writing into a non-leaf: the gradient of the overwritten part is 0.
  Tensor a = w * 3.0;
  a.index_put_({Slice(1, 3)}, 0);
  a.add_(1);
  (a * a).sum().backward();
  // d/dw sum((3w + 1)^2) = 6 (3w + 1) outside [1, 3), 0 inside.
  EXPECT_EQ(w.grad().to_vector(), (std::vector<float>{6, 0, 0, 60}));
  w.zero_grad_();
  // A value written into a slice carries its own gradient.
  Tensor b = zeros({4}).to(device_);
  b.index_put_({Slice(None, 2)}, w.index({Slice(2, None)}) * 2.0);
  b.sum().backward();
  EXPECT_EQ(w.grad().to_vector(), (std::vector<float>{0, 0, 2, 2}));
}

TEST_P(IndexingTest, AutogradRefusesAValueWrittenOver) {
  Tensor w = arange(3).to(device_);
  w.requires_grad_();
  // exp saves its result, which the write replaces (PyTorch refuses too).
  Tensor e = w.exp();
  e.add_(1);
  std::string err = errorOf([&] { e.sum().backward(); });
  EXPECT_NE(err.find("backward: one of the values needed for gradient "
                     "computation was modified by an in-place operation: "
                     "the float32 [3] result of exp recorded at "),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("IndexingTest.cpp"), std::string::npos) << err;
  // mul saves its inputs, not its result: writing the result is fine, as
  // in PyTorch, and so is writing an input that needs no gradient formula.
  Tensor c = ones({3}).to(device_);
  Tensor m = w * c;
  m.mul_(2);
  m.sum().backward();
  EXPECT_EQ(w.grad().to_vector(), (std::vector<float>{2, 2, 2}));
  w.zero_grad_();
  // But the input mul's gradient reads is refused once written.
  Tensor m2 = w * c;
  c.add_(1);
  EXPECT_NE(errorOf([&] {
              m2.sum().backward();
            }).find("the float32 [3] tensor recorded at"),
            std::string::npos);
}

TEST_P(IndexingTest, LeavesThatRequireGrad) {
  Tensor w = ones({3}).to(device_);
  w.requires_grad_();
  EXPECT_NE(errorOf([&] { w.add_(1); })
                .find("add_: a leaf tensor that requires grad is being used "
                      "in an in-place operation"),
            std::string::npos);
  EXPECT_NE(errorOf([&] {
              w.index({0}).zero_();
            }).find("a view of a leaf tensor that requires grad"),
            std::string::npos);
  {
    NoGradGuard noGrad;
    w.index_put_({1}, 5);
    w.mul_(2);
  }
  EXPECT_TRUE(w.requires_grad());
  EXPECT_EQ(w.to_vector(), (std::vector<float>{2, 10, 2}));
  (w * w).sum().backward();
  EXPECT_EQ(w.grad().to_vector(), (std::vector<float>{4, 20, 4}));
  // grad() writes through to the leaf's gradient.
  w.grad().zero_();
  EXPECT_EQ(w.grad().to_vector(), (std::vector<float>{0, 0, 0}));
  // detach() and broadcast_to() copy where PyTorch shares: refused.
  EXPECT_NE(errorOf([&] { w.detach().zero_(); }).find("detach()'s result"),
            std::string::npos);
  EXPECT_NE(errorOf([&] {
              ones({1}).to(device_).broadcast_to({3}).zero_();
            }).find("broadcast_to()'s result"),
            std::string::npos);
}

TEST_P(IndexingTest, NumpyAndBlobs) {
  // A file NumPy wrote, then a round trip through save_npy.
  std::string dir = std::string(EMBER_INDEXING_FIXTURE);
  dir = dir.substr(0, dir.find_last_of('/') + 1);
  Tensor a = load_npy(dir + "numpy_f64_2x3.npy");
  EXPECT_EQ(a.dtype(), DType::Float64);
  EXPECT_EQ(a.shape(), (Shape{2, 3}));
  EXPECT_EQ(a.to_vector<double>(),
            (std::vector<double>{0, 0.5, 1, 1.5, 2, 2.5}));
  std::string path = ::testing::TempDir() + "ember_indexing_test.npy";
  Tensor b = (arange(12, DType::Int64).reshape({3, 4}).to(device_) * 3.0)
                 .index({Slice(), Slice(1, None, 2)});
  save_npy(b, path);
  Tensor c = load_npy(path);
  EXPECT_EQ(c.shape(), (Shape{3, 2}));
  EXPECT_EQ(c.to_vector<int64_t>(),
            (std::vector<int64_t>{3, 9, 15, 21, 27, 33}));
  // float16 is NumPy's <f2; bfloat16 has no NumPy dtype.
  Tensor h = tensor({0.5, -1.25, 3.0}, DType::Float16).to(device_);
  save_npy(h, path);
  Tensor h2 = load_npy(path);
  EXPECT_EQ(h2.dtype(), DType::Float16);
  EXPECT_EQ(h2.to_vector(), (std::vector<float>{0.5, -1.25, 3.0}));
  EXPECT_NE(errorOf([&] {
              save_npy(h.to(DType::BFloat16), path);
            }).find("NumPy has no bfloat16 dtype"),
            std::string::npos);
  std::remove(path.c_str());
  EXPECT_NE(errorOf([&] {
              load_npy(dir + "numpy_i32.npy");
            }).find("unsupported dtype '<i4'"),
            std::string::npos);
  EXPECT_NE(errorOf([&] {
              load_npy(dir + "no-such-file.npy");
            }).find("load_npy: cannot read"),
            std::string::npos);

  // from_blob copies; the *_like functions follow their argument.
  std::vector<float> blob = {1, 2, 3, 4, 5, 6};
  Tensor f = from_blob(blob.data(), {3, 2}).to(device_);
  blob[0] = 100;
  EXPECT_EQ(f.to_vector(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  Tensor o = ones_like(f);
  EXPECT_EQ(o.shape(), (Shape{3, 2}));
  EXPECT_TRUE(o.device() == device_);
  EXPECT_EQ(full_like(f, 2).sum().item(), 12);
  EXPECT_EQ(zeros_like(f).sum().item(), 0);
  Tensor r = rand_like(f);
  EXPECT_TRUE(r.device() == device_);
  EXPECT_EQ(randn_like(f).shape(), (Shape{3, 2}));
}

// Regressions from this feature's review: each of these once went wrong.
TEST_P(IndexingTest, ReviewedCorners) {
  // A view derived again under NoGradGuard keeps its gradient afterwards.
  Tensor w = ones({4}).to(device_);
  w.requires_grad_();
  Tensor x = zeros({4}).to(device_);
  Tensor v = x.slice(0, 0, 2);
  x.add_(w);
  {
    NoGradGuard noGrad;
    EXPECT_EQ(v.to_vector(), (std::vector<float>{1, 1}));
  }
  v.sum().backward();
  EXPECT_EQ(w.grad().to_vector(), (std::vector<float>{1, 1, 0, 0}));
  w.zero_grad_();

  // copy_ gives the tensor a value of its own: the source's graph is not
  // marked written over, and its buffer is not shared.
  Tensor y = full({4}, 2.0).to(device_);
  Tensor z = (y * w).sum();
  Tensor c = zeros({4}).to(device_);
  c.copy_(y);
  c.add_(1);
  z.backward();
  EXPECT_EQ(w.grad().to_vector(), (std::vector<float>{2, 2, 2, 2}));
  {
    NoGradGuard noGrad;
    w.copy_(y);
  }
  if (device_.is_cpu()) {
    w.data_ptr<float>()[0] = 9;
    EXPECT_EQ(y.to_vector(), (std::vector<float>{2, 2, 2, 2}));
  }

  // A grad() taken before another backward() is out of date.
  Tensor g = w.grad();
  (w * 3.0).sum().backward();
  EXPECT_NE(errorOf([&] { g.mul_(1); }).find("this grad() is out of date"),
            std::string::npos);
  w.zero_grad_();

  // A leaf written under NoGradGuard between the forward and backward():
  // refused, as PyTorch's version counter refuses it.
  Tensor sq = (w * w).sum();
  {
    NoGradGuard noGrad;
    w.add_(1);
  }
  EXPECT_NE(
      errorOf([&] { sq.backward(); }).find("was replaced in place afterwards"),
      std::string::npos);

  // A tensor written in place is still a leaf for requires_grad_().
  Tensor u = ones({3}).to(device_);
  u.mul_(0.5);
  u.requires_grad_();
  (u * u).sum().backward();
  EXPECT_EQ(u.grad().to_vector(), (std::vector<float>{1, 1, 1}));

  // A batch norm's running statistics reset in place (PyTorch's
  // reset_running_stats()) still train; while a forward's update is
  // pending, a write is refused.
  nn::BatchNorm2d bn(2);
  bn.to(device_);
  Tensor input = arange(16).reshape({2, 2, 2, 2}).to(device_);
  Tensor out = bn(input);
  EXPECT_NE(errorOf([&] {
              bn.running_mean.zero_();
            }).find("an update pending from a training forward"),
            std::string::npos);
  out.realize();
  bn.running_mean.zero_();
  bn.running_var.fill_(1);
  bn(input).realize();
  // mean of channel 0: (0..3, 8..11) = 5.5; momentum 0.1.
  EXPECT_FLOAT_EQ(bn.running_mean.to_vector()[0], 0.55f);

  // detach() follows writes to its original, as PyTorch's shares them.
  Tensor h = ones({3}).to(device_) * 2.0;
  Tensor d = h.detach();
  h.add_(1);
  EXPECT_EQ(d.to_vector(), (std::vector<float>{3, 3, 3}));

  // A step beyond the size, and true division of integers.
  EXPECT_EQ(arange(5)
                .to(device_)
                .index({Slice(0, None, std::numeric_limits<int64_t>::max())})
                .to_vector(),
            (std::vector<float>{0}));
  Tensor i = arange(3, DType::Int64).to(device_);
  EXPECT_NE(errorOf([&] { i.div_(2); }).find("div_: true division of a int64"),
            std::string::npos);
}

EMBER_ON_EACH_DEVICE(IndexingTest);

} // namespace
