# PyTorch's "Learn the Basics: Tensors", the parts whose output does not
# depend on random numbers, as tensors.cpp writes them in Ember. Run by
# make_expected.sh; its output is expected/tensors.txt.
import torch

data = [[1, 2], [3, 4]]
x_data = torch.tensor(data)
print(x_data)
x_ones = torch.ones_like(x_data)
print(f"Ones Tensor: \n {x_ones} \n")
x_full = torch.full_like(x_data, 7, dtype=torch.float)
print(f"Full Tensor: \n {x_full} \n")

shape = (2, 3,)
ones_tensor = torch.ones(shape)
zeros_tensor = torch.zeros(shape)
print(f"Ones Tensor: \n {ones_tensor} \n")
print(f"Zeros Tensor: \n {zeros_tensor}")

tensor = torch.ones(3, 4)
print(f"Shape of tensor: {tensor.shape}")
print(f"Datatype of tensor: {tensor.dtype}")
print(f"Device tensor is stored on: {tensor.device}")

tensor = torch.ones(4, 4)
print(f"First row: {tensor[0]}")
print(f"First column: {tensor[:, 0]}")
print(f"Last column: {tensor[..., -1]}")
tensor[:, 1] = 0
print(tensor)

t1 = torch.cat([tensor, tensor, tensor], dim=1)
print(t1)

y1 = tensor @ tensor.T
y2 = tensor.matmul(tensor.T)
print(y1)
print(torch.equal(y1, y2))
z1 = tensor * tensor
z2 = tensor.mul(tensor)
print(z1)
print(torch.equal(z1, z2))

agg = tensor.sum()
agg_item = agg.item()
print(agg_item)

print(f"{tensor} \n")
tensor.add_(5)
print(tensor)

# Beyond the chapter: more indexing, joining and splitting, views.
a = torch.arange(12.).reshape(3, 4)
print(a[1:, ::2])
print(a[None, -1])
print(torch.stack([a[0], a[2]], dim=1))
print([p.shape[1] for p in a.split(3, dim=1)])
print(a.chunk(2)[1])
row = a[1]
row.mul_(-1)
print(a)
a[a < 0] = 0
print(a)
print(a.t().flatten()[:6])
print(a._version)
h = torch.tensor([1.0, 2.5, 1000.1, 1e-6], dtype=torch.float16)
print(h * 3)
print(h.to(torch.bfloat16))
