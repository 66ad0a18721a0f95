//===- tensors.cpp - Ember's first example: lazy tensors ------------------===//
//
// Part of Ember. Makes tensors, combines them (nothing runs yet) and prints
// results, which compiles the recorded graphs to native code and runs them.
// The output matches what PyTorch prints for the same tensors.
//
//===----------------------------------------------------------------------===//

#include <ember/ember.h>

#include <iostream>

using namespace ember;

int main() {
  // The seed example: a tensor from nested lists.
  Tensor data = tensor({{0.0, 1.3}, {2.8, 3.3}, {4.1, 5.2}, {6.9, 7.0}});
  std::cout << data << "\n\n";

  // Operations only record; printing compiles and runs the graph.
  Tensor x = arange(6).reshape({2, 3});
  Tensor w = tensor({{1.0, 0.0, -1.0}, {1.0, 1.0, 1.0}});
  Tensor y = (x.matmul(w.t()) + 1.0).relu();
  std::cout << "1-D:\n" << y.sum({1}) << "\n\n";
  std::cout << "2-D (integer-valued floats):\n" << y << "\n\n";
  std::cout << "3-D:\n" << arange(24).reshape({2, 3, 4}) * 0.5 << "\n\n";
  std::cout << "int64:\n" << arange(5, DType::Int64) * 3.0 << "\n\n";
  std::cout << "scalar:\n" << (x * x).sum() << "\n\n";

  // The Tensors chapter of PyTorch's tutorial: indexing, slicing, joining
  // and in-place operations.
  {
    using namespace ember::indexing;
    Tensor t = ones({4, 4});
    std::cout << "First row: " << t.index({0}) << "\n";
    std::cout << "First column: " << t.index({Slice(), 0}) << "\n";
    std::cout << "Last column: " << t.index({"...", -1}) << "\n";
    t.index_put_({Slice(), 1}, 0); // tensor[:, 1] = 0
    std::cout << t << "\n";
    Tensor t1 = cat({t, t, t}, 1);
    std::cout << t1 << "\n";
    t.add_(5);
    std::cout << "after add_(5):\n" << t << "\n\n";
  }

  // Large tensors are summarised as PyTorch does.
  manual_seed(0);
  std::cout << "large (summarised):\n" << randn({100, 100}) * 2.0 << "\n";

  CacheStats stats = cache_stats();
  std::cout << "\ncompiled graphs: " << stats.compilations
            << ", cache hits: " << stats.hits << "\n";
  return 0;
}
