//===- autograd.cpp - Learn the Basics: Automatic Differentiation ---------===//
//
// Part of Ember. PyTorch's autograd chapter in C++, line by line with
// autograd.py (w and b are fixed numbers instead of randn draws); the test
// tutorial.autograd compares what it prints with what autograd.py printed
// (expected/autograd.txt).
//
//===----------------------------------------------------------------------===//

#include <ember/ember.h>

#include <cmath>
#include <cstdio>
#include <iostream>

using namespace ember;

static const char *pyBool(bool b) { return b ? "True" : "False"; }

int main() {
  Tensor x = ones({5});  // input tensor
  Tensor y = zeros({3}); // expected output
  std::vector<float> wv;
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 3; ++j)
      wv.push_back(static_cast<float>(std::sin(1.0 + 3 * i + j)));
  Tensor w = tensor(wv, {5, 3});
  w.requires_grad_();
  Tensor b = tensor({0.5, -0.25, 0.125});
  b.requires_grad_();
  Tensor z = matmul(x, w) + b;
  Tensor loss = nn::functional::binary_cross_entropy_with_logits(z, y);
  std::printf("loss = %.6f\n", loss.item());

  loss.backward();
  std::cout << w.grad() << "\n";
  std::cout << b.grad() << "\n";

  z = matmul(x, w) + b;
  std::cout << pyBool(z.requires_grad()) << "\n";

  {
    NoGradGuard noGrad;
    z = matmul(x, w) + b;
  }
  std::cout << pyBool(z.requires_grad()) << "\n";

  z = matmul(x, w) + b;
  Tensor z_det = z.detach();
  std::cout << pyBool(z_det.requires_grad()) << "\n";

  Tensor inp = eye(4, 5);
  inp.requires_grad_();
  Tensor out = (inp + 1.0).pow(2).t();
  out.backward(ones_like(out), /*retain_graph=*/true);
  std::cout << "First call\n" << inp.grad() << "\n";
  out.backward(ones_like(out), /*retain_graph=*/true);
  std::cout << "\nSecond call\n" << inp.grad() << "\n";
  inp.grad().zero_();
  out.backward(ones_like(out), /*retain_graph=*/true);
  std::cout << "\nCall after zeroing gradients\n" << inp.grad() << "\n";

  // ember::grad (torch.autograd.grad) and a second derivative.
  Tensor s = tensor({0.5, -1.0, 2.0});
  s.requires_grad_();
  Tensor f = s.pow(3).sum();
  Tensor g = grad({f}, {s}, {}, /*retain_graph=*/false,
                  /*create_graph=*/true)[0];
  std::cout << g.detach() << "\n";
  Tensor g2 = grad({g.sum()}, {s})[0];
  std::cout << g2 << "\n";
  return 0;
}
