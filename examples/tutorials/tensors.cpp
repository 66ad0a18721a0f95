//===- tensors.cpp - Learn the Basics: Tensors ----------------------------===//
//
// Part of Ember. PyTorch's Tensors chapter (the parts whose output does not
// depend on random numbers) in C++, line by line with tensors.py; the test
// tutorial.tensors compares what it prints with what tensors.py printed
// (expected/tensors.txt).
//
//===----------------------------------------------------------------------===//

#include <ember/ember.h>

#include <iostream>

using namespace ember;
using namespace ember::indexing;

/// torch.Size's printed form.
static std::string sizeText(const Shape &shape) {
  std::string s = "torch.Size([";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "])";
}

int main() {
  Tensor x_data = tensor({{1, 2}, {3, 4}}, DType::Int64);
  std::cout << x_data << "\n";
  Tensor x_ones = ones_like(x_data);
  std::cout << "Ones Tensor: \n " << x_ones << " \n\n";
  Tensor x_full = full_like(x_data.to(DType::Float32), 7);
  std::cout << "Full Tensor: \n " << x_full << " \n\n";

  Shape shape = {2, 3};
  Tensor ones_tensor = ones(shape);
  Tensor zeros_tensor = zeros(shape);
  std::cout << "Ones Tensor: \n " << ones_tensor << " \n\n";
  std::cout << "Zeros Tensor: \n " << zeros_tensor << "\n";

  Tensor t = ones({3, 4});
  std::cout << "Shape of tensor: " << sizeText(t.shape()) << "\n";
  std::cout << "Datatype of tensor: torch." << dtypeName(t.dtype()) << "\n";
  std::cout << "Device tensor is stored on: " << t.device().str() << "\n";

  Tensor tensor = ones({4, 4});
  std::cout << "First row: " << tensor.index({0}) << "\n";
  std::cout << "First column: " << tensor.index({Slice(), 0}) << "\n";
  std::cout << "Last column: " << tensor.index({"...", -1}) << "\n";
  tensor.index_put_({Slice(), 1}, 0);
  std::cout << tensor << "\n";

  Tensor t1 = cat({tensor, tensor, tensor}, 1);
  std::cout << t1 << "\n";

  Tensor y1 = tensor.matmul(tensor.t());
  Tensor y2 = matmul(tensor, tensor.t());
  std::cout << y1 << "\n";
  std::cout << (y1.eq(y2).to(DType::Int64).sum().item<int64_t>() == 16
                    ? "True"
                    : "False")
            << "\n";
  Tensor z1 = tensor * tensor;
  Tensor z2 = mul(tensor, tensor);
  std::cout << z1 << "\n";
  std::cout << (z1.eq(z2).to(DType::Int64).sum().item<int64_t>() == 16
                    ? "True"
                    : "False")
            << "\n";

  Tensor agg = tensor.sum();
  float agg_item = agg.item();
  std::cout << agg_item << ".0\n";

  std::cout << tensor << " \n\n";
  tensor.add_(5);
  std::cout << tensor << "\n";

  // Beyond the chapter: more indexing, joining and splitting, views.
  Tensor a = arange(12).reshape({3, 4});
  std::cout << a.index({Slice(1, None), Slice(None, None, 2)}) << "\n";
  std::cout << a.index({None, -1}) << "\n";
  std::cout << stack({a.index({0}), a.index({2})}, 1) << "\n";
  std::cout << "[";
  std::vector<Tensor> parts = a.split(3, 1);
  for (size_t i = 0; i < parts.size(); ++i)
    std::cout << (i ? ", " : "") << parts[i].shape()[1];
  std::cout << "]\n";
  std::cout << a.chunk(2)[1] << "\n";
  Tensor row = a.index({1});
  row.mul_(-1);
  std::cout << a << "\n";
  a.index_put_({a.lt(zeros_like(a))}, 0);
  std::cout << a << "\n";
  std::cout << a.t().flatten().index({Slice(None, 6)}) << "\n";
  std::cout << a._version() << "\n";
  Tensor h = ember::tensor({1.0, 2.5, 1000.1, 1e-6}, DType::Float16);
  std::cout << h * 3.0 << "\n";
  std::cout << h.to(DType::BFloat16) << "\n";
  return 0;
}
