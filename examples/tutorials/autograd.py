# PyTorch's "Learn the Basics: Automatic Differentiation with torch.autograd",
# as autograd.cpp writes it in Ember. The chapter draws w and b with randn;
# here they are fixed numbers, the same in both programs. Run by
# make_expected.sh; its output is expected/autograd.txt.
import math

import torch

x = torch.ones(5)  # input tensor
y = torch.zeros(3)  # expected output
w = torch.tensor([[math.sin(1.0 + 3 * i + j) for j in range(3)] for i in range(5)],
                 requires_grad=True)
b = torch.tensor([0.5, -0.25, 0.125], requires_grad=True)
z = torch.matmul(x, w) + b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
print(f"loss = {loss.item():.6f}")

loss.backward()
print(w.grad)
print(b.grad)

z = torch.matmul(x, w) + b
print(z.requires_grad)

with torch.no_grad():
    z = torch.matmul(x, w) + b
print(z.requires_grad)

z = torch.matmul(x, w) + b
z_det = z.detach()
print(z_det.requires_grad)

inp = torch.eye(4, 5, requires_grad=True)
out = (inp + 1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"First call\n{inp.grad}")
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nSecond call\n{inp.grad}")
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nCall after zeroing gradients\n{inp.grad}")

# torch.autograd.grad and a second derivative.
s = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
f = (s ** 3).sum()
(g,) = torch.autograd.grad(f, s, create_graph=True)
print(g.detach())
(g2,) = torch.autograd.grad(g.sum(), s)
print(g2)
